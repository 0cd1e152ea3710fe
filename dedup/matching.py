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
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from . import _kernels, updates
from ._dftable import DocumentFrequency
from .article import Article
from .candidates import band_keys, candidate_chunks, pairs_with_stored
from .config import DedupConfig
from .results import DuplicatePair
from .shingles import ShingleBatch, Shingler
from .signatures import minhash_signatures
from .store._buckets import BucketHits
from .store.base import Records, ScreenedStore, Store, _take, concat_batches, concat_records
from .verify import Corpus, Evidence, coverage_of, evidence, fact_agreement, pairs_from_evidence

__all__ = ["Matches", "match_batch", "prepare_batch"]


def prepare_batch(
    articles: Sequence[Article], config: DedupConfig, *, bands: int, rows: int, arrival: float
) -> Records:
    """The records of new articles: shingle sets, figures and band keys, times (``arrival`` where unpublished)."""
    shingler = Shingler(unit=config.shingle_unit, size=config.shingle_size)
    texts = [a.text for a in articles]
    made = shingler.shingle_all(texts)
    sets, figures = made.shingles.sets(), made.figures
    signatures = minhash_signatures(sets, num_perm=config.num_perm, seed=config.seed, block_size=config.block_size)
    published = np.array(
        [a.published.timestamp() if a.published is not None else math.nan for a in articles], dtype=float
    )
    return Records(
        ids=[a.id for a in articles],
        times=np.where(np.isnan(published), arrival, published),
        published=published,
        lengths=np.array([len(t) for t in texts], dtype=np.int64),
        rep=np.full(len(articles), -1, np.int64),
        keys=band_keys(signatures, bands=bands, rows=rows),
        sets=sets,
        figures=figures,
        texts=texts,
        terms=made.terms,
    )


@dataclass(frozen=True, slots=True)
class Matches:
    """The verified pairs of a batch: ``nodes`` are the stored members met (first) and the batch (after).

    ``pairs`` are ``(i, j)`` indices into ``nodes`` with ``j`` in the batch (``j >= stored``);
    ``evidence`` holds their scores, ``pairs`` in (i, j) order: near-duplicates and updates
    (``evidence.is_update``).
    """

    nodes: Records
    stored: int
    evidence: Evidence
    candidates: int

    def duplicate_pairs(self, config: DedupConfig, store: Store) -> list[DuplicatePair]:
        """The pairs as :class:`DuplicatePair` results (with sentence coverage when ``config.coverage``)."""
        texts: list[str] = list(self.nodes.texts or [""] * len(self.nodes))  # stored ones: "" unless fetched
        coverage = None
        ev = self.evidence
        if config.coverage and ev.pairs.shape[0]:
            involved = _kernels.unique(ev.pairs)
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
        return pairs_from_evidence(
            ev, np.ones(ev.pairs.shape[0], bool), self.nodes.ids, texts, config, coverage=coverage
        )


