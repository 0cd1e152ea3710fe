"""Many workers on one Redis index (issue #9, point 3): no lost pair, whatever the interleaving.

Four real processes ingest interleaved parts (round robin) of Reuters-21578 plus the two seed texts
(the Reuters original first in one worker, the UNN rewrite first in another, so they are claimed at
the same moment) into one index, in small batches of random size; then one process reads the same
articles in the order they were claimed (the seq of each record, read back from the store) into a
fresh index, and the two must find the same pairs. The only differences allowed are borderline pairs
(score within ``MARGIN`` of the threshold): a worker reads the document-frequency sketch when it
verifies, which may already count articles other workers claimed after its batch.

Runs against a real redis-server started here (skipped only without one, or without the corpus in
../shared/data). ``DEDUP_REDIS_WORKER_STORIES`` sets the size of the Reuters slice (default 400;
the figures in docs/redis.md were measured at 4000).
"""

from __future__ import annotations

import dataclasses
import gzip
import itertools
import json
import os
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

import dedup
from dedup.article import as_article
from dedup.matching import prepare_batch
from dedup.store.redis import PENDING

from ._redis_server import redis_server
from .conftest import ROOT, SEEDS, shared_data

redis = pytest.importorskip("redis")

WORKERS = 4
STORIES = int(os.environ.get("DEDUP_REDIS_WORKER_STORIES", "400"))
THRESHOLD = dedup.DedupConfig().threshold
MARGIN = 0.02  # a pair this close to the threshold may fall either side with df counted a moment apart
ORIGINAL, REWRITE = "seed-reuters-openai-nato", "seed-unn-openai-nato"

WORKER = textwrap.dedent('''
    """One ingest worker: its part of the feed into the shared index, in batches of 1..most articles."""
    import json, random, sys, time
    from pathlib import Path
    import dedup

    url, name, part, out, go, most, seed = sys.argv[1:8]
    articles = [json.loads(line) for line in Path(part).read_text(encoding="utf-8").splitlines()]
    rng = random.Random(int(seed))
    verdicts, pairs = [], []
    with dedup.open_index(url, name=name) as index:
        Path(out + ".ready").touch()
        while not Path(go).exists():
            time.sleep(0.002)
        started, at = time.perf_counter(), 0
        while at < len(articles):
            size = rng.randint(1, int(most))
            added = index.add_many(articles[at:at + size])
            verdicts += [v.to_dict() for v in added.verdicts]
            pairs += [[p.a, p.b, p.score] for p in added.pairs]
            at += size
    Path(out).write_text(json.dumps({"verdicts": verdicts, "pairs": pairs,
                                     "seconds": time.perf_counter() - started}), encoding="utf-8")
''')


@pytest.fixture(scope="module")
def server(tmp_path_factory):
    with redis_server(tmp_path_factory.mktemp("redis")) as url:
        yield url


@pytest.fixture(scope="module")
def feed() -> list[dict]:
    """The Reuters slice, then the two seeds."""
    with gzip.open(shared_data("reuters21578.jsonl.gz"), "rt", encoding="utf-8") as f:
        stories = [{"id": r["id"], "text": r["text"]} for r in map(json.loads, itertools.islice(f, STORIES))]
    seeds = [
        {"id": ORIGINAL, "text": (SEEDS / "reuters_openai_nato.txt").read_text(encoding="utf-8")},
        {"id": REWRITE, "text": (SEEDS / "unn_openai_nato.txt").read_text(encoding="utf-8")},
    ]
    return stories + seeds


def parts(feed: list[dict]) -> list[list[dict]]:
    """Round robin over the stories; the original first in worker 0, the rewrite first in worker 1."""
    stories, (original, rewrite) = feed[:-2], feed[-2:]
    out = [stories[k::WORKERS] for k in range(WORKERS)]
    out[0].insert(0, original)
    out[1].insert(0, rewrite)
    return out


