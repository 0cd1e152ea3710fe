"""Document frequency of shingle hashes as an open-addressing hash table (numba kernels).

A store keeps, for every shingle hash of the articles it holds, how many of them contain it, and
must add a batch, subtract an evicted generation and look a batch up in time proportional to the
batch, not to the store: a Python dict of tens of millions of ints would take gigabytes, a sorted
numpy array a merge of the whole table per batch. Each slot is one uint64, the hash in the high
32 bits and the count in the low 32 (one cache miss per probe); linear probing; a count that falls
to zero keeps its slot until the table is rebuilt, so lookups never need tombstones. The
plain-Python reference is a ``collections.Counter`` (tests).
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = ["DocumentFrequency"]

_EMPTY = np.uint64(0xFFFFFFFFFFFFFFFF)  # a slot never used (no real slot has count 2**32 - 1)


def _jit(fn):  # type: ignore[no-untyped-def]
    try:
        return numba.njit(cache=True, nogil=True)(fn)
    except RuntimeError:  # pragma: no cover - no writable cache location at all
        return numba.njit(nogil=True)(fn)


@_jit
def _update(slots, hashes, delta):  # type: ignore[no-untyped-def]
    """Add ``delta`` (+1, -1 or 0) to the count of every hash (a hash may repeat); return how many new slots were used."""
    mask = slots.shape[0] - 1
    empty = np.uint64(0xFFFFFFFFFFFFFFFF)
    low = np.uint64(0xFFFFFFFF)
    used = 0
    for h in hashes:
        key = np.uint64(h)
        slot = np.int64(((key * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)) & np.uint64(mask))
        while True:
            value = slots[slot]
            if value == empty:
                if delta >= 0:  # a hash never added is never subtracted
                    slots[slot] = (key << np.uint64(32)) | np.uint64(delta)
                    used += 1
                break
            if (value >> np.uint64(32)) == key:
                count = np.int64(value & low) + delta
                slots[slot] = (key << np.uint64(32)) | np.uint64(max(count, 0))
                break
            slot = (slot + 1) & mask
    return used


@_jit
def _lookup(slots, hashes, out):  # type: ignore[no-untyped-def]
    mask = slots.shape[0] - 1
    empty = np.uint64(0xFFFFFFFFFFFFFFFF)
    low = np.uint64(0xFFFFFFFF)
    for k in range(hashes.shape[0]):
        key = np.uint64(hashes[k])
        slot = np.int64(((key * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)) & np.uint64(mask))
        found = 0
        while True:
            value = slots[slot]
            if value == empty:
                break
            if (value >> np.uint64(32)) == key:
                found = np.int64(value & low)
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
        self._slots = np.full(self._size(capacity), _EMPTY, np.uint64)
        self._used = 0
        self._subtracted = 0  # hashes uncounted since live slots were last counted

    @staticmethod
    def _size(need: int) -> int:
        return 1 << max(4, (2 * int(need) + 1).bit_length())  # at most half full

    def __len__(self) -> int:
        """Distinct hashes with a count above zero."""
        live = self._slots != _EMPTY
        return int(np.count_nonzero(live & ((self._slots & np.uint64(0xFFFFFFFF)) > 0)))

    @property
    def nbytes(self) -> int:
        return int(self._slots.nbytes)

    def add(self, hashes: np.ndarray, delta: int = 1) -> None:
        """Count each element of ``hashes`` (the concatenated sets of a batch: one per document holding it)."""
        hashes = np.ascontiguousarray(hashes, dtype=np.uint32)
        if hashes.size == 0:
            return
        if delta > 0 and (self._used + hashes.shape[0]) * 2 > self._slots.shape[0]:
            self._rebuild(self._used + hashes.shape[0])  # used slots bound the live ones: no count of the table
        self._used += int(_update(self._slots, hashes, np.int64(delta)))

    def subtract(self, hashes: np.ndarray) -> None:
        """Uncount the hashes of documents that leave (each must have been added)."""
        self.add(hashes, delta=-1)
        self._subtracted += int(hashes.shape[0])
        if self._subtracted * 4 > self._used:  # counting live slots costs the table: only once much has left
            self._subtracted = 0
            live = len(self)
            if self._used > 64 and live * 4 < self._used:  # mostly zeros left: compact
                self._rebuild(live)

    def lookup(self, hashes: np.ndarray) -> np.ndarray:
        """The count of every element of ``hashes`` (0 for a hash never seen), int64."""
        hashes = np.ascontiguousarray(hashes, dtype=np.uint32)
        out = np.empty(hashes.shape[0], np.int64)
        if hashes.size:
            _lookup(self._slots, hashes, out)
        return out

    def _rebuild(self, need: int) -> None:
        old = self._slots[(self._slots != _EMPTY) & ((self._slots & np.uint64(0xFFFFFFFF)) > 0)]
        self._slots = np.full(self._size(need), _EMPTY, np.uint64)
        self._used = old.shape[0]
        if old.size:
            _reinsert(self._slots, old)


@_jit
def _reinsert(slots, values):  # type: ignore[no-untyped-def]
    mask = slots.shape[0] - 1
    empty = np.uint64(0xFFFFFFFFFFFFFFFF)
    for value in values:
        key = value >> np.uint64(32)
        slot = np.int64(((key * np.uint64(0x9E3779B97F4A7C15)) >> np.uint64(32)) & np.uint64(mask))
        while slots[slot] != empty:
            slot = (slot + 1) & mask
        slots[slot] = value
