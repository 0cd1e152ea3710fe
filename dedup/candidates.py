"""Candidate stage: LSH bands of MinHash signatures, and bounded bucket pairs.

This is the one banding implementation: :func:`find_duplicates` streams the pairs of a batch from
:func:`candidate_chunks`; an incremental store (:mod:`dedup.store`) returns, per bucket, the members
the same rule pairs a new article with, and the same function pairs them (``new_from``). The rule: in every band, an article is paired with at most
``limit`` articles before it in its bucket, the most recent ones (as streaming LSH for first-story
detection does). A bucket of a templated feed (dividend notices, market tables) can hold most of
the feed; without the limit its pairs grow with the square of its size.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache

import numpy as np

from . import _kernels, _pair_kernels
from .config import _check_int, check_fraction
from .store._buckets import BucketHits, bucket_keys

__all__ = [
    "CandidateStream",
    "band_keys",
    "batch_candidates",
    "candidate_chunks",
    "candidates_from_keys",
    "lsh_params",
    "pairs_with_stored",
]


_NODES = 256  # Gauss-Legendre nodes at most: exact up to num_perm 508, the same choices as exact beyond (tested)


@lru_cache(maxsize=64)
def _optimal(
    threshold: float, num_perm: int, fp_weight: float, fn_weight: float, nodes_max: int = _NODES
) -> tuple[int, int]:
    # The integrands are polynomials of degree <= num_perm in s, so Gauss-Legendre with
    # num_perm // 2 + 2 nodes integrates them exactly (datasketch uses scipy.integrate.quad). Past
    # 256 nodes the choice no longer changes (measured for num_perm 512-2048, thresholds 0.1-0.95)
    # while the cost grows with them: num_perm=16384 takes about 3 s instead of many minutes.
    nodes, weights = np.polynomial.legendre.leggauss(min(num_perm // 2 + 2, nodes_max))
    lo_s = threshold / 2 * (nodes + 1)
    lo_w = weights * threshold / 2
    hi_s = threshold + (1 - threshold) / 2 * (nodes + 1)
    hi_w = weights * (1 - threshold) / 2
    best, best_err = (0, 0), float("inf")
    for b in range(1, num_perm + 1):
        r = np.arange(1, num_perm // b + 1, dtype=float)[:, None]
        fp = ((1 - (1 - lo_s[None, :] ** r) ** b) * lo_w).sum(axis=1)
        fn = (((1 - hi_s[None, :] ** r) ** b) * hi_w).sum(axis=1)
        err = fp * fp_weight + fn * fn_weight
        k = int(np.argmin(err))
        if err[k] < best_err - 1e-12:
            best, best_err = (b, k + 1), float(err[k])
    return best


def lsh_params(threshold: float, *, num_perm: int = 128, weights: tuple[float, float] = (0.5, 0.5)) -> tuple[int, int]:
    """``(bands, rows)`` minimising the weighted false positive and false negative probability.

    The same choice ``datasketch.MinHashLSH(threshold, num_perm, weights)`` makes.

    >>> lsh_params(0.5, num_perm=128)
    (25, 5)
    """
    check_fraction("threshold", threshold)
    _check_int("num_perm", num_perm, minimum=2)
    fp_weight, fn_weight = weights
    if abs(fp_weight + fn_weight - 1.0) > 1e-9 or min(weights) < 0:
        raise ValueError(f"weights must be two non-negative numbers summing to 1; got {weights!r}")
    return _optimal(float(threshold), int(num_perm), float(fp_weight), float(fn_weight))


def band_keys(signatures: np.ndarray, *, bands: int, rows: int) -> np.ndarray:
    """One 64-bit key per document and band, ``(n_docs, bands)`` uint64; 0 marks an empty document.

    Keys of a batch can be made chunk by chunk and concatenated; :func:`candidate_chunks` then
    finds the pairs. Documents with the all-``2**32 - 1`` signature (empty) get key 0 in every band.
    """
    signatures = np.asarray(signatures, dtype=np.uint32)
    if signatures.ndim != 2:
        raise ValueError(f"signatures must be 2-D (n_docs, num_perm); got shape {signatures.shape}")
    if bands * rows > signatures.shape[1]:
        raise ValueError(f"bands * rows = {bands * rows} exceeds num_perm = {signatures.shape[1]}")
    keys = _kernels.band_keys(signatures, bands, rows)
    keys[(signatures == np.uint32(0xFFFFFFFF)).all(axis=1)] = 0
    return keys


class CandidateStream:
    """The candidate pairs of a batch of band keys, in chunks of at most about ``chunk_pairs`` pairs.

    Iterate for ``(m, 2)`` int64 arrays of document indices ``(i, j)``, ``i < j``; every pair comes
    exactly once, from the first band in which the rule pairs it. Memory is bounded by the
    settings (``chunk_pairs`` pairs plus a rank per document and band), not by bucket sizes.
    After iterating, ``candidates`` is the number of pairs yielded and ``capped_buckets`` the
    number of (band, bucket) runs with more than ``limit + 1`` members, where the rule left pairs out.
    """

    def __init__(self, keys: np.ndarray, *, limit: int | None, chunk_pairs: int = 1 << 20, new_from: int = 0) -> None:
        keys = np.asarray(keys, dtype=np.uint64)
        if keys.ndim != 2:
            raise ValueError(f"keys must be 2-D (n_docs, bands); got shape {keys.shape}")
        self.keys = keys
        self.limit = limit
        self.chunk_pairs = max(int(chunk_pairs), 1)
        self.new_from = int(new_from)
        self.candidates = 0
        self.capped_buckets = 0

    def __iter__(self) -> Iterator[np.ndarray]:
        keys = self.keys
        nonempty = np.flatnonzero(keys[:, 0] != 0) if keys.shape[1] else np.arange(keys.shape[0])
        n, bands = nonempty.shape[0], keys.shape[1]
        if n < 2:
            return
        if n < keys.shape[0]:  # leave empty documents out (no copy when there are none)
            keys = keys[nonempty]
        limit = n if self.limit is None else self.limit
        old = int(np.searchsorted(nonempty, self.new_from))  # documents (among the nonempty) before new_from
        if n * bands <= _SMALL:  # a few documents (an incremental batch): every band in one pass
            pairs = self._all_bands(keys, limit, old)
            for start in range(0, pairs.shape[0], self.chunk_pairs):
                yield self._out([pairs[start : start + self.chunk_pairs]], nonempty)
            return
        ranks = np.empty((n, bands), np.int32)
        buffer: list[np.ndarray] = []
        buffered = 0
        for band in range(bands):
            order, sorted_rank, ranks[:, band] = _kernels.bucket_ranks(keys[:, band])
            self.capped_buckets += int(np.count_nonzero(sorted_rank == limit + 1))
            if old:  # documents before new_from are only partners of later ones
                sorted_rank = np.where(order >= old, sorted_rank, 0)
            # Slices of members whose pairs number at most about chunk_pairs.
            cum = np.cumsum(np.minimum(sorted_rank, limit))
            lo = 0
            while lo < n:
                base = int(cum[lo - 1]) if lo else 0
                hi = max(int(np.searchsorted(cum, base + self.chunk_pairs, side="right")), lo + 1)
                pairs = _kernels.recent_pairs(order, sorted_rank, limit, lo, hi)
                lo = hi
                if band and pairs.shape[0]:
                    pairs = pairs[~_pair_kernels.emitted_before(keys, ranks, pairs, band, limit)]
                if pairs.shape[0]:
                    buffer.append(pairs)
                    buffered += pairs.shape[0]
                if buffered >= self.chunk_pairs:
                    yield self._out(buffer, nonempty)
                    buffer, buffered = [], 0
        if buffered:
            yield self._out(buffer, nonempty)

    def _all_bands(self, keys: np.ndarray, limit: int, old: int) -> np.ndarray:
        """The same rule over all bands at once: members sorted by (band, key), stable, so a bucket is in
        document order; each pair once (``np.unique``), ``(i, j)`` with ``i < j`` and ``j >= old``."""
        n, bands = keys.shape
        flat = keys.T.ravel()  # band-major: element band * n + doc
        band = np.repeat(np.arange(bands, dtype=np.int64), n)
        order = np.lexsort((flat, band))
        sk, sb = flat[order], band[order]
        new_run = np.empty(order.shape[0], bool)
        new_run[:1] = True
        new_run[1:] = (sk[1:] != sk[:-1]) | (sb[1:] != sb[:-1])
        starts = np.flatnonzero(new_run)
        sorted_rank = np.arange(order.shape[0], dtype=np.int64) - starts[np.cumsum(new_run) - 1]
        self.capped_buckets += int(np.count_nonzero(sorted_rank == limit + 1))
        if old:
            sorted_rank = np.where(order % n >= old, sorted_rank, 0)
        pairs = _kernels.recent_pairs(order, sorted_rank, limit) % n
        codes = _kernels.unique(pairs[:, 0] * n + pairs[:, 1])
        return np.stack((codes // n, codes % n), axis=1)

    def _out(self, buffer: list[np.ndarray], nonempty: np.ndarray) -> np.ndarray:
        pairs = nonempty[np.concatenate(buffer)]
        self.candidates += pairs.shape[0]
        return pairs


_SMALL = 1 << 16  # documents x bands up to which all bands are paired in one pass


def _emitted_before(keys: np.ndarray, ranks: np.ndarray, pairs: np.ndarray, band: int, limit: int) -> np.ndarray:
    """Whether each pair was already paired by the rule in one of the bands before ``band``.

    The reference of :func:`dedup._pair_kernels.emitted_before`, which the stream runs.
    """
    i, j = pairs[:, 0], pairs[:, 1]
    done = np.zeros(pairs.shape[0], bool)
    for earlier in range(band):
        same = keys[i, earlier] == keys[j, earlier]
        done |= same & (ranks[j, earlier] - ranks[i, earlier] <= limit)
    return done


def candidate_chunks(
    keys: np.ndarray, *, limit: int | None, chunk_pairs: int = 1 << 20, new_from: int = 0
) -> CandidateStream:
    """Stream the candidate pairs of band keys (see :class:`CandidateStream`); ``limit=None`` pairs every bucket fully.

    With ``new_from``, only pairs ``(i, j)`` with ``j >= new_from`` are made: the documents before it
    are stored ones (an index's bucket members) that the new documents after it are matched against.
    """
    if limit is not None:
        _check_int("limit", limit, minimum=1)
    return CandidateStream(keys, limit=limit, chunk_pairs=chunk_pairs, new_from=new_from)


def pairs_with_stored(keys: np.ndarray, hits: BucketHits, *, limit: int) -> np.ndarray:
    """The candidate pairs of a batch with a store's bucket members: ``(m, 2)`` int64 ``(seq, row)``, sorted.

    ``keys`` are the batch's band keys, ``hits`` the store's members of their buckets (the ``limit``
    latest of each). The rule of :func:`candidate_chunks` over the members followed by the batch
    (``new_from``): in each bucket, the ``j``-th article of the batch to fall in it meets the
    ``limit - j`` latest members (the earlier ``j`` articles of the batch are among its ``limit``
    latest before it). The pairs among the batch itself are :func:`candidate_chunks` of ``keys`` alone.
    Empty documents (key 0) meet nothing.
    """
    keys = np.asarray(keys, dtype=np.uint64)
    n, bands = keys.shape
    if n == 0 or hits.seq.shape[0] == 0:
        return np.empty((0, 2), np.int64)
    flat = bucket_keys(keys).ravel()  # doc-major: element doc * bands + band
    doc = np.repeat(np.arange(n, dtype=np.int64), bands)
    live = np.repeat(keys[:, 0] != 0, bands)
    flat, doc = flat[live], doc[live]
    order = _kernels.stable_argsort(flat)  # a bucket's batch articles in batch order
    sorted_keys = flat[order]
    new_bucket = np.empty(order.shape[0], bool)
    new_bucket[0] = True
    np.not_equal(sorted_keys[1:], sorted_keys[:-1], out=new_bucket[1:])
    starts = np.flatnonzero(new_bucket)
    bucket = np.cumsum(new_bucket) - 1  # of each sorted element: its distinct key's number
    j = np.empty(order.shape[0], np.int64)
    j[order] = np.arange(order.shape[0]) - starts[bucket]  # how many of the batch fell in the bucket before
    if np.array_equal(sorted_keys[starts], hits.wanted):  # the hits of exactly these buckets (as a store returns them)
        w = np.empty(order.shape[0], np.int64)
        w[order] = bucket
        found = np.ones(order.shape[0], bool)
    else:
        w = np.minimum(np.searchsorted(hits.wanted, flat), max(hits.wanted.shape[0] - 1, 0))
        found = hits.wanted[w] == flat
    end = hits.offsets[w + 1]
    take = np.where(found, np.minimum(end - hits.offsets[w], np.maximum(limit - j, 0)), 0)
    pos = np.repeat(end - take, take) + _kernels._ragged_arange(take)
    codes = _kernels.unique(hits.seq[pos] * n + np.repeat(doc, take))
    return np.stack((codes // n, codes % n), axis=1)


def candidates_from_keys(keys: np.ndarray, *, limit: int | None = None) -> np.ndarray:
    """All candidate pairs of band keys at once, ``(m, 2)`` int64 with ``i < j``, sorted; key 0 (empty) excepted."""
    found = list(candidate_chunks(keys, limit=limit))
    if not found:
        return np.empty((0, 2), np.int64)
    pairs = np.concatenate(found)
    return pairs[np.lexsort((pairs[:, 1], pairs[:, 0]))]


def batch_candidates(signatures: np.ndarray, *, bands: int, rows: int, limit: int | None = None) -> np.ndarray:
    """Every pair of documents sharing at least one LSH band, ``(m, 2)`` int64 with ``i < j``.

    All pairs are found at once by sorting band keys; no per-document query loop. Documents whose
    signature is all ``2**32 - 1`` (empty documents) are never candidates. With ``limit``, each
    document is paired in each band with at most ``limit`` documents before it in its bucket.
    """
    return candidates_from_keys(band_keys(signatures, bands=bands, rows=rows), limit=limit)
