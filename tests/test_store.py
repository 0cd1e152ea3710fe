"""The storage seam: memory and SQLite stores against slow references, settings, format and errors."""

from __future__ import annotations

import collections
import dataclasses
import sqlite3
from contextlib import closing

import numpy as np
import pytest

from dedup import DedupConfig, Deduplicator, IndexFileError, SignatureMismatchError, open_index
from dedup._dftable import DocumentFrequency
from dedup.candidates import candidate_chunks, candidates_from_keys, pairs_with_stored
from dedup.shingles import ShingleBatch
from dedup.store import FORMAT_VERSION, MemoryStore, Records, SQLiteStore, store_settings
from dedup.store._buckets import BucketIndex

SETTINGS = {**DedupConfig().signature_settings(), "bands": 3, "rows": 2}


def _records(keys: np.ndarray, ids: list[str], times: np.ndarray | None = None) -> Records:
    n = keys.shape[0]
    sets = ShingleBatch(np.arange(n, dtype=np.uint32), np.arange(n + 1, dtype=np.int64))
    none = ShingleBatch(np.empty(0, np.uint32), np.zeros(n + 1, np.int64))
    times = np.zeros(n) if times is None else times
    return Records(
        ids=ids,
        times=times,
        published=times,
        lengths=np.ones(n, np.int64),
        rep=np.full(n, -1, np.int64),
        keys=keys,
        sets=sets,
        figures=none,
        texts=[f"text {i}" for i in ids],
    )


def _stores(tmp_path):
    yield MemoryStore(SETTINGS)
    yield SQLiteStore(tmp_path / "index.db", SETTINGS)


def test_document_frequency_matches_a_counter():
    rng = np.random.default_rng(1)
    df, ref, added = DocumentFrequency(16), collections.Counter(), []
    for step in range(60):
        hashes = rng.integers(0, 5000 if step % 2 else 2**32, size=rng.integers(0, 3000)).astype(np.uint32)
        df.add(hashes)
        ref.update(hashes.tolist())
        added.append(hashes)
        if step % 3 == 0:
            gone = added.pop(0)
            df.subtract(gone)
            ref.subtract(gone.tolist())
        probe = np.concatenate((rng.integers(0, 5000, 500).astype(np.uint32), hashes[:100]))
        assert df.lookup(probe).tolist() == [ref[h] for h in probe.tolist()]
    assert len(df) == sum(1 for v in ref.values() if v > 0)


@pytest.mark.parametrize("limit", [1, 2, 4])
def test_stores_meet_the_batch_candidates_fed_in_batches(tmp_path, limit):
    """Bucket members + candidate_chunks(new_from) over batches of any size = the batch rule over the whole feed."""
    rng = np.random.default_rng(limit)
    n = 120
    keys = rng.integers(1, 5, size=(n, 3)).astype(np.uint64)
    keys[rng.random(n) < 0.05] = 0  # empty documents
    want = {tuple(p) for p in candidates_from_keys(keys, limit=limit).tolist()}
    for store in _stores(tmp_path):
        got, start = set(), 0
        while start < n:
            stop = min(n, start + int(rng.integers(1, 9)))
            members = store.bucket_members(keys[start:stop], limit=limit)
            assert np.all(np.diff(members) > 0)
            nodes = np.concatenate((members, np.arange(start, stop)))  # seq = row in this feed
            matrix = np.concatenate((keys[members], keys[start:stop]))
            for chunk in candidate_chunks(matrix, limit=limit, new_from=members.size):
                got.update((int(nodes[i]), int(nodes[j])) for i, j in chunk.tolist())
            store.add_many(_records(keys[start:stop], [str(k) for k in range(start, stop)]))
            start = stop
        assert got == want
        store.close()


