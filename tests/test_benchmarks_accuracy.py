"""The accuracy benchmark, the S-curve plot and the docs generator: smoke tests on tiny corpora, the
exact all-pairs Jaccard against a brute-force reference, and measured LSH recall against the S-curve.

No timing is asserted anywhere.
"""

from __future__ import annotations

import importlib.util
import json
import sys
from pathlib import Path

import numpy as np
import pytest

from dedup.shingles import ShingleBatch

ROOT = Path(__file__).resolve().parent.parent
BENCHMARKS = ROOT / "benchmarks"

pytest.importorskip("scipy")


def _script(name: str):
    if str(BENCHMARKS) not in sys.path:
        sys.path.insert(0, str(BENCHMARKS))
    spec = importlib.util.spec_from_file_location(f"_bench_{name}", BENCHMARKS / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="module")
def acc():
    return _script("bench_accuracy")


def _batch(docs: list[np.ndarray]) -> ShingleBatch:
    lengths = [d.shape[0] for d in docs]
    hashes = np.concatenate(docs).astype(np.uint32) if docs else np.empty(0, np.uint32)
    return ShingleBatch(hashes, np.concatenate(([0], np.cumsum(lengths))).astype(np.int64))


def _pairs_of_known_jaccard(seed: int, n_pairs: int) -> ShingleBatch:
    """``n_pairs`` disjoint pairs of random sets, pair k with Jaccard spread over 0.15..0.95; sorted sets."""
    rng = np.random.default_rng(seed)
    docs = []
    for _ in range(n_pairs):
        j, size = rng.uniform(0.15, 0.95), int(rng.integers(60, 160))
        shared = round(2 * j * size / (1 + j))  # |A| = |B| = size: J = shared / (2 size - shared)
        values = rng.choice(2**32 - 1, size=2 * size - shared, replace=False).astype(np.uint32)
        docs += [np.sort(values[:size]), np.sort(np.concatenate((values[:shared], values[size:])))]
    return _batch(docs)


# --------------------------------------------------------------------------------------------
# Exact Jaccard and the statistics, against slow references
# --------------------------------------------------------------------------------------------


@pytest.mark.parametrize("seed", range(3))
def test_exact_pairs_equal_brute_force(acc, seed):
    rng = np.random.default_rng(seed)
    docs = [np.unique(rng.integers(0, 60, rng.integers(1, 25))).astype(np.uint32) for _ in range(45)]
    sets = _batch(docs)
    exact = acc.exact_pairs(sets, min_jaccard=0.2, low_below=0.2, low_sample=10_000, block_rows=7)
    brute = {}
    for i in range(len(docs)):
        for j in range(i + 1, len(docs)):
            a, b = set(docs[i].tolist()), set(docs[j].tolist())
            if a & b:
                brute[(i, j)] = len(a & b) / len(a | b)
    got = {tuple(p): j for p, j in zip(exact.pairs.tolist(), exact.jaccard.tolist())}
    assert got == pytest.approx({k: v for k, v in brute.items() if v >= 0.2})
    low = {tuple(p): j for p, j in zip(exact.low_pairs.tolist(), exact.low_jaccard.tolist())}
    assert low == pytest.approx({k: v for k, v in brute.items() if v < 0.2})  # sample larger than the population
    assert exact.sharing == len(brute)
    random = acc.random_pairs(len(docs), 50, rng)
    expected = [brute.get(tuple(p), 0.0) for p in random.tolist()]
    assert acc.jaccard_of(sets, random) == pytest.approx(expected)


def test_low_sample_is_capped_and_correct(acc):
    sets = _pairs_of_known_jaccard(0, 40)
    exact = acc.exact_pairs(sets, min_jaccard=0.99, low_below=1.0, low_sample=5, block_rows=9)
    assert exact.low_pairs.shape == (5, 2)
    assert acc.jaccard_of(sets, exact.low_pairs) == pytest.approx(exact.low_jaccard)


