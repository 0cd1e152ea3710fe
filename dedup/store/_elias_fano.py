"""Elias–Fano coding of sorted distinct uint32 sets, many at once: the shingle sets of Redis records.

A set of ``n`` values is stored in ``3 * n + bitmap_bytes(n)`` bytes (about 3.4 a value at a hundred
values, instead of 4): the low 24 bits of each value as 3 bytes (little-endian), then the high 8
bits as a unary bitmap of ``n + 256`` bits (rounded up to whole bytes, least significant bit
first), where the ``k``-th value (from 0) sets bit ``high + k``. The ``k``-th set bit of the bitmap
is then at ``high_k + k``: its position minus its rank is the high byte. Only sorted distinct sets
can be coded (:func:`sorted_distinct` tells which are); every function works on a whole batch,
concatenated, with no loop over values.
"""

from __future__ import annotations

import numpy as np

__all__ = ["bitmap_bytes", "decode", "encode", "sorted_distinct"]

_HIGH = 256  # values of the high byte: the bitmap has n + 256 bits


def bitmap_bytes(n: np.ndarray) -> np.ndarray:
    """Bytes of the high-bits bitmap of sets of ``n`` values (int64)."""
    return (np.asarray(n, dtype=np.int64) + _HIGH + 7) // 8


def sorted_distinct(hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Per set (``offsets``, n + 1 int64), whether its values are strictly increasing (bool, shape (n,))."""
    offsets = np.asarray(offsets, dtype=np.int64)
    n = offsets.shape[0] - 1
    if hashes.shape[0] < 2:
        return np.ones(n, bool)
    wrong = np.flatnonzero(np.diff(hashes.astype(np.int64)) <= 0) + 1  # value i no greater than value i - 1
    wrong = wrong[~np.isin(wrong, offsets)]  # ... within one set (not the first value of the next)
    ok = np.ones(n, bool)
    ok[np.searchsorted(offsets, wrong, side="right") - 1] = False
    return ok


def encode(hashes: np.ndarray, offsets: np.ndarray) -> tuple[bytes, bytes]:
    """The low bytes (3 per value, set after set) and the bitmaps (``bitmap_bytes`` per set) of every set.

    Set ``i`` owns ``lows[3 * offsets[i] : 3 * offsets[i + 1]]`` and the bytes of its bitmap at the
    cumulative sum of ``bitmap_bytes`` of the sets before it. The sets must be sorted distinct.
    """
    values = np.ascontiguousarray(hashes, dtype="<u4")
    offsets = np.asarray(offsets, dtype=np.int64)
    sizes = np.diff(offsets)
    lows = values.view(np.uint8).reshape(-1, 4)[:, :3].tobytes()
    widths = bitmap_bytes(sizes)
    starts = np.concatenate(([0], np.cumsum(widths)))
    rank = np.arange(values.shape[0], dtype=np.int64) - np.repeat(offsets[:-1], sizes)
    bit = 8 * np.repeat(starts[:-1], sizes) + (values >> 24).astype(np.int64) + rank
    bits = np.zeros(8 * int(starts[-1]), np.uint8)
    bits[bit] = 1
    return lows, np.packbits(bits, bitorder="little").tobytes()


def decode(sizes: np.ndarray, lows: bytes, bitmaps: bytes) -> np.ndarray:
    """The values (uint32, set after set) of sets of ``sizes`` values coded by :func:`encode`.

    ``lows`` and ``bitmaps`` are the sets' low bytes and bitmaps, concatenated in the same order.
    """
    sizes = np.asarray(sizes, dtype=np.int64)
    total = int(sizes.sum())
    low = np.frombuffer(lows, np.uint8).reshape(-1, 3).astype(np.uint32)
    if low.shape[0] != total:
        raise ValueError(f"Elias-Fano sets of {total} values with {low.shape[0]} low parts")
    bits = np.unpackbits(np.frombuffer(bitmaps, np.uint8), bitorder="little").view(bool)  # as bool: 7x faster nonzero
    ones = np.flatnonzero(bits)
    if ones.shape[0] != total:
        raise ValueError(f"Elias-Fano sets of {total} values with {ones.shape[0]} bits set in their bitmaps")
    starts = 8 * np.concatenate(([0], np.cumsum(bitmap_bytes(sizes))))[:-1]
    first = np.concatenate(([0], np.cumsum(sizes)))[:-1]
    high = ones - np.repeat(starts, sizes) - (np.arange(total, dtype=np.int64) - np.repeat(first, sizes))
    if total and (high.min() < 0 or high.max() >= _HIGH):
        raise ValueError("Elias-Fano bitmaps whose set bits do not match their sets' sizes")
    return (
        (high.astype(np.uint32) << np.uint32(24))
        | low[:, 0]
        | (low[:, 1] << np.uint32(8))
        | (low[:, 2] << np.uint32(16))
    )
