"""`dedup find` / `dedup stream` on a real Redis server (issue #9, points 1 and 5).

The same results as the SQLite index on the same input (the example feed; a Reuters-21578 slice from
../shared/data, skipped without it), the settings record checked on open, ``--index-name`` keeping
indexes apart, one-line errors for an unreachable server or a bad URL, the server killed and restarted
(append-only file on) in the middle of an ingest, and keys deleted under the store.
"""

from __future__ import annotations

import gzip
import io
import itertools
import json
import random
import re
import shutil
import signal
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import numpy as np
import pytest

import dedup
from dedup.cli import main
from dedup.store.redis import PENDING

from ._processes import finish as _finish
from ._processes import start
from ._redis_server import free_port, redis_server
from .conftest import ROOT, shared_data

redis = pytest.importorskip("redis")

THRESHOLD = dedup.DedupConfig().threshold
FEED = ROOT / "examples" / "news_feed.jsonl"
BATCH = 4096  # dedup find --index claims this many records at a time
SLOW = "?socket_timeout=300"  # one claim of thousands of articles outlasts redis-py's default 5 s read timeout


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


def finish(proc: subprocess.Popen, input: str | None = None, timeout: float = 300) -> subprocess.CompletedProcess:
    return _finish(proc, input, timeout)  # a Redis ingest waits behind other workers: a longer default


def run(*args: object, input: str | None = None) -> subprocess.CompletedProcess:
    return finish(start(*args, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL), input)


def ok(done: subprocess.CompletedProcess) -> subprocess.CompletedProcess:
    assert done.returncode == 0 and "Traceback" not in done.stderr, done.stderr
    return done


