"""Measure the verification defaults on hand-labelled candidate pairs (docs/thresholds.md).

For each shingling (word 1/2/3-grams, char 5-grams) and each verification rule (plain or
idf-weighted Jaccard, containment, alignment coverage, with or without the figure check), report
precision, recall and F1 on ``benchmarks/labels/candidate_pairs.jsonl`` (220 Reuters-21578 and BBC
pairs labelled by reading them) plus whether the seeds pair is found. The idf weights come from
the whole corpus the pair belongs to, as in ``dedup find``.

    python benchmarks/measure_defaults.py --data ../shared/data [--json OUT]
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import sys
from pathlib import Path
from typing import Sequence

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dedup import DedupConfig, align  # noqa: E402
from dedup.verify import CONTAINMENT_WEIGHT, Corpus, evidence, fact_sets  # noqa: E402

SHINGLINGS = [("word", 1), ("word", 2), ("word", 3), ("char", 5)]


def _load(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def features(data: Path) -> list[dict]:
    labels = [json.loads(line) for line in (ROOT / "benchmarks" / "labels" / "candidate_pairs.jsonl").open()]
    seeds = [(ROOT / "examples" / "seeds" / name).read_text(encoding="utf-8") for name in ("reuters_openai_nato.txt", "unn_openai_nato.txt")]
    rows = []
    for corpus, name in (("reuters", "reuters21578.jsonl.gz"), ("bbc", "bbc_news.jsonl.gz")):
        records = _load(data / name)
        ids = [r["id"] for r in records] + ["seed-a", "seed-b"]
        texts = [r["text"] for r in records] + seeds
        position = {k: i for i, k in enumerate(ids)}
        wanted = [lab for lab in labels if lab["corpus"] == corpus]
        if corpus == "reuters":
            wanted.append({"corpus": "seeds", "a": "seed-a", "b": "seed-b", "label": 1})
        pairs = np.array([[position[lab["a"]], position[lab["b"]]] for lab in wanted])
        coverage = []
        for lab in wanted:
            al = align(texts[position[lab["a"]]], texts[position[lab["b"]]], diff=False)
            coverage.append(min(al.coverage_a, al.coverage_b))
        facts = fact_sets(texts)
        for unit, size in SHINGLINGS:
            cfg = DedupConfig(shingle_unit=unit, shingle_size=size)
            from dedup.shingles import Shingler

            sets = Shingler(unit=unit, size=size).shingle(texts).sets()
            ev = evidence(Corpus.from_sets(sets, facts, texts, cfg), pairs, cfg)
            for k, lab in enumerate(wanted):
                rows.append({
                    "corpus": lab["corpus"], "shingles": f"{unit}{size}", "label": lab["label"],
                    "jaccard": ev.jaccard[k], "weighted_jaccard": ev.weighted_jaccard[k],
                    "containment": max(ev.containment_a[k], ev.containment_b[k]),
                    "weighted_containment": max(ev.weighted_containment_a[k], ev.weighted_containment_b[k]),
                    "facts": ev.facts[k], "coverage": coverage[k],
                })
    return rows


RULES = {
    "jaccard": lambda r, t: r["jaccard"] >= t,
    "weighted_jaccard": lambda r, t: r["weighted_jaccard"] >= t,
    "containment": lambda r, t: r["containment"] >= t,
    "coverage": lambda r, t: r["coverage"] >= t,
    "score (dedup)": lambda r, t: max(r["weighted_jaccard"], CONTAINMENT_WEIGHT * r["weighted_containment"]) >= t,
}


def evaluate(rows: list[dict]) -> list[dict]:
    results = []
    for shingles in dict.fromkeys(r["shingles"] for r in rows):
        sub = [r for r in rows if r["shingles"] == shingles]
        y = np.array([r["label"] == 1 for r in sub])
        for rule, test in RULES.items():
            for facts in (0.0, 0.8):
                best = None
                for t in np.round(np.arange(0.15, 0.96, 0.05), 2):
                    pred = np.array([test(r, t) and r["facts"] >= facts for r in sub])
                    tp, fp, fn = int((pred & y).sum()), int((pred & ~y).sum()), int((~pred & y).sum())
                    f1 = 2 * tp / max(1, 2 * tp + fp + fn)
                    seed = bool(pred[[i for i, r in enumerate(sub) if r["corpus"] == "seeds"][0]])
                    cand = {"shingles": shingles, "rule": rule, "fact_agreement": facts, "threshold": float(t),
                            "precision": tp / max(1, tp + fp), "recall": tp / max(1, tp + fn), "f1": f1, "seeds_found": seed}
                    if best is None or (cand["f1"], cand["seeds_found"]) > (best["f1"], best["seeds_found"]):
                        best = cand
                results.append(best)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--json", type=Path, metavar="OUT")
    args = parser.parse_args(argv)
    print(f"# {platform.platform()}, Python {platform.python_version()}")
    rows = features(args.data)
    results = evaluate(rows)
    print("| shingles | rule | figure check | best threshold | precision | recall | F1 | seeds found |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(f"| {r['shingles']} | {r['rule']} | {'>= 0.8' if r['fact_agreement'] else 'off'} | {r['threshold']:.2f} | "
              f"{r['precision']:.2f} | {r['recall']:.2f} | {r['f1']:.3f} | {'yes' if r['seeds_found'] else 'no'} |")
    if args.json:
        args.json.write_text(json.dumps(results, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
