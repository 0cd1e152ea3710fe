"""An in-memory candidate index on dedup's band keys, with bounded buckets."""

from __future__ import annotations

from collections import deque
from collections.abc import Mapping
from typing import Any

import numpy as np

from ..candidates import band_keys, lsh_params
from ..errors import InputError, SignatureMismatchError
from .base import check_settings

__all__ = ["MemoryIndex"]


class MemoryIndex:
    """LSH index kept in memory: per band, a bucket of keys for each band key.

    The same banding as :func:`dedup.find_duplicates` (:mod:`dedup.candidates`): a query returns,
    in every band, the ``bucket_limit`` most recently inserted keys of its bucket, so a
    :class:`dedup.Deduplicator` fed a feed in order sees exactly the candidates the batch finds.
    A bucket keeps no more than ``bucket_limit`` keys, so memory is bounded by the number of
    distinct band keys, not by how many articles share one.

    Parameters
    ----------
    settings : mapping
        The signature settings (``DedupConfig.signature_settings()``); must include ``num_perm``.
    threshold : float
        The Jaccard similarity the bands and rows are tuned for.
    weights : (float, float)
        Weights of false positives and false negatives in that choice, as in datasketch.
    bucket_limit : int or None
        Keys kept per bucket (``DedupConfig.bucket_limit``); ``None`` keeps all.
    """

    def __init__(self, settings: Mapping[str, Any], *, threshold: float, weights: tuple[float, float] = (0.5, 0.5),
                 bucket_limit: int | None = 32) -> None:
        self.settings: Mapping[str, Any] = dict(settings)
        self.num_perm = int(self.settings["num_perm"])
        self.bands, self.rows = lsh_params(threshold, num_perm=self.num_perm, weights=weights)
        self.bucket_limit = bucket_limit
        self._buckets: list[dict[int, deque[str]]] = [{} for _ in range(self.bands)]
        self._keys: dict[str, tuple[int, ...]] = {}  # key -> its band keys

    def _band_keys(self, signature: np.ndarray) -> tuple[int, ...]:
        values = np.asarray(signature)
        if values.shape != (self.num_perm,):
            raise SignatureMismatchError(
                f"signature has shape {values.shape}; this index takes num_perm={self.num_perm} values"
            )
        return tuple(band_keys(values[None, :], bands=self.bands, rows=self.rows)[0].tolist())

    def insert(self, key: str, signature: np.ndarray) -> None:
        if key in self._keys:
            raise InputError(f"duplicate id {key!r}: every article needs its own id")
        keys = self._band_keys(signature)
        self._keys[key] = keys
        if keys[0] == 0:  # an empty document: never a candidate
            return
        for buckets, band_key in zip(self._buckets, keys):
            bucket = buckets.get(band_key)
            if bucket is None:
                bucket = buckets[band_key] = deque(maxlen=self.bucket_limit)
            bucket.append(key)

    def query(self, signature: np.ndarray) -> list[str]:
        """Keys sharing a band with ``signature``: in each band the ``bucket_limit`` most recent, oldest first."""
        keys = self._band_keys(signature)
        if keys[0] == 0:
            return []
        found: dict[str, None] = {}
        for buckets, band_key in zip(self._buckets, keys):
            for key in buckets.get(band_key, ()):
                found[key] = None
        return list(found)

    def remove(self, key: str) -> None:
        keys = self._keys.pop(key)
        if keys[0] == 0:
            return
        for buckets, band_key in zip(self._buckets, keys):
            bucket = buckets.get(band_key)
            if bucket is not None and key in bucket:
                bucket.remove(key)
                if not bucket:
                    del buckets[band_key]

    def check(self, settings: Mapping[str, Any]) -> None:
        check_settings(self.settings, settings)

    def __contains__(self, key: object) -> bool:
        return key in self._keys

    def __len__(self) -> int:
        return len(self._keys)
