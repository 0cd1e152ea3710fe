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
    module = _script("bench_end_to_end")
    payload = _run("bench_end_to_end", ["--n-docs", "60", "--repeat", "1"], tmp_path, capsys)
    assert payload["n_docs"] == 60
    assert list(payload["median_seconds"]) == list(module.PIPELINES)
    assert list(module.PIPELINES)[:3] == ["defaults", "defaults-parallel", "dedup-find"]  # the shipped defaults first
    assert payload["markdown"].index("shipped defaults") < payload["markdown"].index("Like for like")
    assert all(len(v) == 1 and v[0] > 0 for v in payload["seconds"].values())
    ratios = payload["ratios"]
    for key in (
        "datasketch/dedup",
        "rensa/dedup",
        "datasketch/dedup-2-workers",
        "rensa/dedup-2-workers",
        "dedup-2-workers/dedup",
        "memory dedup/datasketch",
    ):
        assert ratios[key] > 0
    assert set(payload["targets_met"]) == {"datasketch", "rensa", "two workers gain", "memory"}
    # Worker processes and the CLI change nothing in what is found.
    assert payload["parallel_same_pairs"] is True and payload["defaults_parallel_same_pairs"] is True
    assert payload["dedup_find_same_duplicates"] is True
    assert payload["dedup_find_workers"] >= 1
    assert all(n >= 0 for n in payload["pairs"].values())
    assert all(payload["pairs"][k] >= payload["groups"][k] for k in payload["pairs"])  # a group holds at least one pair
    for name in ("datasketch", "rensa"):
        o = payload["overlap"][name]
        assert o["shared_with_dedup"] + o["only_peer"] == payload["pairs"][name]
        assert o["shared_with_dedup"] + o["only_dedup"] == payload["pairs"]["dedup"]
        assert 0 <= o["jaccard"] <= 1
    assert 're.findall(r"\\w+", text.lower())' in payload["given"] and "not `dedup.tokenize`" in payload["given"]
    memory = payload["memory"]
    assert list(memory) == list(module.MEMORY)
    for name in module.MEMORY[1:]:
        assert memory[name]["peak_rss_mb"] > 0 and memory[name]["seconds"] > 0
    for name in ("dedup", "parallel", "datasketch", "rensa"):
        assert memory[name]["peak_rss_mb"] >= memory[name]["baseline_rss_mb"] > 0
    for name in ("defaults", "dedup", "datasketch", "rensa"):
        assert memory[name]["pairs"] == payload["pairs"][name]  # the child found what the parent found
    assert memory["dedup-find"]["duplicates"] == payload["duplicates"]["dedup-find"]


def test_end_to_end_peers_do_not_use_dedup(monkeypatch):
    """The peers tokenise with their own plain regex: they run with dedup's text stage broken."""
    pytest.importorskip("rensa")
    module = _script("bench_end_to_end")
    import dedup
    import dedup.text

    def broken(*args, **kwargs):
        raise AssertionError("a peer used dedup's tokeniser")

    monkeypatch.setattr(dedup, "tokenize", broken)
    monkeypatch.setattr(dedup.text, "tokenize", broken)
    assert module.plain_shingles("Shares of U.S. Steel rose 5.5 pct today, it said") == [
        "shares of u s steel",
        "of u s steel rose",
        "u s steel rose 5",
        "s steel rose 5 5",
        "steel rose 5 5 pct",
        "rose 5 5 pct today",
        "5 5 pct today it",
        "5 pct today it said",
    ]
    assert module.plain_shingles("Too short") == ["too short"]
    text = "The central bank raised its main rate by half a point to 4.5 percent on Tuesday in the capital."
    docs = [{"id": "a", "text": text}, {"id": "b", "text": text + " Markets rose."}, {"id": "c", "text": "Rain fell."}]
    for run in (module.run_datasketch, module.run_rensa):
        assert run(docs)["pairs"] == {(0, 1)}


def test_dedup_find_config_is_what_the_cli_runs(tmp_path, monkeypatch):
    """bench_scaling's defaults are `dedup find FEED` as shipped: the config the CLI builds, captured."""
    common = _script("_common")
    dedup_find_config, write_feed = common.dedup_find_config, common.write_feed
    import dedup.cli.find

    seen = []
    real = dedup.cli.find.find_duplicates

    def spy(articles, config=None, **kwargs):
        seen.append(config)
        return real(articles, config, **kwargs)

    monkeypatch.setattr(dedup.cli.find, "find_duplicates", spy)
    feed = write_feed(
        [{"id": "a", "text": "One short text."}, {"id": "b", "text": "Another one."}], tmp_path / "f.jsonl"
    )
    assert dedup.cli.main(["find", str(feed), "-q", "-o", str(tmp_path / "out.jsonl")]) == 0
    assert seen == [dedup_find_config()]
    assert dedup.cli.main(["find", str(feed), "-q", "-j", "1", "-o", str(tmp_path / "out.jsonl")]) == 0
    assert seen[-1] == dedup_find_config(1)


