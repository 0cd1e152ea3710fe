"""Candidate search: LSH banding for batches, and indexes for incremental use."""

from .base import CandidateIndex, check_settings
from .lsh import batch_candidates, lsh_params
from .memory import MemoryIndex

__all__ = ["CandidateIndex", "MemoryIndex", "batch_candidates", "check_settings", "lsh_params"]
