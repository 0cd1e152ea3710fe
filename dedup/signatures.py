"""Signature stage: MinHash signatures for many documents at once.

Signatures use datasketch's ``affine32`` scheme with datasketch's permutations for the same
``num_perm`` and ``seed``, so they are bit-identical to ``datasketch.MinHash(num_perm=..., seed=...,
scheme="affine32", hashfunc=dedup.hash_shingle)`` fed the same shingles, and can be handed to
datasketch (:func:`to_datasketch`) for its ``MinHashLSH``, ``LeanMinHash`` and friends.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from . import _kernels
from .config import _check_int
from .errors import ArgumentTypeError, expect
from .shingles import ShingleBatch

__all__ = ["minhash_signatures", "permutations", "to_datasketch"]


@lru_cache(maxsize=16)
def _permutations(num_perm: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    gen = np.random.RandomState(seed)
    a = gen.randint(0, 1 << 31, num_perm, dtype=np.uint32) * np.uint32(2) + np.uint32(1)
    b = gen.randint(0, 1 << 32, num_perm, dtype=np.uint32)
    a.setflags(write=False)
    b.setflags(write=False)
    return a, b


def permutations(*, num_perm: int = 128, seed: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """The ``(a, b)`` uint32 permutation parameters datasketch's affine32 scheme draws for ``seed``."""
    _check_int("num_perm", num_perm, minimum=1)
    _check_int("seed", seed, minimum=0, maximum=(1 << 32) - 1)
    return _permutations(num_perm, seed)


def minhash_signatures(
    batch: ShingleBatch, *, num_perm: int = 128, seed: int = 1, block_size: int = 1 << 13
) -> np.ndarray:
    """MinHash signatures of every document of ``batch``.

    Returns
    -------
    numpy.ndarray
        ``(n_docs, num_perm)`` uint32. An empty document has the all-``2**32 - 1`` signature of
        an empty ``datasketch.MinHash``.
    """
    expect(batch, ShingleBatch, "minhash_signatures(): batch", hint="make one with Shingler(...).shingle(texts).sets()")
    _check_int("block_size", block_size, minimum=1)
    a, b = permutations(num_perm=num_perm, seed=seed)
    return _kernels.minhash(batch.hashes, batch.offsets, a, b, block_size)


def to_datasketch(signature: np.ndarray, *, seed: int = 1):
    """Wrap one signature row as a ``datasketch.LeanMinHash`` (scheme ``affine32``)."""
    if not isinstance(signature, np.ndarray) or signature.ndim != 1:
        raise ArgumentTypeError(
            f"to_datasketch(): signature must be one 1-D numpy signature (a row of minhash_signatures); got {type(signature).__name__}"
        )
    from datasketch import LeanMinHash

    values = np.asarray(signature, dtype=np.uint32)
    if values.ndim != 1:
        raise ValueError(f"expected one signature (1-D); got shape {values.shape}")
    return LeanMinHash(seed=seed, hashvalues=values, scheme="affine32")
