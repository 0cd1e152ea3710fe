from datetime import datetime, timezone

import numpy as np

from dedup.cluster import keep_order, star_clusters


def test_no_chaining_through_an_intermediate_article():
    # 0~1 and 1~2, but not 0~2: 2 must not join 0's cluster.
    order = np.arange(3)
    center, score = star_clusters(3, np.array([[0, 1], [1, 2]]), np.array([0.9, 0.8]), order)
    assert center.tolist() == [0, 0, -1]
    assert score[1] == 0.9


def test_every_member_is_a_verified_pair_with_its_representative():
    rng = np.random.default_rng(0)
    n = 60
    pairs = np.array(sorted({tuple(sorted(rng.choice(n, 2, replace=False))) for _ in range(120)}))
    center, _ = star_clusters(n, pairs, np.ones(len(pairs)), rng.permutation(n))
    edges = {tuple(p) for p in pairs.tolist()}
    for i, c in enumerate(center.tolist()):
        if c not in (-1, i):
            assert (min(i, c), max(i, c)) in edges


def test_keep_orders():
    day = lambda d: datetime(2026, 3, d, tzinfo=timezone.utc)
    lengths = [10, 30, 20, 30]
    published = [day(5), None, day(4), day(4)]
    assert keep_order(policy="first", lengths=lengths, published=published).tolist() == [0, 1, 2, 3]
    assert keep_order(policy="longest", lengths=lengths, published=published).tolist() == [1, 3, 2, 0]
    # earliest, then longest, then input order; undated last
    assert keep_order(policy="earliest", lengths=lengths, published=published).tolist() == [3, 2, 0, 1]
