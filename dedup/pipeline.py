"""The stages wired together: :func:`find_duplicates` for a batch, :class:`Deduplicator` for a stream.

::

    articles -> text -> shingles -> signatures -> LSH candidates -> verify -> cluster -> verdicts
"""

from __future__ import annotations

import dataclasses
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Callable, Iterable, Iterator, Literal, Mapping, Sequence, Sized

import numpy as np

from .article import Article, as_article
from .cluster import Cluster, keep_order, star_clusters
from .config import DedupConfig, resolve_config
from .errors import InputError
from . import _kernels
from .index import CandidateIndex, MemoryIndex, band_keys, candidates_from_keys, lsh_params
from .shingles import ShingleBatch, Shingler
from .signatures import minhash_signatures
from .verify import Corpus, Evidence, evidence, reason

__all__ = ["DedupResult", "Deduplicator", "DuplicatePair", "Verdict", "find_duplicates"]

Status = Literal["unique", "representative", "duplicate", "rejected"]
Progress = Callable[[str, int, int], None]
_CHUNK = 4096


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
            raise InputError(f"duplicate id {article.id!r} (articles #{first} and #{position}); every article needs its own id")
        chunk.append(article)
        if len(chunk) == size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _articles(items: Iterable[Article | Mapping[str, Any]]) -> list[Article]:
    return [article for chunk in _article_chunks(items) for article in chunk]


_WORKER_SHINGLERS: dict[tuple[str, int], Shingler] = {}  # one per worker process, kept while the pool lives


def _sign_chunk(texts: list[str], cfg: DedupConfig, bands: int, rows: int,
                shingler: Shingler | None = None) -> tuple[ShingleBatch, ShingleBatch, np.ndarray]:
    """Shingle sets, figures and band keys of one chunk (in a worker process when workers > 1)."""
    if shingler is None:
        key = (cfg.shingle_unit, cfg.shingle_size)
        shingler = _WORKER_SHINGLERS.get(key) or _WORKER_SHINGLERS.setdefault(key, Shingler(unit=key[0], size=key[1]))
    shingled, figures = shingler.shingle_with_figures(texts)
    sets = shingled.sets()
    signatures = minhash_signatures(sets, num_perm=cfg.num_perm, seed=cfg.seed, block_size=cfg.block_size)
    return sets, figures, band_keys(signatures, bands=bands, rows=rows)


def _signed_chunks(chunks: Iterable[list[Article]], cfg: DedupConfig, bands: int, rows: int
                   ) -> Iterator[tuple[list[Article], tuple[ShingleBatch, ShingleBatch, np.ndarray]]]:
    """Each chunk with its signed arrays, in order; with workers > 1, at most 2 chunks per worker in flight."""
    if cfg.workers == 1:
        shingler = Shingler(unit=cfg.shingle_unit, size=cfg.shingle_size)  # its vocabulary lives for this call only
        for chunk in chunks:
            yield chunk, _sign_chunk([a.text for a in chunk], cfg, bands, rows, shingler)
        return
    from collections import deque
    from concurrent.futures import ProcessPoolExecutor

    with ProcessPoolExecutor(max_workers=cfg.workers) as pool:
        pending: deque = deque()
        for chunk in chunks:
            pending.append((chunk, pool.submit(_sign_chunk, [a.text for a in chunk], cfg, bands, rows)))
            if len(pending) >= 2 * cfg.workers:
                done, future = pending.popleft()
                yield done, future.result()
        while pending:
            done, future = pending.popleft()
            yield done, future.result()


