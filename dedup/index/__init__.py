"""Incremental candidate search: the index interface and its in-memory implementation.

The banding itself (``lsh_params``, ``band_keys``, bounded bucket pairs) lives in
:mod:`dedup.candidates` and is re-exported here.
"""

from ..candidates import band_keys, batch_candidates, candidate_chunks, candidates_from_keys, lsh_params
from .base import CandidateIndex, check_settings
from .memory import MemoryIndex

__all__ = [
    "CandidateIndex",
    "MemoryIndex",
    "band_keys",
    "batch_candidates",
    "candidate_chunks",
    "candidates_from_keys",
    "check_settings",
    "lsh_params",
]
