"""The batch's fast paths over articles and verdicts against the slow, obviously correct ones."""

from __future__ import annotations

from collections import UserDict
from datetime import datetime, timezone

import numpy as np
import pytest

from dedup import Article, DedupConfig
from dedup.cluster import cluster_verdicts, keep_order, star_clusters
from dedup.errors import InputError
from dedup.pipeline import _article_chunks, _column_chunks
from dedup.results import Verdict


class Text(str):
    pass


RECORDS = [
    {"id": "a", "text": "plain"},
    {"id": 7, "text": "an int id"},
    {"id": "c", "text": "dated", "published": "2026-03-04T09:30:00Z"},
    {"id": "d", "text": "naive date", "published": "2026-03-04"},
    {"id": "e", "text": "empty date", "published": "", "title": "T", "source": "S"},
    {"id": "f", "text": "", "extra": 1},
    {"id": Text("g"), "text": Text("str subclasses")},
    UserDict({"id": "h", "text": "a mapping"}),
    Article("i", "an article", published=datetime(2026, 1, 1, tzinfo=timezone.utc)),
    {"id": "j", "text": "a datetime", "published": datetime(2026, 1, 2)},
]


def _columns(items, size=None):  # type: ignore[no-untyped-def]
    return [(c.ids, c.texts, c.published) for c in _column_chunks(items, size)]


def _reference(items, size=None):  # type: ignore[no-untyped-def]
    return [([a.id for a in c], [a.text for a in c], [a.published for a in c]) for c in _article_chunks(items, size)]


@pytest.mark.parametrize("size", [None, 1, 3])
def test_columns_are_the_articles_fields(size: int | None) -> None:
    got = _columns(RECORDS, size)
    assert got == _reference(RECORDS, size)


@pytest.mark.parametrize(
    "bad",
    [
        {"id": "", "text": "x"},
        {"id": "x"},
        {"text": "x"},
        {"id": True, "text": "x"},
        {"id": "x", "text": b"x"},
        {"id": "x", "text": 3},
        {"id": "x", "text": "t", "title": 3},
        {"id": "x", "text": "t", "source": ["s"]},
        {"id": "x", "text": "t", "published": "yesterday"},
        {"id": "x", "text": "t", "published": 5},
        ["x", "t"],
        {"id": "a", "text": "a repeated id"},
    ],
)
def test_columns_reject_what_articles_reject_with_the_same_message(bad: object) -> None:
    items = [{"id": "a", "text": "ok"}, bad]
    with pytest.raises(InputError) as ref:
        _reference(items)
    with pytest.raises(InputError) as got:
        _columns(items)
    assert str(got.value) == str(ref.value)


def _reference_verdicts(ids, lengths, published, pairs, scores, config):  # type: ignore[no-untyped-def]
    """The per-article loop as first written: numpy scalars, keyword arguments."""
    n = len(ids)
    center, best = star_clusters(n, pairs, scores, keep_order(policy=config.keep, lengths=lengths, published=published))
    reps = np.flatnonzero(center == np.arange(n))
    cluster_of = {int(r): k for k, r in enumerate(reps)}
    has_pair = np.zeros(n, bool)
    has_pair[pairs.ravel()] = True
    out = []
    for i, article_id in enumerate(ids):
        c = int(center[i])
        if c == -1:
            why = "no near-duplicate found"
            if has_pair[i]:
                why = "near-duplicate of articles that are in clusters whose representatives it does not match; kept"
            out.append(Verdict(article_id, "unique", reason=why))
        elif c == i:
            out.append(
                Verdict(
                    article_id,
                    "representative",
                    cluster=cluster_of[c],
                    reason=f"kept for cluster {cluster_of[c]} (keep={config.keep})",
                )
            )
        else:
            out.append(
                Verdict(
                    article_id,
                    "duplicate",
                    cluster=cluster_of[c],
                    duplicate_of=ids[c],
                    score=float(best[i]),
                    reason=f"near-duplicate of {ids[c]!r} (score {best[i]:.2f})",
                )
            )
    return out


@pytest.mark.parametrize("keep", ["earliest", "longest", "first"])
@pytest.mark.parametrize("dated", [False, True])
def test_verdicts_match_the_reference_loop(keep: str, dated: bool) -> None:
    rng = np.random.default_rng(len(keep) + dated)
    n = 400
    ids = [f"doc-{k}" for k in range(n)]
    lengths = rng.integers(10, 30, n).tolist()  # many ties
    published = [
        datetime(2026, 1, 1 + int(d), tzinfo=timezone.utc) if dated and d < 20 else None for d in rng.integers(0, 25, n)
    ]
    pairs = np.sort(rng.integers(0, n, (600, 2)), axis=1)
    pairs = np.unique(pairs[pairs[:, 0] < pairs[:, 1]], axis=0)
    scores = rng.random(pairs.shape[0])
    cfg = DedupConfig(keep=keep)
    _, verdicts = cluster_verdicts(ids, lengths, published, pairs, scores, cfg)
    expected = _reference_verdicts(ids, lengths, published, pairs, scores, cfg)
    assert verdicts == expected
    assert {v.status for v in verdicts} == {"unique", "representative", "duplicate"}
    assert all(type(v.score) is float for v in verdicts if v.score is not None)


def test_new_verdict_is_the_dataclass() -> None:
    from dedup.results import _new_verdict

    for args in [("a", "unique", None, None, None, "r"), ("b", "duplicate", 3, "a", 0.51, "near")]:
        fast, slow = _new_verdict(*args), Verdict(*args)  # type: ignore[arg-type]
        assert (
            fast == slow and repr(fast) == repr(slow) and fast.to_dict() == slow.to_dict() and hash(fast) == hash(slow)
        )
        with pytest.raises(AttributeError):
            fast.id = "c"  # type: ignore[misc]


@pytest.mark.parametrize("seed", range(4))
def test_star_clusters_compiled_as_the_numpy_loop(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 300
    pairs = rng.integers(0, n, (500, 2))
    if seed < 2:  # as the pipeline gives them: i < j, each once
        pairs = np.unique(np.sort(pairs, axis=1), axis=0)
        pairs = pairs[pairs[:, 0] < pairs[:, 1]]
    scores = rng.random(pairs.shape[0])  # else repeats, both orders and self pairs: the public function takes any
    order = rng.permutation(n)
    fast = star_clusters(n, pairs, scores, order)
    slow = star_clusters(n, pairs, scores, order, compiled=False)
    assert np.array_equal(fast[0], slow[0]) and np.array_equal(fast[1], slow[1], equal_nan=True)
    assert (fast[0] >= 0).sum() > 50


def test_collector_on_again_after_the_verdicts() -> None:
    import gc

    ids, pairs = ["a", "b", "c"], np.array([[0, 1]])
    cluster_verdicts(ids, [3, 2, 1], [None] * 3, pairs, np.array([0.9]), DedupConfig())
    assert gc.isenabled()
    gc.disable()
    try:
        cluster_verdicts(ids, [3, 2, 1], [None] * 3, pairs, np.array([0.9]), DedupConfig())
        assert not gc.isenabled()
    finally:
        gc.enable()
