"""Accuracy of the candidate stage: MinHash estimates against exact Jaccard, and LSH recall.

Word 5-gram shingle sets of every article (empty articles left out) are compared exactly, all
pairs at once: a sparse article x shingle matrix ``X`` (scipy.sparse, built from the sorted
shingle sets) gives every pair's intersection as ``X @ X.T``, one block of rows at a time.

- **Estimate error**: for pairs sampled in every Jaccard bin (all pairs, not just candidates, so
  the whole range is covered; disjoint pairs drawn at random), the MinHash estimate
  ``mean(sig_a == sig_b)`` against the exact Jaccard of the shingle sets, for 64, 128 and 256
  permutations: bias, mean absolute error, RMSE beside the RMSE of an ideal MinHash
  (``sqrt(J(1 - J) / num_perm)``), and the share within 2 and 3 of those standard errors.
- **LSH recall**: every pair with exact Jaccard >= threshold (0.3, 0.5, 0.8) against the
  candidates of :func:`dedup.candidates.batch_candidates` with ``lsh_params(threshold, num_perm=128)``;
  candidates per true pair; per Jaccard bin, the measured share found beside the S-curve
  ``1 - (1 - s**r)**b`` averaged over the pairs of the bin.

``--repeat K`` runs everything with the permutation seeds 1..K (1 is dedup's default): recall is
the median over seeds with its range, estimate errors are pooled over seeds. The verdicts of
the whole pipeline (precision and recall of verified pairs) are measured in docs/thresholds.md.

Usage: python benchmarks/bench_accuracy.py [--corpus PATH] [--n-docs N] [--repeat K] [--json OUT]
"""

from __future__ import annotations

import shlex
import statistics
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _common import base_parser, get_corpus, platform_line, print_platform, table, write_json

from dedup import Shingler, minhash_signatures
from dedup.candidates import batch_candidates, lsh_params
from dedup.shingles import ShingleBatch

SHINGLE_SIZE = 5
ESTIMATE_NUM_PERMS = (64, 128, 256)
RECALL_NUM_PERM = 128
#: (threshold, (false positive weight, false negative weight)) of each LSH setting measured; the
#: extra 0.5 row weighs false negatives more, as ``datasketch.MinHashLSH(weights=...)`` can.
RECALL_SETTINGS: tuple[tuple[float, tuple[float, float]], ...] = (
    (0.3, (0.5, 0.5)),
    (0.5, (0.5, 0.5)),
    (0.5, (0.2, 0.8)),
    (0.8, (0.5, 0.5)),
)
#: The issue's target: LSH recall at threshold 0.5, word 5-grams, 128 permutations.
RECALL_TARGET = {"threshold": 0.5, "recall": 0.95}
#: Pairs at or above this exact Jaccard are all kept (recall bins start here).
KEEP_JACCARD = 0.05
_BLOCK_ROWS = 2000


# --------------------------------------------------------------------------------------------
# Exact Jaccard
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExactPairs:
    """Exact Jaccard of the pairs of a batch (indices ``i < j`` into the batch's documents).

    ``pairs``/``jaccard``: every pair with Jaccard >= ``min_jaccard``; ``low_pairs``/``low_jaccard``:
    a uniform sample of the pairs with 0 < Jaccard < ``low_below``; ``sharing``: the number of
    pairs sharing at least one shingle.
    """

    pairs: np.ndarray
    jaccard: np.ndarray
    low_pairs: np.ndarray
    low_jaccard: np.ndarray
    sharing: int
    min_jaccard: float


def incidence(sets: ShingleBatch):
    """The binary document x shingle matrix (scipy CSR, int32) of sorted, de-duplicated shingle sets."""
    import scipy.sparse as sp

    distinct, column = np.unique(sets.hashes, return_inverse=True)
    data = np.ones(column.shape[0], dtype=np.int32)
    return sp.csr_matrix((data, column.reshape(-1), sets.offsets), shape=(len(sets), distinct.shape[0]))


