"""Bounding the cost of aligning two long texts: sentences that are the same in both, once each, anchor
the alignment, and only the stretches between anchors are aligned cell by cell.

The dynamic program of :func:`dedup.align.align` scores every sentence of A against every sentence
of B: n x m cells (about 30 bytes each). Two copies of a 10,000-sentence text would be 10^8 cells.
Above ``max_cells`` the texts are cut at anchors, as patience diff does: token-identical sentences
that occur exactly once in each text, the longest chain of them in the same order in both. The
stretches between consecutive anchors are aligned on their own; a stretch still above
``max_cells`` is cut into pieces along its diagonal, each at most ``max_cells``.
"""

from __future__ import annotations

import bisect
import math
from collections import Counter
from collections.abc import Iterator, Sequence

__all__ = ["anchor_chain", "pieces"]


def anchor_chain(ta: Sequence[Sequence[str]], tb: Sequence[Sequence[str]]) -> list[tuple[int, int]]:
    """``(i, j)`` of sentences identical in A and B, unique in each, in the longest chain increasing in both."""
    count_a = Counter(tuple(t) for t in ta if t)
    count_b = Counter(tuple(t) for t in tb if t)
    where_b = {tuple(t): j for j, t in enumerate(tb) if t and count_b[tuple(t)] == 1}
    pairs = [(i, where_b[tuple(t)]) for i, t in enumerate(ta) if t and count_a[tuple(t)] == 1 and tuple(t) in where_b]
    # longest increasing subsequence of the j's (pairs are in i order): patience sorting
    tails: list[int] = []  # tails[k]: the smallest j ending a chain of length k + 1
    tail_at: list[int] = []  # the pair index holding it
    parent = [-1] * len(pairs)
    for k, (_, j) in enumerate(pairs):
        slot = bisect.bisect_left(tails, j)
        if slot == len(tails):
            tails.append(j)
            tail_at.append(k)
        else:
            tails[slot], tail_at[slot] = j, k
        parent[k] = tail_at[slot - 1] if slot else -1
    chain: list[tuple[int, int]] = []
    k = tail_at[-1] if tail_at else -1
    while k >= 0:
        chain.append(pairs[k])
        k = parent[k]
    return chain[::-1]


def pieces(
    ta: Sequence[Sequence[str]], tb: Sequence[Sequence[str]], *, max_cells: int
) -> Iterator[tuple[str, tuple[int, int, int, int]]]:
    """``("anchor", (i, i + 1, j, j + 1))`` and ``("align", (a0, a1, b0, b1))`` in reading order, covering both texts."""
    n, m = len(ta), len(tb)
    if n * m <= max_cells:
        yield "align", (0, n, 0, m)
        return
    a0 = b0 = 0
    for i, j in [*anchor_chain(ta, tb), (n, m)]:
        yield from _diagonal(a0, i, b0, j, max_cells)
        if i < n:
            yield "anchor", (i, i + 1, j, j + 1)
        a0, b0 = i + 1, j + 1


def _diagonal(a0: int, a1: int, b0: int, b1: int, max_cells: int) -> Iterator[tuple[str, tuple[int, int, int, int]]]:
    ga, gb = a1 - a0, b1 - b0
    if ga == 0 and gb == 0:
        return
    k = max(1, math.ceil(math.sqrt(ga * gb / max_cells)))
    for p in range(k):
        yield "align", (a0 + ga * p // k, a0 + ga * (p + 1) // k, b0 + gb * p // k, b0 + gb * (p + 1) // k)
