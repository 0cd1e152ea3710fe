"""Accuracy on wire feeds, at the shipped defaults: templates kept apart, copies found (docs/thresholds.md).

Runs ``dedup.find_duplicates`` as ``dedup find`` does over all of Reuters-21578 with the seeds pair, and over
BBC News, then reports:

- **templates**: of the flagged pairs whose titles both name tickers (``<PSY>``, ``<AGREA.O>``: exchange
  suffixes stripped before comparing), how many name disjoint tickers (dividend notices, eurobond issues,
  earnings lines of different companies), and lists those pairs to read: some are one company re-ticketed;
- **the seeds pair**: found or not;
- **BBC**: the pairs flagged now against the pairs flagged at the reference commit
  (``benchmarks/labels/bbc_flagged_reference.jsonl``, ids only): a pair that is no longer flagged is listed;
- **updates**: the articles named updates of an earlier one (the same report with its figures changed,
  published within the update window), listed to read;
- **labelled pairs**: precision and recall of the whole pipeline on the 220 hand-labelled candidate pairs
  (``benchmarks/labels/candidate_pairs.jsonl``), by corpus. No setting is tuned here, so these are held-out
  figures for any rule tuned on the template rate.

    python benchmarks/bench_wire.py --data ../shared/data [--json OUT] [--write-reference] [--without-lead-check]

``--without-lead-check`` also runs with ``lead_terms=0`` (the check that keeps templates of different
companies apart turned off), to show what it does.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import sys
import time
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from _common import code_revision, platform_line, table, write_json

LABELS = ROOT / "benchmarks" / "labels"
SEEDS = ROOT / "examples" / "seeds"
SEED_IDS = ("seed-reuters", "seed-unn")
# A ticker in a Reuters title: <PSY>, <AGREA.O>, <BP.L>; the suffix after the dot names the exchange.
_TICKER = re.compile(r"<([A-Z0-9][A-Z0-9&-]*)(?:\.[A-Z]{1,3})?>")


def tickers(title: str | None) -> frozenset[str]:
    """The tickers a title names, exchange suffixes stripped (``<AGREA.O>`` is ``AGREA``)."""
    return frozenset(m.group(1) for m in _TICKER.finditer(title or ""))


@dataclass
class TemplateRate:
    ticker_pairs: int = 0
    disjoint: list[tuple[str, str, float]] = field(default_factory=list)

    @property
    def rate(self) -> float:
        return len(self.disjoint) / self.ticker_pairs if self.ticker_pairs else 0.0


def template_rate(pairs: Iterable[tuple[str, str, float]], titles: dict[str, str | None]) -> TemplateRate:
    """Of the pairs ``(a, b, score)`` whose titles both name tickers, those naming disjoint tickers."""
    out = TemplateRate()
    for a, b, score in pairs:
        ta, tb = tickers(titles.get(a)), tickers(titles.get(b))
        if ta and tb:
            out.ticker_pairs += 1
            if not ta & tb:
                out.disjoint.append((a, b, score))
    return out


def labelled_scores(flagged: set[frozenset[str]], labels: Sequence[dict[str, Any]]) -> dict[str, float]:
    """Precision and recall of ``flagged`` on labelled pairs (label 1: the same story, 0: not)."""
    tp = sum(1 for p in labels if p["label"] == 1 and frozenset((p["a"], p["b"])) in flagged)
    fp = sum(1 for p in labels if p["label"] == 0 and frozenset((p["a"], p["b"])) in flagged)
    positives = sum(1 for p in labels if p["label"] == 1)
    return {
        "pairs": len(labels),
        "positives": positives,
        "found": tp,
        "false_positives": fp,
        "precision": tp / (tp + fp) if tp + fp else 1.0,
        "recall": tp / positives if positives else 1.0,
    }


def _load(path: Path) -> list[dict[str, Any]]:
    with gzip.open(path, "rt", encoding="utf-8") as f:
        return [json.loads(line) for line in f]


def _seeds() -> list[dict[str, Any]]:
    names = ("reuters_openai_nato.txt", "unn_openai_nato.txt")
    return [{"id": i, "text": (SEEDS / n).read_text(encoding="utf-8")} for i, n in zip(SEED_IDS, names)]


def _flag(
    docs: list[dict[str, Any]], overrides: dict[str, Any]
) -> tuple[list[tuple[str, str, float]], list[dict[str, Any]], float]:
    """The near-duplicate pairs ``(a, b, score)``, the update verdicts, and the seconds the run took."""
    from dedup import Article, DedupConfig, find_duplicates

    articles = [
        Article(id=d["id"], text=d["text"], title=d.get("title"), source=d.get("source"), published=d.get("published"))
        for d in docs
    ]
    started = time.perf_counter()
    result = find_duplicates(articles, DedupConfig(coverage=False, **overrides))  # coverage never changes a verdict
    seconds = time.perf_counter() - started
    duplicates = [(p.a, p.b, p.score) for p in result.pairs if p.kind == "duplicate"]
    updates = [
        {"id": v.id, "update_of": v.update_of, "reason": v.reason} for v in result.verdicts if v.status == "update"
    ]
    return duplicates, updates, seconds


def measure(data: Path, overrides: dict[str, Any] | None = None) -> dict[str, Any]:
    labels = [json.loads(line) for line in (LABELS / "candidate_pairs.jsonl").read_text(encoding="utf-8").splitlines()]
    reuters = _seeds() + _load(data / "reuters21578.jsonl.gz")
    bbc = _load(data / "bbc_news.jsonl.gz")
    report: dict[str, Any] = {"revision": code_revision(), "platform": platform_line(), "overrides": overrides or {}}
    for name, docs in (("reuters", reuters), ("bbc", bbc)):
        pairs, updates, seconds = _flag(docs, overrides or {})
        titles = {d["id"]: d.get("title") for d in docs}
        flagged = {frozenset((a, b)) for a, b, _ in pairs}
        entry: dict[str, Any] = {"articles": len(docs), "pairs": len(pairs), "seconds": round(seconds, 2)}
        entry["updates"] = [
            {**u, "title": titles.get(u["id"]), "title_of": titles.get(u["update_of"])} for u in updates
        ]
        entry["labelled"] = labelled_scores(flagged, [p for p in labels if p["corpus"] == name])
        if name == "reuters":
            rate = template_rate(pairs, titles)
            entry["ticker_pairs"], entry["template_rate"] = rate.ticker_pairs, rate.rate
            entry["disjoint"] = [
                {"a": a, "b": b, "score": round(s, 3), "title_a": titles[a], "title_b": titles[b]}
                for a, b, s in sorted(rate.disjoint, key=lambda p: -p[2])
            ]
            entry["seeds_found"] = frozenset(SEED_IDS) in flagged
        else:
            entry["flagged"] = sorted(sorted(p) for p in flagged)
        report[name] = entry
    return report


def _reference() -> set[frozenset[str]] | None:
    path = LABELS / "bbc_flagged_reference.jsonl"
    if not path.exists():
        return None
    return {frozenset((r["a"], r["b"])) for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())}


def print_report(report: dict[str, Any]) -> None:
    reu, bbc = report["reuters"], report["bbc"]
    overrides = report.get("overrides") or {}
    what = "the shipped defaults" + (f" with {overrides}" if overrides else "")
    print(f"# Accuracy on wire feeds at {what} ({report['revision']}; {report['platform']})\n")
    print(
        table(
            [
                [
                    "Reuters-21578 + seeds",
                    f"{reu['articles']:,}",
                    f"{reu['pairs']:,}",
                    reu["ticker_pairs"],
                    f"{len(reu['disjoint'])} ({reu['template_rate']:.1%})",
                    "yes" if reu["seeds_found"] else "**no**",
                ]
            ],
            ["corpus", "articles", "pairs flagged", "ticker pairs", "disjoint tickers", "seeds pair found"],
        )
    )
    print("\nFlagged pairs naming disjoint tickers (read them: some are one company re-ticketed):\n")
    print(
        table(
            [[d["a"], d["b"], d["score"], d["title_a"], d["title_b"]] for d in reu["disjoint"]],
            ["a", "b", "score", "title a", "title b"],
        )
    )
    reference = _reference()
    now = {frozenset(p) for p in bbc["flagged"]}
    print(f"\nBBC News: {bbc['pairs']} pairs flagged", end="")
    if reference is not None:
        lost = sorted(sorted(p) for p in reference - now)
        print(
            f"; of the {len(reference)} reference pairs, {len(reference & now)} still flagged, "
            f"{len(lost)} not: {lost}; {len(now - reference)} new"
        )
    else:
        print(" (no reference file)")
    rows = []
    for name, entry in (("Reuters", reu), ("BBC", bbc)):
        lab = entry["labelled"]
        rows.append(
            [
                name,
                lab["pairs"],
                f"{lab['found']}/{lab['positives']}",
                lab["false_positives"],
                f"{lab['precision']:.3f}",
                f"{lab['recall']:.3f}",
            ]
        )
    print("\nLabelled candidate pairs (the whole pipeline; nothing here was tuned on them):\n")
    print(table(rows, ["corpus", "pairs", "near-duplicates found", "false positives", "precision", "recall"]))
    for name, entry in (("Reuters", reu), ("BBC", bbc)):
        print(f"\n{name}: {len(entry['updates'])} articles named updates (read them):\n")
        if entry["updates"]:
            print(
                table(
                    [[u["update_of"], u["id"], u["title_of"], u["title"], u["reason"]] for u in entry["updates"]],
                    ["earlier", "update", "title earlier", "title update", "reason"],
                )
            )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=ROOT.parent / "shared" / "data", help="the shared data folder")
    parser.add_argument("--json", type=Path, help="write the report as JSON")
    parser.add_argument("--write-reference", action="store_true", help="rewrite the BBC reference pairs")
    parser.add_argument("--without-lead-check", action="store_true", help="also run with lead_terms=0")
    args = parser.parse_args(argv)
    report = measure(args.data)
    if args.write_reference:
        lines = [json.dumps({"a": a, "b": b}) for a, b in report["bbc"]["flagged"]]
        (LABELS / "bbc_flagged_reference.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    print_report(report)
    if args.without_lead_check:
        report = {"defaults": report, "without_lead_check": measure(args.data, {"lead_terms": 0})}
        print()
        print_report(report["without_lead_check"])
    write_json(args.json, report)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
