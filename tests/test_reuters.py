"""Defaults on real data: Reuters-21578 plus the seeds (skipped when ../shared/data is absent)."""

import gzip
import json

import pytest

from dedup import Article, find_duplicates

from .conftest import ROOT, shared_data


def _labels():
    with (ROOT / "benchmarks" / "labels" / "candidate_pairs.jsonl").open(encoding="utf-8") as f:
        return [json.loads(line) for line in f if json.loads(line)["corpus"] == "reuters"]


@pytest.fixture(scope="module")
def reuters_result(seed_texts):
    path = shared_data("reuters21578.jsonl.gz")
    with gzip.open(path, "rt", encoding="utf-8") as f:
        records = [json.loads(line) for line in f]
    articles = [
        Article(id="seed-reuters", text=seed_texts[0], published="2026-03-04T06:00:00Z"),
        Article(id="seed-unn", text=seed_texts[1], published="2026-03-04T09:30:00Z"),
    ]
    articles += [Article(id=r["id"], text=r["text"], published=r.get("published")) for r in records]
    return find_duplicates(articles, coverage=False)


def test_seeds_grouped_among_all_of_reuters(reuters_result):
    cluster = next(c for c in reuters_result.clusters if "seed-unn" in c.ids)
    assert set(cluster.ids) == {"seed-reuters", "seed-unn"}
    assert cluster.representative == "seed-reuters"


def test_labelled_pairs_precision_and_recall(reuters_result):
    labels = _labels()
    found = {(p.a, p.b) for p in reuters_result.pairs} | {(p.b, p.a) for p in reuters_result.pairs}
    tp = sum(1 for lab in labels if lab["label"] == 1 and (lab["a"], lab["b"]) in found)
    fp = sum(1 for lab in labels if lab["label"] == 0 and (lab["a"], lab["b"]) in found)
    positives = sum(lab["label"] == 1 for lab in labels)
    # Measured on the 180 Reuters pairs: precision 37/45 = 0.82, recall 37/43 = 0.86, in-sample (the defaults were
    # chosen on these pairs); held out by cross-validation 0.81 and 0.85 (docs/thresholds.md#held-out-accuracy).
    assert tp / max(1, tp + fp) >= 0.75, (tp, fp)
    assert tp / positives >= 0.83, (tp, positives)


def test_templated_items_about_other_companies_are_not_grouped(reuters_result):
    templates = [
        lab
        for lab in _labels()
        if lab["label"] == 0
        and any(w in lab["why"].lower() for w in ("template", "different compan", "different issuer"))
    ]
    assert len(templates) >= 30
    found = {(p.a, p.b) for p in reuters_result.pairs} | {(p.b, p.a) for p in reuters_result.pairs}
    flagged = [lab for lab in templates if (lab["a"], lab["b"]) in found]
    assert len(flagged) <= len(templates) // 10, (len(templates), flagged)
    assert reuters_result.stats["articles"] == 21580
