"""History (issue 8, point 5): ingest rate, query latency, store size and `dedup stream` memory of the index.

All at the shipped defaults (``DedupConfig()``: coverage off, one worker), on the corpus (``--corpus``,
Reuters-21578 in the docs) and on the grown corpus (the corpus and articles recombined from its
sentences, as ``bench_scaling.py`` grows it):

1. **Ingest rate**: articles/s of ``open_index(db).add_many`` in batches of 4096 with
   ``clustering="batch"`` (what ``dedup find --index`` does) into a new SQLite file, of in-memory
   ``find_duplicates`` (workers=1) on the same articles, and of an in-memory ``Deduplicator``
   (``index=None``, the same batches) for reference; alternating runs, medians. Target: SQLite at
   least half of ``find_duplicates``. Also the time to reopen the index (rebuilding its buckets and
   document frequency from the file).
2. **Query latency**: median and p99 of one ``query(article)`` against indexes holding ``--sizes``
   stored articles of the grown corpus (built once, growing: the larger index is the smaller one
   with more articles added), the queries held out (never stored): half are fresh articles, half
   rewrites of stored ones (a sentence dropped, 3% of the words changed). Target: median at most 5 ms.
   The in-memory store too, for sizes up to ``--memory-query-max``.
3. **Store size**: bytes per article on disk (the file and its write-ahead log after close).
4. **`dedup stream` memory**: a real ``python -m dedup stream --index DB --window 7d -q`` fed at full
   speed through a pipe with a generated feed whose ``published`` times span ``--stream-days``
   (the grown corpus's texts, re-stamped in order, one in ten a rewrite of an article of the last
   three days); its resident memory (VmRSS) after 100,000 records, after all of them and at points
   between: it must stay flat. Throughput and the index file size at the end.
5. **Where ingest time goes**: cProfile of one SQLite ingest of the grown corpus's first
   ``--profile-docs`` articles, the top 10 of dedup's own functions by cumulative time.

    python benchmarks/bench_history.py --corpus ../shared/data/reuters21578.jsonl.gz --json /tmp/bench/history.json --markdown docs/history-benchmarks.md
    python benchmarks/bench_history.py --quick --corpus SMALL.jsonl      # seconds: the smoke test
"""

from __future__ import annotations

import argparse
import cProfile
import gc
import json
import math
import os
import pstats
import random
import shlex
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import deque
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    ROOT,
    _mutate,
    _sentences_of,
    base_parser,
    code_revision,
    get_corpus,
    load_corpus,
    platform_line,
    print_platform,
    recombined_corpus,
    table,
    write_json,
)

BATCH = 4096  # what `dedup find --index` adds (and commits) at a time
TARGET_RATIO = 0.5  # SQLite ingest at least half of in-memory find_duplicates
TARGET_QUERY_MS = 5.0  # median of one query
FLAT_TOLERANCE = 0.15  # `dedup stream` RSS at the end within 15% of the RSS after 100,000 records
EARLY_RECORDS = 100_000
PROFILE_TOP = 10
QUICK = {
    "grown": 2000,
    "sizes": [1000, 2000],
    "queries": 30,
    "stream_records": 3000,
    "profile_docs": 1000,
    "repeat": 1,
    "grown_repeat": 1,
}


def _sizes(text: str) -> list[int]:
    try:
        sizes = sorted({int(x.replace("_", "")) for x in text.split(",") if x.strip()})
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated article counts such as 100000,1000000; got {text!r}"
        ) from None
    if not sizes or sizes[0] < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive; got {text!r}")
    return sizes


def _parser() -> argparse.ArgumentParser:
    p = base_parser(__doc__.split("\n\n")[0], repeat=3)
    p.add_argument(
        "--grown",
        type=int,
        default=200_000,
        metavar="N",
        help="articles of the grown corpus for ingest and store size (default 200000)",
    )
    p.add_argument(
        "--grown-repeat",
        type=int,
        default=1,
        metavar="K",
        help="alternating runs on the grown corpus (default 1: a 200k SQLite ingest takes minutes); "
        "--repeat is for the corpus itself",
    )
    p.add_argument(
        "--sizes",
        type=_sizes,
        default=[100_000, 1_000_000],
        metavar="N,N",
        help="stored articles of the indexes queried (default 100000,1000000)",
    )
    p.add_argument("--queries", type=int, default=1000, metavar="Q", help="held-out queries per size (default 1000)")
    p.add_argument(
        "--memory-query-max",
        type=int,
        default=200_000,
        metavar="N",
        help="also query the in-memory store at sizes up to N (default 200000)",
    )
    p.add_argument(
        "--stream-records",
        type=int,
        default=1_000_000,
        metavar="N",
        help="records fed to `dedup stream` (default 1000000)",
    )
    p.add_argument(
        "--stream-days",
        type=float,
        default=182.0,
        metavar="D",
        help="the feed's published times span D days (default 182: 1M records are ~5.5k a day)",
    )
    p.add_argument("--window", default="7d", help="`dedup stream --window` (default 7d)")
    p.add_argument(
        "--stream-sample-every",
        type=float,
        default=120.0,
        metavar="S",
        help="also sample `dedup stream` every S seconds (default 120)",
    )
    p.add_argument(
        "--profile-docs",
        type=int,
        default=100_000,
        metavar="N",
        help="profile an SQLite ingest of the grown corpus's first N articles (default 100000)",
    )
    p.add_argument(
        "--build-limit",
        type=float,
        default=2400,
        metavar="S",
        help="stop growing the query index after S seconds of building and query what it holds (default 2400)",
    )
    p.add_argument(
        "--stream-limit",
        type=float,
        default=1800,
        metavar="S",
        help="stop feeding `dedup stream` after S seconds and measure what was fed (default 1800)",
    )
    p.add_argument(
        "--quick",
        action="store_true",
        help="tiny sizes for a smoke test: " + ", ".join(f"{k.replace('_', '-')} {v}" for k, v in QUICK.items()),
    )
    p.add_argument(
        "--markdown",
        type=Path,
        metavar="OUT",
        help="also write the report as a Markdown page (with the command and the machine)",
    )
    p.add_argument(
        "--workdir",
        type=Path,
        metavar="DIR",
        help="where the index files and the feed go (default: a temporary directory, removed at the end)",
    )
    return p


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _log(message: str) -> None:
    print(f"# {message}", flush=True)


