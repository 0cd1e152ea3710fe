"""Scaling: time and peak memory of dedup end to end at growing corpus sizes, each size in its own process.

Two settings, the shipped defaults first:

- **defaults**: ``find_duplicates`` with the settings ``dedup find FEED`` runs with
  (``_common.dedup_find_config``: ``DedupConfig()``, coverage off as without ``--pairs``, one worker
  per core, at most 8; ``--workers N`` as ``-j N``);
- **benchmark**: the peers' like-for-like setting (word 5-grams, num_perm=128, threshold and
  candidate threshold 0.5, coverage off), the same workers.

The corpus is built once for the largest size (beyond the corpus's own size ``_common.get_corpus``
grows it by recombining the corpus's sentences), written as JSON Lines, and each size streams its
first N records from that file as ``dedup find`` reads a feed, in a fresh process (``--child N``),
so its peak memory is its own: the process's VmHWM (its worker threads included; the sampled PSS of
the process and any children is kept too, and the larger taken). A size is stopped when its process passes ``--max-rss-mb``
or spends more than ``--time-limit`` seconds; the table then says so, with the stage it had
reached, and the larger sizes of that setting are reported as skipped. Printed for each setting:
the time exponent (least-squares slope of log time against log n over the completed sizes from
100,000 to 1,000,000 articles) and whether it is at most 1.1, and time and peak memory at
1,000,000 against the targets (5 minutes, 3 GB). ``--plot`` draws time and memory against size.

    python benchmarks/bench_scaling.py --corpus ../shared/data/reuters21578.jsonl.gz --sizes 100000,200000,500000,1000000 --plot --json /tmp/bench/scaling.json
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
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
    child_pids,
    code_revision,
    dedup_find_config,
    get_corpus,
    median,
    peak_rss_mb,
    platform_line,
    print_platform,
    rss_mb,
    run_child,
    table,
    tree_pss_mb,
    write_feed,
    write_json,
)

BENCHMARK = {"shingle_size": 5, "threshold": 0.5, "candidate_threshold": 0.5, "coverage": False}
SETTINGS = {
    "defaults": "the shipped defaults as `dedup find` runs them (word 2-grams, LSH for 0.2, threshold 0.35, coverage off)",
    "benchmark": "the peers' setting (word 5-grams, num_perm=128, threshold 0.5, coverage off)",
}
DEFAULT_PLOT = ROOT / "docs" / "img" / "scaling.png"
TARGET_N, TARGET_SECONDS, TARGET_MB = 1_000_000, 300.0, 3072.0
EXPONENT_RANGE, TARGET_EXPONENT = (100_000, 1_000_000), 1.1


def config_of(setting: str, workers: int) -> Any:
    """The ``DedupConfig`` a setting runs with (``workers`` 0: as ``dedup find``, one per core)."""
    cfg = dedup_find_config(workers)
    return cfg if setting == "defaults" else cfg.replace(**BENCHMARK)


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


def _setting_names(text: str) -> list[str]:
    names = [x.strip() for x in text.split(",") if x.strip()]
    unknown = [x for x in names if x not in SETTINGS]
    if unknown or not names:
        raise argparse.ArgumentTypeError(f"settings are {', '.join(SETTINGS)}; got {text!r}")
    return names


def _parser() -> argparse.ArgumentParser:
    parser = base_parser(__doc__.split("\n\n")[0], repeat=1)
    parser.add_argument(
        "--sizes",
        type=_sizes,
        default=[100_000, 200_000, 500_000, 1_000_000],
        metavar="N,N,...",
        help="corpus sizes in articles (default 100000,200000,500000,1000000)",
    )
    parser.add_argument(
        "--settings",
        type=_setting_names,
        default=list(SETTINGS),
        metavar="NAME,...",
        help="which settings, in this order (default defaults,benchmark)",
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
        default=0,
        help="dedup's worker threads, as `dedup find -j N` (default 0: one per core, as `dedup find`)",
    )
    parser.add_argument(
        "--in-memory",
        action="store_true",
        help="hand each size's corpus to find_duplicates as a list built in the measured process "
        "(default: the corpus is written once to a JSON Lines file and streamed from it, as `dedup find` reads a feed)",
    )
    parser.add_argument("--child", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--setting", choices=list(SETTINGS), default="defaults", help=argparse.SUPPRESS)
    parser.add_argument("--feed", type=Path, help=argparse.SUPPRESS)
    return parser


# --------------------------------------------------------------------------------------------
# One size, in its own process
# --------------------------------------------------------------------------------------------


def _watchdog(limit_mb: float, limit_s: float, state: dict[str, Any]) -> None:
    """Stop this process (printing why, as its JSON line) past ``limit_mb`` resident or ``limit_s`` seconds."""
    started = time.perf_counter()
    while not state.get("done"):
        elapsed = time.perf_counter() - started
        try:
            rss = rss_mb()
            if state["workers"] > 1:  # forked workers share the parent's pages: count them by PSS
                rss = tree_pss_mb()
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
            for pid in child_pids():  # this process's own worker pool: orphans would hold the output pipe open
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass
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
        docs = lambda: listed
        n_docs = len(listed)
    cfg = config_of(args.setting, args.workers)
    report: dict[str, Any] = {
        "n_docs": n_docs,
        "setting": args.setting,
        "workers": cfg.workers,
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
        "workers": cfg.workers,
    }
    threading.Thread(
        target=_watchdog, args=(args.max_rss_mb, args.time_limit * max(args.repeat, 1), state), daemon=True
    ).start()

    def progress(stage: str, done: int, total: int) -> None:
        state["stage"] = f"{stage} {done:,}" + (f"/{total:,}" if total else "")
        if total and done >= total:  # the stage is over: the next one runs
            state["phase"] = {"signatures": "candidates+verify", "verify": "cluster"}.get(stage, stage)
        else:
            state["phase"] = {"candidates": "candidates+verify"}.get(stage, stage)

    seconds = []
    for _ in range(max(args.repeat, 1)):
        t = time.perf_counter()
        chars[0] = chars[0] if args.feed is None else 0
        result = dedup.find_duplicates(docs(), cfg, progress=progress)
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
        duplicates=int(result.stats["duplicates"]),
        candidates=int(result.stats["candidates"]),
        capped_buckets=int(result.stats.get("capped_buckets", 0)),
        stages=result.stats["seconds"],
        peak_rss_mb=peak_rss_mb(),
    )
    if cfg.workers > 1:  # the workers' memory counts too (PSS, sampled every 0.2 s)
        report["parent_peak_rss_mb"] = report["peak_rss_mb"]
        report["peak_rss_mb"] = max(report["peak_rss_mb"], report.get("tree_pss_peak_mb", 0.0))
    print(json.dumps(report))
    return 0


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def _child_argv(args: argparse.Namespace, n: int, setting: str) -> list[str]:
    argv = [
        "--child",
        str(n),
        "--setting",
        setting,
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


def time_exponent(
    results: Sequence[dict[str, Any]], lo: int = EXPONENT_RANGE[0], hi: int = EXPONENT_RANGE[1]
) -> dict[str, Any]:
    """Least-squares slope of log(seconds) against log(articles) over the completed sizes in [lo, hi].

    With fewer than two completed sizes there, over all completed sizes (``"range"`` says which).
    A size in the range that was stopped or skipped makes the slope a lower bound (``"complete"`` False).
    """
    import numpy as np

    done = [r for r in results if "seconds" in r and r["seconds"] > 0]
    inside = [r for r in done if lo <= r["n_docs"] <= hi]
    used, in_range = (inside, True) if len(inside) >= 2 else (done, False)
    missing = [r["n_docs"] for r in results if "seconds" not in r and (lo <= r["n_docs"] <= hi or not in_range)]
    out: dict[str, Any] = {
        "sizes": [r["n_docs"] for r in used],
        "in_range": in_range,
        "complete": not missing,
        "missing": missing,
        "exponent": None,
        "met": False,
    }
    if len(used) >= 2:
        x = np.log([r["n_docs"] for r in used])
        y = np.log([r["seconds"] for r in used])
        out["exponent"] = float(np.polyfit(x, y, 1)[0])
        out["met"] = out["exponent"] <= TARGET_EXPONENT and not missing and in_range
    return out


def plot(runs: dict[str, list[dict[str, Any]]], path: Path, title: str) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (ax_t, ax_m) = plt.subplots(1, 2, figsize=(10, 4))
    for setting, results in runs.items():
        done = [r for r in results if "seconds" in r]
        sizes = [r["n_docs"] for r in done]
        ax_t.plot(sizes, [r["seconds"] for r in done], "o-", label=setting)
        ax_m.plot(sizes, [r["peak_rss_mb"] for r in done], "o-", label=f"{setting}: peak")
        ax_m.plot(sizes, [r["baseline_rss_mb"] for r in done], "s--", alpha=0.5, label=f"{setting}: before the run")
        # A stopped size: how far it got (its time and memory when stopped are lower bounds).
        stopped = [r for r in results if "seconds_until_stopped" in r]
        if stopped:
            label = f"{setting}: stopped (a lower bound)"
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
    ax_t.axhline(TARGET_SECONDS, color="grey", ls=":", label=f"target at {TARGET_N:,}: {TARGET_SECONDS:.0f} s")
    ax_t.set(xscale="log", yscale="log", xlabel="articles", ylabel="seconds", title="time")
    ax_m.axhline(TARGET_MB, color="grey", ls=":", label=f"target at {TARGET_N:,}: {TARGET_MB:,.0f} MB")
    ax_m.set(xscale="log", yscale="log", xlabel="articles", ylabel="MB", title="peak memory")
    for ax in (ax_t, ax_m):
        ax.grid(True, which="both", alpha=0.3)
        ax.legend(fontsize=7)
    import textwrap

    fig.suptitle("\n".join(textwrap.wrap(title, 110)), fontsize=9)
    fig.tight_layout()
    path.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(path, dpi=120)
    plt.close(fig)


def _row(r: dict[str, Any]) -> list[str]:
    if "seconds" in r:
        return [
            f"{r['n_docs']:,}",
            f"{r['text_mchars']:,.1f}",
            f"{r['seconds']:.2f}",
            f"{r['n_docs'] / r['seconds']:,.0f}",
            f"{r['peak_rss_mb']:,.0f}",
            f"{r['baseline_rss_mb']:,.0f}",
            f"{r['candidates']:,}",
            f"{r.get('capped_buckets', 0):,}",
            f"{r['pairs']:,}",
            f"{r['duplicates']:,}",
        ]
    where = (
        f" in {r['phase']} after {r['seconds_until_stopped']:.0f} s (last progress: {r['stage']})"
        if r.get("stage")
        else ""
    )
    return [
        f"{r['n_docs']:,}",
        f"{r['text_mchars']:,.1f}" if "text_mchars" in r else "—",
        f"**stopped**: {r.get('stopped') or r.get('skipped')}{where}",
        "—",
        f"{r['peak_rss_mb']:,.0f}" if "peak_rss_mb" in r else "—",
        f"{r['baseline_rss_mb']:,.0f}" if "baseline_rss_mb" in r else "—",
        "—",
        "—",
        "—",
        "—",
    ]


def summary(results: list[dict[str, Any]], cores: int) -> dict[str, Any]:
    """The time exponent and the targets at 1,000,000 articles of one setting's sizes."""
    exponent = time_exponent(results)
    at = next((r for r in results if r["n_docs"] == TARGET_N), None)
    if at is None:
        state = "not measured (no 1,000,000-article size)"
    elif "seconds" not in at:
        state = f"stopped: {at.get('stopped') or at.get('skipped')}"
    else:
        state = "completed"
    done = at is not None and "seconds" in at
    return {
        "exponent": exponent,
        "at_target": {
            "n_docs": TARGET_N,
            "state": state,
            "cores": cores,
            "seconds": at["seconds"] if done else None,
            "peak_rss_mb": at.get("peak_rss_mb") if at is not None else None,
            "seconds_met": done and at["seconds"] <= TARGET_SECONDS,
            "memory_met": done and at["peak_rss_mb"] <= TARGET_MB,
        },
    }


