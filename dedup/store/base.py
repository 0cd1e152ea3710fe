"""The storage seam: what dedup keeps of the articles it has seen, behind one small interface.

Verifying a new article against the past needs, of every stored article, its band keys (to find
candidates), its shingle set and figures (to score them), its time (for the window), its length and
id (for the verdict), whether it is itself a duplicate (so that nothing chains), and the document
frequency of every shingle over the store (for idf weights); its text where alignment is wanted.
A :class:`Store` holds exactly that, in batches: a disk or network backend pays one round trip
per batch of articles, not one per band or per article.

Implementations: :class:`dedup.store.MemoryStore` (in memory) and :class:`dedup.store.SQLiteStore`
(embedded, on disk). Each records the settings its signatures were made with
(:func:`store_settings`) and refuses to be opened with others.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, runtime_checkable

import numpy as np

from ..config import DedupConfig
from ..errors import SignatureMismatchError
from ..shingles import ShingleBatch
from ._buckets import BucketHits

__all__ = ["Records", "ScreenedStore", "Store", "check_settings", "generation_of", "store_settings"]

NO_TIME = math.nan


def store_settings(config: DedupConfig, *, bands: int, rows: int) -> dict[str, Any]:
    """What a store's data depends on: the signature settings (with the text-stage version) and the banding."""
    return {**config.signature_settings(), "bands": bands, "rows": rows}


def check_settings(stored: Mapping[str, Any], wanted: Mapping[str, Any], *, where: str = "index") -> None:
    """Raise :class:`SignatureMismatchError` naming the first setting whose values differ, and both values."""
    for name in sorted(set(stored) | set(wanted)):
        if stored.get(name) != wanted.get(name):
            raise SignatureMismatchError(
                f"{where} was built with {name}={stored.get(name)!r} but this run uses {name}={wanted.get(name)!r}; "
                "use the index's settings or build a new index"
            )


def generation_of(times: np.ndarray, span: float) -> np.ndarray:
    """The time generation of each time: ``floor(time / span)``; everything is generation 0 when ``span`` is 0."""
    times = np.asarray(times, dtype=float)
    if span <= 0:
        return np.zeros(times.shape[0], np.int64)
    return np.floor(times / span).astype(np.int64)


@dataclass(frozen=True, slots=True)
class Records:
    """Columns of a batch of articles as a store keeps them, in arrival order.

    ``times`` is the window's clock (published, or arrival where an article has none), in seconds
    since the epoch; ``published`` the published time or NaN. ``rep`` is, for an article stored as a
    duplicate, the ``seq`` of its representative, else -1. ``seq`` is the store's arrival number
    (assigned by :meth:`Store.add_many`; -1 before).
    """

    ids: list[str]
    times: np.ndarray
    published: np.ndarray
    lengths: np.ndarray
    rep: np.ndarray
    keys: np.ndarray  # (n, bands) uint64 band keys
    sets: ShingleBatch
    figures: ShingleBatch
    texts: list[str] | None = None
    seq: np.ndarray | None = None
    terms: ShingleBatch | None = None  # lead terms (Shingled.terms); None: not kept (the lead check passes)

    def __len__(self) -> int:
        return len(self.ids)

    def take(self, rows: np.ndarray) -> Records:
        """The records at positions ``rows``, in that order."""
        rows = np.asarray(rows, dtype=np.int64)
        return Records(
            ids=[self.ids[r] for r in rows.tolist()],
            times=self.times[rows],
            published=self.published[rows],
            lengths=self.lengths[rows],
            rep=self.rep[rows],
            keys=self.keys[rows],
            sets=_take(self.sets, rows),
            figures=_take(self.figures, rows),
            texts=None if self.texts is None else [self.texts[r] for r in rows.tolist()],
            seq=None if self.seq is None else self.seq[rows],
            terms=None if self.terms is None else _take(self.terms, rows),
        )


def _take(batch: ShingleBatch, rows: np.ndarray) -> ShingleBatch:
    from .._kernels import gather_ranges

    pos, _ = gather_ranges(batch.offsets, rows)
    sizes = batch.offsets[rows + 1] - batch.offsets[rows]
    return ShingleBatch(batch.hashes[pos], np.concatenate(([0], np.cumsum(sizes))).astype(np.int64))


