"""What naming updates costs on the worst feed for it: templated notices, every pair's figures disagreeing, all
published within one hour, so that every candidate pair is close in time and goes to exact verification.

    python benchmarks/measure_update_cost.py [--articles 10000]

Prints, for the batch (``find_duplicates``) and an in-memory index (``find_duplicates(index=...)``'s engine), the
candidates, pairs, updates and seconds with ``update_window=0`` (off) and at the default, dated and undated.
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))
from _templated import templated_feed


def measure(n: int) -> list[dict[str, object]]:
    from dedup import DedupConfig, find_duplicates
    from dedup.stream import find_in_index

    rows = []
    for dated in (True, False):
        docs = templated_feed(n, seed=3)
        if dated:
            for i, d in enumerate(docs):
                d["published"] = f"2024-03-01T10:{(i * 60 // n) % 60:02d}:00+00:00"
        for engine in ("batch", "index"):
            for window in (0, DedupConfig().update_window):
                cfg = DedupConfig(update_window=window)
                started = time.perf_counter()
                result = find_in_index(docs, cfg) if engine == "index" else find_duplicates(docs, cfg)
                seconds = time.perf_counter() - started
                rows.append(
                    {
                        "feed": "dated" if dated else "undated",
                        "engine": engine,
                        "update_window": window,
                        "candidates": result.stats["candidates"],
                        "pairs": result.stats["pairs"],
                        "updates": len(result.updates),
                        "seconds": round(seconds, 2),
                    }
                )
    return rows


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=10_000)
    args = parser.parse_args(argv)
    rows = measure(args.articles)
    print("| feed | engine | update_window | candidates | pairs | updates | seconds |")
    print("|---|---|---|---|---|---|---|")
    for r in rows:
        print("| " + " | ".join(f"{v:,}" if isinstance(v, int) else str(v) for v in r.values()) + " |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
