"""Measure the bucket limit (``bucket_limit``): what each value costs in pairs and recall, and saves in candidates.

For each limit, ``find_duplicates`` at the shipped defaults (coverage off, which does not change
the pairs) on Reuters-21578 and BBC News, and on a generated templated feed (``_templated.py``):
candidates verified, buckets capped, pairs found, pairs lost against no limit, and recall of the
hand-labelled near-duplicate pairs (``labels/candidate_pairs.jsonl``). The templated feed is not
run without a limit: that is what exhausted memory.

    python benchmarks/measure_bucket_limit.py --data ../shared/data --json /tmp/bench/bucket_limit.json
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import code_revision, load_corpus, platform_line, print_platform, table, write_json
from _templated import templated_feed

import dedup

LIMITS: list[int | None] = [None, 64, 32, 16, 8, 4]
LABELS = Path(__file__).resolve().parent / "labels" / "candidate_pairs.jsonl"


def _run(docs: list[dict[str, Any]], limit: int | None) -> tuple[float, dedup.DedupResult]:
    start = time.perf_counter()
    result = dedup.find_duplicates(docs, coverage=False, bucket_limit=limit or 1 << 30)
    return time.perf_counter() - start, result


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--data",
        type=Path,
        required=True,
        metavar="DIR",
        help="folder with reuters21578.jsonl.gz and bbc_news.jsonl.gz",
    )
    parser.add_argument(
        "--templated", type=int, default=10000, metavar="N", help="articles of the templated feed (default 10,000)"
    )
    parser.add_argument("--json", type=Path, metavar="OUT")
    args = parser.parse_args(argv)
    print_platform()
    labels = [json.loads(line) for line in LABELS.open(encoding="utf-8")]
    rows, payload = (
        [],
        {
            "command": shlex.join(["python", "benchmarks/measure_bucket_limit.py", *argv]),
            "platform": platform_line(),
            "revision": code_revision(),
            "runs": [],
        },
    )
    corpora = {
        "reuters": load_corpus(args.data / "reuters21578.jsonl.gz"),
        "bbc": load_corpus(args.data / "bbc_news.jsonl.gz"),
        "templated": templated_feed(args.templated, seed=0),
    }
    for name, docs in corpora.items():
        positives = {frozenset((p["a"], p["b"])) for p in labels if p["corpus"] == name and p["label"] == 1}
        unbounded: set[frozenset[str]] | None = None
        for limit in LIMITS:
            if limit is None and name == "templated":
                continue
            seconds, result = _run(docs, limit)
            pairs = {frozenset((p.a, p.b)) for p in result.pairs}
            if limit is None:
                unbounded = pairs
            lost = len(unbounded - pairs) if unbounded is not None else None
            recall = len(positives & pairs) / len(positives) if positives else None
            run = {
                "corpus": name,
                "articles": len(docs),
                "limit": limit,
                "seconds": round(seconds, 2),
                "candidates": result.stats["candidates"],
                "capped_buckets": result.stats["capped_buckets"],
                "pairs": len(pairs),
                "lost": lost,
                "labelled_recall": recall,
            }
            payload["runs"].append(run)
            rows.append(
                [
                    name,
                    f"{len(docs):,}",
                    limit or "none",
                    f"{run['candidates']:,}",
                    f"{run['capped_buckets']:,}",
                    f"{len(pairs):,}",
                    "–" if lost is None else lost,
                    "–" if recall is None else f"{recall:.3f} ({len(positives & pairs)}/{len(positives)})",
                    f"{seconds:.1f}",
                ]
            )
            print(rows[-1], file=sys.stderr, flush=True)
    markdown = table(
        rows,
        [
            "corpus",
            "articles",
            "bucket_limit",
            "candidates",
            "capped buckets",
            "pairs",
            "lost vs no limit",
            "recall of labelled pairs",
            "seconds",
        ],
    )
    print(markdown)
    payload["markdown"] = markdown
    write_json(args.json, payload)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
