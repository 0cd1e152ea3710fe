"""An in-memory candidate index on ``datasketch.MinHashLSH``, fed dedup's signatures."""

from __future__ import annotations

from typing import Any, Mapping

import numpy as np

from ..errors import InputError, SignatureMismatchError
from .base import check_settings
from .lsh import lsh_params

__all__ = ["MemoryIndex"]


class MemoryIndex:
    """LSH index kept in memory by ``datasketch.MinHashLSH``.

    Parameters
    ----------
    settings : mapping
        The signature settings (``DedupConfig.signature_settings()``); must include ``num_perm``
        and ``seed``.
    threshold : float
        The Jaccard similarity the bands and rows are tuned for.
    weights : (float, float)
        Weights of false positives and false negatives in that choice, as in datasketch.
    """

    def __init__(self, settings: Mapping[str, Any], *, threshold: float, weights: tuple[float, float] = (0.5, 0.5)) -> None:
        from datasketch import MinHashLSH

        self.settings = dict(settings)
        self.num_perm = int(self.settings["num_perm"])
        self.seed = int(self.settings["seed"])
        self.bands, self.rows = lsh_params(threshold, num_perm=self.num_perm, weights=weights)
        self._lsh = MinHashLSH(num_perm=self.num_perm, params=(self.bands, self.rows))

    def _minhash(self, signature: np.ndarray):
        from datasketch import LeanMinHash

        values = np.asarray(signature)
        if values.shape != (self.num_perm,):
            raise SignatureMismatchError(
                f"signature has shape {values.shape}; this index takes num_perm={self.num_perm} values"
            )
        return LeanMinHash(seed=self.seed, hashvalues=values.astype(np.uint32), scheme="affine32")

    def insert(self, key: str, signature: np.ndarray) -> None:
        if key in self._lsh:
            raise InputError(f"duplicate id {key!r}: every article needs its own id")
        self._lsh.insert(key, self._minhash(signature), check_duplication=False)

    def query(self, signature: np.ndarray) -> list[str]:
        return list(self._lsh.query(self._minhash(signature)))

    def remove(self, key: str) -> None:
        self._lsh.remove(key)

    def check(self, settings: Mapping[str, Any]) -> None:
        check_settings(self.settings, settings)

    def __contains__(self, key: object) -> bool:
        return key in self._lsh

    def __len__(self) -> int:
        return len(self._lsh.keys)