def run_workers(url: str, name: str, feed: list[dict], most: int, tmp: Path) -> tuple[list[dict], dict, float]:
    """4 processes started together, each its part in batches of 1..most: (verdicts, pairs, seconds)."""
    script = tmp / "worker.py"
    script.write_text(WORKER, encoding="utf-8")
    go = tmp / f"go-{name}"
    procs, outs = [], []
    for k, part in enumerate(parts(feed)):
        path = tmp / f"{name}-{k}.jsonl"
        path.write_text("".join(json.dumps(a) + "\n" for a in part), encoding="utf-8")
        outs.append(tmp / f"{name}-{k}.json")
        procs.append(
            subprocess.Popen(
                [sys.executable, str(script), url, name, str(path), str(outs[-1]), str(go), str(most), str(k)],
                cwd=ROOT,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
            )
        )
    deadline = time.monotonic() + 60
    while not all(Path(f"{o}.ready").exists() for o in outs):  # every worker has its index open: start together
        assert time.monotonic() < deadline and all(p.poll() is None for p in procs), [p.communicate() for p in procs]
        time.sleep(0.01)
    go.touch()
    started = time.perf_counter()
    for p in procs:
        _, err = p.communicate(timeout=300)
        assert p.returncode == 0 and "Traceback" not in err, err
    seconds = time.perf_counter() - started
    verdicts: list[dict] = []
    pairs: dict = {}
    for o in outs:
        got = json.loads(o.read_text(encoding="utf-8"))
        verdicts += got["verdicts"]
        pairs.update({frozenset(p[:2]): p[2] for p in got["pairs"]})
    return verdicts, pairs, seconds


def arrival_order(url: str, name: str) -> list[str]:
    """The ids in the order their claims took seqs (read back from the store, record by record)."""
    with dedup.open_index(url, name=name) as index:
        got = index.store.fetch(np.arange(index.store.next_seq))
        assert got.seq.tolist() == list(range(index.store.next_seq)), "a claimed seq has no record"
        assert PENDING not in got.rep.tolist(), "an article was claimed but its verdict never written"
        return got.ids


def run_single(url: str, name: str, articles: list[dict], batch: int = 50) -> tuple[list[dict], dict]:
    verdicts: list[dict] = []
    pairs: dict = {}
    with dedup.open_index(url, name=name) as index:
        for start in range(0, len(articles), batch):
            added = index.add_many(articles[start : start + batch])
            verdicts += [v.to_dict() for v in added.verdicts]
            pairs.update({frozenset((p.a, p.b)): p.score for p in added.pairs})
    return verdicts, pairs


def borderline(score: float) -> bool:
    return abs(score - THRESHOLD) < MARGIN


@pytest.mark.parametrize("most", [50, 5])
def test_four_workers_find_the_pairs_of_one_process_in_arrival_order(server, feed, tmp_path, most, capsys):
    name = f"w{most}"
    multi_verdicts, multi_pairs, seconds = run_workers(server, name, feed, most, tmp_path)
    order = arrival_order(server, name)
    assert sorted(order) == sorted(a["id"] for a in feed)  # every article stored once, none lost
    assert len(multi_verdicts) == len(feed) and {v["status"] for v in multi_verdicts} <= {"unique", "duplicate"}
    by_id = {a["id"]: a for a in feed}
    single_verdicts, single_pairs = run_single(server, f"single{most}", [by_id[i] for i in order])

    only_multi = {p: s for p, s in multi_pairs.items() if p not in single_pairs}
    only_single = {p: s for p, s in single_pairs.items() if p not in multi_pairs}
    multi = {v["id"]: v for v in multi_verdicts}
    single = {v["id"]: v for v in single_verdicts}
    changed = sorted(
        i
        for i in single
        if (single[i]["status"], single[i]["duplicate_of"]) != (multi[i]["status"], multi[i]["duplicate_of"])
    )
    with capsys.disabled():
        print(
            f"\n{WORKERS} workers, batches of 1..{most}, {len(feed)} articles in {seconds:.1f} s: "
            f"{len(multi_pairs)} pairs (one process in arrival order: {len(single_pairs)}); "
            f"only with workers {sorted((sorted(p), round(s, 4)) for p, s in only_multi.items())}, "
            f"only single {sorted((sorted(p), round(s, 4)) for p, s in only_single.items())}; "
            f"verdicts differing: {changed}; seeds: {multi[ORIGINAL]['status']} / {multi[REWRITE]['status']} "
            f"({'original' if order.index(ORIGINAL) < order.index(REWRITE) else 'rewrite'} claimed first)"
        )
    assert all(borderline(s) for s in [*only_multi.values(), *only_single.values()]), (only_multi, only_single)
    for i in changed:  # every verdict that differs follows from a borderline pair, never from a partner missed
        s, m = single[i], multi[i]
        if s["status"] == "duplicate" and m["status"] == "unique":
            partner = frozenset((i, s["duplicate_of"]))
            assert partner in only_single or multi[s["duplicate_of"]]["status"] == "duplicate", (s, m)
    assert not changed or only_multi or only_single, changed  # the same pairs, the same verdicts
    # the two seeds, claimed at the same moment by two workers: the later one is a duplicate of the earlier
    first, later = (ORIGINAL, REWRITE) if order.index(ORIGINAL) < order.index(REWRITE) else (REWRITE, ORIGINAL)
    assert frozenset((ORIGINAL, REWRITE)) in multi_pairs
    assert (
        multi[first]["status"] == "unique"
        and multi[later]["status"] == "duplicate"
        and multi[later]["duplicate_of"] == first
    )


