"""The shipped defaults at scale: templated feeds stay bounded, and the streamed, pre-filtered
verification of find_duplicates equals a slow reference that scores every candidate pair."""

from __future__ import annotations

import math
import random
import sys
from pathlib import Path

import numpy as np
import pytest

import dedup
from dedup.candidates import band_keys, candidates_from_keys, lsh_params
from dedup.shingles import Shingled, content, hash_shingle, token_hash

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
from _templated import templated_feed


def test_a_templated_feed_flags_nothing_and_stays_bounded():
    docs = templated_feed(1500, seed=3)
    result = dedup.find_duplicates(docs)
    cfg = result.config
    assert result.pairs == () and all(v.status == "unique" for v in result.verdicts)
    assert result.stats["capped_buckets"] > 0  # the template fills buckets past the limit
    assert result.stats["candidates"] <= len(docs) * cfg.bucket_limit * result.stats["bands"]


def test_copies_inside_a_templated_feed_are_still_found():
    rng = random.Random(7)
    docs = templated_feed(1200, seed=4)
    copies = []
    for k in range(12):
        original = docs[rng.randrange(len(docs))]
        copies.append((original["id"], f"copy-{k}"))
        text = original["text"].replace(" said ", " said on Monday ", 1)  # a re-issue, lightly edited
        docs.insert(rng.randrange(len(docs) + 1), {"id": f"copy-{k}", "text": text})
    found = {frozenset((p.a, p.b)) for p in dedup.find_duplicates(docs).pairs}
    assert {frozenset(c) for c in copies} <= found


def _reference_pairs(texts: list[str], cfg: dedup.DedupConfig, candidates: np.ndarray) -> dict[tuple[int, int], float]:
    """Score each candidate pair in plain Python: Python sets, idf over the batch, the verdict rule as documented
    (a batch of fewer than 1,000 articles: no lead check; undated: no updates)."""
    sets = [{hash_shingle(s) for s in dedup.shingles(t, size=cfg.shingle_size)} for t in texts]
    figures = [{token_hash(tok) >> 32 for tok in dedup.tokenize(content(t)) if tok[0].isdecimal()} for t in texts]
    # lead terms: the words, not figures, of the first 200 tokens (low 32 bits of their hash)
    leads = [
        {token_hash(tok) & 0xFFFFFFFF for tok in dedup.tokenize(content(t))[:200] if not tok[0].isdecimal()}
        for t in texts
    ]
    df: dict[int, int] = {}
    for s in sets:
        for h in s:
            df[h] = df.get(h, 0) + 1
    n = len(texts)

    def weight(items):
        return sum(math.log((n + cfg.idf_prior + 1) / (df[h] + 1)) for h in items)

    verified = {}
    for i, j in candidates.tolist():
        a, b, fa, fb = sets[i], sets[j], figures[i], figures[j]
        inter = weight(a & b)
        wj = inter / weight(a | b) if a | b else 0.0
        ca = inter / weight(a) if a else 0.0
        cb = inter / weight(b) if b else 0.0
        score = max(wj, 0.5 * max(ca, cb))
        fewer = min(len(fa), len(fb))
        facts = 1.0 if fewer == 0 else len(fa & fb) / fewer
        la, lb = leads[i], leads[j]
        overlap = len(la & lb) / len(la | lb) if la | lb else 0.0
        paraphrase = score >= cfg.paraphrase_floor and overlap >= cfg.lead_overlap and min(len(la), len(lb)) >= 30
        if (score >= cfg.threshold or paraphrase) and facts >= cfg.fact_agreement:
            verified[(i, j)] = score
    return verified


