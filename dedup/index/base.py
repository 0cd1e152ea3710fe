"""The small interface every candidate index implements.

An index stores MinHash signatures under string keys and returns the keys whose signatures share
an LSH band with a query. It records the signature settings it was built with
(:meth:`dedup.DedupConfig.signature_settings`) and refuses signatures made with others, so an
on-disk or shared (Redis) index can later be reopened safely.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..errors import SignatureMismatchError

__all__ = ["CandidateIndex", "check_settings"]


@runtime_checkable
class CandidateIndex(Protocol):
    """What :class:`dedup.Deduplicator` needs from an index."""

    settings: Mapping[str, Any]

    def insert(self, key: str, signature: np.ndarray) -> None:
        """Store ``signature`` (uint32, shape (num_perm,)) under ``key``; a key already present is an error."""

    def query(self, signature: np.ndarray) -> list[str]:
        """Keys of stored signatures sharing at least one band with ``signature``."""

    def remove(self, key: str) -> None:
        """Forget ``key``."""

    def __contains__(self, key: object) -> bool: ...

    def __len__(self) -> int: ...


def check_settings(expected: Mapping[str, Any], got: Mapping[str, Any]) -> None:
    """Raise :class:`SignatureMismatchError` naming the first setting that differs."""
    for name in sorted(set(expected) | set(got)):
        if expected.get(name) != got.get(name):
            raise SignatureMismatchError(
                f"index was built with {name}={expected.get(name)!r} but the signatures use "
                f"{name}={got.get(name)!r}; use the same settings or build a new index"
            )