def test_a_retried_batch_stores_nothing_twice(server, feed, tmp_path):
    batch = feed[:40] + feed[-2:]
    with dedup.open_index(server, name="retry") as index:
        first = index.add_many(batch)
        stored, next_seq = len(index), index.store.next_seq
        again = index.add_many(batch[::-1])  # the worker re-sends the batch (in another order) after a failure
        assert [v.status for v in again.verdicts] == ["rejected"] * len(batch) and again.pairs == ()
        assert all("already holds" in v.reason for v in again.verdicts)
        assert len(index) == stored == len(batch) and index.store.next_seq == next_seq
        mixed = index.add_many(batch[:5] + feed[40:45])  # half of it new: only the new half stored
        assert [v.status for v in mixed.verdicts][:5] == ["rejected"] * 5 and len(index) == stored + 5
    assert first.verdicts[-1].status == "duplicate" and first.verdicts[-1].duplicate_of == ORIGINAL
    other = subprocess.run(
        [sys.executable, "-m", "dedup", "stream", "--index", server, "--index-name", "retry", "-q"],
        check=False,
        input="".join(json.dumps(a) + "\n" for a in batch[:3]),
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert other.returncode == 0 and [json.loads(v)["status"] for v in other.stdout.splitlines()] == ["rejected"] * 3


def test_a_claim_whose_reply_is_lost_is_sent_again_and_its_articles_get_their_verdicts(server, feed, monkeypatch):
    """The server runs the claim and the reply never comes: the claim is sent again (idempotent: it stores nothing
    twice and says the ids are stored), and this process, whose claim it was, verifies and finalises them at once."""
    from dedup.store._redis_calls import _LostConnection
    from dedup.store.redis import RedisStore

    batch = feed[-2:]
    run_once = RedisStore._run_once
    lost: list[str] = []

    def lose_first_claim_reply(self, script, *args, **kw):
        reply = run_once(self, script, *args, **kw)
        if script == "CLAIM" and not lost:
            lost.append(script)
            raise _LostConnection("lost the connection to Redis: Timeout reading from socket")
        return reply

    monkeypatch.setattr(RedisStore, "_run_once", lose_first_claim_reply)
    with dedup.open_index(server, name="lost-reply") as index:
        t = time.monotonic()
        added = index.add_many(batch)
        waited = time.monotonic() - t
        assert lost and index.store.lost_replies == 1 and not index.store.unacknowledged
        assert [v.status for v in added.verdicts] == ["unique", "duplicate"] and added.verdicts[
            1
        ].duplicate_of == ORIGINAL
        assert len(index) == 2 and index.store.next_seq == 2  # stored once
        assert index.store.fetch(np.arange(2)).rep.tolist() == [-1, 0]  # finalised: no PENDING left
        assert waited < index.pending_timeout  # its own claim: taken over without waiting for another worker


def test_a_dead_workers_claim_is_finished_by_the_batch_that_sends_it_again(server, feed):
    """A worker claimed a batch and died before its verdicts: another process sending the same articles waits
    pending_timeout for it, then verifies and finalises them; an id stored with other text stays rejected."""
    batch = feed[-2:]
    with dedup.open_index(server, name="dead") as dead:
        prepared = prepare_batch(
            [as_article(a) for a in batch], dead.config, bands=dead.bands, rows=dead.rows, arrival=time.time()
        )
        prepared = dataclasses.replace(prepared, rep=np.full(len(batch), PENDING, np.int64))
        seq, _ = dead.store.claim_many(prepared, limit=dead.config.bucket_limit)  # and then the worker is gone
        assert seq.tolist() == [0, 1] and dead.store.pending_many([a["id"] for a in batch]).tolist() == [True, True]
    with dedup.open_index(server, name="dead") as other:
        other.pending_timeout = 0.5
        t = time.monotonic()
        added = other.add_many([batch[0], {"id": batch[1]["id"], "text": "Another text under the same id."}])
        assert time.monotonic() - t >= 0.5  # the claim's worker was given its time first
        assert added.verdicts[0].status == "unique"  # finished here
        assert added.verdicts[1].status == "rejected" and "already holds" in added.verdicts[1].reason
        again = other.add_many(batch[1:])  # the same article: finished here, a duplicate of the first
        assert [v.status for v in again.verdicts] == ["duplicate"] and again.verdicts[0].duplicate_of == ORIGINAL
        assert other.store.fetch(np.arange(2)).rep.tolist() == [-1, 0] and len(other) == 2
        assert [v.status for v in other.add_many(batch).verdicts] == ["rejected", "rejected"]  # final now: stored