def test_estimate_bins(acc):
    labels = [acc.ESTIMATE_BINS[b][0] for b in acc.estimate_bin(np.array([0.0, 0.05, 0.1, 0.55, 0.999, 1.0]))]
    assert labels == ["0 (disjoint)", "> 0–0.1", "0.1–0.2", "0.5–0.6", "0.9–1.0", "1 (identical)"]


@pytest.mark.parametrize("seed", range(3))
def test_lsh_recall_follows_the_s_curve(acc, seed):
    """Pairs with independent random shingles: the count found is within 4.5 SD of the S-curve's sum."""
    sets = _pairs_of_known_jaccard(seed, 300)
    exact = acc.exact_pairs(sets, min_jaccard=0.1)
    assert exact.pairs.shape[0] == 300  # only the constructed pairs share shingles
    recall = acc.lsh_recall(
        sets, exact, seeds=[seed + 1], settings=[(0.3, (0.5, 0.5)), (0.5, (0.5, 0.5)), (0.8, (0.5, 0.5))]
    )
    for r in recall.values():
        is_true = exact.jaccard >= r["threshold"]
        p = acc.s_curve(exact.jaccard[is_true], bands=r["bands"], rows=r["rows"])
        assert abs(r["found"] - p.sum()) <= 4.5 * np.sqrt((p * (1 - p)).sum()) + 1
        assert r["predicted"] == pytest.approx(p.mean())
        assert r["found"] <= r["candidates"]  # every true pair found is a candidate


def test_minhash_estimates_are_unbiased_with_binomial_spread(acc):
    sets = _pairs_of_known_jaccard(7, 300)
    pairs = np.arange(600, dtype=np.int64).reshape(-1, 2)
    jaccard = acc.jaccard_of(sets, pairs)
    est = acc.estimate_errors(sets, pairs, jaccard, seeds=[1, 2])
    for k, rows in est["by_num_perm"].items():
        overall = rows[-1]
        se_of_mean = overall["rmse_ideal"] / np.sqrt(2 * pairs.shape[0])
        assert abs(overall["bias"]) <= 5 * se_of_mean, k
        assert 0.8 * overall["rmse_ideal"] <= overall["rmse"] <= 1.25 * overall["rmse_ideal"], k
        assert overall["within_3se"] >= 0.95, k


# --------------------------------------------------------------------------------------------
# Smoke tests of the scripts
# --------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def accuracy_json(tmp_path_factory, acc):
    out = tmp_path_factory.mktemp("bench") / "accuracy.json"
    assert acc.main(["--n-docs", "80", "--repeat", "1", "--sample", "200", "--json", str(out)]) == 0
    return out


def test_bench_accuracy_runs(accuracy_json, acc, capsys):
    payload = json.loads(accuracy_json.read_text(encoding="utf-8"))
    assert payload[
        "command"
    ] == "python benchmarks/bench_accuracy.py --n-docs 80 --repeat 1 --sample 200 --json " + str(accuracy_json)
    assert payload["documents"] == 80 and payload["seeds"] == [1]
    assert "|---|" in payload["markdown"] and "docs/thresholds.md" not in payload["markdown"]
    assert set(payload["recall"]) == {"0.3", "0.5", "0.5 weights 0.2/0.8", "0.8"}
    for r in payload["recall"].values():
        assert 0 <= r["found"] <= r["true_pairs"]
        assert r["recall"] is None or 0 <= r["recall"] <= 1
    assert payload["recall"]["0.5"]["bands"] == 25 and payload["recall"]["0.5"]["rows"] == 5
    assert set(payload["estimate"]["by_num_perm"]) == {"64", "128", "256"}
    target = payload["targets"][0]
    assert target["value"] == payload["recall"]["0.5"]["recall"] and target["met"] == (target["value"] >= 0.95)