@pytest.mark.parametrize("limit", [1, 2, 4, 9])
def test_pairs_with_stored_hits_are_the_batch_rule(tmp_path, limit):
    """bucket_hits + pairs_with_stored (no member keys read) + the batch's own candidate_chunks, fed in
    batches of any size over several time generations = the batch rule over the whole feed."""
    rng = np.random.default_rng(100 + limit)
    n = 150
    keys = rng.integers(1, 6, size=(n, 3)).astype(np.uint64)
    keys[rng.random(n) < 0.05] = 0  # empty documents
    times = rng.integers(0, 40, n).astype(float)  # four generations of 10 s, interleaved
    want = {tuple(p) for p in candidates_from_keys(keys, limit=limit).tolist()}
    for store in (
        MemoryStore(SETTINGS, generation_seconds=10),
        SQLiteStore(tmp_path / f"h{limit}.db", SETTINGS, generation_seconds=10),
    ):
        got, start = set(), 0
        while start < n:
            stop = min(n, start + int(rng.integers(1, 12)))
            hits = store.bucket_hits(keys[start:stop], limit=limit)
            pairs = pairs_with_stored(keys[start:stop], hits, limit=limit)
            wider = store.bucket_hits(
                np.concatenate((keys[start:stop], keys[:start][::7])), limit=limit
            )  # more buckets
            assert np.array_equal(pairs_with_stored(keys[start:stop], wider, limit=limit), pairs)
            got.update((int(s), start + int(r)) for s, r in pairs.tolist())
            for chunk in candidate_chunks(keys[start:stop], limit=limit):
                got.update((start + int(i), start + int(j)) for i, j in chunk.tolist())
            store.add_many(_records(keys[start:stop], [str(k) for k in range(start, stop)], times[start:stop]))
            start = stop
        assert got == want
        store.close()


def test_screen_gives_each_articles_time_and_figures(tmp_path):
    """The times and figures a store screens candidates with, in memory: as added, after reopening, after eviction."""
    rng = np.random.default_rng(3)
    n = 300
    figures = [rng.integers(0, 50, rng.integers(0, 4)).astype(np.uint32) for _ in range(n)]
    times = rng.integers(0, 60, n).astype(float)  # six generations of 10 s, interleaved
    keys = rng.integers(1, 1000, size=(n, 3)).astype(np.uint64)
    path = tmp_path / "screen.db"
    stores = [MemoryStore(SETTINGS, generation_seconds=10), SQLiteStore(path, SETTINGS, generation_seconds=10)]
    start = 0
    while start < n:  # batches of any size: runs in several generations, merged as they grow
        stop = min(n, start + int(rng.integers(1, 40)))
        fig = ShingleBatch(
            np.concatenate([figures[k] for k in range(start, stop)]),
            np.concatenate(([0], np.cumsum([len(figures[k]) for k in range(start, stop)]))).astype(np.int64),
        )
        records = dataclasses.replace(
            _records(keys[start:stop], [str(k) for k in range(start, stop)], times[start:stop]), figures=fig
        )
        for store in stores:
            store.add_many(records)
        start = stop
    stores[1].close()
    stores.append(SQLiteStore(path, SETTINGS))  # reopened: rebuilt from the file
    for store in stores[0], stores[2]:
        ask = rng.permutation(n)[:120]
        got_times, got_figures = store.screen(ask)
        assert got_times.tolist() == times[ask].tolist()
        assert [got_figures.doc(k).tolist() for k in range(len(ask))] == [figures[a].tolist() for a in ask.tolist()]
        assert store.evict_before(30.0) == int((times < 30).sum())  # generations 0-2 leave
        left = np.flatnonzero(times >= 30)
        assert store.screen(left)[0].tolist() == times[left].tolist()
        with pytest.raises(KeyError):
            store.screen(np.flatnonzero(times < 30)[:1])
        store.close()


def test_bucket_index_keeps_only_what_lookups_need():
    index = BucketIndex()
    keys = np.ones((100, 2), np.uint64)
    for k in range(100):  # one addition at a time: runs merge, lookups still give the latest
        index.add(keys[k : k + 1], np.array([k]), np.zeros(1, np.int64))
    assert index.members(keys[:1], limit=3).tolist() == [97, 98, 99]  # the latest 3 over all the runs
    index.remove(np.array([99]))
    assert index.members(keys[:1], limit=3).tolist() == [96, 97, 98]
    index.drop_generation(0)
    assert index.members(keys[:1], limit=3).size == 0


