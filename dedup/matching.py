"""Matching a batch of new articles against a store and against each other.

This is the stage :class:`dedup.Deduplicator` (and so ``dedup find --index`` and ``dedup stream``)
runs once per batch, whatever the backend::

    batch -> shingles, figures, signatures, band keys          (the batch's own stage functions)
          -> the store's bucket members of those band keys     (one round trip)
          -> bounded candidates over [members; batch]          (dedup.candidates, new_from=)
          -> window, figures first, exact verification          (dedup.verify, idf from the store + batch)

Everything here works on arrays; verdicts are made by the caller.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from ._dftable import DocumentFrequency
from .article import Article
from .candidates import band_keys, candidate_chunks
from .config import DedupConfig
from .results import DuplicatePair
from .shingles import Shingler
from .signatures import minhash_signatures
from .store.base import Records, Store, _take, concat_records
from .verify import Corpus, Evidence, coverage_of, evidence, fact_agreement, pairs_from_evidence

__all__ = ["Matches", "match_batch", "prepare_batch"]


def prepare_batch(articles: Sequence[Article], config: DedupConfig, *, bands: int, rows: int,
                  arrival: float) -> Records:
    """The records of new articles: shingle sets, figures and band keys, times (``arrival`` where unpublished)."""
    shingler = Shingler(unit=config.shingle_unit, size=config.shingle_size)
    texts = [a.text for a in articles]
    shingled, figures = shingler.shingle_with_figures(texts)
    sets = shingled.sets()
    signatures = minhash_signatures(sets, num_perm=config.num_perm, seed=config.seed, block_size=config.block_size)
    published = np.array([a.published.timestamp() if a.published is not None else math.nan for a in articles], dtype=float)
    return Records(
        ids=[a.id for a in articles], times=np.where(np.isnan(published), arrival, published), published=published,
        lengths=np.array([len(t) for t in texts], dtype=np.int64), rep=np.full(len(articles), -1, np.int64),
        keys=band_keys(signatures, bands=bands, rows=rows), sets=sets, figures=figures, texts=texts,
    )


@dataclass(frozen=True, slots=True)
class Matches:
    """The verified pairs of a batch: ``nodes`` are the stored members met (first) and the batch (after).

    ``pairs`` are ``(i, j)`` indices into ``nodes`` with ``j`` in the batch (``j >= stored``);
    ``evidence`` holds their scores, ``pairs`` in (i, j) order.
    """

    nodes: Records
    stored: int
    evidence: Evidence
    candidates: int

    def duplicate_pairs(self, config: DedupConfig, store: Store) -> list[DuplicatePair]:
        """The pairs as :class:`DuplicatePair` results (with sentence coverage when ``config.coverage``)."""
        texts: list[str] = [""] * len(self.nodes)
        coverage = None
        ev = self.evidence
        if config.coverage and ev.pairs.shape[0]:
            involved = np.unique(ev.pairs)
            old = involved[involved < self.stored]
            if old.size and self.nodes.seq is not None:
                fetched = store.fetch(self.nodes.seq[old], texts=True)
                by_seq = dict(zip(fetched.seq.tolist() if fetched.seq is not None else [], fetched.texts or ()))
                for k in old.tolist():
                    texts[k] = by_seq.get(int(self.nodes.seq[k]), "")  # gone since (expired, removed): no text
            batch_texts = self.nodes.texts or []
            for k in involved[involved >= self.stored].tolist():
                texts[k] = batch_texts[k]
            coverage = coverage_of(ev.pairs, texts)
        return pairs_from_evidence(ev, np.ones(ev.pairs.shape[0], bool), self.nodes.ids, texts, config, coverage=coverage)


def match_batch(batch: Records, store: Store, config: DedupConfig, *, window: float | None = None,
                members: np.ndarray | None = None, counted: bool = False, chunk_pairs: int = 1 << 16) -> Matches:
    """Verify the batch's candidates among the store's bucket members and the batch itself.

    ``members`` are the bucket members when the caller has them already (a shared store returns
    them from the same atomic call that claims the batch); ``counted`` says the store's length and
    document frequency include the batch already.
    """
    if members is None:
        members = store.bucket_members(batch.keys, limit=config.bucket_limit)
    if members.size:
        stored = store.fetch(members)
        first_new = len(stored)
        nodes = dataclasses.replace(
            concat_records([dataclasses.replace(stored, texts=None),
                            dataclasses.replace(batch, texts=None,
                                                seq=batch.seq if batch.seq is not None else np.full(len(batch), -1, np.int64))]),
            texts=[""] * first_new + list(batch.texts or [""] * len(batch)),
        )
    else:
        nodes, first_new = batch, 0
    stream = candidate_chunks(nodes.keys, limit=config.bucket_limit, chunk_pairs=chunk_pairs, new_from=first_new)
    parts = list(stream)
    candidates = np.concatenate(parts) if parts else np.empty((0, 2), np.int64)
    if window is not None and candidates.size:
        gap = np.abs(nodes.times[candidates[:, 0]] - nodes.times[candidates[:, 1]])
        candidates = candidates[gap <= window]
    if config.fact_agreement > 0 and candidates.size:
        candidates = candidates[fact_agreement(nodes.figures, candidates) >= config.fact_agreement]
    candidates = candidates[np.lexsort((candidates[:, 1], candidates[:, 0]))] if candidates.size else candidates
    # idf over the store and the batch: what a batch run over both would count; weighed only where a pair needs it.
    involved = np.unique(candidates) if candidates.size else np.empty(0, np.int64)
    sets = _take(nodes.sets, involved)
    n_docs = len(store) + (0 if counted else len(batch))
    counts = store.document_frequency(sets.hashes)
    if not counted:
        own = DocumentFrequency(capacity=batch.sets.hashes.shape[0])
        own.add(batch.sets.hashes)
        counts = counts + own.lookup(sets.hashes)
    weights = np.log((n_docs + config.idf_prior + 1.0) / (counts + 1.0))
    corpus = Corpus.from_sets(sets, _take(nodes.figures, involved), [], config, weights=weights)
    ev = evidence(corpus, np.searchsorted(involved, candidates), config)
    keep = np.flatnonzero(ev.is_duplicate)
    ev = Evidence(**{name: getattr(ev, name)[keep] for name in ev.__dataclass_fields__})
    ev = dataclasses.replace(ev, pairs=candidates[keep])
    return Matches(nodes=nodes, stored=first_new, evidence=ev, candidates=int(stream.candidates))
