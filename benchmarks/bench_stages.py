"""Each stage of dedup alone, on one corpus: median seconds and share of the total, so the slowest stage is known.

The stages are those :func:`dedup.find_duplicates` runs (word 5-grams, num_perm=128, threshold and
candidate threshold 0.5, coverage off), called one by one, each fed the previous stage's output of
the same round:

- input: dicts to ``Article`` (``pipeline._articles``);
- tokenise+hash, sets, signatures: ``Shingler(unit="word", size=5).shingle_with_figures`` (or
  ``.shingle`` in a dedup without it), ``.sets()``, ``minhash_signatures``, chunk by chunk of 4,096
  articles as ``find_duplicates`` makes them;
- candidates: ``index.batch_candidates`` with ``index.lsh_params(0.5)``;
- figures: ``verify.fact_sets`` (only in a dedup that does not find them while tokenising);
- verification: as ``find_duplicates`` does it, the documents in candidate pairs gathered, idf weights
  over the whole batch, ``verify.Corpus.from_sets`` + ``verify.evidence``;
- pair results (``DuplicatePair`` objects with reasons), clustering (``cluster.cluster_verdicts``);
- alignment: ``align(a, b, diff=False)`` of every verified pair, which only ``coverage=True`` (the
  library default) runs.

``find_duplicates`` itself is timed in the same rounds for comparison.

    python benchmarks/bench_stages.py --corpus ../shared/data/reuters21578.jsonl.gz --repeat 3 --json /tmp/bench/stages.json
"""

from __future__ import annotations

import dataclasses
import shlex
import sys
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import base_parser, get_corpus, median, platform_line, print_platform, code_revision, table, write_json  # noqa: E402

import dedup
from dedup import index, pipeline, verify
from dedup.cluster import cluster_verdicts
from dedup.pipeline import _articles
from dedup.verify import pairs_from_evidence

SETTINGS = {"shingle_size": 5, "threshold": 0.5, "candidate_threshold": 0.5, "coverage": False}

# Newer dedup tokenises once for shingles and figures (``Shingler.shingle_with_figures``), as
# find_duplicates does; older dedup shingles and finds figures (``verify.fact_sets``) separately.
FUSED = hasattr(dedup.Shingler, "shingle_with_figures")

# (name, what is called, part of find_duplicates with coverage=False)
STAGES: list[tuple[str, str, bool]] = [
    ("input", "`pipeline._articles` (dicts to `Article`)", True),
    (
        "tokenise+hash",
        '`Shingler(unit="word", size=5).shingle_with_figures(texts)` (shingles and figures, one tokenising)'
        if FUSED
        else '`Shingler(unit="word", size=5).shingle(texts)`',
        True,
    ),
    ("sets", "`ShingleBatch.sets()`", True),
    ("signatures", "`minhash_signatures(sets, num_perm=128)`", True),
    ("candidates", "`index.batch_candidates` (`lsh_params(0.5)` = 25 × 5, `limit=bucket_limit`)", True),
    *([] if FUSED else [("figures", "`verify.fact_sets(texts)`", True)]),
    (
        "verification",
        "idf over the batch, `verify.Corpus.from_sets` + `verify.evidence` of the documents in candidates",
        True,
    ),
    ("pair results", "`verify.pairs_from_evidence` (`DuplicatePair` + reason)", True),
    ("clustering", "`cluster.cluster_verdicts` (`star_clusters` + verdicts)", True),
    ("alignment", "`align(a, b, diff=False)` per verified pair", False),
]


CHUNK = getattr(pipeline, "_CHUNK", 4096)


def _concat(batches: Sequence[dedup.ShingleBatch]) -> dedup.ShingleBatch:
    """One batch of several, documents in order."""
    if not batches:
        return dedup.ShingleBatch(np.empty(0, np.uint32), np.zeros(1, np.int64))
    sizes = np.cumsum([0] + [int(b.hashes.shape[0]) for b in batches[:-1]])
    offsets = np.concatenate([[0]] + [b.offsets[1:] + shift for b, shift in zip(batches, sizes)]).astype(np.int64)
    return dedup.ShingleBatch(np.concatenate([b.hashes for b in batches]), offsets)