def exact_pairs(
    sets: ShingleBatch,
    *,
    min_jaccard: float = KEEP_JACCARD,
    low_below: float = 0.1,
    low_sample: int = 2000,
    seed: int = 0,
    block_rows: int = _BLOCK_ROWS,
) -> ExactPairs:
    """All pairs of ``sets`` with exact Jaccard >= ``min_jaccard``, and a sample of the low ones.

    The sample is a bottom-k sample on random keys, so it is uniform over all low pairs although
    they are seen block by block.
    """
    X = incidence(sets)
    sizes = np.diff(sets.offsets).astype(np.int64)
    rng = np.random.default_rng(seed)
    kept_p, kept_j, low_p, low_j, low_k = [], [], [], [], []
    sharing = 0
    for lo in range(0, X.shape[0], block_rows):
        hi = min(lo + block_rows, X.shape[0])
        product = (X[lo:hi] @ X[lo:].T).tocoo()
        i = product.row.astype(np.int64) + lo
        j = product.col.astype(np.int64) + lo
        upper = j > i
        i, j, inter = i[upper], j[upper], product.data[upper].astype(np.int64)
        jac = inter / (sizes[i] + sizes[j] - inter)
        sharing += int(i.shape[0])
        keep = jac >= min_jaccard
        kept_p.append(np.column_stack((i[keep], j[keep])))
        kept_j.append(jac[keep])
        low = np.flatnonzero(jac < low_below)
        keys = rng.random(low.shape[0])
        if low.shape[0] > low_sample:
            part = np.argpartition(keys, low_sample)[:low_sample]
            low, keys = low[part], keys[part]
        low_p.append(np.column_stack((i[low], j[low])))
        low_j.append(jac[low])
        low_k.append(keys)
    if not kept_p:
        empty = np.empty((0, 2), np.int64)
        return ExactPairs(empty, np.empty(0), empty, np.empty(0), 0, min_jaccard)
    lp, lj, lk = np.concatenate(low_p), np.concatenate(low_j), np.concatenate(low_k)
    if lk.shape[0] > low_sample:
        part = np.argpartition(lk, low_sample)[:low_sample]
        lp, lj = lp[part], lj[part]
    return ExactPairs(np.concatenate(kept_p), np.concatenate(kept_j), lp, lj, sharing, min_jaccard)


def jaccard_of(sets: ShingleBatch, pairs: np.ndarray, X=None) -> np.ndarray:
    """Exact Jaccard of the given pairs (``(m, 2)`` indices)."""
    if pairs.shape[0] == 0:
        return np.empty(0)
    X = incidence(sets) if X is None else X
    inter = np.asarray(X[pairs[:, 0]].multiply(X[pairs[:, 1]]).sum(axis=1)).ravel().astype(np.int64)
    sizes = np.diff(sets.offsets).astype(np.int64)
    union = sizes[pairs[:, 0]] + sizes[pairs[:, 1]] - inter
    return np.divide(inter, union, out=np.zeros(inter.shape[0]), where=union > 0)


def random_pairs(n: int, count: int, rng: np.random.Generator) -> np.ndarray:
    """``count`` random pairs ``i < j`` of ``n`` documents (repeats possible)."""
    if n < 2 or count <= 0:
        return np.empty((0, 2), np.int64)
    i = rng.integers(0, n, count)
    j = (i + rng.integers(1, n, count)) % n
    return np.sort(np.column_stack((i, j)), axis=1).astype(np.int64)


def pair_keys(pairs: np.ndarray, n: int) -> np.ndarray:
    return pairs[:, 0].astype(np.int64) * n + pairs[:, 1].astype(np.int64)


# --------------------------------------------------------------------------------------------
# MinHash estimate error
# --------------------------------------------------------------------------------------------

