"""Updates: the same report again, published soon after, with its figures changed.

A wire story is re-sent when its facts move ("death toll rises to 12" after "to 9"), when a table is
corrected, or when a flash becomes a story with other numbers. Such a pair shares most of its wording
(its score reaches the threshold) but not its figures, so the figure check turns it away as a
near-duplicate; it is named an *update* instead when

- both articles carry a published time, at most ``config.update_window`` seconds apart: the same
  report re-sent, not next week's edition of a recurring table ("FED ADDS RESERVES", a daily price
  list), which shares its wording just as much;
- their names agree both ways (:func:`names_agree`): each side's rare lead words are all in the other.
  Templated notices of different companies ("FRANKLIN OHIO SETS MONTHLY PAYOUT", "... CALIFORNIA ...")
  are published together and differ in one name.

How often the rule fires on Reuters-21578, and what it finds there, is in ``docs/thresholds.md``.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Sequence

import numpy as np

from . import _kernels, _lead_kernels
from .results import Verdict
from .shingles import ShingleBatch

__all__ = [
    "RARE_SHARE",
    "changed_figures",
    "close_in_time",
    "describe_change",
    "format_change",
    "link_versions",
    "name_updates",
    "names_agree",
    "rare_cut",
]

#: A lead word is a name for :func:`names_agree` when at most this share of the documents hold it.
RARE_SHARE = 0.05


def close_in_time(times: np.ndarray, pairs: np.ndarray, window: float) -> np.ndarray:
    """For each pair ``(i, j)``: whether ``times[i]`` and ``times[j]`` (seconds) are at most ``window`` apart; False
    where either is NaN (unknown), so undated articles are never updates."""
    t = times[pairs]
    with np.errstate(invalid="ignore"):
        return np.abs(t[:, 0] - t[:, 1]) <= window


def rare_cut(n_docs: int, *, min_docs: int) -> float:
    """The document frequency at or below which a lead word counts as a name.

    Below ``min_docs`` documents a frequency cannot tell a name from a common word, so every lead word
    counts (the strictest test: all of each side's first lead words in the other).
    """
    return max(1.0, RARE_SHARE * n_docs) if n_docs >= min_docs else math.inf


def names_agree(terms: ShingleBatch, term_df: np.ndarray, pairs: np.ndarray, *, look: int, rare: float) -> np.ndarray:
    """For each pair ``(i, j)``: whether every one of ``i``'s first ``look`` lead terms with a document
    frequency at most ``rare`` is among ``j``'s lead terms, and the same the other way."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if pairs.shape[0] == 0:
        return np.ones(0, bool)
    docs = _kernels.unique(pairs)
    # Each document's first `look` terms in a row (-1 where it has fewer), the common ones blanked.
    starts = terms.offsets[docs]
    counts = np.minimum(terms.offsets[docs + 1] - starts, look)
    owner = np.repeat(np.arange(docs.shape[0], dtype=np.int64), counts)
    column = _kernels._ragged_arange(counts)
    positions = np.repeat(starts, counts) + column
    names = np.full((docs.shape[0], look), -1, np.int64)
    names[owner, column] = np.where(term_df[positions] <= rare, terms.hashes[positions].astype(np.int64), -1)
    row = np.searchsorted(docs, pairs)
    table = _lead_kernels.term_table(terms.hashes, terms.offsets)
    return _lead_kernels.contained(names[row[:, 0]], table, pairs[:, 1]) & _lead_kernels.contained(
        names[row[:, 1]], table, pairs[:, 0]
    )


_FIGURE = re.compile(r"\d[\d.,:/]*\d|\d")


def _figures(text: str) -> list[str]:
    """The figures of a text in order, each once, with thousands separators dropped (``2,500`` is ``2500``)."""
    seen: dict[str, None] = {}
    for match in _FIGURE.finditer(text):
        seen.setdefault(match.group().replace(",", ""), None)
    return list(seen)


def changed_figures(earlier: str, later: str) -> tuple[list[str], list[str]]:
    """The figures only the earlier text has, and those only the later one has, each in order of appearance."""
    a, b = _figures(earlier), _figures(later)
    in_a, in_b = set(a), set(b)
    return [f for f in a if f not in in_b], [f for f in b if f not in in_a]


def describe_change(earlier: str | None, later: str | None) -> str:
    """``"figures changed: 9 -> 12"`` from the two texts, or ``"its figures changed"`` without them."""
    if earlier is None or later is None:
        return "its figures changed"
    return format_change(*changed_figures(earlier, later))


def format_change(gone: Sequence[str], new: Sequence[str], *, limit: int = 6) -> str:
    """``"figures changed: 9, 20 -> 12, 15"`` (at most ``limit`` figures a side shown)."""
    if not gone and not new:
        return "its figures changed"

    def some(values: Sequence[str]) -> str:
        shown = ", ".join(values[:limit])
        return (shown + ", ...") if len(values) > limit else (shown or "none")

    return f"figures changed: {some(gone)} -> {some(new)}"


def name_updates(
    verdicts: list[Verdict],
    pairs: np.ndarray,
    scores: np.ndarray,
    published: np.ndarray,
    ids: Sequence[str],
    *,
    first: int = 0,
    kept_before: np.ndarray | None = None,
    texts: Sequence[str] | None = None,
    rep: np.ndarray | None = None,
) -> list[Verdict]:
    """The verdicts with the update pairs named: the later article of each is an "update" of the earlier.

    ``pairs`` are update pairs ``(i, j)`` of nodes; ``verdicts[k]`` is the verdict of node ``first + k`` (nodes
    before ``first`` are stored articles, their verdicts given already; ``kept_before`` says which of them are
    kept). A duplicate stands for its representative (``rep``: each node's representative node, -1 for itself),
    so its versions are its representative's; then only pairs of two kept articles count. A later
    version's verdict becomes "update" of its best-scoring earlier version; every earlier version in the
    batch is ``updated_by`` the latest version it leads to. Times are ``published`` (seconds), ties in node order.
    """
    n = first + len(verdicts)
    kept = np.zeros(n, bool)
    if kept_before is not None:
        kept[:first] = kept_before
    kept[first:] = [v.status in ("unique", "representative") for v in verdicts]
    pairs = np.asarray(pairs, np.int64).reshape(-1, 2)
    if rep is not None and pairs.size:
        pairs = np.where(rep[pairs] >= 0, rep[pairs], pairs)
    use = kept[pairs[:, 0]] & kept[pairs[:, 1]] & (pairs[:, 0] != pairs[:, 1]) if pairs.size else np.zeros(0, bool)
    pairs, scores = pairs[use], np.asarray(scores, float)[use]
    if not pairs.size:
        return verdicts
    rank = np.lexsort((np.arange(n), published[:n]))  # nodes by time, then node order
    place = np.empty(n, np.int64)
    place[rank] = np.arange(n)
    later_first = place[pairs[:, 1]] > place[pairs[:, 0]]
    earlier = np.where(later_first, pairs[:, 0], pairs[:, 1])
    later = np.where(later_first, pairs[:, 1], pairs[:, 0])
    # The best earlier version of each later one (the first of the best: the earliest on ties).
    order = np.lexsort((place[earlier], -scores, later))
    best_of: dict[int, tuple[int, float]] = {}
    for e, l, s in zip(earlier[order].tolist(), later[order].tolist(), scores[order].tolist()):
        best_of.setdefault(l, (e, s))
    # The latest version each article leads to, walking from the latest article back.
    successors: dict[int, list[int]] = {}
    for e, l in zip(earlier.tolist(), later.tolist()):
        successors.setdefault(e, []).append(l)
    latest: dict[int, int] = {}
    for node in sorted(successors, key=lambda x: -place[x]):
        ends = [latest.get(s, s) for s in successors[node]]
        latest[node] = max(ends, key=lambda x: place[x])
    out = list(verdicts)
    for node in range(first, n):
        v = out[node - first]
        changes: dict[str, object] = {}
        if node in best_of:
            e, s = best_of[node]
            what = describe_change(_text(texts, e), _text(texts, node))
            changes.update(
                status="update",
                update_of=ids[e],
                score=s,
                reason=f"update of {ids[e]!r} (score {s:.2f}): the same report, {what}",
            )
        if node in latest:
            changes["updated_by"] = ids[latest[node]]
        if changes:
            out[node - first] = dataclasses.replace(v, **changes)  # type: ignore[arg-type]
    return out


def link_versions(verdicts: list[Verdict]) -> list[Verdict]:
    """The verdicts with ``updated_by`` set from the ``update_of`` links among them: each earlier version names the
    latest version it leads to (for a run made of several batches, where each batch named only its own)."""
    later: dict[str, list[str]] = {}
    for v in verdicts:
        if v.status == "update" and v.update_of is not None and v.id is not None:
            later.setdefault(v.update_of, []).append(v.id)
    if not later:
        return verdicts
    order = {v.id: k for k, v in enumerate(verdicts)}  # later in the run: later (each update came after its version)

    def latest(node: str, seen: frozenset[str] = frozenset()) -> str:
        ends = [latest(n, seen | {node}) if n in later and n not in seen else n for n in later[node]]
        return max(ends, key=lambda n: order.get(n, -1))

    out = []
    for v in verdicts:
        if v.id in later and v.updated_by is None:
            v = dataclasses.replace(v, updated_by=latest(v.id))  # type: ignore[arg-type]
        out.append(v)
    return out


def _text(texts: Sequence[str] | None, node: int) -> str | None:
    return texts[node] if texts is not None and node < len(texts) and texts[node] else None
