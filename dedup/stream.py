"""The incremental face of dedup: :class:`Deduplicator` and :func:`open_index`.

A :class:`Deduplicator` verifies each new article against everything its store holds (in memory,
or an SQLite index file that outlives the process) and against the articles added with it, then
stores it. With a ``window``, an article is compared only with stored articles published within
the window before or after it, and what falls out of the window is evicted.
"""

from __future__ import annotations

import dataclasses
import os
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import numpy as np

from ._shared import PENDING_TIMEOUT, add_shared
from ._verdicts import batch_verdicts, stream_verdicts
from .article import Article, as_article
from .candidates import lsh_params
from .cluster import Cluster, cluster_verdicts
from .config import DedupConfig, parse_duration, resolve_config
from .errors import ArgumentTypeError, ConfigError, InputError
from .matching import Matches, match_batch, prepare_batch
from .results import DedupResult, DuplicatePair, Verdict
from .store import MemoryStore, SQLiteStore, Store, check_settings, store_settings
from .updates import link_versions

__all__ = ["Added", "Deduplicator", "find_in_index", "open_index", "parse_window"]

_REDIS_SCHEMES = ("redis://", "rediss://", "unix://")
_GENERATIONS_PER_WINDOW = 4  # the store keeps at most the window and a quarter of it


def parse_window(value: str | float | timedelta | None) -> float | None:
    """A window in seconds from ``"72h"``, ``"7d"``, ``"30m"``, ``"90s"``, ``"2w"``, a number of seconds or a timedelta."""
    if value is None:
        return None
    return parse_duration(value, name="window")


@dataclass(frozen=True, slots=True)
class Added:
    """What :meth:`Deduplicator.add_many` made of a batch: a verdict per article and the verified pairs."""

    verdicts: tuple[Verdict, ...]
    pairs: tuple[DuplicatePair, ...]
    candidates: int = 0
    evicted: int = 0


