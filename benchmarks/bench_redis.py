"""dedup's Redis index beside datasketch's Redis storage (issue 9, point 6): memory, throughput, latency, round trips.

On N stories (default 3,000 and 20,000) at dedup's default banding (28 bands of 2 rows, 128
permutations), against a redis-server this script starts on a free loopback port (no persistence):

(a) bytes per stored article from ``INFO memory`` used_memory before and after: dedup's whole index,
    without its fixed-size document-frequency sketch, and its postings alone (``MEMORY USAGE`` of the
    posting keys); datasketch ``MinHashLSH(params=(28, 2))`` with Redis storage, the signatures made
    by ``dedup.minhash_signatures`` -> ``dedup.to_datasketch``, inserted in an insertion session;
(b) ingest throughput: 1, 2 and 4 real worker processes each running ``dedup.open_index(url, name=)``
    ``add_many`` over interleaved batches of the feed (shingling, signatures and verification
    included); datasketch's inserts of ready signatures in one process, in a session and without;
(c) query latency (median, p99) of ``open_index(...).query(article)`` for held-out articles, and of
    datasketch ``lsh.query(minhash)`` for the same (its signature ready);
(d) round trips per operation, counted on the client (every send on a redis-py connection is one,
    a pipeline is one), and Redis commands per operation (``INFO commandstats`` deltas);
(e) with ``--baseline REV``: the claim cost per article of ``RedisStore`` at git revision REV beside
    this one (same batches, alternating).

Every measurement is repeated (``--repeat``, default 3) alternating dedup and datasketch; medians are
reported with the load average seen. Markdown on stdout (or ``--markdown OUT``), ``--json OUT``.

    python benchmarks/bench_redis.py --corpus ../shared/data/reuters21578.jsonl.gz --baseline b17143a
"""

from __future__ import annotations

import argparse
import importlib.util
import multiprocessing as mp
import os
import queue
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import types
from collections.abc import Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, get_corpus, platform_line, table, write_json

import dedup
from dedup.article import as_article

BANDS, ROWS = 28, 2
BATCH = 500
SENDS = [0]  # round trips: sends on any redis-py connection of this process


def _count_sends() -> None:
    import redis.connection

    original = redis.connection.AbstractConnection.send_packed_command
    if getattr(original, "_counted", False):
        return

    def send_packed_command(self: Any, command: Any, check_health: bool = True) -> None:
        SENDS[0] += 1
        original(self, command, check_health)

    send_packed_command._counted = True  # type: ignore[attr-defined]
    redis.connection.AbstractConnection.send_packed_command = send_packed_command  # type: ignore[method-assign]


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def redis_server() -> Any:
    binary = shutil.which("redis-server")
    if binary is None:
        raise SystemExit("bench_redis: no redis-server on PATH (apt-get install redis-server)")
    port, directory = _free_port(), tempfile.mkdtemp(prefix="bench-redis-")
    proc = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", directory],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.STDOUT,
    )
    import redis

    client = redis.Redis(port=port)
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                if proc.poll() is not None or time.monotonic() > deadline:
                    raise SystemExit(f"bench_redis: redis-server on port {port} did not start") from None
                time.sleep(0.05)
        yield port, client
    finally:
        client.close()
        proc.terminate()
        proc.wait(timeout=20)
        shutil.rmtree(directory, ignore_errors=True)


def _used(client: Any) -> int:
    return int(client.info("memory")["used_memory"])


def _commands(client: Any) -> dict[str, int]:
    return {k.removeprefix("cmdstat_"): int(v["calls"]) for k, v in client.info("commandstats").items()}


def _delta(after: dict[str, int], before: dict[str, int]) -> dict[str, int]:
    return {k: v - before.get(k, 0) for k, v in after.items() if v - before.get(k, 0) and k not in ("info", "flushall")}


def _load() -> float:
    return round(os.getloadavg()[0], 2)


