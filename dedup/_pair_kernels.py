"""Compiled (numba) kernels of the candidate and verify stages: one pass per pair, no sort.

Each is the fast path of a numpy reference that stays in :mod:`dedup._kernels` or
:mod:`dedup.candidates`, and gives the same numbers bit for bit (the tests compare them):

- :func:`intersections` / :func:`weighted_intersections`: ``|S_i & S_j|`` (and the total weight
  of the common elements) by merging the two sorted sets of each pair, where
  :func:`dedup._kernels.pair_intersections` concatenates and sorts them. Weights are added in
  increasing hash order, the order in which the reference's ``bincount`` adds them, so the
  floating-point sums are the same.
- :func:`figures_agree`: ``fact_agreement(...) >= threshold`` of :mod:`dedup.verify` without the
  exact agreement: a 128-bit sketch per document (one bit per figure) bounds the common figures
  from above, so most pairs are decided from two 32-byte rows, the rest by a merge that stops
  once the figures left cannot reach the threshold.
- :class:`FrequencyIndex`: document frequency of each hash from the table of
  :func:`dedup._kernels.repeated_counts` through a directory by the high bits of the hash (two
  memory reads per hash), where :func:`dedup._kernels.frequency_lookup` sorts each block first.
- :func:`emitted_before`: whether the bounded-bucket rule already paired ``(i, j)`` in an earlier
  band, reading each document's row of band keys once per pair and stopping at the first match,
  where the numpy reference makes one gather per earlier band over the whole chunk.
- :func:`star_centers`: the visit of :func:`dedup.cluster.star_clusters` in one compiled loop, where
  the reference makes a few small numpy calls per article with a verified pair.

Compiled on first use and cached on disk (``cache=True``), as :mod:`dedup._tokenizer` is.
"""

from __future__ import annotations

import numba
import numpy as np

__all__ = [
    "FrequencyIndex",
    "emitted_before",
    "figure_sketches",
    "figures_agree",
    "intersections",
    "star_centers",
    "weighted_intersections",
]


def _jit(fn):  # type: ignore[no-untyped-def]
    try:
        return numba.njit(cache=True, nogil=True)(fn)
    except RuntimeError:  # pragma: no cover - no writable cache location at all: compile per process
        return numba.njit(nogil=True)(fn)


@_jit
def _intersections(hashes, offsets, pairs, out):  # type: ignore[no-untyped-def]
    for k in range(pairs.shape[0]):
        i, j = pairs[k, 0], pairs[k, 1]
        p, pe = offsets[i], offsets[i + 1]
        q, qe = offsets[j], offsets[j + 1]
        count = 0
        while p < pe and q < qe:
            a, b = hashes[p], hashes[q]
            if a == b:
                count += 1
                p += 1
                q += 1
            elif a < b:
                p += 1
            else:
                q += 1
        out[k] = count


@_jit
def _popcount(x):  # type: ignore[no-untyped-def]
    x = x - ((x >> np.uint64(1)) & np.uint64(0x5555555555555555))
    x = (x & np.uint64(0x3333333333333333)) + ((x >> np.uint64(2)) & np.uint64(0x3333333333333333))
    x = (x + (x >> np.uint64(4))) & np.uint64(0x0F0F0F0F0F0F0F0F)
    return (x * np.uint64(0x0101010101010101)) >> np.uint64(56)


@_jit
def _figure_sketches(hashes, offsets, out):  # type: ignore[no-untyped-def]
    for d in range(offsets.shape[0] - 1):
        w0 = np.uint64(0)
        w1 = np.uint64(0)
        for p in range(offsets[d], offsets[d + 1]):
            bit = np.uint64(hashes[p] & np.uint32(127))
            if bit < 64:
                w0 |= np.uint64(1) << bit
            else:
                w1 |= np.uint64(1) << (bit - np.uint64(64))
        out[d, 0] = w0
        out[d, 1] = w1
        out[d, 2] = offsets[d + 1] - offsets[d]