class Deduplicator:
    """Incremental near-duplicate detection against a store that remembers (and, with a window, forgets).

    ``index`` is a :class:`dedup.store.Store` or the path of an SQLite index file (created if
    missing); by default the articles are kept in memory. Candidates come from the same bands and
    bucket rule as :func:`dedup.find_duplicates`, so articles added in feed order meet the
    candidates the batch gives them; each is verified with idf weights over the store and its batch.

    An article's verdict is final when it is added: "duplicate" of the best-scoring earlier article
    that is not itself a duplicate, else "unique". Use it as a context manager to close an index file.

    >>> d = Deduplicator()
    >>> d.add({"id": "a", "text": "The central bank raised its main rate by half a point to 4.5 percent on Tuesday."})
    []
    >>> [p.a for p in d.add({"id": "b", "text": "On Tuesday the central bank raised its main rate by half a point, to 4.5 percent."})]
    ['a']
    """

    def __init__(
        self,
        config: DedupConfig | None = None,
        *,
        index: Store | str | os.PathLike[str] | None = None,
        window: str | float | timedelta | None = None,
        keep_texts: bool = True,
        index_name: str = "dedup",
        **overrides: Any,
    ) -> None:
        self.config = resolve_config(config, **overrides)
        self.window = parse_window(window)
        self.bands, self.rows = lsh_params(
            self.config.candidate_threshold, num_perm=self.config.num_perm, weights=self.config.lsh_weights
        )
        settings = store_settings(self.config, bands=self.bands, rows=self.rows)
        span = self.window / _GENERATIONS_PER_WINDOW if self.window else 0.0
        if index is None:
            store: Store = MemoryStore(settings, generation_seconds=span)
        elif isinstance(index, str) and index.startswith(_REDIS_SCHEMES):
            from .store.redis import RedisStore

            store = RedisStore(
                index,
                settings,
                name=index_name,
                generation_seconds=span,
                keep_texts=keep_texts,
                bucket_limit=self.config.bucket_limit,
                window=self.window,
            )
        elif isinstance(index, (str, os.PathLike)):
            store = SQLiteStore(index, settings, generation_seconds=span, keep_texts=keep_texts)
        else:
            if not all(hasattr(index, name) for name in ("settings", "add_many", "fetch", "document_frequency")):
                raise ArgumentTypeError(
                    f"index must be a path, a redis:// URL or a dedup.store.Store; got {type(index).__name__}"
                )
            check_settings(dict(index.settings), settings)
            store = index
        self.store = store
        self.shared = bool(getattr(store, "shared", False))  # other processes write it too: claim, then verify
        # shared store: seconds to wait for another worker's verdict of an article met (or sent again) before going on
        self.pending_timeout = PENDING_TIMEOUT
        self._remember = index is None and self.window is None  # pairs of a bounded run are not accumulated
        self._pairs: list[DuplicatePair] = []
        self._articles: list[tuple[str, int, Any]] = []  # (id, length, published) while remembering

    # -- context manager -----------------------------------------------------------------------

    def __enter__(self) -> Deduplicator:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self.store.close()

    def __len__(self) -> int:
        return len(self.store)

    def __contains__(self, article_id: object) -> bool:
        return isinstance(article_id, str) and bool(self.store.contains_many([article_id])[0])

    # -- adding and querying -------------------------------------------------------------------

    def _articles_of(self, items: Iterable[Article | Mapping[str, Any]]) -> list[Article]:
        articles = [as_article(a) for a in items]
        seen: dict[str, int] = {}
        for k, a in enumerate(articles):
            if seen.setdefault(a.id, k) != k:
                raise InputError(
                    f"duplicate id {a.id!r} (articles #{seen[a.id]} and #{k} of the batch); every article needs its own id"
                )
        known = self.store.contains_many([a.id for a in articles]) if articles else np.empty(0, bool)
        if known.any():
            raise InputError(
                f"duplicate id {articles[int(np.argmax(known))].id!r}: already in the index; every article needs its own id"
            )
        return articles

    def _match(self, articles: Sequence[Article]) -> Matches:
        batch = prepare_batch(articles, self.config, bands=self.bands, rows=self.rows, arrival=time.time())
        return match_batch(batch, self.store, self.config, window=self.window)

    def query_many(self, articles: Iterable[Article | Mapping[str, Any]]) -> list[list[DuplicatePair]]:
        """Verified near-duplicates of each article among the stored ones (and the others given), without adding."""
        found = [as_article(a) for a in articles]
        if not found:
            return []
        matches = self._match(found)
        out: list[list[DuplicatePair]] = [[] for _ in found]
        for pair, (_, j) in zip(matches.duplicate_pairs(self.config, self.store), matches.evidence.pairs.tolist()):
            if pair.kind == "duplicate":  # an update is a pair too, but not a near-duplicate
                out[j - matches.stored].append(pair)
        return out

    def query(self, article: Article | Mapping[str, Any]) -> list[DuplicatePair]:
        """Verified near-duplicates of ``article`` among the stored articles, without adding it."""
        return self.query_many([article])[0]

    def add(self, article: Article | Mapping[str, Any]) -> list[DuplicatePair]:
        """Add ``article``; return its verified near-duplicates among those stored before (``add_many(...).pairs``
        also holds the pairs of kind "update")."""
        return [p for p in self.add_many([article]).pairs if p.kind == "duplicate"]

    def add_many(self, articles: Iterable[Article | Mapping[str, Any]], *, clustering: str = "stream") -> Added:
        """Verify a batch against the store and itself, store it, and say what became of each article.

        ``clustering="stream"`` (the default): each article in turn is a duplicate of the
        best-scoring earlier article that is not itself a duplicate, else unique; nothing is
        revised. ``"batch"``: the batch's star clusters as :func:`dedup.find_duplicates` forms them
        (keep policy and all), with stored articles kept first (they were kept before), stored
        duplicates never representatives; cluster numbers are the representative's ``seq``.
        """
        if clustering not in ("stream", "batch"):
            raise ConfigError(f"clustering must be 'stream' or 'batch'; got {clustering!r}")
        if self.shared:
            return self._add_shared([as_article(a) for a in articles], clustering)
        found = self._articles_of(articles)
        if not found:
            return Added((), ())
        matches = self._match(found)
        pairs = matches.duplicate_pairs(self.config, self.store)
        nodes, first = matches.nodes, matches.stored
        reps, verdicts = (stream_verdicts if clustering == "stream" else batch_verdicts)(
            matches, self.config, self.store.next_seq
        )
        # An article older than the window when it arrives is verified against what is left of its window and
        # stored like any other; its generation, already out of the window, is evicted right after.
        clock = max(self.store.clock, float(np.max(nodes.times[first:])))
        batch = dataclasses.replace(
            nodes.take(np.arange(first, len(nodes))),
            rep=np.asarray(reps, dtype=np.int64),
            texts=[a.text for a in found],
            seq=None,
        )
        self.store.add_many(batch)
        evicted = self.store.evict_before(clock - self.window) if self.window else 0
        self.store.commit()
        if self._remember:
            self._pairs.extend(pairs)
            self._articles.extend((a.id, len(a.text), a.published) for a in found)
        return Added(tuple(verdicts), tuple(pairs), candidates=matches.candidates, evicted=evicted)

    def _add_shared(self, found: list[Article], clustering: str) -> Added:
        """A batch into a store other processes write too (Redis): claim first, then verify, then finalise."""
        verdicts, pairs, candidates = add_shared(self, found, clustering)
        return Added(tuple(verdicts), tuple(pairs), candidates=candidates)

    def remove(self, article_id: str) -> bool:
        """Forget a stored article; ``False`` if it was not stored."""
        return self.store.remove_many([article_id]) == 1

    def remove_many(self, ids: Iterable[str]) -> int:
        return self.store.remove_many(list(ids))

    @property
    def pairs(self) -> tuple[DuplicatePair, ...]:
        """The pairs found so far (kept for an in-memory deduplicator without a window only)."""
        return tuple(self._pairs)

    def clusters(self) -> tuple[Cluster, ...]:
        """Clusters of the articles added so far, as :func:`find_duplicates` would form them (in-memory, no window)."""
        if not self._remember:
            raise ConfigError(
                "clusters() needs the whole history in memory: use a Deduplicator without index and window"
            )
        ids = [a[0] for a in self._articles]
        position = {article_id: i for i, article_id in enumerate(ids)}
        duplicates = [p for p in self._pairs if p.kind == "duplicate"]
        index_pairs = np.array([[position[p.a], position[p.b]] for p in duplicates], dtype=np.int64).reshape(-1, 2)
        scores = np.array([p.score for p in duplicates], dtype=float)
        return cluster_verdicts(
            ids, [a[1] for a in self._articles], [a[2] for a in self._articles], index_pairs, scores, self.config
        )[0]


