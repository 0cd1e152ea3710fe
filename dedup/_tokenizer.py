"""Compiled kernel of the text stage: the tokens of a whole batch and their hashes in one pass.

The token rules are those of :func:`dedup.text.tokenize` (a regex, the reference), run here as a
hand-written state machine over the code points of the folded text, with a character-class table
built from the same regex classes (:func:`dedup.text.char_class`). Each token is hashed as it is
read, with the stable hash of :func:`dedup.shingles.token_hash`: no Python object and no dictionary
lookup per token. Kernels trust their inputs; the public wrappers in ``shingles`` validate.

Compiled with numba on first use and cached on disk next to this file (``cache=True``); where that
is not writable numba uses its user-wide cache, and where nothing is, the kernel is compiled in
each process instead.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numba
import numpy as np

from .text import ALNUM, CJK, DECIMAL, SCALE_WORDS, SPACE, WORD_CHAR, char_class

__all__ = ["token_hashes", "token_spans"]

# Token kinds (and the state the scanner is in).
_DOTTED, _CJK_CHAR, _NUMBER, _WORD = 1, 2, 3, 4
_UNKNOWN = 128  # a code point not classified yet (the table is filled as code points are seen)
_TABLE_SIZE = 0x110000

_OFFSET = np.uint64(0xCBF29CE484222325)
_MUL = np.uint64(0x9E3779B97F4A7C15)


def _jit(fn):  # type: ignore[no-untyped-def]
    try:
        return numba.njit(cache=True, nogil=True)(fn)
    except RuntimeError:  # pragma: no cover - no writable cache location at all: compile per process
        return numba.njit(nogil=True)(fn)


@_jit
def _fmix64(h):  # type: ignore[no-untyped-def]
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xFF51AFD7ED558CCD)
    h ^= h >> np.uint64(33)
    h *= np.uint64(0xC4CEB9FE1A85EC53)
    return h ^ (h >> np.uint64(33))


@_jit
def _step(h, c):  # type: ignore[no-untyped-def]
    h = (h ^ np.uint64(c)) * _MUL
    return h ^ (h >> np.uint64(32))


@_jit
def _hash_codes(codes):  # type: ignore[no-untyped-def]
    h = _OFFSET
    for c in codes:
        h = _step(h, c)
    return _fmix64(h ^ np.uint64(codes.shape[0]))


@_jit
def _is_letter(f):  # type: ignore[no-untyped-def]
    return (f & ALNUM) != 0 and (f & DECIMAL) == 0


@_jit
def _unknown(codes, table):  # type: ignore[no-untyped-def]
    """The distinct code points of ``codes`` the table does not know yet."""
    found = []
    for c in codes:
        if table[c] == _UNKNOWN:
            table[c] = _UNKNOWN + 1  # seen: reported once
            found.append(c)
    out = np.empty(len(found), np.uint32)
    for k, c in enumerate(found):
        out[k] = c
    return out


@_jit
def _dotted_end(codes, table, p, s, e):  # type: ignore[no-untyped-def]
    """End of the dotted abbreviation starting at ``p`` ("u.s."), or -1."""
    if p + 1 >= e or codes[p + 1] != 46 or (p > s and (table[codes[p - 1]] & WORD_CHAR) != 0):
        return -1
    q, pairs = p, 0
    while q + 1 < e and _is_letter(table[codes[q]]) and codes[q + 1] == 46:
        q += 2
        pairs += 1
    if pairs < 2 or (q < e and _is_letter(table[codes[q]])):
        return -1
    return q


@_jit
def _number_end(codes, table, p, e):  # type: ignore[no-untyped-def]
    """End of the number starting at ``p``: digits, groups after . , or :, an ordinal suffix."""
    q = p
    while q < e and (table[codes[q]] & DECIMAL) != 0:
        q += 1
    while q + 1 < e and (codes[q] == 46 or codes[q] == 44 or codes[q] == 58) and (table[codes[q + 1]] & DECIMAL) != 0:
        q += 1
        while q < e and (table[codes[q]] & DECIMAL) != 0:
            q += 1
    if q + 1 < e and (q + 2 == e or (table[codes[q + 2]] & ALNUM) == 0):
        a, b = codes[q], codes[q + 1]
        if (a == 115 and b == 116) or (a == 110 and b == 100) or (a == 114 and b == 100) or (a == 116 and b == 104):
            q += 2  # st nd rd th
    return q


@_jit
def _word_end(codes, table, p, e):  # type: ignore[no-untyped-def]
    """End of the word starting at ``p``: letters and digits, inner apostrophes (not a possessive 's)."""
    q = p + 1
    while True:
        while q < e and (table[codes[q]] & (ALNUM | CJK)) == ALNUM:
            q += 1
        if q + 1 < e and codes[q] == 39 and (table[codes[q + 1]] & (ALNUM | CJK)) == ALNUM:
            if codes[q + 1] == 115 and (q + 2 == e or (table[codes[q + 2]] & WORD_CHAR) == 0):
                return q  # a possessive 's
            q += 1
        else:
            return q


@_jit
def _token_hash(codes, table, kind, p, q):  # type: ignore[no-untyped-def]
    """The hash of the normalised token ``codes[p:q]``: dots of an abbreviation and thousands commas left out."""
    h, n = _OFFSET, 0
    for j in range(p, q):
        c = codes[j]
        if kind == _DOTTED and c == 46:
            continue
        if (
            kind == _NUMBER
            and c == 44
            and j + 3 < q
            and (table[codes[j + 1]] & table[codes[j + 2]] & table[codes[j + 3]] & DECIMAL) != 0
            and (j + 4 == q or (table[codes[j + 4]] & DECIMAL) == 0)
        ):
            continue  # a thousands separator
        h = _step(h, c)
        n += 1
    return _fmix64(h ^ np.uint64(n))


@_jit
def _scale(codes, table, p, q, gap_start, scale_codes, scale_lens):  # type: ignore[no-untyped-def]
    """Which scale word ``codes[p:q]`` is (-1: none, or not after white space only since ``gap_start``)."""
    for j in range(gap_start, p):
        if (table[codes[j]] & SPACE) == 0:
            return -1
    for k in range(scale_lens.shape[0]):
        if scale_lens[k] == q - p:
            same = True
            for j in range(q - p):
                if codes[p + j] != scale_codes[k, j]:
                    same = False
                    break
            if same:
                return k
    return -1


@_jit
def _scan(codes, bounds, table, scale_codes, scale_lens, scale_hashes):  # type: ignore[no-untyped-def]
    """Tokens of every document ``codes[bounds[d]:bounds[d + 1]]``: hashes, figure flags, spans, offsets."""
    n_docs = bounds.shape[0] - 1
    cap = codes.shape[0]
    hashes = np.empty(cap, np.uint64)
    figures = np.empty(cap, np.bool_)
    starts = np.empty(cap, np.int64)
    ends = np.empty(cap, np.int64)
    offsets = np.empty(n_docs + 1, np.int64)
    offsets[0] = 0
    t = 0
    for d in range(n_docs):
        s, e = bounds[d], bounds[d + 1]
        p = s
        figure_end = -1  # where the last match ended, if it was a figure
        while p < e:
            f = table[codes[p]]
            kind, q = 0, -1
            if _is_letter(f):
                q = _dotted_end(codes, table, p, s, e)
                if q >= 0:
                    kind = _DOTTED
            if kind == 0:
                if (f & CJK) != 0:
                    kind, q = _CJK_CHAR, p + 1
                elif (f & DECIMAL) != 0:
                    kind, q = _NUMBER, _number_end(codes, table, p, e)
                elif (f & ALNUM) != 0:
                    kind, q = _WORD, _word_end(codes, table, p, e)
                else:
                    p += 1
                    continue
            scale = -1
            if kind == _WORD and figure_end >= 0:
                scale = _scale(codes, table, p, q, figure_end, scale_codes, scale_lens)
            h = scale_hashes[scale] if scale >= 0 else _token_hash(codes, table, kind, p, q)
            hashes[t], figures[t], starts[t], ends[t] = h, (f & DECIMAL) != 0, p, q
            t += 1
            r = q  # a possessive 's after any token is skipped
            if (
                r + 1 < e
                and codes[r] == 39
                and codes[r + 1] == 115
                and (r + 2 == e or (table[codes[r + 2]] & WORD_CHAR) == 0)
            ):
                r += 2
            figure_end = r if (f & DECIMAL) != 0 else -1
            p = r
        offsets[d + 1] = t
    return hashes[:t].copy(), figures[:t].copy(), starts[:t].copy(), ends[:t].copy(), offsets


class _Tables:
    """The character-class table (filled as code points are seen) and the scale words as arrays."""

    def __init__(self) -> None:
        self.classes = np.full(_TABLE_SIZE, _UNKNOWN, np.uint8)
        self.lock = threading.Lock()
        words = list(SCALE_WORDS)
        width = max(map(len, words))
        self.scale_codes = np.zeros((len(words), width), np.uint32)
        for k, word in enumerate(words):
            self.scale_codes[k, : len(word)] = [ord(c) for c in word]
        self.scale_lens = np.array([len(w) for w in words], np.int64)
        self.scale_hashes = np.array([_hash_codes(_codes(SCALE_WORDS[w])) for w in words], np.uint64)

    def classify(self, codes: np.ndarray) -> None:
        """Fill in the classes of the code points of ``codes`` not seen yet (one thread at a time: the
        scan marks what it finds as seen before their classes are written)."""
        with self.lock:
            new = _unknown(codes, self.classes)
            if new.size:
                self.classes[new] = [char_class(chr(c)) for c in new.tolist()]


_tables: _Tables | None = None
_tables_made = threading.Lock()  # worker threads tokenise at once: the table is made once, then only filled


def _codes(text: str) -> np.ndarray:
    return np.frombuffer(text.encode("utf-32-le", "surrogatepass"), np.uint32)


def _run(folded: Sequence[str]) -> tuple[np.ndarray, ...]:
    global _tables
    with _tables_made:
        if _tables is None:
            _tables = _Tables()
        tables = _tables
    codes = _codes("".join(folded))
    bounds = np.zeros(len(folded) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, folded), np.int64, len(folded)), out=bounds[1:])
    tables.classify(codes)
    return _scan(codes, bounds, tables.classes, tables.scale_codes, tables.scale_lens, tables.scale_hashes)


def token_hashes(folded: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Hashes of the tokens of already folded texts: ``(hashes uint64, is_figure bool, offsets int64)``.

    Document ``i`` owns tokens ``offsets[i]:offsets[i + 1]``; ``hashes[k] == token_hash(tokens[k])``
    for the tokens of :func:`dedup.text.tokenize` ``(text, normalized=True)``.
    """
    hashes, figures, _, _, offsets = _run(folded)
    return hashes, figures, offsets


def token_spans(folded: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Where the tokens are: ``(starts, ends, offsets)``, code point offsets into each folded text."""
    _, _, starts, ends, offsets = _run(folded)
    bounds = np.zeros(len(folded) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, folded), np.int64, len(folded)), out=bounds[1:])
    doc_start = np.repeat(bounds[:-1], np.diff(offsets))
    return starts - doc_start, ends - doc_start, offsets
