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


Status = Literal["unique", "representative", "duplicate", "update", "rejected"]
PairKind = Literal["duplicate", "update"]


@dataclass(frozen=True, slots=True)
class DuplicatePair:
    """A verified near-duplicate pair: ids ``a`` (earlier in the input) and ``b``, and their scores in [0, 1].

    ``containment_a`` is the share of ``a``'s shingles found in ``b``; ``facts`` the agreement of
    their figures; ``coverage_a`` / ``coverage_b`` the share of each text aligned sentence by
    sentence to the other (``None`` when alignment is off). ``kind`` is "duplicate", or "update" for
    the same report published again with its figures changed (:mod:`dedup.updates`).
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
    kind: PairKind = "duplicate"

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


@dataclass(frozen=True, slots=True)
class Verdict:
    """What became of one input article.

    ``status`` is "unique" (no near-duplicate), "representative" (kept for its cluster),
    "duplicate" (of ``duplicate_of``, with ``score``), "update" (a later version of ``update_of``: the
    same report with its figures changed, kept as its own article; ``reason`` names the figures) or
    "rejected" (bad input; ``reason`` says why). ``updated_by`` names the latest later version of an
    article, when the batch holds one.
    """

    id: str | None
    status: Status
    cluster: int | None = None
    duplicate_of: str | None = None
    score: float | None = None
    reason: str = ""
    update_of: str | None = None
    updated_by: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "status": self.status,
            "cluster": self.cluster,
            "duplicate_of": self.duplicate_of,
            "score": None if self.score is None else round(self.score, 4),
            "reason": self.reason,
            "update_of": self.update_of,
            "updated_by": self.updated_by,
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
        """Ids to keep, in input order: unique articles and cluster representatives, and of an article and its
        updates the versions ``config.keep_version`` keeps (the latest, the first or all)."""
        return [v.id for v in self.verdicts if is_kept(v, self.config.keep_version)]  # type: ignore[misc]

    @property
    def updates(self) -> list[str]:
        """Ids of the articles that are updates of an earlier one (status "update")."""
        return [v.id for v in self.verdicts if v.status == "update"]  # type: ignore[misc]

    @property
    def duplicates(self) -> list[str]:
        return [v.id for v in self.verdicts if v.status == "duplicate"]  # type: ignore[misc]


def is_kept(verdict: Verdict, keep_version: str = "latest") -> bool:
    """Whether the deduplicated feed holds the article of ``verdict`` (``keep_version``: see DedupConfig)."""
    status = verdict.status
    if status in ("duplicate", "rejected"):
        return False
    if keep_version == "first":
        return status != "update"
    return keep_version == "all" or verdict.updated_by is None


_SET_VERDICT = tuple(
    Verdict.__dict__[name].__set__ for name in ("id", "status", "cluster", "duplicate_of", "score", "reason")
)
_SET_UPDATE = tuple(Verdict.__dict__[name].__set__ for name in ("update_of", "updated_by"))


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
    for setter in _SET_UPDATE:
        setter(verdict, None)
    return verdict
