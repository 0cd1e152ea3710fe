"""Records of the Redis store: the Elias-Fano shingle sets against a slow reference, and records of every format."""

from __future__ import annotations

import dataclasses
import hashlib
import itertools
import struct
import zlib

import numpy as np
import pytest

from dedup import DedupConfig
from dedup.shingles import ShingleBatch
from dedup.store import Records, store_settings
from dedup.store import _elias_fano as ef
from dedup.store._redis_records import pack_records, unpack_records
from dedup.store._redis_words import TEXT_DICTIONARY

from ._redis_server import redis_server

SIZES = [0, 1, 2, 255, 256, 10_000]
TOP = (1 << 32) - 1


def _reference_encode(values: list[int]) -> bytes:
    """The low 24 bits as 3 bytes each, then bit high + k for the k-th value, n + 256 bits, lowest bit first."""
    lows = b"".join((v & 0xFFFFFF).to_bytes(3, "little") for v in values)
    bits = [0] * (len(values) + 256)
    for k, v in enumerate(values):
        bits[(v >> 24) + k] = 1
    bits += [0] * (-len(bits) % 8)
    return lows + bytes(sum(bits[i + j] << j for j in range(8)) for i in range(0, len(bits), 8))


def _reference_decode(blob: bytes, n: int) -> list[int]:
    lows = [int.from_bytes(blob[3 * k : 3 * k + 3], "little") for k in range(n)]
    ones = [i for i in range(8 * (len(blob) - 3 * n)) if blob[3 * n + i // 8] >> (i % 8) & 1]
    return [((p - k) << 24) | low for k, (p, low) in enumerate(zip(ones, lows))]


def _random_set(rng: np.random.Generator, n: int) -> np.ndarray:
    """n sorted distinct uint32, with the values near 0 and near 2^32 - 1 in when there is room."""
    edges = [0, 1, 2, 0xFFFFFF, 1 << 24, TOP - 1, TOP][: min(n, 7)]
    values = set(edges)
    while len(values) < n:
        values.update(rng.integers(0, 1 << 32, n - len(values), dtype=np.uint64).tolist())
    return np.array(sorted(values), dtype=np.uint32)


def _batch(sets: list[np.ndarray]) -> ShingleBatch:
    hashes = np.concatenate([np.empty(0, np.uint32), *sets]).astype(np.uint32)
    return ShingleBatch(hashes, np.concatenate(([0], np.cumsum([len(s) for s in sets]))).astype(np.int64))


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_elias_fano_round_trips_and_matches_the_reference(seed):
    rng = np.random.default_rng(seed)
    sets = [_random_set(rng, n) for n in SIZES] + [_random_set(rng, n) for n in rng.permutation(SIZES)]
    sets.append(np.array([TOP - 1, TOP], np.uint32))  # the top of the range only: the last bits of the bitmap
    batch = _batch(sets)
    lows, bitmaps = ef.encode(batch.hashes, batch.offsets)
    widths = ef.bitmap_bytes(np.diff(batch.offsets))
    starts = np.concatenate(([0], np.cumsum(widths))).tolist()
    for i, s in enumerate(sets):
        a, b = int(batch.offsets[i]), int(batch.offsets[i + 1])
        mine = lows[3 * a : 3 * b] + bitmaps[starts[i] : starts[i + 1]]
        assert mine == _reference_encode(s.tolist()), len(s)
        assert len(mine) == 3 * len(s) + (len(s) + 256 + 7) // 8
        assert _reference_decode(mine, len(s)) == s.tolist()
        alone = ef.encode(s, np.array([0, len(s)]))
        assert ef.decode(np.array([len(s)]), *alone).tolist() == s.tolist()  # one set alone
    decoded = ef.decode(np.diff(batch.offsets), lows, bitmaps)
    assert decoded.dtype == np.uint32 and decoded.tolist() == batch.hashes.tolist()


def test_elias_fano_refuses_bitmaps_that_do_not_match():
    lows, bitmaps = ef.encode(np.array([5, 9], np.uint32), np.array([0, 2]))
    with pytest.raises(ValueError, match="2 values with 1 bits set"):
        ef.decode(np.array([2]), lows, bytes([1]) + bitmaps[1:])  # the first value's bit kept, the second's dropped
    with pytest.raises(ValueError, match="3 values with 2 low parts"):
        ef.decode(np.array([3]), lows, bitmaps)


def test_sorted_distinct_is_per_set():
    sets = [[], [3], [1, 2, 9], [2, 2], [], [9, 1], [0, TOP], [5], [4]]  # [5] then [4]: decreasing across sets is fine
    batch = ShingleBatch(
        np.array([v for s in sets for v in s], dtype=np.uint32),
        np.concatenate(([0], np.cumsum([len(s) for s in sets]))).astype(np.int64),
    )
    expected = [all(a < b for a, b in itertools.pairwise(s)) for s in sets]
    assert ef.sorted_distinct(batch.hashes, batch.offsets).tolist() == expected
    assert ef.sorted_distinct(np.empty(0, np.uint32), np.zeros(3, np.int64)).tolist() == [True, True]


def _records(rng: np.random.Generator, sizes: list[int], *, terms: bool = True) -> Records:
    n = len(sizes)
    sets = [_random_set(rng, k) for k in sizes]
    if n > 2:
        sets[2] = sets[2][::-1].copy()  # not sorted: kept as uint32, not coded
    figures = [rng.integers(0, 1 << 32, k % 5, dtype=np.uint64).astype(np.uint32) for k in sizes]
    lead = [rng.integers(0, 1 << 32, k % 60, dtype=np.uint64).astype(np.uint32) for k in sizes]  # in their order
    times = rng.uniform(5e8, 2e9, n)
    published = np.where(np.arange(n) % 2, times, np.nan)
    published[3::4] = times[3::4] - 3600.0  # neither the time nor NaN: written out
    if n > 4:
        times[4], published[4] = 0.0, -0.0  # equal, not the same bits: written out too
    return Records(
        ids=[f"id-{k}-ü" + "x" * (300 if k == 5 else 0) for k in range(n)],  # 5: an id too long for the narrow head
        times=times,
        published=published,
        lengths=np.where(np.arange(n) == 6, 1 << 33, rng.integers(0, 10**6, n)),  # 6: a length too big for it
        rep=np.array([-1, -2, 7, (1 << 40) + 3][:n] + [-1] * max(0, n - 4), dtype=np.int64),
        keys=np.zeros((n, 3), np.uint64),
        sets=_batch(sets),
        figures=_batch(figures),
        texts=["" if k == 1 else f"text {k} ünïcode " * k for k in range(n)],
        terms=_batch(lead) if terms else None,
    )


def _flags(record: bytes) -> int:
    return record[23] if record[23] & 128 else record[46]


def _same(got: Records, want: Records, *, texts: bool) -> None:
    assert (
        got.ids == want.ids and got.lengths.tolist() == want.lengths.tolist() and got.rep.tolist() == want.rep.tolist()
    )
    assert got.times.view(np.uint64).tolist() == want.times.view(np.uint64).tolist()  # to the bit
    np.testing.assert_array_equal(np.isnan(got.published), np.isnan(want.published))
    dated = ~np.isnan(want.published)
    assert got.published[dated].view(np.uint64).tolist() == want.published[dated].view(np.uint64).tolist()
    for name in ("sets", "figures"):
        g, w = getattr(got, name), getattr(want, name)
        assert g.hashes.dtype == np.uint32 and g.hashes.tolist() == w.hashes.tolist(), name
        assert g.offsets.tolist() == w.offsets.tolist(), name
    if want.terms is not None:
        assert got.terms is not None and got.terms.hashes.tolist() == want.terms.hashes.tolist()
        assert got.terms.offsets.tolist() == want.terms.offsets.tolist()
    assert got.texts == (want.texts if texts else None)


def _old_record(records: Records, r: int) -> bytes:
    """A record as dedup wrote them before flag 4: uint32 set, zlib text at level 1, flags 1 | 2."""
    sets, figs, terms = records.sets.doc(r), records.figures.doc(r), records.terms.doc(r)  # type: ignore[union-attr]
    text = zlib.compress(records.texts[r].encode(), 1) if records.texts and records.texts[r] else b""  # type: ignore[index]
    ident = records.ids[r].encode()
    head = struct.pack(
        "<ddqqIIIHB",
        float(records.times[r]),
        float(records.published[r]),
        int(records.lengths[r]),
        int(records.rep[r]),
        len(sets),
        len(figs),
        len(text),
        len(ident),
        1 | 2,
    )
    return (
        head
        + ident
        + sets.astype("<u4").tobytes()
        + figs.astype("<u4").tobytes()
        + struct.pack("<H", len(terms))
        + terms.astype("<u4").tobytes()
        + text
    )


@pytest.mark.parametrize("texts", [True, False])
def test_records_round_trip_and_old_records_still_read(texts):
    rng = np.random.default_rng(3)
    records = _records(rng, [*SIZES, 123, 57, 70_000, 40])
    packed = pack_records(records, records.rep, keep_texts=True)
    flags = [_flags(p) for p in packed]
    assert [bool(f & 4) for f in flags] == [k != 2 for k in range(len(packed))]  # the unsorted set is not coded
    wide = [k for k, f in enumerate(flags) if not f & 128]
    assert wide == [5, 6, 8]  # the long id, the big length, the 70,000 shingles
    assert [f & 48 for f in flags[:4]] == [32, 16, 32, 0] and flags[4] & 48 == 0  # published NaN, the time, other
    seqs = list(range(len(packed)))
    _same(unpack_records(seqs, packed, texts=texts, bands=3), records, texts=texts)
    old = [_old_record(records, r) for r in range(len(records))]
    _same(unpack_records(seqs, old, texts=texts, bands=3), records, texts=texts)
    mixed = [o if k % 2 else p for k, (o, p) in enumerate(zip(old, packed))]  # an index written by both
    _same(unpack_records(seqs, mixed, texts=texts, bands=3), records, texts=texts)
    empty = unpack_records([], [], texts=texts, bands=3)
    assert len(empty) == 0 and empty.sets.offsets.tolist() == [0]


def test_text_dictionary_never_changes():
    """Records written with flag 8 are read with these exact bytes."""
    assert len(TEXT_DICTIONARY) == 4105
    assert hashlib.sha256(TEXT_DICTIONARY).hexdigest() == (
        "e5e65c1ac5767bcc99ab804c47a34bc83911572e0629a370c0eed13f2656ad98"
    )


def test_records_without_terms_or_texts():
    records = _records(np.random.default_rng(4), [3, 0, 5], terms=False)
    packed = pack_records(records, records.rep, keep_texts=False)
    got = unpack_records([0, 1, 2], packed, texts=True, bands=3)
    assert got.texts == ["", "", ""] and got.terms is not None and got.terms.hashes.size == 0
    _same(dataclasses.replace(got, texts=None), records, texts=False)


def test_redis_reads_old_and_new_records_with_and_without_texts(tmp_path):
    """FETCH (and ``cut``, in Lua), CONTAINS and FINALIZE on records of both heads and of the earlier format."""
    redis = pytest.importorskip("redis")
    from dedup.store.redis import PENDING, RedisStore

    records = _records(np.random.default_rng(5), [40, 0, 300, 1, 1000, 2, 7, 3, 70_000])
    records = dataclasses.replace(records, rep=np.full(len(records), PENDING, np.int64))
    settings = store_settings(DedupConfig(), bands=3, rows=2)
    with redis_server(tmp_path) as url:
        store = RedisStore(url, settings, name="r")
        seq, _ = store.claim_many(records, limit=8)
        assert seq.tolist() == list(range(len(records)))
        client = redis.Redis.from_url(url)
        (key,) = list(client.scan_iter("r:d:*"))
        heads = [_flags(client.hget(key, str(r))) & 128 for r in range(len(records))]
        assert heads == [128] * 5 + [0, 0, 128, 0]  # the long id, the big length, the 70,000 shingles: wide
        for r in (0, 3, 4, 6):  # these as an earlier dedup wrote them
            client.hset(key, str(r), _old_record(records, r))
        assert store.states_many(records.ids).tolist() == [2] * len(records)  # claimed, no verdict: rep PENDING
        rep = np.array([-1, 0, 1, -1, 2, 0, -1, 5, 3], np.int64)
        store.finalize_many(seq, rep)
        assert store.states_many(records.ids).tolist() == [1] * len(records)
        final = dataclasses.replace(records, rep=rep)
        for texts in (True, False):
            got = RedisStore(url, settings, name="r").fetch(seq, texts=texts)
            _same(got, final, texts=texts)
        store.close()
        client.close()


def test_a_big_batch_meets_a_table_of_few_hashes(tmp_path):
    """A claim of 4,000 articles (12,000 bucket keys) after one: one hash holds the postings and the ids looked up."""
    pytest.importorskip("redis")
    from dedup.store.redis import RedisStore

    n = 4001
    rng = np.random.default_rng(6)
    keys = rng.integers(1, 1 << 63, (n, 3), dtype=np.uint64)
    keys[1:, 0] = keys[0, 0]  # every article shares a bucket with the first
    records = Records(
        ids=[f"a{k}" for k in range(n)],
        times=np.zeros(n),
        published=np.full(n, np.nan),
        lengths=np.ones(n, np.int64),
        rep=np.full(n, -1, np.int64),
        keys=keys,
        sets=_batch([np.array([k], np.uint32) for k in range(n)]),
        figures=_batch([np.empty(0, np.uint32)] * n),
        texts=["x"] * n,
    )
    with redis_server(tmp_path) as url:
        store = RedisStore(url, store_settings(DedupConfig(), bands=3, rows=2), name="big")
        store.claim_many(records.take(np.arange(1)), limit=8)
        seq, hits = store.claim_many(records.take(np.arange(1, n)), limit=8)
        assert seq.tolist() == list(range(1, n)) and hits.seq.tolist() == [0]
        assert len(store) == n and store.contains_many(records.ids).all()
        store.close()
