"""Candidate search: LSH banding for batches, and indexes for incremental use."""

from .base import CandidateIndex, check_settings
from .lsh import band_keys, batch_candidates, candidates_from_keys, lsh_params
from .memory import MemoryIndex

__all__ = [
    "CandidateIndex",
    "MemoryIndex",
    "band_keys",
    "batch_candidates",
    "candidates_from_keys",
    "check_settings",
    "lsh_params",
]
