"""Plot the LSH S-curve P(candidate | Jaccard s) = 1 - (1 - s^r)^b to docs/img/lsh-s-curve.png.

Two settings: dedup's defaults (``DedupConfig()``: LSH tuned for ``candidate_threshold``, pairs
verified at ``threshold``; the seeds pair marked at its word 2-gram Jaccard) and the benchmark
setting of issue #4 (word 5-grams, threshold 0.5, 128 permutations). With ``--accuracy JSON``
(written by ``bench_accuracy.py --json``), the measured share of pairs found per exact-Jaccard
bin is drawn over the benchmark curve.

Usage: python benchmarks/plot_scurve.py [--accuracy /tmp/bench/accuracy.json] [--out docs/img/lsh-s-curve.png] [--json OUT]
"""

from __future__ import annotations

import argparse
import json
import shlex
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import ROOT, table, write_json

from dedup import DedupConfig, Shingler, load_articles
from dedup.candidates import lsh_params

DEFAULT_OUT = ROOT / "docs" / "img" / "lsh-s-curve.png"
SEEDS = ROOT / "examples" / "seeds"
BENCH_THRESHOLD = 0.5
BENCH_NUM_PERM = 128
#: Bins with fewer pairs than this are left out of the measured overlay (too noisy to read).
MIN_BIN_PAIRS = 5


def s_curve(s: np.ndarray | float, *, bands: int, rows: int) -> np.ndarray:
    return 1.0 - (1.0 - np.asarray(s, dtype=float) ** rows) ** bands


def seeds_jaccard(*, size: int) -> float:
    """Exact Jaccard of the word ``size``-gram sets of the seeds pair (examples/seeds)."""
    a = load_articles(SEEDS / "reuters_openai_nato.txt")[0].text
    b = load_articles(SEEDS / "unn_openai_nato.txt")[0].text
    sets = Shingler(unit="word", size=size).shingle([a, b]).sets()
    x, y = sets.doc(0), sets.doc(1)
    inter = np.intersect1d(x, y, assume_unique=True).shape[0]
    return inter / (x.shape[0] + y.shape[0] - inter)


def settings() -> dict[str, Any]:
    cfg = DedupConfig()
    bands, rows = lsh_params(cfg.candidate_threshold, num_perm=cfg.num_perm)
    bench_bands, bench_rows = lsh_params(BENCH_THRESHOLD, num_perm=BENCH_NUM_PERM)
    return {
        "defaults": {
            "candidate_threshold": cfg.candidate_threshold,
            "threshold": cfg.threshold,
            "num_perm": cfg.num_perm,
            "shingles": f"{cfg.shingle_unit} {cfg.shingle_size}-grams",
            "bands": bands,
            "rows": rows,
            "seeds_jaccard": seeds_jaccard(size=cfg.shingle_size) if cfg.shingle_unit == "word" else None,
        },
        "benchmark": {
            "threshold": BENCH_THRESHOLD,
            "num_perm": BENCH_NUM_PERM,
            "shingles": "word 5-grams",
            "bands": bench_bands,
            "rows": bench_rows,
        },
    }


def measured_points(accuracy: dict[str, Any]) -> dict[str, Any] | None:
    """The measured share found per bin of the benchmark setting, from a bench_accuracy JSON."""
    run = accuracy.get("recall", {}).get(f"{BENCH_THRESHOLD:g}")
    if run is None:
        return None
    bins = run["bins"]
    edges = bins["edges"]
    x, y, n = [], [], []
    for k, (count, found) in enumerate(zip(bins["pairs"], bins["recall"])):
        if count < MIN_BIN_PAIRS or found is None:
            continue
        mean_j = (bins.get("mean_jaccard") or [None] * len(bins["pairs"]))[k]
        x.append(mean_j if mean_j is not None else (edges[k] + edges[k + 1]) / 2)
        y.append(found)
        n.append(count * max(len(accuracy.get("seeds", [1])), 1))
    return {
        "x": x,
        "y": y,
        "n": n,
        "bands": run["bands"],
        "rows": run["rows"],
        "recall": run["recall"],
        "corpus": accuracy.get("corpus", ""),
    }


