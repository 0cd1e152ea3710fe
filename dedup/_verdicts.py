"""Verdicts of a batch matched against a store (:mod:`dedup.matching`): the stream and the batch policy.

Both return, per batch article, the ``seq`` of its representative (-1 if it is kept) and its
:class:`Verdict`. Cluster numbers are the representative's ``seq``: stable across runs of an index.
A stored article that is itself a duplicate is never a representative, so nothing chains.
"""

from __future__ import annotations

import numpy as np

from .cluster import keep_order, star_clusters
from .config import DedupConfig
from .matching import Matches
from .results import Verdict
from .updates import name_updates
from .verify import Evidence

__all__ = ["batch_verdicts", "stream_verdicts"]


def _seqs(matches: Matches, next_seq: int) -> np.ndarray:
    """The seq of every node: the stored ones' own, the batch's as the store will number them."""
    nodes, first = matches.nodes, matches.stored
    if nodes.seq is not None and (first == len(nodes) or nodes.seq[first] >= 0):  # the batch is numbered already
        return nodes.seq
    stored = nodes.seq[:first] if nodes.seq is not None else np.empty(0, np.int64)
    return np.concatenate((stored, next_seq + np.arange(len(nodes) - first, dtype=np.int64)))


def _named(matches: Matches, verdicts: list[Verdict], seq: np.ndarray, reps: list[int]) -> list[Verdict]:
    """The verdicts with the batch's updates named (:func:`dedup.updates.name_updates`); ``reps`` is the seq of each
    batch article's representative (-1: kept), ``seq`` every node's."""
    ev, nodes, first = matches.evidence, matches.nodes, matches.stored
    if not ev.is_update.any():
        return verdicts
    rep_seq = np.concatenate((nodes.rep[:first], np.asarray(reps, np.int64)))
    order = np.argsort(seq, kind="stable")
    at = np.searchsorted(seq[order], rep_seq)
    known = (rep_seq >= 0) & (at < len(seq)) & (seq[order][np.minimum(at, len(seq) - 1)] == rep_seq)
    rep = np.where(known, order[np.minimum(at, len(seq) - 1)], -1)  # a representative not among the nodes: none
    return name_updates(
        verdicts,
        ev.pairs[ev.is_update],
        ev.score[ev.is_update],
        nodes.published,
        nodes.ids,
        first=first,
        kept_before=nodes.rep[:first] == -1,
        texts=nodes.texts,
        rep=rep,
    )


def _duplicates(matches: Matches) -> Evidence:
    ev = matches.evidence
    return Evidence(**{name: getattr(ev, name)[ev.is_duplicate] for name in Evidence.__slots__})


def stream_verdicts(matches: Matches, config: DedupConfig, next_seq: int) -> tuple[list[int], list[Verdict]]:
    """Each article in turn: duplicate of the best-scoring earlier article that is kept, else unique (or the
    update of an earlier kept article: the same report with its figures changed)."""
    nodes, first = matches.nodes, matches.stored
    seq = _seqs(matches, next_seq)
    rep = np.concatenate((nodes.rep[:first], np.full(len(nodes) - first, -1, np.int64)))
    ev = _duplicates(matches)
    order = np.lexsort((ev.pairs[:, 0], ev.pairs[:, 1]))  # by the new article, then the earlier one
    starts = np.searchsorted(ev.pairs[order, 1], np.arange(first, len(nodes) + 1))
    reps: list[int] = []
    verdicts: list[Verdict] = []
    for k, j in enumerate(range(first, len(nodes))):
        mine = order[starts[k] : starts[k + 1]]
        partners = ev.pairs[mine, 0]
        kept = rep[partners] == -1
        if kept.any():
            scores = ev.score[mine][kept]
            best = int(np.argmax(scores))  # the first of the best: the earliest
            i = int(partners[kept][best])
            rep[j] = seq[i]
            reps.append(int(seq[i]))
            verdicts.append(
                Verdict(
                    nodes.ids[j],
                    "duplicate",
                    cluster=int(seq[i]),
                    duplicate_of=nodes.ids[i],
                    score=float(scores[best]),
                    reason=f"near-duplicate of {nodes.ids[i]!r} (score {scores[best]:.2f})",
                )
            )
        else:
            reps.append(-1)
            why = "no near-duplicate found"
            if partners.size:
                names = ", ".join(repr(nodes.ids[i]) for i in partners[:3].tolist())
                why = f"near-duplicate only of articles that are themselves duplicates ({names}); kept"
            verdicts.append(Verdict(nodes.ids[j], "unique", reason=why))
    return reps, _named(matches, verdicts, seq, reps)


def batch_verdicts(matches: Matches, config: DedupConfig, next_seq: int) -> tuple[list[int], list[Verdict]]:
    """The batch's star clusters (keep policy of ``config``), stored kept articles first in priority."""
    nodes, first = matches.nodes, matches.stored
    n = len(nodes)
    seq = _seqs(matches, next_seq)
    ev = _duplicates(matches)
    usable = nodes.rep[ev.pairs[:, 0]] == -1 if ev.pairs.size else np.empty(0, bool)
    usable |= ev.pairs[:, 0] >= first  # a batch article's rep is not known yet
    pairs, scores = ev.pairs[usable], ev.score[usable]
    published = [None if np.isnan(p) else _Stamp(p) for p in nodes.published[first:].tolist()]
    batch_order = keep_order(policy=config.keep, lengths=nodes.lengths[first:].tolist(), published=published)  # type: ignore[arg-type]
    stored_kept = np.flatnonzero(nodes.rep[:first] == -1)
    stored_dups = np.flatnonzero(nodes.rep[:first] != -1)
    order = np.concatenate((stored_kept, first + batch_order, stored_dups)).astype(np.int64)
    center, best = star_clusters(n, pairs, scores, order)
    has_pair = np.zeros(n, bool)
    has_pair[ev.pairs.ravel()] = True  # every verified pair, also those with stored duplicates
    reps: list[int] = []
    verdicts: list[Verdict] = []
    for j in range(first, n):
        c = int(center[j])
        article_id = nodes.ids[j]
        if c == -1:
            reps.append(-1)
            why = "no near-duplicate found"
            if has_pair[j]:
                why = "near-duplicate of articles that are in clusters whose representatives it does not match; kept"
            verdicts.append(Verdict(article_id, "unique", reason=why))
        elif c == j:
            reps.append(-1)
            verdicts.append(
                Verdict(
                    article_id,
                    "representative",
                    cluster=int(seq[j]),
                    reason=f"kept for cluster {int(seq[j])} (keep={config.keep})",
                )
            )
        else:
            reps.append(int(seq[c]))
            verdicts.append(
                Verdict(
                    article_id,
                    "duplicate",
                    cluster=int(seq[c]),
                    duplicate_of=nodes.ids[c],
                    score=float(best[j]),
                    reason=f"near-duplicate of {nodes.ids[c]!r} (score {best[j]:.2f})",
                )
            )
    return reps, _named(matches, verdicts, seq, reps)


class _Stamp:
    """A published time as keep_order reads it (``.timestamp()``), without building a datetime."""

    __slots__ = ("value",)

    def __init__(self, value: float) -> None:
        self.value = value

    def timestamp(self) -> float:
        return self.value