def test_stages(tmp_path, capsys):
    payload = _run("bench_stages", ["--n-docs", "60", "--repeat", "1"], tmp_path, capsys)
    settings = payload["settings"]
    assert list(settings) == ["defaults", "benchmark"]  # the shipped defaults first
    assert settings["defaults"]["config"] == {} and settings["benchmark"]["config"]["shingle_size"] == 5
    for m in settings.values():
        med = m["median_seconds"]
        assert {"tokenise+hash", "signatures", "band keys", "candidates", "verification", "clustering"} <= set(med)
        assert all(v >= 0 for v in med.values())
        assert sum(m["share"].values()) == pytest.approx(1.0)
        assert m["slowest"] in m["stages_run"]
        assert m["counts_match"] is True, m["find_duplicates_counts"]  # the stages do what find_duplicates does
        assert m["counts"]["candidates"] >= m["counts"]["pairs"] >= 0
        assert set(m["find_duplicates_stage_seconds"]) >= {"signatures", "candidates+verify"}
    assert "alignment" not in settings["defaults"]["stages_run"]  # coverage is off by default
    assert "alignment" not in settings["benchmark"]["stages_run"]


def test_scaling(tmp_path, capsys):
    plot = tmp_path / "scaling.png"
    payload = _run("bench_scaling", ["--sizes", "50,100", "--plot", str(plot)], tmp_path, capsys)
    assert list(payload["runs"]) == ["defaults", "benchmark"]  # the shipped defaults first
    for setting, results in payload["runs"].items():
        assert [r["n_docs"] for r in results] == [50, 100]
        for r in results:
            assert "stopped" not in r and r["setting"] == setting and r["workers"] == payload["workers"]
            assert r["seconds"] > 0 and r["peak_rss_mb"] >= r["baseline_rss_mb"] > 0
            assert r["candidates"] >= r["pairs"] >= 0 and r["capped_buckets"] >= 0
        summary = payload["summary"][setting]
        assert summary["exponent"]["exponent"] is not None and summary["exponent"]["in_range"] is False
        assert summary["exponent"]["met"] is False  # not measured where the target applies
        assert summary["at_target"]["state"].startswith("not measured")
    assert payload["markdown"].index("shipped defaults") < payload["markdown"].index("peers' setting")
    assert "time exponent" in payload["markdown"]
    assert plot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_scaling_reports_a_size_it_had_to_stop(tmp_path, capsys):
    plot = tmp_path / "stopped.png"
    argv = ["--sizes", "50,100", "--settings", "defaults", "--max-rss-mb", "1", "--plot", str(plot)]
    payload = _run("bench_scaling", argv, tmp_path, capsys)
    first, second = payload["runs"]["defaults"]
    assert "resident memory" in first["stopped"] and first["phase"] == "signatures"
    assert first["peak_rss_mb"] > 1
    assert "skipped" in second
    assert payload["markdown"].count("**stopped**") == 2
    assert payload["summary"]["defaults"]["exponent"]["exponent"] is None
    assert plot.exists()  # the stopped size is drawn as a lower bound


def test_scaling_exponent_and_targets():
    module = _script("bench_scaling")
    sizes = [100_000, 200_000, 500_000, 1_000_000]
    linear = [{"n_docs": n, "seconds": n / 5000, "peak_rss_mb": 1000.0} for n in sizes]
    assert module.time_exponent(linear)["exponent"] == pytest.approx(1.0)
    quadratic = [{"n_docs": n, "seconds": (n / 1e5) ** 2} for n in sizes]
    e = module.time_exponent([{"n_docs": 5000, "seconds": 100.0}, *quadratic])  # sizes below 100k left out
    assert e["exponent"] == pytest.approx(2.0) and e["sizes"] == sizes and e["met"] is False
    s = module.summary(linear, 2)
    assert s["exponent"]["met"] and s["at_target"]["seconds_met"] and s["at_target"]["memory_met"]
    stopped = [*linear[:3], {"n_docs": 1_000_000, "stopped": "900 s > 900 s", "peak_rss_mb": 2000.0}]
    s = module.summary(stopped, 2)
    assert (
        s["exponent"]["complete"] is False and s["exponent"]["met"] is False and s["exponent"]["missing"] == [1_000_000]
    )
    assert s["at_target"]["state"].startswith("stopped") and not s["at_target"]["seconds_met"]
    assert not s["at_target"]["memory_met"]
    assert "stopped" in module._summary_table(s)


def test_text(tmp_path, capsys):
    payload = _run("bench_text", ["--n-docs", "60", "--repeat", "1"], tmp_path, capsys)
    assert payload["n_docs"] == 60 and payload["megabytes"] > 0
    assert set(payload["median_seconds"]) == {"before", "reference", "kernel"}
    assert all(v > 0 for v in payload["mb_per_second"].values())
    assert payload["kernel_equals_reference"] is True
    assert payload["shingles"]["kernel"] == payload["shingles"]["reference"] > 0
