"""Smoke tests of the performance benchmarks (end to end, stages, scaling) on a tiny synthetic corpus.

They check that each script runs and writes the JSON the docs generator reads, with sane values;
never how fast anything is.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"

pytest.importorskip("datasketch")


def _script(name: str):
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _run(name: str, argv: list[str], tmp_path: Path, capsys) -> dict:
    out = tmp_path / f"{name}.json"
    assert _script(name).main([*argv, "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert printed.startswith("# ")  # the platform line comes first
    assert payload["markdown"] in printed  # the tables exactly as printed
    assert payload["command"].startswith(f"python benchmarks/{name}.py ")
    assert "|---|" in payload["markdown"]
    return payload


def test_end_to_end(tmp_path, capsys):
    pytest.importorskip("rensa")
    payload = _run("bench_end_to_end", ["--n-docs", "60", "--repeat", "1"], tmp_path, capsys)
    assert payload["n_docs"] == 60
    assert set(payload["median_seconds"]) == {"dedup", "datasketch", "rensa", "tokenise", "parallel"}
    assert payload["parallel_same_pairs"] is True and payload["ratios"]["datasketch/dedup-2-workers"] > 0
    assert payload["ratio_ceilings"]["datasketch/dedup"] > 0 and payload["tokens"] > 0
    assert all(len(v) == 1 and v[0] > 0 for v in payload["seconds"].values())
    assert payload["ratios"]["datasketch/dedup"] > 0 and payload["ratios"]["rensa/dedup"] > 0
    assert payload["ratios"]["memory dedup/datasketch"] > 0
    assert all(n >= 0 for n in payload["pairs"].values())
    assert all(n >= payload["groups"][k] for k, n in payload["pairs"].items())  # a group holds at least one pair
    for name in ("datasketch", "rensa"):
        o = payload["overlap"][name]
        assert o["shared_with_dedup"] + o["only_peer"] == payload["pairs"][name]
        assert o["shared_with_dedup"] + o["only_dedup"] == payload["pairs"]["dedup"]
        assert 0 <= o["jaccard"] <= 1
    memory = payload["memory"]
    assert set(memory) == {"baseline", "dedup", "datasketch", "rensa"}
    for name in ("dedup", "datasketch", "rensa"):
        assert memory[name]["peak_rss_mb"] >= memory[name]["baseline_rss_mb"] > 0
        assert memory[name]["pairs"] == payload["pairs"][name]  # the child found what the parent found


def test_end_to_end_signatures_identical_to_datasketch_with_dedup_hash(tmp_path, capsys):
    """With ``hashfunc=dedup.hash_shingle`` datasketch's MinHashLSH gets dedup's signatures and bands
    (25 x 5 at 0.5), so both find the same candidate pairs."""
    pytest.importorskip("rensa")
    payload = _run(
        "bench_end_to_end",
        ["--n-docs", "40", "--repeat", "1", "--skip-memory", "--datasketch-hash", "dedup"],
        tmp_path,
        capsys,
    )
    assert payload["memory"] == {}
    assert payload["candidates"]["datasketch"] == payload["candidates"]["dedup"]


def test_stages(tmp_path, capsys):
    payload = _run("bench_stages", ["--n-docs", "60", "--repeat", "1"], tmp_path, capsys)
    med = payload["median_seconds"]
    assert {"tokenise+hash", "signatures", "candidates", "verification", "clustering", "alignment"} <= set(med)
    assert all(v >= 0 for v in med.values())
    assert payload["slowest"] in med and payload["slowest"] != "alignment"
    assert sum(payload["share"].values()) == pytest.approx(1.0)
    assert sum(payload["share_coverage_off"].values()) == pytest.approx(1.0)
    assert payload["counts"]["pairs"] >= 0


def test_scaling(tmp_path, capsys):
    plot = tmp_path / "scaling.png"
    payload = _run("bench_scaling", ["--sizes", "50,100", "--plot", str(plot)], tmp_path, capsys)
    assert [r["n_docs"] for r in payload["results"]] == [50, 100]
    for r in payload["results"]:
        assert "stopped" not in r
        assert r["seconds"] > 0 and r["peak_rss_mb"] >= r["baseline_rss_mb"] > 0
        assert r["pairs"] >= 0 and r["candidates"] >= r["pairs"]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_scaling_reports_a_size_it_had_to_stop(tmp_path, capsys):
    plot = tmp_path / "stopped.png"
    payload = _run("bench_scaling", ["--sizes", "50,100", "--max-rss-mb", "1", "--plot", str(plot)], tmp_path, capsys)
    first, second = payload["results"]
    assert "resident memory" in first["stopped"] and first["phase"] == "signatures"
    assert first["peak_rss_mb"] > 1
    assert "skipped" in second
    assert "stopped" in payload["markdown"]
    assert plot.exists()  # the stopped size is drawn as a lower bound