def _batches(docs: Sequence[dict[str, Any]], size: int = BATCH) -> list[list[dict[str, Any]]]:
    return [list(docs[k : k + size]) for k in range(0, len(docs), size)]


# -- dedup --------------------------------------------------------------------------------------


def _worker(url: str, name: str, batches: list[list[dict[str, Any]]], ready: Any, go: Any, out: Any) -> None:
    _count_sends()
    with dedup.open_index(url, name=name) as index:
        len(index)  # the connection open before the start
        ready.put(os.getpid())
        go.wait()
        start, sends = time.perf_counter(), SENDS[0]
        for batch in batches:
            index.add_many(batch)
        out.put((time.perf_counter() - start, SENDS[0] - sends, len(batches)))


def dedup_ingest(port: int, client: Any, docs: Sequence[dict[str, Any]], workers: int) -> dict[str, Any]:
    """Ingest ``docs`` with ``workers`` processes (batches dealt round robin); memory measured around it."""
    client.flushall()
    url, name = f"redis://127.0.0.1:{port}/0", "bench"
    dedup.open_index(url, name=name).close()  # the settings record: not an article's bytes
    from dedup.store import _redis_lua

    for script in _redis_lua.__all__:  # loaded once per server, as on a server in use (not a NOSCRIPT retry per worker)
        client.script_load(getattr(_redis_lua, script))
    before, commands = _used(client), _commands(client)
    batches = _batches(docs)
    ctx = mp.get_context("fork")
    ready, out, go = ctx.Queue(), ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=_worker, args=(url, name, batches[w::workers], ready, go, out)) for w in range(workers)]
    for p in procs:
        p.start()
    for _ in procs:
        ready.get(timeout=300)
    start = time.perf_counter()
    go.set()
    results: list[Any] = []
    while len(results) < len(procs):
        try:
            results.append(out.get(timeout=1))
        except queue.Empty:
            if any(p.exitcode not in (None, 0) for p in procs):
                for p in procs:
                    p.kill()
                raise SystemExit(
                    f"bench_redis: a dedup worker failed (exit codes {[p.exitcode for p in procs]})"
                ) from None
    wall = time.perf_counter() - start
    for p in procs:
        p.join()
    n = len(docs)
    used = _used(client) - before
    kinds: dict[str, int] = {}
    for key in client.scan_iter(f"{name}:*", count=1000):
        kind = key.split(b":")[1].decode()
        kinds[kind] = kinds.get(kind, 0) + int(client.memory_usage(key, samples=0) or 0)
    delta = _delta(_commands(client), commands)
    claims = sum(r[2] for r in results)
    return {
        "workers": workers,
        "articles": n,
        "seconds": wall,
        "articles_per_s": n / wall,
        "bytes_per_article": used / n,
        "bytes_per_article_without_sketch": (used - kinds.get("cm", 0)) / n,
        "postings_bytes_per_article": (kinds.get("p", 0) + kinds.get("o", 0)) / n,
        "ids_bytes_per_article": kinds.get("i", 0) / n,
        "records_bytes_per_article": kinds.get("d", 0) / n,
        "sketch_bytes": kinds.get("cm", 0),
        "round_trips_per_batch": sum(r[1] for r in results) / claims,
        "batches": claims,
        "commands_per_batch": sum(v for k, v in delta.items() if k in ("evalsha", "eval", "get", "ping")) / claims,
    }


def dedup_queries(port: int, client: Any, queries: Sequence[dict[str, Any]]) -> dict[str, Any]:
    url = f"redis://127.0.0.1:{port}/0"
    times: list[float] = []
    sends = 0
    commands = _commands(client)
    with dedup.open_index(url, name="bench") as index:
        index.query(queries[0])  # warm: scripts loaded, connection open
        commands = _commands(client)
        for q in queries:
            s0 = SENDS[0]
            t0 = time.perf_counter()
            index.query(q)
            times.append(time.perf_counter() - t0)
            sends += SENDS[0] - s0
    delta = _delta(_commands(client), commands)
    return {
        **_latency(times),
        "round_trips_per_query": sends / len(queries),
        "commands_per_query": sum(v for k, v in delta.items() if k in ("evalsha", "eval", "get")) / len(queries),
    }