def test_bench_accuracy_prints_its_markdown(acc, tmp_path, capsys):
    out = tmp_path / "a.json"
    assert acc.main(["--n-docs", "40", "--repeat", "2", "--sample", "50", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert printed.startswith("# ") and "cores" in printed.splitlines()[0]
    assert payload["markdown"] in printed
    assert payload["seeds"] == [1, 2] and len(payload["recall"]["0.5"]["runs"]) == 2


def test_plot_scurve_writes_a_png(accuracy_json, tmp_path, capsys):
    plot = _script("plot_scurve")
    png, out = tmp_path / "img" / "s.png", tmp_path / "scurve.json"
    assert plot.main(["--accuracy", str(accuracy_json), "--out", str(png), "--json", str(out)]) == 0
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n" and png.stat().st_size > 10_000
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert payload["image"] == str(png.resolve())
    assert payload["settings"]["defaults"]["bands"] == 28 and payload["settings"]["defaults"]["rows"] == 2
    assert payload["settings"]["defaults"]["seeds_jaccard"] == pytest.approx(0.42, abs=0.01)
    assert payload["markdown"] in capsys.readouterr().out
    assert plot.main(["--out", str(tmp_path / "plain.png")]) == 0  # without measurements


# --------------------------------------------------------------------------------------------
# make_docs
# --------------------------------------------------------------------------------------------

REUTERS = "reuters21578.jsonl.gz: 21,578 articles"


def _fake_results(json_dir: Path, img: Path) -> None:
    """Valid-looking JSON for every script but bench_stages (left out on purpose)."""
    json_dir.mkdir(parents=True, exist_ok=True)
    img.parent.mkdir(parents=True, exist_ok=True)
    img.write_bytes(b"\x89PNG\r\n\x1a\n")
    files = {
        "end_to_end": {
            "command": "python benchmarks/bench_end_to_end.py --corpus X",
            "platform": "P; 2 cores",
            "corpus": REUTERS,
            "ratios": {
                "datasketch/dedup": 12.5,
                "rensa/dedup": 2.5,
                "memory dedup/datasketch": 0.4,
                "datasketch/dedup-2-workers": 9.0,
                "rensa/dedup-2-workers": 3.5,
                "dedup-2-workers/dedup": 0.7,
            },
            "markdown": "| e2e |\n|---|\n| 1 |",
        },
        "scaling": {
            "command": "python benchmarks/bench_scaling.py --corpus X",
            "platform": "P; 2 cores",
            "corpus": REUTERS,
            "runs": {
                "defaults": [
                    {"n_docs": 100_000, "seconds": 25.0, "peak_rss_mb": 600.0},
                    {"n_docs": 1_000_000, "seconds": 250.0, "peak_rss_mb": 5000.0},
                ]
            },
            "summary": {
                "defaults": {
                    "exponent": {"exponent": 1.0, "in_range": True, "complete": True, "missing": [], "met": True},
                    "at_target": {"state": "completed", "seconds": 250.0, "peak_rss_mb": 5000.0},
                }
            },
            "plot": str(img),
            "markdown": "| scaling |\n|---|\n| 2 |",
        },
        "templated": {
            "command": "python benchmarks/bench_templated.py --corpus X",
            "platform": "P; 2 cores",
            "ratio": 1.5,
            "summary": {"templated": {"seconds": 3.0, "peak_mb": 400.0, "worker_peak_mb": 300.0, "pairs": 2}},
            "markdown": "| templated |\n|---|\n| 4 |",
        },
        "accuracy": {
            "command": "python benchmarks/bench_accuracy.py --corpus X",
            "platform": "P; 2 cores",
            "corpus": REUTERS,
            "recall": {"0.5": {"recall": 0.96}},
            "markdown": "| accuracy |\n|---|\n| 3 |",
        },
        "align": {
            "platform": "P",
            "pairs": 10,
            "source": "synthetic",
            "diff=True": {"median_ms": 1.5, "p90_ms": 2.5},
            "diff=False": {"median_ms": 1.0, "p90_ms": 2.0},
            "linked_share": 0.9,
        },
        "redis": {
            "command": "python benchmarks/bench_redis.py --corpus X",
            "platform": "P; 2 cores",
            "corpus": REUTERS,
            "markdown": "| redis |\n|---|\n| 5 |",
        },
    }
    for name, payload in files.items():
        (json_dir / f"{name}.json").write_text(json.dumps(payload), encoding="utf-8")


def _target_rows(page: str) -> dict[str, list[str]]:
    section = page.split("## Targets of issue 7", 1)[1].split("\n## ", 1)[0]
    rows = [
        line.strip("|").split(" | ") for line in section.splitlines() if line.startswith("| ") and "---" not in line
    ]
    return {row[0].strip(): [c.strip() for c in row[1:]] for row in rows[1:]}


def test_make_docs_renders_from_json(tmp_path, capsys):
    make_docs = _script("make_docs")
    json_dir, out = tmp_path / "json", tmp_path / "docs" / "benchmarks.md"
    _fake_results(json_dir, tmp_path / "docs" / "img" / "scaling.png")
    assert make_docs.main(["--from-json", str(json_dir), "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    targets = _target_rows(page)
    met = {name: row[1] for name, row in targets.items()}
    assert met == {
        "defaults: 1,000,000 articles with `dedup find`'s settings in ≤ 5 minutes (2 cores)": "**met**",
        "defaults: 1,000,000 articles with ≤ 3 GB peak memory": "**not met**",
        "defaults: time exponent from 100,000 to 1,000,000 articles ≤ 1.1": "**met**",
        "defaults: a templated feed in ≤ 3× the time of a real one": "**met**",
        "defaults: a templated feed peaks under 1 GB": "**met**",
        "defaults: a templated feed flags nothing": "**not met**",
        "like for like: end to end ≥ 10× faster than datasketch, one process": "**met**",
        "like for like: end to end ≥ 3× faster than rensa, one process": "**not met**",
        "like for like: `workers=2` faster than one process (time of 2 workers / 1)": "**met**",
        "… with 2 workers ≥ 10× faster than datasketch": "**not met**",
        "… with 2 workers ≥ 3× faster than rensa": "**met**",
        "like for like: peak memory ≤ ½ of datasketch's": "**met**",
        "LSH recall ≥ 0.95 at threshold 0.5 (word 5-grams, 128 permutations; issue 4)": "**met**",
    }
    assert next(iter(targets)).startswith("defaults:")  # the shipped defaults first
    assert targets["like for like: end to end ≥ 3× faster than rensa, one process"][0] == "2.5×"
    assert targets["defaults: a templated feed peaks under 1 GB"][0] == "400 MB"
    assert "not measured: no " in page.split("## Each stage alone", 1)[1]  # stages has no JSON
    for table_text in ("| e2e |", "| scaling |", "| templated |", "| accuracy |", "| redis |"):
        assert table_text in page
    assert "![Scaling to a million articles](img/scaling.png)" in page
    assert "| `align(a, b)` with word diffs | 1.500 | 2.500 |" in page  # bench_align's numbers rendered here
    assert "[thresholds.md](thresholds.md)" in page
    assert "[redis-benchmarks.md](redis-benchmarks.md)" in page.split("## A shared index on Redis", 1)[1]
    assert "- **Machine**: P; 2 cores\n" in page  # bench_align's shorter platform string folded in
    assert "$ python benchmarks/bench_accuracy.py --corpus X" in page


def test_make_docs_targets_need_their_numbers(tmp_path):
    make_docs = _script("make_docs")
    json_dir, out = tmp_path / "json", tmp_path / "benchmarks.md"
    _fake_results(json_dir, tmp_path / "img" / "scaling.png")
    scaling = json.loads((json_dir / "scaling.json").read_text())
    scaling["runs"]["defaults"][1] = {"n_docs": 1_000_000, "stopped": "resident memory 8,200 MB > 8,192 MB"}
    scaling["summary"]["defaults"] = {
        "exponent": {"exponent": 0.9, "in_range": True, "complete": False, "missing": [1_000_000], "met": False},
        "at_target": {"state": "stopped: resident memory 8,200 MB > 8,192 MB", "seconds": None, "peak_rss_mb": 8200.0},
    }
    scaling["corpus"] = "synthetic: 10 articles"
    (json_dir / "scaling.json").write_text(json.dumps(scaling))
    (json_dir / "accuracy.json").write_text("{not json")
    assert make_docs.main(["--from-json", str(json_dir), "--out", str(out)]) == 0
    targets = _target_rows(out.read_text(encoding="utf-8"))
    # A stopped size is a miss, said as such, never "not measured" or a number from a lower bound.
    stopped = targets["defaults: 1,000,000 articles with `dedup find`'s settings in ≤ 5 minutes (2 cores)"]
    assert stopped[:2] == ["—", "**not met**"] and "stopped: resident memory" in stopped[2]
    assert targets["defaults: 1,000,000 articles with ≤ 3 GB peak memory"][1] == "**not met**"
    exponent = targets["defaults: time exponent from 100,000 to 1,000,000 articles ≤ 1.1"]
    assert exponent[1] == "**not met**" and "stopped at 1,000,000" in exponent[2]
    recall = targets["LSH recall ≥ 0.95 at threshold 0.5 (word 5-grams, 128 permutations; issue 4)"]
    assert recall[1] == "not measured" and "not valid JSON" in recall[2]
    del scaling["summary"]
    (json_dir / "scaling.json").write_text(json.dumps(scaling))
    assert make_docs.main(["--from-json", str(json_dir), "--out", str(out)]) == 0
    targets = _target_rows(out.read_text(encoding="utf-8"))
    assert targets["defaults: 1,000,000 articles with ≤ 3 GB peak memory"][:2] == ["—", "not measured"]
    assert "indicative only" not in targets["like for like: end to end ≥ 3× faster than rensa, one process"][2]


def test_make_docs_missing_script_is_a_line_not_a_crash(tmp_path, monkeypatch, capsys):
    make_docs = _script("make_docs")
    ghost = make_docs.Script("ghost", "bench_ghost.py", "Ghost")
    monkeypatch.setattr(make_docs, "SCRIPTS", (ghost,))
    out = tmp_path / "benchmarks.md"
    assert make_docs.main(["--json-dir", str(tmp_path / "json"), "--out", str(out)]) == 0
    assert "## Ghost\n\nnot measured: bench_ghost.py missing\n" in out.read_text(encoding="utf-8")


def test_make_docs_runs_the_accuracy_chain(tmp_path, capsys):
    """A real run: bench_accuracy.py and plot_scurve.py in their own processes, the rest read from (no) JSON."""
    make_docs = _script("make_docs")
    json_dir, out = tmp_path / "json", tmp_path / "docs" / "benchmarks.md"
    assert make_docs.main(["--quick", "--only", "accuracy,scurve", "--json-dir", str(json_dir), "--out", str(out)]) == 0
    page = out.read_text(encoding="utf-8")
    accuracy = json.loads((json_dir / "accuracy.json").read_text(encoding="utf-8"))
    assert accuracy["markdown"].strip() in page
    assert (tmp_path / "docs" / "img" / "lsh-s-curve.png").exists()
    assert "![LSH S-curves](img/lsh-s-curve.png)" in page
    assert f"$ {accuracy['command']}" in page
    recall = _target_rows(page)["LSH recall ≥ 0.95 at threshold 0.5 (word 5-grams, 128 permutations; issue 4)"]
    assert recall[0] == f"{accuracy['recall']['0.5']['recall']:.3f}" and "indicative only" in recall[2]
    assert "not measured: no " in page.split("## End to end", 1)[1].split("\n## ", 1)[0]
    made = json.loads((json_dir / "make_docs.json").read_text(encoding="utf-8"))
    assert made["command"].startswith("python benchmarks/make_docs.py --quick")