def test_fetch_remove_and_evict(tmp_path):
    keys = np.array([[1, 2, 3], [1, 5, 6], [7, 8, 9]], np.uint64)
    for store in (
        MemoryStore(SETTINGS, generation_seconds=10),
        SQLiteStore(tmp_path / "e.db", SETTINGS, generation_seconds=10),
    ):
        store.add_many(_records(keys, ["a", "b", "c"], times=np.array([1.0, 12.0, 25.0])))
        got = store.fetch(np.array([0, 2]), texts=True)
        assert got.ids == ["a", "c"] and got.texts == ["text a", "text c"] and got.seq.tolist() == [0, 2]
        assert got.keys.tolist() == keys[[0, 2]].tolist() and got.sets.hashes.tolist() == [0, 2]
        assert store.contains_many(["a", "x"]).tolist() == [True, False]
        assert store.document_frequency(np.array([0, 1, 2, 3], np.uint32)).tolist() == [1, 1, 1, 0]
        assert store.evict_before(19.0) == 1  # generation 0 ends at 10; generation 1 at 20 > 19
        assert len(store) == 2 and store.contains_many(["a"]).tolist() == [False]
        assert store.document_frequency(np.array([0], np.uint32)).tolist() == [0]
        assert store.bucket_members(keys[:1], limit=5).tolist() == [1]
        assert store.remove_many(["b", "nope"]) == 1 and len(store) == 1
        assert store.bucket_members(keys[:2], limit=5).size == 0 and store.next_seq == 3
        store.close()


def test_sqlite_store_reopens_with_everything(tmp_path):
    path = tmp_path / "r.db"
    keys = np.array([[1, 2, 3], [4, 5, 6]], np.uint64)
    with SQLiteStore(path, SETTINGS) as store:
        store.add_many(_records(keys, ["a", "b"], times=np.array([5.0, 6.0])))
    with SQLiteStore(path, SETTINGS) as store:
        assert len(store) == 2 and store.next_seq == 2 and store.clock == 6.0
        assert store.bucket_members(keys[1:], limit=3).tolist() == [1]
        assert store.document_frequency(np.array([1], np.uint32)).tolist() == [1]


def test_opening_with_other_settings_names_the_setting_and_both_values(tmp_path):
    path = tmp_path / "s.db"
    open_index(path).close()
    with pytest.raises(SignatureMismatchError, match="shingle_size=2 but this run uses shingle_size=3"):
        open_index(path, shingle_size=3)
    with pytest.raises(SignatureMismatchError, match="bands=28 but this run uses bands="):
        open_index(path, candidate_threshold=0.5)
    with pytest.raises(SignatureMismatchError, match="text_stage"):
        SQLiteStore(path, {**store_settings(DedupConfig(), bands=28, rows=2), "text_stage": 999})


def test_files_that_are_not_an_index_get_a_clear_error(tmp_path):
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"this is not a database at all" * 100)
    with pytest.raises(IndexFileError, match="is not a dedup index"):
        open_index(garbage)
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as conn, conn:
        conn.execute("CREATE TABLE t(x)")
    with pytest.raises(IndexFileError, match="SQLite database but not a dedup index"):
        open_index(other)
    newer = tmp_path / "newer.db"
    open_index(newer).close()
    with closing(sqlite3.connect(newer)) as conn, conn:
        conn.execute("UPDATE meta SET value = ? WHERE key = 'version'", (str(FORMAT_VERSION + 1),))
    with pytest.raises(IndexFileError, match=f"format version {FORMAT_VERSION + 1}, newer than this dedup reads"):
        open_index(newer)


def test_no_pickle_in_the_format(tmp_path):
    path = tmp_path / "p.db"
    with open_index(path) as index:
        index.add({"id": "a", "text": "Shares of Acme rose 5 percent on Monday after results."})
    with closing(sqlite3.connect(path)) as conn:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        meta = dict(conn.execute("SELECT key, value FROM meta"))
    assert tables == {"meta", "generations", "docs_0"}
    assert meta["format"] == "dedup-index" and '"shingle_size": 2' in meta["settings"]
    assert not any(b"pickle" in v.encode() for v in meta.values())


