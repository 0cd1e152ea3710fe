"""Sentence alignment and word-level diff of two articles: how was B rewritten from A?

:func:`align` splits both texts with :func:`dedup.text.split_sentences`, scores every sentence
of A against every sentence of B in one :func:`rapidfuzz.process.cdist` call over normalised
tokens, and finds the best monotone alignment by dynamic programming, allowing

- 1-to-1 links (``"identical"`` when the normalised words agree, ``"rewritten"`` otherwise),
- 2-to-1 links (``"merged"``: two sentences of A became one of B),
- 1-to-2 links (``"split"``: one sentence of A became two of B),
- sentences left out (``"dropped"``: only in A) or put in (``"added"``: only in B).

A second pass links sentences still unmatched on both sides that moved out of order
(``"moved"``). Each link carries a word-level diff that shows the original words but ignores
differences of case, quote style and spacing. See ``docs/alignment.md`` for how the scorer and
thresholds were chosen.

>>> from dedup.align import align
>>> result = align("NATO did not respond. OpenAI said so.", "OpenAI said so. Nato did not reply.")
>>> [(link.kind, link.a, link.b) for link in result.links]
[('moved', (0,), (1,)), ('identical', (1,), (0,))]
>>> [(op.op, op.a_text, op.b_text) for op in result.links[0].diff]
[('equal', 'NATO did not', 'Nato did not'), ('replace', 'respond.', 'reply.')]
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

import numpy as np
from rapidfuzz import fuzz, process

from ._anchors import pieces
from .article import Article
from .config import check_fraction
from .errors import ConfigError, InputError
from .sentences import Sentence, split_sentences
from .word_diff import DiffOp, chunk_tokens, word_diff

__all__ = ["LINKED_KINDS", "SCORERS", "Alignment", "DiffOp", "Link", "align", "word_diff"]

LinkKind = Literal["identical", "rewritten", "merged", "split", "moved", "added", "dropped"]

#: The kinds of link that join a sentence of A to a sentence of B (all but "added" and "dropped").
LINKED_KINDS = frozenset({"identical", "rewritten", "merged", "split", "moved"})

# Chosen by benchmarks/measure_alignment.py on MSRP and STS news pairs; see docs/alignment.md.
_MIN_SCORE = 0.4
_MOVE_SCORE = 0.5
_MERGE_GAIN = 0.05  # a merge or split must score this much above its best single part
_PART_SCORE = 0.3  # ... and each part must score at least this against the other side
#: The most sentence pairs one alignment scores (about 30 bytes each: some 120 MB). Longer texts are aligned
#: between the sentences they share (see :mod:`dedup._anchors`), so one huge article cannot take gigabytes.
MAX_CELLS = 1 << 22


@dataclass(frozen=True, slots=True)
class Link:
    """Sentences of A (indices ``a``) joined to sentences of B (indices ``b``).

    ``kind`` is one of "identical", "rewritten", "merged", "split", "moved" (linked), "dropped"
    (``b`` is empty) or "added" (``a`` is empty). ``score`` is the similarity in [0, 1] of the
    linked sentences (0.0 for dropped and added), ``diff`` the word-level diff.
    """

    a: tuple[int, ...]
    b: tuple[int, ...]
    kind: LinkKind
    score: float
    diff: tuple[DiffOp, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        return {
            "a": list(self.a),
            "b": list(self.b),
            "kind": self.kind,
            "score": self.score,
            "diff": [op.to_dict() for op in self.diff],
        }


@dataclass(frozen=True, slots=True)
class Alignment:
    """The sentence alignment of two texts A and B.

    ``links`` cover every sentence of both texts exactly once, in reading order (the order of A,
    with sentences only in B where they stand between). ``coverage_a`` is the share of A's
    sentence characters linked to B, ``coverage_b`` the share of B's linked to A: how much of B
    is derived from A.
    """

    sentences_a: tuple[Sentence, ...]
    sentences_b: tuple[Sentence, ...]
    links: tuple[Link, ...]
    coverage_a: float
    coverage_b: float

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON-able data with the same keys."""
        return {
            "sentences_a": [s.to_dict() for s in self.sentences_a],
            "sentences_b": [s.to_dict() for s in self.sentences_b],
            "links": [link.to_dict() for link in self.links],
            "coverage_a": self.coverage_a,
            "coverage_b": self.coverage_b,
            "figures_changed": dict(zip(("a", "b"), self.figures_changed)),
        }

    @property
    def figures_changed(self) -> tuple[list[str], list[str]]:
        """The figures only A has and those only B has, in order (``2,500`` and ``2500`` are one): what an update
        changed (:func:`dedup.updates.changed_figures`)."""
        from .updates import changed_figures

        return changed_figures(" ".join(s.text for s in self.sentences_a), " ".join(s.text for s in self.sentences_b))


