"""The records of :class:`dedup.store.redis.RedisStore`: one binary string per article, and the buckets a script returns.

A record is a 47-byte header (time, published, length, rep, the counts), the id, the shingle set and
figures (uint32), with flag 2 the number of lead terms (uint16) and the terms (uint32; records written
before lead terms were kept have none), and the text (zlib level 1) when texts are kept. Band keys are not in it: the
postings hold them, and a script returns the members of a batch's buckets bucket by bucket
(:func:`bucket_hits`). The rep sits at bytes 24..32, where ``FINALIZE`` rewrites it.
"""

from __future__ import annotations

import struct
import zlib
from typing import Any

import numpy as np

from .. import _kernels
from ..shingles import ShingleBatch
from ._buckets import BucketHits, bucket_keys
from .base import Records

__all__ = ["bucket_hits", "pack_records", "unpack_records"]

_HEAD = struct.Struct("<ddqqIIIHB")  # time, published, length, rep, sets, figures, text bytes, id bytes, flags
_ZLIB = 1  # flags: the text is zlib-compressed
_TERMS = 2  # flags: a uint16 count and the lead terms follow the figures
_COUNT = struct.Struct("<H")


def pack_records(records: Records, rep: np.ndarray, *, keep_texts: bool) -> list[bytes]:
    """The packed record of each article of ``records``, with ``rep``."""
    n = len(records)
    sets, figs = records.sets, records.figures
    set_bytes, fig_bytes = (
        np.ascontiguousarray(sets.hashes, "<u4").tobytes(),
        np.ascontiguousarray(figs.hashes, "<u4").tobytes(),
    )
    so, fo = (sets.offsets * 4).tolist(), (figs.offsets * 4).tolist()
    terms = records.terms
    term_bytes = np.ascontiguousarray(terms.hashes, "<u4").tobytes() if terms is not None else b""
    to = (terms.offsets * 4).tolist() if terms is not None else None
    texts = records.texts if keep_texts and records.texts is not None else [""] * n
    times, published = records.times.tolist(), records.published.tolist()
    lengths, reps = records.lengths.tolist(), rep.tolist()
    out = []
    for r in range(n):
        ident, text = records.ids[r].encode(), zlib.compress(texts[r].encode(), 1) if texts[r] else b""
        out.append(
            _HEAD.pack(
                times[r],
                published[r],
                lengths[r],
                reps[r],
                (so[r + 1] - so[r]) // 4,
                (fo[r + 1] - fo[r]) // 4,
                len(text),
                len(ident),
                _ZLIB | (_TERMS if to is not None else 0),
            )
            + ident
            + set_bytes[so[r] : so[r + 1]]
            + fig_bytes[fo[r] : fo[r + 1]]
            + (b"" if to is None else _COUNT.pack((to[r + 1] - to[r]) // 4) + term_bytes[to[r] : to[r + 1]])
            + text
        )
    return out


def unpack_records(seq_list: list[Any], blobs: list[bytes], *, texts: bool, bands: int) -> Records:
    """:class:`Records` of packed records (their seqs in ``seq_list``); ``keys`` are zeros: records do not hold them."""
    seqs = [int(s) for s in seq_list]
    head, n = _HEAD.size, len(blobs)
    cols = [_HEAD.unpack_from(b) for b in blobs]
    ids, sets, figs, terms, text = [], [], [], [], []
    for b, (_, _, _, _, ns, nf, tl, il, flags) in zip(blobs, cols):
        at = head + il
        ids.append(b[head:at].decode())
        sets.append(b[at : at + 4 * ns])
        figs.append(b[at + 4 * ns : at + 4 * (ns + nf)])
        at += 4 * (ns + nf)
        if flags & _TERMS:
            (nt,) = _COUNT.unpack_from(b, at)
            terms.append(b[at + 2 : at + 2 + 4 * nt])
            at += 2 + 4 * nt
        else:
            terms.append(b"")
        if texts:
            raw = b[at:]
            text.append((zlib.decompress(raw) if flags & _ZLIB and raw else raw).decode())
    column = np.array(cols, dtype=float).reshape(n, 9)
    return Records(
        ids=ids,
        times=column[:, 0],
        published=column[:, 1],
        lengths=column[:, 2].astype(np.int64),
        rep=np.array([c[3] for c in cols], dtype=np.int64),
        keys=np.zeros((n, bands), np.uint64),  # not in the records: the postings hold them (bucket_hits)
        sets=_batch(sets),
        figures=_batch(figs),
        texts=text if texts else None,
        seq=np.array(seqs, dtype=np.int64),
        terms=_batch(terms),
    )


def _batch(parts: list[bytes]) -> ShingleBatch:
    sizes = [len(p) // 4 for p in parts]
    hashes = np.frombuffer(b"".join(parts), "<u4").astype(np.uint32)
    return ShingleBatch(hashes, np.concatenate(([0], np.cumsum(sizes, dtype=np.int64))).astype(np.int64))


def bucket_hits(keys: np.ndarray, found: list[bytes], limit: int) -> BucketHits:
    """:class:`BucketHits` of the band keys ``keys`` from a script's ``{bucket key, packed seqs, ...}``.

    A bucket may come once per generation: the ``limit`` latest over them all are kept, oldest first.
    """
    keys = keys[keys[:, 0] != 0] if keys.shape[0] else keys
    wanted = _kernels.unique(bucket_keys(keys).ravel()) if keys.shape[0] else np.empty(0, np.uint64)
    fields, packed = found[0::2], found[1::2]
    if not fields:
        return BucketHits.empty(wanted)
    field = np.frombuffer(b"".join(fields), "<u8").astype(np.uint64)
    seq = np.frombuffer(b"".join(packed), "<u4").astype(np.int64)
    bucket = np.repeat(np.searchsorted(wanted, field), [len(p) // 4 for p in packed])
    return BucketHits.of(wanted, bucket, seq, limit=limit)