#: Jaccard bins of the estimate table: the disjoint and identical pairs apart, tenths between.
ESTIMATE_BINS: tuple[tuple[str, float, float], ...] = (
    ("0 (disjoint)", 0.0, 0.0),
    ("> 0–0.1", 0.0, 0.1),
    *((f"{k / 10:.1f}–{(k + 1) / 10:.1f}", k / 10, (k + 1) / 10) for k in range(1, 10)),
    ("1 (identical)", 1.0, 1.0),
)


def estimate_bin(jaccard: np.ndarray) -> np.ndarray:
    """Index into :data:`ESTIMATE_BINS` of each Jaccard value."""
    inner = 1 + np.minimum(np.floor(jaccard * 10).astype(np.int64), 9)
    return np.where(jaccard <= 0, 0, np.where(jaccard >= 1, len(ESTIMATE_BINS) - 1, inner))


def estimate_sample(
    exact: ExactPairs, sets: ShingleBatch, *, per_bin: int, rng: np.random.Generator
) -> tuple[np.ndarray, np.ndarray]:
    """Up to ``per_bin`` pairs of every estimate bin, with their exact Jaccard."""
    n = len(sets)
    rand = random_pairs(n, 4 * per_bin, rng)
    rand = rand[rand[:, 0] != rand[:, 1]]
    rand_j = jaccard_of(sets, rand)
    pool_p = np.concatenate((exact.pairs, exact.low_pairs, rand[rand_j == 0]))
    pool_j = np.concatenate((exact.jaccard, exact.low_jaccard, rand_j[rand_j == 0]))
    bins = estimate_bin(pool_j)
    # Pairs at or above min_jaccard are complete; below it only the uniform low sample counts.
    chosen = []
    for b in range(len(ESTIMATE_BINS)):
        members = np.flatnonzero(bins == b)
        if b == 1:  # (0, 0.1): the uniform low sample, not the kept pairs in [min_jaccard, 0.1)
            members = members[
                (members >= exact.pairs.shape[0]) & (members < exact.pairs.shape[0] + exact.low_pairs.shape[0])
            ]
        if members.shape[0] > per_bin:
            members = rng.choice(members, per_bin, replace=False)
        chosen.append(members)
    idx = np.concatenate(chosen)
    return pool_p[idx], pool_j[idx]


def estimate_errors(
    sets: ShingleBatch,
    pairs: np.ndarray,
    jaccard: np.ndarray,
    *,
    seeds: Sequence[int],
    num_perms: Sequence[int] = ESTIMATE_NUM_PERMS,
    signatures: SignatureCache | None = None,
) -> dict[str, Any]:
    """Error statistics of MinHash estimates for each ``num_perm`` and bin (pooled over ``seeds``)."""
    signatures = signatures or SignatureCache(sets)
    bins = estimate_bin(jaccard)
    out: dict[str, Any] = {"bins": [label for label, _, _ in ESTIMATE_BINS], "pairs": [], "by_num_perm": {}}
    out["pairs"] = [int((bins == b).sum()) for b in range(len(ESTIMATE_BINS))] + [int(bins.shape[0])]
    for k in num_perms:
        errors = []
        for seed in seeds:
            sig = signatures(k, seed)
            estimate = (sig[pairs[:, 0]] == sig[pairs[:, 1]]).mean(axis=1)
            errors.append(estimate - jaccard)
        err = np.stack(errors)  # (seeds, pairs)
        se = np.sqrt(jaccard * (1 - jaccard) / k)[None, :]
        rows = []
        for b in [*range(len(ESTIMATE_BINS)), None]:
            mask = np.ones(bins.shape[0], bool) if b is None else bins == b
            e, s = err[:, mask], np.broadcast_to(se, err.shape)[:, mask]
            if e.size == 0:
                rows.append(None)
                continue
            tol = 1e-12
            rows.append(
                {
                    "bias": float(e.mean()),
                    "mae": float(np.abs(e).mean()),
                    "rmse": float(np.sqrt((e**2).mean())),
                    "rmse_ideal": float(np.sqrt((s**2).mean())),
                    "within_2se": float((np.abs(e) <= 2 * s + tol).mean()),
                    "within_3se": float((np.abs(e) <= 3 * s + tol).mean()),
                }
            )
        out["by_num_perm"][str(k)] = rows
    return out


