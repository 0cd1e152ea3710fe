"""Each stage of dedup alone, as find_duplicates runs it: median seconds and share of the total, so the slowest stage is known.

Two settings, the shipped defaults first: ``DedupConfig()`` as a library user gets it (word 2-grams,
LSH for 0.2, threshold 0.35, coverage off), then the peers' setting (word 5-grams, num_perm=128,
threshold and candidate threshold 0.5, coverage off). One process (``workers=1``, the library
default). The stages are called one by one with the pipeline's own functions, each fed the previous
stage's output of the same round, in the order ``find_duplicates`` runs them:

- input: dicts to ``Article`` (``pipeline._article_chunks``);
- per chunk of 4,096 articles: tokenise+hash (``Shingler.shingle_all``), sets
  (``ShingleBatch.sets``), signatures (``minhash_signatures``), band keys (``candidates.band_keys``);
- document frequency of every shingle over the batch (the verifier's idf, ``_batch_verify._Verifier``);
- the bounded candidate stream (``candidates.candidate_chunks(keys, limit=bucket_limit)``, chunks of
  pairs) and, chunk by chunk as they come, verification (figures checked first, then idf-weighted
  Jaccard / containment on the sets of the chunk's documents: ``_batch_verify._Verifier``): the time
  spent producing chunks and verifying them is counted apart;
- alignment: sentence coverage of every verified pair (``verify.coverage_of``), which only
  ``coverage=True`` runs (off by default; ``dedup find`` turns it on with ``--pairs``);
- pair results (``verify.pairs_from_evidence``), clustering (``cluster.cluster_verdicts``).

``find_duplicates`` itself is timed in the same rounds, and its counts (candidates, pairs, clusters)
are checked against the stages'.

    python benchmarks/bench_stages.py --corpus ../shared/data/reuters21578.jsonl.gz --repeat 3 --json /tmp/bench/stages.json
"""

from __future__ import annotations

import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import base_parser, code_revision, get_corpus, median, platform_line, print_platform, table, write_json

import dedup
from dedup import _batch_verify, pipeline
from dedup.candidates import band_keys, candidate_chunks, lsh_params
from dedup.cluster import cluster_verdicts
from dedup.shingles import Shingled
from dedup.verify import coverage_of, pairs_from_evidence

SETTINGS: dict[str, dict[str, Any]] = {
    "defaults": {},
    "benchmark": {"shingle_size": 5, "threshold": 0.5, "candidate_threshold": 0.5, "coverage": False},
}
TITLES = {
    "defaults": "the shipped defaults, `DedupConfig()`",
    "benchmark": "the peers' setting (word 5-grams, num_perm=128, threshold 0.5, coverage off)",
}

# (name, what is called); alignment runs only with coverage on.
STAGES: list[tuple[str, str]] = [
    ("input", "`pipeline._article_chunks` (dicts to `Article`)"),
    ("tokenise+hash", "`Shingler.shingle_all(texts)` (shingles, figures and lead terms, one tokenising)"),
    ("sets", "`ShingleBatch.sets()`"),
    ("signatures", "`minhash_signatures(sets, num_perm=...)`"),
    ("band keys", "`candidates.band_keys(signatures, bands=, rows=)`"),
    ("document frequency", "idf over the batch (`_batch_verify._Verifier`: one sort of all set hashes)"),
    ("candidates", "`candidates.candidate_chunks(keys, limit=bucket_limit)`: the bounded stream of pair chunks"),
    ("verification", "each chunk as it comes: figures first, then `verify.evidence` on its documents' sets"),
    ("alignment", "`verify.coverage_of` of the verified pairs (`align(a, b, diff=False)` each)"),
    ("pair results", "`verify.pairs_from_evidence` (`DuplicatePair` + reason)"),
    ("clustering", "`cluster.cluster_verdicts` (`star_clusters` + verdicts)"),
]
CHUNK = getattr(pipeline, "_CHUNK", 4096)
PAIR_CHUNK = getattr(pipeline, "_PAIR_CHUNK", 1 << 18)