def test_a_second_process_gets_a_clear_error(tmp_path):
    path = tmp_path / "lock.db"
    with open_index(path), pytest.raises(IndexFileError, match="is open in another process"):
        open_index(path)
    open_index(path).close()  # released on close


def test_deduplicator_add_query_remove_clusters(seed_texts):
    reuters, unn = seed_texts
    d = Deduplicator()
    assert d.add({"id": "reuters", "text": reuters}) == []
    assert d.add({"id": "cocoa", "text": "Showers continued throughout the week in the Bahia cocoa zone."}) == []
    assert [p.a for p in d.query({"id": "probe", "text": unn})] == ["reuters"]
    assert len(d) == 2 and "probe" not in d
    found = d.add({"id": "unn", "text": unn})
    assert [(p.a, p.b) for p in found] == [("reuters", "unn")] and 0 <= found[0].score <= 1
    assert [set(c.ids) for c in d.clusters()] == [{"reuters", "unn"}]
    with pytest.raises(ValueError, match="duplicate id 'unn'"):
        d.add({"id": "unn", "text": "again"})
    assert d.remove("reuters") and not d.remove("reuters") and "reuters" not in d
    assert d.query({"id": "probe", "text": reuters})[0].a == "unn"


def test_stream_verdicts_never_chain_and_name_stored_articles(tmp_path, seed_texts):
    reuters, unn = seed_texts
    path = tmp_path / "v.db"
    with open_index(path) as index:
        first = index.add_many([{"id": "reuters", "text": reuters}])
        assert [v.status for v in first.verdicts] == ["unique"]
    with open_index(path) as index:  # a later run names the article stored by the earlier one
        verdict = index.add_many([{"id": "unn", "text": unn}]).verdicts[0]
        assert (verdict.status, verdict.duplicate_of, verdict.cluster) == ("duplicate", "reuters", 0)
        again = index.add_many([{"id": "unn2", "text": unn + " More to follow."}]).verdicts[0]
        assert again.duplicate_of == "reuters"  # not 'unn', which is itself a duplicate


def test_batch_clustering_keeps_stored_articles(seed_texts):
    reuters, unn = seed_texts
    d = Deduplicator()
    d.add_many([{"id": "unn", "text": unn, "published": "2026-01-02"}], clustering="batch")
    verdicts = d.add_many([{"id": "reuters", "text": reuters, "published": "2026-01-01"}], clustering="batch").verdicts
    # earlier published, but 'unn' was kept by an earlier run and verdicts are not revised
    assert (verdicts[0].status, verdicts[0].duplicate_of) == ("duplicate", "unn")
    with pytest.raises(ValueError, match="clustering must be"):
        d.add_many([], clustering="nope")


def test_find_duplicates_against_an_index_in_two_runs(tmp_path):
    from dedup import find_duplicates, load_articles

    from .conftest import ROOT

    articles = load_articles(ROOT / "examples" / "news_feed.jsonl")
    whole = find_duplicates(articles)
    path = tmp_path / "two.db"
    first, second = find_duplicates(articles[:12], index=path), find_duplicates(articles[12:], index=path)
    assert {(p.a, p.b) for p in first.pairs + second.pairs} == {(p.a, p.b) for p in whole.pairs}
    assert second.stats["stored"] == len(articles) and len(second.verdicts) == len(articles) - 12
    by_id = {v.id: v for v in second.verdicts}
    assert by_id["unn-openai-nato"].duplicate_of == "reuters-openai-nato"  # stored by the first run
    cluster = next(c for c in second.clusters if "unn-openai-nato" in c.ids)
    assert cluster.representative == "reuters-openai-nato" and cluster.id == by_id["unn-openai-nato"].cluster
    windowed = find_duplicates(articles, window="2d")  # in memory, with a window
    assert {(p.a, p.b) for p in windowed.pairs} <= {(p.a, p.b) for p in whole.pairs} and windowed.stats["evicted"] > 0