def estimate_table(est: dict[str, Any]) -> str:
    perms = list(est["by_num_perm"])
    labels = [*est["bins"], "all sampled"]

    def cell(b: int, key: str, fmt: str) -> str:
        values = [est["by_num_perm"][k][b] for k in perms]
        return " / ".join("–" if v is None else format(v[key], fmt) for v in values)

    rows = []
    for b, label in enumerate(labels):
        if est["pairs"][b] == 0:
            continue
        rows.append(
            [
                label,
                f"{est['pairs'][b]:,}",
                cell(b, "bias", "+.4f"),
                cell(b, "mae", ".4f"),
                cell(b, "rmse", ".4f"),
                cell(b, "rmse_ideal", ".4f"),
                cell(b, "within_2se", ".3f"),
                cell(b, "within_3se", ".3f"),
            ]
        )
    k = "/".join(perms)
    header = [
        "exact Jaccard",
        "pairs",
        f"bias ({k})",
        f"MAE ({k})",
        f"RMSE ({k})",
        f"ideal RMSE ({k})",
        f"within 2 SE ({k})",
        f"within 3 SE ({k})",
    ]
    return table(rows, header)


# --------------------------------------------------------------------------------------------
# LSH recall
# --------------------------------------------------------------------------------------------


def s_curve(s: np.ndarray | float, *, bands: int, rows: int) -> np.ndarray:
    """Probability that a pair of Jaccard ``s`` shares at least one of ``bands`` bands of ``rows`` rows."""
    return 1.0 - (1.0 - np.asarray(s, dtype=float) ** rows) ** bands


RECALL_BIN_EDGES = np.round(np.arange(KEEP_JACCARD, 1.0 + 1e-9, 0.05), 2)


def binned(jaccard: np.ndarray, values: np.ndarray, edges: np.ndarray) -> list[float | None]:
    """Mean of ``values`` over the pairs of each bin ``[edges[k], edges[k + 1])`` (the last closed)."""
    idx = np.clip(np.searchsorted(edges, jaccard, side="right") - 1, 0, len(edges) - 2)
    out: list[float | None] = []
    for b in range(len(edges) - 1):
        mask = (idx == b) & (jaccard >= edges[0])
        out.append(float(values[mask].mean()) if mask.any() else None)
    return out


def bin_counts(jaccard: np.ndarray, edges: np.ndarray) -> list[int]:
    idx = np.clip(np.searchsorted(edges, jaccard, side="right") - 1, 0, len(edges) - 2)
    return [int(((idx == b) & (jaccard >= edges[0])).sum()) for b in range(len(edges) - 1)]


def recall_key(threshold: float, weights: tuple[float, float] = (0.5, 0.5)) -> str:
    """The JSON key of one LSH setting: ``"0.5"``, or ``"0.5 weights 0.2/0.8"`` when not the default weights."""
    return f"{threshold:g}" if tuple(weights) == (0.5, 0.5) else f"{threshold:g} weights {weights[0]:g}/{weights[1]:g}"


class SignatureCache:
    """Signatures of one batch for each ``(num_perm, seed)``, computed once."""

    def __init__(self, sets: ShingleBatch) -> None:
        self.sets = sets
        self._cache: dict[tuple[int, int], np.ndarray] = {}

    def __call__(self, num_perm: int, seed: int) -> np.ndarray:
        key = (num_perm, seed)
        if key not in self._cache:
            self._cache[key] = minhash_signatures(self.sets, num_perm=num_perm, seed=seed)
        return self._cache[key]


