"""The candidate index of a store: LSH buckets as sorted numpy runs, per time generation.

Every (band, band key) of a stored article becomes one 64-bit bucket key (the band key mixed with
a per-band salt) paired with the article's seq. A batch of additions is one sorted run; runs of a
generation are merged as in a log-structured merge tree (a run is merged into the one before it
once it is at least half its size), so an addition costs O(log n) amortised and a lookup is a few
binary searches per run. Within a run the members of a bucket are contiguous and in arrival
order, so the ``limit`` most recent are the last ``limit`` of its range. A generation leaves
whole. Memory: 16 bytes per article and band.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import _kernels

__all__ = ["BucketHits", "BucketIndex"]

_SALT = np.uint64(0x9E3779B97F4A7C15)


def bucket_keys(keys: np.ndarray) -> np.ndarray:
    """``(n, bands)`` band keys as ``(n, bands)`` bucket keys unique across bands (uint64)."""
    keys = np.asarray(keys, dtype=np.uint64)
    salt = (np.arange(1, keys.shape[1] + 1, dtype=np.uint64) * _SALT) if keys.ndim == 2 else _SALT
    return keys ^ salt


@dataclass(frozen=True, slots=True)
class BucketHits:
    """Stored members of the buckets a batch's band keys fall in.

    ``wanted`` holds the batch's distinct bucket keys (:func:`bucket_keys`, sorted); the members of
    ``wanted[w]`` are ``seq[offsets[w]:offsets[w + 1]]``, at most ``limit`` of them, oldest first.
    """

    wanted: np.ndarray
    offsets: np.ndarray
    seq: np.ndarray

    @classmethod
    def of(cls, wanted: np.ndarray, bucket: np.ndarray, seq: np.ndarray, *, limit: int | None = None) -> BucketHits:
        """Members ``seq`` of buckets ``wanted[bucket]`` (any order, several sources), the ``limit`` latest of each kept."""
        order = np.lexsort((seq, bucket))  # bucket by bucket, oldest first
        seq, bucket = seq[order], bucket[order]
        if limit is not None:
            keep = np.searchsorted(bucket, bucket, side="right") - np.arange(seq.shape[0]) <= limit
            seq, bucket = seq[keep], bucket[keep]
        offsets = np.zeros(wanted.shape[0] + 1, np.int64)
        np.cumsum(np.bincount(bucket, minlength=wanted.shape[0]), out=offsets[1:])
        return cls(wanted, offsets, seq)

    @classmethod
    def empty(cls, wanted: np.ndarray) -> BucketHits:
        return cls(wanted, np.zeros(wanted.shape[0] + 1, np.int64), np.empty(0, np.int64))

    def among(self, seq: np.ndarray) -> BucketHits:
        """The same buckets holding only the members in ``seq`` (sorted)."""
        keep = np.isin(self.seq, seq)
        if keep.all():
            return self
        bucket = np.repeat(np.arange(self.wanted.shape[0]), np.diff(self.offsets))
        return BucketHits.of(self.wanted, bucket[keep], self.seq[keep])

    def before(self, bound: int) -> BucketHits:
        """The same buckets holding only the members numbered below ``bound``."""
        return self.among(self.seq[self.seq < bound])


class BucketIndex:
    """Bucket keys and seq numbers of stored articles, grouped by generation."""

    def __init__(self) -> None:
        self._runs: dict[int, list[tuple[np.ndarray, np.ndarray]]] = {}
        self._removed: set[int] = set()

    @property
    def nbytes(self) -> int:
        return sum(k.nbytes + s.nbytes for runs in self._runs.values() for k, s in runs)

    def add(self, keys: np.ndarray, seq: np.ndarray, generation: np.ndarray) -> None:
        """Index articles ``seq`` (increasing) with band keys ``keys``; rows whose key is 0 (empty) are left out."""
        keys = np.asarray(keys, dtype=np.uint64)
        live = keys[:, 0] != 0 if keys.shape[0] else np.zeros(0, bool)
        for g in _kernels.unique(generation[live]).tolist():
            rows = np.flatnonzero(live & (generation == g))
            flat = bucket_keys(keys[rows]).ravel()
            owner = np.repeat(seq[rows], keys.shape[1])
            order = _kernels.stable_argsort(flat)
            self._push(g, flat[order], owner[order])

    def _push(self, g: int, keys: np.ndarray, seq: np.ndarray) -> None:
        runs = self._runs.setdefault(g, [])
        runs.append((keys, seq))
        while len(runs) > 1 and runs[-1][0].shape[0] * 2 >= runs[-2][0].shape[0]:
            (k1, s1), (k2, s2) = runs[-2], runs.pop()
            merged_keys = np.concatenate((k1, k2))
            order = np.argsort(merged_keys, kind="stable")  # two sorted runs: a merge; older members stay first
            merged_seq = np.concatenate((s1, s2))[order]
            merged_keys = merged_keys[order]
            if self._removed:
                keep = ~np.isin(merged_seq, np.fromiter(self._removed, np.int64))
                merged_keys, merged_seq = merged_keys[keep], merged_seq[keep]
            runs[-1] = (merged_keys, merged_seq)

    def members(self, keys: np.ndarray, *, limit: int) -> np.ndarray:
        """Sorted seqs of the ``limit`` latest stored members of each bucket of each band key of ``keys``.

        Rows of key 0 (empty documents) are skipped. Exactly what the bounded-bucket rule needs
        (:func:`dedup.candidates.candidate_chunks` then pairs the batch with them).
        """
        return _kernels.unique(self.hits(keys, limit=limit).seq)

    def hits(self, keys: np.ndarray, *, limit: int) -> BucketHits:
        """The ``limit`` latest stored members of each bucket of the band keys ``keys``, bucket by bucket.

        What :func:`dedup.candidates.pairs_with_stored` pairs a batch with, without the members' own keys.
        """
        keys = np.asarray(keys, dtype=np.uint64)
        keys = keys[keys[:, 0] != 0] if keys.shape[0] else keys
        wanted = _kernels.unique(bucket_keys(keys).ravel()) if keys.shape[0] else np.empty(0, np.uint64)
        owners, found = [], []
        for runs in self._runs.values():
            for run_keys, run_seq in runs:
                lo = np.searchsorted(run_keys, wanted, side="left")
                hi = np.searchsorted(run_keys, wanted, side="right")
                hit = np.flatnonzero(hi > lo)
                if not hit.size:
                    continue
                lo, hi = np.maximum(lo[hit], hi[hit] - limit), hi[hit]
                pos, owner = _kernels.gather_ranges(
                    np.stack((lo, hi), axis=1).ravel(), np.arange(0, 2 * lo.shape[0], 2)
                )
                found.append(run_seq[pos])
                owners.append(hit[owner])
        if not found:
            return BucketHits.empty(wanted)
        seq, bucket = np.concatenate(found), np.concatenate(owners)
        if self._removed:
            live = ~np.isin(seq, np.fromiter(self._removed, np.int64))
            seq, bucket = seq[live], bucket[live]
        # several runs: keep the `limit` latest of each bucket over all of them (one run holds no more)
        return BucketHits.of(wanted, bucket, seq, limit=limit if len(found) > 1 else None)

    def remove(self, seq: np.ndarray) -> None:
        """Leave articles out of every later lookup (their entries go at the next merge)."""
        self._removed.update(np.asarray(seq, dtype=np.int64).tolist())

    def drop_generation(self, g: int) -> None:
        self._runs.pop(g, None)

    def generations(self) -> list[int]:
        return sorted(self._runs)
