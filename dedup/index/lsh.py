"""LSH banding: choosing bands and rows, and finding all candidate pairs of a batch at once."""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .. import _kernels
from ..config import _check_int, check_fraction

__all__ = ["band_keys", "batch_candidates", "candidates_from_keys", "lsh_params"]


@lru_cache(maxsize=64)
def _optimal(threshold: float, num_perm: int, fp_weight: float, fn_weight: float) -> tuple[int, int]:
    # The integrands are polynomials of degree <= num_perm in s, so Gauss-Legendre with
    # num_perm // 2 + 2 nodes integrates them exactly (datasketch uses scipy.integrate.quad).
    nodes, weights = np.polynomial.legendre.leggauss(num_perm // 2 + 2)
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

    Keys of a batch can be made chunk by chunk and concatenated; :func:`candidates_from_keys` then
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


def candidates_from_keys(keys: np.ndarray) -> np.ndarray:
    """Every pair of documents sharing a band key (key 0, empty documents, excepted), ``(m, 2)`` int64."""
    nonempty = np.flatnonzero(keys[:, 0] != 0) if keys.shape[1] else np.arange(keys.shape[0])
    if nonempty.shape[0] < 2:
        return np.empty((0, 2), np.int64)
    pairs = _kernels.candidate_pairs(keys[nonempty])
    return nonempty[pairs] if pairs.size else pairs


def batch_candidates(signatures: np.ndarray, *, bands: int, rows: int) -> np.ndarray:
    """Every pair of documents sharing at least one LSH band, ``(m, 2)`` int64 with ``i < j``.

    All pairs are found at once by sorting band keys; no per-document query loop. Documents whose
    signature is all ``2**32 - 1`` (empty documents) are never candidates.
    """
    return candidates_from_keys(band_keys(signatures, bands=bands, rows=rows))