def match_batch(
    batch: Records,
    store: Store,
    config: DedupConfig,
    *,
    window: float | None = None,
    members: BucketHits | None = None,
    counted: bool = False,
    chunk_pairs: int = 1 << 16,
) -> Matches:
    """Verify the batch's candidates among the store's bucket members and the batch itself.

    ``members`` are the batch's bucket hits when the caller has them already (a shared store returns
    them from the same atomic call that claims the batch); ``counted`` says the store's length and
    document frequency include the batch already.

    The store is read in two steps: the members of the batch's buckets with their times and figures
    (from memory where the store keeps them there), which turn away nearly every candidate; then the
    whole records of only the members left, for exact verification.
    """
    past = _Past.of(store, batch.keys, config.bucket_limit, members)
    stored_pairs = pairs_with_stored(batch.keys, past.hits, limit=config.bucket_limit)
    stream = candidate_chunks(batch.keys, limit=config.bucket_limit, chunk_pairs=chunk_pairs)
    own = list(stream)
    # Candidates index [members; batch]: k < n_members is the member member_seq[k], n_members + r the batch's row r.
    member_seq = _kernels.unique(stored_pairs[:, 0])
    screened_times, screened_figures = past.screen(member_seq)
    n_members = member_seq.shape[0]
    left = np.concatenate([np.searchsorted(member_seq, stored_pairs[:, 0])] + [n_members + p[:, 0] for p in own])
    right = np.concatenate([n_members + stored_pairs[:, 1]] + [n_members + p[:, 1] for p in own])
    candidates = np.stack((left, right), axis=1).astype(np.int64, copy=False)
    n_candidates = candidates.shape[0]
    times = np.concatenate((screened_times, batch.times))
    if window is not None and candidates.size:
        candidates = candidates[np.abs(times[candidates[:, 0]] - times[candidates[:, 1]]) <= window]
    if config.fact_agreement > 0 and candidates.size:
        figures = concat_batches([screened_figures, batch.figures])
        agree = fact_agreement(figures, candidates) >= config.fact_agreement
        if config.update_window > 0:  # dated pairs close in time go on: they may be updates (figures changed)
            # (a member's time is its published time or its arrival: the exact rule in verify asks for published)
            dated = np.where(np.concatenate((np.ones(n_members, bool), ~np.isnan(batch.published))), times, np.nan)
            agree |= updates.close_in_time(dated, candidates, config.update_window)
        candidates = candidates[agree]
    # The records of the members left, then the nodes: those members first, the batch after.
    kept = _kernels.unique(candidates[candidates[:, 0] < n_members, 0]) if candidates.size else np.empty(0, np.int64)
    stored = past.fetch(member_seq[kept])
    first_new = len(stored)
    renumber = np.full(n_members + len(batch), -1, np.int64)
    renumber[kept] = np.arange(first_new)
    renumber[n_members:] = first_new + np.arange(len(batch))
    candidates = renumber[candidates]
    if first_new:
        nodes = dataclasses.replace(
            concat_records(
                [
                    dataclasses.replace(stored, texts=None),
                    dataclasses.replace(
                        batch, texts=None, seq=batch.seq if batch.seq is not None else np.full(len(batch), -1, np.int64)
                    ),
                ]
            ),
            texts=[""] * first_new + list(batch.texts or [""] * len(batch)),
        )
    else:
        nodes = batch
    candidates = candidates[np.lexsort((candidates[:, 1], candidates[:, 0]))] if candidates.size else candidates
    # idf over the store and the batch: what a batch run over both would count; weighed only where a pair needs it.
    involved = _kernels.unique(candidates) if candidates.size else np.empty(0, np.int64)
    sets = _take(nodes.sets, involved)
    n_docs = len(store) + (0 if counted else len(batch))
    terms = _take(nodes.terms, involved) if nodes.terms is not None else None
    # Shingles and lead terms in one table (as every store counts them): one lookup, one round trip.
    asked = sets.hashes if terms is None else np.concatenate((sets.hashes, terms.hashes))
    counts = store.document_frequency(asked)
    if not counted:
        own = [batch.sets.hashes] + ([batch.terms.hashes] if terms is not None and batch.terms is not None else [])
        own_df = DocumentFrequency(capacity=sum(h.shape[0] for h in own))
        own_df.add(np.concatenate(own))
        counts = counts + own_df.lookup(asked)
    counts, term_df = counts[: sets.hashes.shape[0]], (counts[sets.hashes.shape[0] :] if terms is not None else None)
    weights = np.log((n_docs + config.idf_prior + 1.0) / (counts + 1.0))
    corpus = Corpus.from_sets(
        sets,
        _take(nodes.figures, involved),
        [],
        config,
        weights=weights,
        terms=terms,
        term_df=term_df,
        published=nodes.published[involved],
        n_docs=n_docs,
    )
    ev = evidence(corpus, np.searchsorted(involved, candidates), config)
    keep = np.flatnonzero(ev.is_duplicate | ev.is_update)
    ev = Evidence(**{name: getattr(ev, name)[keep] for name in ev.__dataclass_fields__})
    ev = dataclasses.replace(ev, pairs=candidates[keep])
    _fetch_texts(store, nodes, first_new, ev.pairs[ev.is_update])
    return Matches(nodes=nodes, stored=first_new, evidence=ev, candidates=n_candidates)


def _fetch_texts(store: Store, nodes: Records, stored: int, pairs: np.ndarray) -> None:
    """Put into ``nodes.texts`` the stored texts of the stored nodes of ``pairs`` (updates: to name the figures
    that changed), where the store keeps texts."""
    old = _kernels.unique(pairs) if pairs.size else np.empty(0, np.int64)
    old = old[old < stored]
    if not old.size or nodes.seq is None or nodes.texts is None:
        return
    fetched = store.fetch(nodes.seq[old], texts=True)
    by_seq = dict(zip(fetched.seq.tolist() if fetched.seq is not None else [], fetched.texts or ()))
    for k in old.tolist():
        nodes.texts[k] = by_seq.get(int(nodes.seq[k]), "") or ""  # type: ignore[index]


@dataclass(frozen=True, slots=True)
class _Past:
    """What :func:`match_batch` reads of a store: bucket hits, then times and figures, then whole records."""

    hits: BucketHits
    screen: Callable[[np.ndarray], tuple[np.ndarray, ShingleBatch]]
    fetch: Callable[[np.ndarray], Records]

    @classmethod
    def of(cls, store: Store, keys: np.ndarray, limit: int, members: BucketHits | None) -> _Past:
        # Buckets, times and figures in memory. (Not isinstance(store, ScreenedStore): before Python 3.12 that
        # reads every property of the protocol, and a Redis store's next_seq and clock are round trips.)
        if members is None and callable(getattr(type(store), "screen", None)):
            screened: ScreenedStore = store  # type: ignore[assignment]
            return cls(screened.bucket_hits(keys, limit=limit), screened.screen, screened.fetch)
        # A store that hands over the members' records with their buckets (Redis: in the call that found them).
        hits = members if members is not None else store.bucket_hits(keys, limit=limit)  # type: ignore[attr-defined]
        records = store.fetch(_kernels.unique(hits.seq))
        at = records.seq
        assert at is not None
        if at.shape[0] > 1 and (np.diff(at) <= 0).any():
            records = records.take(np.argsort(at, kind="stable"))
            at = records.seq
            assert at is not None
        hits = hits.among(at)  # members gone since they were posted (removed, expired) meet nothing

        def screen(seq: np.ndarray) -> tuple[np.ndarray, ShingleBatch]:
            rows = np.searchsorted(at, seq)
            return records.times[rows], _take(records.figures, rows)

        return cls(hits, screen, lambda seq: records.take(np.searchsorted(at, seq)))
