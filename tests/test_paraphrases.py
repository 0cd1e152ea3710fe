"""Paraphrases: a pair scoring below the threshold whose leads share most of their words is a near-duplicate."""

from __future__ import annotations

import json

import numpy as np
import pytest

import dedup
from dedup.cli import main
from dedup.config import DedupConfig
from dedup.leads import LEAD_LOOK, PARAPHRASE_MIN_TERMS, PARAPHRASE_RARE_SHARE, paraphrases
from dedup.shingles import ShingleBatch


def _rarest(doc: list[int], dfs: dict[int, int], k: int) -> set[int]:
    return set(sorted(doc[:LEAD_LOOK], key=lambda t: (dfs[t], t))[:k])


def _names_in(doc: list[int], dfs: dict[int, int], other: list[int], rare: float) -> bool:
    return all(t in set(other) for t in doc[:LEAD_LOOK] if dfs[t] <= rare)


def _reference(terms, df, pairs, n_docs, config):  # type: ignore[no-untyped-def]
    """Pair by pair, with Python sets: the Jaccard of the lead-term sets, and the paraphrase rule."""
    docs = [terms.hashes[terms.offsets[d] : terms.offsets[d + 1]].tolist() for d in range(len(terms))]
    dfs = [dict(zip(docs[d], df[terms.offsets[d] : terms.offsets[d + 1]].tolist())) for d in range(len(terms))]
    rare = max(1.0, PARAPHRASE_RARE_SHARE * n_docs)
    overlaps, found = [], []
    for i, j in pairs.tolist():
        a, b = set(docs[i]), set(docs[j])
        overlap = len(a & b) / len(a | b) if a | b else 0.0
        ok = overlap >= config.lead_overlap and min(len(a), len(b)) >= PARAPHRASE_MIN_TERMS
        if ok and n_docs >= 1000:
            k = config.lead_terms
            one_way = _rarest(docs[i], dfs[i], k) <= b or _rarest(docs[j], dfs[j], k) <= a
            both = _names_in(docs[i], dfs[i], docs[j], rare) and _names_in(docs[j], dfs[j], docs[i], rare)
            ok = one_way and both
        overlaps.append(overlap)
        found.append(ok)
    return np.array(overlaps), np.array(found, bool)


@pytest.mark.parametrize(("seed", "n_docs"), [(0, 40), (1, 40), (2, 5000), (3, 5000)])
def test_the_rule_as_the_reference(seed: int, n_docs: int) -> None:
    rng = np.random.default_rng(seed)
    n, vocab = 30, 90
    sizes = rng.integers(20, 60, n)
    hashes = np.concatenate([rng.choice(vocab, size=s, replace=False) for s in sizes]).astype(np.uint32)
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    terms = ShingleBatch(hashes, offsets)
    df_of = rng.integers(1, 300, vocab)  # one document frequency per term, as a store counts them
    df = df_of[hashes]
    config = DedupConfig(lead_overlap=0.3)
    pairs = rng.integers(0, n, (400, 2))
    overlap, found = paraphrases(terms, df, n_docs, pairs, config)
    want_overlap, want_found = _reference(terms, df, pairs, n_docs, config)
    assert np.allclose(overlap, want_overlap) and found.tolist() == want_found.tolist()
    assert found.any() and not found.all()


def test_the_example_feed_rewrites_below_the_threshold_are_found_with_their_reason() -> None:
    result = dedup.find_duplicates(dedup.load_articles("examples/news_feed.jsonl"))
    pair = next(p for p in result.pairs if {p.a, p.b} == {"coastline-port-strike", "bayside-port-strike"})
    assert pair.score < result.config.threshold
    assert pair.reason.startswith("near-duplicate (a paraphrase): score 0.26")
    assert "the leads share" in pair.reason
    off = dedup.find_duplicates(dedup.load_articles("examples/news_feed.jsonl"), lead_overlap=0)
    assert not any({p.a, p.b} == {"coastline-port-strike", "bayside-port-strike"} for p in off.pairs)
    # templated items of the feed (earnings, dividends of different companies) share their words, not figures
    assert all(v.status == "unique" for v in result.verdicts if v.id.startswith("meridian-") and "q1" in v.id)


def test_lead_overlap_flag(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    assert main(["find", "examples/news_feed.jsonl", "--pairs", "--lead-overlap", "0", "-q"]) == 0
    off = {frozenset((p["a"], p["b"])) for p in map(json.loads, capsys.readouterr().out.splitlines())}
    assert main(["find", "examples/news_feed.jsonl", "--pairs", "-q"]) == 0
    on = {frozenset((p["a"], p["b"])) for p in map(json.loads, capsys.readouterr().out.splitlines())}
    assert off < on and frozenset(("coastline-port-strike", "bayside-port-strike")) in on - off
    with pytest.raises(SystemExit):
        main(["find", "examples/news_feed.jsonl", "--lead-overlap", "2"])
    assert "--lead-overlap" in capsys.readouterr().err
