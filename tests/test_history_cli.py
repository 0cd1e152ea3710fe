"""History end to end (issue #8): `dedup find --index`, `dedup stream`, windows, kills and locks.

Real files, real processes, no mocks. The feeds are generated here (random words strung into sentences,
copies made by dropping a sentence), except the two-halves test, which needs Reuters-21578 from
../shared/data and skips without it.
"""

from __future__ import annotations

import gzip
import json
import os
import queue
import random
import re
import shutil
import signal
import sqlite3
import subprocess
import threading
import time
from contextlib import closing
from datetime import datetime, timedelta, timezone
from pathlib import Path

import numpy as np
import pytest

import dedup
from dedup.cli import main

from ._processes import DEDUP, finish, start
from .conftest import ROOT, shared_data

FIELDS = {"id", "status", "cluster", "duplicate_of", "score", "reason", "update_of", "updated_by"}
BATCH = 4096  # dedup find --index matches and commits this many articles per transaction
THRESHOLD = dedup.DedupConfig().threshold
LEAD_CEILING = dedup.DedupConfig().lead_ceiling


# -- feeds -------------------------------------------------------------------------------------------


def synthetic_texts(n: int, seed: int) -> list[str]:
    """``n`` articles of 6-9 sentences of random made-up words: no two share a sentence."""
    rng = random.Random(seed)
    syllables = [c + v for c in "bcdfghklmnprstvz" for v in "aeiou"]
    vocabulary = ["".join(rng.choices(syllables, k=rng.randint(2, 4))) for _ in range(6000)]
    words = rng.choices(vocabulary, k=n * 9 * 16)
    lengths = rng.choices(range(10, 17), k=n * 9)
    texts, at, s = [], 0, 0
    for _ in range(n):
        sentences = []
        for _ in range(6 + s % 4):
            k = lengths[s]
            sentences.append(" ".join(words[at : at + k]).capitalize() + ".")
            at, s = at + k, s + 1
        texts.append(" ".join(sentences))
    return texts


def rewrite(text: str) -> str:
    """A near-duplicate: the same article without its second sentence."""
    sentences = text.split(". ")
    del sentences[1]
    return ". ".join(sentences)


LAG = 3001  # a copy in the big feed repeats the article this many places before it (never itself a copy)


def big_feed(n: int) -> list[dict]:
    """Articles a0..a{n-1}; every tenth from LAG on is a rewrite of the one LAG places before it."""
    texts = synthetic_texts(n, seed=8)
    for i in range(LAG, n):
        if i % 10 == 9:
            texts[i] = rewrite(texts[i - LAG])
    return [{"id": f"a{i}", "text": t} for i, t in enumerate(texts)]


def original_of(article_id: str) -> str | None:
    i = int(article_id[1:])
    return f"a{i - LAG}" if i >= LAG and i % 10 == 9 else None


def jsonl(rows: list[dict]) -> str:
    return "".join(json.dumps(r) + "\n" for r in rows)


def write_jsonl(path: Path, rows: list[dict]) -> Path:
    path.write_text(jsonl(rows), encoding="utf-8")
    return path


def lines(text: str) -> list[dict]:
    return [json.loads(line) for line in text.splitlines() if line.strip()]


# -- processes and files -----------------------------------------------------------------------------


