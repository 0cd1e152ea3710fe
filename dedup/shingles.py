"""Shingle stage: word or character n-grams hashed to uint32, for a whole batch at once.

Tokens are found and hashed in one compiled pass over the folded text (:mod:`dedup._tokenizer`) with
dedup's own 64-bit hash of their code points (:func:`token_hash`: stable across processes, machines and
library versions, unlike ``hash()``); n-gram hashes are then combined from token hashes with numpy
array arithmetic (:func:`dedup._kernels.ngram_hashes`). :func:`shingle_reference` does the same from
the regex tokens of :func:`dedup.text.tokenize`: the slow, obviously correct path the tests compare with.

:func:`hash_shingle` computes the same 32-bit hash for one shingle given as a sequence of tokens;
it is the ``hashfunc`` to give ``datasketch.MinHash`` so that its signatures equal dedup's.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Literal

import numpy as np

from . import _kernels, _lead_kernels, _tokenizer
from .config import ConfigError
from .errors import ArgumentTypeError, expect
from .text import fold, metadata_prefix, tokenize

__all__ = [
    "LEAD_WINDOW",
    "ShingleBatch",
    "Shingled",
    "Shingler",
    "hash_shingle",
    "shingle_reference",
    "shingles",
    "token_hash",
]

#: Tokens at the start of an article whose terms (words, not figures) are kept for the lead-terms check.
LEAD_WINDOW = 200
_MASK64 = (1 << 64) - 1
_GOLDEN64 = 0x9E3779B97F4A7C15
_OFFSET64 = 0xCBF29CE484222325


def token_hash(token: str) -> int:
    """The stable 64-bit hash of one token ("cp64-fmix"), the scalar reference of the compiled kernel.

    Over the token's code points ``c``: ``h = 0xcbf29ce484222325``; per code point
    ``h = (h ^ c) * 0x9e3779b97f4a7c15 mod 2**64; h ^= h >> 32``; finally ``fmix64(h ^ len(token))``.

    >>> hex(token_hash("nato"))
    '0x6d6e74026b59dd43'
    """
    h = _OFFSET64
    for char in token:
        h = ((h ^ ord(char)) * _GOLDEN64) & _MASK64
        h ^= h >> 32
    return _fmix64(h ^ len(token))


def _fmix64(h: int) -> int:
    h ^= h >> 33
    h = (h * 0xFF51AFD7ED558CCD) & _MASK64
    h ^= h >> 33
    h = (h * 0xC4CEB9FE1A85EC53) & _MASK64
    return h ^ (h >> 33)


def hash_shingle(shingle: Sequence[str]) -> int:
    """The 32-bit hash of one shingle given as its tokens (words, or characters for char shingles).

    This is the scalar reference of the vectorised path, and the ``hashfunc`` that makes
    ``datasketch.MinHash(num_perm=..., seed=..., scheme="affine32", hashfunc=hash_shingle)``
    produce dedup's signatures when fed :func:`shingles`.
    """
    if not isinstance(shingle, (str, tuple, list)) or not all(isinstance(t, str) for t in shingle):
        raise ArgumentTypeError(
            f"hash_shingle(): shingle must be a sequence of str tokens; got {type(shingle).__name__}"
        )
    if isinstance(shingle, str) and len(shingle) != 1:
        shingle = tuple(shingle)  # a char shingle given as a string
    if len(shingle) == 0:
        raise ValueError("a shingle has at least one token")
    h = token_hash(shingle[0])
    for token in shingle[1:]:
        h = _fmix64((h * _GOLDEN64 + token_hash(token)) & _MASK64)
    return _fmix64(h) >> 32


def content(text: str) -> str:
    """The text without a metadata prefix such as ``date 2026-03-04`` (see :func:`dedup.text.metadata_prefix`)."""
    meta = metadata_prefix(text)
    return text[meta.end :] if meta is not None else text


def _units(text: str, unit: str) -> list[str]:
    tokens = tokenize(content(text))
    return tokens if unit == "word" else list(" ".join(tokens))


def shingles(text: str, *, unit: Literal["word", "char"] = "word", size: int = 3) -> list[tuple[str, ...]]:
    """The shingles of one text, as tuples of tokens, in order (repeats kept).

    A metadata prefix (``date 2026-03-04 ...``) is left out. Word shingles are n-grams of :func:`dedup.text.tokenize` tokens; char shingles are n-grams of
    the characters of those tokens joined by single spaces (so punctuation and spacing do not
    matter). A text shorter than ``size`` units gives one shingle of all of them; an empty one none.

    >>> shingles("The Pentagon said", size=2)
    [('the', 'pentagon'), ('pentagon', 'said')]
    """
    expect(text, str, "shingles(): text")
    if unit not in ("word", "char"):
        raise ConfigError(f"shingles(): unit must be 'word' or 'char'; got {unit!r}")
    if isinstance(size, bool) or not isinstance(size, int) or size < 1:
        raise ConfigError(f"shingles(): size must be a positive integer; got {size!r}")
    units = _units(text, unit)
    if not units:
        return []
    if len(units) < size:
        return [tuple(units)]
    return [tuple(units[i : i + size]) for i in range(len(units) - size + 1)]


@dataclass(frozen=True, slots=True)
class ShingleBatch:
    """Shingle hashes of a batch of documents.

    ``hashes`` is uint32 of shape (n_shingles,), ``offsets`` int64 of shape (n_docs + 1,):
    document ``i`` owns ``hashes[offsets[i]:offsets[i + 1]]``.
    """

    hashes: np.ndarray
    offsets: np.ndarray

    def __len__(self) -> int:
        return int(self.offsets.shape[0] - 1)

    def doc(self, i: int) -> np.ndarray:
        return self.hashes[self.offsets[i] : self.offsets[i + 1]]

    def sets(self) -> ShingleBatch:
        """The same batch with each document's hashes sorted and repeats dropped."""
        hashes, offsets = _kernels.unique_per_doc(self.hashes, self.offsets)
        return ShingleBatch(hashes, offsets)


