"""What the checks before verification need of every stored article, in memory: its time and figures.

A batch meets tens of stored articles per article in its buckets (the ``bucket_limit`` latest of
each of its buckets), and the time window and the figures (a few hashes per article) turn away
nearly all of them before exact verification. Answering those two checks from memory means a
store reads the shingle sets of only the members that pass: on 100,000 articles of the grown
Reuters corpus, about 1,200 of the 45,000 members a batch of 4,096 meets.

Kept per time generation, as the bucket index is, and dropped with it; within a generation, the
batches added are runs in seq order, merged as a log-structured merge tree merges (a run is joined
to the one before it once it is at least half its size), so a lookup is a binary search per run.
Memory: 24 bytes (seq, time, offset) plus 4 per figure per article.
"""

from __future__ import annotations

import numpy as np

from .. import _kernels
from ..shingles import ShingleBatch
from .base import _take

__all__ = ["ScreenIndex"]

_Run = tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]  # seq, times (float32 would lose seconds), offsets, hashes


class ScreenIndex:
    """Times and figures of stored articles, by seq, grouped by generation."""

    def __init__(self) -> None:
        self._runs: dict[int, list[_Run]] = {}

    @property
    def nbytes(self) -> int:
        return sum(sum(a.nbytes for a in run) for runs in self._runs.values() for run in runs)

    def add(self, seq: np.ndarray, times: np.ndarray, figures: ShingleBatch, generation: np.ndarray) -> None:
        """Remember articles ``seq`` (increasing, newer than any before) with their times and figure sets."""
        seq = np.asarray(seq, dtype=np.int64)
        for g in _kernels.unique(generation).tolist():
            rows = np.flatnonzero(generation == g)
            mine = _take(figures, rows)
            self._push(g, (seq[rows], np.asarray(times, dtype=float)[rows], mine.offsets, mine.hashes))

    def _push(self, g: int, run: _Run) -> None:
        runs = self._runs.setdefault(g, [])
        runs.append(run)
        while len(runs) > 1 and runs[-1][0].shape[0] * 2 >= runs[-2][0].shape[0]:
            (s1, t1, o1, h1), (s2, t2, o2, h2) = runs[-2], runs.pop()
            runs[-1] = (
                np.concatenate((s1, s2)),
                np.concatenate((t1, t2)),
                np.concatenate((o1, o2[1:] + o1[-1])),
                np.concatenate((h1, h2)),
            )  # seqs stay in order

    def lookup(self, seq: np.ndarray) -> tuple[np.ndarray, ShingleBatch]:
        """The times and figures of the articles ``seq`` (any order; every one stored), in that order."""
        seq = np.asarray(seq, dtype=np.int64)
        times = np.full(seq.shape[0], np.nan)
        run_of = np.full(seq.shape[0], -1, np.int64)
        row_of = np.zeros(seq.shape[0], np.int64)
        runs = [run for g in sorted(self._runs) for run in self._runs[g]]
        for k, (run_seq, run_times, _, _) in enumerate(runs):
            at = np.minimum(np.searchsorted(run_seq, seq), max(run_seq.shape[0] - 1, 0))
            hit = run_seq[at] == seq if run_seq.shape[0] else np.zeros(seq.shape[0], bool)
            run_of[hit], row_of[hit], times[hit] = k, at[hit], run_times[at[hit]]
        if (run_of < 0).any():
            raise KeyError(f"seq {int(seq[np.argmax(run_of < 0)])} is not stored")
        sizes = np.zeros(seq.shape[0], np.int64)
        parts: list[tuple[np.ndarray, np.ndarray]] = []  # (positions in the output, hashes) per run
        for k, (_, _, offsets, hashes) in enumerate(runs):
            mine = np.flatnonzero(run_of == k)
            if mine.size:
                rows = row_of[mine]
                sizes[mine] = offsets[rows + 1] - offsets[rows]
                pos, _ = _kernels.gather_ranges(offsets, rows)
                parts.append((mine, hashes[pos]))
        out_offsets = np.zeros(seq.shape[0] + 1, np.int64)
        np.cumsum(sizes, out=out_offsets[1:])
        out = np.empty(int(out_offsets[-1]), np.uint32)
        for mine, found in parts:
            pos, _ = _kernels.gather_ranges(out_offsets, mine)
            out[pos] = found
        return times, ShingleBatch(out, out_offsets)

    def drop_generation(self, g: int) -> None:
        self._runs.pop(g, None)
