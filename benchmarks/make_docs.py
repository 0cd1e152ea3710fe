"""Regenerate docs/benchmarks.md: run every benchmark script, collect their JSON, write the page.

Each script runs in its own process (``python benchmarks/<script>.py ... --json DIR/<name>.json``)
with ``--corpus`` passed through; ``--quick`` gives each a small size for a trial run. The page
gets the machine (platform line), the date, the exact commands, each script's tables as it printed
them, the targets of issue 7 with met / not met computed from the JSON numbers, and the plots.
A script that is missing or fails gives a line "not measured: ..." instead of its section.

    python benchmarks/make_docs.py --corpus ../shared/data/reuters21578.jsonl.gz
    python benchmarks/make_docs.py --from-json /tmp/bench          # only render the page again
"""

from __future__ import annotations

import argparse
import datetime as _dt
import json
import os
import shlex
import subprocess
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, platform_line, table

BENCHMARKS = ROOT / "benchmarks"
DEFAULT_OUT = ROOT / "docs" / "benchmarks.md"
DEFAULT_JSON_DIR = Path("/tmp/bench")


@dataclass(frozen=True)
class Script:
    """One benchmark script: its JSON name, page section, and arguments (full and ``--quick``)."""

    name: str  # the JSON file is DIR/<name>.json
    file: str
    title: str
    takes_corpus: bool = True
    full: tuple[str, ...] = ()
    quick: tuple[str, ...] = ()
    intro: str = ""
    extra: Callable[[Path, Path], list[str]] | None = None  # (json_dir, img_dir) -> more arguments
    after: str = ""  # text under the section


def _scaling_plot(json_dir: Path, img_dir: Path) -> list[str]:
    # Workers as `dedup find` chooses them (one per core): bench_scaling's default.
    return ["--plot", _display(img_dir / "scaling.png")]


def _scurve_args(json_dir: Path, img_dir: Path) -> list[str]:
    accuracy = json_dir / "accuracy.json"
    return [
        *(["--accuracy", _display(accuracy)] if accuracy.exists() else []),
        "--out",
        _display(img_dir / "lsh-s-curve.png"),
    ]


SCRIPTS: tuple[Script, ...] = (
    Script(
        "end_to_end",
        "bench_end_to_end.py",
        "End to end: dedup, datasketch, rensa",
        quick=("--n-docs", "300", "--repeat", "1"),
    ),
    Script("stages", "bench_stages.py", "Each stage alone", quick=("--n-docs", "300", "--repeat", "1")),
    Script(
        "scaling",
        "bench_scaling.py",
        "Scaling to a million articles",
        quick=("--sizes", "200,500", "--repeat", "1"),
        extra=_scaling_plot,
        after="Workers are threads since 2026-12-02 (they gain on Reuters-21578 where worker processes gained "
        "nothing; see the end-to-end section). On the slower machine of 2026-12-02, a million articles at the "
        "defaults took 138 s with threads against 105 s with worker processes (revision 721890c): at that size "
        "the main thread parses the JSON while the workers shingle, and both hold the GIL for their Python "
        "parts. Parsing the records in the workers is the way out, and the partitioned reading of the Dask "
        "engine's issue is where it belongs.",
    ),
    Script(
        "templated",
        "bench_templated.py",
        "A templated feed against a real one",
        full=("--n-docs", "10000"),
        quick=("--n-docs", "300", "--repeat", "1"),
    ),
    Script(
        "accuracy",
        "bench_accuracy.py",
        "Accuracy of MinHash and LSH",
        quick=("--n-docs", "400", "--repeat", "1"),
        after="This measures the candidate stage only. How well the verified verdicts match human labels "
        "(precision and recall of near-duplicate pairs, and why the defaults are what they are) is "
        "measured in [thresholds.md](thresholds.md).",
    ),
    Script(
        "scurve",
        "plot_scurve.py",
        "LSH S-curves",
        takes_corpus=False,
        extra=_scurve_args,
        intro="P(a pair becomes a candidate) against its exact Jaccard, for dedup's defaults and for the benchmark "
        "setting; the points are the measured share of pairs found per Jaccard bin (from the accuracy run).",
    ),
    Script("align", "bench_align.py", "Alignment", quick=("--n-pairs", "60", "--repeat", "1")),
    Script(
        "redis",
        "bench_redis.py",
        "A shared index on Redis, beside datasketch's Redis storage",
        quick=("--quick",),
        intro="Memory per article, ingest with 1, 2 and 4 worker processes, query latency and round trips, dedup's "
        "Redis index beside datasketch's `MinHashLSH` with Redis storage at the same banding on the same "
        "articles; the script starts its own `redis-server` on a free loopback port.",
        after="What is measured and how to read it: [redis-benchmarks.md](redis-benchmarks.md); the layout and the "
        "protocol: [redis.md](redis.md). The SQLite index and `dedup stream` (ingest rate, query latency, size "
        "on disk, memory over a million records) are measured in [history-benchmarks.md](history-benchmarks.md).",
    ),
)


