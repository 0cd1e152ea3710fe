"""The stages wired together for a batch: :func:`find_duplicates`.

::

    articles -> text -> shingles -> signatures -> band keys -> bounded candidates -> verify -> cluster -> verdicts

Candidates are streamed in chunks and verified as they come, so memory holds the shingle sets,
the band keys and one chunk of pairs, whatever the size of the LSH buckets.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence, Sized
from datetime import datetime
from typing import Any

import numpy as np

from ._batch_verify import _Chunks, _Verifier, _verify_all
from ._workers import ordered_map
from .article import Article, as_article, plain_fields
from .candidates import band_keys, candidate_chunks, lsh_params
from .cluster import cluster_verdicts
from .config import DedupConfig, resolve_config
from .errors import ArgumentTypeError, InputError
from .results import DedupResult, DuplicatePair, Verdict
from .shingles import Shingled, Shingler
from .signatures import minhash_signatures
from .updates import name_updates
from .verify import pairs_from_evidence

__all__ = ["DedupResult", "DuplicatePair", "Verdict", "find_duplicates"]

Progress = Callable[[str, int, int], None]
_CHUNK = 4096
_PAIR_CHUNK = 1 << 16  # candidate pairs verified at a time


def _article_chunks(items: Iterable[Article | Mapping[str, Any]], size: int | None = None) -> Iterator[list[Article]]:
    """Validated articles in chunks of ``size`` (default ``_CHUNK``), read lazily; a repeated id is an error."""
    size = size or _CHUNK
    seen: dict[str, int] = {}
    chunk: list[Article] = []
    for position, item in enumerate(items):
        try:
            article = as_article(item)
        except InputError as exc:
            raise InputError(f"article #{position}: {exc}") from None
        first = seen.setdefault(article.id, position)
        if first != position:
            raise InputError(
                f"duplicate id {article.id!r} (articles #{first} and #{position}); every article needs its own id"
            )
        chunk.append(article)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


class _Columns:
    """One chunk of validated articles as the columns the batch needs: ids, texts, published."""

    __slots__ = ("ids", "published", "texts")

    def __init__(self) -> None:
        self.ids: list[str] = []
        self.texts: list[str] = []
        self.published: list[datetime | None] = []

    def __len__(self) -> int:
        return len(self.ids)


def _column_chunks(items: Iterable[Article | Mapping[str, Any]], size: int | None = None) -> Iterator[_Columns]:
    """What :func:`_article_chunks` validates, as columns and without an ``Article`` per plain record.

    A plain dict whose ``id`` and ``text`` are non-empty ``str`` and ``str``, ``title`` and ``source``
    ``str`` or absent, and ``published`` absent or empty is taken as it is (``Article`` would accept it
    unchanged); anything else goes through :func:`as_article`, its checks and its messages.
    """
    size = size or _CHUNK
    seen: dict[str, int] = {}
    chunk = _Columns()
    for position, item in enumerate(items):
        try:
            plain = plain_fields(item)
            if plain is not None:
                article_id, text, when = plain[0], plain[1], plain[4]
            else:
                article = as_article(item)
                article_id, text, when = article.id, article.text, article.published
        except InputError as exc:
            raise InputError(f"article #{position}: {exc}") from None
        first = seen.setdefault(article_id, position)
        if first != position:
            raise InputError(
                f"duplicate id {article_id!r} (articles #{first} and #{position}); every article needs its own id"
            )
        chunk.ids.append(article_id)
        chunk.texts.append(text)
        chunk.published.append(when)
        if len(chunk.ids) == size:
            yield chunk
            chunk = _Columns()
    if chunk.ids:
        yield chunk


def _articles(items: Iterable[Article | Mapping[str, Any]]) -> list[Article]:
    return [article for chunk in _article_chunks(items) for article in chunk]


def _sign_chunk(texts: list[str], cfg: DedupConfig, bands: int, rows: int) -> tuple[Shingled, np.ndarray]:
    """Shingle sets, figures, lead terms and band keys of one chunk (in a worker thread when workers > 1)."""
    made = Shingler(unit=cfg.shingle_unit, size=cfg.shingle_size).shingle_all(texts)
    made = Shingled(made.shingles.sets(), made.figures, made.terms)
    signatures = minhash_signatures(made.shingles, num_perm=cfg.num_perm, seed=cfg.seed, block_size=cfg.block_size)
    return made, band_keys(signatures, bands=bands, rows=rows)


def _signed_chunks(
    chunks: Iterable[_Columns], cfg: DedupConfig, bands: int, rows: int
) -> Iterator[tuple[_Columns, tuple[Shingled, np.ndarray]]]:
    """Each chunk with its signed arrays, in order; with workers > 1, at most 2 chunks per worker in flight."""
    pending: deque[_Columns] = deque()

    def tasks() -> Iterator[list[str]]:
        for chunk in chunks:
            pending.append(chunk)
            yield chunk.texts

    for signed in ordered_map(lambda texts: _sign_chunk(texts, cfg, bands, rows), tasks(), workers=cfg.workers):
        yield pending.popleft(), signed


def _update_texts(articles: object, texts: list[str], pairs: np.ndarray, n: int) -> list[str] | None:
    """Texts of the articles of update pairs, to name their changed figures: those kept for alignment, else read
    again from ``articles`` when it is a list (an iterator is read once: the reason then says less)."""
    if texts:
        return texts
    if not isinstance(articles, Sequence) or len(articles) != n:
        return None
    out = [""] * n
    for k in np.unique(pairs).tolist():
        out[k] = as_article(articles[k]).text
    return out


def find_duplicates(
    articles: Iterable[Article | Mapping[str, Any]],
    config: DedupConfig | None = None,
    *,
    progress: Progress | None = None,
    index: Any = None,
    window: Any = None,
    **overrides: Any,
) -> DedupResult:
    """Find the near-duplicates in a batch of articles (and, with ``index``, against an index's history).

    Parameters
    ----------
    articles : iterable of Article or dict
        Dicts need ``id`` and ``text``; ``title``, ``source`` and ``published`` (ISO 8601) are optional.
    config : DedupConfig, optional
        Settings; keyword ``overrides`` (``threshold=0.5``, ``shingle_size=3``, ...) change single fields.
    progress : callable, optional
        Called as ``progress(stage, done, total)`` while the batch is processed; ``total`` is 0
        while it is unknown (articles given as an iterator).
    index : str, path or dedup.store.Store, optional
        An index (an SQLite file, ``redis://...``, or a store): the articles are matched against
        everything it holds and against each other, then added to it (what ``dedup find --index``
        does; see :func:`dedup.open_index`). ``duplicate_of`` may then name a stored article, and
        cluster numbers are the representatives' arrival numbers in the index.
    window : str, float or timedelta, optional
        Compare only articles published within this duration of each other (``"7d"``); with an
        index, what falls out of the window is evicted from it.

    Returns
    -------
    DedupResult

    Examples
    --------
    >>> from dedup import find_duplicates
    >>> result = find_duplicates([
    ...     {"id": "a", "text": "The central bank raised its main rate by half a point to 4.5 percent on Tuesday."},
    ...     {"id": "b", "text": "On Tuesday the central bank raised its main rate by half a point, to 4.5 percent."},
    ...     {"id": "c", "text": "Heavy rain flooded the old town overnight, the fire service said."},
    ... ])
    >>> [(p.a, p.b) for p in result.pairs]
    [('a', 'b')]
    >>> [(v.id, v.status) for v in result.verdicts]  # no dates, so the longer one is kept
    [('a', 'duplicate'), ('b', 'representative'), ('c', 'unique')]
    """
    if articles is None or isinstance(articles, (str, bytes, Mapping)) or not isinstance(articles, Iterable):
        raise ArgumentTypeError(
            "find_duplicates(): articles must be an iterable of Article or dicts with 'id' and "
            f"'text' (a list, a generator, dedup.load_articles(path)); got {type(articles).__name__}"
        )
    cfg = resolve_config(config, **overrides)
    report = progress or (lambda stage, done, total: None)
    if index is not None or window is not None:
        from .stream import find_in_index  # the incremental engine, batch clustering

        return find_in_index(articles, cfg, index=index, window=window, progress=report)
    total = len(articles) if isinstance(articles, Sized) else 0
    started = time.perf_counter()
    bands, rows = lsh_params(cfg.candidate_threshold, num_perm=cfg.num_perm, weights=cfg.lsh_weights)
    ids: list[str] = []
    lengths: list[int] = []
    published: list[datetime | None] = []
    texts: list[str] = []  # kept only to align verified pairs
    chunks = _Chunks()
    key_chunks = []
    # Articles are read lazily, chunk by chunk; a chunk's signatures live only until its band keys are made.
    for chunk, (made, keys) in _signed_chunks(_column_chunks(articles), cfg, bands, rows):
        ids.extend(chunk.ids)
        lengths.extend(map(len, chunk.texts))
        published.extend(chunk.published)
        if cfg.coverage:
            texts.extend(chunk.texts)
        chunks.append(made)
        key_chunks.append(keys)
        report("signatures", len(ids), total)
    n = len(ids)
    timings = {"signatures": time.perf_counter() - started}

    t = time.perf_counter()
    stamps = np.array([math.nan if p is None else p.timestamp() for p in published], dtype=float)
    verifier = _Verifier(chunks, n, texts, cfg, stamps)
    keys = np.concatenate(key_chunks) if key_chunks else np.empty((0, bands), np.uint64)
    del key_chunks, chunks

    def candidates() -> Iterator[np.ndarray]:
        for chunk in stream:
            yield chunk
            report("candidates", stream.candidates, 0)

    stream = candidate_chunks(keys, limit=cfg.bucket_limit, chunk_pairs=_PAIR_CHUNK)
    ev, coverage = _verify_all(verifier, candidates())
    del keys, verifier
    timings["candidates+verify"] = time.perf_counter() - t

    t = time.perf_counter()
    upd = ev.is_update
    known = _update_texts(articles, texts, ev.pairs[upd], n) if upd.any() else texts
    pairs = pairs_from_evidence(ev, np.ones(ev.pairs.shape[0], bool), ids, known or texts, cfg, coverage=coverage)
    timings["pair results"] = time.perf_counter() - t
    report("verify", n, n)

    t = time.perf_counter()
    dup = ev.is_duplicate
    clusters, verdicts = cluster_verdicts(ids, lengths, published, ev.pairs[dup], ev.score[dup], cfg)
    if upd.any():
        index_of = {article_id: k for k, article_id in reversed(list(enumerate(ids)))}
        rep = np.array([-1 if v.duplicate_of is None else index_of[v.duplicate_of] for v in verdicts], np.int64)
        verdicts = name_updates(verdicts, ev.pairs[upd], ev.score[upd], stamps, ids, texts=known, rep=rep)
    timings["cluster"] = time.perf_counter() - t
    stats = {
        "articles": n,
        "candidates": stream.candidates,
        "capped_buckets": stream.capped_buckets,
        "pairs": len(pairs),
        "clusters": len(clusters),
        "duplicates": sum(v.status == "duplicate" for v in verdicts),
        "updates": sum(v.status == "update" for v in verdicts),
        "bands": bands,
        "rows": rows,
        "seconds": timings,
    }
    return DedupResult(tuple(pairs), clusters, tuple(verdicts), cfg, stats)