def test_streamed_verification_equals_the_slow_reference(monkeypatch):
    from dedup import pipeline

    feed = [r.article for r in dedup.read_feed(Path(__file__).resolve().parent.parent / "examples" / "news_feed.jsonl")]
    docs = [{"id": a.id, "text": a.text} for a in feed] + templated_feed(300, seed=1)
    rng = random.Random(2)
    for k in range(20):  # rewrites: a sentence dropped, another repeated
        parts = rng.choice(docs[:40])["text"].split(". ")
        parts.pop(rng.randrange(len(parts)))
        docs.append({"id": f"rewrite-{k}", "text": ". ".join(parts + parts[:1])})
    texts = [d["text"] for d in docs]
    monkeypatch.setattr(pipeline, "_PAIR_CHUNK", 97)  # many small chunks of candidates
    monkeypatch.setattr(pipeline, "_CHUNK", 64)  # several chunks of articles
    result = dedup.find_duplicates(docs, coverage=False)
    cfg = result.config
    shingler = dedup.Shingler(unit=cfg.shingle_unit, size=cfg.shingle_size)
    signatures = dedup.minhash_signatures(shingler.shingle(texts).sets(), num_perm=cfg.num_perm, seed=cfg.seed)
    bands, rows = lsh_params(cfg.candidate_threshold, num_perm=cfg.num_perm)
    candidates = candidates_from_keys(band_keys(signatures, bands=bands, rows=rows), limit=cfg.bucket_limit)
    assert result.stats["candidates"] == candidates.shape[0]
    expected = _reference_pairs(texts, cfg, candidates)
    position = {d["id"]: k for k, d in enumerate(docs)}
    got = {(position[p.a], position[p.b]): p.score for p in result.pairs}
    assert len(expected) >= 20 and got.keys() == expected.keys()
    assert all(got[k] == pytest.approx(expected[k], abs=1e-9) for k in got)


def test_the_templated_benchmark_runs(tmp_path, capsys):
    import importlib.util
    import json

    path = Path(__file__).resolve().parent.parent / "benchmarks" / "bench_templated.py"
    spec = importlib.util.spec_from_file_location("_bench_templated", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    out = tmp_path / "templated.json"
    assert module.main(["--n-docs", "60", "--repeat", "1", "-j", "1", "--json", str(out)]) == 0
    payload = json.loads(out.read_text(encoding="utf-8"))
    assert capsys.readouterr().out.startswith("# ")
    assert payload["summary"]["templated"]["pairs"] == 0 and payload["summary"]["real"]["pairs"] > 0
    assert payload["ratio"] > 0 and "target <= 3x" in payload["markdown"]


@pytest.mark.parametrize("seed", range(3))
def test_document_frequency_table_equals_counting(seed):
    from collections import Counter

    from dedup import _kernels

    rng = np.random.default_rng(seed)
    sets = [np.unique(rng.integers(0, 300, rng.integers(0, 40)).astype(np.uint32)) for _ in range(200)]
    everything = np.sort(np.concatenate(sets))
    table, counts = _kernels.repeated_counts(everything, block=7)  # blocks smaller than the runs
    reference = Counter(everything.tolist())
    assert dict(zip(table.tolist(), counts.tolist())) == {h: c for h, c in reference.items() if c >= 2}
    probe = rng.integers(0, 400, 1000).astype(np.uint32)  # some never seen: frequency 1, as a new shingle
    assert _kernels.frequency_lookup(table, counts, probe).tolist() == [max(reference[h], 1) for h in probe.tolist()]


def test_document_frequency_by_ranges_of_the_hash_space():
    """The batch's frequency table is the same whether its hashes are sorted at once or range by range."""
    from dedup import _kernels
    from dedup.pipeline import _Chunks

    rng = np.random.default_rng(5)
    chunks = _Chunks()
    for _ in range(4):
        sets = [
            np.unique(
                rng.integers(0, 1 << 32, rng.integers(0, 30), dtype=np.uint64).astype(np.uint32) % 997 * 4_300_000
            )
            for _ in range(50)
        ]
        offsets = np.concatenate(([0], np.cumsum([s.shape[0] for s in sets]))).astype(np.int64)
        batch = dedup.ShingleBatch(np.concatenate(sets).astype(np.uint32), offsets)
        chunks.append(Shingled(batch, batch, batch))
    whole = _kernels.repeated_counts(np.sort(np.concatenate([b.hashes for b in chunks.sets])))
    for piece in (1, 100, 1 << 25):
        table, counts = chunks.document_frequency(piece=piece)
        assert np.array_equal(table, whole[0]) and np.array_equal(counts, whole[1])
