"""Smoke test of benchmarks/bench_redis.py in --quick mode (synthetic corpus, its own redis-server).

It checks that every section runs end to end (worker processes, datasketch's Redis storage, queries,
round-trip counts, the claim cost against an earlier revision) with sane values; never how fast.
"""

from __future__ import annotations

import importlib.util
import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"

pytest.importorskip("redis")
pytest.importorskip("datasketch")
if shutil.which("redis-server") is None:
    pytest.skip(
        "no redis-server on PATH: install one (apt-get install redis-server) to run the Redis tests",
        allow_module_level=True,
    )


def _script():
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("_bench_redis", BENCHMARKS / "bench_redis.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _has_revision(rev: str) -> bool:
    return (
        subprocess.run(
            ["git", "-C", str(ROOT), "cat-file", "-e", f"{rev}:dedup/store/redis.py"], check=False, capture_output=True
        ).returncode
        == 0
    )


def test_quick_run_reports_every_section(tmp_path):
    bench = _script()
    argv = ["--quick", "--markdown", str(tmp_path / "out.md"), "--json", str(tmp_path / "out.json")]
    baseline = "HEAD" if _has_revision("HEAD") else None
    if baseline:
        argv += ["--baseline", baseline]
    bench.main(argv)
    result = json.loads((tmp_path / "out.json").read_text())
    (size,) = result["sizes"]
    assert size["articles"] == 300 and size["queries"] == 20
    for workers in (1, 2):
        d = size[f"dedup_{workers}"]
        assert d["articles_per_s"] > 0 and d["batches"] >= 1
        assert 1 <= d["round_trips_per_batch"] <= 6  # claim, document frequency, finalize (+ a wait for a pending rep)
        assert 0 < d["postings_bytes_per_article"] < d["bytes_per_article_without_sketch"] < d["bytes_per_article"]
    ds = size["datasketch"]
    assert ds["bytes_per_article"] > 0 and ds["articles_per_s"] > 0 and ds["plain_round_trips_per_insert"] >= 1
    assert 1 <= size["dedup_query"]["round_trips_per_query"] <= 3  # members with their records, document frequency
    assert size["datasketch_query"]["round_trips_per_query"] >= 1
    assert size["dedup_query"]["p99_ms"] >= size["dedup_query"]["median_ms"] > 0
    text = (tmp_path / "out.md").read_text()
    for needle in ("bytes per article", "articles/s", "median ms", "p99 ms", "round trips", "load average"):
        assert needle in text
    if baseline:
        assert set(result["claim"]["stores"]) == {f"at {baseline}", "this revision"}
        assert all(v["ms_per_article"] > 0 for v in result["claim"]["stores"].values())
