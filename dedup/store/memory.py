"""The in-memory store: what :class:`dedup.Deduplicator` uses unless given an index file."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .._dftable import DocumentFrequency
from ..shingles import ShingleBatch
from ._buckets import BucketHits, BucketIndex
from ._screen import ScreenIndex
from .base import Records, concat_records, generation_of

__all__ = ["MemoryStore"]


class MemoryStore:
    """Articles kept in memory, in the batches they were added in, with the same bucket index as on disk.

    Time generations (``generation_seconds``) group the articles for eviction.
    """

    def __init__(self, settings: Mapping[str, Any], *, generation_seconds: float = 0.0) -> None:
        self.settings: Mapping[str, Any] = dict(settings)
        self.bands = int(self.settings["bands"])
        self.generation_seconds = float(generation_seconds)
        self._buckets = BucketIndex()
        self._screen = ScreenIndex()
        self._rows: dict[int, tuple[Records, int]] = {}  # seq -> (its batch, row in it)
        self._seq_of: dict[str, int] = {}
        self._generations: dict[int, list[int]] = {}
        self._df = DocumentFrequency()
        self._next = 0
        self._clock = -np.inf

    def __len__(self) -> int:
        return len(self._seq_of)

    @property
    def next_seq(self) -> int:
        return self._next

    @property
    def clock(self) -> float:
        return float(self._clock)

    def contains_many(self, ids: Sequence[str]) -> np.ndarray:
        return np.array([i in self._seq_of for i in ids], dtype=bool)

    def add_many(self, records: Records) -> np.ndarray:
        n = len(records)
        seq = np.arange(self._next, self._next + n, dtype=np.int64)
        self._next += n
        stored = dataclasses.replace(records, seq=seq)
        gens = generation_of(records.times, self.generation_seconds)
        for row, (s, article_id, g) in enumerate(zip(seq.tolist(), records.ids, gens.tolist())):
            self._rows[s] = (stored, row)
            self._seq_of[article_id] = s
            self._generations.setdefault(g, []).append(s)
        self._buckets.add(records.keys, seq, gens)
        self._screen.add(seq, records.times, records.figures, gens)
        self._df.add(records.sets.hashes)
        if records.terms is not None:  # lead terms share the frequency table (their hashes are another space)
            self._df.add(records.terms.hashes)
        if n:
            self._clock = max(self._clock, float(np.nanmax(records.times)))
        return seq

    def bucket_members(self, keys: np.ndarray, *, limit: int) -> np.ndarray:
        return self._buckets.members(keys, limit=limit)

    def bucket_hits(self, keys: np.ndarray, *, limit: int) -> BucketHits:
        return self._buckets.hits(keys, limit=limit)

    def screen(self, seq: np.ndarray) -> tuple[np.ndarray, ShingleBatch]:
        return self._screen.lookup(seq)

    def fetch(self, seq: np.ndarray, *, texts: bool = False) -> Records:
        """The records of ``seq`` (sorted), taken batch by batch."""
        seq = np.asarray(seq, dtype=np.int64)
        if seq.size == 0:
            return _empty(self.bands)
        located = [self._rows[s] for s in seq.tolist()]
        parts, start = [], 0
        for k in range(1, len(located) + 1):  # runs of consecutive seqs from one batch
            if k == len(located) or located[k][0] is not located[start][0]:
                batch = located[start][0]
                part = batch.take(np.array([row for _, row in located[start:k]], dtype=np.int64))
                parts.append(part if texts else dataclasses.replace(part, texts=None))
                start = k
        return concat_records(parts)

    def document_frequency(self, hashes: np.ndarray) -> np.ndarray:
        return self._df.lookup(hashes)

    def _drop(self, seqs: list[int]) -> None:
        gone = []
        for s in seqs:
            batch, row = self._rows.pop(s)
            del self._seq_of[batch.ids[row]]
            gone.append(batch.sets.doc(row))
            if batch.terms is not None:
                gone.append(batch.terms.doc(row))
        if gone:
            self._df.subtract(np.concatenate(gone))

    def remove_many(self, ids: Sequence[str]) -> int:
        seqs = [self._seq_of[i] for i in ids if i in self._seq_of]
        self._drop(seqs)
        self._buckets.remove(np.array(seqs, dtype=np.int64))
        gone = set(seqs)
        for g, members in list(self._generations.items()):
            self._generations[g] = [s for s in members if s not in gone]
        return len(seqs)

    def evict_before(self, time: float) -> int:
        if self.generation_seconds <= 0:
            return 0
        evicted = 0
        for g in sorted(self._generations):
            if (g + 1) * self.generation_seconds > time:
                break
            members = self._generations.pop(g)
            self._drop(members)
            self._buckets.drop_generation(g)
            self._screen.drop_generation(g)
            evicted += len(members)
        return evicted

    def commit(self) -> None:
        return None

    def close(self) -> None:
        return None


def _empty(bands: int) -> Records:
    from ..shingles import ShingleBatch

    nothing = ShingleBatch(np.empty(0, np.uint32), np.zeros(1, np.int64))
    return Records(
        ids=[],
        times=np.empty(0),
        published=np.empty(0),
        lengths=np.empty(0, np.int64),
        rep=np.empty(0, np.int64),
        keys=np.empty((0, bands), np.uint64),
        sets=nothing,
        figures=nothing,
        texts=[],
        seq=np.empty(0, np.int64),
        terms=nothing,
    )
