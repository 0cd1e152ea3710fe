"""Shared pieces of the benchmark scripts: corpora, timing, memory, output.

dedup is imported only where it is used, so a child process measuring a peer's memory holds no dedup.
Every script takes ``--corpus PATH`` (a feed dedup can read: JSON Lines, ``.jsonl.gz``, CSV, a folder
of ``.txt``); without it, a seeded synthetic corpus is built from the real-looking sentences of
``examples/news_feed.jsonl`` (shipped in the repo), so the scripts run on a fresh machine.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import resource
import statistics
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

EXAMPLE_FEED = ROOT / "examples" / "news_feed.jsonl"


def base_parser(description: str, *, n_docs: int | None = None, repeat: int = 3) -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument(
        "--corpus", type=Path, metavar="PATH", help="a feed (JSON Lines, .jsonl.gz, CSV, folder); default: synthetic"
    )
    parser.add_argument(
        "--n-docs", type=int, default=n_docs, metavar="N", help="use (or grow the corpus to) N articles"
    )
    parser.add_argument(
        "--repeat", type=int, default=repeat, metavar="K", help="runs per measurement; medians are reported"
    )
    parser.add_argument("--seed", type=int, default=0, help="seed of the synthetic corpus")
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the results as JSON")
    return parser


def platform_line() -> str:
    import numpy

    try:
        cpus = len(os.sched_getaffinity(0))
    except AttributeError:
        cpus = os.cpu_count() or 1
    return (
        f"{platform.platform()}; {platform.processor() or platform.machine()}; {cpus} cores; "
        f"Python {platform.python_version()}; numpy {numpy.__version__}"
    )


def print_platform() -> None:
    print(f"# {platform_line()}")


# --------------------------------------------------------------------------------------------
# Corpora
# --------------------------------------------------------------------------------------------


def load_corpus(path: Path, n_docs: int | None = None) -> list[dict[str, Any]]:
    """Articles of a feed as dicts with ``id``, ``text`` and ``published`` (bad records skipped)."""
    from dedup.feeds import read_feed

    docs = []
    for record in read_feed(path):
        if record.article is None:
            continue
        a = record.article
        docs.append({"id": a.id, "text": a.text, "published": a.published.isoformat() if a.published else None})
        if n_docs is not None and len(docs) >= n_docs:
            break
    return docs


def _sentences_of(docs: Sequence[dict[str, Any]]) -> list[str]:
    from dedup.text import split_sentences

    return [s.text for d in docs for s in split_sentences(d["text"]) if len(s.text.split()) >= 4]


_NUMBER_RE = re.compile(r"\d+(?:[.,]\d+)?")


def _mutate(
    sentence: str, rng: random.Random, vocabulary: Sequence[str], rate: float, *, new_figures: bool = True
) -> str:
    words = sentence.split()
    for k in range(len(words)):
        if rng.random() < rate:
            words[k] = rng.choice(vocabulary)
    text = " ".join(words)
    return _NUMBER_RE.sub(lambda m: str(rng.randint(1, 9999)), text) if new_figures else text


def recombined_corpus(
    sentences: Sequence[str],
    n_docs: int,
    *,
    seed: int = 0,
    dup_rate: float = 0.1,
    mutate: float = 0.3,
    prefix: str = "syn",
) -> list[dict[str, Any]]:
    """``n_docs`` articles of 6–20 sentences drawn from ``sentences`` with about ``mutate`` of the words
    replaced (so articles do not share whole sentences by accident) and fresh figures; ``dup_rate`` of
    them are near-copies of an earlier article (a sentence dropped, a few words changed)."""
    rng = random.Random(seed)
    vocabulary = sorted({w for s in sentences for w in s.split()})
    docs: list[dict[str, Any]] = []
    for i in range(n_docs):
        if docs and rng.random() < dup_rate:
            source = rng.choice(docs)["text"].split("\n\n")
            if len(source) > 3:
                source.pop(rng.randrange(len(source)))
            text = "\n\n".join(_mutate(s, rng, vocabulary, 0.03, new_figures=False) for s in source)
        else:
            picked = rng.sample(sentences, rng.randint(6, 20)) if len(sentences) >= 20 else rng.choices(sentences, k=12)
            text = "\n\n".join(_mutate(s, rng, vocabulary, mutate) for s in picked)
        docs.append({"id": f"{prefix}-{i}", "text": text, "published": None})
    return docs


def get_corpus(args: argparse.Namespace, *, default_n: int = 2000) -> tuple[list[dict[str, Any]], str]:
    """The corpus a script measures, and a one-line description of it.

    With ``--corpus``: its articles, the first ``--n-docs`` of them, or, if ``--n-docs`` is larger,
    the corpus grown by recombining its own sentences. Without: a synthetic corpus.
    """
    n = args.n_docs
    if args.corpus is not None:
        docs = load_corpus(args.corpus)
        name = args.corpus.name
        if n is None or n <= len(docs):
            docs = docs[:n] if n is not None else docs
            return docs, f"{name}: {len(docs):,} articles"
        grown = recombined_corpus(
            _sentences_of(docs[:20000]), n - len(docs), seed=args.seed, mutate=0.15, prefix="grown"
        )
        return docs + grown, f"{name}: {len(docs):,} articles + {len(grown):,} recombined from its sentences"
    n = n or default_n
    seed_sentences = _sentences_of(load_corpus(EXAMPLE_FEED))
    docs = recombined_corpus(seed_sentences, n, seed=args.seed)
    return docs, f"synthetic: {n:,} articles recombined from examples/news_feed.jsonl sentences (seed {args.seed})"


# --------------------------------------------------------------------------------------------
# Timing and memory
# --------------------------------------------------------------------------------------------


def timed(fn: Callable[[], Any]) -> tuple[float, Any]:
    start = time.perf_counter()
    result = fn()
    return time.perf_counter() - start, result


def median(values: Sequence[float]) -> float:
    return statistics.median(values)


def peak_rss_mb() -> float:
    """Peak resident memory of this process so far, in MB.

    Reads the kernel's VmHWM where there is one: ``ru_maxrss`` survives ``execve``, so a child
    started by a large parent would report the parent's peak.
    """
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def rss_mb() -> float:
    """Resident memory of this process now, in MB (Linux /proc)."""
    with open("/proc/self/statm", encoding="ascii") as fh:
        return int(fh.read().split()[1]) * os.sysconf("SC_PAGE_SIZE") / 2**20


def child_pids() -> list[int]:
    """Child processes of this one (dedup's worker pools), from /proc."""
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


def tree_pss_mb() -> float:
    """PSS of this process and its child processes together: their joint footprint, shared pages counted once.

    Without child processes, this process's RSS: walking its page tables for PSS (``smaps_rollup``)
    every 0.1 s holds the kernel's lock on its address space and stalls the page faults of its
    worker threads (measured: 20% of a 200k-article run with 2 threads).
    """
    pids = child_pids()
    if not pids:
        return rss_mb()
    total = _pss_mb("self")
    for pid in pids:
        try:
            total += _pss_mb(pid)
        except OSError:  # the worker has just exited
            pass
    return total


class TreeMemory:
    """Peak memory of this process and its worker processes while the ``with`` block runs.

    A thread samples the PSS of the process tree every ``interval`` seconds (forked workers share
    the parent's pages, so their RSS would count those twice); ``peak_mb`` is the larger of that
    and this process's own peak RSS (VmHWM), so a single process is measured exactly.
    """

    def __init__(self, interval: float = 0.1) -> None:
        self.interval = interval
        self.tree_peak_mb = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)

    def _sample(self) -> None:
        while not self._stop.is_set():
            try:
                self.tree_peak_mb = max(self.tree_peak_mb, tree_pss_mb())
            except OSError:  # no /proc: VmHWM (or ru_maxrss) alone
                return
            self._stop.wait(self.interval)

    def __enter__(self) -> TreeMemory:  # noqa: PYI034 - typing.Self is 3.11+
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()

    @property
    def peak_mb(self) -> float:
        return max(peak_rss_mb(), self.tree_peak_mb)