def plot(out: Path, info: dict[str, Any], measured: dict[str, Any] | None) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    d, bm = info["defaults"], info["benchmark"]
    s = np.linspace(0, 1, 501)
    fig, ax = plt.subplots(figsize=(8, 6), dpi=120)
    blue, orange, grey = "#1f77b4", "#d95f02", "#555555"

    ax.plot(
        s,
        s_curve(s, bands=d["bands"], rows=d["rows"]),
        color=blue,
        lw=2.2,
        label=f"defaults: {d['shingles']}, LSH for {d['candidate_threshold']:g} "
        f"({d['bands']} bands × {d['rows']} rows of {d['num_perm']})",
    )
    ax.plot(
        s,
        s_curve(s, bands=bm["bands"], rows=bm["rows"]),
        color=orange,
        lw=2.2,
        label=f"benchmark: {bm['shingles']}, LSH for {bm['threshold']:g} "
        f"({bm['bands']} bands × {bm['rows']} rows of {bm['num_perm']})",
    )

    # The defaults: verification threshold and the seeds pair.
    p_verify = float(s_curve(d["threshold"], bands=d["bands"], rows=d["rows"]))
    ax.axvline(d["threshold"], color=blue, ls=":", lw=1.2)
    ax.annotate(
        f"verified at {d['threshold']:g}:\nP = {p_verify:.2f}",
        xy=(d["threshold"], p_verify),
        xytext=(0.2, 0.42),
        fontsize=9,
        color=blue,
        arrowprops={"arrowstyle": "->", "color": blue, "lw": 0.8},
    )
    if d.get("seeds_jaccard") is not None:
        js = d["seeds_jaccard"]
        p_seeds = float(s_curve(js, bands=d["bands"], rows=d["rows"]))
        ax.plot([js], [p_seeds], marker="*", ms=14, color=blue, mec="white", zorder=5)
        ax.annotate(
            f"seeds pair (word 2-grams): J = {js:.2f}, P = {p_seeds:.3f}",
            xy=(js, p_seeds),
            xytext=(js + 0.025, 1.05),
            va="center",
            fontsize=9,
            color=blue,
            bbox={"fc": "white", "ec": "none", "pad": 1},
            zorder=10,
        )

    # The benchmark setting: its threshold and, when given, the measured share found per bin.
    p_bench = float(s_curve(bm["threshold"], bands=bm["bands"], rows=bm["rows"]))
    ax.axvline(bm["threshold"], color=orange, ls=":", lw=1.2)
    ax.annotate(
        f"threshold {bm['threshold']:g}\nP = {p_bench:.2f}",
        xy=(bm["threshold"], p_bench),
        xytext=(bm["threshold"] + 0.03, 0.30),
        fontsize=9,
        color=orange,
        arrowprops={"arrowstyle": "->", "color": orange, "lw": 0.8},
    )
    if measured is not None and measured["x"]:
        x, y, n = (np.asarray(measured[k], dtype=float) for k in ("x", "y", "n"))
        err = np.sqrt(np.clip(y * (1 - y), 1e-4, None) / n)  # binomial standard error of the share
        corpus = measured["corpus"].split(":")[0]
        ax.errorbar(
            x,
            y,
            yerr=2 * err,
            fmt="o",
            ms=5,
            color="black",
            mfc=orange,
            ecolor=grey,
            elinewidth=1,
            capsize=2,
            zorder=6,
            label=f"measured share found per 0.05 bin, ±2 SE ({corpus}; "
            f"recall at J ≥ {bm['threshold']:g}: {measured['recall']:.3f})",
        )

    ax.set_xlim(0, 1)
    ax.set_ylim(-0.02, 1.1)
    ax.set_yticks(np.linspace(0, 1, 6))
    ax.set_xlabel("exact Jaccard similarity s of the two shingle sets")
    ax.set_ylabel("P(pair becomes a candidate) = 1 − (1 − sʳ)ᵇ")
    ax.set_title("MinHash LSH S-curves: which pairs reach verification")
    ax.grid(True, alpha=0.3)
    ax.legend(loc="upper center", bbox_to_anchor=(0.5, -0.13), fontsize=8.5, frameon=False)
    fig.tight_layout()
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, metadata={"Software": None})
    plt.close(fig)


def probability_table(info: dict[str, Any]) -> str:
    d, bm = info["defaults"], info["benchmark"]
    marks = sorted({0.1, 0.2, d["threshold"], 0.5, 0.6, 0.8, round(d["seeds_jaccard"] or 0.42, 2)})
    rows = []
    for name, st in (("defaults", d), ("benchmark", bm)):
        rows.append(
            [
                f"{name} ({st['shingles']}, {st['bands']}×{st['rows']})",
                *(f"{float(s_curve(m, bands=st['bands'], rows=st['rows'])):.3f}" for m in marks),
            ]
        )
    return table(rows, ["setting", *(f"s = {m:g}" for m in marks)])


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--accuracy", type=Path, metavar="JSON", help="a bench_accuracy.py --json output to overlay")
    parser.add_argument(
        "--out", type=Path, default=DEFAULT_OUT, metavar="PNG", help=f"default {DEFAULT_OUT.relative_to(ROOT)}"
    )
    parser.add_argument("--json", type=Path, metavar="OUT", help="also write the probabilities and the command as JSON")
    args = parser.parse_args(argv)
    argv = list(sys.argv[1:] if argv is None else argv)
    info = settings()
    measured = None
    if args.accuracy is not None:
        measured = measured_points(json.loads(args.accuracy.read_text(encoding="utf-8")))
        if measured is None:
            parser.error(
                f"{args.accuracy} has no recall at threshold {BENCH_THRESHOLD:g}; is it a bench_accuracy.py JSON?"
            )
    plot(args.out, info, measured)
    markdown = "P(candidate) at some similarities:\n\n" + probability_table(info)
    print(markdown)
    print(f"\nwrote {args.out}")
    out = args.out.resolve()
    write_json(
        args.json,
        {
            "script": "plot_scurve.py",
            "command": shlex.join(["python", "benchmarks/plot_scurve.py", *argv]),
            "image": str(out.relative_to(ROOT)) if out.is_relative_to(ROOT) else str(out),
            "settings": info,
            "measured": measured,
            "markdown": markdown,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