# -- datasketch ---------------------------------------------------------------------------------


def signatures(docs: Sequence[dict[str, Any]]) -> list[Any]:
    """datasketch MinHashes of dedup's signatures (the same 128 permutations dedup bands)."""
    from dedup.matching import prepare_batch
    from dedup.signatures import minhash_signatures

    config = dedup.DedupConfig()
    out = []
    for batch in _batches(docs, 2000):
        records = prepare_batch([as_article(d) for d in batch], config, bands=BANDS, rows=ROWS, arrival=0.0)
        sig = minhash_signatures(records.sets, num_perm=config.num_perm, seed=config.seed)
        out += [dedup.to_datasketch(row, seed=config.seed) for row in sig]
    return out


def _lsh(port: int) -> Any:
    from datasketch import MinHashLSH

    return MinHashLSH(
        num_perm=128,
        params=(BANDS, ROWS),
        storage_config={"type": "redis", "basename": b"ds", "redis": {"host": "127.0.0.1", "port": port}},
    )


def datasketch_ingest(
    port: int, client: Any, ids: Sequence[str], minhashes: Sequence[Any], plain: int
) -> dict[str, Any]:
    client.flushall()
    lsh = _lsh(port)
    before, commands, sends = _used(client), _commands(client), SENDS[0]
    start = time.perf_counter()
    with lsh.insertion_session(buffer_size=50000) as session:
        for key, m in zip(ids, minhashes):
            session.insert(key, m)
    wall = time.perf_counter() - start
    n = len(ids)
    used = _used(client) - before
    session_sends, session_commands = SENDS[0] - sends, sum(_delta(_commands(client), commands).values())
    # without a session: each insert on its own (the first `plain` articles, on top of the others)
    extra = [f"plain-{k}" for k in range(min(plain, n))]
    commands, sends = _commands(client), SENDS[0]
    start = time.perf_counter()
    for key, m in zip(extra, minhashes):
        lsh.insert(key, m)
    plain_wall = time.perf_counter() - start
    k = max(1, len(extra))
    return {
        "articles": n,
        "seconds": wall,
        "articles_per_s": n / wall,
        "bytes_per_article": used / n,
        "session_round_trips_per_article": session_sends / n,
        "session_commands_per_article": session_commands / n,
        "plain_articles_per_s": len(extra) / plain_wall if extra else None,
        "plain_round_trips_per_insert": (SENDS[0] - sends) / k,
        "plain_commands_per_insert": sum(_delta(_commands(client), commands).values()) / k,
    }


def datasketch_queries(port: int, client: Any, minhashes: Sequence[Any]) -> dict[str, Any]:
    lsh = _lsh(port)
    lsh.query(minhashes[0])
    commands, times, sends = _commands(client), [], 0
    for m in minhashes:
        s0 = SENDS[0]
        t0 = time.perf_counter()
        lsh.query(m)
        times.append(time.perf_counter() - t0)
        sends += SENDS[0] - s0
    delta = _delta(_commands(client), commands)
    return {
        **_latency(times),
        "round_trips_per_query": sends / len(minhashes),
        "commands_per_query": sum(delta.values()) / len(minhashes),
    }


def _ratio(dedup_value: float, other: float) -> str:
    """dedup's value as a fraction of datasketch's: ``1/19`` (smaller) or ``2.5x`` (larger)."""
    return f"1/{other / dedup_value:.1f}" if dedup_value < other else f"{dedup_value / other:.1f}x"


def _latency(times: Sequence[float]) -> dict[str, float]:
    ms = np.array(times) * 1000
    return {"median_ms": float(np.median(ms)), "p99_ms": float(np.percentile(ms, 99)), "queries": len(ms)}