def _gather(batch: dedup.ShingleBatch, docs: np.ndarray) -> dedup.ShingleBatch:
    """The documents ``docs`` (sorted indices) of a batch, as a batch of their own."""
    starts, ends = batch.offsets[docs], batch.offsets[docs + 1]
    counts = ends - starts
    offsets = np.concatenate(([0], np.cumsum(counts))).astype(np.int64)
    positions = np.repeat(starts - offsets[:-1], counts) + np.arange(offsets[-1])
    return dedup.ShingleBatch(batch.hashes[positions], offsets)


def verification(sets: dedup.ShingleBatch, facts: dedup.ShingleBatch, candidates: np.ndarray, cfg: dedup.DedupConfig):
    """Scores of the candidate pairs as ``find_duplicates`` computes them: only the documents in some candidate
    pair are gathered, their shingles weighted by idf over the whole batch (one sort of all set hashes)."""
    involved = np.unique(candidates)
    sub_sets, sub_facts = _gather(sets, involved), _gather(facts, involved)
    everything = np.sort(sets.hashes)
    df = np.searchsorted(everything, sub_sets.hashes, side="right") - np.searchsorted(
        everything, sub_sets.hashes, side="left"
    )
    weights = np.log((len(sets) + cfg.idf_prior + 1.0) / (df + 1.0))
    corpus = verify.Corpus.from_sets(sub_sets, sub_facts, [], cfg, weights=weights)
    ev = verify.evidence(corpus, np.searchsorted(involved, candidates), cfg)
    return dataclasses.replace(ev, pairs=candidates)