@_jit
def _figures_agree(hashes, offsets, sketches, pairs, threshold, out):  # type: ignore[no-untyped-def]
    for k in range(pairs.shape[0]):
        i, j = pairs[k, 0], pairs[k, 1]
        na, nb = np.int64(sketches[i, 2]), np.int64(sketches[j, 2])
        fewer = min(na, nb)
        if fewer == 0:
            out[k] = 1.0 >= threshold
            continue
        # need: the least count whose agreement count / fewer (float64, as the reference divides) reaches it.
        need = max(int(threshold * fewer) - 1, 0)
        while need <= fewer and need / fewer < threshold:
            need += 1
        # A bit set for a but not for b stands for at least one figure of a that b lacks.
        a0, a1, b0, b1 = sketches[i, 0], sketches[i, 1], sketches[j, 0], sketches[j, 1]
        only_a = np.int64(_popcount(a0 & ~b0) + _popcount(a1 & ~b1))
        only_b = np.int64(_popcount(b0 & ~a0) + _popcount(b1 & ~a1))
        if min(na - only_a, nb - only_b) < need:
            continue
        p, pe = offsets[i], offsets[i + 1]
        q, qe = offsets[j], offsets[j + 1]
        count = 0
        while p < pe and q < qe and count + min(pe - p, qe - q) >= need:
            a, b = hashes[p], hashes[q]
            count += a == b
            p += a <= b
            q += b <= a
        out[k] = count >= need


@_jit
def _weighted_intersections(hashes, offsets, weights, pairs, inter, inter_w):  # type: ignore[no-untyped-def]
    for k in range(pairs.shape[0]):
        i, j = pairs[k, 0], pairs[k, 1]
        p, pe = offsets[i], offsets[i + 1]
        q, qe = offsets[j], offsets[j + 1]
        count = 0
        total = 0.0
        while p < pe and q < qe:
            a, b = hashes[p], hashes[q]
            if a == b:
                count += 1
                total += weights[p]
                p += 1
                q += 1
            elif a < b:
                p += 1
            else:
                q += 1
        inter[k] = count
        inter_w[k] = total


@_jit
def _emitted_before(keys, ranks, pairs, band, limit, out):  # type: ignore[no-untyped-def]
    for k in range(pairs.shape[0]):
        i, j = pairs[k, 0], pairs[k, 1]
        for earlier in range(band):
            if keys[i, earlier] == keys[j, earlier] and ranks[j, earlier] - ranks[i, earlier] <= limit:
                out[k] = True
                break


def intersections(hashes: np.ndarray, offsets: np.ndarray, pairs: np.ndarray) -> np.ndarray:
    """``|S_i & S_j|`` (int64) for every pair ``(i, j)`` of sorted, repeat-free sets ``hashes[offsets[d]:offsets[d + 1]]``."""
    pairs = np.ascontiguousarray(pairs, dtype=np.int64).reshape(-1, 2)
    out = np.zeros(pairs.shape[0], np.int64)
    if pairs.shape[0]:
        _intersections(hashes, np.asarray(offsets, dtype=np.int64), pairs, out)
    return out