def _config() -> Any:
    from dedup import DedupConfig

    return DedupConfig()  # the shipped defaults: coverage off, workers=1


def _file_bytes(path: Path) -> dict[str, int]:
    """Sizes of an index file and its write-ahead log (and shared-memory file), 0 where absent."""
    sizes = {}
    for part, suffix in (("file", ""), ("wal", "-wal"), ("shm", "-shm")):
        p = Path(str(path) + suffix)
        sizes[part] = p.stat().st_size if p.exists() else 0
    sizes["total"] = sizes["file"] + sizes["wal"]
    return sizes


def _remove_index(path: Path) -> None:
    for suffix in ("", "-wal", "-shm", ".lock"):
        Path(str(path) + suffix).unlink(missing_ok=True)


def _percentile(values: Sequence[float], q: float) -> float:
    """The q-quantile (0..1) of ``values``, linear between order statistics."""
    ordered = sorted(values)
    if len(ordered) == 1:
        return ordered[0]
    position = q * (len(ordered) - 1)
    lo = math.floor(position)
    hi = min(lo + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (position - lo)


def _ingest_sqlite(
    docs: Sequence[dict[str, Any]], path: Path, *, start: int = 0, on_batch: Callable[[int], None] | None = None
) -> float:
    """Seconds to open (or create) the index at ``path``, add ``docs[start:]`` 4096 at a time, and close it."""
    import dedup

    t = time.perf_counter()
    with dedup.open_index(path, _config()) as index:
        for i in range(start, len(docs), BATCH):
            index.add_many(docs[i : i + BATCH], clustering="batch")
            if on_batch is not None:
                on_batch(min(i + BATCH, len(docs)))
    return time.perf_counter() - t


def _ingest_memory(docs: Sequence[dict[str, Any]]) -> tuple[float, Any]:
    import dedup

    t = time.perf_counter()
    index = dedup.Deduplicator(_config())
    for i in range(0, len(docs), BATCH):
        index.add_many(docs[i : i + BATCH], clustering="batch")
    return time.perf_counter() - t, index


def _find(docs: Sequence[dict[str, Any]]) -> float:
    import dedup

    t = time.perf_counter()
    dedup.find_duplicates(docs, _config())
    return time.perf_counter() - t


def _reopen_seconds(path: Path, repeat: int = 3) -> tuple[float, int]:
    import dedup

    seconds, stored = [], 0
    for _ in range(max(repeat, 1)):
        t = time.perf_counter()
        with dedup.open_index(path, _config()) as index:
            stored = len(index)
        seconds.append(time.perf_counter() - t)
    return statistics.median(seconds), stored


# --------------------------------------------------------------------------------------------
# 1 and 3: ingest rate, reopen time, bytes per article
# --------------------------------------------------------------------------------------------


def measure_ingest(name: str, docs: Sequence[dict[str, Any]], repeat: int, workdir: Path) -> dict[str, Any]:
    """Alternating runs of find_duplicates, SQLite add_many and in-memory Deduplicator on ``docs``; medians."""
    runs: dict[str, list[float]] = {"find_duplicates": [], "sqlite": [], "memory": []}
    path = workdir / f"ingest-{name}.db"
    for k in range(max(repeat, 1)):
        gc.collect()
        runs["find_duplicates"].append(_find(docs))
        gc.collect()
        _remove_index(path)
        runs["sqlite"].append(_ingest_sqlite(docs, path))
        gc.collect()
        seconds, index = _ingest_memory(docs)
        del index
        runs["memory"].append(seconds)
        _log(
            f"  {name} run {k + 1}: find_duplicates {runs['find_duplicates'][-1]:.1f} s, "
            f"SQLite {runs['sqlite'][-1]:.1f} s, in-memory Deduplicator {runs['memory'][-1]:.1f} s"
        )
    n = len(docs)
    seconds = {key: statistics.median(v) for key, v in runs.items()}
    rate = {key: n / s for key, s in seconds.items()}
    size = _file_bytes(path)
    reopen, stored = _reopen_seconds(path)
    _remove_index(path)
    return {
        "corpus": name,
        "n_docs": n,
        "repeat": max(repeat, 1),
        "runs": runs,
        "seconds": seconds,
        "articles_per_second": rate,
        "ratio": rate["sqlite"] / rate["find_duplicates"],
        "ratio_met": rate["sqlite"] / rate["find_duplicates"] >= TARGET_RATIO,
        "reopen_seconds": reopen,
        "reopened_articles": stored,
        "store_bytes": size,
        "bytes_per_article": size["total"] / n,
        "text_chars_per_article": sum(len(d["text"]) for d in docs) / n,
    }


# --------------------------------------------------------------------------------------------
# 2: query latency
# --------------------------------------------------------------------------------------------


def held_out_queries(
    stored: Sequence[dict[str, Any]], sentences: Sequence[str], n: int, *, seed: int
) -> list[dict[str, Any]]:
    """``n`` articles that are not stored: half fresh recombined articles, half rewrites of stored ones."""
    rng = random.Random(seed)
    vocabulary = sorted({w for s in sentences for w in s.split()})
    fresh = recombined_corpus(sentences, n - n // 2, seed=seed + 7919, mutate=0.15, prefix="query-fresh")
    for d in fresh:
        d["kind"] = "fresh"
    rewrites = []
    for k in range(n // 2):
        source = rng.choice(stored)
        parts = source["text"].split("\n\n")
        if len(parts) > 3:
            parts.pop(rng.randrange(len(parts)))
        text = "\n\n".join(_mutate(s, rng, vocabulary, 0.03, new_figures=False) for s in parts)
        rewrites.append(
            {
                "id": f"query-rewrite-{k}",
                "text": text,
                "published": source["published"],
                "kind": "rewrite",
                "of": source["id"],
            }
        )
    queries = fresh + rewrites
    rng.shuffle(queries)
    return queries


def _time_queries(index: Any, queries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    articles = [{"id": q["id"], "text": q["text"], "published": q["published"]} for q in queries]
    for a in articles[: min(20, len(articles))]:  # warm-up: page cache, compiled kernels
        index.query(a)
    ms, found = [], {"fresh": 0, "rewrite": 0}
    rewrite_hits = 0
    for q, a in zip(queries, articles):
        t = time.perf_counter()
        pairs = index.query(a)
        ms.append((time.perf_counter() - t) * 1000)
        if pairs:
            found[q["kind"]] += 1
            rewrite_hits += q["kind"] == "rewrite" and any(q["of"] in (p.a, p.b) for p in pairs)
    kinds = {k: sum(q["kind"] == k for q in queries) for k in ("fresh", "rewrite")}
    return {
        "queries": len(ms),
        "median_ms": statistics.median(ms),
        "p99_ms": _percentile(ms, 0.99),
        "mean_ms": statistics.fmean(ms),
        "max_ms": max(ms),
        "with_pairs": found,
        "kinds": kinds,
        "rewrites_matched_to_source": rewrite_hits,
        "median_met": statistics.median(ms) <= TARGET_QUERY_MS,
    }


class _StopBuild(Exception):
    pass


def measure_queries(
    docs: Sequence[dict[str, Any]],
    sizes: Sequence[int],
    queries_per_size: int,
    sentences: Sequence[str],
    memory_max: int,
    seed: int,
    workdir: Path,
    *,
    build_limit: float = math.inf,
    profile_top: int = PROFILE_TOP,
) -> list[dict[str, Any]]:
    """Grow one SQLite index through ``sizes`` (each size's index is the previous one with more added) and query it.

    Building stops once it has taken ``build_limit`` seconds in all; that size is then queried at what the index holds
    (``"stopped"`` says so) and the larger ones are not measured. The queries at the largest size are also profiled.
    """
    import dedup

    path = workdir / "query.db"
    _remove_index(path)
    results = []
    built = 0
    build_seconds = 0.0
    for size in sizes:
        size = min(size, len(docs))
        if size <= built:
            continue
        next_log = [built + 100_000]
        t = time.perf_counter()
        budget = build_limit - build_seconds
        reached = [built]

        def on_batch(
            done: int,
            t: float = t,
            next_log: list[int] = next_log,
            budget: float = budget,
            reached: list[int] = reached,
            size: int = size,
        ) -> None:
            reached[0] = done
            if done >= next_log[0]:
                _log(f"    index at {done:,} articles ({time.perf_counter() - t:.0f} s for this segment)")
                next_log[0] += 100_000
            if time.perf_counter() - t > budget and done < size:
                raise _StopBuild

        stopped = None
        try:
            seconds = _ingest_sqlite(docs[:size], path, start=built, on_batch=on_batch)
        except _StopBuild:
            seconds = time.perf_counter() - t
            stopped = (
                f"building stopped at {reached[0]:,} of {size:,} articles after {build_seconds + seconds:.0f} s "
                f"(--build-limit {build_limit:g})"
            )
            _log(f"  {stopped}")
        segment = {
            "from": built,
            "to": reached[0],
            "seconds": seconds,
            "articles_per_second": (reached[0] - built) / seconds,
        }
        build_seconds += seconds
        built = reached[0]
        reopen, stored = _reopen_seconds(path)
        queries = held_out_queries(docs[:built], sentences, queries_per_size, seed=seed + size)
        with dedup.open_index(path, _config()) as index:
            sqlite_q = _time_queries(index, queries)
            if size == sizes[-1] or stopped:
                sqlite_q["profile"] = _profile_queries(index, queries, profile_top)
        row: dict[str, Any] = {
            "stored": stored,
            "wanted": size,
            "stopped": stopped,
            "build_segment": segment,
            "build_seconds_total": build_seconds,
            "reopen_seconds": reopen,
            "store_bytes": _file_bytes(path),
            "bytes_per_article": _file_bytes(path)["total"] / stored,
            "sqlite": sqlite_q,
        }
        _log(
            f"  {stored:,} stored: SQLite query median {sqlite_q['median_ms']:.2f} ms, p99 {sqlite_q['p99_ms']:.2f} ms; "
            f"reopen {reopen:.1f} s; segment built at {segment['articles_per_second']:,.0f} articles/s"
        )
        if size <= memory_max:
            gc.collect()
            seconds, memory_index = _ingest_memory(docs[:size])
            row["memory"] = _time_queries(memory_index, queries)
            row["memory"]["build_seconds"] = seconds
            del memory_index
            _log(
                f"  {stored:,} stored: in-memory query median {row['memory']['median_ms']:.2f} ms, "
                f"p99 {row['memory']['p99_ms']:.2f} ms"
            )
        results.append(row)
        if stopped:
            break
    _remove_index(path)
    return results


def _top_functions(profiler: cProfile.Profile, top: int) -> tuple[float, list[dict[str, Any]]]:
    """The profiled total, and the ``top`` functions of the dedup package by cumulative time."""
    import dedup

    package = Path(dedup.__file__).resolve().parent
    stats = pstats.Stats(profiler)
    total = stats.total_tt  # type: ignore[attr-defined]
    rows = []
    for (filename, line, function), (_, calls, tottime, cumtime, _) in stats.stats.items():  # type: ignore[attr-defined]
        if filename.startswith(str(package)):
            rows.append(
                {
                    "function": f"{Path(filename).relative_to(package.parent).as_posix()}:{line}({function})",
                    "calls": calls,
                    "tottime": tottime,
                    "cumtime": cumtime,
                    "share": cumtime / total if total else 0.0,
                }
            )
    rows.sort(key=lambda r: -r["cumtime"])
    return total, rows[:top]


def _profile_queries(index: Any, queries: Sequence[dict[str, Any]], top: int) -> dict[str, Any]:
    articles = [{"id": q["id"], "text": q["text"], "published": q["published"]} for q in queries]
    profiler = cProfile.Profile()
    profiler.enable()
    for a in articles:
        index.query(a)
    profiler.disable()
    total, rows = _top_functions(profiler, top)
    return {"queries": len(articles), "profiled_seconds": total, "top": rows}


# --------------------------------------------------------------------------------------------
# 4: `dedup stream` resident memory
# --------------------------------------------------------------------------------------------


def write_stream_feed(
    docs: Sequence[dict[str, Any]], path: Path, n: int, days: float, *, seed: int, sentences: Sequence[str]
) -> dict[str, Any]:
    """A JSON Lines feed of ``n`` records, ``published`` evenly over ``days`` days from 2024-01-01.

    The texts are the grown corpus's in order (cycled if ``n`` is larger); one record in ten is a
    rewrite (a sentence dropped, 3% of the words changed) of a record of the last three days.
    """
    rng = random.Random(seed)
    vocabulary = sorted({w for s in sentences for w in s.split()})
    start = datetime(2024, 1, 1, tzinfo=timezone.utc)
    step = days * 86400 / n
    recent: deque[str] = deque(maxlen=max(1, int(3 * n / days)))
    rewrites = 0
    source = 0
    with path.open("w", encoding="utf-8") as out:
        for i in range(n):
            if recent and rng.random() < 0.1:
                parts = rng.choice(recent).split("\n\n")
                if len(parts) > 3:
                    parts.pop(rng.randrange(len(parts)))
                text = "\n\n".join(_mutate(s, rng, vocabulary, 0.03, new_figures=False) for s in parts)
                rewrites += 1
            else:
                text = docs[source % len(docs)]["text"]
                source += 1
            recent.append(text)
            published = (start + timedelta(seconds=i * step)).isoformat()
            out.write(json.dumps({"id": f"feed-{i}", "text": text, "published": published}, ensure_ascii=False) + "\n")
    return {
        "records": n,
        "days": days,
        "per_day": n / days,
        "rewrites": rewrites,
        "bytes": path.stat().st_size,
        "first": start.isoformat(),
        "last": (start + timedelta(seconds=(n - 1) * step)).isoformat(),
    }


def _proc_status(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM of a process, in MB (empty if it has gone)."""
    out: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith(("VmRSS:", "VmHWM:")):
                    out[line.split(":")[0]] = int(line.split()[1]) / 1024
    except OSError:
        pass
    return out


def checkpoints_of(n: int) -> list[int]:
    """Where to sample: every tenth of the feed, and after 100,000 records (or the first tenth if the feed is shorter)."""
    points = {max(1, n * k // 10) for k in range(1, 11)}
    if n >= EARLY_RECORDS:
        points.add(EARLY_RECORDS)
    return sorted(points)


def measure_stream(
    feed: Path, n: int, window: str, workdir: Path, *, limit: float = math.inf, sample_every: float = 120.0
) -> dict[str, Any]:
    """Feed ``feed`` (``n`` records) to a real `dedup stream` at full speed; sample its VmRSS as the verdicts come back.

    Feeding stops after ``limit`` seconds (``"stopped"`` says so); the verdicts of what was fed are awaited.
    Besides every tenth of the feed, a sample is taken every ``sample_every`` seconds (a slow feed shows its trend).
    """
    db = workdir / "stream.db"
    _remove_index(db)
    points = checkpoints_of(n)
    samples: list[dict[str, Any]] = []
    counts = {"unique": 0, "duplicate": 0, "rejected": 0, "lines": 0}
    stderr = (workdir / "stream.stderr").open("w+b")
    command = [sys.executable, "-m", "dedup", "stream", "--index", str(db), "--window", window, "-q"]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    proc = subprocess.Popen(
        command, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=stderr, env=env, cwd=str(ROOT)
    )
    started = time.perf_counter()

    def read() -> None:
        assert proc.stdout is not None
        upcoming = iter(points)
        target = next(upcoming, None)
        last = 0.0
        for line in proc.stdout:
            counts["lines"] += 1
            status = json.loads(line)["status"]
            counts[status] = counts.get(status, 0) + 1
            now = time.perf_counter() - started
            due = target is not None and counts["lines"] >= target
            if due or now - last >= sample_every:
                status_mb = _proc_status(proc.pid)
                samples.append(
                    {
                        "records": counts["lines"],
                        "seconds": now,
                        "checkpoint": due,
                        "rss_mb": status_mb.get("VmRSS"),
                        "hwm_mb": status_mb.get("VmHWM"),
                        "index_bytes": _file_bytes(db)["total"],
                    }
                )
                last = now
            if due:
                target = next(upcoming, None)

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    assert proc.stdin is not None
    written, stopped = 0, None
    with feed.open("rb") as source:
        try:
            while block := source.readlines(1 << 20):
                proc.stdin.write(b"".join(block))
                written += len(block)
                if time.perf_counter() - started > limit and written < n:
                    stopped = f"feeding stopped after {written:,} of {n:,} records ({limit:g} s, --stream-limit)"
                    break
            proc.stdin.flush()
        except BrokenPipeError:
            pass
    while counts["lines"] < written and proc.poll() is None:  # every verdict back: the process waits for more input
        time.sleep(0.02)
    seconds = time.perf_counter() - started
    final = _proc_status(proc.pid)
    try:
        proc.stdin.close()
    except BrokenPipeError:
        pass
    code = proc.wait()
    reader.join(timeout=60)
    assert proc.stdout is not None
    proc.stdout.close()
    stderr.seek(0)
    errors = stderr.read().decode("utf-8", "replace")
    stderr.close()
    if code != 0 or counts["lines"] != written:
        raise RuntimeError(
            f"dedup stream exited {code} after {counts['lines']:,} of {written:,} verdicts:\n{errors[-2000:]}"
        )
    n = written
    if not samples or samples[-1]["records"] < n:  # stopped early: the last sample is the end
        samples.append(
            {
                "records": n,
                "seconds": seconds,
                "checkpoint": False,
                "rss_mb": final.get("VmRSS"),
                "hwm_mb": final.get("VmHWM"),
                "index_bytes": _file_bytes(db)["total"],
            }
        )
    size = _file_bytes(db)
    _, stored = _reopen_seconds(db, 1)
    early = next((s for s in samples if s["records"] >= min(EARLY_RECORDS, points[0])), samples[-1])
    last = samples[-1]
    growth = last["rss_mb"] / early["rss_mb"] - 1 if early["rss_mb"] else math.nan
    for a, b in zip([None, *samples], samples):
        done0, t0 = (0, 0.0) if a is None else (a["records"], a["seconds"])
        b["records_per_second"] = (b["records"] - done0) / max(b["seconds"] - t0, 1e-9)
    _remove_index(db)
    return {
        "command": shlex.join(["python", "-m", "dedup", "stream", "--index", "DB", "--window", window, "-q"]),
        "records": n,
        "stopped": stopped,
        "seconds": seconds,
        "records_per_second": n / seconds,
        "verdicts": counts,
        "samples": samples,
        "early": early["records"],
        "rss_early_mb": early["rss_mb"],
        "rss_end_mb": last["rss_mb"],
        "peak_rss_mb": final.get("VmHWM"),
        "rss_growth": growth,
        "flat": growth <= FLAT_TOLERANCE,
        "index_bytes_end": size,
        "stored_at_end": stored,
        "bytes_per_stored_article": size["total"] / stored if stored else None,
    }


# --------------------------------------------------------------------------------------------
# 5: where ingest time goes
# --------------------------------------------------------------------------------------------


def profile_ingest(docs: Sequence[dict[str, Any]], workdir: Path, top: int = PROFILE_TOP) -> dict[str, Any]:
    """cProfile of one SQLite ingest of ``docs``; the ``top`` functions of the dedup package by cumulative time."""
    path = workdir / "profile.db"
    _remove_index(path)
    profiler = cProfile.Profile()
    t = time.perf_counter()
    profiler.enable()
    _ingest_sqlite(docs, path)
    profiler.disable()
    wall = time.perf_counter() - t
    _remove_index(path)
    total, rows = _top_functions(profiler, top)
    return {"n_docs": len(docs), "wall_seconds_profiled": wall, "profiled_seconds": total, "top": rows}


# --------------------------------------------------------------------------------------------
# Report
# --------------------------------------------------------------------------------------------


def _mb(value: float | None) -> str:
    return "—" if value is None else f"{value:,.0f}"


def markdown_report(r: dict[str, Any]) -> str:
    blocks: list[str] = []
    blocks.append(
        f"Shipped defaults (`DedupConfig()`: word 2-grams, LSH for 0.2, threshold 0.35, coverage off, one worker). "
        f"Corpus: {r['corpus']['base']}; grown corpus: {r['corpus']['grown']}. {r['platform']}."
    )

    blocks.append("### 1. Ingest rate")
    rows = []
    for x in r["ingest"]:
        a = x["articles_per_second"]
        rows.append(
            [
                x["corpus"],
                f"{x['n_docs']:,}",
                x["repeat"],
                f"{a['find_duplicates']:,.0f}",
                f"{a['sqlite']:,.0f}",
                f"{a['memory']:,.0f}",
                f"{x['ratio']:.2f}",
                "yes" if x["ratio_met"] else "no",
                f"{x['reopen_seconds']:.2f}",
            ]
        )
    blocks.append(
        f"Articles per second (median of the alternating runs): in-memory `find_duplicates` (workers=1), "
        f'`open_index(db).add_many` in batches of {BATCH:,} with `clustering="batch"` into a new SQLite file (as '
        f"`dedup find --index`, opening and closing included), and the in-memory `Deduplicator` (`index=None`, the same batches). "
        f"Target: SQLite at least {TARGET_RATIO} of `find_duplicates`. Reopen: opening the finished index "
        "(buckets and document frequency rebuilt from the file), median of 3."
    )
    blocks.append(
        table(
            rows,
            [
                "corpus",
                "articles",
                "runs",
                "find_duplicates /s",
                "SQLite add_many /s",
                "in-memory Deduplicator /s",
                "SQLite ÷ find_duplicates",
                f"≥ {TARGET_RATIO}",
                "reopen, s",
            ],
        )
    )

    blocks.append("### 2. Query latency")
    blocks.append(
        f"One `query(article)` against an index of N stored articles of the grown corpus, {r['query'][0]['sqlite']['queries'] if r['query'] else 0:,} "
        "held-out queries per size (half fresh articles, half rewrites of stored ones: a sentence dropped, 3% of the words "
        "changed), after 20 warm-up queries; the index reopened from its file first. Target: median at most "
        f'{TARGET_QUERY_MS:g} ms. "Found": queries that got at least one verified pair (rewrites: paired with their source).'
    )
    rows = []
    for q in r["query"]:
        for store in ("sqlite", "memory"):
            if store not in q:
                continue
            s = q[store]
            rows.append(
                [
                    f"{q['stored']:,}",
                    "SQLite" if store == "sqlite" else "in memory",
                    f"{s['median_ms']:.2f}",
                    f"{s['p99_ms']:.2f}",
                    f"{s['max_ms']:.1f}",
                    "yes" if s["median_met"] else "no",
                    f"{s['with_pairs']['fresh']}/{s['kinds']['fresh']}",
                    f"{s['rewrites_matched_to_source']}/{s['kinds']['rewrite']}",
                ]
            )
    blocks.append(
        table(
            rows,
            [
                "stored articles",
                "store",
                "median, ms",
                "p99, ms",
                "max, ms",
                f"median ≤ {TARGET_QUERY_MS:g} ms",
                "fresh found",
                "rewrites found",
            ],
        )
    )
    blocks += [
        f"**Not measured as asked**: {q['stopped']}; the row above is the index at that point."
        for q in r["query"]
        if q.get("stopped")
    ]
    rows = [
        [
            f"{q['build_segment']['from']:,} → {q['build_segment']['to']:,}",
            f"{q['build_segment']['seconds']:.0f}",
            f"{q['build_segment']['articles_per_second']:,.0f}",
            f"{q['reopen_seconds']:.2f}",
        ]
        for q in r["query"]
    ]
    blocks.append(
        "Building the query index (SQLite `add_many`, batches of 4,096, the larger index grown from the smaller):"
    )
    blocks.append(table(rows, ["articles added", "seconds", "articles/s", "reopen at that size, s"]))

    blocks.append("### 3. Store size on disk")
    rows = [
        [
            x["corpus"],
            f"{x['n_docs']:,}",
            f"{x['store_bytes']['file'] / 2**20:,.1f}",
            f"{x['store_bytes']['wal'] / 2**20:,.1f}",
            f"{x['bytes_per_article']:,.0f}",
            f"{x['text_chars_per_article']:,.0f}",
        ]
        for x in r["ingest"]
    ]
    rows += [
        [
            "grown (query index)",
            f"{q['stored']:,}",
            f"{q['store_bytes']['file'] / 2**20:,.1f}",
            f"{q['store_bytes']['wal'] / 2**20:,.1f}",
            f"{q['bytes_per_article']:,.0f}",
            "—",
        ]
        for q in r["query"]
    ]
    blocks.append("The index file and its write-ahead log after close (texts kept, the default), per stored article.")
    blocks.append(table(rows, ["corpus", "articles", "file, MB", "WAL, MB", "bytes/article", "text chars/article"]))

    s = r["stream"]
    blocks.append("### 4. Resident memory of `dedup stream`")
    f = r["feed"]
    blocks.append(
        f"`{s['command']}` in its own process, fed {s['records']:,} records through a pipe at full speed (verdicts read in a "
        f"thread): a generated feed whose `published` times span {f['days']:g} days ({f['first'][:10]} to {f['last'][:10]}, "
        f"{f['per_day']:,.0f} a day over its {f['records']:,} records), the grown corpus's texts in order, one in ten a rewrite "
        f"of a record of the last three days. VmRSS from /proc when the verdict of the Nth record is back (every tenth of "
        f"the feed, and every {r.get('stream_sample_every', 0):g} s). Verdicts: {s['verdicts']['unique']:,} unique, "
        f"{s['verdicts']['duplicate']:,} duplicate, {s['verdicts'].get('rejected', 0):,} rejected."
        + (f" **{s['stopped'][0].upper() + s['stopped'][1:]}.**" if s.get("stopped") else "")
    )
    rows = [
        [
            f"{x['records']:,}",
            f"{x['seconds']:.0f}",
            _mb(x["rss_mb"]),
            _mb(x["hwm_mb"]),
            f"{x['index_bytes'] / 2**20:,.0f}",
            f"{x['records_per_second']:,.0f}",
        ]
        for x in s["samples"]
    ]
    blocks.append(
        table(
            rows,
            [
                "records",
                "seconds",
                "VmRSS, MB",
                "VmHWM, MB",
                "index file + WAL, MB",
                "records/s since the previous row",
            ],
        )
    )
    blocks.append(
        table(
            [
                [f"RSS after {s['early']:,} records", f"{_mb(s['rss_early_mb'])} MB"],
                [f"RSS after {s['records']:,} records", f"{_mb(s['rss_end_mb'])} MB"],
                ["growth", f"{s['rss_growth'] * 100:+.1f}%"],
                [f"flat (within {FLAT_TOLERANCE * 100:.0f}%)", "yes" if s["flat"] else "no"],
                ["peak RSS (VmHWM)", f"{_mb(s['peak_rss_mb'])} MB"],
                ["throughput", f"{s['records_per_second']:,.0f} records/s ({s['seconds']:.0f} s)"],
                [
                    "index at the end (file + WAL after exit)",
                    (
                        f"{s['index_bytes_end']['total'] / 2**20:,.1f} MB: "
                        f"{s['stored_at_end']:,} articles stored, {s['bytes_per_stored_article'] or 0:,.0f} bytes each"
                    ),
                ],
            ],
            ["", "measured"],
        )
    )

    p = r["profile"]
    blocks.append("### 5. Where ingest time goes")
    blocks.append(
        f"cProfile of one SQLite ingest (`add_many`, batches of {BATCH:,}) of the grown corpus's first {p['n_docs']:,} articles: "
        f"{p['profiled_seconds']:.1f} s profiled ({p['wall_seconds_profiled']:.1f} s wall under the profiler). "
        f"The top {len(p['top'])} of dedup's own functions by cumulative time (a function's time includes its callees)."
    )
    rows = [
        [
            f"`{x['function']}`",
            f"{x['calls']:,}",
            f"{x['cumtime']:.2f}",
            f"{x['tottime']:.2f}",
            f"{x['share'] * 100:.0f}%",
        ]
        for x in p["top"]
    ]
    blocks.append(table(rows, ["function", "calls", "cumulative, s", "own, s", "share"]))
    profiled = [q for q in r["query"] if "profile" in q["sqlite"]]
    if profiled:
        q = profiled[-1]
        pq = q["sqlite"]["profile"]
        blocks.append(
            f"And where query time goes: cProfile of the {pq['queries']:,} queries against the SQLite index of "
            f"{q['stored']:,} articles ({pq['profiled_seconds']:.1f} s profiled), the top {len(pq['top'])} of dedup's functions."
        )
        rows = [
            [
                f"`{x['function']}`",
                f"{x['calls']:,}",
                f"{x['cumtime']:.2f}",
                f"{x['tottime']:.2f}",
                f"{x['share'] * 100:.0f}%",
            ]
            for x in pq["top"]
        ]
        blocks.append(table(rows, ["function", "calls", "cumulative, s", "own, s", "share"]))
    return "\n\n".join(blocks)


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    if args.quick:
        for key, value in QUICK.items():
            setattr(args, key, value)
    print_platform()
    revision = code_revision()
    print(f"# dedup at {revision}", flush=True)
    command = shlex.join(["python", "benchmarks/bench_history.py", *argv])
    started = time.perf_counter()
    own_dir = None
    if args.workdir is None:
        own_dir = tempfile.TemporaryDirectory(prefix="dedup-history-")
        workdir = Path(own_dir.name)
    else:
        workdir = args.workdir
        workdir.mkdir(parents=True, exist_ok=True)
    try:
        # The corpora: the corpus itself, and the grown corpus large enough for every measurement.
        t = time.perf_counter()
        if args.corpus is not None:
            base = load_corpus(args.corpus, args.n_docs)
            base_name = f"{args.corpus.name}: {len(base):,} articles"
        else:
            base, base_name = get_corpus(argparse.Namespace(corpus=None, n_docs=args.n_docs or 2000, seed=args.seed))
        n_grown = max(args.grown, max(args.sizes), args.profile_docs)
        docs, grown_name = get_corpus(argparse.Namespace(corpus=args.corpus, n_docs=n_grown, seed=args.seed))
        sentences = _sentences_of((base if args.corpus is not None else docs)[:20000])
        _log(f"corpora in {time.perf_counter() - t:.0f} s: {base_name}; grown: {grown_name}")
        label = args.corpus.name.split(".")[0] if args.corpus is not None else "synthetic"

        report: dict[str, Any] = {
            "command": command,
            "revision": revision,
            "platform": platform_line(),
            "corpus": {"base": base_name, "grown": grown_name},
        }
        _log("warm-up (compiled kernels, imports; not measured)")
        warm = docs[:300]
        _find(warm)
        _ingest_sqlite(warm, workdir / "warm.db")
        _remove_index(workdir / "warm.db")
        _ingest_memory(warm)
        # The million articles held here would be traversed by every full collection of the cyclic GC, a cost that
        # `dedup find --index` reading a feed does not pay: move them out of its sight.
        gc.collect()
        gc.freeze()
        _log("1. ingest rate")
        report["ingest"] = [measure_ingest(label, base, args.repeat, workdir)]
        grown = docs[: args.grown]
        report["ingest"].append(measure_ingest(f"grown {len(grown):,}", grown, args.grown_repeat, workdir))
        report["ingest"][-1]["corpus"] = "grown"

        _log("5. profile of one SQLite ingest")
        report["profile"] = profile_ingest(docs[: args.profile_docs], workdir)

        _log("2. query latency")
        report["query"] = measure_queries(
            docs,
            args.sizes,
            args.queries,
            sentences,
            args.memory_query_max,
            args.seed,
            workdir,
            build_limit=args.build_limit,
        )

        _log("4. dedup stream")
        feed = workdir / "feed.jsonl"
        t = time.perf_counter()
        report["feed"] = write_stream_feed(
            docs, feed, args.stream_records, args.stream_days, seed=args.seed + 1, sentences=sentences
        )
        _log(
            f"  feed of {args.stream_records:,} records ({report['feed']['bytes'] / 2**20:,.0f} MB) "
            f"written in {time.perf_counter() - t:.0f} s"
        )
        del docs, grown, base
        gc.collect()
        report["stream_sample_every"] = args.stream_sample_every
        report["stream"] = measure_stream(
            feed,
            args.stream_records,
            args.window,
            workdir,
            limit=args.stream_limit,
            sample_every=args.stream_sample_every,
        )
        feed.unlink(missing_ok=True)
        s = report["stream"]
        _log(
            f"  RSS {_mb(s['rss_early_mb'])} MB after {s['early']:,}, {_mb(s['rss_end_mb'])} MB after {s['records']:,}; "
            f"{s['records_per_second']:,.0f} records/s"
        )
    finally:
        gc.unfreeze()
        if own_dir is not None:
            own_dir.cleanup()
    report["seconds"] = time.perf_counter() - started
    markdown = markdown_report(report)
    report["markdown"] = markdown
    print()
    print(markdown)
    print(f"\n# {report['seconds'] / 60:.1f} minutes; reproduce: {command}")
    write_json(args.json, report)
    if args.markdown is not None:
        page = (
            f"# History benchmarks (issue 8, point 5)\n\n"
            f"Produced by `{command}` at dedup revision `{revision}` in {report['seconds'] / 60:.0f} minutes, on "
            f"{report['platform']}.\n\n{markdown}\n"
        )
        args.markdown.write_text(page, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