# -- claim cost, against an earlier revision ------------------------------------------------------


def _store_at(rev: str) -> Any:
    """RedisStore as it was at git revision ``rev`` (its redis.py and _redis_lua.py, the rest of dedup as now)."""

    def show(path: str) -> str:
        return subprocess.run(
            ["git", "-C", str(ROOT), "show", f"{rev}:{path}"], check=True, capture_output=True, text=True
        ).stdout

    lua = types.ModuleType("dedup.store._redis_lua_baseline")
    lua.__package__ = "dedup.store"  # its own relative imports (the Lua library) resolve as in the package
    exec(compile(show("dedup/store/_redis_lua.py"), "baseline _redis_lua.py", "exec"), lua.__dict__)  # noqa: S102 (our own git history)
    sys.modules[lua.__name__] = lua
    source = show("dedup/store/redis.py").replace(
        "from . import _redis_lua as lua", "from . import _redis_lua_baseline as lua"
    )
    spec = importlib.util.spec_from_loader("dedup.store._redis_baseline", loader=None)
    assert spec is not None
    module = importlib.util.module_from_spec(spec)
    module.__package__ = "dedup.store"
    sys.modules[spec.name] = module
    exec(compile(source, "baseline redis.py", "exec"), module.__dict__)  # noqa: S102
    return module.RedisStore


def claim_cost(
    port: int, client: Any, docs: Sequence[dict[str, Any]], stores: dict[str, Any], repeat: int
) -> dict[str, Any]:
    from dedup.matching import prepare_batch
    from dedup.store import store_settings

    config = dedup.DedupConfig()
    batches = [
        prepare_batch([as_article(d) for d in b], config, bands=BANDS, rows=ROWS, arrival=0.0) for b in _batches(docs)
    ]
    runs: dict[str, list[float]] = {label: [] for label in stores}
    for _ in range(repeat):
        for label, cls in stores.items():  # alternating
            client.flushall()
            store = cls(f"redis://127.0.0.1:{port}/0", store_settings(config, bands=BANDS, rows=ROWS), name="claim")
            start = time.perf_counter()
            for b in batches:
                store.claim_many(b, limit=config.bucket_limit)
            runs[label].append((time.perf_counter() - start) * 1000 / len(docs))
            store.close()
    return {label: {"ms_per_article": statistics.median(v), "runs": v} for label, v in runs.items()}


# -- the report -----------------------------------------------------------------------------------