# ---------------------------------------------------------------------------------------------
# Words: original text for display, normalised tokens for comparison
# ---------------------------------------------------------------------------------------------

# ---------------------------------------------------------------------------------------------
# Scoring: all sentence pairs at once
# ---------------------------------------------------------------------------------------------


_CHAR_SCORERS = {
    "ratio": fuzz.ratio,
    "token_sort_ratio": fuzz.ratio,  # over tokens sorted by _keys
    "token_set_ratio": fuzz.token_set_ratio,
    "partial_ratio": fuzz.partial_ratio,
    "WRatio": fuzz.WRatio,
}
#: Sentence similarities :func:`align` can use. The first five are rapidfuzz's scorers over the
#: normalised tokens joined by spaces; "word_ratio" is the Indel similarity of the token
#: sequences (words, not characters, are inserted and deleted) and "word_dice" the Dice
#: coefficient of the token multisets. The default was chosen by measurement (docs/alignment.md).
SCORERS = (*_CHAR_SCORERS, "word_ratio", "word_dice")
_DEFAULT_SCORER = "word_dice"


def _keys(ta: list[list[str]], tb: list[list[str]], scorer: str) -> tuple[list[str], ...]:
    """The strings a scorer compares, for A, B, neighbours of A joined and neighbours of B joined.

    Character scorers see the tokens joined by spaces; word scorers one character per distinct
    token (sorted for "word_dice"), so that rapidfuzz inserts and deletes whole words.
    """
    if scorer == "token_sort_ratio":  # sorted once here, then compared with fuzz.ratio: the same scores, faster
        return (
            [" ".join(sorted(t)) for t in ta],
            [" ".join(sorted(t)) for t in tb],
            [" ".join(sorted(x + y)) for x, y in itertools.pairwise(ta)],
            [" ".join(sorted(x + y)) for x, y in itertools.pairwise(tb)],
        )
    if scorer in _CHAR_SCORERS:
        ka, kb = [" ".join(t) for t in ta], [" ".join(t) for t in tb]
        return ka, kb, [f"{x} {y}" for x, y in itertools.pairwise(ka)], [f"{x} {y}" for x, y in itertools.pairwise(kb)]
    vocab: dict[str, int] = {}
    ka = ["".join([chr(vocab.setdefault(w, len(vocab))) for w in t]) for t in ta]
    kb = ["".join([chr(vocab.setdefault(w, len(vocab))) for w in t]) for t in tb]
    ka2, kb2 = [x + y for x, y in itertools.pairwise(ka)], [x + y for x, y in itertools.pairwise(kb)]
    if scorer == "word_dice":
        ka, kb, ka2, kb2 = ([("".join(sorted(k))) for k in keys] for keys in (ka, kb, ka2, kb2))
    return ka, kb, ka2, kb2


def _score(queries: list[str], choices: list[str], scorer: str) -> np.ndarray:
    """Similarity in [0, 1] of every query to every choice, shape (len(queries), len(choices)), float32."""
    if not queries or not choices:
        return np.zeros((len(queries), len(choices)), dtype=np.float32)
    fn = _CHAR_SCORERS.get(scorer, fuzz.ratio)
    scores = process.cdist(queries, choices, scorer=fn, processor=None, workers=1)
    return scores.astype(np.float32) / np.float32(100.0)


# ---------------------------------------------------------------------------------------------
# Dynamic programming over the score matrices
# ---------------------------------------------------------------------------------------------

_DROP, _ONE, _MERGE, _SPLIT = 0, 1, 2, 3


