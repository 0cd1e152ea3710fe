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
from .text import normalize, tokenize

__all__ = ["DiffOp", "chunk_tokens", "word_diff"]

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


@lru_cache(maxsize=1 << 16)
def _chunk_key(chunk: str) -> tuple[str, ...]:
    """The comparison key of one white-space separated chunk: its tokens, or its normalised text."""
    return _chunk_tokens(chunk) or (normalize(chunk),)


def _words(texts: Sequence[str]) -> tuple[list[str], list[tuple[str, ...]]]:
    """Original chunks and their comparison keys, over several sentences read one after another."""
    chunks = [chunk for text in texts for chunk in _CHUNK_RE.findall(text)]
    return chunks, [_chunk_key(chunk) for chunk in chunks]


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
    chunks_a, keys_a = _words([a] if isinstance(a, str) else a)
    chunks_b, keys_b = _words([b] if isinstance(b, str) else b)
    ops: list[DiffOp] = []
    pending_a: list[str] = []
    pending_b: list[str] = []

    def flush() -> None:
        if pending_a or pending_b:
            op: DiffKind = "replace" if pending_a and pending_b else ("delete" if pending_a else "insert")
            ops.append(DiffOp(op, " ".join(pending_a), " ".join(pending_b)))
            pending_a.clear()
            pending_b.clear()

    for op_code in Indel.opcodes(keys_a, keys_b):
        tag, a0, a1, b0, b1 = op_code.tag, op_code.src_start, op_code.src_end, op_code.dest_start, op_code.dest_end
        if tag == "equal":
            flush()
            ops.append(DiffOp("equal", " ".join(chunks_a[a0:a1]), " ".join(chunks_b[b0:b1])))
        else:
            pending_a.extend(chunks_a[a0:a1])
            pending_b.extend(chunks_b[b0:b1])
    flush()
    return tuple(ops)
