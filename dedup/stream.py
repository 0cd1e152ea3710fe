"""The incremental face of dedup: :class:`Deduplicator` adds articles one at a time."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any

import numpy as np

from .article import Article, as_article
from .cluster import Cluster, cluster_verdicts
from .config import DedupConfig, resolve_config
from .errors import InputError
from .index import CandidateIndex, MemoryIndex, check_settings
from .results import DuplicatePair
from .shingles import ShingleBatch, Shingler
from .signatures import minhash_signatures
from .verify import Corpus, evidence, fact_agreement, pairs_from_evidence

__all__ = ["Deduplicator"]


def _against_last(q: int) -> np.ndarray:
    """Pairs ``(i, q)`` for ``i < q``: every candidate against the query, which comes last."""
    return np.stack((np.arange(q, dtype=np.int64), np.full(q, q, np.int64)), axis=1)


def _batch(members: list[np.ndarray]) -> ShingleBatch:
    offsets = np.concatenate(([0], np.cumsum([m.shape[0] for m in members]))).astype(np.int64)
    return ShingleBatch(np.concatenate(members), offsets)


class Deduplicator:
    """Incremental near-duplicate detection: ``add()`` articles one at a time, ``query()`` without adding.

    Candidates come from a :class:`dedup.index.CandidateIndex` (by default a :class:`dedup.MemoryIndex`
    with the bands and bucket limit of :func:`dedup.find_duplicates`, so articles added in feed order
    meet the candidates the batch would give them); every candidate is verified as in
    :func:`find_duplicates`, with idf weights from the articles added so far.

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
            index = MemoryIndex(settings, threshold=self.config.candidate_threshold, weights=self.config.lsh_weights,
                                bucket_limit=self.config.bucket_limit)
        else:
            check_settings(dict(index.settings), settings)
        self.index: CandidateIndex = index
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
        if self.config.fact_agreement > 0:  # figures first, as in the batch: cheap, and most template pairs fail them
            batch = _batch([self._facts[k] for k in keys] + [facts])
            agree = fact_agreement(batch, _against_last(len(keys)))
            keys = [k for k, ok in zip(keys, agree >= self.config.fact_agreement) if ok]
            if not keys:
                return []
        sets = _batch([self._sets[k] for k in keys] + [hashes])
        n_docs = len(self._articles) + (article.id not in self._articles)
        df = np.fromiter(map(self._df.__getitem__, sets.hashes.tolist()), dtype=float, count=sets.hashes.shape[0])
        if article.id not in self._articles:  # the query's own shingles count in df, as in a batch
            df[sets.offsets[-2]:] += 1
        weights = np.log((n_docs + self.config.idf_prior + 1.0) / (df + 1.0))
        texts = [self._articles[k].text for k in keys] + [article.text]
        corpus = Corpus.from_sets(sets, _batch([self._facts[k] for k in keys] + [facts]), texts, self.config, weights=weights)
        ev = evidence(corpus, _against_last(len(keys)), self.config)
        return pairs_from_evidence(ev, ev.is_duplicate, keys + [article.id], texts, self.config)

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
        return cluster_verdicts([a.id for a in articles], [len(a.text) for a in articles], [a.published for a in articles],
                                index_pairs, scores, self.config)[0]
