"""Pair results built from Python values taken once, against the per-pair loop of numpy scalars."""

from __future__ import annotations

import numpy as np
import pytest

from dedup import DedupConfig
from dedup.results import DuplicatePair
from dedup.verify import Evidence, _reasons, pairs_from_evidence, reason


def _evidence(rng: np.random.Generator, m: int) -> Evidence:
    pairs = np.sort(rng.integers(0, 50, (m, 2)), axis=1)
    fields = {
        name: rng.random(m)
        for name in (
            "jaccard",
            "containment_a",
            "containment_b",
            "weighted_jaccard",
            "weighted_containment_a",
            "weighted_containment_b",
            "facts",
            "score",
        )
    }
    fields["score"][::7] = 0.35  # on the threshold
    fields["facts"][::5] = 1.0
    dup = rng.random(m) < 0.5
    update = ~dup & (rng.random(m) < 0.2)
    overlap = np.where(rng.random(m) < 0.3, rng.random(m), np.nan)
    return Evidence(
        pairs=pairs, is_duplicate=dup, lead=rng.random(m) < 0.9, is_update=update, overlap=overlap, **fields
    )


def _reference(ev, keep, ids, config, coverage):  # type: ignore[no-untyped-def]
    out = []
    for n, k in enumerate(np.flatnonzero(keep).tolist()):
        i, j = (int(x) for x in ev.pairs[k])
        out.append(
            DuplicatePair(
                a=ids[i],
                b=ids[j],
                score=float(ev.score[k]),
                jaccard=float(ev.jaccard[k]),
                containment_a=float(ev.containment_a[k]),
                containment_b=float(ev.containment_b[k]),
                facts=float(ev.facts[k]),
                reason=reason(ev, k, config),
                coverage_a=None if coverage is None else float(coverage[0][n]),
                coverage_b=None if coverage is None else float(coverage[1][n]),
                kind="update" if ev.is_update[k] else "duplicate",
            )
        )
    return out


@pytest.mark.parametrize("with_coverage", [False, True])
def test_pairs_as_the_per_pair_loop(with_coverage: bool) -> None:
    rng = np.random.default_rng(int(with_coverage))
    ev = _evidence(rng, 300)
    keep = rng.random(300) < 0.7
    ids = [f"id-{k}" for k in range(50)]
    config = DedupConfig(coverage=with_coverage)
    coverage = (rng.random(int(keep.sum())), rng.random(int(keep.sum()))) if with_coverage else None
    got = pairs_from_evidence(ev, keep, ids, [], config, coverage=coverage)
    assert got == _reference(ev, keep, ids, config, coverage)
    assert all(type(p.score) is float and type(p.a) is str for p in got)
    assert _reasons(ev, config) == [reason(ev, k, config) for k in range(300)]
    assert len({r.split(":")[0] + ("differ" in r) * "!" for r in _reasons(ev, config)}) == 5  # all five kinds


def test_no_pairs() -> None:
    ev = _evidence(np.random.default_rng(0), 0)
    assert pairs_from_evidence(ev, np.zeros(0, bool), [], [], DedupConfig()) == []
