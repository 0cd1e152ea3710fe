"""Lead terms: making them (compiled, one pass over the tokens) and the lead check as array operations
(see :func:`dedup.verify.lead_agreement`); no validation here."""

from __future__ import annotations

import numpy as np

from . import _kernels
from ._pair_kernels import _jit

_U64 = np.uint64


def first_distinct(
    token_hashes: np.ndarray, keep: np.ndarray, offsets: np.ndarray, window: int
) -> tuple[np.ndarray, np.ndarray]:
    """Per document, the distinct low 32 bits of the hashes of the tokens ``keep`` selects among its first
    ``window`` tokens, in the order of their first occurrence: ``(hashes uint32, offsets)``."""
    n_docs = offsets.shape[0] - 1
    out = np.empty(int(np.minimum(np.diff(offsets), window).sum()), np.uint32)
    out_offsets = np.zeros(n_docs + 1, np.int64)
    size = 1 << max(int(2 * window).bit_length(), 4)  # an open-addressing table at most half full
    _first_distinct(token_hashes, keep, offsets, window, size, out, out_offsets)
    return out[: out_offsets[-1]].copy(), out_offsets


@_jit
def _first_distinct(token_hashes, keep, offsets, window, size, out, out_offsets):  # type: ignore[no-untyped-def]
    table = np.zeros(size, np.int64)
    used = np.zeros(size, np.int64)  # the document that filled each slot, plus one (0: free)
    mask = np.int64(size - 1)
    n = 0
    for d in range(offsets.shape[0] - 1):
        start = offsets[d]
        stop = min(offsets[d + 1], start + window)
        for t in range(start, stop):
            if not keep[t]:
                continue
            low = np.int64(token_hashes[t] & np.uint64(0xFFFFFFFF))
            slot = (low * np.int64(2654435761)) & mask
            while used[slot] == d + 1 and table[slot] != low:
                slot = (slot + np.int64(1)) & mask
            if used[slot] != d + 1:
                used[slot] = d + 1
                table[slot] = low
                out[n] = low
                n += 1
        out_offsets[d + 1] = n


def rarest(
    hashes: np.ndarray, offsets: np.ndarray, df: np.ndarray, docs: np.ndarray, *, look: int, k: int
) -> np.ndarray:
    """``(len(docs), k)`` int64: of each document's first ``look`` terms, the ``k`` of lowest document frequency
    (ties by hash), rarest first; -1 where a document has fewer."""
    out = np.full((docs.shape[0], k), -1, np.int64)
    if docs.shape[0] == 0 or k == 0:
        return out
    starts = offsets[docs]
    counts = np.minimum(offsets[docs + 1] - starts, look)
    owner = np.repeat(np.arange(docs.shape[0], dtype=np.int64), counts)
    positions = np.repeat(starts, counts) + _kernels._ragged_arange(counts)
    order = np.lexsort((hashes[positions], df[positions], owner))  # by document, then rarity, then hash
    owner, positions = owner[order], positions[order]
    rank = np.arange(owner.shape[0]) - np.repeat(np.cumsum(counts) - counts, counts)
    chosen = rank < k
    out[owner[chosen], rank[chosen]] = hashes[positions[chosen]]
    return out


def term_table(hashes: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """Every document's terms as sorted ``document << 32 | hash`` keys, for :func:`contained`."""
    sets, set_offsets = _kernels.unique_per_doc(hashes, offsets)
    owner = np.repeat(np.arange(set_offsets.shape[0] - 1, dtype=_U64), np.diff(set_offsets))
    return (owner << _U64(32)) | sets.astype(_U64)


def contained(wanted: np.ndarray, table: np.ndarray, docs: np.ndarray) -> np.ndarray:
    """For each row ``r``: whether every hash of ``wanted[r]`` (-1: none) is among the terms of document ``docs[r]``
    (``table`` from :func:`term_table`)."""
    if wanted.shape[0] == 0:
        return np.ones(0, bool)
    query = (docs.astype(_U64)[:, None] << _U64(32)) | np.where(wanted >= 0, wanted, 0).astype(_U64)
    at = np.minimum(np.searchsorted(table, query), max(table.shape[0] - 1, 0))
    found = table[at] == query if table.shape[0] else np.zeros(query.shape, bool)
    return np.all(found | (wanted < 0), axis=1)
