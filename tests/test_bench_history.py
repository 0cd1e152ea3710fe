"""Smoke test of benchmarks/bench_history.py (issue 8, point 5) in --quick mode on a small generated corpus.

It checks that the script runs end to end (a real `dedup stream` subprocess included) and reports every
section with sane values; never how fast anything is.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"


def _script():
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location("_bench_history", BENCHMARKS / "bench_history.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _small_corpus(path: Path, n: int = 300) -> Path:
    """A feed of ``n`` articles recombined from the example feed's sentences, with published times."""
    from _common import EXAMPLE_FEED, _sentences_of, load_corpus, recombined_corpus

    docs = recombined_corpus(_sentences_of(load_corpus(EXAMPLE_FEED)), n, seed=3, prefix="small")
    start = datetime(2024, 3, 1, tzinfo=timezone.utc)
    with path.open("w", encoding="utf-8") as out:
        for k, d in enumerate(docs):
            d["published"] = (start + timedelta(hours=k)).isoformat()
            out.write(json.dumps(d) + "\n")
    return path


def test_quick_run_reports_every_section(tmp_path, capsys):
    bench = _script()
    corpus = _small_corpus(tmp_path / "corpus.jsonl")
    out, page = tmp_path / "history.json", tmp_path / "history.md"
    argv = [
        "--quick",
        "--corpus",
        str(corpus),
        "--workdir",
        str(tmp_path / "work"),
        "--json",
        str(out),
        "--markdown",
        str(page),
    ]
    assert bench.main(argv) == 0
    printed = capsys.readouterr().out
    r = json.loads(out.read_text(encoding="utf-8"))

    assert printed.startswith("# ")  # the platform line first
    assert r["markdown"] in printed
    assert r["command"].startswith("python benchmarks/bench_history.py --quick")
    for heading in (
        "### 1. Ingest rate",
        "### 2. Query latency",
        "### 3. Store size on disk",
        "### 4. Resident memory of `dedup stream`",
        "### 5. Where ingest time goes",
    ):
        assert heading in r["markdown"]
    text = page.read_text(encoding="utf-8")
    assert text.startswith("# History benchmarks") and r["command"] in text and r["platform"] in text

    # 1 and 3: ingest on the corpus and on the grown corpus; rates, reopen times and sizes positive
    assert [x["corpus"] for x in r["ingest"]] == ["corpus", "grown"]
    assert r["ingest"][0]["n_docs"] == 300 and r["ingest"][1]["n_docs"] == bench.QUICK["grown"]
    for x in r["ingest"]:
        assert all(rate > 0 for rate in x["articles_per_second"].values())
        assert x["ratio"] > 0 and x["reopen_seconds"] > 0 and x["reopened_articles"] == x["n_docs"]
        assert x["store_bytes"]["file"] > 0
        assert 100 < x["bytes_per_article"] < 100_000

    # 2: query latency at each quick size, SQLite and in memory; the rewrites of stored articles are found
    assert [q["stored"] for q in r["query"]] == bench.QUICK["sizes"]
    for q in r["query"]:
        for store in ("sqlite", "memory"):
            s = q[store]
            assert s["queries"] == bench.QUICK["queries"]
            assert 0 < s["median_ms"] <= s["p99_ms"] <= s["max_ms"]
            assert s["rewrites_matched_to_source"] >= s["kinds"]["rewrite"] // 2
    assert r["query"][-1]["sqlite"]["profile"]["top"]

    # 4: dedup stream, sampled every tenth of the feed; RSS values plausible, throughput positive, index left behind
    s = r["stream"]
    assert s["records"] == bench.QUICK["stream_records"] and s["stopped"] is None
    assert [x["records"] for x in s["samples"] if x["checkpoint"]] == bench.checkpoints_of(s["records"])
    assert all(10 < x["rss_mb"] < 10_000 for x in s["samples"])
    assert s["rss_early_mb"] > 0 and s["rss_end_mb"] > 0 and s["peak_rss_mb"] >= s["rss_end_mb"]
    assert s["records_per_second"] > 0
    assert s["verdicts"]["unique"] + s["verdicts"]["duplicate"] == s["records"]
    assert s["verdicts"]["duplicate"] > 0  # the feed's rewrites of recent records
    assert s["index_bytes_end"]["total"] > 0 and 0 < s["stored_at_end"] < s["records"]  # the window evicted

    # 5: the profile names dedup's own functions, largest cumulative time first
    top = r["profile"]["top"]
    assert 0 < len(top) <= 10
    assert all(row["function"].startswith("dedup/") for row in top)
    assert [row["cumtime"] for row in top] == sorted((row["cumtime"] for row in top), reverse=True)
