"""Verification of a whole batch (:func:`dedup.find_duplicates`): the batch's arrays kept by chunk, document
frequency over all of it, and candidate chunks verified in worker threads that share those arrays."""

from __future__ import annotations

import dataclasses
import itertools
from collections.abc import Iterable

import numpy as np

from . import _kernels, _pair_kernels, updates
from ._workers import ordered_map
from .config import DedupConfig
from .shingles import ShingleBatch, Shingled
from .store.base import _take, concat_batches
from .verify import Corpus, Evidence, coverage_of, evidence

__all__: list[str] = []


class _Chunks:
    """Shingle sets, figures and lead terms of a batch, kept as the per-chunk arrays they were made in."""

    def __init__(self) -> None:
        self.sets: list[ShingleBatch] = []
        self.figures: list[ShingleBatch] = []
        self.terms: list[ShingleBatch] = []
        self.first: list[int] = [0]  # index of each chunk's first document

    def append(self, made: Shingled) -> None:
        self.sets.append(made.shingles)
        self.figures.append(made.figures)
        self.terms.append(made.terms)
        self.first.append(self.first[-1] + len(made.shingles))

    def all_figures(self) -> ShingleBatch:
        """The figures of every document of the batch as one batch (a few hashes per article)."""
        return concat_batches(self.figures)

    def all_terms(self) -> ShingleBatch:
        """The lead terms of every document of the batch as one batch (at most ``LEAD_WINDOW`` per article)."""
        return concat_batches(self.terms)

    def gather(self, docs: np.ndarray, *, figures: bool = False) -> ShingleBatch:
        """The sets (or the figures) of the documents ``docs`` (sorted global indices), as one batch."""
        source = self.figures if figures else self.sets
        parts: list[np.ndarray] = []
        lengths: list[np.ndarray] = []
        bounds = np.searchsorted(docs, self.first)
        for k, (lo, hi) in enumerate(itertools.pairwise(bounds)):
            if lo == hi:
                continue
            local = docs[lo:hi] - self.first[k]
            batch = source[k]
            pos, _ = _kernels.gather_ranges(batch.offsets, local)
            parts.append(batch.hashes[pos])
            lengths.append(batch.offsets[local + 1] - batch.offsets[local])
        hashes = np.concatenate(parts) if parts else np.empty(0, np.uint32)
        sizes = np.concatenate(lengths) if lengths else np.empty(0, np.int64)
        return ShingleBatch(hashes, np.concatenate(([0], np.cumsum(sizes))).astype(np.int64))

    def document_frequency(self, *, piece: int = 1 << 24) -> tuple[np.ndarray, np.ndarray]:
        """How many documents of the batch hold each shingle hash (see :func:`_kernels.repeated_counts`).

        The hash space is cut into ranges of about ``piece`` hashes of the batch (2^24: 64 MB); each range is
        gathered from every chunk and sorted on its own, so the sort needs ``piece`` hashes of
        memory beside the sets, not a second copy of them. Ranges are disjoint and in order, so the
        tables of the ranges, concatenated, are sorted.
        """
        total = sum(batch.hashes.shape[0] for batch in self.sets)
        cuts = np.linspace(0, 1 << 32, max(1, -(-total // piece)) + 1).astype(np.uint64)
        tables, counts = [], []
        for lo, hi in itertools.pairwise(cuts):
            part = np.concatenate(
                [b.hashes[(b.hashes >= lo) & (b.hashes < hi)] for b in self.sets] or [np.empty(0, np.uint32)]
            )
            part.sort()
            table, count = _kernels.repeated_counts(part)
            tables.append(table)
            counts.append(count)
        return np.concatenate(tables), np.concatenate(counts)


class _Verifier:
    """What verifying a chunk of candidates needs of the batch; worker threads share it (read only)."""

    def __init__(self, chunks: _Chunks, n: int, texts: list[str], cfg: DedupConfig, published: np.ndarray) -> None:
        self.chunks, self.n, self.texts, self.cfg = chunks, n, texts, cfg
        self.published = published  # float seconds, NaN where unknown
        self.df = _pair_kernels.FrequencyIndex(*chunks.document_frequency())  # hashes in two or more documents
        self.figures = chunks.all_figures()
        self.sketches = _pair_kernels.figure_sketches(self.figures.hashes, self.figures.offsets)
        self.terms = chunks.all_terms()
        self.term_df = _pair_kernels.FrequencyIndex(*_kernels.repeated_counts(np.sort(self.terms.hashes)))
        chunks.figures = chunks.terms = []  # now in self.figures and self.terms only

    def __call__(self, candidates: np.ndarray) -> tuple[Evidence, tuple[np.ndarray, np.ndarray] | None]:
        """The verified pairs of one chunk of candidates, and their sentence coverage when ``coverage`` is on."""
        cfg, chunks = self.cfg, self.chunks
        # Figures first (a few per article): a pair whose figures disagree cannot be a near-duplicate.
        # (Pairs published close together go on: they may be updates, the same report with its figures changed.)
        if cfg.fact_agreement > 0:
            figures = self.figures
            agree = _pair_kernels.figures_agree(
                figures.hashes, figures.offsets, candidates, cfg.fact_agreement, self.sketches
            )
            if cfg.update_window > 0:  # both published, close together (a names check here cost more than it saved)
                agree |= updates.close_in_time(self.published, candidates, cfg.update_window)
            candidates = candidates[agree]
        # The rest is verified on the sets of just its documents.
        involved = _kernels.unique(candidates)
        sets, figures, terms = chunks.gather(involved), _take(self.figures, involved), _take(self.terms, involved)
        counts = self.df(sets.hashes)
        weights = np.log((self.n + cfg.idf_prior + 1.0) / (counts + 1.0))
        corpus = Corpus.from_sets(
            sets,
            figures,
            [],
            cfg,
            weights=weights,
            terms=terms,
            term_df=self.term_df(terms.hashes),
            published=self.published[involved],
            n_docs=self.n,
        )
        ev = evidence(corpus, np.searchsorted(involved, candidates), cfg)
        verified = _select(dataclasses.replace(ev, pairs=candidates), ev.is_duplicate | ev.is_update)
        return verified, coverage_of(verified.pairs, self.texts) if cfg.coverage else None


def _verify_all(
    verifier: _Verifier, stream: Iterable[np.ndarray]
) -> tuple[Evidence, tuple[np.ndarray, np.ndarray] | None]:
    """Verify a stream of candidate chunks, in ``workers`` threads (they share the verifier's arrays)."""
    parts = list(ordered_map(verifier, stream, workers=verifier.cfg.workers))
    ev, order = _concatenate([p[0] for p in parts])
    if not verifier.cfg.coverage:
        return ev, None
    cov = [np.concatenate([p[1][k] for p in parts if p[1] is not None] or [np.empty(0)])[order] for k in (0, 1)]
    return ev, (cov[0], cov[1])


def _select(ev: Evidence, which: np.ndarray) -> Evidence:
    """The pairs ``which`` (a mask or indices) of ``ev``, every field cut to them."""
    return Evidence(**{f.name: getattr(ev, f.name)[which] for f in dataclasses.fields(Evidence)})


def _concatenate(parts: list[Evidence]) -> tuple[Evidence, np.ndarray]:
    """One Evidence of several, in (a, b) order however the pairs were found, and that order."""
    if not parts:
        empty = {f.name: np.empty(0) for f in dataclasses.fields(Evidence)}
        ev = Evidence(
            **{
                **empty,
                "pairs": np.empty((0, 2), np.int64),
                "is_duplicate": np.empty(0, bool),
                "is_update": np.empty(0, bool),
            }
        )
        return ev, np.empty(0, np.int64)
    ev = Evidence(**{f.name: np.concatenate([getattr(e, f.name) for e in parts]) for f in dataclasses.fields(Evidence)})
    order = np.lexsort((ev.pairs[:, 1], ev.pairs[:, 0]))
    return _select(ev, order), order
