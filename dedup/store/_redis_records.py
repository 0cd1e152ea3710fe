"""The records of :class:`dedup.store.redis.RedisStore`: one binary string per article, and the buckets a script returns.

A record is a head, the id, the shingle set, the figures (uint32), the lead terms (flag 2: uint32 in
their order; records written before lead terms were kept have none) and the text when texts are kept.
The narrow head (flag 128; 26 bytes) is rep, time, length (uint32), the counts of the set (uint16),
the figures, the id bytes and the lead terms (uint8 each) and the flags at byte 23, then published
unless it is the time (flag 16) or NaN (flag 32). The wide head (47 bytes; a record whose counts do
not fit the narrow one, and every record written before it) is time, published, length, rep, the
counts (uint32, the id's uint16) and the flags at byte 46, with a uint16 count before the lead terms;
its byte 23 is the top byte of the length, never set, which tells the two apart. With flag 4 the
shingle set is Elias-Fano coded (:mod:`dedup.store._elias_fano`: 3 bytes a value and a bitmap of
``n + 256`` bits), else ``n`` uint32; with flag 8 the text is raw deflate at level 9 primed with
:data:`dedup.store._redis_words.TEXT_DICTIONARY`, with flag 1 (records written before flag 8) zlib at
level 1. The Lua scripts read the rep (``rep_at``: bytes 0..8 in the narrow head, 24..32 in the wide;
``FINALIZE`` rewrites it) and the counts and flags (``cut``). Band keys are not in a record: the postings
hold them, and a script returns the members of a batch's buckets bucket by bucket (:func:`bucket_hits`).
"""

from __future__ import annotations

import math
import struct
import zlib
from typing import Any

import numpy as np

from .. import _kernels
from ..shingles import ShingleBatch
from . import _elias_fano as ef
from ._buckets import BucketHits, bucket_keys
from ._redis_words import TEXT_DICTIONARY
from .base import Records

__all__ = ["bucket_hits", "pack_records", "unpack_records"]

_HEAD = struct.Struct("<ddqqIIIHB")  # time, published, length, rep, sets, figures, text bytes, id bytes, flags
_NARROW_HEAD = struct.Struct("<qdIHBBBB")  # rep, time, length, sets, figures, flags, id bytes, lead terms
_ZLIB = 1  # flags: the text is zlib-compressed (level 1: records written before flag 8)
_TERMS = 2  # flags: the lead terms follow the figures (a uint16 count first, in the wide head)
_EF = 4  # flags: the shingle set is Elias-Fano coded (3 * n + ef.bitmap_bytes(n) bytes), else n uint32
_DEFLATE = 8  # flags: the text is raw deflate (level 9, no zlib header or checksum) with the preset TEXT_DICTIONARY
_SAME = 16  # flags, narrow head: published is the time (not written)
_UNDATED = 32  # flags, narrow head: published is NaN (not written); neither: 8 bytes of published after the head
_NARROW = 128  # flags: the narrow head (byte 23, the top byte of the length in the wide head, never set there)
_COUNT = struct.Struct("<H")
_TIME = struct.Struct("<d")
_NARROW_MAX = (1 << 32, 1 << 16, 1 << 8, 1 << 8, 1 << 8)  # bounds of length, sets, figures, id bytes, lead terms


def _deflate(text: str) -> bytes:
    if not text:
        return b""
    packer = zlib.compressobj(9, zlib.DEFLATED, -15, zdict=TEXT_DICTIONARY)
    return packer.compress(text.encode()) + packer.flush()


def _inflate(raw: bytes) -> bytes:
    unpacker = zlib.decompressobj(-15, zdict=TEXT_DICTIONARY)
    return unpacker.decompress(raw) + unpacker.flush()


def pack_records(records: Records, rep: np.ndarray, *, keep_texts: bool) -> list[bytes]:
    """The packed record of each article of ``records``, with ``rep``.

    Each shingle set is Elias-Fano coded (flag 4) when it is sorted distinct, as the text stage makes
    them; one that is not is kept as it is, in uint32. A record whose counts fit the narrow head
    (:data:`_NARROW_MAX`) gets it, the others the wide one.
    """
    n = len(records)
    sets, figs = records.sets, records.figures
    coded = ef.sorted_distinct(sets.hashes, sets.offsets).tolist()
    lows, bitmaps = ef.encode(sets.hashes, sets.offsets)
    set_bytes, fig_bytes = (
        np.ascontiguousarray(sets.hashes, "<u4").tobytes(),
        np.ascontiguousarray(figs.hashes, "<u4").tobytes(),
    )
    so, fo = sets.offsets.tolist(), figs.offsets.tolist()
    bo = np.concatenate(([0], np.cumsum(ef.bitmap_bytes(np.diff(sets.offsets))))).tolist()
    terms = records.terms
    term_bytes = np.ascontiguousarray(terms.hashes, "<u4").tobytes() if terms is not None else b""
    to = terms.offsets.tolist() if terms is not None else [0] * (n + 1)
    texts = records.texts if keep_texts and records.texts is not None else [""] * n
    times, published = records.times.tolist(), records.published.tolist()
    same = (
        np.asarray(records.published, np.float64).view(np.uint64)
        == np.asarray(records.times, np.float64).view(np.uint64)
    ).tolist()
    undated = np.isnan(records.published).tolist()
    lengths, reps = records.lengths.tolist(), rep.tolist()
    base = _DEFLATE | (_TERMS if terms is not None else 0)
    out = []
    for r in range(n):
        ident, text = records.ids[r].encode(), _deflate(texts[r])
        a, b = so[r], so[r + 1]
        ns, nf, nt = b - a, fo[r + 1] - fo[r], to[r + 1] - to[r]
        shingles = lows[3 * a : 3 * b] + bitmaps[bo[r] : bo[r + 1]] if coded[r] else set_bytes[4 * a : 4 * b]
        body = shingles + fig_bytes[4 * fo[r] : 4 * fo[r + 1]]
        flags = base | (_EF if coded[r] else 0)
        if all(0 <= v < m for v, m in zip((lengths[r], ns, nf, len(ident), nt), _NARROW_MAX)):
            flags |= _NARROW | (_SAME if same[r] else _UNDATED if undated[r] else 0)
            head = _NARROW_HEAD.pack(reps[r], times[r], lengths[r], ns, nf, flags, len(ident), nt)
            if not flags & (_SAME | _UNDATED):
                head += _TIME.pack(published[r])
            body += term_bytes[4 * to[r] : 4 * to[r + 1]]
        else:
            head = _HEAD.pack(times[r], published[r], lengths[r], reps[r], ns, nf, len(text), len(ident), flags)
            if terms is not None:
                body += _COUNT.pack(nt) + term_bytes[4 * to[r] : 4 * to[r + 1]]
        out.append(head + ident + body + text)
    return out