def _monotone_path(
    single: np.ndarray, merged: np.ndarray, split: np.ndarray, *, min_score: float
) -> list[tuple[int, int, int]]:
    """Best monotone alignment as (move, i, j) steps in reading order.

    ``single`` is (n, m): A sentence i against B sentence j; ``merged`` (n-1, m): A sentences i
    and i+1 against B sentence j; ``split`` (n, m-1): A sentence i against B sentences j and j+1.
    A link scoring s is worth s (two sentences: 2 s); a sentence left unlinked is worth 0.
    Only 1-to-1 links of at least ``min_score`` are allowed; merges and splits must also beat
    their best single part by a margin and have no part below ``_PART_SCORE``.
    """
    n, m = single.shape
    neg = np.float32(-np.inf)
    gain1 = np.where(single >= min_score, single, neg)
    if n > 1:
        parts = np.stack([single[:-1], single[1:]])
        ok = (merged >= min_score) & (merged >= parts.max(0) + _MERGE_GAIN) & (parts.min(0) >= _PART_SCORE)
        gain_m = np.where(ok, 2 * merged, neg)
    if m > 1:
        parts = np.stack([single[:, :-1], single[:, 1:]])
        ok = (split >= min_score) & (split >= parts.max(0) + _MERGE_GAIN) & (parts.min(0) >= _PART_SCORE)
        gain_s = np.where(ok, 2 * split, neg)

    best = np.zeros((n + 1, m + 1), dtype=np.float64)  # best[i, j]: first i of A with first j of B
    before = np.zeros((n + 1, m + 1), dtype=np.float64)  # best[i, j] before taking "B sentence added"
    move = np.zeros((n + 1, m + 1), dtype=np.int8)
    for i in range(1, n + 1):
        row = best[i - 1].copy()  # A sentence i-1 dropped
        choice = np.full(m + 1, _DROP, dtype=np.int8)
        cands = [(_ONE, 1, best[i - 1, :-1] + gain1[i - 1])]
        if i > 1 and n > 1:
            cands.append((_MERGE, 1, best[i - 2, :-1] + gain_m[i - 2]))
        if m > 1:
            cands.append((_SPLIT, 2, best[i - 1, :-2] + gain_s[i - 1]))
        for code, offset, values in cands:
            better = values > row[offset:]
            row[offset:][better] = values[better]
            choice[offset:][better] = code
        before[i] = row
        move[i] = choice
        best[i] = np.maximum.accumulate(row)

    steps: list[tuple[int, int, int]] = []
    i, j = n, m
    while i > 0 and j > 0:
        if before[i, j] < best[i, j]:
            steps.append((-1, i, j - 1))  # B sentence j-1 added
            j -= 1
            continue
        code = int(move[i, j])
        steps.append((code, i - 1, j - 1))
        if code == _DROP:
            i -= 1
        elif code == _ONE:
            i, j = i - 1, j - 1
        elif code == _MERGE:
            i, j = i - 2, j - 1
        else:
            i, j = i - 1, j - 2
    steps.extend((_DROP, k, -1) for k in range(i - 1, -1, -1))
    steps.extend((-1, -1, k) for k in range(j - 1, -1, -1))
    steps.reverse()
    return steps


# ---------------------------------------------------------------------------------------------
# The public entry point
# ---------------------------------------------------------------------------------------------


def _as_text(obj: object, name: str) -> str:
    if isinstance(obj, Article):
        return obj.text
    if isinstance(obj, str):
        return obj
    if isinstance(obj, bytes):
        raise InputError(f"align(): {name} is bytes; decode it first, e.g. data.decode('utf-8')")
    raise InputError(f"align(): {name} must be a str or an Article; got {type(obj).__name__}")


def _coverage(sentences: Sequence[Sentence], linked: set[int]) -> float:
    total = sum(s.end - s.start for s in sentences)
    if total == 0:
        return 0.0
    return sum(sentences[k].end - sentences[k].start for k in linked) / total