@dataclass(frozen=True, slots=True)
class Shingled:
    """What the text stage makes of a batch: shingles (in order, repeats kept), the set of figures of each
    text, and its lead terms: the distinct words (not figures) of its first :data:`LEAD_WINDOW` tokens in
    the order they first occur, as the low 32 bits of their :func:`token_hash` (figures are the high 32)."""

    shingles: ShingleBatch
    figures: ShingleBatch
    terms: ShingleBatch


class Shingler:
    """Turns texts into :class:`ShingleBatch` es (tokens found and hashed by a compiled kernel).

    >>> batch = Shingler(unit="word", size=3).shingle(["a b c d", "", "x"])
    >>> batch.offsets.tolist()
    [0, 2, 2, 3]
    """

    def __init__(self, *, unit: Literal["word", "char"] = "word", size: int = 3) -> None:
        if unit not in ("word", "char"):
            raise ConfigError(f"shingle unit must be 'word' or 'char'; got {unit!r}")
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ConfigError(f"shingle size must be a positive integer; got {size!r}")
        self.unit = unit
        self.size = size

    def shingle(self, texts: Iterable[str]) -> ShingleBatch:
        """Shingle hashes of every text (repeats kept, in order)."""
        return self.shingle_with_figures(texts)[0]

    def shingle_with_figures(self, texts: Iterable[str]) -> tuple[ShingleBatch, ShingleBatch]:
        """Shingle hashes of every text, and the *set* of its figures (tokens that are numbers).

        Each text is tokenised once; figures are hashed as the high 32 bits of :func:`token_hash`.
        """
        folded = [fold(content(t)) for t in texts]
        token_hashes, numeric, offsets = _tokenizer.token_hashes(folded)
        return _combine(token_hashes, numeric, offsets, folded, unit=self.unit, size=self.size)

    def shingle_all(self, texts: Iterable[str], *, lead_window: int = LEAD_WINDOW) -> Shingled:
        """Shingles, figures and lead terms of every text, each text tokenised once (see :class:`Shingled`)."""
        folded = [fold(content(t)) for t in texts]
        token_hashes, numeric, offsets = _tokenizer.token_hashes(folded)
        shingled, figures = _combine(token_hashes, numeric, offsets, folded, unit=self.unit, size=self.size)
        terms = ShingleBatch(*_lead_kernels.first_distinct(token_hashes, ~numeric, offsets, lead_window))
        return Shingled(shingled, figures, terms)


def shingle_reference(
    texts: Iterable[str], *, unit: Literal["word", "char"] = "word", size: int = 3
) -> tuple[ShingleBatch, ShingleBatch]:
    """:meth:`Shingler.shingle_with_figures` from the regex tokens of :func:`dedup.text.tokenize`.

    The slow, obviously correct reference of the compiled path (a Python object and a
    :func:`token_hash` call per token); the two give identical batches.
    """
    Shingler(unit=unit, size=size)  # validates the settings
    folded = [fold(content(t)) for t in texts]
    tokens = [tokenize(f, normalized=True) for f in folded]
    flat = [t for doc in tokens for t in doc]
    token_hashes = np.fromiter(map(token_hash, flat), np.uint64, len(flat))
    numeric = np.fromiter((t[0].isdecimal() for t in flat), bool, len(flat))
    offsets = np.zeros(len(tokens) + 1, np.int64)
    np.cumsum(np.fromiter(map(len, tokens), np.int64, len(tokens)), out=offsets[1:])
    return _combine(token_hashes, numeric, offsets, folded, unit=unit, size=size)


def _combine(
    token_hashes: np.ndarray, numeric: np.ndarray, offsets: np.ndarray, folded: list[str], *, unit: str, size: int
) -> tuple[ShingleBatch, ShingleBatch]:
    """Shingles and figure sets of a batch from its token hashes (``folded`` is needed for char units)."""
    if unit == "word":
        unit_hashes, unit_offsets = token_hashes, offsets
    else:
        unit_hashes, unit_offsets = _char_hashes([" ".join(tokenize(f, normalized=True)) for f in folded])
    hashes, shingle_offsets = _kernels.ngram_hashes(unit_hashes, unit_offsets, size)
    n_docs = offsets.shape[0] - 1
    doc_of = np.repeat(np.arange(n_docs), np.diff(offsets))
    counts = np.bincount(doc_of[numeric], minlength=n_docs)
    figures = ShingleBatch(
        (token_hashes[numeric] >> np.uint64(32)).astype(np.uint32),
        np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
    )
    return ShingleBatch(hashes, shingle_offsets), figures.sets()


def _char_hashes(docs: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every character of every document (each distinct character hashed once)."""
    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    codes = np.frombuffer("".join(docs).encode("utf-32-le"), dtype=np.uint32)
    distinct = _kernels.unique(codes)
    table = np.fromiter((token_hash(chr(c)) for c in distinct.tolist()), dtype=np.uint64, count=distinct.size)
    hashes = table[np.searchsorted(distinct, codes)] if codes.size else np.empty(0, np.uint64)
    return hashes, offsets