class _Chunks:
    """Shingle sets and figures of a batch, kept as the per-chunk arrays they were made in."""

    def __init__(self) -> None:
        self.sets: list[ShingleBatch] = []
        self.figures: list[ShingleBatch] = []
        self.first: list[int] = [0]  # index of each chunk's first document

    def append(self, sets: ShingleBatch, figures: ShingleBatch) -> None:
        self.sets.append(sets)
        self.figures.append(figures)
        self.first.append(self.first[-1] + len(sets))

    def gather(self, docs: np.ndarray) -> tuple[ShingleBatch, ShingleBatch]:
        """The sets and figures of the documents ``docs`` (sorted global indices), as two batches."""
        parts: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
        lengths: tuple[list[np.ndarray], list[np.ndarray]] = ([], [])
        bounds = np.searchsorted(docs, self.first)
        for k, (lo, hi) in enumerate(zip(bounds[:-1], bounds[1:])):
            if lo == hi:
                continue
            local = docs[lo:hi] - self.first[k]
            for which, batch in enumerate((self.sets[k], self.figures[k])):
                pos, _ = _kernels.gather_ranges(batch.offsets, local)
                parts[which].append(batch.hashes[pos])
                lengths[which].append(batch.offsets[local + 1] - batch.offsets[local])
        return tuple(  # type: ignore[return-value]
            ShingleBatch(
                np.concatenate(parts[w]) if parts[w] else np.empty(0, np.uint32),
                np.concatenate(([0], np.cumsum(np.concatenate(lengths[w]) if lengths[w] else []))).astype(np.int64),
            )
            for w in (0, 1)
        )

    def document_frequency(self, hashes: np.ndarray) -> np.ndarray:
        """In how many documents of the batch each of ``hashes`` occurs, from one sort of all set hashes.

        Consumes the chunks: each is moved into one array and released, so the peak is one copy of
        the sets, not two.
        """
        total = sum(b.hashes.shape[0] for b in self.sets)
        everything = np.empty(total, np.uint32)
        at = 0
        for k, batch in enumerate(self.sets):
            everything[at : at + batch.hashes.shape[0]] = batch.hashes
            at += batch.hashes.shape[0]
            self.sets[k] = None  # type: ignore[call-overload]
        self.sets, self.figures = [], []
        everything.sort()
        # Look up each distinct hash once, in sorted order (cache-friendly), and map back.
        distinct, inverse = np.unique(hashes, return_inverse=True)
        counts = np.searchsorted(everything, distinct, side="right") - np.searchsorted(everything, distinct, side="left")
        return counts[inverse]


def _pairs_from(ev: Evidence, keep: np.ndarray, ids: Sequence[str], texts: Sequence[str], config: DedupConfig) -> list[DuplicatePair]:
    coverage = None
    if config.coverage:
        from .align import align
    pairs = []
    for k in np.flatnonzero(keep):
        i, j = (int(x) for x in ev.pairs[k])
        if config.coverage:
            alignment = align(texts[i], texts[j], diff=False)
            coverage = (alignment.coverage_a, alignment.coverage_b)
        pairs.append(DuplicatePair(
            a=ids[i], b=ids[j], score=float(ev.score[k]), jaccard=float(ev.jaccard[k]),
            containment_a=float(ev.containment_a[k]), containment_b=float(ev.containment_b[k]),
            facts=float(ev.facts[k]), reason=reason(ev, int(k), config),
            coverage_a=None if coverage is None else coverage[0], coverage_b=None if coverage is None else coverage[1],
        ))
    return pairs


def _clusters(articles: Sequence[Article], index_pairs: np.ndarray, scores: np.ndarray, config: DedupConfig) -> tuple[tuple[Cluster, ...], list[Verdict]]:
    return _cluster_verdicts([a.id for a in articles], [len(a.text) for a in articles], [a.published for a in articles],
                             index_pairs, scores, config)


def _cluster_verdicts(
    ids: Sequence[str], lengths: Sequence[int], published: Sequence[datetime | None],
    index_pairs: np.ndarray, scores: np.ndarray, config: DedupConfig,
) -> tuple[tuple[Cluster, ...], list[Verdict]]:
    n = len(ids)
    order = keep_order(policy=config.keep, lengths=lengths, published=published)
    center, best = star_clusters(n, index_pairs, scores, order)
    # Number clusters by the input position of their representative.
    reps = np.flatnonzero(center == np.arange(n))
    cluster_of = {int(r): k for k, r in enumerate(reps)}
    members: dict[int, list[int]] = {int(r): [int(r)] for r in reps}
    for i in np.flatnonzero((center >= 0) & (center != np.arange(n))):
        members[int(center[i])].append(int(i))
    clusters = tuple(
        Cluster(id=cluster_of[r], ids=tuple(ids[m] for m in ms), representative=ids[r])
        for r, ms in members.items()
    )
    has_pair = np.zeros(n, bool)
    has_pair[index_pairs.ravel()] = True
    verdicts = []
    for i, article_id in enumerate(ids):
        c = int(center[i])
        if c == -1:
            why = "no near-duplicate found"
            if has_pair[i]:
                why = "near-duplicate of articles that are in clusters whose representatives it does not match; kept"
            verdicts.append(Verdict(article_id, "unique", reason=why))
        elif c == i:
            verdicts.append(Verdict(article_id, "representative", cluster=cluster_of[c], reason=f"kept for cluster {cluster_of[c]} (keep={config.keep})"))
        else:
            verdicts.append(Verdict(article_id, "duplicate", cluster=cluster_of[c], duplicate_of=ids[c], score=float(best[i]),
                                    reason=f"near-duplicate of {ids[c]!r} (score {best[i]:.2f})"))
    return clusters, verdicts


