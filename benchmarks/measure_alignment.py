"""Measure sentence scorers and thresholds for dedup.align on real news paraphrases.

Data (research-only, read in place, never copied): ``msrp_train.jsonl`` (MSRP, label 1 =
paraphrase) and ``sts_news_dev.jsonl`` (STS news, label 0-5) from ``--data`` (default
``../shared/data`` seen from the repository root).

Two measurements:

1. Pairs: each scorer on paraphrase pairs against (i) sentences of other pairs (what an aligner
   mostly has to reject) and (ii) MSRP's non-paraphrases (same story, different claim). Reported:
   ROC AUC and the threshold with the best F1.
2. Documents: seeded synthetic article pairs. A = k sentences ``a``; B = their paraphrases ``b``
   with one dropped, one unrelated sentence inserted, two neighbours merged into one sentence,
   one sentence of A made of two neighbours (split in B) and one sentence moved far out of
   order (the grid uses move_score = min_score + 0.1); sentences are picked to share vocabulary (one topic per document) so that the wrong
   sentences are plausible. Texts are joined with spaces and go through split_sentences, as in
   real use. Reported: precision, recall and F1 of the linked sentence pairs per scorer and
   min_score, the recall of merges, splits and moves, and the links found between unrelated
   documents of the same kind (A of one document against B of another): what a threshold
   chosen on F1 alone gets wrong.

Usage: python benchmarks/measure_alignment.py [--data DIR] [--docs N] [--json OUT]
"""

from __future__ import annotations

import argparse
import importlib
import json
import platform
import random
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
from rapidfuzz import fuzz, process

from dedup.align import LINKED_KINDS, SCORERS, align
from dedup.text import tokenize

align_module = importlib.import_module("dedup.align")  # not `import dedup.align`: the package re-exports align()

REPO = Path(__file__).resolve().parent.parent
DEFAULT_DATA = REPO.parent / "shared" / "data"
THRESHOLDS = [round(0.15 + 0.05 * k, 2) for k in range(14)]  # 0.15 .. 0.80
MOVE_MARGIN = 0.1  # in the grid, move_score = min_score + MOVE_MARGIN


