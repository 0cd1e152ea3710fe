"""Measure the verification defaults on hand-labelled candidate pairs (docs/thresholds.md).

For each shingling (word 1/2/3-grams, char 5-grams) and each verification rule (plain or
idf-weighted Jaccard, containment, alignment coverage, with or without the figure check), score
the pairs of ``benchmarks/labels/candidate_pairs.jsonl`` (220 Reuters-21578 and BBC pairs labelled
by reading them) and the seeds pair. The idf weights come from the whole corpus the pair belongs
to, as in ``dedup find``. Two kinds of figures are printed:

- **in-sample** (the table of earlier versions): each rule's best threshold and its precision,
  recall and F1 on the very pairs it was chosen on. Optimistic by construction.
- **held-out**: k-fold cross-validation over the labelled pairs, folds stratified by corpus and
  label, repeated over several seeds. Tuning (the choice of shingling, rule, figure check and
  threshold by best F1 among the settings that find the seeds pair, or of the threshold alone for
  the shipped rule) sees only the training folds; precision, recall and F1 are measured on the
  test fold. The shipped defaults (``DedupConfig()``) are scored fold by fold too. The seeds pair
  is a requirement, not a sample: it is in every training set and in no test fold.

    python benchmarks/measure_defaults.py --data ../shared/data [--folds 5] [--repeats 5] [--json OUT]
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import sys
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dedup import DedupConfig, align
from dedup.shingles import Shingler
from dedup.verify import CONTAINMENT_WEIGHT, Corpus, evidence

SHINGLINGS = [("word", 1), ("word", 2), ("word", 3), ("char", 5)]
THRESHOLDS = [float(t) for t in np.round(np.arange(0.15, 0.96, 0.05), 2)]
FIGURE_CHECKS = (0.0, 0.8)
SHIPPED_RULE = "score (dedup)"


def _load(path: Path) -> list[dict]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def features(data: Path, shinglings: Sequence[tuple[str, int]] = SHINGLINGS) -> list[dict]:
    """One row per (pair, shingling): the label and every similarity the rules look at."""
    with (ROOT / "benchmarks" / "labels" / "candidate_pairs.jsonl").open(encoding="utf-8") as f:
        labels = [json.loads(line) for line in f]
    seeds = [
        (ROOT / "examples" / "seeds" / name).read_text(encoding="utf-8")
        for name in ("reuters_openai_nato.txt", "unn_openai_nato.txt")
    ]
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
        for unit, size in shinglings:
            cfg = DedupConfig(shingle_unit=unit, shingle_size=size)
            shingled, facts = Shingler(unit=unit, size=size).shingle_with_figures(texts)  # as Corpus.build
            ev = evidence(Corpus.from_sets(shingled.sets(), facts, texts, cfg), pairs, cfg)
            for k, lab in enumerate(wanted):
                rows.append(
                    {
                        "corpus": lab["corpus"],
                        "a": lab["a"],
                        "b": lab["b"],
                        "shingles": f"{unit}{size}",
                        "label": lab["label"],
                        "unsure": bool(lab.get("unsure", False)),
                        "jaccard": ev.jaccard[k],
                        "weighted_jaccard": ev.weighted_jaccard[k],
                        "containment": max(ev.containment_a[k], ev.containment_b[k]),
                        "weighted_containment": max(ev.weighted_containment_a[k], ev.weighted_containment_b[k]),
                        "facts": ev.facts[k],
                        "coverage": coverage[k],
                    }
                )
    return rows


RULES: dict[str, Callable[[dict], float]] = {
    "jaccard": lambda r: r["jaccard"],
    "weighted_jaccard": lambda r: r["weighted_jaccard"],
    "containment": lambda r: r["containment"],
    "coverage": lambda r: r["coverage"],
    "score (dedup)": lambda r: max(r["weighted_jaccard"], CONTAINMENT_WEIGHT * r["weighted_containment"]),
}


# --------------------------------------------------------------------------------------------
# Every setting's verdict on every pair, as one boolean matrix
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Setting:
    shingles: str
    rule: str
    fact_agreement: float
    threshold: float

    def describe(self) -> str:
        check = f"figures >= {self.fact_agreement}" if self.fact_agreement else "no figure check"
        return f"{self.shingles}, {self.rule}, {check}, threshold {self.threshold:.2f}"


@dataclass(frozen=True)
class Verdicts:
    """``predicted[s, p]``: setting ``s`` calls pair ``p`` a near-duplicate. Pairs exclude the seeds."""

    settings: list[Setting]
    predicted: np.ndarray  # bool, settings x pairs
    seeds_found: np.ndarray  # bool, one per setting
    label: np.ndarray  # bool, one per pair
    corpus: np.ndarray  # str, one per pair
    unsure: np.ndarray  # bool, one per pair

    def index(self, setting: Setting) -> int:
        return self.settings.index(setting)


def verdicts(rows: list[dict]) -> Verdicts:
    shinglings = list(dict.fromkeys(r["shingles"] for r in rows))
    settings, predicted, seeds_found = [], [], []
    first = [r for r in rows if r["shingles"] == shinglings[0] and r["corpus"] != "seeds"]
    for shingles in shinglings:
        sub = [r for r in rows if r["shingles"] == shingles]
        assert [(r["a"], r["b"]) for r in sub if r["corpus"] != "seeds"] == [(r["a"], r["b"]) for r in first]
        is_seed = np.array([r["corpus"] == "seeds" for r in sub])
        facts = np.array([r["facts"] for r in sub])
        for rule, score_of in RULES.items():
            score = np.array([score_of(r) for r in sub])
            for check in FIGURE_CHECKS:
                for t in THRESHOLDS:
                    pred = (score >= t) & (facts >= check)
                    settings.append(Setting(shingles, rule, check, t))
                    predicted.append(pred[~is_seed])
                    seeds_found.append(bool(pred[is_seed].all()))
    return Verdicts(
        settings,
        np.array(predicted),
        np.array(seeds_found),
        np.array([r["label"] == 1 for r in first]),
        np.array([r["corpus"] for r in first]),
        np.array([r["unsure"] for r in first]),
    )


def counts(pred: np.ndarray, y: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """True positives, false positives, false negatives along the last axis."""
    return (pred & y).sum(-1), (pred & ~y).sum(-1), (~pred & y).sum(-1)


def prf(tp, fp, fn) -> dict[str, float]:
    """Precision, recall and F1; 0 where undefined (no prediction, no positive)."""
    tp, fp, fn = (np.asarray(x, dtype=float) for x in (tp, fp, fn))
    return {
        "precision": tp / np.maximum(1, tp + fp),
        "recall": tp / np.maximum(1, tp + fn),
        "f1": 2 * tp / np.maximum(1, 2 * tp + fp + fn),
    }


def tune(v: Verdicts, train: np.ndarray, candidates: np.ndarray | None = None) -> int:
    """The setting with the best F1 on the pairs ``train`` (indices), among those that find the seeds.

    ``candidates`` (setting indices) restricts the choice, e.g. to the thresholds of one rule. Ties go
    to the first setting in ``v.settings`` order (shinglings, rules, figure check off before on,
    thresholds ascending). Only ``v.label[train]`` is read of the labels.
    """
    allowed = (
        np.flatnonzero(v.seeds_found)
        if candidates is None
        else np.intersect1d(candidates, np.flatnonzero(v.seeds_found))
    )
    if allowed.size == 0:
        allowed = np.arange(len(v.settings)) if candidates is None else np.asarray(candidates)
    f1 = prf(*counts(v.predicted[np.ix_(allowed, train)], v.label[train]))["f1"]
    return int(allowed[int(np.argmax(f1))])


# --------------------------------------------------------------------------------------------
# Cross-validation
# --------------------------------------------------------------------------------------------


def stratified_folds(strata: Sequence, k: int, seed: int) -> list[np.ndarray]:
    """``k`` disjoint test folds (sorted index arrays) covering ``range(len(strata))``.

    Each stratum is shuffled (``numpy.random.default_rng(seed)``) and dealt round-robin, starting each
    stratum where the previous one stopped: every stratum is split as evenly as possible (fold counts
    differ by at most one) and so are the fold sizes.
    """
    if k < 2:
        raise ValueError(f"k must be at least 2, got {k}")
    rng = np.random.default_rng(seed)
    folds: list[list[int]] = [[] for _ in range(k)]
    start = 0
    keys = list(dict.fromkeys(strata))
    for key in keys:
        members = np.array([i for i, s in enumerate(strata) if s == key])
        for j, i in enumerate(rng.permutation(members)):
            folds[(start + j) % k].append(int(i))
        start = (start + len(members)) % k
    return [np.array(sorted(f), dtype=np.int64) for f in folds]


def cross_validate(
    strata: Sequence,
    k: int,
    seeds: Sequence[int],
    fit: Callable[[np.ndarray], object],
    score: Callable[[object, np.ndarray], dict],
) -> list[dict]:
    """For each seed and fold: ``fit(train indices)``, then ``score(fitted, test indices)``.

    ``fit`` is never shown a test index; the returned records carry seed, fold, train, test and the
    scores.
    """
    n = len(strata)
    out = []
    for seed in seeds:
        for f, test in enumerate(stratified_folds(strata, k, seed)):
            train = np.setdiff1d(np.arange(n), test)
            fitted = fit(train)
            out.append({"seed": seed, "fold": f, "train": train, "test": test, "fitted": fitted, **score(fitted, test)})
    return out


def _mean_sd(values) -> dict[str, float]:
    values = np.asarray(values, dtype=float)
    return {
        "mean": float(values.mean()),
        "sd": float(values.std(ddof=1)) if values.size > 1 else 0.0,
        "min": float(values.min()),
        "max": float(values.max()),
    }


def held_out(v: Verdicts, k: int, seeds: Sequence[int]) -> dict:
    """Held-out precision, recall and F1 of three ways to set the verdict, over ``k`` folds x ``seeds``."""
    cfg = DedupConfig()
    shipped = v.index(Setting(f"{cfg.shingle_unit}{cfg.shingle_size}", SHIPPED_RULE, cfg.fact_agreement, cfg.threshold))
    shipped_rule = np.array(
        [
            i
            for i, s in enumerate(v.settings)
            if (s.shingles, s.rule, s.fact_agreement)
            == (v.settings[shipped].shingles, SHIPPED_RULE, cfg.fact_agreement)
        ]
    )
    methods = {
        "shipped defaults": lambda train: shipped,
        "threshold tuned on train folds": lambda train: tune(v, train, shipped_rule),
        "everything tuned on train folds": lambda train: tune(v, train),
    }
    strata = [f"{c}/{int(y)}" for c, y in zip(v.corpus, v.label)]

    def score(s: int, test: np.ndarray) -> dict:
        return {"pred": v.predicted[s, test]}

    report = {
        "folds": k,
        "seeds": list(seeds),
        "pairs": int(v.label.size),
        "positives": int(v.label.sum()),
        "shipped": v.settings[shipped].describe(),
        "methods": {},
    }
    for name, fit in methods.items():
        runs = cross_validate(strata, k, seeds, fit, score)
        per_fold = [prf(*counts(r["pred"], v.label[r["test"]])) for r in runs]
        train_f1 = [float(prf(*counts(v.predicted[r["fitted"], r["train"]], v.label[r["train"]]))["f1"]) for r in runs]
        pooled: dict[str, dict[str, list[float]]] = {}
        for seed in seeds:
            pred = np.zeros(v.label.size, dtype=bool)
            for r in runs:
                if r["seed"] == seed:
                    pred[r["test"]] = r["pred"]
            for part in ("all", *dict.fromkeys(v.corpus)):
                mask = np.ones(v.label.size, bool) if part == "all" else v.corpus == part
                for m, x in prf(*counts(pred[mask], v.label[mask])).items():
                    pooled.setdefault(part, {}).setdefault(m, []).append(float(x))
        report["methods"][name] = {
            "per_fold": {m: _mean_sd([p[m] for p in per_fold]) for m in ("precision", "recall", "f1")},
            "pooled": {part: {m: _mean_sd(x) for m, x in ms.items()} for part, ms in pooled.items()},
            "train_f1": _mean_sd(train_f1),
            "chosen": dict(Counter(v.settings[r["fitted"]].describe() for r in runs).most_common()),
        }
    every = np.arange(v.label.size)
    tuned_all = tune(v, every)
    report["in_sample"] = {}
    for name, s in (("shipped defaults", shipped), ("everything tuned on all pairs", tuned_all)):
        entry = {"setting": v.settings[s].describe()}
        for part in ("all", *dict.fromkeys(v.corpus)):
            mask = np.ones(v.label.size, bool) if part == "all" else v.corpus == part
            entry[part] = {m: float(x) for m, x in prf(*counts(v.predicted[s, mask], v.label[mask])).items()}
        report["in_sample"][name] = entry
    return report


# --------------------------------------------------------------------------------------------
# In-sample table (tuned and scored on the same pairs, seeds included)
# --------------------------------------------------------------------------------------------


def evaluate(rows: list[dict]) -> list[dict]:
    """Each (shingling, rule, figure check) at its best threshold on all the pairs: in-sample figures."""
    results = []
    for shingles in dict.fromkeys(r["shingles"] for r in rows):
        sub = [r for r in rows if r["shingles"] == shingles]
        y = np.array([r["label"] == 1 for r in sub])
        seed = next(i for i, r in enumerate(sub) if r["corpus"] == "seeds")
        facts = np.array([r["facts"] for r in sub])
        for rule, score_of in RULES.items():
            score = np.array([score_of(r) for r in sub])
            for check in FIGURE_CHECKS:
                best = None
                for t in THRESHOLDS:
                    pred = (score >= t) & (facts >= check)
                    m = prf(*counts(pred, y))
                    cand = {
                        "shingles": shingles,
                        "rule": rule,
                        "fact_agreement": check,
                        "threshold": t,
                        **{k: float(x) for k, x in m.items()},
                        "seeds_found": bool(pred[seed]),
                    }
                    if best is None or (cand["f1"], cand["seeds_found"]) > (best["f1"], best["seeds_found"]):
                        best = cand
                results.append(best)
    return results


def _fmt(s: dict) -> str:
    return f"{s['mean']:.2f} ± {s['sd']:.2f}"


def _print_held_out(report: dict) -> None:
    k, seeds = report["folds"], report["seeds"]
    print(
        f"\n## Held-out: {k}-fold cross-validation, stratified by corpus and label, seeds {', '.join(map(str, seeds))}"
    )
    print(
        f"\n{report['pairs']} labelled pairs ({report['positives']} near-duplicates); tuning sees only the training folds "
        f"(and the seeds pair); shipped defaults: {report['shipped']}."
    )
    print(f"\nPer test fold (mean ± SD over {k * len(seeds)} folds), and the training-fold F1 of the same choice:\n")
    print("| setting | precision | recall | F1 | F1 on its training folds |")
    print("|---|---|---|---|---|")
    for name, m in report["methods"].items():
        pf = m["per_fold"]
        print(f"| {name} | {_fmt(pf['precision'])} | {_fmt(pf['recall'])} | {_fmt(pf['f1'])} | {_fmt(m['train_f1'])} |")
    print(
        f"\nPooled over the {k} test folds of a seed (every pair predicted once, by a model that never saw it; "
        f"mean ± SD over {len(seeds)} seeds):\n"
    )
    print("| setting | pairs | precision | recall | F1 |")
    print("|---|---|---|---|---|")
    for name, m in report["methods"].items():
        for part, ms in m["pooled"].items():
            print(f"| {name} | {part} | {_fmt(ms['precision'])} | {_fmt(ms['recall'])} | {_fmt(ms['f1'])} |")
    print("\nIn-sample, for comparison (the same 220 pairs, seeds pair not counted):\n")
    print("| setting | pairs | precision | recall | F1 |")
    print("|---|---|---|---|---|")
    for name, entry in report["in_sample"].items():
        for part in ("all", "reuters", "bbc"):
            if part in entry:
                e = entry[part]
                print(
                    f"| {name} ({entry['setting']}) | {part} | {e['precision']:.2f} | {e['recall']:.2f} | {e['f1']:.3f} |"
                )
    for name, m in report["methods"].items():
        if name != "shipped defaults":
            chosen = "; ".join(f"{s} ({n}×)" for s, n in m["chosen"].items())
            print(f"\n{name}, chosen on the training folds: {chosen}")


def _parse_shingling(text: str) -> tuple[str, int]:
    unit = text.rstrip("0123456789")
    if unit not in ("word", "char") or unit == text:
        raise argparse.ArgumentTypeError(f"expected word<N> or char<N>, got {text!r}")
    return unit, int(text[len(unit) :])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data")
    parser.add_argument("--folds", type=int, default=5)
    parser.add_argument("--repeats", type=int, default=5, help="cross-validation seeds 1..N")
    parser.add_argument(
        "--shingles",
        type=_parse_shingling,
        nargs="+",
        metavar="UNIT+N",
        default=SHINGLINGS,
        help="shinglings to score (default: word1 word2 word3 char5)",
    )
    parser.add_argument("--json", type=Path, metavar="OUT")
    args = parser.parse_args(argv)
    print(f"# {platform.platform()}, Python {platform.python_version()}")
    cfg = DedupConfig()
    if (cfg.shingle_unit, cfg.shingle_size) not in args.shingles:
        parser.error(f"--shingles must include the shipped {cfg.shingle_unit}{cfg.shingle_size}")
    rows = features(args.data, args.shingles)
    results = evaluate(rows)
    print("\n## In-sample: each rule's best threshold, chosen and scored on the same 220 pairs plus the seeds pair\n")
    print("| shingles | rule | figure check | best threshold | precision | recall | F1 | seeds found |")
    print("|---|---|---|---|---|---|---|---|")
    for r in results:
        print(
            f"| {r['shingles']} | {r['rule']} | {'>= 0.8' if r['fact_agreement'] else 'off'} | {r['threshold']:.2f} | "
            f"{r['precision']:.2f} | {r['recall']:.2f} | {r['f1']:.3f} | {'yes' if r['seeds_found'] else 'no'} |"
        )
    report = held_out(verdicts(rows), args.folds, range(1, args.repeats + 1))
    _print_held_out(report)
    if args.json:
        command = "python benchmarks/measure_defaults.py " + " ".join(argv if argv is not None else sys.argv[1:])
        payload = {
            "command": command.strip(),
            "platform": platform.platform(),
            "in_sample": results,
            "held_out": report,
        }
        args.json.write_text(json.dumps(payload, indent=1), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
