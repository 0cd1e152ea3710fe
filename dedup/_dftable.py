"""Document frequency of shingle hashes as an open-addressing hash table (numba kernels).

A store keeps, for every shingle hash of the articles it holds, how many of them contain it, and
must add a batch, subtract an evicted generation and look a batch up in time proportional to the
batch, not to the store: a Python dict of tens of millions of ints would take gigabytes, a sorted
numpy array a merge of the whole table per batch. The table is two arrays (keys, counts) with
linear probing; a count that falls to zero keeps its slot until the table is rebuilt, so lookups
never need tombstones. The plain-Python reference is a ``collections.Counter`` (tests).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["DocumentFrequency"]

_EMPTY = np.int32(-1)  # count of a slot never used


def _jit(fn):  # type: ignore[no-untyped-def]
    try:
        return numba.njit(cache=True, nogil=True)(fn)
    except RuntimeError:  # pragma: no cover - no writable cache location at all
        return numba.njit(nogil=True)(fn)


@_jit
def _update(keys, counts, hashes, delta):  # type: ignore[no-untyped-def]
    """Add ``delta`` to the count of every hash (a hash may repeat); return how many new slots were used."""
    mask = keys.shape[0] - 1
    used = 0
    for h in hashes:
        slot = (np.uint64(h) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)
        slot = np.int64(slot) & mask
        while True:
            c = counts[slot]
            if c == -1:
                if delta >= 0:  # a hash never added is never subtracted
                    keys[slot] = h
                    counts[slot] = delta
                    used += 1
                break
            if keys[slot] == h:
                counts[slot] = c + delta
                break
            slot = (slot + 1) & mask
    return used


@_jit
def _lookup(keys, counts, hashes, out):  # type: ignore[no-untyped-def]
    mask = keys.shape[0] - 1
    for k in range(hashes.shape[0]):
        h = hashes[k]
        slot = (np.uint64(h) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)
        slot = np.int64(slot) & mask
        found = 0
        while True:
            c = counts[slot]
            if c == -1:
                break
            if keys[slot] == h:
                found = c
                break
            slot = (slot + 1) & mask
        out[k] = found


class DocumentFrequency:
    """How many stored documents hold each shingle hash; batches in, batches out.

    >>> df = DocumentFrequency()
    >>> df.add(np.array([7, 9, 7], dtype=np.uint32))
    >>> df.lookup(np.array([7, 9, 8], dtype=np.uint32)).tolist()
    [2, 1, 0]
    """

    def __init__(self, capacity: int = 1 << 16) -> None:
        size = 1 << max(4, (int(capacity) - 1).bit_length())
        self._keys = np.zeros(size, np.uint32)
        self._counts = np.full(size, _EMPTY, np.int32)
        self._used = 0

    def __len__(self) -> int:
        """Distinct hashes with a count above zero."""
        return int(np.count_nonzero(self._counts > 0))

    @property
    def nbytes(self) -> int:
        return int(self._keys.nbytes + self._counts.nbytes)

    def add(self, hashes: np.ndarray, delta: int = 1) -> None:
        """Count each element of ``hashes`` (the concatenated sets of a batch: one per document holding it)."""
        hashes = np.ascontiguousarray(hashes, dtype=np.uint32)
        if hashes.size == 0:
            return
        if delta > 0 and (self._used + hashes.shape[0]) * 2 > self._keys.shape[0]:
            self._rebuild(self._used + hashes.shape[0])
        self._used += int(_update(self._keys, self._counts, hashes, np.int32(delta)))

    def subtract(self, hashes: np.ndarray) -> None:
        """Uncount the hashes of documents that leave (each must have been added)."""
        self.add(hashes, delta=-1)
        if self._used > 64 and len(self) * 4 < self._used:  # mostly zeros left: compact
            self._rebuild(len(self))

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """The count of every element of ``hashes`` (0 for a hash never seen), int64."""
        hashes = np.ascontiguousarray(hashes, dtype=np.uint32)
        out = np.empty(hashes.shape[0], np.int32)
        if hashes.size:
            _lookup(self._keys, self._counts, hashes, out)
        return out.astype(np.int64)

    def _rebuild(self, need: int) -> None:
        live = self._counts > 0
        keys, counts = self._keys[live], self._counts[live]
        size = 1 << max(4, (2 * int(need) + 1).bit_length())
        self._keys = np.zeros(size, np.uint32)
        self._counts = np.full(size, _EMPTY, np.int32)
        self._used = 0
        if keys.size:
            # Re-insert each live hash once, then set its count.
            self._used = int(_update(self._keys, self._counts, keys, np.int32(0)))
            _set_counts(self._keys, self._counts, keys, counts)


@_jit
def _set_counts(keys, counts, hashes, values):  # type: ignore[no-untyped-def]
    mask = keys.shape[0] - 1
    for k in range(hashes.shape[0]):
        h = hashes[k]
        slot = (np.uint64(h) * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)
        slot = np.int64(slot) & mask
        while keys[slot] != h or counts[slot] == -1:
            slot = (slot + 1) & mask
        counts[slot] = values[k]