def align(
    a: str | Article,
    b: str | Article,
    *,
    min_score: float = _MIN_SCORE,
    move_score: float = _MOVE_SCORE,
    diff: bool = True,
    scorer: str = _DEFAULT_SCORER,
) -> Alignment:
    """Align the sentences of two texts (or :class:`~dedup.article.Article` s) and diff their words.

    Parameters
    ----------
    a, b : str or Article
        The earlier text (A) and the text that may be derived from it (B).
    min_score : float in [0, 1]
        Least similarity of an in-order link.
    move_score : float in [0, 1]
        Least similarity of a "moved" link (sentences linked out of order).
    diff : bool
        Compute the word-level diff of each link; ``False`` leaves ``Link.diff`` empty and is
        faster when only links and coverage are needed.
    scorer : str
        Sentence similarity, one of :data:`SCORERS`; the default was chosen by measurement.

    Returns
    -------
    Alignment
    """
    text_a, text_b = _as_text(a, "a"), _as_text(b, "b")
    check_fraction("min_score", min_score, allow_zero=True)
    check_fraction("move_score", move_score, allow_zero=True)
    if scorer not in SCORERS:
        raise ConfigError(f"align(): unknown scorer {scorer!r}; expected one of {', '.join(SCORERS)}")
    sa = tuple(split_sentences(text_a))
    sb = tuple(split_sentences(text_b))
    ta = [chunk_tokens(s.text) for s in sa]
    tb = [chunk_tokens(s.text) for s in sb]

    ka, kb, ka2, kb2 = _keys(ta, tb, scorer)
    # Cell by cell over the whole texts, or, for long ones, between the sentences they share (bounded cost).
    events: list[list[Any]] = []
    for part, (a0, a1, b0, b1) in pieces(ta, tb, max_cells=MAX_CELLS):
        if part == "anchor":
            events.append([(a0,), (b0,), "identical", 1.0])
            continue
        single = _score(ka[a0:a1], kb[b0:b1], scorer)
        merged = _score(ka2[a0 : a1 - 1], kb[b0:b1], scorer)
        split = _score(ka[a0:a1], kb2[b0 : b1 - 1], scorer)
        steps = (
            _monotone_path(single, merged, split, min_score=min_score)
            if a1 > a0 and b1 > b0
            else ([(_DROP, i, -1) for i in range(a1 - a0)] + [(-1, -1, j) for j in range(b1 - b0)])
        )
        # Steps into (a, b, kind, score); unlinked sentences are collected for the second pass.
        for code, i, j in steps:
            gi, gj = a0 + i, b0 + j
            if code == -1:
                events.append([(), (gj,), "added", 0.0])
            elif code == _DROP:
                events.append([(gi,), (), "dropped", 0.0])
            elif code == _ONE:
                kind = "identical" if ta[gi] == tb[gj] else "rewritten"
                events.append([(gi,), (gj,), kind, float(single[i, j])])
            elif code == _MERGE:
                events.append([(gi - 1, gi), (gj,), "merged", float(merged[i - 1, j])])
            else:
                events.append([(gi,), (gj - 1, gj), "split", float(split[i, j - 1])])

    # Second pass: link sentences unmatched on both sides that moved out of order, best first
    # (skipped when there are too many of them to score each against each).
    dropped = {e[0][0]: e for e in events if e[2] == "dropped"}
    added = {e[1][0]: e for e in events if e[2] == "added"}
    if dropped and added and len(dropped) * len(added) <= MAX_CELLS:
        rows, cols = sorted(dropped), sorted(added)
        sub = _score([ka[r] for r in rows], [kb[c] for c in cols], scorer)
        for flat in np.argsort(-sub, axis=None, kind="stable"):
            r, c = divmod(int(flat), len(cols))
            if sub[r, c] < move_score:
                break
            i, j = rows[r], cols[c]
            if i in dropped and j in added:
                event = dropped.pop(i)
                event[1], event[2], event[3] = (j,), "moved", float(sub[r, c])
                added.pop(j)[2] = None  # the B sentence now stands with its link
        events = [e for e in events if e[2] is not None]

    links = []
    for ia, ib, kind, score in events:
        ops: tuple[DiffOp, ...] = ()
        if diff:
            ops = word_diff([sa[k].text for k in ia], [sb[k].text for k in ib])
        links.append(Link(ia, ib, kind, min(max(score, 0.0), 1.0), ops))
    linked_a = {k for link in links if link.kind in LINKED_KINDS for k in link.a}
    linked_b = {k for link in links if link.kind in LINKED_KINDS for k in link.b}
    return Alignment(sa, sb, tuple(links), _coverage(sa, linked_a), _coverage(sb, linked_b))