def concat_batches(batches: Sequence[ShingleBatch]) -> ShingleBatch:
    """One batch of several, documents in order."""
    if not batches:
        return ShingleBatch(np.empty(0, np.uint32), np.zeros(1, np.int64))
    sizes = np.concatenate([np.diff(b.offsets) for b in batches])
    hashes = np.concatenate([b.hashes for b in batches])
    return ShingleBatch(hashes, np.concatenate(([0], np.cumsum(sizes))).astype(np.int64))


def concat_records(parts: Sequence[Records]) -> Records:
    """One batch of records of several, in order (``seq`` and ``texts`` kept when all parts have them)."""
    return Records(
        ids=[i for p in parts for i in p.ids],
        times=np.concatenate([p.times for p in parts]),
        published=np.concatenate([p.published for p in parts]),
        lengths=np.concatenate([p.lengths for p in parts]),
        rep=np.concatenate([p.rep for p in parts]),
        keys=np.concatenate([p.keys for p in parts]),
        sets=concat_batches([p.sets for p in parts]),
        figures=concat_batches([p.figures for p in parts]),
        texts=None if any(p.texts is None for p in parts) else [t for p in parts for t in p.texts or ()],
        seq=None if any(p.seq is None for p in parts) else np.concatenate([p.seq for p in parts if p.seq is not None]),
        terms=concat_batches([p.terms if p.terms is not None else _no_terms(len(p)) for p in parts]),
    )


def _no_terms(n: int) -> ShingleBatch:
    return ShingleBatch(np.empty(0, np.uint32), np.zeros(n + 1, np.int64))


@runtime_checkable
class Store(Protocol):
    """What the incremental engine (:class:`dedup.Deduplicator`) needs of the past.

    Every method works on a batch. ``seq`` numbers are the store's own handles: increasing in
    arrival order, never reused.
    """

    settings: Mapping[str, Any]
    generation_seconds: float  # span of a time generation; 0: one generation, nothing evicted

    def __len__(self) -> int:
        """Number of stored articles."""

    def contains_many(self, ids: Sequence[str]) -> np.ndarray:
        """Whether each id is stored (bool array)."""

    def add_many(self, records: Records) -> np.ndarray:
        """Store ``records`` (their ids new to the store) and count their shingles; return their seq numbers."""

    def bucket_members(self, keys: np.ndarray, *, limit: int) -> np.ndarray:
        """Sorted seq numbers of the stored articles among the ``limit`` most recent of each bucket of ``keys``.

        ``keys`` is ``(m, bands)`` band keys; in band ``b`` the bucket of row ``r`` is the stored
        articles whose band-``b`` key is ``keys[r, b]``; key 0 (an empty document) has no bucket.
        """

    def fetch(self, seq: np.ndarray, *, texts: bool = False) -> Records:
        """The records of the stored articles ``seq`` (sorted), with their texts if asked and kept."""

    def document_frequency(self, hashes: np.ndarray) -> np.ndarray:
        """How many stored articles hold each hash (int64): shingle hashes, and lead-term hashes, which one
        table counts too (a different hash space: the low 32 bits of a token's hash)."""

    def remove_many(self, ids: Sequence[str]) -> int:
        """Forget the articles ``ids`` (unknown ids are ignored); return how many were removed."""

    def evict_before(self, time: float) -> int:
        """Drop every whole time generation that ends at or before ``time``; return how many articles left."""

    @property
    def next_seq(self) -> int:
        """The seq the next article added will get (stores number arrivals consecutively)."""

    @property
    def clock(self) -> float:
        """The latest time of any article stored so far (-inf for an empty store); the window ends here."""

    def commit(self) -> None:
        """Make what was added durable (a no-op in memory)."""

    def close(self) -> None: ...


@runtime_checkable
class ScreenedStore(Store, Protocol):
    """A store that keeps its buckets, and every article's time and figures, in memory (memory, SQLite).

    :func:`dedup.matching.match_batch` then screens a batch's bucket members by the window and the
    figures before it reads any shingle set, and :meth:`Store.fetch` reads only the members left.
    A store without it (Redis, which returns its members' records with them) is read whole.
    """

    def bucket_hits(self, keys: np.ndarray, *, limit: int) -> BucketHits:
        """The ``limit`` latest stored members of each bucket of ``keys``, bucket by bucket (see :class:`BucketHits`)."""

    def screen(self, seq: np.ndarray) -> tuple[np.ndarray, ShingleBatch]:
        """The times and the figure sets of the stored articles ``seq``, in that order."""