def one_round(docs: Sequence[dict[str, Any]]) -> tuple[dict[str, float], dict[str, Any]]:
    """Every stage once, in pipeline order; seconds per stage and what came out."""
    cfg = dedup.DedupConfig(**SETTINGS)
    seconds: dict[str, float] = {}
    state: dict[str, Any] = {}

    def stage(name: str, fn: Callable[[], Any]) -> Any:
        start = time.perf_counter()
        out = fn()
        seconds[name] = time.perf_counter() - start
        return out

    articles = stage("input", lambda: _articles(docs))
    texts = [a.text for a in articles]
    ids = [a.id for a in articles]
    # Shingles, sets and signatures chunk by chunk, as find_duplicates makes them (whole-corpus calls are
    # slower: more live objects for the garbage collector, larger temporaries).
    shingler = dedup.Shingler(unit="word", size=cfg.shingle_size)  # a new one: no vocabulary cached from the last round
    for name in ("tokenise+hash", "sets", "signatures"):
        seconds[name] = 0.0
    parts: dict[str, list[Any]] = {"sets": [], "facts": [], "sigs": []}
    n_shingles = 0
    for lo in range(0, len(texts), CHUNK):
        part = texts[lo : lo + CHUNK]
        start = time.perf_counter()
        if FUSED:
            batch, facts_part = shingler.shingle_with_figures(part)
        else:
            batch = shingler.shingle(part)
        split = time.perf_counter()
        sets_part = batch.sets()
        signed = time.perf_counter()
        sigs_part = dedup.minhash_signatures(sets_part, num_perm=cfg.num_perm, seed=cfg.seed, block_size=cfg.block_size)
        end = time.perf_counter()
        seconds["tokenise+hash"] += split - start
        seconds["sets"] += signed - split
        seconds["signatures"] += end - signed
        n_shingles += int(batch.hashes.shape[0])
        parts["sets"].append(sets_part)
        parts["sigs"].append(sigs_part)
        if FUSED:
            parts["facts"].append(facts_part)
    sets = _concat(parts["sets"])
    sigs = np.concatenate(parts["sigs"]) if parts["sigs"] else np.empty((0, cfg.num_perm), np.uint32)
    if FUSED:
        facts = _concat(parts["facts"])
    bands, rows = index.lsh_params(cfg.candidate_threshold, num_perm=cfg.num_perm)
    candidates = stage("candidates", lambda: index.batch_candidates(sigs, bands=bands, rows=rows, limit=cfg.bucket_limit))
    if not FUSED:
        facts = stage("figures", lambda: verify.fact_sets(texts))
    ev = stage("verification", lambda: verification(sets, facts, candidates, cfg))
    pairs = stage("pair results", lambda: pairs_from_evidence(ev, ev.is_duplicate, ids, texts, cfg))
    keep = ev.is_duplicate
    clusters, _ = stage("clustering", lambda: cluster_verdicts(ids, [len(t) for t in texts], [a.published for a in articles], ev.pairs[keep], ev.score[keep], cfg))
    verified = ev.pairs[keep]
    stage("alignment", lambda: [dedup.align(texts[i], texts[j], diff=False) for i, j in verified.tolist()])
    state.update(
        shingles=n_shingles,
        distinct=int(sets.hashes.shape[0]),
        candidates=int(candidates.shape[0]),
        pairs=len(pairs),
        clusters=len(clusters),
        bands=bands,
        rows=rows,
    )
    return seconds, state


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = base_parser(__doc__.split("\n\n")[0], repeat=3).parse_args(argv)
    print_platform()
    revision = code_revision()
    print(f"# dedup at {revision}")
    docs, description = get_corpus(args)
    command = shlex.join(["python", "benchmarks/bench_stages.py", *argv])
    print(f"# {description}; {args.repeat} rounds")

    rounds: dict[str, list[float]] = {name: [] for name, _, _ in STAGES}
    whole: list[float] = []
    state: dict[str, Any] = {}
    for _ in range(args.repeat):
        seconds, state = one_round(docs)
        for name, value in seconds.items():
            rounds[name].append(value)
        start = time.perf_counter()
        dedup.find_duplicates(docs, **SETTINGS)
        whole.append(time.perf_counter() - start)

    med = {name: median(values) for name, values in rounds.items()}
    total = sum(med.values())
    total_core = sum(med[name] for name, _, core in STAGES if core)
    n = max(len(docs), 1)
    rows = []
    for name, call, core in STAGES:
        share_core = f"{100 * med[name] / total_core:.1f}%" if core and total_core > 0 else "—"
        rows.append(
            [
                name,
                call,
                f"{med[name]:.3f}",
                f"{100 * med[name] / total:.1f}%" if total > 0 else "—",
                share_core,
                f"{1e6 * med[name] / n:,.1f}",
            ]
        )
    rows.append(
        [
            "**sum, coverage off**",
            "the stages `find_duplicates(coverage=False)` runs",
            f"{total_core:.3f}",
            "",
            "100%",
            f"{1e6 * total_core / n:,.1f}",
        ]
    )
    rows.append(
        [
            "**sum, all stages**",
            "with alignment (`coverage=True`, the default)",
            f"{total:.3f}",
            "100%",
            "",
            f"{1e6 * total / n:,.1f}",
        ]
    )
    rows.append(
        [
            "find_duplicates",
            "`find_duplicates(coverage=False)` as one call",
            f"{median(whole):.3f}",
            "",
            "",
            f"{1e6 * median(whole) / n:,.1f}",
        ]
    )
    slowest = max((name for name, _, core in STAGES if core), key=med.__getitem__)
    per_pair_ms = 1000 * med["alignment"] / state["pairs"] if state["pairs"] else 0.0
    blocks = [
        (
            f"Stages of dedup on {description}: word 5-grams, num_perm=128, threshold 0.5; medians of {args.repeat} rounds. "
            f"{platform_line()}."
        ),
        table(rows, ["stage", "call", "median s", "share of all", "share, coverage off", "µs per article"]),
        (
            f"Slowest stage: **{slowest}** ({100 * med[slowest] / total_core:.0f}% of the pipeline without alignment). "
            f"{state['shingles']:,} shingles ({state['distinct']:,} distinct per document), {state['candidates']:,} candidate pairs "
            f"({state['bands']} bands × {state['rows']} rows), {state['pairs']:,} verified pairs, {state['clusters']:,} clusters; "
            f"alignment {per_pair_ms:.2f} ms per verified pair."
        ),
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
            "n_docs": len(docs),
            "repeat": args.repeat,
            "seconds": rounds,
            "median_seconds": med,
            "share": {name: med[name] / total if total > 0 else 0.0 for name in med},
            "share_coverage_off": {
                name: med[name] / total_core if total_core > 0 else 0.0 for name, _, core in STAGES if core
            },
            "total_seconds": total,
            "total_seconds_coverage_off": total_core,
            "find_duplicates_seconds": whole,
            "slowest": slowest,
            "alignment_ms_per_pair": per_pair_ms,
            "counts": state,
            "markdown": markdown,
        },
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
