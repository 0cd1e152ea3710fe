"""End to end, raw text to verified pairs and groups: dedup against datasketch and rensa doing the same work.

All three pipelines see the same word 5-gram shingles (``dedup.tokenize`` tokens), 128 permutations
and threshold 0.5, and each verifies its LSH candidates before reporting a pair:

- **dedup**: ``find_duplicates(docs, shingle_size=5, threshold=0.5, candidate_threshold=0.5,
  coverage=False)``; verification is dedup's own (idf-weighted Jaccard / containment, figures agree).
- **datasketch**: ``MinHash.bulk`` over the shingles (default: datasketch's own SHA-1 of each
  shingle's UTF-8 bytes, what a datasketch user writes; ``--datasketch-hash dedup`` uses
  ``hashfunc=dedup.hash_shingle``, which makes its signatures identical to dedup's), a
  ``MinHashLSH(threshold=0.5, num_perm=128)`` filled in an ``insertion_session()``, one ``query``
  per document, exact Jaccard of Python sets >= 0.5, union-find groups.
- **rensa**: ``RMinHash(num_perm=128, seed=42).update(shingles)`` per document and
  ``RMinHashLSH(threshold=0.5, num_perm=128, num_bands=32)`` ``insert`` / ``query``, as rensa's
  README and tests show; then the same exact-Jaccard verification and union-find. 32 bands of 4 rows
  is the divisor of 128 with the least false-positive + false-negative area at 0.5 (the rule
  datasketch and dedup use to choose 25 x 5).

Timings: the three run in one process, alternating, ``--repeat`` rounds; medians and the ratios
peer / dedup. Peak memory: each pipeline once in a fresh process (``--child NAME``), beside a process
that only loaded the corpus (``--child baseline``); nothing is subtracted.

    python benchmarks/bench_end_to_end.py --corpus ../shared/data/reuters21578.jsonl.gz --repeat 3 --json /tmp/bench/e2e.json
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _common import (
    base_parser,
    get_corpus,
    median,
    peak_rss_mb,
    platform_line,
    print_platform,
    code_revision,
    run_child,
    table,
    timed,
    write_json,
)

NUM_PERM = 128
THRESHOLD = 0.5
SHINGLE_SIZE = 5
RENSA_BANDS = 32
RENSA_SEED = 42
PIPELINES = ("dedup", "datasketch", "rensa")

Result = dict[str, Any]


# --------------------------------------------------------------------------------------------
# The pipelines: docs (dicts with id and text) in, verified pairs of input positions out
# --------------------------------------------------------------------------------------------


def run_dedup(docs: Sequence[dict[str, Any]], *, workers: int = 1, **_: Any) -> Result:
    import dedup

    result = dedup.find_duplicates(
        docs, shingle_size=SHINGLE_SIZE, threshold=THRESHOLD, candidate_threshold=THRESHOLD, coverage=False,
        workers=workers,
    )
    position = {d["id"]: i for i, d in enumerate(docs)}
    pairs = {(position[p.a], position[p.b]) for p in result.pairs}
    return {"pairs": pairs, "candidates": int(result.stats["candidates"]), "groups": len(result.clusters)}


def _peer_shingles(texts: Sequence[str]) -> list[list[str]]:
    """Each text's word 5-grams as strings of space-joined ``dedup.tokenize`` tokens (repeats kept),
    the shingles dedup hashes: metadata prefix left out, a text shorter than 5 words is one shingle."""
    from dedup import tokenize
    from dedup.shingles import content

    out = []
    for text in texts:
        tokens = tokenize(content(text))
        if len(tokens) <= SHINGLE_SIZE:
            out.append([" ".join(tokens)] if tokens else [])
        else:
            out.append([" ".join(tokens[i : i + SHINGLE_SIZE]) for i in range(len(tokens) - SHINGLE_SIZE + 1)])
    return out


def _verify_and_group(n: int, sets: Sequence[set[str]], candidates: Sequence[Sequence[int]]) -> Result:
    """Exact Jaccard of every candidate pair (i < j) on Python sets; union-find groups of verified pairs."""
    pairs = set()
    n_candidates = 0
    for i, found in enumerate(candidates):
        a = sets[i]
        if not a:
            continue
        for j in found:
            if j <= i or not sets[j]:
                continue
            n_candidates += 1
            b = sets[j]
            inter = len(a & b)
            if inter / (len(a) + len(b) - inter) >= THRESHOLD:
                pairs.add((i, j))
    parent = list(range(n))

    def root(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for i, j in pairs:
        ri, rj = root(i), root(j)
        if ri != rj:
            parent[max(ri, rj)] = min(ri, rj)
    return {"pairs": pairs, "candidates": n_candidates, "groups": len({root(i) for i, _ in pairs})}


def run_datasketch(docs: Sequence[dict[str, Any]], *, datasketch_hash: str = "sha1", **_: Any) -> Result:
    from datasketch import MinHash, MinHashLSH

    shingles = _peer_shingles([d["text"] for d in docs])
    if datasketch_hash == "dedup":
        from dedup import hash_shingle

        # hash_shingle takes a shingle as its tokens: the signatures are then dedup's, bit for bit.
        minhashes = MinHash.bulk(
            ([tuple(s.split(" ")) for s in doc] for doc in shingles), num_perm=NUM_PERM, hashfunc=hash_shingle
        )
    else:
        minhashes = MinHash.bulk(([s.encode("utf-8") for s in doc] for doc in shingles), num_perm=NUM_PERM)
    lsh = MinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM)
    with lsh.insertion_session() as session:
        for i, m in enumerate(minhashes):
            session.insert(i, m)
    candidates = [lsh.query(m) for m in minhashes]
    return _verify_and_group(len(docs), [set(s) for s in shingles], candidates)


def run_rensa(docs: Sequence[dict[str, Any]], **_: Any) -> Result:
    from rensa import RMinHash, RMinHashLSH

    shingles = _peer_shingles([d["text"] for d in docs])
    minhashes = []
    for doc in shingles:
        m = RMinHash(num_perm=NUM_PERM, seed=RENSA_SEED)
        m.update(doc)
        minhashes.append(m)
    lsh = RMinHashLSH(threshold=THRESHOLD, num_perm=NUM_PERM, num_bands=RENSA_BANDS)
    for i, m in enumerate(minhashes):
        lsh.insert(i, m)
    candidates = [lsh.query(m) for m in minhashes]
    return _verify_and_group(len(docs), [set(s) for s in shingles], candidates)


def tokenise_only(docs: Sequence[dict[str, Any]]) -> int:
    """The tokenising all three pipelines share (``dedup.tokenize`` of each text): a floor under each."""
    from dedup import tokenize
    from dedup.shingles import content

    return sum(len(tokenize(content(d["text"]))) for d in docs)


RUNNERS: dict[str, Callable[..., Result]] = {"dedup": run_dedup, "datasketch": run_datasketch, "rensa": run_rensa}


# --------------------------------------------------------------------------------------------
# Driver
# --------------------------------------------------------------------------------------------


def _parser() -> argparse.ArgumentParser:
    parser = base_parser(__doc__.split("\n\n")[0], repeat=3)
    parser.add_argument(
        "--datasketch-hash",
        choices=("sha1", "dedup"),
        default="sha1",
        help="datasketch's hash of each shingle: its default SHA-1 of the bytes (default), or dedup.hash_shingle",
    )
    parser.add_argument("--skip-memory", action="store_true", help="do not measure peak memory in separate processes")
    parser.add_argument("--workers", type=int, default=2, metavar="N",
                        help="also time dedup with N worker processes (workers=N; 0 or 1: skip); ratios stay against one process")
    parser.add_argument("--child", choices=("baseline", *PIPELINES), help=argparse.SUPPRESS)
    return parser


def _corpus_argv(args) -> list[str]:
    argv = ["--seed", str(args.seed), "--datasketch-hash", args.datasketch_hash]
    if args.corpus is not None:
        argv += ["--corpus", str(args.corpus)]
    if args.n_docs is not None:
        argv += ["--n-docs", str(args.n_docs)]
    return argv


def _child(args) -> int:
    docs, _ = get_corpus(args)
    loaded = peak_rss_mb()
    out: dict[str, Any] = {"name": args.child, "baseline_rss_mb": loaded}
    if args.child != "baseline":
        seconds, result = timed(lambda: RUNNERS[args.child](docs, datasketch_hash=args.datasketch_hash))
        out.update(seconds=seconds, pairs=len(result["pairs"]))
    out["peak_rss_mb"] = peak_rss_mb()
    out["vm_hwm_mb"] = _vm_hwm_mb()
    print(json.dumps(out))
    return 0


def _vm_hwm_mb() -> float | None:
    """This process's own peak RSS from /proc (Linux), a cross-check of ``peak_rss_mb()``."""
    try:
        with open("/proc/self/status", encoding="ascii") as fh:
            for line in fh:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) / 1024
    except OSError:
        pass
    return None