def _summary_table(s: dict[str, Any]) -> str:
    e, t = s["exponent"], s["at_target"]
    if e["exponent"] is None:
        exp_text = "not computed: fewer than two completed sizes"
    else:
        over = (
            "100,000–1,000,000" if e["in_range"] else "all completed sizes (fewer than two from 100,000 to 1,000,000)"
        )
        exp_text = f"{e['exponent']:.2f} over {over}: {', '.join(f'{n:,}' for n in e['sizes'])}"
        if e["missing"]:
            exp_text += f"; a lower bound: {', '.join(f'{n:,}' for n in e['missing'])} stopped"
    measured_s = f"{t['seconds']:.0f} s" if t["seconds"] is not None else t["state"]
    measured_mb = (
        f"{t['peak_rss_mb']:,.0f} MB" + ("" if t["seconds"] is not None else " when stopped")
        if t["peak_rss_mb"] is not None
        else t["state"]
    )
    rows = [
        [f"time exponent ≤ {TARGET_EXPONENT}", exp_text, "yes" if e["met"] else "no"],
        [
            f"{TARGET_N:,} articles in ≤ {TARGET_SECONDS:.0f} s ({t['cores']} cores)",
            measured_s,
            "yes" if t["seconds_met"] else "no",
        ],
        [f"{TARGET_N:,} articles with ≤ {TARGET_MB:,.0f} MB peak", measured_mb, "yes" if t["memory_met"] else "no"],
    ]
    return table(rows, ["target", "measured", "met"])


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


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
    workers = dedup_find_config(args.workers).workers
    print(
        f"# {source}; settings {', '.join(args.settings)}; sizes {', '.join(f'{n:,}' for n in args.sizes)}; "
        f"workers={workers}; each size in its own process",
        flush=True,
    )
    feed_dir = None
    built = source
    if not args.in_memory:
        import tempfile

        feed_dir = tempfile.TemporaryDirectory(prefix="dedup-scaling-")
        args.feed = Path(feed_dir.name) / "corpus.jsonl"
        t = time.perf_counter()
        args.n_docs = max(args.sizes)
        docs, built = get_corpus(args)
        write_feed(docs, args.feed)
        del docs
        built = f"{built}; each size streams its first N records from a JSON Lines file"
        print(f"# corpus written to disk in {time.perf_counter() - t:.0f} s: {built}", flush=True)
    backstop = (args.time_limit + 60) * max(args.repeat, 1) + 1800  # building a large corpus takes minutes too
    runs: dict[str, list[dict[str, Any]]] = {}
    for setting in args.settings:
        results: list[dict[str, Any]] = []
        for n in sorted(args.sizes):
            if results and ("stopped" in results[-1] or "skipped" in results[-1]):
                why = results[-1].get("stopped") or results[-1].get("skipped")
                results.append({"n_docs": n, "skipped": f"a smaller size was stopped ({why})"})
                print(f"#   {setting} {n:,}: skipped", flush=True)
                continue
            try:
                r = run_child(Path(__file__), _child_argv(args, n, setting), timeout=backstop)
            except (RuntimeError, subprocess.TimeoutExpired) as exc:
                r = {"n_docs": n, "stopped": f"failed: {str(exc).strip().splitlines()[-1][:200]}"}
            if feed_dir is not None and "corpus" in r:
                r["corpus"] = built
            results.append(r)
            print(
                f"#   {setting} {n:,}: "
                + (
                    f"{r['seconds']:.1f} s, peak {r['peak_rss_mb']:,.0f} MB"
                    if "seconds" in r
                    else f"stopped: {r['stopped']}"
                ),
                flush=True,
            )
        runs[setting] = results

    corpora = [r["corpus"] for results in runs.values() for r in results if "corpus" in r]
    corpus = corpora[-1] if corpora else built
    cores = _cores()
    summaries = {setting: summary(results, cores) for setting, results in runs.items()}
    header = [
        "articles",
        "text, M chars",
        "seconds",
        "articles/s",
        "peak MB",
        "before the run, peak MB",
        "candidate pairs",
        "capped buckets",
        "verified pairs",
        "duplicates",
    ]
    blocks = [
        f"Scaling of `find_duplicates`, each size in a fresh process, median of {args.repeat} run(s), workers={workers} "
        f"(as `dedup find` on this machine{'' if args.workers == 0 else f' with -j {args.workers}'}); corpus: {corpus}. "
        f"{platform_line()}."
        + (" Peak memory is the process's peak RSS, its worker threads included." if workers > 1 else ""),
    ]
    for k, (setting, results) in enumerate(runs.items(), 1):
        blocks += [
            f"**{k}. {SETTINGS[setting][0].upper() + SETTINGS[setting][1:]}.**",
            table([_row(r) for r in results], header),
            f"Targets of issue 7 ({setting}).",
            _summary_table(summaries[setting]),
        ]
    markdown = "\n\n".join(blocks)
    print()
    print(markdown)
    if args.plot is not None:
        plot(runs, args.plot, f"dedup find_duplicates (workers={workers}), {corpus}")
        print(f"\n# plot: {args.plot}")
    print(f"\n# reproduce: {command}")
    write_json(
        args.json,
        {
            "command": command,
            "revision": revision,
            "platform": platform_line(),
            "corpus": corpus,
            "sizes": args.sizes,
            "settings": args.settings,
            "workers": workers,
            "repeat": args.repeat,
            "runs": runs,
            "summary": summaries,
            "targets": {
                "n_docs": TARGET_N,
                "seconds": TARGET_SECONDS,
                "peak_mb": TARGET_MB,
                "exponent": TARGET_EXPONENT,
                "exponent_range": list(EXPONENT_RANGE),
            },
            "plot": str(args.plot) if args.plot is not None else None,
            "markdown": markdown,
        },
    )
    if feed_dir is not None:
        feed_dir.cleanup()
    return 0


if __name__ == "__main__":
    sys.exit(main())