def _head(blob: bytes) -> tuple[float, float, int, int, int, int, int, int, int | None, int]:
    """time, published, length, rep, sets, figures, id bytes, flags, lead terms (None: counted after the
    figures) and where the id starts, of a record of either head."""
    if blob[23] & _NARROW:
        rep, time, length, ns, nf, flags, il, nt = _NARROW_HEAD.unpack_from(blob)
        at = _NARROW_HEAD.size
        if flags & _SAME:
            published = time
        elif flags & _UNDATED:
            published = math.nan
        else:
            (published,) = _TIME.unpack_from(blob, at)
            at += _TIME.size
        return time, published, length, rep, ns, nf, il, flags, nt, at
    time, published, length, rep, ns, nf, _, il, flags = _HEAD.unpack_from(blob)
    return time, published, length, rep, ns, nf, il, flags, None, _HEAD.size


def unpack_records(seq_list: list[Any], blobs: list[bytes], *, texts: bool, bands: int) -> Records:
    """:class:`Records` of packed records (their seqs in ``seq_list``); ``keys`` are zeros: records do not hold them."""
    seqs = [int(s) for s in seq_list]
    n = len(blobs)
    cols = [_head(b) for b in blobs]
    ids, plain, lows, bitmaps, figs, terms, text = [], [], [], [], [], [], []
    for b, (_, _, _, _, ns, nf, il, flags, nt, at) in zip(blobs, cols):
        ids.append(b[at : at + il].decode())
        at += il
        if flags & _EF:
            width = (ns + 263) // 8  # ef.bitmap_bytes(ns)
            lows.append(b[at : at + 3 * ns])
            bitmaps.append(b[at + 3 * ns : at + 3 * ns + width])
            at += 3 * ns + width
        else:
            plain.append(b[at : at + 4 * ns])
            at += 4 * ns
        figs.append(b[at : at + 4 * nf])
        at += 4 * nf
        if nt is None and flags & _TERMS:
            (nt,) = _COUNT.unpack_from(b, at)
            at += 2
        terms.append(b[at : at + 4 * (nt or 0)])
        at += 4 * (nt or 0)
        if texts:
            raw = b[at:]
            if raw and flags & _DEFLATE:
                raw = _inflate(raw)
            elif raw and flags & _ZLIB:
                raw = zlib.decompress(raw)
            text.append(raw.decode())
    column = np.array([c[:3] for c in cols], dtype=float).reshape(n, 3)
    return Records(
        ids=ids,
        times=column[:, 0],
        published=column[:, 1],
        lengths=column[:, 2].astype(np.int64),
        rep=np.array([c[3] for c in cols], dtype=np.int64),
        keys=np.zeros((n, bands), np.uint64),  # not in the records: the postings hold them (bucket_hits)
        sets=_sets(cols, plain, lows, bitmaps),
        figures=_batch(figs),
        texts=text if texts else None,
        seq=np.array(seqs, dtype=np.int64),
        terms=_batch(terms),
    )


def _sets(cols: list[tuple[Any, ...]], plain: list[bytes], lows: list[bytes], bitmaps: list[bytes]) -> ShingleBatch:
    """The shingle sets of records whose heads are ``cols``: the coded ones decoded, the plain ones as they are."""
    sizes = np.array([c[4] for c in cols], dtype=np.int64).reshape(-1)
    coded = np.array([bool(c[7] & _EF) for c in cols], dtype=bool).reshape(-1)
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    if not coded.any():
        return ShingleBatch(np.frombuffer(b"".join(plain), "<u4").astype(np.uint32), offsets)
    decoded = ef.decode(sizes[coded], b"".join(lows), b"".join(bitmaps))
    if coded.all():
        return ShingleBatch(decoded, offsets)
    hashes = np.empty(int(offsets[-1]), np.uint32)
    mine = np.repeat(coded, sizes)
    hashes[mine] = decoded
    hashes[~mine] = np.frombuffer(b"".join(plain), "<u4")
    return ShingleBatch(hashes, offsets)


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