def find_duplicates(
    articles: Iterable[Article | Mapping[str, Any]],
    config: DedupConfig | None = None,
    *,
    progress: Progress | None = None,
    **overrides: Any,
) -> DedupResult:
    """Find the near-duplicates in a batch of articles.

    Parameters
    ----------
    articles : iterable of Article or dict
        Dicts need ``id`` and ``text``; ``title``, ``source`` and ``published`` (ISO 8601) are optional.
    config : DedupConfig, optional
        Settings; keyword ``overrides`` (``threshold=0.5``, ``shingle_size=3``, ...) change single fields.
    progress : callable, optional
        Called as ``progress(stage, done, total)`` while the batch is processed; ``total`` is 0
        while it is unknown (articles given as an iterator).

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
    cfg = resolve_config(config, **overrides)
    report = progress or (lambda stage, done, total: None)
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
    for chunk, (sets, figures, keys) in _signed_chunks(_article_chunks(articles), cfg, bands, rows):
        ids.extend(a.id for a in chunk)
        lengths.extend(len(a.text) for a in chunk)
        published.extend(a.published for a in chunk)
        if cfg.coverage:
            texts.extend(a.text for a in chunk)
        chunks.append(sets, figures)
        key_chunks.append(keys)
        report("signatures", len(ids), total)
    n = len(ids)
    timings = {"signatures": time.perf_counter() - started}

    t = time.perf_counter()
    keys = np.concatenate(key_chunks) if key_chunks else np.empty((0, bands), np.uint64)
    del key_chunks
    candidates = candidates_from_keys(keys)
    del keys
    timings["candidates"] = time.perf_counter() - t
    report("candidates", n, n)

    t = time.perf_counter()
    # Verification needs only the documents that are in some candidate pair.
    involved = np.unique(candidates)
    sets, figures = chunks.gather(involved)
    df = chunks.document_frequency(sets.hashes)
    del chunks
    weights = np.log((n + cfg.idf_prior + 1.0) / (df + 1.0))
    corpus = Corpus.from_sets(sets, figures, [], cfg, weights=weights)
    ev = evidence(corpus, np.searchsorted(involved, candidates), cfg)
    ev = dataclasses.replace(ev, pairs=candidates)
    pairs = _pairs_from(ev, ev.is_duplicate, ids, texts, cfg)
    timings["verify"] = time.perf_counter() - t
    report("verify", n, n)

    t = time.perf_counter()
    clusters, verdicts = _cluster_verdicts(ids, lengths, published, ev.pairs[ev.is_duplicate], ev.score[ev.is_duplicate], cfg)
    timings["cluster"] = time.perf_counter() - t
    stats = {
        "articles": n,
        "candidates": int(candidates.shape[0]),
        "pairs": len(pairs),
        "clusters": len(clusters),
        "duplicates": sum(v.status == "duplicate" for v in verdicts),
        "bands": bands,
        "rows": rows,
        "seconds": timings,
    }
    return DedupResult(tuple(pairs), clusters, tuple(verdicts), cfg, stats)


class Deduplicator:
    """Incremental near-duplicate detection: ``add()`` articles one at a time, ``query()`` without adding.

    Candidates come from a :class:`dedup.index.CandidateIndex` (by default a
    ``datasketch.MinHashLSH`` in memory) fed dedup's signatures; every candidate is verified as
    in :func:`find_duplicates`, with idf weights from the articles added so far.

    >>> d = Deduplicator()
    >>> d.add({"id": "a", "text": "The central bank raised its main rate by half a point to 4.5 percent on Tuesday."})
    []
    >>> [p.a for p in d.add({"id": "b", "text": "On Tuesday the central bank raised its main rate by half a point, to 4.5 percent."})]
    ['a']
    """

    def __init__(self, config: DedupConfig | None = None, *, index: CandidateIndex | None = None, **overrides: Any) -> None:
        self.config = resolve_config(config, **overrides)
        settings = self.config.signature_settings()
        if index is None:
            index = MemoryIndex(settings, threshold=self.config.candidate_threshold, weights=self.config.lsh_weights)
        else:
            from .index import check_settings

            check_settings(dict(index.settings), settings)
        self.index = index
        self._shingler = Shingler(unit=self.config.shingle_unit, size=self.config.shingle_size)
        self._articles: dict[str, Article] = {}
        self._position: dict[str, int] = {}
        self._sets: dict[str, np.ndarray] = {}
        self._facts: dict[str, np.ndarray] = {}
        self._df: Counter[int] = Counter()
        self._pairs: list[DuplicatePair] = []

    def __len__(self) -> int:
        return len(self._articles)

    def __contains__(self, article_id: object) -> bool:
        return article_id in self._articles

    def _prepare(self, article: Article) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        shingled, figures = self._shingler.shingle_with_figures([article.text])
        sets = shingled.sets()
        signature = minhash_signatures(sets, num_perm=self.config.num_perm, seed=self.config.seed)[0]
        return sets.hashes, figures.hashes, signature

    def _verify(self, article: Article, hashes: np.ndarray, facts: np.ndarray, signature: np.ndarray) -> list[DuplicatePair]:
        keys = [k for k in self.index.query(signature) if k != article.id and k in self._sets]
        if not keys:
            return []
        keys.sort(key=self._position.__getitem__)
        members = [self._sets[k] for k in keys] + [hashes]
        offsets = np.concatenate(([0], np.cumsum([m.shape[0] for m in members]))).astype(np.int64)
        all_hashes = np.concatenate(members)
        n_docs = len(self._articles) + (article.id not in self._articles)
        df = np.fromiter(map(self._df.__getitem__, all_hashes.tolist()), dtype=float, count=all_hashes.shape[0])
        if article.id not in self._articles:  # the query's own shingles count in df, as in a batch
            df[offsets[-2]:] += 1
        weights = np.log((n_docs + self.config.idf_prior + 1.0) / (df + 1.0))
        fact_members = [self._facts[k] for k in keys] + [facts]
        f_offsets = np.concatenate(([0], np.cumsum([m.shape[0] for m in fact_members]))).astype(np.int64)
        texts = [self._articles[k].text for k in keys] + [article.text]
        corpus = Corpus.from_sets(ShingleBatch(all_hashes, offsets), ShingleBatch(np.concatenate(fact_members), f_offsets),
                                  texts, self.config, weights=weights)
        q = len(keys)
        ev = evidence(corpus, np.array([[i, q] for i in range(q)]), self.config)
        return _pairs_from(ev, ev.is_duplicate, keys + [article.id], texts, self.config)

    def query(self, article: Article | Mapping[str, Any]) -> list[DuplicatePair]:
        """Verified near-duplicates of ``article`` among those added, without adding it."""
        article = as_article(article)
        return self._verify(article, *self._prepare(article))

    def add(self, article: Article | Mapping[str, Any]) -> list[DuplicatePair]:
        """Add ``article`` and return its verified near-duplicates among those added before."""
        article = as_article(article)
        if article.id in self._articles:
            raise InputError(f"duplicate id {article.id!r}: every article needs its own id")
        hashes, facts, signature = self._prepare(article)
        found = self._verify(article, hashes, facts, signature)
        self.index.insert(article.id, signature)
        self._position[article.id] = len(self._articles)
        self._articles[article.id] = article
        self._sets[article.id] = hashes
        self._facts[article.id] = facts
        self._df.update(hashes.tolist())
        self._pairs.extend(found)
        return found

    @property
    def pairs(self) -> tuple[DuplicatePair, ...]:
        return tuple(self._pairs)

    def clusters(self) -> tuple[Cluster, ...]:
        """Clusters of the articles added so far (as :func:`find_duplicates` would form them)."""
        articles = list(self._articles.values())
        position = {a.id: i for i, a in enumerate(articles)}
        index_pairs = np.array([[position[p.a], position[p.b]] for p in self._pairs], dtype=np.int64).reshape(-1, 2)
        scores = np.array([p.score for p in self._pairs], dtype=float)
        return _clusters(articles, index_pairs, scores, self.config)[0]