def load_pairs(path: Path) -> list[dict[str, Any]]:
    with path.open(encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def sentence(text: str) -> str:
    """STS rows are lower case without final stops: make them look like running text."""
    text = " ".join(text.split())
    if text and text[0].islower():
        text = text[0].upper() + text[1:]
    if text and text[-1] not in ".!?\"'":
        text += "."
    return text


# ---------------------------------------------------------------------------------------------
# 1. Pairs
# ---------------------------------------------------------------------------------------------


def auc(pos: np.ndarray, neg: np.ndarray) -> float:
    scores = np.concatenate([pos, neg])
    ranks = scores.argsort(kind="stable").argsort(kind="stable") + 1.0
    # average ranks of ties
    order = np.argsort(scores, kind="stable")
    sorted_scores = scores[order]
    _, first, counts = np.unique(sorted_scores, return_index=True, return_counts=True)
    avg = first + (counts + 1) / 2.0
    ranks[order] = np.repeat(avg, counts)
    return float((ranks[: len(pos)].sum() - len(pos) * (len(pos) + 1) / 2) / (len(pos) * len(neg)))


def best_f1(pos: np.ndarray, neg: np.ndarray) -> tuple[float, float]:
    best = (0.0, 0.0)
    for t in np.arange(0.2, 0.96, 0.05):
        tp, fp, fn = (pos >= t).sum(), (neg >= t).sum(), (pos < t).sum()
        f1 = 2 * tp / max(2 * tp + fp + fn, 1)
        if f1 > best[0]:
            best = (float(f1), round(float(t), 2))
    return best


def pair_scores(pairs: list[tuple[str, str]], scorer: str) -> np.ndarray:
    ka, kb, _, _ = align_module._keys([tokenize(a) for a, _ in pairs], [tokenize(b) for _, b in pairs], scorer)
    fn = align_module._CHAR_SCORERS.get(scorer, fuzz.ratio)
    return process.cpdist(ka, kb, scorer=fn, processor=None, workers=1) / 100.0


def measure_pairs(name: str, pos: list[tuple[str, str]], near: list[tuple[str, str]], rng: random.Random) -> list[dict]:
    shuffled = [b for _, b in pos]
    rng.shuffle(shuffled)
    other = [(a, b) for (a, _), b in zip(pos, shuffled)]
    rows = []
    for scorer in SCORERS:
        sp, so = pair_scores(pos, scorer), pair_scores(other, scorer)
        row = {
            "data": name,
            "scorer": scorer,
            "pos_median": float(np.median(sp)),
            "other_p99": float(np.quantile(so, 0.99)),
            "auc_other": auc(sp, so),
            "f1_other": best_f1(sp, so),
        }
        if near:
            sn = pair_scores(near, scorer)
            row.update(near_median=float(np.median(sn)), auc_near=auc(sp, sn))
        rows.append(row)
    return rows


# ---------------------------------------------------------------------------------------------
# 2. Documents
# ---------------------------------------------------------------------------------------------


def join(x: str, y: str) -> str:
    """Two sentences made one: 'X did this. Y did that.' -> 'X did this; y did that.'"""
    return x.rstrip(" .") + "; " + y


def topical_groups(pairs: list[tuple[str, str]], k: int, n_docs: int, rng: random.Random) -> list[list[int]]:
    """Groups of k pair indices whose A sentences share vocabulary with a random seed pair."""
    sets = [set(tokenize(a)) for a, _ in pairs]
    groups = []
    for _ in range(n_docs):
        pool = rng.sample(range(len(pairs)), min(600, len(pairs)))
        seed = pool[0]
        pool.sort(key=lambda p: -len(sets[p] & sets[seed]) / (len(sets[p] | sets[seed]) or 1))
        group = pool[:k]
        rng.shuffle(group)
        groups.append(group)
    return groups


def build_doc(pairs: list[tuple[str, str]], group: list[int], rng: random.Random, spare: list[int]):
    """Documents A and B, as lists of pieces, and the gold links between piece indices."""
    a_items = [pairs[p][0] for p in group]
    b_items = [pairs[p][1] for p in group]
    k = len(group)
    # positions: 1 = merged in B, 4 = split in B (joined in A), 7 = dropped, 9 = moved
    gold_kind = {}
    a_doc: list[tuple[str, tuple[int, ...]]] = []  # (text, source pair positions)
    b_doc: list[tuple[str, tuple[int, ...]]] = []
    pos = 0
    while pos < k:
        if pos == 1:
            a_doc += [(a_items[1], (1,)), (a_items[2], (2,))]
            b_doc.append((join(b_items[1], b_items[2]), (1, 2)))
            gold_kind[(1, 2)] = "merged"
            pos += 2
        elif pos == 4:
            a_doc.append((join(a_items[4], a_items[5]), (4, 5)))
            b_doc += [(b_items[4], (4,)), (b_items[5], (5,))]
            gold_kind[(4, 5)] = "split"
            pos += 2
        elif pos == 7:
            a_doc.append((a_items[7], (7,)))
            pos += 1
        else:
            a_doc.append((a_items[pos], (pos,)))
            b_doc.append((b_items[pos], (pos,)))
            pos += 1
    # move the sentence of position 9 to the front of B; insert an unrelated sentence
    moved = next(i for i, (_, src) in enumerate(b_doc) if src == (9,))
    b_doc.insert(0, b_doc.pop(moved))
    b_doc.insert(rng.randrange(1, len(b_doc)), (pairs[rng.choice(spare)][1], ()))
    gold = {(ia, ib) for ia, (_, sa) in enumerate(a_doc) for ib, (_, sb) in enumerate(b_doc) if set(sa) & set(sb)}
    return a_doc, b_doc, gold


def piece_index(text_pieces: list[tuple[str, Any]]) -> tuple[str, list[int]]:
    text, starts = "", []
    for piece, _ in text_pieces:
        if text:
            text += " "
        starts.append(len(text))
        text += piece
    return text, starts


def owner(starts: list[int], offset: int) -> int:
    return int(np.searchsorted(starts, offset, side="right") - 1)


def predicted_links(result, starts_a, starts_b) -> tuple[set[tuple[int, int]], list[tuple[str, set]]]:
    pairs, kinds = set(), []
    for link in result.links:
        if link.kind not in LINKED_KINDS:
            continue
        ia = {owner(starts_a, result.sentences_a[k].start) for k in link.a}
        ib = {owner(starts_b, result.sentences_b[k].start) for k in link.b}
        pairs |= {(x, y) for x in ia for y in ib}
        kinds.append((link.kind, ia, ib))
    return pairs, kinds


def measure_docs(name: str, pairs: list[tuple[str, str]], n_docs: int, rng: random.Random, k: int = 12) -> dict:
    groups = topical_groups(pairs, k, n_docs, rng)
    docs = []
    for group in groups:
        members = set(group)
        spare = [p for p in rng.sample(range(len(pairs)), 50) if p not in members]
        a_doc, b_doc, gold = build_doc(pairs, group, rng, spare)
        text_a, starts_a = piece_index(a_doc)
        text_b, starts_b = piece_index(b_doc)
        docs.append((text_a, starts_a, text_b, starts_b, gold, a_doc, b_doc))
    rows = []
    for scorer in SCORERS:
        for t in THRESHOLDS:
            tp = fp = fn = 0
            special = {"merged": [0, 0], "split": [0, 0], "moved": [0, 0]}
            started = time.perf_counter()
            for text_a, starts_a, text_b, starts_b, gold, a_doc, b_doc in docs:
                result = align(
                    text_a, text_b, scorer=scorer, min_score=t, move_score=min(t + MOVE_MARGIN, 1.0), diff=False
                )
                pred, kinds = predicted_links(result, starts_a, starts_b)
                tp += len(pred & gold)
                fp += len(pred - gold)
                fn += len(gold - pred)
                for kind, (expect_a, expect_b) in (
                    ("merged", ({1, 2}, {next(i for i, (_, s) in enumerate(b_doc) if s == (1, 2))})),
                    (
                        "split",
                        (
                            {next(i for i, (_, s) in enumerate(a_doc) if s == (4, 5))},
                            {i for i, (_, s) in enumerate(b_doc) if s in ((4,), (5,))},
                        ),
                    ),
                    ("moved", ({next(i for i, (_, s) in enumerate(a_doc) if s == (9,))}, {0})),
                ):
                    special[kind][1] += 1
                    special[kind][0] += any(kd == kind and ia == expect_a and ib == expect_b for kd, ia, ib in kinds)
            elapsed = time.perf_counter() - started
            # unrelated pairs: A of one document against B of the next (same kind of topic, no paraphrases)
            false_links = 0
            for (text_a, *_), (_, _, text_b, *_) in zip(docs, docs[1:] + docs[:1]):
                result = align(
                    text_a, text_b, scorer=scorer, min_score=t, move_score=min(t + MOVE_MARGIN, 1.0), diff=False
                )
                false_links += sum(link.kind in LINKED_KINDS for link in result.links)
            precision, recall = tp / max(tp + fp, 1), tp / max(tp + fn, 1)
            rows.append(
                {
                    "data": name,
                    "scorer": scorer,
                    "min_score": t,
                    "precision": precision,
                    "recall": recall,
                    "f1": 2 * precision * recall / max(precision + recall, 1e-9),
                    **{f"{kind}_recall": hit / total for kind, (hit, total) in special.items()},
                    "ms_per_doc": 1000 * elapsed / len(docs),
                    "unrelated_links": false_links / len(docs),
                }
            )
    return {"rows": rows, "docs": len(docs), "sentences_per_doc": k}


def seeds_scores() -> list[dict]:
    seeds = REPO / "examples" / "seeds"
    a = (seeds / "reuters_openai_nato.txt").read_text(encoding="utf-8")
    b = (seeds / "unn_openai_nato.txt").read_text(encoding="utf-8")
    result = align(a, b)
    return [
        {"kind": link.kind, "a": list(link.a), "b": list(link.b), "score": round(link.score, 3)}
        for link in result.links
    ]


def table(rows: list[dict], columns: Sequence[str]) -> str:
    def fmt(v: Any) -> str:
        if isinstance(v, float):
            return f"{v:.3f}"
        if isinstance(v, tuple):
            return f"{v[0]:.3f} @ {v[1]:.2f}"
        return str(v)

    lines = ["| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
    lines += ["| " + " | ".join(fmt(r.get(c, "")) for c in columns) + " |" for r in rows]
    return "\n".join(lines)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data", type=Path, default=DEFAULT_DATA, help="folder with msrp_train.jsonl and sts_news_dev.jsonl"
    )
    parser.add_argument("--docs", type=int, default=150, help="synthetic documents per data set (default 150)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write all results to this file")
    args = parser.parse_args(argv)
    msrp_path, sts_path = args.data / "msrp_train.jsonl", args.data / "sts_news_dev.jsonl"
    if not msrp_path.exists() or not sts_path.exists():
        print(f"measure_alignment: data not found in {args.data}; pass --data DIR", file=sys.stderr)
        return 1
    rng = random.Random(args.seed)
    print(f"# {platform.python_implementation()} {platform.python_version()} on {platform.platform()}")
    msrp = load_pairs(msrp_path)
    sts = load_pairs(sts_path)
    msrp_pos = [(r["a"], r["b"]) for r in msrp if r["label"] == 1]
    msrp_neg = [(r["a"], r["b"]) for r in msrp if r["label"] == 0]
    sts_pos = [(sentence(r["a"]), sentence(r["b"])) for r in sts if r["label"] >= 4.0]
    sts_neg = [(sentence(r["a"]), sentence(r["b"])) for r in sts if r["label"] <= 2.0]
    results: dict[str, Any] = {"platform": platform.platform(), "python": platform.python_version()}

    pair_rows = measure_pairs("msrp", msrp_pos, msrp_neg, rng) + measure_pairs("sts>=4", sts_pos, sts_neg, rng)
    results["pairs"] = pair_rows
    print("\n## Pairs: paraphrases against other sentences (other) and non-paraphrases (near)\n")
    print(
        table(
            pair_rows, ["data", "scorer", "pos_median", "other_p99", "auc_other", "f1_other", "near_median", "auc_near"]
        )
    )

    results["documents"] = {}
    for name, pos in (("msrp", msrp_pos), ("sts>=4", sts_pos)):
        doc = measure_docs(name, pos, args.docs, rng)
        results["documents"][name] = doc
        best = {}
        for row in doc["rows"]:
            if row["scorer"] not in best or row["f1"] > best[row["scorer"]]["f1"]:
                best[row["scorer"]] = row
        print(
            f"\n## Documents ({name}): {doc['docs']} pairs of {doc['sentences_per_doc']}-sentence documents; "
            "best min_score per scorer\n"
        )
        print(
            table(
                list(best.values()),
                [
                    "scorer",
                    "min_score",
                    "precision",
                    "recall",
                    "f1",
                    "merged_recall",
                    "split_recall",
                    "moved_recall",
                    "unrelated_links",
                    "ms_per_doc",
                ],
            )
        )
        chosen = [r for r in doc["rows"] if r["scorer"] == align_module._DEFAULT_SCORER]
        print(f"\n### {align_module._DEFAULT_SCORER} by min_score ({name})\n")
        print(
            table(
                chosen,
                [
                    "min_score",
                    "precision",
                    "recall",
                    "f1",
                    "merged_recall",
                    "split_recall",
                    "moved_recall",
                    "unrelated_links",
                ],
            )
        )
        print(f"\n### every scorer at the min_score where unrelated documents get at most 0.25 false links ({name})\n")
        safe = {}
        for row in doc["rows"]:
            if row["unrelated_links"] <= 0.25 and (row["scorer"] not in safe or row["f1"] > safe[row["scorer"]]["f1"]):
                safe[row["scorer"]] = row
        print(
            table(
                list(safe.values()),
                [
                    "scorer",
                    "min_score",
                    "precision",
                    "recall",
                    "f1",
                    "merged_recall",
                    "split_recall",
                    "moved_recall",
                    "unrelated_links",
                ],
            )
        )

    results["seeds"] = seeds_scores()
    print("\n## Seeds (default settings)\n")
    print(table(results["seeds"], ["kind", "a", "b", "score"]))
    if args.json:
        args.json.write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