@dataclass
class Outcome:
    script: Script
    payload: dict[str, Any] | None = None
    problem: str | None = None
    mtime: float | None = None
    extra_notes: list[str] = field(default_factory=list)


def _display(path: Path) -> str:
    """A path as short as possible for a command line run from the repository root."""
    path = Path(path)
    try:
        rel = os.path.relpath(path.resolve(), ROOT)
    except ValueError:  # another drive
        return str(path)
    return rel if not rel.startswith("../../") else str(path.resolve())


# --------------------------------------------------------------------------------------------
# Running
# --------------------------------------------------------------------------------------------


def script_argv(script: Script, *, corpus: Path | None, quick: bool, json_dir: Path, img_dir: Path) -> list[str]:
    argv: list[str] = []
    if script.takes_corpus and corpus is not None:
        argv += ["--corpus", _display(corpus)]
    argv += list(script.quick if quick else script.full)
    if script.extra is not None:
        argv += script.extra(json_dir, img_dir)
    return [*argv, "--json", _display(json_dir / f"{script.name}.json")]


def run_script(script: Script, argv: list[str], *, verbose: bool = True) -> str | None:
    """Run one script with ``argv`` from the repository root; a problem as text, or None."""
    path = BENCHMARKS / script.file
    if not path.exists():
        return f"{script.file} missing"
    command = [sys.executable, str(path.relative_to(ROOT)), *argv]
    if verbose:
        print(f"$ {shlex.join(['python', *command[1:]])}", flush=True)
    started = time.perf_counter()
    done = subprocess.run(
        command,
        check=False,
        cwd=ROOT,
        stdout=None if verbose else subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    if done.returncode != 0:
        tail = done.stderr.strip().splitlines()[-1:] or [""]
        if verbose:
            sys.stderr.write(done.stderr[-3000:])
        return f"{script.file} failed (exit {done.returncode}: {tail[0][:200]})"
    if verbose:
        print(f"# {script.file}: {time.perf_counter() - started:.0f} s\n", flush=True)
    return None


def load(script: Script, json_dir: Path, problem: str | None = None) -> Outcome:
    if problem is not None:
        return Outcome(script, problem=problem)
    path = json_dir / f"{script.name}.json"
    if not path.exists():
        missing = not (BENCHMARKS / script.file).exists()
        return Outcome(
            script, problem=f"{script.file} missing" if missing else f"no {path} (run {script.file} with --json)"
        )
    try:
        payload = json.loads(path.read_text(encoding="utf-8"))
    except json.JSONDecodeError as exc:
        return Outcome(script, problem=f"{path} is not valid JSON ({exc})")
    if not isinstance(payload, dict):
        return Outcome(script, problem=f"{path} does not hold a JSON object")
    return Outcome(script, payload=payload, mtime=path.stat().st_mtime)


# --------------------------------------------------------------------------------------------
# Rendering
# --------------------------------------------------------------------------------------------


def _get(payload: dict[str, Any] | None, *keys: Any) -> Any:
    value: Any = payload
    for key in keys:
        in_dict = isinstance(value, dict) and key in value
        in_list = isinstance(value, list) and isinstance(key, int) and -len(value) <= key < len(value)
        if in_dict or in_list:
            value = value[key]
        else:
            return None
    return value


def _at_million(setting: str, key: str) -> Callable[[dict[str, Any] | None], float | None]:
    """bench_scaling's figure ``key`` ("seconds" or "peak_rss_mb") at 1,000,000 articles, only of a completed run."""

    def value(payload: dict[str, Any] | None) -> float | None:
        at = _get(payload, "summary", setting, "at_target")
        return at.get(key) if isinstance(at, dict) and at.get("state") == "completed" else None

    return value


def _million_why(setting: str) -> Callable[[dict[str, Any] | None], str]:
    def why(payload: dict[str, Any] | None) -> str:
        state = _get(payload, "summary", setting, "at_target", "state")
        return str(state) if state else f"no {setting} run in its JSON"

    return why


def _exponent(payload: dict[str, Any] | None) -> float | None:
    e = _get(payload, "summary", "defaults", "exponent")
    return e["exponent"] if isinstance(e, dict) and e.get("in_range") and e.get("complete") else None


def _exponent_why(payload: dict[str, Any] | None) -> str:
    e = _get(payload, "summary", "defaults", "exponent")
    if not isinstance(e, dict):
        return "no defaults run in its JSON"
    if e.get("missing"):
        return "stopped at " + ", ".join(f"{n:,}" for n in e["missing"]) + " articles"
    return "fewer than two completed sizes from 100,000 to 1,000,000 articles"


def _templated_peak(payload: dict[str, Any] | None) -> float | None:
    t = _get(payload, "summary", "templated")
    return max(t.get("peak_mb") or 0.0, t.get("worker_peak_mb") or 0.0) if isinstance(t, dict) else None


@dataclass(frozen=True)
class Target:
    """A target of issue 7: ``value(payload) op limit``, the value read from one script's JSON."""

    text: str
    source: str  # Script.name
    value: Callable[[dict[str, Any] | None], float | None]
    op: str  # "<=", ">=" or "<"
    limit: float
    fmt: Callable[[float], str]
    missing: str | Callable[[dict[str, Any] | None], str] = "no such measurement in its JSON"


TARGETS: tuple[Target, ...] = (
    Target(
        "defaults: 1,000,000 articles with `dedup find`'s settings in ≤ 5 minutes (2 cores)",
        "scaling",
        _at_million("defaults", "seconds"),
        "<=",
        300,
        lambda v: f"{v:,.0f} s",
        _million_why("defaults"),
    ),
    Target(
        "defaults: 1,000,000 articles with ≤ 3 GB peak memory",
        "scaling",
        _at_million("defaults", "peak_rss_mb"),
        "<=",
        3072,
        lambda v: f"{v:,.0f} MB",
        _million_why("defaults"),
    ),
    Target(
        "defaults: time exponent from 100,000 to 1,000,000 articles ≤ 1.1",
        "scaling",
        _exponent,
        "<=",
        1.1,
        lambda v: f"{v:.2f}",
        _exponent_why,
    ),
    Target(
        "defaults: a templated feed in ≤ 3× the time of a real one",
        "templated",
        lambda p: _get(p, "ratio"),
        "<=",
        3,
        lambda v: f"{v:.2f}×",
    ),
    Target(
        "defaults: a templated feed peaks under 1 GB", "templated", _templated_peak, "<", 1024, lambda v: f"{v:,.0f} MB"
    ),
    Target(
        "defaults: a templated feed flags nothing",
        "templated",
        lambda p: _get(p, "summary", "templated", "pairs"),
        "<=",
        0,
        lambda v: f"{v:,.0f} pairs",
    ),
    Target(
        "like for like: end to end ≥ 10× faster than datasketch, one process",
        "end_to_end",
        lambda p: _get(p, "ratios", "datasketch/dedup"),
        ">=",
        10,
        lambda v: f"{v:.1f}×",
    ),
    Target(
        "like for like: end to end ≥ 3× faster than rensa, one process",
        "end_to_end",
        lambda p: _get(p, "ratios", "rensa/dedup"),
        ">=",
        3,
        lambda v: f"{v:.1f}×",
    ),
    Target(
        "like for like: `workers=2` faster than one process (time of 2 workers / 1)",
        "end_to_end",
        lambda p: _get(p, "ratios", "dedup-2-workers/dedup"),
        "<",
        1,
        lambda v: f"{v:.3f}",
    ),
    Target(
        "… with 2 workers ≥ 10× faster than datasketch",
        "end_to_end",
        lambda p: _get(p, "ratios", "datasketch/dedup-2-workers"),
        ">=",
        10,
        lambda v: f"{v:.1f}×",
    ),
    Target(
        "… with 2 workers ≥ 3× faster than rensa",
        "end_to_end",
        lambda p: _get(p, "ratios", "rensa/dedup-2-workers"),
        ">=",
        3,
        lambda v: f"{v:.1f}×",
    ),
    Target(
        "like for like: peak memory ≤ ½ of datasketch's",
        "end_to_end",
        lambda p: _get(p, "ratios", "memory dedup/datasketch"),
        "<=",
        0.5,
        lambda v: f"{v:.2f} of it",
    ),
    Target(
        "LSH recall ≥ 0.95 at threshold 0.5 (word 5-grams, 128 permutations; issue 4)",
        "accuracy",
        lambda p: _get(p, "recall", "0.5", "recall"),
        ">=",
        0.95,
        lambda v: f"{v:.3f}",
    ),
)


def _on_reuters(payload: dict[str, Any] | None) -> bool:
    # bench_templated.py names its real feed only in its command
    return "reuters21578" in str(_get(payload, "corpus") or _get(payload, "command") or "").lower()


def target_rows(outcomes: dict[str, Outcome]) -> list[list[str]]:
    rows = []
    for t in TARGETS:
        outcome = outcomes.get(t.source)
        payload = outcome.payload if outcome else None
        value = t.value(payload) if payload is not None else None
        script = outcome.script.file if outcome else t.source
        if value is None:
            if outcome and outcome.problem:
                why = outcome.problem
            else:
                why = t.missing(payload) if callable(t.missing) else t.missing
            stopped = "stopped" in why
            rows.append([t.text, "—", "**not met**" if stopped else "not measured", f"{script}: {why}"])
            continue
        met = {">=": value >= t.limit, "<=": value <= t.limit, "<": value < t.limit}[t.op]
        corpus = str(_get(payload, "corpus") or "a corpus its JSON does not name").split(":")[0]
        note = script if _on_reuters(payload) else f"{script} (on {corpus}, not Reuters-21578: indicative only)"
        rows.append([t.text, t.fmt(float(value)), "**met**" if met else "**not met**", note])
    return rows


def render_align(payload: dict[str, Any]) -> str:
    """bench_align.py writes numbers but no tables: render them here."""
    rows = []
    for key, label in (("diff=True", "`align(a, b)` with word diffs"), ("diff=False", "`align(a, b, diff=False)`")):
        r = payload.get(key)
        if isinstance(r, dict):
            rows.append([label, f"{r['median_ms']:.3f}", f"{r['p90_ms']:.3f}"])
    text = (
        (
            f"{payload.get('pairs', '?'):,} pairs ({payload.get('source', '?')}): B is A with about a fifth of the words "
            "of each sentence swapped, one sentence dropped, one added and one moved."
        )
        if isinstance(payload.get("pairs"), int)
        else ""
    )
    out = [text, table(rows, ["call", "median ms per pair", "p90 ms per pair"])]
    if payload.get("linked_share") is not None:
        out.append(f"Share of B's sentences linked to A (first 50 pairs): {payload['linked_share']:.2f}.")
    return "\n\n".join(x for x in out if x)


def _command(outcome: Outcome, argv: list[str] | None) -> str | None:
    command = _get(outcome.payload, "command")
    if command:
        return str(command)
    if argv is not None:  # scripts that do not record their command (bench_align.py)
        return shlex.join(["python", f"benchmarks/{outcome.script.file}", *argv])
    return None


def _images(outcome: Outcome, out_dir: Path) -> list[str]:
    links = []
    for key in ("image", "plot"):
        value = _get(outcome.payload, key)
        if not value:
            continue
        path = Path(value)
        path = path if path.is_absolute() else ROOT / path
        if path.exists():
            links.append(os.path.relpath(path, out_dir))
    return links


def render_page(
    outcomes: list[Outcome], *, out: Path, make_command: str, argvs: dict[str, list[str]] | None = None
) -> str:
    by_name = {o.script.name: o for o in outcomes}
    measured = [o for o in outcomes if o.payload is not None]
    platforms = sorted({str(o.payload["platform"]) for o in measured if o.payload.get("platform")})
    platforms = [
        p for p in platforms if not any(q != p and q.startswith(p) for q in platforms)
    ]  # bench_align's is shorter
    when = max((o.mtime for o in measured if o.mtime), default=None)
    date = _dt.datetime.fromtimestamp(when).strftime("%Y-%m-%d %H:%M") if when else "—"
    corpora = sorted({str(o.payload["corpus"]) for o in measured if o.payload.get("corpus")})
    lines = [
        "# Benchmarks",
        "",
        "<!-- Generated by benchmarks/make_docs.py from the scripts' JSON; edit the scripts, not this page. -->",
        "",
        (
            "Speed, memory and accuracy of dedup beside its peers (datasketch, rensa), measured by the scripts in "
            "`benchmarks/`; every section shows the shipped defaults first and the peers' like-for-like setting second. "
            "Every table below is printed by its script exactly as shown here."
        ),
        "",
        f"- **Machine**: {'; '.join(platforms) or platform_line()}",
        f"- **Measured**: {date} (newest result)",
        f"- **Corpora**: {'; '.join(corpora) or '—'}",
        "",
        "## How to reproduce",
        "",
        "One command runs every script and writes this page:",
        "",
        "```console",
        f"$ {make_command}",
        "```",
        "",
        "It runs these, each in its own process (each also prints its tables):",
        "",
        "```console",
    ]
    for o in outcomes:
        command = _command(o, (argvs or {}).get(o.script.name))
        if command and o.payload is not None:
            lines.append(f"$ {command}")
    lines += [
        "```",
        "",
        "## Targets of issue 7",
        "",
        (
            "On Reuters-21578 (the 1,000,000-article runs recombine its sentences): first the shipped defaults as "
            "`dedup find` runs them, then the like-for-like setting of the peers (word 5-grams, 128 permutations, "
            "threshold 0.5); met or not is computed from the numbers the scripts wrote. A size that was stopped "
            "(time or memory limit) counts as not met."
        ),
        "",
        table(target_rows(by_name), ["target", "measured", "met", "from"]),
        "",
    ]
    for o in outcomes:
        lines += [f"## {o.script.title}", ""]
        if o.payload is None:
            lines += [f"not measured: {o.problem}", ""]
            continue
        if o.script.intro:
            lines += [o.script.intro, ""]
        markdown = o.payload.get("markdown")
        if markdown is None and o.script.name == "align":
            try:
                markdown = render_align(o.payload)
            except (KeyError, TypeError, ValueError) as exc:
                markdown = f"not rendered: unexpected JSON from {o.script.file} ({exc!r})"
        if markdown is None:
            markdown = f'not rendered: {o.script.file}\'s JSON has no "markdown"'
        lines += [markdown.strip(), ""]
        for link in _images(o, out.parent):
            lines += [f"![{o.script.title}]({link})", ""]
        command = _command(o, (argvs or {}).get(o.script.name))
        if command:
            lines += [f"Reproduce: `{command}`", ""]
        if o.script.after:
            lines += [o.script.after, ""]
    return "\n".join(lines).rstrip() + "\n"


# --------------------------------------------------------------------------------------------
# The script
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--corpus",
        type=Path,
        metavar="PATH",
        help="passed to every script that takes one; default: their synthetic corpus",
    )
    parser.add_argument("--quick", action="store_true", help="small sizes, one repeat: a trial run of the whole chain")
    parser.add_argument(
        "--json-dir",
        type=Path,
        default=DEFAULT_JSON_DIR,
        metavar="DIR",
        help=f"where the scripts' JSON goes (default {DEFAULT_JSON_DIR})",
    )
    parser.add_argument(
        "--from-json", type=Path, metavar="DIR", help="run nothing: render the page from the JSON files in DIR"
    )
    parser.add_argument(
        "--out",
        type=Path,
        default=DEFAULT_OUT,
        metavar="PATH",
        help="the page to write (default docs/benchmarks.md); plots go to its img/ folder",
    )
    parser.add_argument(
        "--only",
        metavar="NAME,...",
        help="run only these scripts (names: "
        + ", ".join(s.name for s in SCRIPTS)
        + "); the others are read from their JSON",
    )
    args = parser.parse_args(argv)
    argv = list(sys.argv[1:] if argv is None else argv)
    if args.corpus is not None and not args.corpus.exists():
        parser.error(f"--corpus {args.corpus}: no such file or folder")
    only = set(args.only.split(",")) if args.only else None
    if only is not None and not only <= {s.name for s in SCRIPTS}:
        parser.error(f"--only: unknown names {', '.join(sorted(only - {s.name for s in SCRIPTS}))}")

    out = args.out
    img_dir = out.parent / "img"
    json_dir = args.from_json if args.from_json is not None else args.json_dir
    json_dir.mkdir(parents=True, exist_ok=True)
    img_dir.mkdir(parents=True, exist_ok=True)
    outcomes, argvs, failed = [], {}, []
    for script in SCRIPTS:
        problem = None
        if args.from_json is None and (only is None or script.name in only):
            script_args = script_argv(script, corpus=args.corpus, quick=args.quick, json_dir=json_dir, img_dir=img_dir)
            argvs[script.name] = script_args
            stale = json_dir / f"{script.name}.json"
            if stale.exists():
                stale.unlink()  # never render an old result as if it were this run's
            problem = run_script(script, script_args)
            if problem is not None and (BENCHMARKS / script.file).exists():  # a missing script is a line, not a failure
                failed.append(problem)
        outcomes.append(load(script, json_dir, problem))

    record = json_dir / "make_docs.json"
    if args.from_json is None:
        make_command = shlex.join(["python", "benchmarks/make_docs.py", *argv])
        record.write_text(json.dumps({"command": make_command, "argvs": argvs}, indent=1) + "\n", encoding="utf-8")
    else:  # show the command that made the JSON, not this re-render
        made = json.loads(record.read_text(encoding="utf-8")) if record.exists() else {}
        make_command = (
            made.get("command") or "python benchmarks/make_docs.py --corpus ../shared/data/reuters21578.jsonl.gz"
        )
        argvs = made.get("argvs") or {}
    page = render_page(outcomes, out=out, make_command=make_command, argvs=argvs)
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(page, encoding="utf-8")
    print(f"wrote {out}" + (f" ({len(failed)} script(s) failed: {'; '.join(failed)})" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    raise SystemExit(main())
