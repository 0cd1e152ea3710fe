"""Results: what :func:`dedup.find_duplicates` and :class:`dedup.Deduplicator` return (frozen dataclasses)."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

from .config import DedupConfig

__all__ = ["Cluster", "DedupResult", "DuplicatePair", "Status", "Verdict"]


@dataclass(frozen=True, slots=True)
class Cluster:
    """A group of near-duplicates: ``ids`` (representative first) and the ``representative`` kept."""

    id: int
    ids: tuple[str, ...]
    representative: str

    def __len__(self) -> int:
        return len(self.ids)


Status = Literal["unique", "representative", "duplicate", "rejected"]


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """A verified near-duplicate pair: ids ``a`` (earlier in the input) and ``b``, and their scores in [0, 1].

    ``containment_a`` is the share of ``a``'s shingles found in ``b``; ``facts`` the agreement of
    their figures; ``coverage_a`` / ``coverage_b`` the share of each text aligned sentence by
    sentence to the other (``None`` when alignment is off).
    """

    a: str
    b: str
    score: float
    jaccard: float
    containment_a: float
    containment_b: float
    facts: float
    reason: str
    coverage_a: float | None = None
    coverage_b: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What became of one input article.

    ``status`` is "unique" (no near-duplicate), "representative" (kept for its cluster),
    "duplicate" (of ``duplicate_of``, with ``score``) or "rejected" (bad input; ``reason`` says why).
    """

    id: str | None
    status: Status
    cluster: int | None = None
    duplicate_of: str | None = None
    score: float | None = None
    reason: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "cluster": self.cluster,
            "duplicate_of": self.duplicate_of,
            "score": None if self.score is None else round(self.score, 4),
            "reason": self.reason,
        }


@dataclass(frozen=True, slots=True)
class DedupResult:
    """The outcome of :func:`find_duplicates`.

    ``verdicts`` has one entry per input article, in input order; ``pairs`` the verified
    near-duplicate pairs; ``clusters`` the groups of two or more, each with its representative.
    """

    pairs: tuple[DuplicatePair, ...]
    clusters: tuple[Cluster, ...]
    verdicts: tuple[Verdict, ...]
    config: DedupConfig
    stats: Mapping[str, Any] = field(default_factory=dict)

    @property
    def kept(self) -> list[str]:
        """Ids to keep: unique articles and cluster representatives, in input order."""
        return [v.id for v in self.verdicts if v.status in ("unique", "representative")]  # type: ignore[misc]

    @property
    def duplicates(self) -> list[str]:
        return [v.id for v in self.verdicts if v.status == "duplicate"]  # type: ignore[misc]


_SET_VERDICT = tuple(
    Verdict.__dict__[name].__set__ for name in ("id", "status", "cluster", "duplicate_of", "score", "reason")
)


def _new_verdict(
    id: str | None, status: Status, cluster: int | None, duplicate_of: str | None, score: float | None, reason: str
) -> Verdict:
    """``Verdict(id, status, cluster, duplicate_of, score, reason)`` through the slots directly: a batch makes
    one per article, and a frozen dataclass's ``__init__`` goes through ``object.__setattr__`` per field
    (about twice as slow). The arguments are trusted (the batch's own values)."""
    verdict = object.__new__(Verdict)
    set_id, set_status, set_cluster, set_duplicate_of, set_score, set_reason = _SET_VERDICT
    set_id(verdict, id)
    set_status(verdict, status)
    set_cluster(verdict, cluster)
    set_duplicate_of(verdict, duplicate_of)
    set_score(verdict, score)
    set_reason(verdict, reason)
    return verdict