def one_line_error(done: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit 1, nothing on stdout, one line on stderr holding every needle, no traceback."""
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert done.stdout == ""
    err = done.stderr.strip()
    assert len(err.splitlines()) == 1, done.stderr
    for needle in needles:
        assert needle in err, (needle, err)
    return err


def rows(path: Path) -> list[dict]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]


def pair_scores(path: Path) -> dict[frozenset, float]:
    return {frozenset((p["a"], p["b"])): p["score"] for p in rows(path)}


def stored_verdicts(index: str, name: str = "dedup") -> dict[str, str | None]:
    """id -> the id of its representative (None: kept), as the index stores it."""
    with dedup.open_index(index, name=name) as opened:
        got = opened.store.fetch(np.arange(opened.store.next_seq))
    by_seq = dict(zip(got.seq.tolist(), got.ids))
    assert PENDING not in got.rep.tolist()
    return {i: (None if r == -1 else by_seq[r]) for i, r in zip(got.ids, got.rep.tolist())}


def compare(sqlite_pairs: dict, redis_pairs: dict) -> tuple[set, float]:
    """Pairs found by only one of the two (each must be borderline), and the largest score difference of the rest."""
    only = set(sqlite_pairs) ^ set(redis_pairs)
    assert all(abs((sqlite_pairs.get(p) or redis_pairs[p]) - THRESHOLD) < 0.02 for p in only), only
    common = set(sqlite_pairs) & set(redis_pairs)
    return only, max((abs(sqlite_pairs[p] - redis_pairs[p]) for p in common), default=0.0)


# -- the same results as SQLite ------------------------------------------------------------------------


def test_example_feed_same_pairs_and_verdicts_as_sqlite(server, tmp_path):
    procs = [
        start("find", FEED, "--index", tmp_path / "p.sqlite", "--pairs", "-o", tmp_path / "sqlite.jsonl", "-j", "1"),
        start(
            "find",
            FEED,
            "--index",
            server,
            "--index-name",
            "news",
            "--pairs",
            "-o",
            tmp_path / "redis.jsonl",
            "-j",
            "1",
        ),
    ]
    done = [ok(finish(proc)) for proc in procs]
    assert (
        done[0].stderr.split(";")[0] == done[1].stderr.split(";")[0]
    )  # "32 records: 26 kept, 6 duplicates, 0 rejected"
    sqlite_pairs, redis_pairs = pair_scores(tmp_path / "sqlite.jsonl"), pair_scores(tmp_path / "redis.jsonl")
    assert sqlite_pairs and set(sqlite_pairs) == set(redis_pairs)
    assert all(abs(sqlite_pairs[p] - redis_pairs[p]) < 1e-9 for p in sqlite_pairs)  # 32 articles: the sketch is exact
    verdicts = stored_verdicts(str(tmp_path / "p.sqlite"))
    assert verdicts == stored_verdicts(server, "news") and len(verdicts) == 32
    assert 0 < sum(v is not None for v in verdicts.values()) < 32


def test_reuters_slice_same_pairs_and_verdicts_as_sqlite(server, tmp_path, capsys):
    with gzip.open(shared_data("reuters21578.jsonl.gz"), "rt", encoding="utf-8") as f:
        slice_ = list(itertools.islice(f, 3000))
    feed = tmp_path / "reuters3000.jsonl"
    feed.write_text("".join(slice_), encoding="utf-8")
    url = server + SLOW
    started = time.perf_counter()
    procs = [
        start(
            "find", feed, "--index", tmp_path / "r.sqlite", "--pairs", "-o", tmp_path / "sqlite.jsonl", "-q", "-j", "1"
        ),
        start(
            "find",
            feed,
            "--index",
            url,
            "--index-name",
            "reuters",
            "--pairs",
            "-o",
            tmp_path / "redis.jsonl",
            "-q",
            "-j",
            "1",
        ),
    ]
    for proc in procs:
        ok(finish(proc))
    sqlite_pairs, redis_pairs = pair_scores(tmp_path / "sqlite.jsonl"), pair_scores(tmp_path / "redis.jsonl")
    only, diff = compare(sqlite_pairs, redis_pairs)
    sqlite_verdicts, redis_verdicts = stored_verdicts(str(tmp_path / "r.sqlite")), stored_verdicts(url, "reuters")
    differing = sorted(i for i in sqlite_verdicts if sqlite_verdicts[i] != redis_verdicts.get(i))
    with capsys.disabled():
        print(
            f"\nReuters 3000, SQLite vs Redis ({time.perf_counter() - started:.1f} s): pairs {len(sqlite_pairs)} / "
            f"{len(redis_pairs)}, found by one only {sorted(map(sorted, only))}, largest score difference {diff:.2e}; "
            f"duplicates {sum(v is not None for v in sqlite_verdicts.values())} / "
            f"{sum(v is not None for v in redis_verdicts.values())}, verdicts differing {differing}"
        )
    assert len(sqlite_pairs) > 50 and set(redis_verdicts) == set(sqlite_verdicts)
    assert not differing or only, differing  # a verdict may differ only through a borderline pair


# -- the settings record, names, bad URLs ------------------------------------------------------------


def test_settings_checked_on_open_and_names_keep_indexes_apart(server, tmp_path):
    ok(run("find", FEED, "--index", server, "--index-name", "a", "-o", tmp_path / "a.jsonl", "-q", "-j", "1"))
    client = redis.Redis.from_url(server)
    keys = sorted(client.scan_iter("a:*"))
    dedup.open_index(server, name="c", shingle_size=3).close()  # another name: other settings are fine there
    procs = [
        start(
            "find",
            FEED,
            "--index",
            server,
            "--index-name",
            "a",
            "--shingle-size",
            "3",
            "-o",
            tmp_path / "x.jsonl",
            "-j",
            "1",
        ),
        start("stream", "--index", server, "--index-name", "c", stdin=subprocess.PIPE),
        start("find", FEED, "--index", server, "--index-name", "b", "-o", tmp_path / "b.jsonl", "-j", "1"),
    ]
    other = finish(procs[0])
    streamed = finish(procs[1], json.dumps({"id": "new", "text": "a b c"}) + "\n")
    b = ok(finish(procs[2]))
    err = one_line_error(other, "shingle_size", server)
    assert re.search(r"shingle_size=2\b.*shingle_size=3\b", err), err  # both values
    assert not (tmp_path / "x.jsonl").exists() and sorted(client.scan_iter("a:*")) == keys  # nothing written
    one_line_error(streamed, "shingle_size", server)  # c holds shingle size 3, the stream uses 2
    assert "0 articles before, 32 after" in b.stderr  # the same feed is new under another name
    assert rows(tmp_path / "b.jsonl") == rows(tmp_path / "a.jsonl")
    with dedup.open_index(server, name="a") as a, dedup.open_index(server, name="b") as b_index:
        assert len(a) == len(b_index) == 32
    with pytest.raises(dedup.SignatureMismatchError, match="shingle_size"):
        dedup.open_index(server, name="c")
    assert json.loads(client.hget("c:meta", "settings"))["shingle_size"] == 3
    assert json.loads(client.hget("a:meta", "settings"))["shingle_size"] == 2


BAD = [
    f"redis://127.0.0.1:{free_port()}/0",
    "redis://127.0.0.1:notaport/0",
    "redis://no-such-host.invalid:6379/0",
    "redis://127.0.0.1:{port}/99",
    "redis://127.0.0.1:{port}/0?socket_timeout=abc",
]


def test_unreachable_server_or_bad_url_one_line_nothing_written(server, tmp_path, capsys, monkeypatch):
    port = server.rsplit(":", 1)[1].split("/")[0]
    client = redis.Redis.from_url(server)
    before = client.dbsize()
    refused = BAD[0]
    procs = [
        start("find", FEED, "--index", refused, "-o", tmp_path / "out.jsonl"),  # real processes: no traceback
        start("stream", "--index", refused, "--index-name", "news", stdin=subprocess.PIPE),
    ]
    one_line_error(finish(procs[0]), refused)
    one_line_error(finish(procs[1], json.dumps({"id": "x", "text": "some text here"}) + "\n"), refused)
    for bad in (b.format(port=port) for b in BAD[1:]):  # the same code path in this process
        assert main(["find", str(FEED), "--index", bad, "-o", str(tmp_path / "out.jsonl")]) == 1
        monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BytesIO(b'{"id": "x", "text": "t"}\n')))
        assert main(["stream", "--index", bad]) == 1
        captured = capsys.readouterr()
        assert captured.out == "" and len(captured.err.strip().splitlines()) == 2, captured.err
        assert all(
            bad in line and line.startswith(("dedup find: error: ", "dedup stream: error: "))
            for line in captured.err.strip().splitlines()
        ), captured.err
    assert not (tmp_path / "out.jsonl").exists() and client.dbsize() == before


def test_a_password_in_the_url_is_not_printed(tmp_path):
    url = f"redis://user:hunter2@127.0.0.1:{free_port()}/0"
    err = one_line_error(run("find", FEED, "--index", url, "-o", tmp_path / "out.jsonl"), "127.0.0.1")
    assert "hunter2" not in err


# -- faults -----------------------------------------------------------------------------------------------


def tiny_feed(n: int, seed: int = 5) -> list[dict]:
    """``n`` short made-up articles (4 sentences); every tenth from 1000 on is a copy of an earlier one, a sentence short."""
    rng = random.Random(seed)
    syllables = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"]
    vocabulary = ["".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(5000)]
    texts = [
        " ".join(" ".join(rng.choices(vocabulary, k=rng.randint(9, 13))).capitalize() + "." for _ in range(4))
        for _ in range(n)
    ]
    for i in range(1000, n, 10):
        sentences = texts[i - 995].split(". ")
        del sentences[1]
        texts[i] = ". ".join(sentences)
    return [{"id": f"t{i}", "text": t} for i, t in enumerate(texts)]


@contextmanager
def aof_server(directory: Path, port: int) -> Iterator[subprocess.Popen]:
    """redis-server on ``port`` with its append-only file in ``directory`` (fsync at every write)."""
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.skip("no redis-server on PATH: install one (apt-get install redis-server) to run the Redis tests")
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--dir",
            str(directory),
            "--save",
            "",
            "--appendonly",
            "yes",
            "--appendfsync",
            "always",
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    try:
        client = redis.Redis(port=port, socket_timeout=1)
        deadline = time.monotonic() + 20
        while True:
            try:
                if client.ping():
                    break
            except redis.RedisError:  # not listening yet, or loading its append-only file
                pass
            assert proc.poll() is None and time.monotonic() < deadline, "redis-server did not start"
            time.sleep(0.05)
        client.close()
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()


def test_server_killed_mid_ingest_then_restarted_nothing_silently_lost(tmp_path, capsys):
    feed = tiny_feed(BATCH + 800)  # two claims: 4096, then 800
    path = tmp_path / "big.jsonl"
    path.write_text("".join(json.dumps(a) + "\n" for a in feed), encoding="utf-8")
    ids = [a["id"] for a in feed]
    port = free_port()
    url = f"redis://127.0.0.1:{port}/0{SLOW}"
    with aof_server(tmp_path, port) as server:
        proc = start("find", path, "--index", url, "--index-name", "big", "-o", tmp_path / "first.jsonl", "-j", "1")
        with dedup.open_index(f"redis://127.0.0.1:{port}/0?socket_timeout=0.5", name="big") as watcher:
            deadline = time.monotonic() + 120
            while proc.poll() is None and time.monotonic() < deadline:  # kill once the first batch has its verdicts
                try:
                    got = watcher.store.fetch(np.array([0]))
                    if got.rep.size and got.rep[0] != PENDING:
                        break
                except (dedup.IndexFileError, redis.RedisError):  # the server is busy with the claim (BUSY after 5 s)
                    pass
                time.sleep(0.01)
            server.send_signal(signal.SIGKILL)
        first = finish(proc)
    assert first.returncode == 1, f"the run ended before the server was killed: {first.stderr}"
    err = one_line_error(first, url)
    written = rows(tmp_path / "first.jsonl")  # the lines of every batch stored before the loss, and no more
    assert [v["id"] for v in written] == ids[: len(written)] and len(written) in (0, BATCH)
    assert f"the first {len(written)} records were stored and written" in err
    assert "lost the connection to Redis" in err and "cannot write -o" not in err  # the store's error, not the output's
    with aof_server(tmp_path, port):  # the same port and directory: the append-only file is read back
        with dedup.open_index(url, name="big") as index:
            stored = len(index)
            got = index.store.fetch(np.arange(index.store.next_seq))
            assert len(got.ids) == stored and index.store.contains_many(got.ids).all()  # every stored id fetchable
            assert got.ids == ids[:stored] and stored in (BATCH, len(feed))  # whole batches: each claim is atomic
            pending_after_kill = int((got.rep == PENDING).sum())
        second = ok(
            run(
                "find",
                path,
                "--index",
                url,
                "--index-name",
                "big",
                "--on-error",
                "skip",
                "-o",
                tmp_path / "second.jsonl",
                "-j",
                "1",
            )
        )
        verdicts = rows(tmp_path / "second.jsonl")
        assert [v["id"] for v in verdicts] == ids
        assert all(v["status"] == "rejected" and "already holds" in v["reason"] for v in verdicts[:stored])
        assert all(v["status"] in ("unique", "duplicate", "representative") for v in verdicts[stored:]), [
            v for v in verdicts[stored:] if v["status"] not in ("unique", "duplicate", "representative")
        ][:3]
        with dedup.open_index(url, name="big") as index:
            assert len(index) == len(feed) and index.store.contains_many(ids).all()  # every input id is in the index
            pending = int((index.store.fetch(np.arange(index.store.next_seq)).rep == PENDING).sum())
    with capsys.disabled():
        print(
            f"\nserver killed mid-ingest: {err!r}; {stored} stored ({pending_after_kill} without verdict); "
            f"second run: {second.stderr.strip()}; records left without verdict: {pending}"
        )


def _lose_claim_replies(monkeypatch, times: int) -> list[int]:
    """The server runs each claim, and its reply is lost the first ``times`` times (a read timeout)."""
    from dedup.store._redis_calls import _LostConnection
    from dedup.store.redis import RedisStore

    run_once, lost = RedisStore._run_once, []

    def lossy(self, script, *args, **kw):
        reply = run_once(self, script, *args, **kw)
        if script == "CLAIM" and len(lost) < times:
            lost.append(1)
            raise _LostConnection(f"lost the connection to Redis at {self.url}: Timeout reading from socket")
        return reply

    monkeypatch.setattr(RedisStore, "_run_once", lossy)
    return lost


def test_a_claim_whose_reply_is_lost_is_sent_again_and_the_run_goes_on(server, tmp_path, monkeypatch, capsys):
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(a) + "\n" for a in tiny_feed(1000, seed=9)), encoding="utf-8")
    lost = _lose_claim_replies(monkeypatch, 2)
    assert (
        main(["find", str(feed), "--index", server, "--index-name", "lost", "-o", str(tmp_path / "out.jsonl"), "-q"])
        == 0
    )
    assert len(lost) == 2
    verdicts = rows(tmp_path / "out.jsonl")
    assert len(verdicts) == 1000 and all(v["status"] in ("unique", "duplicate", "representative") for v in verdicts)
    assert len(stored_verdicts(server, "lost")) == 1000  # each stored once, none left PENDING


def test_a_claim_never_answered_says_what_was_stored_and_a_rerun_finishes_it(server, tmp_path, monkeypatch, capsys):
    import dedup.store.redis as redis_store
    import dedup.stream

    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(a) + "\n" for a in tiny_feed(1000, seed=9)), encoding="utf-8")
    monkeypatch.setattr(redis_store, "RETRY_SECONDS", 0.3)
    _lose_claim_replies(monkeypatch, 1000)
    assert main(["find", str(feed), "--index", server, "--index-name", "never", "-o", str(tmp_path / "out.jsonl")]) == 1
    err = capsys.readouterr().err.strip().splitlines()[-1]
    assert "Traceback" not in err and server in err
    assert "the server stored 1000 of this batch's 1000 articles without their verdicts" in err, err
    assert "the first 0 records were stored and written" in err
    assert PENDING in stored_verdicts_raw(server, "never")
    monkeypatch.undo()  # the server answers again; another process (no memory of the claim) reruns the feed
    monkeypatch.setattr(dedup.stream, "PENDING_TIMEOUT", 0.5)
    assert (
        main(["find", str(feed), "--index", server, "--index-name", "never", "-o", str(tmp_path / "again.jsonl"), "-q"])
        == 0
    )
    verdicts = rows(tmp_path / "again.jsonl")
    assert len(verdicts) == 1000 and all(v["status"] in ("unique", "duplicate", "representative") for v in verdicts)
    assert len(stored_verdicts(server, "never")) == 1000  # stored once, finished by the rerun


def wait_until_idle(url: str, timeout: float = 120) -> None:
    """Until the server answers again: a script still running makes it reply BUSY (after busy-reply-threshold)."""
    client = redis.Redis.from_url(url, socket_timeout=timeout)
    deadline = time.monotonic() + timeout
    while True:
        try:
            client.ping()
            break
        except redis.ResponseError:
            assert time.monotonic() < deadline
            time.sleep(0.05)
    client.close()


def stored_verdicts_raw(url: str, name: str) -> list[int]:
    with dedup.open_index(url, name=name) as opened:
        return opened.store.fetch(np.arange(opened.store.next_seq)).rep.tolist()


def test_a_worker_waits_out_another_workers_long_claim(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text("".join(json.dumps(a) + "\n" for a in tiny_feed(400, seed=13)), encoding="utf-8")
    small = tiny_feed(200, seed=14)
    errors: list[BaseException] = []
    with redis_server(tmp_path, "--busy-reply-threshold", "20") as url, dedup.open_index(url, name="busy") as index:
        proc = start(
            "find", path, "--index", url + SLOW, "--index-name", "busy", "-o", tmp_path / "out.jsonl", "-q", "-j", "1"
        )
        k = 0
        while proc.poll() is None:  # another worker adds one article at a time meanwhile
            try:
                index.add_many([{"id": f"small-{k}", "text": small[k % len(small)]["text"]}])
            except Exception as exc:  # noqa: BLE001
                errors.append(exc)
            k += 1
            time.sleep(0.01)
        done = finish(proc)
        wait_until_idle(url)
    assert not errors, errors[:3]
    ok(done)


def test_keys_deleted_under_the_store_crash_neither_query_nor_add(server, tmp_path):
    """As when Redis evicts keys under memory pressure: records, an id table and a postings hash disappear."""
    feed = tiny_feed(600, seed=11)
    with dedup.open_index(server, name="ev") as index:
        for start_ in range(0, len(feed), 200):
            index.add_many(feed[start_ : start_ + 200])
    client = redis.Redis.from_url(server)
    records = sorted(client.scan_iter("ev:d:*"))
    assert len(records) == 3  # 256 seqs per record hash
    client.delete(records[1], next(client.scan_iter("ev:i:*")), next(client.scan_iter("ev:p:*")))
    copies = [{"id": f"copy-{a['id']}", "text": a["text"]} for a in feed[::7]]
    with dedup.open_index(server, name="ev") as index:
        assert 0 < len(index) <= 600
        found = index.query_many(copies)
        assert sum(bool(f) for f in found) > len(copies) // 2  # what is left still matches
        assert {p.a for f in found for p in f} <= {a["id"] for a in feed}
    (tmp_path / "copies.jsonl").write_text("".join(json.dumps(a) + "\n" for a in copies), encoding="utf-8")
    done = ok(
        run(
            "find",
            tmp_path / "copies.jsonl",
            "--index",
            server,
            "--index-name",
            "ev",
            "-o",
            tmp_path / "copies.out",
            "-j",
            "1",
        )
    )
    verdicts = rows(tmp_path / "copies.out")
    assert len(verdicts) == len(copies) and {v["status"] for v in verdicts} <= {"unique", "duplicate"}, done.stderr
    assert sum(v["status"] == "duplicate" for v in verdicts) > len(copies) // 2