def _median_of(runs: list[dict[str, Any]]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in runs[0].items():
        values = [r[key] for r in runs if isinstance(r.get(key), (int, float))]
        out[key] = statistics.median(values) if values and isinstance(value, (int, float)) else value
    out["runs"] = len(runs)
    return out


def measure(
    docs: list[dict[str, Any]],
    n: int,
    queries: int,
    workers: Sequence[int],
    repeat: int,
    plain: int,
    port: int,
    client: Any,
    log: Any,
) -> dict[str, Any]:
    stored, held = docs[:n], docs[n : n + queries]
    if len(held) < queries:
        raise SystemExit(
            f"bench_redis: {n} stored + {queries} held-out queries need {n + queries} articles; have {len(docs)}"
        )
    ids = [d["id"] for d in stored]
    minhashes, query_hashes = signatures(stored), signatures(held)
    runs: dict[str, list[dict[str, Any]]] = {f"dedup_{w}": [] for w in workers}
    runs.update(datasketch=[], dedup_query=[], datasketch_query=[])
    loads = [_load()]
    for r in range(repeat):
        for w in workers:
            log(f"N={n} run {r + 1}/{repeat}: dedup, {w} worker(s)")
            runs[f"dedup_{w}"].append(dedup_ingest(port, client, stored, w))
            if w == workers[0]:
                log(f"N={n} run {r + 1}/{repeat}: dedup queries")
                runs["dedup_query"].append(dedup_queries(port, client, held))
                log(f"N={n} run {r + 1}/{repeat}: datasketch")
                runs["datasketch"].append(datasketch_ingest(port, client, ids, minhashes, plain))
                runs["datasketch_query"].append(datasketch_queries(port, client, query_hashes))
            loads.append(_load())
    return {
        "articles": n,
        "queries": queries,
        "load_average": {"min": min(loads), "max": max(loads)},
        **{k: _median_of(v) for k, v in runs.items()},
    }


def markdown(result: dict[str, Any]) -> str:
    out = [
        (
            f"Corpus: {result['corpus']}. {result['platform']}. Redis {result['redis_version']} on loopback; "
            f"{BANDS} bands x {ROWS} rows, 128 permutations, batches of {BATCH}; medians of {result['repeat']} "
            f"alternating runs."
        )
    ]
    for size in result["sizes"]:
        n, d1, ds = size["articles"], size[f"dedup_{result['workers'][0]}"], size["datasketch"]
        dq, sq = size["dedup_query"], size["datasketch_query"]
        la = size["load_average"]
        out.append(f"\n### {n:,} articles (load average {la['min']}-{la['max']} on {os.cpu_count()} CPUs)\n")
        out.append(
            table(
                [
                    [
                        "everything dedup stores (used_memory)",
                        f"{d1['bytes_per_article']:,.0f}",
                        f"{ds['bytes_per_article']:,.0f}",
                        _ratio(d1["bytes_per_article"], ds["bytes_per_article"]),
                    ],
                    [
                        "dedup without its fixed 16 MB sketch",
                        f"{d1['bytes_per_article_without_sketch']:,.0f}",
                        "",
                        _ratio(d1["bytes_per_article_without_sketch"], ds["bytes_per_article"]),
                    ],
                    [
                        "postings alone (MEMORY USAGE)",
                        f"{d1['postings_bytes_per_article']:,.0f}",
                        f"{ds['bytes_per_article']:,.0f}",
                        _ratio(d1["postings_bytes_per_article"], ds["bytes_per_article"]),
                    ],
                ],
                ["bytes per article", "dedup", "datasketch", "dedup / datasketch"],
            )
        )
        rows = []
        for w in result["workers"]:
            d = size[f"dedup_{w}"]
            rows.append(
                [
                    f"dedup, {w} worker process{'es' if w > 1 else ''} (end to end)",
                    f"{d['articles_per_s']:,.0f}",
                    f"{d['articles_per_s'] / ds['articles_per_s']:.2f}",
                    f"{d['round_trips_per_batch']:.2f} per batch",
                ]
            )
        rows.append(
            [
                "datasketch, insertion session (signatures ready)",
                f"{ds['articles_per_s']:,.0f}",
                "1",
                f"{ds['session_round_trips_per_article']:.3f} per insert",
            ]
        )
        if ds.get("plain_articles_per_s"):
            rows.append(
                [
                    "datasketch, insert without a session",
                    f"{ds['plain_articles_per_s']:,.0f}",
                    f"{ds['plain_articles_per_s'] / ds['articles_per_s']:.2f}",
                    f"{ds['plain_round_trips_per_insert']:.1f} per insert ({ds['plain_commands_per_insert']:.0f} commands)",
                ]
            )
        out.append("\n" + table(rows, ["ingest", "articles/s", "vs datasketch session", "round trips"]))
        out.append(
            "\n"
            + table(
                [
                    [
                        "dedup `open_index(...).query(article)` (end to end)",
                        f"{dq['median_ms']:.2f}",
                        f"{dq['p99_ms']:.2f}",
                        f"{dq['round_trips_per_query']:.2f}",
                        f"{dq['commands_per_query']:.2f}",
                    ],
                    [
                        "datasketch `lsh.query(minhash)` (signature ready)",
                        f"{sq['median_ms']:.2f}",
                        f"{sq['p99_ms']:.2f}",
                        f"{sq['round_trips_per_query']:.2f}",
                        f"{sq['commands_per_query']:.2f}",
                    ],
                    [
                        "ratio dedup / datasketch",
                        f"{dq['median_ms'] / sq['median_ms']:.2f}",
                        f"{dq['p99_ms'] / sq['p99_ms']:.2f}",
                        f"{dq['round_trips_per_query'] / sq['round_trips_per_query']:.2f}",
                        "",
                    ],
                ],
                [f"query ({dq['queries']} held-out articles)", "median ms", "p99 ms", "round trips", "commands"],
            )
        )
    if result.get("claim"):
        rows = [
            [label, f"{v['ms_per_article']:.2f}", ", ".join(f"{x:.2f}" for x in v["runs"])]
            for label, v in result["claim"]["stores"].items()
        ]
        out.append(
            f"\n### Claim cost ({result['claim']['articles']:,} articles, batches of {BATCH}, load average "
            f"{result['claim']['load_average']})\n"
        )
        out.append(table(rows, ["RedisStore.claim_many", "ms per article (median)", "runs"]))
    return "\n".join(out) + "\n"


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    p = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument(
        "--corpus",
        type=Path,
        metavar="PATH",
        help="a feed (e.g. ../shared/data/reuters21578.jsonl.gz); default: synthetic",
    )
    p.add_argument("--sizes", default="3000,20000", help="stored articles, comma-separated (default 3000,20000)")
    p.add_argument("--queries", type=int, default=300, help="held-out query articles (default 300)")
    p.add_argument("--workers", default="1,2,4", help="worker processes, comma-separated (default 1,2,4)")
    p.add_argument("--repeat", type=int, default=3, help="alternating runs per measurement; medians (default 3)")
    p.add_argument("--plain", type=int, default=1000, help="datasketch inserts timed without a session (default 1000)")
    p.add_argument("--baseline", metavar="REV", help="also time claim_many of RedisStore at git revision REV")
    p.add_argument("--seed", type=int, default=0, help="seed of the synthetic corpus")
    p.add_argument("--quick", action="store_true", help="a smoke run: 300 articles, 20 queries, 1 and 2 workers, once")
    p.add_argument("--markdown", type=Path, metavar="OUT", help="write the Markdown here (default: stdout)")
    p.add_argument("--json", type=Path, metavar="OUT", help="also write the results as JSON")
    args = p.parse_args(argv)
    sizes, workers = [int(s) for s in args.sizes.split(",")], [int(w) for w in args.workers.split(",")]
    if args.quick:
        sizes, workers, args.queries, args.repeat, args.plain = [300], [1, 2], 20, 1, 50
    args.n_docs = max(sizes) + args.queries
    docs, label = get_corpus(args, default_n=args.n_docs)
    _count_sends()

    def log(message: str) -> None:
        print(f"[bench_redis {time.strftime('%H:%M:%S')} load {_load()}] {message}", file=sys.stderr, flush=True)

    with redis_server() as (port, client):
        result: dict[str, Any] = {
            "corpus": label,
            "platform": platform_line(),
            "redis_version": client.info()["redis_version"],
            "repeat": args.repeat,
            "workers": workers,
            "sizes": [],
        }
        for n in sizes:
            result["sizes"].append(measure(docs, n, args.queries, workers, args.repeat, args.plain, port, client, log))
        if args.baseline:
            from dedup.store.redis import RedisStore

            log(f"claim cost: RedisStore at {args.baseline} beside this one")
            n = min(3000, max(sizes))
            load = _load()
            stores = {f"at {args.baseline}": _store_at(args.baseline), "this revision": RedisStore}
            result["claim"] = {
                "articles": n,
                "load_average": load,
                "stores": claim_cost(port, client, docs[:n], stores, args.repeat),
            }
    text = markdown(result)
    result["markdown"] = text
    if args.markdown:
        args.markdown.write_text(text, encoding="utf-8")
    else:
        print(text)
    write_json(args.json, result)
    return result


if __name__ == "__main__":
    main()