def dedup_find_config(jobs: int = 0) -> Any:
    """The settings ``dedup find FEED`` runs with: the shipped defaults, no ``--pairs`` (so coverage off),
    ``-j 0`` = one worker per core (at most 8). ``tests/test_benchmarks_perf.py`` checks this against the CLI."""
    from dedup import DedupConfig

    return DedupConfig(coverage=False, workers=jobs or min(os.cpu_count() or 1, 8))


def read_jsonl(path: Path) -> list[dict[str, Any]]:
    """The records of a JSON Lines file written by :func:`write_feed`, with the json module only (no dedup
    import, so a peer's process holds only the peer)."""
    with path.open(encoding="utf-8") as lines:
        return [json.loads(line) for line in lines if line.strip()]


def write_feed(docs: Sequence[dict[str, Any]], path: Path) -> Path:
    """``docs`` as a JSON Lines feed (what ``dedup find`` reads)."""
    with path.open("w", encoding="utf-8") as out:
        for d in docs:
            out.write(json.dumps(d, ensure_ascii=False) + "\n")
    return path


def run_child(script: Path, argv: Sequence[str], *, timeout: float = 3600) -> dict[str, Any]:
    """Run ``python script argv...`` in a fresh process; it prints one JSON object as its last line."""
    done = subprocess.run(
        [sys.executable, str(script), *argv], check=False, capture_output=True, text=True, timeout=timeout
    )
    if done.returncode != 0:
        raise RuntimeError(f"{script.name} {' '.join(argv)} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


def code_revision() -> str:
    """The commit of the code measured (``git describe --always --dirty``), for the JSON."""
    try:
        done = subprocess.run(
            ["git", "-C", str(ROOT), "describe", "--always", "--dirty"],
            check=False,
            capture_output=True,
            text=True,
            timeout=10,
        )
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    return done.stdout.strip() or "unknown"


def write_json(path: Path | None, payload: Any) -> None:
    if path is not None:
        path.write_text(json.dumps(payload, indent=1, default=str) + "\n", encoding="utf-8")


def table(rows: Sequence[Sequence[Any]], header: Sequence[str]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(str(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)