def one_round(docs: Sequence[dict[str, Any]], cfg: dedup.DedupConfig) -> tuple[dict[str, float], dict[str, Any]]:
    """Every stage once, in pipeline order; seconds per stage and what came out."""
    seconds = {name: 0.0 for name, _ in STAGES}

    def stage(name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        out = fn()
        seconds[name] += time.perf_counter() - start
        return out

    bands, rows = lsh_params(cfg.candidate_threshold, num_perm=cfg.num_perm, weights=cfg.lsh_weights)
    articles = stage("input", lambda: [a for chunk in pipeline._article_chunks(docs, CHUNK) for a in chunk])
    texts = [a.text for a in articles]
    ids = [a.id for a in articles]
    shingler = dedup.Shingler(unit=cfg.shingle_unit, size=cfg.shingle_size)  # one per call, as find_duplicates makes
    chunks = _batch_verify._Chunks()
    keys_parts = []
    n_shingles = 0
    for lo in range(0, len(texts), CHUNK):
        part = texts[lo : lo + CHUNK]
        made = stage("tokenise+hash", lambda part=part: shingler.shingle_all(part))
        batch = made.shingles
        sets = stage("sets", batch.sets)
        sigs = stage(
            "signatures",
            lambda sets=sets: dedup.minhash_signatures(
                sets, num_perm=cfg.num_perm, seed=cfg.seed, block_size=cfg.block_size
            ),
        )
        keys_parts.append(stage("band keys", lambda sigs=sigs: band_keys(sigs, bands=bands, rows=rows)))
        chunks.append(Shingled(sets, made.figures, made.terms))
        n_shingles += int(batch.hashes.shape[0])
    distinct = sum(int(s.hashes.shape[0]) for s in chunks.sets)
    keys = np.concatenate(keys_parts) if keys_parts else np.empty((0, bands), np.uint64)
    no_coverage = cfg.replace(coverage=False)  # alignment is timed as its own stage
    verifier = stage(
        "document frequency",
        lambda: _batch_verify._Verifier(chunks, len(ids), texts, no_coverage, np.full(len(ids), np.nan)),
    )
    stream = candidate_chunks(keys, limit=cfg.bucket_limit, chunk_pairs=PAIR_CHUNK)
    produced = iter(stream)
    parts = []
    while True:
        chunk = stage("candidates", lambda: next(produced, None))
        if chunk is None:
            break
        verified = stage("verification", lambda chunk=chunk: verifier(chunk))
        parts.append(verified[0] if isinstance(verified, tuple) else verified)
    ev, _ = _batch_verify._concatenate(parts)
    coverage = stage("alignment", lambda: coverage_of(ev.pairs, texts)) if cfg.coverage else None
    pairs = stage(
        "pair results",
        lambda: pairs_from_evidence(ev, np.ones(ev.pairs.shape[0], bool), ids, texts, cfg, coverage=coverage),
    )
    clusters, _ = stage(
        "clustering",
        lambda: cluster_verdicts(
            ids, [len(t) for t in texts], [a.published for a in articles], ev.pairs, ev.score, cfg
        ),
    )
    counts = {
        "shingles": n_shingles,
        "distinct": distinct,
        "candidates": int(stream.candidates),
        "capped_buckets": int(stream.capped_buckets),
        "pairs": len(pairs),
        "clusters": len(clusters),
        "bands": bands,
        "rows": rows,
    }
    return seconds, counts


def measure(docs: Sequence[dict[str, Any]], setting: str, repeat: int) -> dict[str, Any]:
    cfg = dedup.DedupConfig(**SETTINGS[setting])
    one_round(docs[:200], cfg)  # warm-up: imports and compiled kernels paid before the timed rounds
    rounds: dict[str, list[float]] = {name: [] for name, _ in STAGES}
    whole: list[float] = []
    inside: list[dict[str, float]] = []
    counts: dict[str, Any] = {}
    result = None
    for _ in range(repeat):
        seconds, counts = one_round(docs, cfg)
        for name, value in seconds.items():
            rounds[name].append(value)
        start = time.perf_counter()
        result = dedup.find_duplicates(docs, cfg)
        whole.append(time.perf_counter() - start)
        inside.append(dict(result.stats["seconds"]))
    med = {name: median(values) for name, values in rounds.items()}
    ran = [name for name, _ in STAGES if name != "alignment" or cfg.coverage]
    total = sum(med[name] for name in ran)
    assert result is not None
    found = {
        "candidates": int(result.stats["candidates"]),
        "pairs": len(result.pairs),
        "clusters": len(result.clusters),
    }
    return {
        "config": {k: v for k, v in SETTINGS[setting].items()},
        "coverage": cfg.coverage,
        "stages_run": ran,
        "seconds": rounds,
        "median_seconds": med,
        "share": {name: med[name] / total if total > 0 else 0.0 for name in ran},
        "total_seconds": total,
        "find_duplicates_seconds": whole,
        "find_duplicates_stage_seconds": {k: median([d[k] for d in inside]) for k in inside[0]} if inside else {},
        "slowest": max(ran, key=med.__getitem__),
        "alignment_ms_per_pair": 1000 * med["alignment"] / counts["pairs"]
        if cfg.coverage and counts["pairs"]
        else None,
        "counts": counts,
        "find_duplicates_counts": found,
        "counts_match": all(counts[k] == v for k, v in found.items()),
    }


def render(setting: str, m: dict[str, Any], n: int) -> list[str]:
    med, total = m["median_seconds"], m["total_seconds"]
    rows = []
    for name, call in STAGES:
        ran = name in m["stages_run"]
        rows.append(
            [
                name,
                call,
                f"{med[name]:.3f}" if ran else "not run (coverage off)",
                f"{100 * m['share'][name]:.1f}%" if ran and total > 0 else "—",
                f"{1e6 * med[name] / n:,.1f}" if ran else "—",
            ]
        )
    fd = median(m["find_duplicates_seconds"])
    rows.append(["**sum**", "the stages above", f"{total:.3f}", "100%", f"{1e6 * total / n:,.1f}"])
    rows.append(["find_duplicates", "as one call, same settings", f"{fd:.3f}", "", f"{1e6 * fd / n:,.1f}"])
    c = m["counts"]
    inside = ", ".join(f"{k} {v:.3f} s" for k, v in m["find_duplicates_stage_seconds"].items())
    note = (
        f"Slowest stage: **{m['slowest']}** ({100 * m['share'][m['slowest']]:.0f}%). {c['shingles']:,} shingles "
        f"({c['distinct']:,} distinct per document), {c['bands']} bands × {c['rows']} rows, {c['candidates']:,} candidate "
        f"pairs ({c['capped_buckets']:,} capped buckets), {c['pairs']:,} verified pairs, {c['clusters']:,} clusters"
        + (f"; alignment {m['alignment_ms_per_pair']:.2f} ms per verified pair" if m["alignment_ms_per_pair"] else "")
        + f'. find_duplicates\' own `stats["seconds"]`: {inside}; its counts '
        + (
            "match the stages'."
            if m["counts_match"]
            else f"**differ** from the stages': {m['find_duplicates_counts']}."
        )
    )
    return [table(rows, ["stage", "call", "median s", "share", "µs per article"]), note]


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = base_parser(__doc__.split("\n\n")[0], repeat=3).parse_args(argv)
    print_platform()
    revision = code_revision()
    print(f"# dedup at {revision}")
    docs, description = get_corpus(args)
    command = shlex.join(["python", "benchmarks/bench_stages.py", *argv])
    print(f"# {description}; {args.repeat} rounds", flush=True)
    results = {setting: measure(docs, setting, args.repeat) for setting in SETTINGS}
    n = max(len(docs), 1)
    blocks = [
        (
            f"Stages of `find_duplicates` on {description}, one process; medians of {args.repeat} rounds "
            f"after a warm-up on 200 articles. {platform_line()}."
        )
    ]
    for k, (setting, m) in enumerate(results.items(), 1):
        blocks += [f"**{k}. {TITLES[setting][0].upper() + TITLES[setting][1:]}.**", *render(setting, m, n)]
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
            "n_docs": len(docs),
            "repeat": args.repeat,
            "settings": results,
            "markdown": markdown,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