def open_index(
    path: str | os.PathLike[str],
    config: DedupConfig | None = None,
    *,
    window: str | float | timedelta | None = None,
    keep_texts: bool = True,
    name: str = "dedup",
    **overrides: Any,
) -> Deduplicator:
    """Open (or create) the index at ``path`` as a :class:`Deduplicator`; use it as a context manager.

    ``path`` is an SQLite file, or ``redis://HOST:PORT/DB`` for an index on a Redis server that many
    processes share (``name`` keeps several indexes apart on one server).

    Opening an index with settings other than those it was built with raises
    :class:`dedup.SignatureMismatchError` naming the setting and both values.
    """
    return Deduplicator(config, index=path, window=window, keep_texts=keep_texts, index_name=name, **overrides)


def find_in_index(
    articles: Iterable[Article | Mapping[str, Any]],
    config: DedupConfig,
    *,
    index: Any = None,
    window: Any = None,
    progress: Any = None,
    batch_size: int = 4096,
) -> DedupResult:
    """:func:`dedup.find_duplicates` against an index: batches of ``batch_size`` matched and added in turn."""
    report = progress or (lambda stage, done, total: None)
    started = time.perf_counter()
    verdicts: list[Verdict] = []
    pairs: list[DuplicatePair] = []
    candidates = evicted = 0
    dedup = Deduplicator(config, index=index, window=window)
    try:
        pending: list[Article | Mapping[str, Any]] = []
        for item in [*articles, None]:
            if item is not None:
                pending.append(item)
            if pending and (item is None or len(pending) == batch_size):
                added = dedup.add_many(pending, clustering="batch")
                verdicts.extend(added.verdicts)
                pairs.extend(added.pairs)
                candidates += added.candidates
                evicted += added.evicted
                pending = []
                report("verify", len(verdicts), 0)
        stored = len(dedup)
    finally:
        if index is None or isinstance(index, (str, os.PathLike)):
            dedup.close()  # a store handed in stays open for its owner
    members: dict[int, list[str]] = {}
    verdicts = link_versions(verdicts)  # updated_by across the batches of the run too
    for v in verdicts:
        if v.cluster is not None:
            group = members.setdefault(v.cluster, [v.duplicate_of] if v.duplicate_of else [])
            if v.status == "representative":
                group.insert(0, v.id)  # type: ignore[arg-type]
            elif v.id not in group:
                group.append(v.id)  # type: ignore[arg-type]
    clusters = tuple(
        Cluster(id=c, ids=tuple(dict.fromkeys(ids)), representative=ids[0]) for c, ids in sorted(members.items())
    )
    stats = {
        "articles": len(verdicts),
        "candidates": candidates,
        "pairs": len(pairs),
        "clusters": len(clusters),
        "duplicates": sum(v.status == "duplicate" for v in verdicts),
        "updates": sum(v.status == "update" for v in verdicts),
        "stored": stored,
        "evicted": evicted,
        "seconds": {"total": time.perf_counter() - started},
    }
    return DedupResult(tuple(pairs), clusters, tuple(verdicts), config, stats)