def lsh_recall(
    sets: ShingleBatch,
    exact: ExactPairs,
    *,
    seeds: Sequence[int],
    settings: Sequence[tuple[float, tuple[float, float]]] = RECALL_SETTINGS,
    num_perm: int = RECALL_NUM_PERM,
    signatures: SignatureCache | None = None,
) -> dict[str, Any]:
    """Recall and candidate counts of ``batch_candidates`` for each ``(threshold, weights)``, per seed."""
    n = len(sets)
    true_keys = pair_keys(exact.pairs, n)
    signatures = signatures or SignatureCache(sets)
    out: dict[str, Any] = {}
    for t, weights in settings:
        bands, rows = lsh_params(t, num_perm=num_perm, weights=weights)
        prob = s_curve(exact.jaccard, bands=bands, rows=rows)
        is_true = exact.jaccard >= t
        runs = []
        found_by_seed = []
        for seed in seeds:
            cand = batch_candidates(signatures(num_perm, seed), bands=bands, rows=rows)
            found = np.isin(true_keys, pair_keys(cand, n))
            found_by_seed.append(found)
            n_true, n_found = int(is_true.sum()), int((found & is_true).sum())
            runs.append(
                {
                    "seed": seed,
                    "candidates": int(cand.shape[0]),
                    "found": n_found,
                    "recall": n_found / n_true if n_true else None,
                }
            )
        found_share = np.mean(found_by_seed, axis=0) if found_by_seed else np.zeros(exact.jaccard.shape[0])
        recalls = [r["recall"] for r in runs if r["recall"] is not None]
        n_true = int(is_true.sum())
        median_cands = statistics.median(r["candidates"] for r in runs)
        median_found = statistics.median(r["found"] for r in runs)
        out[recall_key(t, weights)] = {
            "threshold": t,
            "weights": list(weights),
            "bands": bands,
            "rows": rows,
            "true_pairs": n_true,
            "found": median_found,
            "recall": statistics.median(recalls) if recalls else None,
            "recall_min": min(recalls) if recalls else None,
            "recall_max": max(recalls) if recalls else None,
            "predicted": float(prob[is_true].mean()) if n_true else None,
            "candidates": median_cands,
            "candidates_per_true_pair": median_cands / n_true if n_true else None,
            "candidate_precision": median_found / median_cands if median_cands else None,
            "runs": runs,
            "bins": {
                "edges": RECALL_BIN_EDGES.tolist(),
                "pairs": bin_counts(exact.jaccard, RECALL_BIN_EDGES),
                "recall": binned(exact.jaccard, found_share, RECALL_BIN_EDGES),
                "predicted": binned(exact.jaccard, prob, RECALL_BIN_EDGES),
                "mean_jaccard": binned(exact.jaccard, exact.jaccard, RECALL_BIN_EDGES),
            },
        }
    return out


def _fmt(x: float | None, spec: str = ".3f") -> str:
    return "–" if x is None else format(x, spec)


def setting_label(r: dict[str, Any]) -> str:
    weights = tuple(r.get("weights", (0.5, 0.5)))
    return (
        f"{r['threshold']:g}" if weights == (0.5, 0.5) else f"{r['threshold']:g}, weights {weights[0]:g}/{weights[1]:g}"
    )


def recall_table(recall: dict[str, Any], n_seeds: int) -> str:
    rows = []
    for key, r in recall.items():
        spread = (
            f" ({_fmt(r['recall_min'])}–{_fmt(r['recall_max'])})" if n_seeds > 1 and r["recall"] is not None else ""
        )
        target = f"≥ {RECALL_TARGET['recall']}" if key == recall_key(RECALL_TARGET["threshold"]) else ""
        rows.append(
            [
                setting_label(r),
                f"{r['bands']} × {r['rows']}",
                f"{r['true_pairs']:,}",
                f"{r['found']:,.0f}",
                _fmt(r["recall"]) + spread,
                _fmt(r["predicted"]),
                f"{r['candidates']:,.0f}",
                _fmt(r["candidates_per_true_pair"], ".2f"),
                _fmt(r["candidate_precision"]),
                target,
            ]
        )
    header = [
        "threshold (LSH weights fp/fn)",
        "bands × rows",
        "true pairs (J ≥ threshold)",
        "found",
        "recall" + (f" (median of {n_seeds} seeds; range)" if n_seeds > 1 else ""),
        "S-curve prediction",
        "candidates",
        "candidates per true pair",
        "share of candidates ≥ threshold",
        "target",
    ]
    return table(rows, header)


