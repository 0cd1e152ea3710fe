"""A templated feed against a real one: ``dedup find`` as shipped on N generated templated items and N real articles.

Templated items (``_templated.py``: dividend notices, earnings lines, market tables, every name
and figure random) share their wording word for word, so LSH buckets hold most of the feed; the
bounded candidate stage (``bucket_limit``) keeps their cost that of a real feed. Each run is
``dedup find FEED --pairs`` with the shipped defaults (one worker per core) in a fresh process;
reported: median wall time, peak memory (the main process and the largest worker), pairs flagged.
Targets (issue 7): templated at most 3x the real feed's time, under 1 GB, nothing flagged.

    python benchmarks/bench_templated.py --corpus ../shared/data/reuters21578.jsonl.gz --n-docs 10000 --repeat 3 --json /tmp/bench/templated.json
"""

from __future__ import annotations

import json
import resource
import shlex
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    base_parser,
    code_revision,
    get_corpus,
    median,
    peak_rss_mb,
    platform_line,
    print_platform,
    run_child,
    table,
    write_json,
)
from _templated import templated_feed


def _child(feed: str, jobs: str) -> int:
    """Run ``dedup find FEED --pairs`` in this process and print one JSON line of what it cost."""
    from dedup.cli import main as dedup_main

    out = Path(tempfile.mkdtemp()) / "pairs.jsonl"
    start = time.perf_counter()
    code = dedup_main(["find", feed, "--pairs", "-q", "-o", str(out), *(["-j", jobs] if jobs != "0" else [])])
    seconds = time.perf_counter() - start
    pairs = sum(1 for _ in out.open(encoding="utf-8"))
    workers_mb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(
        json.dumps(
            {"code": code, "seconds": seconds, "peak_mb": peak_rss_mb(), "worker_peak_mb": workers_mb, "pairs": pairs}
        )
    )
    return 0


def _write(docs: Sequence[dict[str, Any]], path: Path) -> None:
    with path.open("w", encoding="utf-8") as f:
        for d in docs:
            f.write(json.dumps({"id": d["id"], "text": d["text"]}, ensure_ascii=False) + "\n")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["--child"]:
        return _child(argv[1], argv[2])
    parser = base_parser(__doc__.split("\n\n")[0], n_docs=None, repeat=3)
    parser.add_argument("-j", "--jobs", default="0", help="dedup find --jobs (default 0: as shipped, one per core)")
    args = parser.parse_args(argv)
    print_platform()
    real, description = get_corpus(args, default_n=args.n_docs or 2000)
    n = len(real)
    feeds = {"templated": templated_feed(n, seed=args.seed), "real": real}
    print(
        f"# dedup find --pairs as shipped (jobs {'one per core' if args.jobs == '0' else args.jobs}); {n:,} templated items against {description}; "
        f"{args.repeat} runs each, alternating"
    )
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in feeds}
    with tempfile.TemporaryDirectory() as tmp:
        paths = {name: Path(tmp) / f"{name}.jsonl" for name in feeds}
        for name, docs in feeds.items():
            _write(docs, paths[name])
        for _ in range(args.repeat):
            for name in feeds:
                runs[name].append(run_child(Path(__file__), ["--child", str(paths[name]), str(args.jobs)]))
    summary = {
        name: {
            "seconds": median([r["seconds"] for r in rs]),
            "peak_mb": max(r["peak_mb"] for r in rs),
            "worker_peak_mb": max(r["worker_peak_mb"] for r in rs),
            "pairs": rs[0]["pairs"],
        }
        for name, rs in runs.items()
    }
    ratio = summary["templated"]["seconds"] / summary["real"]["seconds"]
    rows = [
        [name, f"{n:,}", f"{s['seconds']:.2f}", f"{s['peak_mb']:.0f}", f"{s['worker_peak_mb']:.0f}", s["pairs"]]
        for name, s in summary.items()
    ]
    markdown = table(
        rows, ["feed", "articles", "median s", "peak MB (main)", "peak MB (largest worker)", "pairs flagged"]
    )
    peak = max(summary["templated"]["peak_mb"], summary["templated"]["worker_peak_mb"])
    targets = (
        f"templated / real time: {ratio:.2f}x (target <= 3x: {'met' if ratio <= 3 else 'NOT met'}); "
        f"templated peak {peak:.0f} MB (target < 1024: {'met' if peak < 1024 else 'NOT met'}); "
        f"templated pairs flagged: {summary['templated']['pairs']} (target 0: {'met' if summary['templated']['pairs'] == 0 else 'NOT met'})"
    )
    markdown += "\n\n" + targets
    print(markdown)
    write_json(
        args.json,
        {
            "command": shlex.join(["python", "benchmarks/bench_templated.py", *argv]),
            "platform": platform_line(),
            "revision": code_revision(),
            "n_docs": n,
            "runs": runs,
            "summary": summary,
            "ratio": ratio,
            "markdown": markdown,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
