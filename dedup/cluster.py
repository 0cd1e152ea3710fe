"""Cluster stage: group verified pairs without chaining, and pick one representative per cluster.

Clusters are stars: articles are visited in keep-priority order (``earliest``: earliest
``published``, then longest, then input order; ``longest``: longest, then input order; ``first``:
input order); an article not yet in a cluster becomes a representative and takes in every
not-yet-clustered article verified as its near-duplicate. Every duplicate is therefore a verified
near-duplicate of its own representative: A~B and B~C never put A and C together unless A~C.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from datetime import datetime
from typing import TYPE_CHECKING

import numpy as np

from . import _pair_kernels
from .results import Cluster, Verdict, _new_verdict

if TYPE_CHECKING:
    from .config import DedupConfig

__all__ = ["Cluster", "cluster_verdicts", "keep_order", "star_clusters"]


def keep_order(*, policy: str, lengths: Sequence[int], published: Sequence[datetime | None]) -> np.ndarray:
    """Indices of the articles from most to least preferred as representative."""
    n = len(lengths)
    position = np.arange(n)
    length = np.asarray(lengths, dtype=np.int64)
    if policy == "first":
        return position
    if policy == "longest":
        return np.lexsort((position, -length))
    # earliest: articles without a date come after dated ones
    if all(p is None for p in published):  # no dates at all (a common feed): every stamp is inf
        stamps = np.full(n, np.inf)
    else:
        stamps = np.array([p.timestamp() if p is not None else np.inf for p in published], dtype=float)
    return np.lexsort((position, -length, stamps))


def star_clusters(
    n: int, pairs: np.ndarray, scores: np.ndarray, order: np.ndarray, *, compiled: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Assign each article a cluster without chaining.

    Parameters
    ----------
    n : int
        Number of articles.
    pairs : (m, 2) int array
        Verified near-duplicate pairs.
    scores : (m,) float array
        Their scores.
    order : (n,) int array
        Keep priority (see :func:`keep_order`).
    compiled : bool
        Visit the articles in a compiled loop (:func:`dedup._pair_kernels.star_centers`); ``False``
        runs the numpy loop it is tested against.

    Returns
    -------
    (center, score) : tuple of arrays
        ``center[i]`` is the representative of article ``i`` (``i`` itself for a representative,
        ``-1`` for an article in no cluster), ``score[i]`` its pair score with the representative.
    """
    center = np.full(n, -1, dtype=np.int64)
    best = np.full(n, np.nan)
    if pairs.size == 0:
        return center, best
    rank = np.empty(n, dtype=np.int64)
    rank[order] = np.arange(n)
    # Adjacency in CSR form, both directions.
    src = np.concatenate((pairs[:, 0], pairs[:, 1]))
    dst = np.concatenate((pairs[:, 1], pairs[:, 0]))
    sc = np.concatenate((scores, scores))
    by_src = np.argsort(src, kind="stable")
    src, dst, sc = src[by_src], dst[by_src], sc[by_src]
    starts = np.searchsorted(src, np.arange(n + 1))
    has_edges = np.flatnonzero(np.diff(starts) > 0)
    # Only articles with at least one verified pair are visited, in priority order.
    visit = has_edges[np.argsort(rank[has_edges], kind="stable")]
    if compiled:
        _pair_kernels.star_centers(visit, starts, dst, sc, center, best)
        return center, best
    for i in visit:  # the reference of the compiled loop
        if center[i] != -1:
            continue
        nbrs = dst[starts[i] : starts[i + 1]]
        free = center[nbrs] == -1
        if not free.any():
            continue
        center[i] = i
        best[i] = 1.0
        center[nbrs[free]] = i
        best[nbrs[free]] = sc[starts[i] : starts[i + 1]][free]
    return center, best


@contextmanager
def _collector_paused() -> Iterator[None]:
    """No cyclic garbage collection while a verdict per article is made: they hold no cycles, and with a
    million articles alive each full collection walks all of them (the collector is on again after)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def cluster_verdicts(
    ids: Sequence[str],
    lengths: Sequence[int],
    published: Sequence[datetime | None],
    index_pairs: np.ndarray,
    scores: np.ndarray,
    config: DedupConfig,
) -> tuple[tuple[Cluster, ...], list[Verdict]]:
    """Star clusters of the verified ``index_pairs`` and one :class:`Verdict` per article, in input order."""
    n = len(ids)
    order = keep_order(policy=config.keep, lengths=lengths, published=published)
    center, best = star_clusters(n, index_pairs, scores, order)
    # Number clusters by the input position of their representative.
    reps = np.flatnonzero(center == np.arange(n))
    cluster_of = {int(r): k for k, r in enumerate(reps)}
    members: dict[int, list[int]] = {int(r): [int(r)] for r in reps}
    for member in np.flatnonzero((center >= 0) & (center != np.arange(n))):
        members[int(center[member])].append(int(member))
    clusters = tuple(
        Cluster(id=cluster_of[r], ids=tuple(ids[m] for m in ms), representative=ids[r]) for r, ms in members.items()
    )
    has_pair = np.zeros(n, bool)
    has_pair[index_pairs.ravel()] = True
    # Python values for all articles at once, not a numpy scalar per article.
    centers, paired, scores_of = center.tolist(), has_pair.tolist(), best.tolist()
    lonely = "no near-duplicate found"
    left = "near-duplicate of articles that are in clusters whose representatives it does not match; kept"
    verdicts: list[Verdict] = []
    append = verdicts.append
    with _collector_paused():
        for i, article_id in enumerate(ids):
            c = centers[i]
            if c == -1:
                append(_new_verdict(article_id, "unique", None, None, None, left if paired[i] else lonely))
            elif c == i:
                k = cluster_of[c]
                append(
                    _new_verdict(
                        article_id, "representative", k, None, None, f"kept for cluster {k} (keep={config.keep})"
                    )
                )
            else:
                score = scores_of[i]
                append(
                    _new_verdict(
                        article_id,
                        "duplicate",
                        cluster_of[c],
                        ids[c],
                        score,
                        f"near-duplicate of {ids[c]!r} (score {score:.2f})",
                    )
                )
    return clusters, verdicts
