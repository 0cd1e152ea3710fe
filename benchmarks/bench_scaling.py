"""Scaling: time and peak memory of dedup end to end at growing corpus sizes, each size in its own process.

Each size runs ``find_duplicates(docs, shingle_size=5, threshold=0.5, candidate_threshold=0.5,
coverage=False)`` in a fresh process (``--child N``), so its peak resident memory is its own; beyond
the corpus's size, ``_common.get_corpus`` grows it by recombining the corpus's own sentences. The
peak is not reduced by anything: the articles held in memory count, and the peak of a process
that only built the corpus is reported beside it. A size is stopped when its process passes
``--max-rss-mb`` or spends more than ``--time-limit`` seconds in ``find_duplicates``; the stage it
had reached is reported. ``--plot`` also draws time and memory against size (``docs/img/scaling.png``).

    python benchmarks/bench_scaling.py --corpus ../shared/data/reuters21578.jsonl.gz --sizes 5000,20000,100000,1000000 --plot --json /tmp/bench/scaling.json
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import subprocess
import sys
import threading
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    ROOT,
    base_parser,
    get_corpus,
    median,
    peak_rss_mb,
    platform_line,
    print_platform,
    code_revision,
    run_child,
    table,
    write_json,
)

SETTINGS = {"shingle_size": 5, "threshold": 0.5, "candidate_threshold": 0.5, "coverage": False}
DEFAULT_PLOT = ROOT / "docs" / "img" / "scaling.png"
TARGET_N, TARGET_SECONDS, TARGET_MB = 1_000_000, 300.0, 4096.0


def _sizes(text: str) -> list[int]:
    try:
        sizes = [int(x.replace("_", "")) for x in text.split(",") if x.strip()]
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated article counts such as 5000,20000; got {text!r}"
        ) from None
    if not sizes or min(sizes) < 1:
        raise argparse.ArgumentTypeError(f"sizes must be positive; got {text!r}")
    return sizes


def _parser() -> argparse.ArgumentParser:
    parser = base_parser(__doc__.split("\n\n")[0], repeat=1)
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=[5000, 20000, 100000, 1000000],
        metavar="N,N,...",
        help="corpus sizes in articles (default 5000,20000,100000,1000000)",
    )
    parser.add_argument(
        "--plot",
        type=Path,
        nargs="?",
        const=DEFAULT_PLOT,
        metavar="PNG",
        help=f"draw time and memory against size (default path: {DEFAULT_PLOT.relative_to(ROOT)})",
    )
    parser.add_argument(
        "--max-rss-mb",
        type=float,
        default=8192,
        help="stop a size whose process passes this resident memory (default 8192)",
    )
    parser.add_argument(
        "--time-limit",
        type=float,
        default=900,
        help="stop a size after this many seconds in find_duplicates (default 900)",
    )
    parser.add_argument(
        "--workers",
        type=int,
        default=1,
        help="dedup's worker processes (workers=N); with N > 1 memory is the sampled PSS of the process and its workers",
    )
    parser.add_argument(
        "--in-memory",
        action="store_true",
        help="hand each size's corpus to find_duplicates as a list built in the measured process "
        "(default: the corpus is written once to a JSON Lines file and streamed from it, as `dedup find` reads a feed)",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--feed", type=Path, help=argparse.SUPPRESS)
    return parser


# --------------------------------------------------------------------------------------------
# One size, in its own process
# --------------------------------------------------------------------------------------------


def _rss_mb() -> float:
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def _worker_pids() -> list[int]:
    """Child processes of this one (dedup's worker pool with ``--workers`` > 1), from /proc."""
    pids: list[int] = []
    try:
        for task in os.listdir("/proc/self/task"):
            with open(f"/proc/self/task/{task}/children", encoding="ascii") as fh:
                pids += [int(p) for p in fh.read().split()]
    except OSError:
        pass
    return pids


def _pss_mb(pid: int | str) -> float:
    """Proportional set size: resident memory with pages shared with other processes divided among them."""
    with open(f"/proc/{pid}/smaps_rollup", encoding="ascii") as fh:
        for line in fh:
            if line.startswith("Pss:"):
                return int(line.split()[1]) / 1024
    return 0.0


def _tree_pss_mb() -> float:
    """PSS of this process and its workers together: their joint footprint, shared pages counted once."""
    total = _pss_mb("self")
    for pid in _worker_pids():
        try:
            total += _pss_mb(pid)
        except OSError:  # the worker has just exited
            pass
    return total


def _watchdog(limit_mb: float, limit_s: float, state: dict[str, Any]) -> None:
    """Stop this process (printing why, as its JSON line) past ``limit_mb`` resident or ``limit_s`` seconds."""
    started = time.perf_counter()
    while not state.get("done"):
        elapsed = time.perf_counter() - started
        try:
            rss = _rss_mb()
            if state["workers"] > 1:  # forked workers share the parent's pages: count them by PSS
                rss = _tree_pss_mb()
                state["report"]["tree_pss_peak_mb"] = max(state["report"].get("tree_pss_peak_mb", 0.0), rss)
        except OSError:  # no /proc: only the time limit applies
            rss = 0.0
        by_phase = state["rss_by_phase_mb"]
        by_phase[state["phase"]] = max(by_phase.get(state["phase"], 0.0), rss)
        if rss > limit_mb or elapsed > limit_s:
            why = (
                f"resident memory {rss:,.0f} MB > {limit_mb:,.0f} MB"
                if rss > limit_mb
                else f"{elapsed:,.0f} s > {limit_s:,.0f} s"
            )
            out = {
                **state["report"],
                "stopped": why,
                "phase": state.get("phase"),
                "stage": state.get("stage"),
                "seconds_until_stopped": elapsed,
                "peak_rss_mb": max(peak_rss_mb(), rss),
            }
            print(json.dumps(out), flush=True)
            os._exit(0)
        time.sleep(0.2)


def _child(args: argparse.Namespace) -> int:
    import dedup

    args.n_docs = args.child
    start = time.perf_counter()
    chars = [0]
    if args.feed is not None:  # stream the first n records of the feed: the corpus never sits in memory
        from itertools import islice

        def streamed() -> Any:
            for record in islice(dedup.read_feed(args.feed), args.child):
                chars[0] += len(record.article.text)
                yield record.article

        docs: Any = streamed
        description = f"{args.feed.name} (streamed from disk)"
        n_docs = args.child
    else:
        listed, description = get_corpus(args)
        chars[0] = sum(len(d["text"]) for d in listed)
        docs = lambda: listed  # noqa: E731
        n_docs = len(listed)
    report: dict[str, Any] = {
        "n_docs": n_docs,
        "corpus": description,
        "corpus_seconds": time.perf_counter() - start,
        "baseline_rss_mb": peak_rss_mb(),
    }
    # Resident memory sampled every 0.2 s, the highest seen in each phase of find_duplicates.
    report["rss_by_phase_mb"] = {}
    state: dict[str, Any] = {
        "report": report,
        "stage": "start",
        "phase": "signatures",
        "rss_by_phase_mb": report["rss_by_phase_mb"],
        "workers": args.workers,
    }
    threading.Thread(
        target=_watchdog, args=(args.max_rss_mb, args.time_limit * max(args.repeat, 1), state), daemon=True
    ).start()

    following = {"signatures": "candidates", "candidates": "verify", "verify": "cluster"}

    def progress(stage: str, done: int, total: int) -> None:
        state["stage"] = f"{stage} {done:,}/{total:,}"
        state["phase"] = stage if done < total else following.get(stage, stage)

    settings = {**SETTINGS, **({"workers": args.workers} if args.workers > 1 else {})}
    seconds = []
    for _ in range(max(args.repeat, 1)):
        t = time.perf_counter()
        chars[0] = chars[0] if args.feed is None else 0
        result = dedup.find_duplicates(docs(), progress=progress, **settings)
        seconds.append(time.perf_counter() - t)
        state["phase"] = "signatures"
    state["done"] = True
    report.update(
        n_docs=len(result.verdicts),
        text_mchars=chars[0] / 1e6,
        seconds=median(seconds),
        runs=seconds,
        pairs=len(result.pairs),
        clusters=len(result.clusters),
        candidates=int(result.stats["candidates"]),
        stages=result.stats["seconds"],
        peak_rss_mb=peak_rss_mb(),
    )
    if args.workers > 1:  # the workers' memory counts too (PSS, sampled every 0.2 s)
        report["parent_peak_rss_mb"] = report["peak_rss_mb"]
        report["peak_rss_mb"] = max(report["peak_rss_mb"], report.get("tree_pss_peak_mb", 0.0))
    print(json.dumps(report))
    return 0


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def _child_argv(args: argparse.Namespace, n: int) -> list[str]:
    argv = [
        "--child",
        str(n),
        "--seed",
        str(args.seed),
        "--repeat",
        str(args.repeat),
        "--max-rss-mb",
        str(args.max_rss_mb),
        "--time-limit",
        str(args.time_limit),
        "--workers",
        str(args.workers),
    ]
    if args.corpus is not None:
        argv += ["--corpus", str(args.corpus)]
    if getattr(args, "feed", None) is not None:
        argv += ["--feed", str(args.feed)]
    return argv


def _write_feed(args: argparse.Namespace, n: int, path: Path) -> str:
    """Build the corpus of the largest size once and write it as JSON Lines; its description."""
    args.n_docs = n
    docs, description = get_corpus(args)
    with path.open("w", encoding="utf-8") as out:
        for d in docs:
            out.write(json.dumps(d) + "\n")
    return description


def plot(results: Sequence[dict[str, Any]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    done = [r for r in results if "seconds" in r]
    sizes = [r["n_docs"] for r in done]
    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 4))
    ax_t.plot(sizes, [r["seconds"] for r in done], "o-", label="find_duplicates")
    ax_t.axhline(TARGET_SECONDS, color="grey", ls=":", label=f"target at {TARGET_N:,}: {TARGET_SECONDS:.0f} s")
    ax_t.set(xscale="log", yscale="log", xlabel="articles", ylabel="seconds", title="time")
    ax_m.plot(sizes, [r["peak_rss_mb"] for r in done], "o-", label="peak RSS")
    ax_m.plot(sizes, [r["baseline_rss_mb"] for r in done], "s--", label="the process before the run")
    ax_m.axhline(TARGET_MB, color="grey", ls=":", label=f"target at {TARGET_N:,}: {TARGET_MB:,.0f} MB")
    ax_m.set(xscale="log", yscale="log", xlabel="articles", ylabel="MB", title="peak resident memory")
    # A stopped size: how far it got (its time and memory when stopped are lower bounds).
    stopped = [r for r in results if "seconds_until_stopped" in r]
    if stopped:
        label = "stopped (a lower bound)"
        ax_t.plot(
            [r["n_docs"] for r in stopped],
            [r["seconds_until_stopped"] for r in stopped],
            "x",
            ms=9,
            mew=2,
            color="tab:red",
            label=label,
        )
        ax_m.plot(
            [r["n_docs"] for r in stopped],
            [r["peak_rss_mb"] for r in stopped],
            "x",
            ms=9,
            mew=2,
            color="tab:red",
            label=label,
        )
        ax_m.plot([r["n_docs"] for r in stopped], [r["baseline_rss_mb"] for r in stopped], "s", color="tab:orange")
    for ax in (ax_t, ax_m):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=8)
    import textwrap

    fig.suptitle("\n".join(textwrap.wrap(title, 110)), fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    if args.child is not None:
        return _child(args)
    print_platform()
    revision = code_revision()
    print(f"# dedup at {revision}")
    command = shlex.join(["python", "benchmarks/bench_scaling.py", *argv])
    source = args.corpus.name if args.corpus is not None else "synthetic corpus"
    print(f"# {source}; sizes {', '.join(f'{n:,}' for n in args.sizes)}; each in its own process")
    results: list[dict[str, Any]] = []
    feed_dir = None
    if not args.in_memory:
        import tempfile

        feed_dir = tempfile.TemporaryDirectory(prefix="dedup-scaling-")
        args.feed = Path(feed_dir.name) / "corpus.jsonl"
        t = time.perf_counter()
        built = _write_feed(args, max(args.sizes), args.feed)
        print(f"# corpus written to disk in {time.perf_counter() - t:.0f} s: {built}; each size streams its first N records", flush=True)
    backstop = (args.time_limit + 60) * max(args.repeat, 1) + 1800  # building a large corpus takes minutes too
    for n in sorted(args.sizes):
        if results and "stopped" in results[-1]:
            results.append({"n_docs": n, "skipped": f"a smaller size was stopped ({results[-1]['stopped']})"})
            continue
        try:
            r = run_child(Path(__file__), _child_argv(args, n), timeout=backstop)
        except (RuntimeError, subprocess.TimeoutExpired) as exc:
            r = {"n_docs": n, "stopped": f"failed: {str(exc).strip().splitlines()[-1][:200]}"}
        if feed_dir is not None and "corpus" in r:
            r["corpus"] = f"{built}; each size streams its first N records from a JSON Lines file"
        results.append(r)
        print(
            f"#   {n:,}: "
            + (f"{r['seconds']:.1f} s, peak {r['peak_rss_mb']:,.0f} MB" if "seconds" in r else r.get("stopped", "")),
            flush=True,
        )

    rows = []
    for r in results:
        if "seconds" in r:
            rows.append(
                [
                    f"{r['n_docs']:,}",
                    f"{r['text_mchars']:,.1f}",
                    f"{r['seconds']:.2f}",
                    f"{r['n_docs'] / r['seconds']:,.0f}",
                    f"{r['peak_rss_mb']:,.0f}",
                    f"{r['baseline_rss_mb']:,.0f}",
                    f"{r['candidates']:,}",
                    f"{r['pairs']:,}",
                    f"{r['clusters']:,}",
                ]
            )
        else:
            where = (
                f" in {r['phase']} after {r['seconds_until_stopped']:.0f} s (last progress: {r['stage']})"
                if r.get("stage")
                else ""
            )
            mem = f"{r['peak_rss_mb']:,.0f}" if "peak_rss_mb" in r else "—"
            base = f"{r['baseline_rss_mb']:,.0f}" if "baseline_rss_mb" in r else "—"
            rows.append(
                [
                    f"{r['n_docs']:,}",
                    f"{r['text_mchars']:,.1f}" if "text_mchars" in r else "—",
                    f"stopped: {r.get('stopped') or r.get('skipped')}{where}",
                    "—",
                    mem,
                    base,
                    "—",
                    "—",
                    "—",
                ]
            )
    corpora = [r["corpus"] for r in results if "corpus" in r]
    blocks = [
        (
            f"Scaling of `find_duplicates` (word 5-grams, num_perm=128, threshold 0.5, coverage off), each size in a fresh process, "
            f"median of {args.repeat} run(s); corpus: {corpora[-1] if corpora else source}. {platform_line()}."
            + (
                f" workers={args.workers}: peak memory is the larger of the process's peak RSS and the PSS of it "
                "and its workers together (sampled every 0.2 s)."
                if args.workers > 1
                else ""
            )
        ),
        table(
            rows,
            [
                "articles",
                "text, M chars",
                "seconds",
                "articles/s",
                "peak RSS MB",
                "before the run, peak RSS MB",
                "candidate pairs",
                "verified pairs",
                "clusters",
            ],
        ),
    ]
    at_target = next((r for r in results if r["n_docs"] == TARGET_N), None)
    if at_target is not None:
        ok = "seconds" in at_target
        blocks += [
            f"Targets of issue #4 at {TARGET_N:,} articles.",
            table(
                [
                    [
                        f"≤ {TARGET_SECONDS:.0f} s",
                        f"{at_target['seconds']:.0f} s" if ok else "stopped",
                        ("yes" if at_target["seconds"] <= TARGET_SECONDS else "no") if ok else "no",
                    ],
                    [
                        f"≤ {TARGET_MB:,.0f} MB peak",
                        f"{at_target['peak_rss_mb']:,.0f} MB" if "peak_rss_mb" in at_target else "—",
                        ("yes" if at_target["peak_rss_mb"] <= TARGET_MB else "no") if ok else "no",
                    ],
                ],
                ["target", "measured", "met"],
            ),
        ]
    markdown = "\n\n".join(blocks)
    print()
    print(markdown)
    if args.plot is not None:
        plot(results, args.plot, f"dedup find_duplicates (workers={args.workers}), {corpora[-1] if corpora else source}")
        print(f"\n# plot: {args.plot}")
    print(f"\n# reproduce: {command}")
    write_json(
        args.json,
        {
            "command": command,
            "revision": revision,
            "platform": platform_line(),
            "corpus": corpora[-1] if corpora else source,
            "sizes": args.sizes,
            "repeat": args.repeat,
            "results": results,
            "plot": str(args.plot) if args.plot is not None else None,
            "markdown": markdown,
        },
    )
    if feed_dir is not None:
        feed_dir.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