def figure_sketches(hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """One 32-byte row per document for :func:`figures_agree`: a 128-bit set of ``hash & 127`` over its
    figures, and their number."""
    out = np.zeros((offsets.shape[0] - 1, 4), np.uint64)
    if out.shape[0]:
        _figure_sketches(hashes, np.asarray(offsets, dtype=np.int64), out)
    return out


def figures_agree(
    hashes: np.ndarray, offsets: np.ndarray, pairs: np.ndarray, threshold: float, sketches: np.ndarray | None = None
) -> np.ndarray:
    """Whether ``verify.fact_agreement`` of each pair is at least ``threshold`` (the same booleans);
    ``sketches`` from :func:`figure_sketches` of the same figures (made here when not given)."""
    pairs = np.ascontiguousarray(pairs, dtype=np.int64).reshape(-1, 2)
    out = np.zeros(pairs.shape[0], np.bool_)
    if pairs.shape[0]:
        if sketches is None:
            sketches = figure_sketches(hashes, offsets)
        _figures_agree(hashes, np.asarray(offsets, dtype=np.int64), sketches, pairs, float(threshold), out)
    return out


def weighted_intersections(
    hashes: np.ndarray, offsets: np.ndarray, weights: np.ndarray, pairs: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Size and total weight of ``S_i & S_j`` for every pair, as :func:`dedup._kernels.pair_intersections` gives them."""
    pairs = np.ascontiguousarray(pairs, dtype=np.int64).reshape(-1, 2)
    inter = np.zeros(pairs.shape[0], np.int64)
    inter_w = np.zeros(pairs.shape[0], np.float64)
    if pairs.shape[0]:
        _weighted_intersections(
            hashes, np.asarray(offsets, dtype=np.int64), np.asarray(weights, dtype=np.float64), pairs, inter, inter_w
        )
    return inter, inter_w


def emitted_before(keys: np.ndarray, ranks: np.ndarray, pairs: np.ndarray, band: int, limit: int) -> np.ndarray:
    """Whether each pair was already paired by the rule in one of the bands before ``band``
    (the fast path of :func:`dedup.candidates._emitted_before`)."""
    out = np.zeros(pairs.shape[0], np.bool_)
    if pairs.shape[0] and band:
        _emitted_before(keys, ranks, np.ascontiguousarray(pairs, dtype=np.int64), int(band), int(limit), out)
    return out


@_jit
def _lookup(table, counts, directory, shift, hashes, out):  # type: ignore[no-untyped-def]
    for k in range(hashes.shape[0]):
        h = hashes[k]
        b = h >> shift
        c = 1
        for p in range(directory[b], directory[b + 1]):
            if table[p] == h:
                c = counts[p]
                break
        out[k] = c


class FrequencyIndex:
    """Document frequencies from ``(table, counts)`` of :func:`dedup._kernels.repeated_counts` (a hash not
    in the table has frequency 1), looked up through a directory of the table's positions by the high
    ``bits`` bits of the hash: about two table entries per directory slot, so a lookup reads one slot
    and one or two entries.
    """

    def __init__(self, table: np.ndarray, counts: np.ndarray) -> None:
        self.table = np.ascontiguousarray(table, dtype=np.uint32)
        self.counts = np.ascontiguousarray(counts, dtype=np.int32)
        bits = int(min(max(int(self.table.shape[0]).bit_length() - 1, 1), 30))
        self.shift = np.uint32(32 - bits)
        starts = np.arange(1 << bits, dtype=np.uint64) << np.uint64(32 - bits)
        directory = np.searchsorted(self.table, starts.astype(np.uint32))  # bits <= 30: no overflow
        dtype = np.int32 if self.table.shape[0] < (1 << 31) else np.int64
        self.directory = np.append(directory, self.table.shape[0]).astype(dtype)

    def __call__(self, hashes: np.ndarray) -> np.ndarray:
        """Document frequency (int64) of each of ``hashes`` (uint32), as :func:`dedup._kernels.frequency_lookup` gives it."""
        hashes = np.ascontiguousarray(hashes, dtype=np.uint32)
        out = np.ones(hashes.shape[0], np.int64)
        if hashes.shape[0] and self.table.shape[0]:
            _lookup(self.table, self.counts, self.directory, self.shift, hashes, out)
        return out


@_jit
def _star_centers(visit, starts, dst, sc, center, best):  # type: ignore[no-untyped-def]
    degree = 0
    for i in visit:
        degree = max(degree, starts[i + 1] - starts[i])
    free = np.zeros(degree, np.bool_)
    for i in visit:
        if center[i] != -1:
            continue
        lo, hi = starts[i], starts[i + 1]
        # Which neighbours are free is decided before any is taken, as the reference's mask is.
        anyfree = False
        for p in range(lo, hi):
            free[p - lo] = center[dst[p]] == -1
            anyfree |= free[p - lo]
        if not anyfree:
            continue
        center[i] = i
        best[i] = 1.0
        for p in range(lo, hi):
            if free[p - lo]:
                center[dst[p]] = i
                best[dst[p]] = sc[p]


def star_centers(
    visit: np.ndarray, starts: np.ndarray, dst: np.ndarray, sc: np.ndarray, center: np.ndarray, best: np.ndarray
) -> None:
    """Visit the articles ``visit`` in order over the adjacency ``starts``/``dst``/``sc`` (CSR), filling
    ``center`` and ``best`` in place as :func:`dedup.cluster.star_clusters`' loop does."""
    _star_centers(
        np.ascontiguousarray(visit, dtype=np.int64),
        np.ascontiguousarray(starts, dtype=np.int64),
        np.ascontiguousarray(dst, dtype=np.int64),
        np.ascontiguousarray(sc, dtype=np.float64),
        center,
        best,
    )