def recall_bins_table(recall: dict[str, Any], *, step: int = 2) -> str:
    """Measured / predicted recall by Jaccard bin, bins of the JSON merged ``step`` at a time."""
    first = next(iter(recall.values()))["bins"]
    edges = first["edges"]
    counts = first["pairs"]
    rows = []
    # Start at 0.1 and merge pairs of 0.05 bins into tenths, weighting by the pair counts.
    start = next(k for k, e in enumerate(edges) if e >= 0.1 - 1e-9)
    for k in range(start, len(edges) - 1, step):
        span = range(k, min(k + step, len(edges) - 1))
        pairs = sum(counts[b] for b in span)
        if pairs == 0:
            continue
        row = [f"{edges[k]:.1f}–{edges[span[-1] + 1]:.1f}", f"{pairs:,}"]
        for r in recall.values():
            m = sum((r["bins"]["recall"][b] or 0) * counts[b] for b in span) / pairs
            p = sum((r["bins"]["predicted"][b] or 0) * counts[b] for b in span) / pairs
            row.append(f"{m:.3f} / {p:.3f}")
        rows.append(row)
    header = ["exact Jaccard", "pairs"] + [f"{setting_label(r)} ({r['bands']}×{r['rows']})" for r in recall.values()]
    return table(rows, header)


def recall_note(recall: dict[str, Any]) -> str:
    """What the target row's recall is bounded by, and what the recall-weighted setting costs (from the numbers)."""
    key = recall_key(RECALL_TARGET["threshold"])
    r = recall.get(key)
    if r is None or r["recall"] is None:
        return ""
    t = RECALL_TARGET["threshold"]
    at_t = float(s_curve(t, bands=r["bands"], rows=r["rows"]))
    text = (
        f"At threshold {t:g}, `lsh_params` picks {r['bands']} × {r['rows']}, which makes a pair of Jaccard exactly {t:g} a "
        f"candidate with probability {at_t:.2f}: recall over the pairs at or above {t:g} depends on how many lie just above "
        f"it. For this corpus's pairs the S-curve predicts {_fmt(r['predicted'])}; measured {_fmt(r['recall'])}."
    )
    weighted = [w for k, w in recall.items() if w["threshold"] == t and k != key and w["recall"] is not None]
    for w in weighted:
        cost = w["candidates"] / r["candidates"] if r["candidates"] else float("nan")
        text += (
            f" Weighing false negatives more (`lsh_params({t:g}, num_perm={RECALL_NUM_PERM}, weights=({w['weights'][0]:g}, "
            f"{w['weights'][1]:g}))` = {w['bands']} × {w['rows']}) gives recall {_fmt(w['recall'])} for "
            f"{cost:.2f}× the candidates."
        )
    return text


