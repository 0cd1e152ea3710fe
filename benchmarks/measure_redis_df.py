"""Measure what the Redis store's count-min sketch of document frequency does to the verdicts.

Reuters-21578 in feed order, in batches, through two :class:`dedup.Deduplicator` at the defaults
(stream verdicts, no window): one on a :class:`dedup.store.MemoryStore` (exact document frequency),
one on the same MemoryStore whose document frequency is read from a :class:`RedisStore`'s sketch
that was given the same articles (so only the idf weights differ). Prints, per sketch size, how
many verified pairs and verdicts differ, and how far the sketch's counts are above the exact ones.
A redis-server is started on a free loopback port unless ``--url`` is given.

    python benchmarks/measure_redis_df.py --corpus ../shared/data/reuters21578.jsonl.gz --sizes 4x2^18 4x2^20
"""

from __future__ import annotations

import argparse
import gzip
import json
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path
from typing import Any

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from dedup import Deduplicator
from dedup.store import MemoryStore, Records
from dedup.store.redis import RedisStore


class SketchDF(MemoryStore):
    """A MemoryStore whose document frequency comes from a RedisStore's sketch holding the same articles."""

    def __init__(self, settings: Any, redis_store: RedisStore) -> None:
        super().__init__(settings)
        self.redis = redis_store
        self.excess: list[np.ndarray] = []

    def add_many(self, records: Records) -> np.ndarray:
        self.redis.add_many(records)
        return super().add_many(records)

    def document_frequency(self, hashes: np.ndarray) -> np.ndarray:
        sketch = self.redis.document_frequency(hashes)
        exact = super().document_frequency(hashes)
        assert (sketch >= exact).all(), "a count-min sketch never counts below the truth"
        self.excess.append(sketch - exact)
        return sketch


def run(
    articles: list[dict[str, Any]], batch: int, store: MemoryStore | None
) -> tuple[set[tuple[str, str]], dict[str, str]]:
    d = Deduplicator() if store is None else Deduplicator(index=store)
    pairs: set[tuple[str, str]] = set()
    verdicts: dict[str, str] = {}
    for start in range(0, len(articles), batch):
        added = d.add_many(articles[start : start + batch])
        pairs.update((p.a, p.b) for p in added.pairs)
        verdicts.update((v.id, f"{v.status}:{v.duplicate_of}") for v in added.verdicts)
    return pairs, verdicts


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=ROOT.parent / "shared" / "data" / "reuters21578.jsonl.gz")
    parser.add_argument("--url", help="a Redis server to use (default: start one)")
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--n-docs", type=int)
    parser.add_argument("--sizes", nargs="+", default=["4x2^18", "4x2^20"], help="sketch sizes as DEPTHx2^BITS")
    args = parser.parse_args()
    opener = gzip.open if args.corpus.suffix == ".gz" else open
    with opener(args.corpus, "rt", encoding="utf-8") as f:
        articles = [json.loads(line) for line in f][: args.n_docs]
    print(f"{len(articles)} articles from {args.corpus.name}, batches of {args.batch}")
    start = time.perf_counter()
    exact_pairs, exact_verdicts = run(articles, args.batch, None)
    print(f"exact document frequency (MemoryStore): {len(exact_pairs)} pairs ({time.perf_counter() - start:.0f} s)")
    with ExitStack() as stack:
        url = args.url
        if url is None:
            from tests._redis_server import redis_server

            url = stack.enter_context(redis_server(Path(stack.enter_context(tempfile.TemporaryDirectory()))))
        for size in args.sizes:
            depth, bits = (int(v) for v in size.replace("2^", "").split("x"))
            probe = Deduplicator()
            redis_store = RedisStore(
                url,
                probe.store.settings,
                name=f"df-{depth}x{bits}-{time.time_ns()}",
                df_depth=depth,
                df_width=1 << bits,
            )
            store = SketchDF(probe.store.settings, redis_store)
            start = time.perf_counter()
            pairs, verdicts = run(articles, args.batch, store)
            excess = np.concatenate(store.excess)
            changed = sum(verdicts[i] != exact_verdicts[i] for i in exact_verdicts)
            print(
                f"sketch {depth} x 2^{bits} ({4 * depth << bits >> 20} MB): {len(pairs)} pairs, "
                f"{len(pairs - exact_pairs)} only with the sketch, {len(exact_pairs - pairs)} only exact, "
                f"{changed} verdicts differ; counts looked up above the exact: {np.mean(excess > 0):.2%} "
                f"(mean +{excess.mean():.3f}) ({time.perf_counter() - start:.0f} s)"
            )
            redis_store.close()


if __name__ == "__main__":
    main()
