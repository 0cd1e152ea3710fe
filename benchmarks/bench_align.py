"""Time dedup.align on article-length pairs: median milliseconds per pair.

Pairs are (A, B) where B is A rewritten: words swapped, a sentence dropped, one added, one moved.
Texts come from ``--corpus`` (JSON Lines, optionally gzipped, with a "text" field) or, by default,
from seeded synthetic sentences so that the script runs on a fresh machine. The aim is at most
2 ms per pair of 30-sentence articles.

Usage: python benchmarks/bench_align.py [--corpus PATH] [--n-pairs 1000] [--sentences 30] [--repeat 3] [--json OUT]
"""

from __future__ import annotations

import argparse
import gzip
import json
import platform
import random
import statistics
import time
from collections.abc import Sequence
from pathlib import Path

from dedup.align import LINKED_KINDS, align
from dedup.text import split_sentences

_WORDS = [
    "the",
    "a",
    "of",
    "in",
    "on",
    "to",
    "and",
    "said",
    "government",
    "minister",
    "company",
    "market",
    "shares",
    "bank",
    "rates",
    "police",
    "officials",
    "report",
    "week",
    "year",
    "Monday",
    "Tuesday",
    "president",
    "election",
    "talks",
    "deal",
    "contract",
    "network",
    "security",
    "agency",
    "court",
    "judge",
    "million",
    "billion",
    "percent",
    "prices",
    "oil",
    "exports",
    "growth",
    "economy",
    "workers",
    "strike",
    "union",
    "city",
    "region",
    "northern",
    "southern",
    "capital",
    "country",
    "international",
    "military",
    "alliance",
    "statement",
    "spokesman",
    "spokeswoman",
    "according",
    "would",
    "could",
    "will",
    "not",
    "after",
    "before",
    "during",
    "since",
    "while",
    "announced",
    "reported",
    "confirmed",
    "denied",
    "expected",
]


def synthetic_sentences(rng: random.Random, count: int) -> list[str]:
    out = []
    for _ in range(count):
        words = rng.choices(_WORDS, k=rng.randint(12, 30))
        out.append(words[0].capitalize() + " " + " ".join(words[1:]) + ".")
    return out


def rewrite(sentences: list[str], rng: random.Random) -> list[str]:
    """Swap about a fifth of the words of each sentence; drop one, add one, move one."""
    out = []
    for sentence in sentences:
        words = sentence.rstrip(".").split()
        for k in rng.sample(range(len(words)), len(words) // 5):
            words[k] = rng.choice(_WORDS)
        out.append(" ".join(words) + ".")
    if len(out) > 3:
        out.pop(rng.randrange(len(out)))
        out.insert(rng.randrange(len(out)), synthetic_sentences(rng, 1)[0])
        out.insert(0, out.pop(rng.randrange(1, len(out))))
    return out


def corpus_sentences(path: Path, limit: int) -> list[list[str]]:
    opener = gzip.open if path.suffix == ".gz" else open
    docs = []
    with opener(path, "rt", encoding="utf-8") as fh:
        for line in fh:
            if line.strip():
                sentences = [s.text for s in split_sentences(json.loads(line).get("text") or "")]
                if len(sentences) >= 5:
                    docs.append(sentences)
            if len(docs) >= limit:
                break
    return docs


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", type=Path, help="JSON Lines feed (.jsonl or .jsonl.gz) with a 'text' field")
    parser.add_argument("--n-pairs", type=int, default=1000)
    parser.add_argument("--sentences", type=int, default=30, help="sentences per synthetic article (default 30)")
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", type=Path, help="write the results to this file")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    if args.corpus:
        docs = corpus_sentences(args.corpus, args.n_pairs)
        source = str(args.corpus)
    else:
        docs = [synthetic_sentences(rng, args.sentences) for _ in range(args.n_pairs)]
        source = f"synthetic, {args.sentences} sentences per article"
    pairs = [(" ".join(d), " ".join(rewrite(d, rng))) for d in docs]
    print(
        f"# {platform.python_implementation()} {platform.python_version()} on {platform.platform()}, "
        f"{platform.processor() or platform.machine()}"
    )
    print(f"# {len(pairs)} pairs ({source}), {args.repeat} runs")
    results = {}
    for diff in (True, False):
        per_pair = []
        for _ in range(args.repeat):
            for a, b in pairs:
                started = time.perf_counter()
                align(a, b, diff=diff)
                per_pair.append(time.perf_counter() - started)
        median_ms = 1000 * statistics.median(per_pair)
        p90_ms = 1000 * statistics.quantiles(per_pair, n=10)[-1]
        results[f"diff={diff}"] = {"median_ms": median_ms, "p90_ms": p90_ms}
        print(f"align(diff={diff}): median {median_ms:.3f} ms per pair, p90 {p90_ms:.3f} ms")
    sample = [align(a, b) for a, b in pairs[:50]]
    results["linked_share"] = statistics.mean(
        sum(link.kind in LINKED_KINDS for link in r.links) / max(len(r.sentences_b), 1) for r in sample
    )
    print(f"share of B's sentences linked (first 50 pairs): {results['linked_share']:.2f}")
    if args.json:
        args.json.write_text(
            json.dumps({"platform": platform.platform(), "pairs": len(pairs), "source": source, **results}, indent=2),
            encoding="utf-8",
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
