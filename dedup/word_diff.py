"""Word-level diff of two texts, words compared normalised and shown as written."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache
from itertools import chain
from typing import Literal

from rapidfuzz.distance import Indel

from .errors import ArgumentTypeError
from .text import _CJK, normalize, tokenize

__all__ = ["DiffOp", "chunk_tokens", "join_runs", "word_diff"]

DiffKind = Literal["equal", "replace", "insert", "delete"]


@dataclass(frozen=True, slots=True)
class DiffOp:
    """One step of a word-level diff, with the original words of each side.

    ``op`` is ``"equal"`` (the same words up to case, quote style and spacing), ``"replace"``,
    ``"insert"`` (only in B; ``a_text`` is empty) or ``"delete"`` (only in A; ``b_text`` is empty).
    """

    op: DiffKind
    a_text: str
    b_text: str

    def to_dict(self) -> dict[str, str]:
        return {"op": self.op, "a": self.a_text, "b": self.b_text}


_CHUNK_RE = re.compile(r"\S+")
# Units of a diff: white-space separated words, except that scripts written without spaces (Chinese,
# Japanese, Thai, ...) are compared character by character, with the punctuation between them.
_UNIT_RE = re.compile(rf"[{_CJK}]|[^\s{_CJK}]+")
_UNSPACED = re.compile(rf"[{_CJK}\u3000-\u303f\uff00-\uffef]")  # and their punctuation, full-width forms


@lru_cache(maxsize=1 << 16)
def _chunk_key(chunk: str) -> tuple[str, ...]:
    """The comparison key of one unit: its tokens, or its normalised text."""
    return _chunk_tokens(chunk) or (normalize(chunk),)


def _words(texts: Sequence[str]) -> tuple[list[str], list[tuple[str, ...]], list[bool]]:
    """Original units, their comparison keys, and whether white space came before each, over several
    sentences read one after another."""
    units: list[str] = []
    spaced: list[bool] = []
    for text in texts:
        for chunk in _CHUNK_RE.findall(text):
            if _UNSPACED.search(chunk) is None:
                units.append(chunk)
                spaced.append(True)
                continue
            pieces = _UNIT_RE.findall(chunk)
            units.extend(pieces)
            spaced.extend([True] + [False] * (len(pieces) - 1))
    return units, [_chunk_key(unit) for unit in units], spaced


def join_runs(texts: Sequence[str], shown: Sequence[str] | None = None) -> str:
    """Runs of text joined by single spaces, except next to a character of a script written without them
    (``shown``: what to write for each run, e.g. escaped and marked up, the spacing decided on ``texts``)."""
    out: list[str] = []
    last = ""
    for k, text in enumerate(texts):
        if not text:
            continue
        if last and _UNSPACED.match(last[-1]) is None and _UNSPACED.match(text[0]) is None:
            out.append(" ")
        out.append(text if shown is None else shown[k])
        last = text
    return "".join(out)


def _joined(units: list[str], spaced: list[bool], start: int, end: int) -> str:
    return "".join((" " if spaced[k] and k > start else "") + units[k] for k in range(start, end))


@lru_cache(maxsize=1 << 16)
def _chunk_tokens(chunk: str) -> tuple[str, ...]:
    return tuple(tokenize(chunk))


def chunk_tokens(text: str) -> list[str]:
    """``tokenize(text)``, by white-space chunks through a cache (tokens never span white space)."""
    return list(chain.from_iterable(map(_chunk_tokens, _CHUNK_RE.findall(text))))


def word_diff(a: str | Sequence[str], b: str | Sequence[str]) -> tuple[DiffOp, ...]:
    """Word-level diff of two texts (or of sentences read one after another).

    Words are compared normalised (case, quotes, dashes, spacing and attached punctuation do
    not count) and shown as written; neighbouring changes are joined into one step.

    >>> [(op.op, op.a_text, op.b_text) for op in word_diff("The \u201cdeal\u201d was  signed.", 'the "deal" was struck')]
    [('equal', 'The \u201cdeal\u201d was', 'the "deal" was'), ('replace', 'signed.', 'struck')]
    """
    for side, value in (("a", a), ("b", b)):
        if not isinstance(value, str) and not (
            isinstance(value, (list, tuple)) and all(isinstance(v, str) for v in value)
        ):
            raise ArgumentTypeError(
                f"word_diff(): {side} must be a str or a sequence of str; got {type(value).__name__}"
            )
    chunks_a, keys_a, spaced_a = _words([a] if isinstance(a, str) else a)
    chunks_b, keys_b, spaced_b = _words([b] if isinstance(b, str) else b)
    ops: list[DiffOp] = []
    pending: list[tuple[int, int, int, int]] = []  # changed spans not yet written: (a0, a1, b0, b1)

    def flush() -> None:
        if pending:
            a0, b0, a1, b1 = pending[0][0], pending[0][2], pending[-1][1], pending[-1][3]
            text_a, text_b = _joined(chunks_a, spaced_a, a0, a1), _joined(chunks_b, spaced_b, b0, b1)
            op: DiffKind = "replace" if text_a and text_b else ("delete" if text_a else "insert")
            ops.append(DiffOp(op, text_a, text_b))
            pending.clear()

    for op_code in Indel.opcodes(keys_a, keys_b):
        tag, a0, a1, b0, b1 = op_code.tag, op_code.src_start, op_code.src_end, op_code.dest_start, op_code.dest_end
        if tag == "equal":
            flush()
            ops.append(DiffOp("equal", _joined(chunks_a, spaced_a, a0, a1), _joined(chunks_b, spaced_b, b0, b1)))
        else:
            pending.append((a0, a1, b0, b1))
    flush()
    return tuple(ops)