# --------------------------------------------------------------------------------------------
# The script
# --------------------------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = base_parser(__doc__.split("\n\n")[0], repeat=3)
    parser.add_argument(
        "--sample",
        type=int,
        default=2000,
        metavar="M",
        help="pairs per Jaccard bin for the estimate error (default 2000)",
    )
    args = parser.parse_args(argv)
    argv = list(sys.argv[1:] if argv is None else argv)
    command = shlex.join(["python", "benchmarks/bench_accuracy.py", *argv])
    if args.repeat < 1:
        parser.error("--repeat must be at least 1")
    seeds = list(range(1, args.repeat + 1))
    rng = np.random.default_rng(args.seed)

    print_platform()
    docs, description = get_corpus(args)
    started = time.perf_counter()
    sets = Shingler(unit="word", size=SHINGLE_SIZE).shingle([d["text"] for d in docs]).sets()
    nonempty = np.flatnonzero(np.diff(sets.offsets) > 0)
    if nonempty.shape[0] < len(sets):  # drop empty articles: their Jaccard is undefined
        lengths = np.diff(sets.offsets)[nonempty]
        hashes = np.concatenate([sets.doc(int(i)) for i in nonempty]) if nonempty.size else sets.hashes[:0]
        sets = ShingleBatch(hashes, np.concatenate(([0], np.cumsum(lengths))).astype(np.int64))
    n = len(sets)
    t0 = time.perf_counter()
    exact = exact_pairs(sets, low_sample=args.sample, seed=args.seed)
    exact_seconds = time.perf_counter() - t0
    print(
        f"# {description}; {n:,} non-empty, word {SHINGLE_SIZE}-grams; {exact.sharing:,} pairs share a shingle, "
        f"{exact.pairs.shape[0]:,} have Jaccard >= {KEEP_JACCARD} (exact all pairs in {exact_seconds:.1f} s); "
        f"permutation seeds {', '.join(map(str, seeds))}"
    )

    sample_p, sample_j = estimate_sample(exact, sets, per_bin=args.sample, rng=rng)
    signatures = SignatureCache(sets)
    est = estimate_errors(sets, sample_p, sample_j, seeds=seeds, signatures=signatures)
    recall = lsh_recall(sets, exact, seeds=seeds, signatures=signatures)
    seconds = time.perf_counter() - started

    intro_est = (
        f"MinHash estimate error against exact Jaccard (word {SHINGLE_SIZE}-grams; up to {args.sample:,} pairs "
        f"per bin, {len(seeds)} seed(s) pooled; values for num_perm {'/'.join(map(str, ESTIMATE_NUM_PERMS))}; "
        "SE = sqrt(J(1 - J) / num_perm)):"
    )
    intro_rec = (
        f"LSH recall of the pairs with exact Jaccard ≥ threshold (word {SHINGLE_SIZE}-grams, num_perm "
        f"{RECALL_NUM_PERM}, bands and rows from `lsh_params(threshold, num_perm={RECALL_NUM_PERM})`; the row with "
        "weights uses `lsh_params(..., weights=(fp, fn))`, which weighs false negatives more, as "
        "`datasketch.MinHashLSH(weights=...)` does):"
    )
    intro_bins = (
        "Share of the pairs of each exact-Jaccard bin that became candidates, measured / predicted by the "
        "S-curve 1 - (1 - s^r)^b averaged over the bin's pairs:"
    )
    markdown = "\n\n".join(
        [
            intro_est,
            estimate_table(est),
            intro_rec,
            recall_table(recall, len(seeds)),
            recall_note(recall),
            intro_bins,
            recall_bins_table(recall),
        ]
    )
    print()
    print(markdown)
    target = recall[recall_key(RECALL_TARGET["threshold"])]
    met = target["recall"] is not None and target["recall"] >= RECALL_TARGET["recall"]
    print(
        f"\nrecall at {RECALL_TARGET['threshold']}: {_fmt(target['recall'])} "
        f"(target ≥ {RECALL_TARGET['recall']}: {'met' if met else 'not met'}); {seconds:.1f} s in all"
    )

    write_json(
        args.json,
        {
            "script": "bench_accuracy.py",
            "command": command,
            "platform": platform_line(),
            "corpus": description,
            "documents": n,
            "shingles": f"word {SHINGLE_SIZE}-grams",
            "seeds": seeds,
            "pairs_sharing_a_shingle": exact.sharing,
            "pairs_kept": int(exact.pairs.shape[0]),
            "estimate": est,
            "recall": recall,
            "targets": [
                {
                    "name": f"LSH recall at threshold {RECALL_TARGET['threshold']} (word {SHINGLE_SIZE}-grams, {RECALL_NUM_PERM} permutations)",
                    "value": target["recall"],
                    "op": ">=",
                    "target": RECALL_TARGET["recall"],
                    "met": met if target["recall"] is not None else None,
                }
            ],
            "seconds": seconds,
            "markdown": markdown,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