def run(*args: object, input: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    return finish(start(*args, stdin=subprocess.PIPE if input is not None else subprocess.DEVNULL), input, timeout)


def assert_one_line_error(done: subprocess.CompletedProcess, *needles: str) -> str:
    """Exit code 1, nothing on stdout, one line on stderr holding every needle, no traceback."""
    assert "Traceback" not in done.stderr, done.stderr
    assert done.returncode == 1, (done.returncode, done.stderr)
    assert done.stdout == ""
    err = done.stderr.strip()
    assert len(err.splitlines()) == 1, done.stderr
    for needle in needles:
        assert needle in err, (needle, err)
    return err


def committed(db: Path) -> int:
    """Articles the index file holds, read with a plain SQLite connection beside the writer."""
    if not db.exists():
        return 0
    try:
        with closing(sqlite3.connect(db, timeout=10)) as conn:
            (n,) = conn.execute("SELECT COALESCE(SUM(articles), 0) FROM generations").fetchone()
    except sqlite3.OperationalError:  # not created yet
        return 0
    return int(n)


def integrity(db: Path) -> str:
    with closing(sqlite3.connect(db)) as conn:
        return conn.execute("PRAGMA integrity_check").fetchone()[0]


def raw_rows(db: Path) -> tuple[list[tuple], dict[str, str]]:
    """(seq, id, time, keys, sets) of every stored article in seq order, and the meta table."""
    with closing(sqlite3.connect(db)) as conn:
        meta = dict(conn.execute("SELECT key, value FROM meta"))
        gens = dict(conn.execute("SELECT gen, articles FROM generations"))
        rows = []
        for g, count in gens.items():
            part = conn.execute(f'SELECT seq, id, time, keys, sets FROM "docs_{g}"').fetchall()
            assert len(part) == count, f"generations says {count} articles in docs_{g}, the table holds {len(part)}"
            rows.extend(part)
    return sorted(rows), meta


class Live:
    """``dedup stream`` behind pipes: send a line, read its verdict with a timeout (a hang fails, never blocks)."""

    def __init__(self, *args: object) -> None:
        self.proc = subprocess.Popen(
            [*DEDUP, "stream", *map(str, args)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            cwd=ROOT,
        )
        self._lines: queue.Queue[bytes | None] = queue.Queue()
        self._reader = threading.Thread(target=self._pump, daemon=True)
        self._reader.start()

    def _pump(self) -> None:
        for raw in self.proc.stdout:
            self._lines.put(raw)
        self._lines.put(None)

    def send(self, record: dict | str) -> None:
        line = record if isinstance(record, str) else json.dumps(record)
        self.proc.stdin.write((line + "\n").encode("utf-8"))
        self.proc.stdin.flush()

    def verdict(self, timeout: float = 30) -> dict:
        try:
            raw = self._lines.get(timeout=timeout)
        except queue.Empty:
            pytest.fail(f"no verdict line within {timeout} s: dedup stream did not answer the record it was sent")
        assert raw is not None, "dedup stream closed its output early"
        row = json.loads(raw)
        assert set(row) == FIELDS, row
        return row

    def ask(self, record: dict | str, timeout: float = 30) -> dict:
        self.send(record)
        return self.verdict(timeout)

    def rest(self) -> list[dict]:
        """The lines written after the ones read, up to the end of output (call once the process ended)."""
        self._reader.join(timeout=30)
        out = []
        while (raw := self._lines.get_nowait()) is not None:
            out.append(json.loads(raw))
        return out

    def close(self, timeout: float = 60) -> tuple[int, str]:
        """Close stdin (end of the feed), wait; (exit code, stderr)."""
        self.proc.stdin.close()
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail(f"dedup stream did not end within {timeout} s of the end of its input")
        return code, self._stderr()

    def wait(self, timeout: float = 60) -> tuple[int, str]:
        try:
            code = self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            pytest.fail(f"dedup stream did not stop within {timeout} s")
        return code, self._stderr()

    def _stderr(self) -> str:
        err = self.proc.stderr.read().decode("utf-8")
        self.proc.stderr.close()
        return err

    def kill(self) -> None:
        self.proc.send_signal(signal.SIGKILL)
        assert self.proc.wait(30) == -signal.SIGKILL
        self._stderr()

    def __enter__(self) -> Live:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        if self.proc.poll() is None:
            self.proc.kill()
            self.proc.wait(30)
        for pipe in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if pipe is not None and not pipe.closed:
                try:
                    pipe.close()
                except BrokenPipeError:
                    pass
        self._reader.join(timeout=30)


@pytest.fixture(scope="module")
def kill_feed(tmp_path_factory) -> tuple[Path, list[dict]]:
    rows = big_feed(2 * BATCH + 600)
    return write_jsonl(tmp_path_factory.mktemp("feed") / "feed.jsonl", rows), rows


# -- 1. SIGKILL in the middle of an ingest ---------------------------------------------------------------


@pytest.mark.parametrize("moment", ["while matching", "while committing"])
def test_sigkill_mid_ingest_leaves_a_whole_prefix_that_the_next_run_uses(tmp_path, kill_feed, moment):
    feed, rows = kill_feed
    db = tmp_path / "news.db"
    proc = start("find", feed, "--index", db, "-o", tmp_path / "killed.jsonl")
    try:
        deadline = time.monotonic() + 90
        while committed(db) < BATCH:  # the first batch is in: the second one is being matched
            assert proc.poll() is None, f"dedup find ended before it could be killed: {proc.communicate()}"
            assert time.monotonic() < deadline, "no batch committed within 90 s"
            time.sleep(0.01)
        if moment == "while committing":  # the write-ahead log changes when the next batch is written to it
            wal = Path(f"{db}-wal")
            before = wal.stat().st_mtime_ns
            while wal.stat().st_mtime_ns == before:
                assert proc.poll() is None, "dedup find ended before it could be killed"
                assert time.monotonic() < deadline, "the second batch was never written"
        assert proc.poll() is None, "dedup find ended before it could be killed"
        os.kill(proc.pid, signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
    assert proc.returncode == -signal.SIGKILL

    # What the file holds: the first k records of the feed, whole, k a whole number of batches.
    assert integrity(db) == "ok"
    stored, meta = raw_rows(db)
    k = len(stored)
    assert 0 < k < len(rows) and k % BATCH == 0, k
    assert [r[0] for r in stored] == list(range(k)) and int(meta["next_seq"]) == k
    assert [r[1] for r in stored] == [r["id"] for r in rows[:k]]
    bands = json.loads(meta["settings"])["bands"]
    assert all(len(r[3]) == 8 * bands and len(r[4]) % 4 == 0 and len(r[4]) > 0 for r in stored)
    with dedup.open_index(db) as index:  # the next run opens it and reads every stored article back
        assert len(index) == k and index.store.next_seq == k
        back = index.store.fetch(np.arange(k), texts=True)
        assert back.ids == [r["id"] for r in rows[:k]]
        assert back.texts == [r["text"] for r in rows[:k]]
        assert back.keys.shape == (k, bands) and back.sets.offsets.shape == (k + 1,)
        assert np.all(np.diff(back.sets.offsets) > 0)
        probe = rows[k - 5]  # an article stored before the kill is found in the index
        assert [p.a for p in index.query({"id": "probe", "text": rewrite(probe["text"])})] == [probe["id"]]

    # A second run continuing with the rest of the feed works, against what the killed run stored.
    rest = write_jsonl(tmp_path / "rest.jsonl", rows[k:])
    done = run("find", rest, "--index", db)
    assert done.returncode == 0, done.stderr
    assert f"index {db}: {k} articles before, {len(rows)} after" in done.stderr
    verdicts = lines(done.stdout)
    assert [v["id"] for v in verdicts] == [r["id"] for r in rows[k:]]
    across = 0
    for v in verdicts:
        original = original_of(v["id"])
        if original is None:
            assert v["status"] in ("unique", "representative"), v
        else:
            assert (v["status"], v["duplicate_of"]) == ("duplicate", original), v
            across += int(original[1:]) < k
    assert across > 20  # copies of articles the killed run stored are named duplicates of them
    assert integrity(db) == "ok" and committed(db) == len(rows)


def test_sigkill_of_a_stream_keeps_the_history_answered_before_it(tmp_path):
    texts = synthetic_texts(12, seed=21)
    db = tmp_path / "live.db"
    with Live("--index", db, "-q") as live:
        for i in range(8):
            assert live.ask({"id": f"s{i}", "text": texts[i]})["status"] == "unique"
        for i in range(8, 10):  # sent, maybe answered, when the kill comes
            live.send({"id": f"s{i}", "text": texts[i]})
        live.kill()
    assert integrity(db) == "ok"
    with Live("--index", db, "-q") as live:
        again = live.ask({"id": "copy3", "text": rewrite(texts[3])})
        assert (again["status"], again["duplicate_of"], again["cluster"]) == ("duplicate", "s3", 3)
        repeated = live.ask({"id": "s7", "text": texts[11]})
        assert repeated["status"] == "rejected" and "duplicate id 's7'" in repeated["reason"]
        assert live.ask({"id": "s11", "text": texts[11]})["status"] == "unique"
        assert live.ask('{"id": 1')["status"] == "rejected"
        assert live.close() == (0, "")  # -q: not even the summary
    with dedup.open_index(db) as index:
        assert all(i in index for i in ("s0", "s7", "copy3", "s11"))
        assert 10 <= len(index) <= 12


# -- 2. two processes, one index ---------------------------------------------------------------------


def test_a_second_writer_gets_a_one_line_error_while_find_runs(tmp_path):
    rows = big_feed(BATCH + 1000)
    db = tmp_path / "news.db"
    one = write_jsonl(tmp_path / "one.jsonl", [{"id": "x", "text": synthetic_texts(1, seed=3)[0]}])
    holder = start("find", "-", "--index", db, "-o", tmp_path / "out.jsonl", stdin=subprocess.PIPE)
    try:
        # One batch and a bit: the holder commits the batch, then waits for the rest of its input.
        holder.stdin.write(jsonl(rows[: BATCH + 50]))
        holder.stdin.flush()
        deadline = time.monotonic() + 90
        while committed(db) < BATCH:
            assert holder.poll() is None, holder.communicate()
            assert time.monotonic() < deadline, "no batch committed within 90 s"
            time.sleep(0.02)
        second = [start("find", one, "--index", db), start("stream", "--index", db, stdin=subprocess.PIPE)]
        results = [finish(second[0]), finish(second[1], input=jsonl([{"id": "y", "text": "Some text here."}]))]
        for command, done in zip(("find", "stream"), results):
            err = assert_one_line_error(done, f"index {db}", "is open in another process")
            assert err.startswith(f"dedup {command}: error: "), err
        with pytest.raises(dedup.IndexFileError, match="is open in another process"):
            dedup.open_index(db)
        assert holder.poll() is None
        done = finish(holder, input=jsonl(rows[BATCH + 50 :]))
    finally:
        if holder.poll() is None:
            holder.kill()
            holder.communicate()
    assert done.returncode == 0, done.stderr
    assert f"0 articles before, {len(rows)} after" in done.stderr
    assert integrity(db) == "ok"
    stored, _ = raw_rows(db)
    assert [r[1] for r in stored] == [r["id"] for r in rows]
    with dedup.open_index(db) as index:  # the file stays usable
        assert (
            index.add_many([{"id": "x", "text": "Heavy rain flooded the old town overnight."}]).verdicts[0].status
            == "unique"
        )


def test_a_second_writer_through_a_symlink_either_is_stopped_or_both_work(tmp_path):
    """Two writers of one file by two names (flock conflicts between two opens in one process as between processes)."""
    db, link = tmp_path / "news.db", tmp_path / "link.db"
    link.symlink_to(db.name)
    texts = synthetic_texts(3, seed=5)
    with dedup.open_index(db) as first:
        first.add({"id": "first", "text": texts[0]})
        try:
            second = dedup.open_index(link)
        except dedup.IndexFileError as exc:
            assert "is open in another process" in str(exc)
            return
        with second:
            second.add({"id": "second", "text": texts[1]})
        first.add({"id": "third", "text": texts[2]})
    assert integrity(db) == "ok"
    with dedup.open_index(db) as index:
        assert len(index) == 3


# -- 3. dedup stream is live ---------------------------------------------------------------------------


def test_stream_answers_each_record_before_the_next_arrives(tmp_path):
    texts = synthetic_texts(3, seed=11)
    with Live() as live:
        first = live.ask({"id": "a1", "text": texts[0]}, timeout=60)  # the first answer pays the start-up
        assert first == {
            "id": "a1",
            "status": "unique",
            "cluster": None,
            "duplicate_of": None,
            "score": None,
            "reason": "no near-duplicate found",
            "update_of": None,
            "updated_by": None,
        }
        assert live.ask({"id": "a2", "text": texts[1]})["status"] == "unique"
        copy = live.ask({"id": "c1", "text": rewrite(texts[0]), "published": "2026-03-04T09:30:00Z"})
        assert (copy["status"], copy["duplicate_of"], copy["cluster"]) == ("duplicate", "a1", 0)
        assert THRESHOLD <= copy["score"] <= 1 and "a1" in copy["reason"]
        bad_json = live.ask('{"id": "broken", "text": "no end')
        assert bad_json["status"] == "rejected" and bad_json["id"] is None
        assert "<stdin>, line 4" in bad_json["reason"] and "not valid JSON" in bad_json["reason"]
        no_text = live.ask({"id": "notext", "body": "where the text should be"})
        assert (no_text["status"], no_text["id"]) == ("rejected", "notext")
        assert "<stdin>, line 5" in no_text["reason"] and "missing field 'text'" in no_text["reason"]
        repeated = live.ask({"id": "a2", "text": texts[2]})
        assert (repeated["status"], repeated["id"]) == ("rejected", "a2")
        assert "<stdin>, line 6" in repeated["reason"] and "duplicate id 'a2'" in repeated["reason"]
        for rejected in (bad_json, no_text, repeated):
            assert rejected["cluster"] is None and rejected["duplicate_of"] is None and rejected["score"] is None
        live.send("")  # a blank line: no verdict, but it is line 7
        assert live.ask({"id": "a3", "text": texts[2]})["status"] == "unique"  # the feed goes on
        late = live.ask({"id": "c2", "text": rewrite(texts[1])})
        assert (late["status"], late["duplicate_of"], late["cluster"]) == ("duplicate", "a2", 1)
        code, err = live.close()
        assert live.rest() == []
    assert code == 0
    assert err.splitlines() == [err.strip()] and "Traceback" not in err
    assert err.startswith(
        "dedup stream: 8 records: 3 unique, 2 duplicates, 0 updates, 3 rejected; 5 stored (0 at start, 0 evicted)"
    )


def test_stream_on_error_stop_answers_what_came_before_then_stops(tmp_path):
    texts = synthetic_texts(3, seed=12)
    with Live("--on-error", "stop", "-q") as live:
        assert live.ask({"id": "a1", "text": texts[0]}, timeout=60)["status"] == "unique"
        live.send(jsonl([{"id": "a2", "text": texts[1]}]) + "{not json\n" + jsonl([{"id": "a3", "text": texts[2]}]))
        code, err = live.wait()
        answered = live.rest()
    assert code == 1
    assert [(v["id"], v["status"]) for v in answered] == [("a2", "unique")]
    assert "Traceback" not in err and len(err.strip().splitlines()) == 1, err
    assert err.startswith("dedup stream: error: <stdin>, line 3: not valid JSON") and "--on-error skip" in err


# -- 4. restart continues ---------------------------------------------------------------------------------


def test_stream_restarted_on_its_index_continues_the_history(tmp_path, capsys):
    texts = synthetic_texts(5, seed=14)
    db = tmp_path / "news.db"
    with Live("--index", db) as live:
        assert [live.ask({"id": f"n{i}", "text": texts[i]}, timeout=60)["status"] for i in range(3)] == ["unique"] * 3
        code, err = live.close()
    assert code == 0 and "3 stored (0 at start, 0 evicted)" in err
    with Live("--index", db) as live:
        copy = live.ask({"id": "copy1", "text": rewrite(texts[1])}, timeout=60)
        assert (copy["status"], copy["duplicate_of"], copy["cluster"]) == ("duplicate", "n1", 1)
        repeated = live.ask({"id": "n2", "text": texts[3]})
        assert repeated["status"] == "rejected" and "duplicate id 'n2'" in repeated["reason"]
        assert "<stdin>, line 2" in repeated["reason"]
        assert live.ask({"id": "n3", "text": texts[3]})["status"] == "unique"
        code, err = live.close()
    assert code == 0
    assert (
        "dedup stream: 3 records: 1 unique, 1 duplicates, 0 updates, 1 rejected; 5 stored (3 at start, 0 evicted)"
        in err
    )
    # and `dedup find --index` over the same file sees the stream's history
    assert (
        main(
            [
                "find",
                str(write_jsonl(tmp_path / "f.jsonl", [{"id": "copy3", "text": rewrite(texts[3])}])),
                "--index",
                str(db),
                "-q",
            ]
        )
        == 0
    )
    assert [(v["status"], v["duplicate_of"]) for v in lines(capsys.readouterr().out)] == [("duplicate", "n3")]


# -- 5. two halves = the whole, on Reuters-21578 ----------------------------------------------------------


def _pair_scores(path: Path) -> dict[tuple[str, str], float]:
    return {tuple(sorted((p["a"], p["b"]))): p["score"] for p in lines(path.read_text(encoding="utf-8"))}


def test_two_halves_through_an_index_find_the_pairs_of_the_whole(tmp_path, capsys):
    corpus = shared_data("reuters21578.jsonl.gz")
    with gzip.open(corpus, "rt", encoding="utf-8") as f:
        records = f.readlines()
    half = len(records) // 2
    first, second = tmp_path / "first.jsonl", tmp_path / "second.jsonl"
    first.write_text("".join(records[:half]), encoding="utf-8")
    second.write_text("".join(records[half:]), encoding="utf-8")
    first_ids = {json.loads(r)["id"] for r in records[:half]}
    db, copy = tmp_path / "halves.db", tmp_path / "halves-copy.db"
    out = {name: tmp_path / f"{name}-out.jsonl" for name in ("whole", "first", "second", "verdicts")}

    def find(*args: object) -> None:
        assert main(["find", *map(str, args), "-q"]) == 0

    find(corpus, "--pairs", "--no-coverage", "-o", out["whole"])
    find(first, "--pairs", "--no-coverage", "--index", db, "-o", out["first"])
    shutil.copy(db, copy)  # closed: the write-ahead log is folded into the file
    find(second, "--pairs", "--no-coverage", "--index", db, "-o", out["second"])

    in_whole = _pair_scores(out["whole"])
    in_halves = {**_pair_scores(out["first"]), **_pair_scores(out["second"])}
    common = in_whole.keys() & in_halves.keys()
    only_whole, only_halves = in_whole.keys() - in_halves.keys(), in_halves.keys() - in_whole.keys()
    agreement = len(common) / len(in_whole.keys() | in_halves.keys())
    with capsys.disabled():
        print(
            f"\nReuters-21578 two halves vs whole: {len(in_whole)} pairs in the whole, {len(in_halves)} in the halves, "
            f"{len(common)} common, {len(only_whole)} only in the whole, {len(only_halves)} only in the halves; "
            f"Jaccard {agreement:.4f}"
        )
    assert len(in_whole) > 1000
    assert agreement >= 0.98
    # A pair found on one side only is explained: near the threshold (idf weights counted over half the
    # corpus), or below the lead check's ceiling (which lead words are rarest depends on what was counted).
    for pair in only_whole:
        assert abs(in_whole[pair] - THRESHOLD) <= 0.05 or in_whole[pair] < LEAD_CEILING, (pair, in_whole[pair])
    for pair in only_halves:
        assert abs(in_halves[pair] - THRESHOLD) <= 0.05 or in_halves[pair] < LEAD_CEILING, (pair, in_halves[pair])
    across = [p for p in _pair_scores(out["second"]) if (p[0] in first_ids) != (p[1] in first_ids)]
    assert len(across) > 50  # the second run pairs its articles with the first run's

    # Verdict lines of those second-half articles, against the index as the first half left it.
    paired = {i for p in across for i in p} - first_ids
    subset = tmp_path / "paired.jsonl"
    subset.write_text("".join(r for r in records[half:] if json.loads(r)["id"] in paired), encoding="utf-8")
    find(subset, "--index", copy, "-o", out["verdicts"])
    verdicts = lines(out["verdicts"].read_text(encoding="utf-8"))
    assert len(verdicts) == len(paired)
    named = [v for v in verdicts if v["status"] == "duplicate" and v["duplicate_of"] in first_ids]
    with capsys.disabled():
        print(
            f"{len(named)} of the {len(verdicts)} verdict lines of those second-half articles name a first-half article"
        )
    assert named, "no verdict of the second half names an article of the first half"


# -- 6. the window through the CLI ---------------------------------------------------------------------


T0 = datetime(2026, 3, 1, tzinfo=timezone.utc)
DAY = 86400.0
WINDOW = 72 * 3600.0


def _at(hours: float) -> str:
    return (T0 + timedelta(hours=hours)).isoformat().replace("+00:00", "Z")


def window_feed() -> tuple[list[dict], dict[str, str], dict[str, str]]:
    """30 days, 6 articles a day; near copies a day after their original, far copies ten days after.

    Returns the feed in published order, and {copy id: original id} for the near and the far copies.
    """
    texts = iter(synthetic_texts(30 * 6, seed=30))
    rows, near, far = [], {}, {}
    for d in range(30):
        for k in range(6):
            rows.append(
                {"id": f"d{d}-{k}", "text": next(texts), "published": _at(24 * d + 2 + 3 * k), "_h": 24 * d + 2 + 3 * k}
            )
    base = {r["id"]: r for r in rows}
    for d in range(29):
        src = base[f"d{d}-0"]
        rows.append(
            {"id": f"near{d}", "text": rewrite(src["text"]), "published": _at(src["_h"] + 25), "_h": src["_h"] + 25}
        )
        near[f"near{d}"] = src["id"]
    for d in range(20):
        src = base[f"d{d}-1"]
        rows.append(
            {"id": f"far{d}", "text": rewrite(src["text"]), "published": _at(src["_h"] + 240), "_h": src["_h"] + 240}
        )
        far[f"far{d}"] = src["id"]
    rows.sort(key=lambda r: r["_h"])
    return rows, near, far


def _stored(db: Path) -> tuple[dict[str, float], float]:
    stored, meta = raw_rows(db)
    return {r[1]: r[2] for r in stored}, float(meta["clock"])


def test_window_through_the_cli(tmp_path, capsys):
    rows, near, far = window_feed()
    feed_text = jsonl([{k: v for k, v in r.items() if k != "_h"} for r in rows])
    feed = tmp_path / "feed.jsonl"
    feed.write_text(feed_text, encoding="utf-8")
    db = tmp_path / "window.db"
    windowed = start("stream", "--index", db, "--window", "72h", stdin=subprocess.PIPE)
    unbounded = start("stream", "-q", stdin=subprocess.PIPE)
    results = [finish(windowed, input=feed_text), finish(unbounded, input=feed_text)]
    for done in results:
        assert done.returncode == 0, done.stderr
    with_window, without = ({v["id"]: v for v in lines(done.stdout)} for done in results)
    assert list(with_window) == [r["id"] for r in rows]
    for copy, original in near.items():  # a day apart: found with the window and without
        assert (with_window[copy]["status"], with_window[copy]["duplicate_of"]) == ("duplicate", original)
        assert (without[copy]["status"], without[copy]["duplicate_of"]) == ("duplicate", original)
    for copy, original in far.items():  # ten days apart: outside 72 hours, found without a window
        assert with_window[copy]["status"] == "unique", with_window[copy]
        assert (without[copy]["status"], without[copy]["duplicate_of"]) == ("duplicate", original)

    # The index is bounded by the window (and a quarter of it), not by the 30 days of history.
    summary = re.search(r"(\d+) stored \(0 at start, (\d+) evicted\)", results[0].stderr)
    assert summary, results[0].stderr
    kept, evicted = int(summary.group(1)), int(summary.group(2))
    times, clock = _stored(db)
    assert clock == max(T0.timestamp() + r["_h"] * 3600 for r in rows)
    assert kept == len(times) and evicted == len(rows) - kept and evicted > len(rows) // 2
    assert all(clock - t <= 1.25 * WINDOW for t in times.values())
    recent = {r["id"] for r in rows if clock - (T0.timestamp() + r["_h"] * 3600) <= WINDOW}
    assert recent <= times.keys()
    with dedup.open_index(db, window="72h") as index:
        assert len(index) == kept

    # Late articles: an earlier version published before its stored copy still matches it; one published
    # weeks before the clock still gets its verdict line (and leaves with its generation).
    last = next(r for r in reversed(rows) if r["id"].endswith("-2"))
    first_day = next(r for r in rows if r["id"] == "d0-2")
    late = [
        {"id": "earlier-version", "text": rewrite(last["text"]), "published": _at(last["_h"] - 12)},
        {"id": "weeks-late", "text": rewrite(first_day["text"]), "published": first_day["published"]},
    ]
    done = run("stream", "--index", db, "--window", "72h", input=jsonl(late))
    assert done.returncode == 0, done.stderr
    answers = lines(done.stdout)
    assert [(v["id"], v["status"], v["duplicate_of"]) for v in answers] == [
        ("earlier-version", "duplicate", last["id"]),
        ("weeks-late", "unique", None),
    ]
    assert f"{kept + 1} stored ({kept} at start, 1 evicted)" in done.stderr
    after, _ = _stored(db)
    assert "earlier-version" in after and "weeks-late" not in after

    # dedup find --index --window: the same verdicts for the copies, eviction in the summary.
    other = tmp_path / "daily.db"
    assert main(["find", str(feed), "--index", str(other), "--window", "72h"]) == 0
    captured = capsys.readouterr()
    verdicts = {v["id"]: v for v in lines(captured.out)}
    assert all(verdicts[c]["duplicate_of"] == o for c, o in near.items())
    assert all(verdicts[c]["status"] == "unique" for c in far)
    found = re.search(rf"index {re.escape(str(other))}: 0 articles before, (\d+) after \((\d+) evicted\)", captured.err)
    assert found and int(found.group(2)) > 0 and int(found.group(1)) + int(found.group(2)) == len(rows), captured.err
    times, clock = _stored(other)
    assert all(clock - t <= 1.25 * WINDOW for t in times.values())


# -- 7. bad index files through the CLI ---------------------------------------------------------------


def test_bad_index_files_get_one_line_errors(tmp_path, capsys):
    feed = write_jsonl(tmp_path / "feed.jsonl", [{"id": "a", "text": synthetic_texts(1, seed=40)[0]}])
    garbage = tmp_path / "garbage.db"
    garbage.write_bytes(b"not a database, just some bytes\n" * 200)
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE accounts(name TEXT, balance REAL)")
        conn.execute("INSERT INTO accounts VALUES ('x', 1.5)")
        conn.commit()
    built = tmp_path / "built.db"
    assert main(["find", str(feed), "--index", str(built), "-q"]) == 0  # built with shingle size 2
    capsys.readouterr()
    cases = [
        (["find", str(feed), "--index", str(garbage)], [f"dedup find: error: {garbage} is not a dedup index"]),
        (["find", str(feed), "--index", str(other)], [f"{other} is an SQLite database but not a dedup index"]),
        (
            ["find", str(feed), "--index", str(built), "--shingle-size", "3"],
            [f"index {built}", "shingle_size=2", "shingle_size=3"],
        ),
    ]
    for argv, needles in cases:
        assert main(argv) == 1, argv
        out = capsys.readouterr()
        assert out.out == "" and len(out.err.strip().splitlines()) == 1, out.err
        assert all(n in out.err for n in needles), (needles, out.err)
    assert garbage.read_bytes() == b"not a database, just some bytes\n" * 200
    with closing(sqlite3.connect(other)) as conn:
        assert conn.execute("SELECT * FROM accounts").fetchall() == [("x", 1.5)]
    with dedup.open_index(built) as index:  # untouched by the refused run
        assert len(index) == 1
    # the same through a real process, for dedup stream
    done = run("stream", "--index", garbage, input=jsonl([{"id": "a", "text": "Some text."}]))
    assert_one_line_error(done, f"dedup stream: error: {garbage} is not a dedup index")


def test_a_refused_sqlite_database_is_left_as_it_was(tmp_path):
    other = tmp_path / "other.db"
    with closing(sqlite3.connect(other)) as conn:
        conn.execute("CREATE TABLE accounts(name TEXT)")
        conn.commit()
    before = other.read_bytes()
    with pytest.raises(dedup.IndexFileError, match="not a dedup index"):
        dedup.open_index(other)
    with closing(sqlite3.connect(other)) as conn:
        assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert other.read_bytes() == before
