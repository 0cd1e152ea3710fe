"""Verify stage: score candidate pairs before anything is reported.

Every candidate pair from the LSH stage is scored on the exact shingle sets:

- ``jaccard`` and ``containment_a`` / ``containment_b`` (the share of each article's shingles
  found in the other: a short rewrite inside a long original has a high containment),
- their idf-weighted versions, where each shingle weighs by how rare it is in the batch, so
  that text many articles share (boilerplate, recurring formats) counts for little,
- ``facts``: agreement of the figures (numbers, dates, amounts) of the two articles; templated
  stories ("XYZ Corp 1st qtr net ...") share wording but not figures,
- ``lead``: for a pair below ``config.lead_ceiling``, whether on at least one side the few rarest words
  of the lead (:func:`lead_agreement`) are all in the other; templates of different companies that
  share their figures too ("... SETS QUARTERLY", "... RAISES PRIME RATE") differ in their names,
- optionally ``coverage_a`` / ``coverage_b`` from the sentence alignment (:func:`dedup.align`).

How these combine into the verdict, and why, is measured in ``docs/thresholds.md``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from . import _kernels, _pair_kernels, updates
from .article import Article, as_article
from .config import DedupConfig, resolve_config
from .leads import LEAD_LOOK, LEAD_MIN_DOCS, lead_agreement, paraphrases
from .results import DuplicatePair
from .shingles import ShingleBatch, Shingler

__all__ = [
    "LEAD_LOOK",
    "LEAD_MIN_DOCS",
    "Comparison",
    "compare",
    "coverage_of",
    "fact_agreement",
    "lead_agreement",
    "pairs_from_evidence",
]


@dataclass(frozen=True, slots=True)
class Corpus:
    """What verification needs of a batch: shingle sets with weights, figures, lengths."""

    sets: ShingleBatch
    weights: np.ndarray  # float64, one per element of sets.hashes
    doc_weight: np.ndarray  # float64, total weight of each document's set
    facts: ShingleBatch  # sorted unique hashes of each document's numbers
    texts: Sequence[str]
    terms: ShingleBatch | None = None  # lead terms of each document (Shingled.terms); None: no lead check
    term_df: np.ndarray | None = None  # document frequency of each element of terms.hashes
    published: np.ndarray | None = None  # float seconds, NaN where unknown; None: no updates
    n_docs: int = 0  # documents term_df counts over: the lead check needs LEAD_MIN_DOCS

    @classmethod
    def build(cls, texts: Sequence[str], config: DedupConfig, *, shingler: Shingler | None = None) -> Corpus:
        shingler = shingler or Shingler(unit=config.shingle_unit, size=config.shingle_size)
        made = shingler.shingle_all(texts)
        # Lead terms without frequencies: two texts alone cannot tell a rare word (a name) from a common one, so
        # no lead check and no updates; a paraphrase needs no frequencies below LEAD_MIN_DOCS.
        return cls.from_sets(made.shingles.sets(), made.figures, texts, config, terms=made.terms, n_docs=len(texts))

    @classmethod
    def from_sets(
        cls,
        sets: ShingleBatch,
        facts: ShingleBatch,
        texts: Sequence[str],
        config: DedupConfig,
        *,
        weights: np.ndarray | None = None,
        terms: ShingleBatch | None = None,
        term_df: np.ndarray | None = None,
        published: np.ndarray | None = None,
        n_docs: int = 0,
    ) -> Corpus:
        if weights is None:
            weights = idf_weights(sets, prior=config.idf_prior)
        if config.weighting == "none":
            weights = np.ones(sets.hashes.shape[0])
        cum = np.concatenate(([0.0], np.cumsum(weights)))
        doc_weight = cum[sets.offsets[1:]] - cum[sets.offsets[:-1]]
        return cls(sets, weights, doc_weight, facts, texts, terms, term_df, published, n_docs)


def idf_weights(sets: ShingleBatch, *, prior: int) -> np.ndarray:
    """``log((N + prior + 1) / (df + 1))`` for every element of the batch's shingle sets.

    ``df`` is the number of documents of the batch containing the shingle, ``N`` the number of
    documents; ``prior`` pseudo-documents without the shingle keep weights nearly uniform in a
    small batch.
    """
    n = len(sets)
    if sets.hashes.size == 0:
        return np.empty(0)
    return np.log((n + prior + 1.0) / (_kernels.document_frequency(sets.hashes) + 1.0))


def fact_sets(texts: Sequence[str]) -> ShingleBatch:
    """Sorted unique hashes of the figures of each text: its tokens that are numbers (amounts, dates, ...)."""
    return Shingler(unit="word", size=1).shingle_with_figures(texts)[1]


@dataclass(frozen=True, slots=True)
class Evidence:
    """Scores of many pairs as arrays (internal; see :class:`Comparison` for one pair)."""

    pairs: np.ndarray
    jaccard: np.ndarray
    containment_a: np.ndarray
    containment_b: np.ndarray
    weighted_jaccard: np.ndarray
    weighted_containment_a: np.ndarray
    weighted_containment_b: np.ndarray
    facts: np.ndarray  # agreement of figures in [0, 1]; 1.0 when neither side has any
    score: np.ndarray
    is_duplicate: np.ndarray
    lead: np.ndarray  # bool: the lead terms agree (or were not checked: no terms, score >= lead_ceiling)
    is_update: np.ndarray  # bool: not a near-duplicate, the same report with its figures changed (dedup.updates)
    overlap: np.ndarray  # Jaccard of the lead-term sets where a paraphrase was looked for, else NaN


def _safe_div(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    out = np.zeros(num.shape, dtype=float)
    np.divide(num, den, out=out, where=den > 0)
    return np.clip(out, 0.0, 1.0)


def evidence(corpus: Corpus, pairs: np.ndarray, config: DedupConfig) -> Evidence:
    """Score every pair (``(m, 2)`` indices into the corpus) and decide which are near-duplicates."""
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    sets, facts = corpus.sets, corpus.facts
    inter, iw = _pair_kernels.weighted_intersections(sets.hashes, sets.offsets, corpus.weights, pairs)
    size = np.diff(sets.offsets).astype(float)
    sa, sb = size[pairs[:, 0]], size[pairs[:, 1]]
    wa, wb = corpus.doc_weight[pairs[:, 0]], corpus.doc_weight[pairs[:, 1]]
    jac = _safe_div(inter, sa + sb - inter)
    wjac = _safe_div(iw, wa + wb - iw)
    wca, wcb = _safe_div(iw, wa), _safe_div(iw, wb)
    facts_agree = fact_agreement(facts, pairs)
    score, dup = _decide(wjac, wca, wcb, facts_agree, config)
    lead = np.ones(pairs.shape[0], bool)
    terms, term_df = corpus.terms, corpus.term_df
    if config.lead_terms and terms is not None and term_df is not None and corpus.n_docs >= LEAD_MIN_DOCS:
        need = np.flatnonzero(dup & (score < config.lead_ceiling))
        lead[need] = lead_agreement(terms, term_df, pairs[need], k=config.lead_terms)
        dup &= lead
    overlap = np.full(pairs.shape[0], np.nan)
    if config.lead_overlap > 0 and terms is not None:
        low = (score >= config.paraphrase_floor) & (score < config.threshold) & (facts_agree >= config.fact_agreement)
        need = np.flatnonzero(low)
        if need.size:
            overlap[need], found = paraphrases(terms, term_df, corpus.n_docs, pairs[need], config)
            dup[need[found]] = True
    update = np.zeros(pairs.shape[0], bool)
    if config.update_window > 0 and terms is not None and term_df is not None and corpus.published is not None:
        close = updates.close_in_time(corpus.published, pairs, config.update_window)
        need = np.flatnonzero(close & (score >= config.threshold) & (facts_agree < config.fact_agreement))
        rare = updates.rare_cut(corpus.n_docs, min_docs=LEAD_MIN_DOCS)
        update[need] = updates.names_agree(terms, term_df, pairs[need], look=LEAD_LOOK, rare=rare)
    return Evidence(
        pairs,
        jac,
        _safe_div(inter, sa),
        _safe_div(inter, sb),
        wjac,
        wca,
        wcb,
        facts_agree,
        score,
        dup,
        lead,
        update,
        overlap,
    )


def fact_agreement(facts: ShingleBatch, pairs: np.ndarray) -> np.ndarray:
    """For each pair, the share of the figures of the article with fewer of them found in the other.

    1.0 when a side has no figures (no conflict). Cheap next to the shingle sets (an article has a
    few figures), so the batch pipeline checks it before scoring the shingles.
    """
    f_inter = _pair_kernels.intersections(facts.hashes, facts.offsets, pairs)
    fsize = np.diff(facts.offsets)
    fewer = np.minimum(fsize[pairs[:, 0]], fsize[pairs[:, 1]])
    return np.where(fewer == 0, 1.0, _safe_div(f_inter, fewer))


# Containment of the shorter article counts half: an article wholly contained in one twice its
# length has Jaccard 0.5, and scores 0.5 either way. Chosen with benchmarks/measure_defaults.py.
CONTAINMENT_WEIGHT = 0.5


def _decide(wjac, wca, wcb, facts, config: DedupConfig) -> tuple[np.ndarray, np.ndarray]:
    score = np.maximum(wjac, CONTAINMENT_WEIGHT * np.maximum(wca, wcb))
    return score, (score >= config.threshold) & (facts >= config.fact_agreement)


def reason(ev: Evidence, k: int, config: DedupConfig) -> str:
    """A one-line explanation of the verdict on pair ``k``."""
    score = float(ev.score[k])
    return _reason(
        score,
        float(ev.weighted_jaccard[k]),
        float(ev.weighted_containment_a[k]),
        float(ev.weighted_containment_b[k]),
        float(ev.facts[k]),
        bool(ev.is_duplicate[k]),
        bool(ev.lead[k]),
        bool(ev.is_update[k]),
        float(ev.overlap[k]),
        config,
    )


def _reason(
    score: float,
    wjac: float,
    wca: float,
    wcb: float,
    facts: float,
    dup: bool,
    lead: bool,
    update: bool,
    overlap: float,
    config: DedupConfig,
) -> str:
    parts = f"score {score:.2f} (weighted jaccard {wjac:.2f}, containment {wca:.2f}/{wcb:.2f})"
    threshold, agreement = config.threshold, config.fact_agreement
    if dup and score < threshold:
        return (
            f"near-duplicate (a paraphrase): {parts} < threshold {threshold:.2f}, but the leads share "
            f"{overlap:.2f} of their words (>= {config.lead_overlap:.2f}) and their names; figures agree {facts:.2f}"
        )
    if dup:
        return f"near-duplicate: {parts} >= threshold {threshold:.2f}; figures agree {facts:.2f}"
    if update:
        return (
            f"update: {parts} >= threshold {threshold:.2f}, the same names, published within "
            f"{config.update_window / 3600:g}h, but its figures changed (agreement {facts:.2f} < {agreement:.2f})"
        )
    if score >= threshold and facts < agreement:
        return f"not a duplicate: {parts} but their figures differ (agreement {facts:.2f} < {agreement:.2f})"
    if score >= threshold and not lead:
        return (
            f"not a duplicate: {parts} but the rarest words of neither lead are all in the other "
            f"(different names, as in templated items; checked below score {config.lead_ceiling:.2f})"
        )
    return f"not a duplicate: {parts} < threshold {threshold:.2f}"


def coverage_of(pairs: np.ndarray, texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray]:
    """The share of each text of each pair ``(i, j)`` aligned sentence by sentence to the other."""
    from .align import align

    cov = np.empty((pairs.shape[0], 2))
    for k, (i, j) in enumerate(pairs.tolist()):
        alignment = align(texts[i], texts[j], diff=False)
        cov[k] = alignment.coverage_a, alignment.coverage_b
    return cov[:, 0], cov[:, 1]


def pairs_from_evidence(
    ev: Evidence,
    keep: np.ndarray,
    ids: Sequence[str],
    texts: Sequence[str],
    config: DedupConfig,
    *,
    coverage: tuple[np.ndarray, np.ndarray] | None = None,
) -> list[DuplicatePair]:
    """``DuplicatePair`` results of the pairs ``keep`` selects.

    With ``config.coverage``, each pair's sentence coverage: ``coverage`` (arrays over the selected
    pairs) when given, else aligned here from ``texts``.
    """
    selected = np.flatnonzero(keep)
    if config.coverage and coverage is None:
        coverage = coverage_of(ev.pairs[selected], texts)
    # Python values of the selected pairs taken once (not numpy scalars pair by pair).
    pa, pb = ev.pairs[selected, 0].tolist(), ev.pairs[selected, 1].tolist()
    score, jac, ca, cb, facts = (
        getattr(ev, name)[selected].tolist() for name in ("score", "jaccard", "containment_a", "containment_b", "facts")
    )
    cov_a = [None] * len(pa) if coverage is None else np.asarray(coverage[0], float).tolist()
    cov_b = [None] * len(pa) if coverage is None else np.asarray(coverage[1], float).tolist()
    reasons = _reasons(_select_fields(ev, selected), config)
    kinds = ["update" if u else "duplicate" for u in ev.is_update[selected].tolist()]
    for k in np.flatnonzero(ev.is_update[selected]).tolist():  # the figures that changed, where the texts are at hand
        ta, tb = (texts[x] if x < len(texts) and texts[x] else None for x in (pa[k], pb[k]))
        if ta is not None and tb is not None:
            reasons[k] += "; " + updates.describe_change(ta, tb)
    return [
        DuplicatePair(ids[i], ids[j], s, jc, a, b, f, r, xa, xb, kind)
        for i, j, s, jc, a, b, f, r, xa, xb, kind in zip(
            pa, pb, score, jac, ca, cb, facts, reasons, cov_a, cov_b, kinds
        )
    ]


def _select_fields(ev: Evidence, selected: np.ndarray) -> Evidence:
    return Evidence(**{name: getattr(ev, name)[selected] for name in Evidence.__slots__})


def _reasons(ev: Evidence, config: DedupConfig) -> list[str]:
    """``[reason(ev, k, config) for k in range(len(ev.pairs))]`` from Python values taken once."""
    names = ("score", "weighted_jaccard", "weighted_containment_a", "weighted_containment_b", "facts", "is_duplicate")
    columns = zip(*(getattr(ev, name).tolist() for name in (*names, "lead", "is_update", "overlap")))
    return [_reason(s, wj, wa, wb, f, d, ld, up, ov, config) for s, wj, wa, wb, f, d, ld, up, ov in columns]


@dataclass(frozen=True, slots=True)
class Comparison:
    """The scores of one pair of articles and the verdict, with its reason. All in [0, 1]."""

    score: float
    is_duplicate: bool
    reason: str
    jaccard: float
    containment_a: float
    containment_b: float
    weighted_jaccard: float
    weighted_containment_a: float
    weighted_containment_b: float
    facts: float
    coverage_a: float | None = None
    coverage_b: float | None = None

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in self.__slots__}


def compare(
    a: str | Article | dict, b: str | Article | dict, *, config: DedupConfig | None = None, **overrides: Any
) -> Comparison:
    """Score one pair of texts or articles, with the reason for the verdict.

    Weights are those of a batch of just these two articles (nearly uniform); in a batch,
    :func:`dedup.find_duplicates` weighs shingles by their rarity in the whole batch. The pair is
    always aligned for ``coverage_a`` / ``coverage_b`` (one alignment is cheap; the setting
    ``coverage`` is for batches).
    """
    cfg = resolve_config(config, **overrides)
    texts = [x if isinstance(x, str) else as_article(x).text for x in (a, b)]
    corpus = Corpus.build(texts, cfg)
    ev = evidence(corpus, np.array([[0, 1]]), cfg)
    cov_a, cov_b = (float(c[0]) for c in coverage_of(np.array([[0, 1]]), texts))
    return Comparison(
        score=float(ev.score[0]),
        is_duplicate=bool(ev.is_duplicate[0]),
        reason=reason(ev, 0, cfg),
        jaccard=float(ev.jaccard[0]),
        containment_a=float(ev.containment_a[0]),
        containment_b=float(ev.containment_b[0]),
        weighted_jaccard=float(ev.weighted_jaccard[0]),
        weighted_containment_a=float(ev.weighted_containment_a[0]),
        weighted_containment_b=float(ev.weighted_containment_b[0]),
        facts=float(ev.facts[0]),
        coverage_a=cov_a,
        coverage_b=cov_b,
    )
