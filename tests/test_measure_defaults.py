"""benchmarks/measure_defaults.py: the cross-validation never lets a test fold's labels into tuning, and
the script's in-sample and held-out output (smoke test on ../shared/data, skipped when it is absent)."""

from __future__ import annotations

import json
import sys
from collections import Counter

import numpy as np
import pytest

from dedup import DedupConfig

from .conftest import ROOT, shared_data

sys.path.insert(0, str(ROOT / "benchmarks"))
import measure_defaults as md


def _label_strata() -> list[str]:
    """The real strata of the labelled pairs (corpus and label), read from the ids-only label file."""
    with (ROOT / "benchmarks" / "labels" / "candidate_pairs.jsonl").open(encoding="utf-8") as f:
        return [f"{lab['corpus']}/{lab['label']}" for lab in map(json.loads, f)]


@pytest.mark.parametrize(("k", "seed"), [(5, 1), (5, 2), (3, 7), (10, 3)])
def test_folds_partition_the_pairs_and_keep_the_strata(k, seed):
    strata = _label_strata()
    folds = md.stratified_folds(strata, k, seed)
    assert len(folds) == k
    together = np.concatenate(folds)
    assert sorted(together.tolist()) == list(range(len(strata)))  # every pair in exactly one test fold
    sizes = [f.size for f in folds]
    assert max(sizes) - min(sizes) <= 1
    for stratum, n in Counter(strata).items():
        per_fold = [sum(strata[i] == stratum for i in f) for f in folds]
        assert sum(per_fold) == n and max(per_fold) - min(per_fold) <= 1, (stratum, per_fold)
    assert all(np.array_equal(a, b) for a, b in zip(folds, md.stratified_folds(strata, k, seed)))  # seeded
    assert not all(np.array_equal(a, b) for a, b in zip(folds, md.stratified_folds(strata, k, seed + 100)))


def test_fit_is_shown_only_the_training_indices():
    strata = _label_strata()
    seen = []

    def fit(train):
        seen.append(train.copy())
        return len(seen) - 1

    runs = md.cross_validate(strata, 5, [1, 2, 3], fit, lambda fitted, test: {"test_copy": test.copy()})
    assert len(runs) == len(seen) == 15
    for r in runs:
        train, test = seen[r["fitted"]], r["test_copy"]
        assert np.intersect1d(train, test).size == 0
        assert sorted(np.concatenate((train, test)).tolist()) == list(range(len(strata)))


def _synthetic_rows(n: int = 120, seed: int = 0) -> list[dict]:
    """Rows as ``features`` makes them, for word2 and word3, with scores loosely tied to the labels."""
    rng = np.random.default_rng(seed)
    label = rng.random(n) < 0.35
    corpus = np.where(rng.random(n) < 0.8, "reuters", "bbc")
    rows = []
    for shingles, noise in (("word2", 0.15), ("word3", 0.25)):
        base = np.clip(0.25 + 0.3 * label + rng.normal(0, noise, n), 0, 1)
        facts = np.where(rng.random(n) < 0.7, 1.0, rng.random(n))
        for i in range(n + 1):
            last = i == n  # the seeds pair, always found
            rows.append(
                {
                    "corpus": "seeds" if last else str(corpus[i]),
                    "a": f"a{i}",
                    "b": f"b{i}",
                    "shingles": shingles,
                    "label": 1 if last else int(label[i]),
                    "unsure": False,
                    "jaccard": 0.9 if last else base[i],
                    "weighted_jaccard": 0.9 if last else base[i],
                    "containment": 0.9 if last else min(1.0, base[i] * 1.3),
                    "weighted_containment": 0.9 if last else min(1.0, base[i] * 1.3),
                    "facts": 1.0 if last else facts[i],
                    "coverage": 0.9 if last else base[i],
                }
            )
    return rows


def test_tuning_reads_no_label_outside_the_training_folds():
    v = md.verdicts(_synthetic_rows())
    rng = np.random.default_rng(5)
    strata = [f"{c}/{int(y)}" for c, y in zip(v.corpus, v.label)]
    for test in md.stratified_folds(strata, 5, 1):
        train = np.setdiff1d(np.arange(v.label.size), test)
        scrambled = v.label.copy()
        scrambled[test] = rng.random(test.size) < 0.5  # any labels at all on the test fold
        other = md.Verdicts(v.settings, v.predicted, v.seeds_found, scrambled, v.corpus, v.unsure)
        assert md.tune(other, train) == md.tune(v, train)
        shipped_rule = np.array([i for i, s in enumerate(v.settings) if s.rule == md.SHIPPED_RULE])
        assert md.tune(other, train, shipped_rule) == md.tune(v, train, shipped_rule)


def test_held_out_report_on_synthetic_pairs():
    v = md.verdicts(_synthetic_rows())
    report = md.held_out(v, 5, [1, 2])
    assert set(report["methods"]) == {
        "shipped defaults",
        "threshold tuned on train folds",
        "everything tuned on train folds",
    }
    cfg = DedupConfig()
    assert report["shipped"] == f"word2, score (dedup), figures >= {cfg.fact_agreement}, threshold {cfg.threshold:.2f}"
    shipped = report["methods"]["shipped defaults"]
    # Nothing tuned: pooled held-out predictions are the in-sample ones, the same for every seed.
    for part in ("all", "reuters", "bbc"):
        for m in ("precision", "recall", "f1"):
            assert shipped["pooled"][part][m]["sd"] == 0
            assert shipped["pooled"][part][m]["mean"] == pytest.approx(report["in_sample"]["shipped defaults"][part][m])
    assert sum(report["methods"]["everything tuned on train folds"]["chosen"].values()) == 10
    assert all(
        s.startswith("word2, score (dedup)") for s in report["methods"]["threshold tuned on train folds"]["chosen"]
    )


def test_measure_defaults_on_the_labelled_pairs(tmp_path, capsys):
    data = shared_data("reuters21578.jsonl.gz").parent
    shared_data("bbc_news.jsonl.gz")
    out = tmp_path / "defaults.json"
    assert md.main(["--data", str(data), "--shingles", "word2", "--repeats", "2", "--json", str(out)]) == 0
    printed = capsys.readouterr().out
    assert printed.startswith("# ") and "Python" in printed.splitlines()[0]
    assert "## In-sample" in printed and "## Held-out: 5-fold cross-validation" in printed
    assert printed.index("## In-sample") < printed.index("## Held-out")
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert payload["command"].startswith("python benchmarks/measure_defaults.py --data ")
    assert {r["shingles"] for r in payload["in_sample"]} == {"word2"} and len(payload["in_sample"]) == 10
    held = payload["held_out"]
    assert held["pairs"] == 220 and held["seeds"] == [1, 2]
    for method in held["methods"].values():
        assert set(method["pooled"]) == {"all", "reuters", "bbc"}
    # The shipped defaults on held-out folds (docs/thresholds.md: precision 0.88, recall 0.92 pooled).
    pooled = held["methods"]["shipped defaults"]["pooled"]["all"]
    assert pooled["precision"]["mean"] >= 0.8 and pooled["recall"]["mean"] >= 0.85, pooled
