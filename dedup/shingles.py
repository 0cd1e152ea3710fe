"""Shingle stage: word or character n-grams hashed to uint32, for a whole batch at once.

Each distinct token is hashed once (64-bit BLAKE2b of its UTF-8 bytes: stable across processes,
machines and Python versions, unlike ``hash()``); n-gram hashes are then combined from token hashes
with numpy array arithmetic (:func:`dedup._kernels.ngram_hashes`).

:func:`hash_shingle` computes the same 32-bit hash for one shingle given as a sequence of tokens;
it is the ``hashfunc`` to give ``datasketch.MinHash`` so that its signatures equal dedup's.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from itertools import chain
from typing import Iterable, Literal, Sequence

import numpy as np

from . import _kernels
from .config import ConfigError
from .text import fold, metadata_prefix, raw_tokens, tokenize, undot_token

__all__ = ["ShingleBatch", "Shingler", "hash_shingle", "shingles", "token_hash"]

_MASK64 = (1 << 64) - 1
_GOLDEN64 = 0x9E3779B97F4A7C15


def token_hash(token: str) -> int:
    """The stable 64-bit hash of one token: BLAKE2b-64 of its UTF-8 bytes, little-endian."""
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


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


class Shingler:
    """Turns texts into :class:`ShingleBatch` es; keeps its vocabulary of token hashes between batches.

    >>> batch = Shingler(unit="word", size=3).shingle(["a b c d", "", "x"])
    >>> batch.offsets.tolist()
    [0, 2, 2, 3]
    """

    _VOCABULARY_LIMIT = 2_000_000

    def __init__(self, *, unit: Literal["word", "char"] = "word", size: int = 3) -> None:
        if unit not in ("word", "char"):
            raise ConfigError(f"shingle unit must be 'word' or 'char'; got {unit!r}")
        if isinstance(size, bool) or not isinstance(size, int) or size < 1:
            raise ConfigError(f"shingle size must be a positive integer; got {size!r}")
        self.unit = unit
        self.size = size
        self._reset_vocabulary()

    def _reset_vocabulary(self) -> None:
        self._index: dict[str, int] = {}  # raw token -> vocabulary index of its undotted form
        self._words: list[str] = []  # undotted token by vocabulary index
        self._hashes = np.empty(0, np.uint64)  # token hash by vocabulary index
        self._numeric = np.empty(0, bool)  # whether the token is a figure (starts with a digit)

    def shingle(self, texts: Iterable[str]) -> ShingleBatch:
        """Shingle hashes of every text (repeats kept, in order)."""
        return self.shingle_with_figures(texts)[0]

    def shingle_with_figures(self, texts: Iterable[str]) -> tuple[ShingleBatch, ShingleBatch]:
        """Shingle hashes of every text, and the *set* of its figures (tokens that are numbers).

        Each text is tokenised once; figures are hashed as the high 32 bits of :func:`token_hash`.
        """
        texts = list(texts)
        # Raw tokens: dotted abbreviations are undotted once per distinct token, in the vocabulary.
        token_lists = [raw_tokens(fold(content(t))) for t in texts]
        token_ids, offsets = self._token_ids(token_lists)
        if self.unit == "word":
            token_hashes, unit_offsets = self._hashes[token_ids], offsets
        else:
            token_hashes, unit_offsets = _char_hashes([" ".join(map(undot_token, tokens)) for tokens in token_lists])
        hashes, shingle_offsets = _kernels.ngram_hashes(token_hashes, unit_offsets, self.size)
        numeric = self._numeric[token_ids]
        doc_of = np.repeat(np.arange(len(texts)), np.diff(offsets))
        counts = np.bincount(doc_of[numeric], minlength=len(texts))
        figures = ShingleBatch(
            (self._hashes[token_ids[numeric]] >> np.uint64(32)).astype(np.uint32),
            np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
        )
        return ShingleBatch(hashes, shingle_offsets), figures.sets()

    def _token_ids(self, token_lists: list[list[str]]) -> tuple[np.ndarray, np.ndarray]:
        """Vocabulary index of every token, hashing each token the first time it is seen."""
        lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        flat = list(chain.from_iterable(token_lists))
        if len(self._index) > self._VOCABULARY_LIMIT:
            self._reset_vocabulary()
        new = set(flat).difference(self._index)
        if new:
            index, words = self._index, self._words
            start = len(words)
            for raw in new:
                word = undot_token(raw)
                if word not in index:
                    index[word] = len(words)
                    words.append(word)
                index[raw] = index[word]
            added = words[start:]
            self._hashes = np.concatenate((self._hashes, np.fromiter(map(token_hash, added), np.uint64, len(added))))
            self._numeric = np.concatenate((self._numeric, np.fromiter((t[0].isdecimal() for t in added), bool, len(added))))
        ids = np.fromiter(map(self._index.__getitem__, flat), dtype=np.int64, count=len(flat))
        return ids, offsets


def _char_hashes(docs: list[str]) -> tuple[np.ndarray, np.ndarray]:
    """64-bit hashes of every character of every document (each distinct character hashed once)."""
    lengths = np.fromiter(map(len, docs), dtype=np.int64, count=len(docs))
    offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
    codes = np.frombuffer("".join(docs).encode("utf-32-le"), dtype=np.uint32)
    distinct = np.unique(codes)
    table = np.fromiter((token_hash(chr(c)) for c in distinct.tolist()), dtype=np.uint64, count=distinct.size)
    hashes = table[np.searchsorted(distinct, codes)] if codes.size else np.empty(0, np.uint64)
    return hashes, offsets