def _ratio(x: float, y: float) -> float:
    return x / y if y > 0 else float("inf")


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = _parser().parse_args(argv)
    if args.child:
        return _child(args)
    print_platform()
    revision = code_revision()
    print(f"# dedup at {revision}")
    load_start = list(os.getloadavg())
    # Memory first, while this process is small: a child started by fork/vfork + exec inherits its
    # parent's peak RSS in getrusage's ru_maxrss, so a large parent would inflate every child's peak.
    memory: dict[str, Any] = {}
    if not args.skip_memory:
        for name in ("baseline", *PIPELINES):
            memory[name] = run_child(Path(__file__), [*_corpus_argv(args), "--child", name])
    docs, description = get_corpus(args)
    command = shlex.join(["python", "benchmarks/bench_end_to_end.py", *argv])
    print(f"# {description}; {args.repeat} alternating rounds")

    parallel = args.workers > 1
    times: dict[str, list[float]] = {name: [] for name in (*PIPELINES, "tokenise", *(["parallel"] if parallel else []))}
    results: dict[str, Result] = {}
    for _ in range(args.repeat):
        for name in PIPELINES:
            run = RUNNERS[name]
            seconds, result = timed(lambda run=run: run(docs, datasketch_hash=args.datasketch_hash))
            times[name].append(seconds)
            results.setdefault(name, result)
        if parallel:
            seconds, result = timed(lambda: run_dedup(docs, workers=args.workers))
            times["parallel"].append(seconds)
            results.setdefault("parallel", result)
        seconds, n_tokens = timed(lambda: tokenise_only(docs))
        times["tokenise"].append(seconds)

    med = {name: median(values) for name, values in times.items()}
    ratios = {f"{name}/dedup": _ratio(med[name], med["dedup"]) for name in ("datasketch", "rensa")}
    if parallel:
        ratios.update({f"{name}/dedup-{args.workers}-workers": _ratio(med[name], med["parallel"]) for name in ("datasketch", "rensa")})
    n = len(docs)
    labels = {
        "dedup": "dedup `find_duplicates`",
        "datasketch": f"datasketch `MinHash.bulk` ({'dedup.hash_shingle' if args.datasketch_hash == 'dedup' else 'SHA-1'}) + `MinHashLSH` + exact Jaccard",
        "rensa": f"rensa `RMinHash` + `RMinHashLSH` ({RENSA_BANDS} bands) + exact Jaccard",
    }
    speed_rows = [
        [
            labels[name],
            f"{med[name]:.2f}",
            f"{min(times[name]):.2f}",
            f"{n / med[name]:,.0f}",
            "1.0×" if name == "dedup" else f"{ratios[f'{name}/dedup']:.1f}×",
            f"{results[name]['candidates']:,}",
            f"{len(results[name]['pairs']):,}",
            f"{results[name]['groups']:,}",
        ]
        for name in PIPELINES
    ]
    if parallel:
        speed_rows.insert(1, [
            f"dedup `find_duplicates(workers={args.workers})`",
            f"{med['parallel']:.2f}",
            f"{min(times['parallel']):.2f}",
            f"{n / med['parallel']:,.0f}",
            f"{_ratio(med['parallel'], med['dedup']):.2f}× (datasketch {ratios[f'datasketch/dedup-{args.workers}-workers']:.1f}×, "
            f"rensa {ratios[f'rensa/dedup-{args.workers}-workers']:.1f}× its time)",
            f"{results['parallel']['candidates']:,}",
            f"{len(results['parallel']['pairs']):,}",
            f"{results['parallel']['groups']:,}",
        ])
    speed_rows.append(
        [
            "shared part: `dedup.tokenize` of every text",
            f"{med['tokenise']:.2f}",
            f"{min(times['tokenise']):.2f}",
            f"{n / med['tokenise']:,.0f}",
            f"{_ratio(med['tokenise'], med['dedup']):.2f}×",
            "",
            "",
            "",
        ]
    )
    speed = table(
        speed_rows,
        [
            "pipeline",
            "median s",
            "min s",
            "articles/s",
            "time / dedup's",
            "candidate pairs",
            "verified pairs",
            "groups",
        ],
    )

    ref = results["dedup"]["pairs"]
    accuracy_rows = []
    overlap: dict[str, Any] = {}
    for name in ("datasketch", "rensa"):
        other = results[name]["pairs"]
        shared = len(ref & other)
        union = len(ref | other)
        overlap[name] = {
            "pairs": len(other),
            "shared_with_dedup": shared,
            "only_peer": len(other - ref),
            "only_dedup": len(ref - other),
            "jaccard": shared / union if union else 1.0,
        }
        accuracy_rows.append(
            [
                name,
                f"{len(other):,}",
                f"{shared:,}",
                f"{len(other - ref):,}",
                f"{len(ref - other):,}",
                f"{overlap[name]['jaccard']:.3f}",
            ]
        )
    ds, rs = results["datasketch"]["pairs"], results["rensa"]["pairs"]
    union = len(ds | rs)
    overlap["datasketch_vs_rensa"] = {"shared": len(ds & rs), "jaccard": len(ds & rs) / union if union else 1.0}
    accuracy = table(
        accuracy_rows,
        ["peer", "verified pairs", "also found by dedup", "only the peer", "only dedup", "Jaccard of the pair sets"],
    )

    # All three tokenise with dedup.tokenize: however fast the rest of dedup, peer / dedup stays below
    # peer / tokenising.
    ceiling = {f"{name}/dedup": _ratio(med[name], med["tokenise"]) for name in ("datasketch", "rensa")}
    blocks = [
        (
            f"End to end on {description}: raw text to verified pairs, word 5-grams, num_perm=128, threshold 0.5; "
            f"medians of {args.repeat} alternating runs in one process. {platform_line()}."
        ),
        speed,
        (
            f"All three tokenise with `dedup.tokenize` ({n_tokens:,} tokens), so however fast the rest of dedup became, "
            f"the ratios could not pass datasketch / tokenising = {ceiling['datasketch/dedup']:.1f}× and "
            f"rensa / tokenising = {ceiling['rensa/dedup']:.1f}×."
        ),
        (
            "Agreement of the verified pairs (dedup verifies with idf-weighted Jaccard/containment and figures; "
            f"the peers with exact Jaccard >= 0.5). datasketch and rensa agree on {overlap['datasketch_vs_rensa']['shared']:,} pairs "
            f"(Jaccard {overlap['datasketch_vs_rensa']['jaccard']:.3f})."
        ),
        accuracy,
    ]
    if memory:
        base = memory["baseline"]["peak_rss_mb"]
        memory_rows = [["corpus loaded only (baseline)", f"{base:,.0f}", "", ""]]
        for name in PIPELINES:
            m = memory[name]
            memory_rows.append(
                [name, f"{m['peak_rss_mb']:,.0f}", f"{m['peak_rss_mb'] - base:+,.0f}", f"{m['seconds']:.2f}"]
            )
        blocks += [
            (
                "Peak resident memory, each pipeline once in a fresh process that first loads the corpus "
                "(nothing subtracted; the baseline process only loads it)."
            ),
            table(memory_rows, ["process", "peak RSS MB", "vs baseline MB", "seconds (cold, one run)"]),
        ]
        ratios["memory dedup/datasketch"] = _ratio(memory["dedup"]["peak_rss_mb"], memory["datasketch"]["peak_rss_mb"])
    targets = [
        [
            "≥ 10× faster than datasketch",
            f"{ratios['datasketch/dedup']:.1f}×",
            "yes" if ratios["datasketch/dedup"] >= 10 else "no",
        ],
        ["≥ 3× faster than rensa", f"{ratios['rensa/dedup']:.1f}×", "yes" if ratios["rensa/dedup"] >= 3 else "no"],
    ]
    if memory:
        mem = ratios["memory dedup/datasketch"]
        targets.append(["peak memory ≤ ½ of datasketch's", f"{mem:.2f} of it", "yes" if mem <= 0.5 else "no"])
    blocks += [
        "Targets of issue #4 (on Reuters-21578; measured here on the corpus above).",
        table(targets, ["target", "measured", "met"]),
    ]
    markdown = "\n\n".join(blocks)
    print()
    print(markdown)
    print(f"\n# reproduce: {command}")
    write_json(
        args.json,
        {
            "command": command,
            "revision": revision,
            "platform": platform_line(),
            "corpus": description,
            "n_docs": n,
            "repeat": args.repeat,
            "datasketch_hash": args.datasketch_hash,
            "rensa_bands": RENSA_BANDS,
            "seconds": times,
            "median_seconds": med,
            "ratios": ratios,
            "ratio_ceilings": ceiling,
            "tokens": n_tokens,
            "loadavg_start_end": [load_start, list(os.getloadavg())],
            "candidates": {name: results[name]["candidates"] for name in PIPELINES},
            "pairs": {name: len(results[name]["pairs"]) for name in PIPELINES},
            "parallel_same_pairs": results["parallel"]["pairs"] == results["dedup"]["pairs"] if parallel else None,
            "groups": {name: results[name]["groups"] for name in PIPELINES},
            "overlap": overlap,
            "memory": memory,
            "markdown": markdown,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
