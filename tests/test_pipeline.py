import random

import pytest

import dedup
from dedup import Article, ConfigError, InputError, find_duplicates

COPY = "The central bank raised its main interest rate by half a point to 4.5 percent on Tuesday, citing stubborn inflation and a weak currency."
REWRITE = "On Tuesday the central bank raised its main interest rate by half a point, to 4.5 percent, citing a weak currency and stubborn inflation."
OTHER = "Heavy rain flooded the old town overnight and the fire service evacuated forty families, the mayor said on Wednesday."


def _articles(seed_texts):
    reuters, unn = seed_texts
    return [
        Article(id="unn", text=unn, published="2026-03-04T09:30:00Z"),
        Article(id="rain", text=OTHER),
        Article(id="reuters", text=reuters, published="2026-03-04T06:00:00Z"),
        {"id": "rate-1", "text": COPY},
        {"id": "rate-2", "text": REWRITE},
    ]


def test_seeds_found_with_default_settings(seed_texts):
    result = find_duplicates(_articles(seed_texts))
    assert all(p.coverage_a is None for p in result.pairs)  # alignment only when asked for
    result = find_duplicates(_articles(seed_texts), coverage=True)
    assert {(p.a, p.b) for p in result.pairs} == {("unn", "reuters"), ("rate-1", "rate-2")}
    by_id = {v.id: v for v in result.verdicts}
    assert by_id["reuters"].status == "representative"  # earliest published
    assert by_id["unn"].status == "duplicate" and by_id["unn"].duplicate_of == "reuters"
    assert by_id["rain"].status == "unique"
    assert 0 < by_id["unn"].score <= 1
    assert [v.id for v in result.verdicts] == ["unn", "rain", "reuters", "rate-1", "rate-2"]
    assert sorted(result.kept) == ["rain", "rate-2", "reuters"]
    assert all(0 <= p.coverage_a <= 1 for p in result.pairs)


def test_the_usual_recipe_misses_the_seeds(seed_texts):
    # Word 5-grams at 0.8, the common default elsewhere, does not group the rewrite.
    result = find_duplicates(_articles(seed_texts), shingle_size=5, threshold=0.8, candidate_threshold=0.8)
    assert ("unn", "reuters") not in {(p.a, p.b) for p in result.pairs}


@pytest.mark.parametrize("keep, representative", [("earliest", "reuters"), ("first", "unn"), ("longest", "unn")])
def test_keep_policy(seed_texts, keep, representative):
    result = find_duplicates(_articles(seed_texts), keep=keep)
    cluster = next(c for c in result.clusters if "reuters" in c.ids)
    assert cluster.representative == representative
    assert cluster.ids[0] == representative and len(cluster) == 2


@pytest.mark.parametrize("seed", range(3))
def test_input_order_does_not_change_the_groups(seed_texts, seed):
    articles = _articles(seed_texts)
    random.Random(seed).shuffle(articles)
    result = find_duplicates(articles)
    groups = {frozenset(c.ids) for c in result.clusters}
    assert groups == {frozenset({"unn", "reuters"}), frozenset({"rate-1", "rate-2"})}
    # clusters partition the clustered articles
    members = [i for c in result.clusters for i in c.ids]
    assert len(members) == len(set(members))


def test_empty_input_and_empty_texts():
    assert find_duplicates([]).verdicts == ()
    result = find_duplicates([{"id": "a", "text": ""}, {"id": "b", "text": ""}, {"id": "c", "text": "   "}])
    assert [v.status for v in result.verdicts] == ["unique"] * 3


def test_bad_input_is_refused_clearly():
    with pytest.raises(InputError, match="duplicate id 'x'"):
        find_duplicates([{"id": "x", "text": "a"}, {"id": "x", "text": "b"}])
    with pytest.raises(InputError, match="missing field 'text'"):
        find_duplicates([{"id": "x", "body": "a"}])
    with pytest.raises(InputError, match="text is bytes; decode it first"):
        find_duplicates([Article(id="x", text=b"abc")])  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match="did you mean 'num_perm'"):
        find_duplicates([], num_perms=64)


def test_char_shingles_also_find_the_seeds(seed_texts):
    result = find_duplicates(_articles(seed_texts), shingle_unit="char", shingle_size=5, threshold=0.35)
    assert ("unn", "reuters") in {(p.a, p.b) for p in result.pairs}


def test_public_names():
    assert dedup.__all__ == sorted(dedup.__all__)
    for name in dedup.__all__:
        assert hasattr(dedup, name), name
    assert {"find_duplicates", "Deduplicator", "align", "compare", "DedupConfig"} <= set(dedup.__all__)


def test_lsh_weights_trade_candidates_for_recall(seed_texts):
    articles = _articles(seed_texts)
    balanced = find_duplicates(articles, candidate_threshold=0.5)
    recall_heavy = find_duplicates(articles, candidate_threshold=0.5, lsh_weights=(0.2, 0.8))
    assert (balanced.stats["bands"], balanced.stats["rows"]) == (25, 5)
    assert (recall_heavy.stats["bands"], recall_heavy.stats["rows"]) == (30, 4)
    with pytest.raises(ConfigError, match="lsh_weights must be two fractions summing to 1"):
        find_duplicates(articles, lsh_weights=(0.5, 0.6))


def test_workers_give_the_same_result(seed_texts, monkeypatch):
    from dedup import pipeline

    articles = _articles(seed_texts) + [
        {"id": f"filler-{k}", "text": f"Story number {k} about the harbour, the weather and {k * 7} boats."}
        for k in range(40)
    ]
    monkeypatch.setattr(pipeline, "_CHUNK", 8)  # several chunks, so both workers get some
    monkeypatch.setattr(pipeline, "_PAIR_CHUNK", 2)  # and several chunks of candidates to verify and align
    assert len(list(pipeline._article_chunks(articles))) == 6
    one = find_duplicates(articles)
    two = find_duplicates(articles, workers=2)
    assert len(one.pairs) >= 2
    assert one.pairs == two.pairs and one.verdicts == two.verdicts and one.clusters == two.clusters


def test_plain_records_become_the_same_articles_as_through_the_checks():
    """as_article's fast path for an already valid dict gives the Article the checked constructor gives."""
    from dedup.article import Article, as_article

    records = [
        {"id": "a", "text": "Some text."},
        {"id": "b", "text": "", "title": "T", "source": "S", "published": ""},
        {"id": "c", "text": "x", "title": None, "extra": 1},
        {"id": "d", "text": "y", "published": "2026-03-04T09:30:00+00:00"},
        {"id": "e", "text": "y", "published": " 2026-03-04 09:30 "},  # naive: UTC
        {"id": "f", "text": "y", "published": "2026-03-04T11:30:00+02:00"},
    ]
    for record in records:
        fast = as_article(record)
        checked = Article(
            id=record["id"],
            text=record["text"],
            title=record.get("title"),
            source=record.get("source"),
            published=record.get("published"),
        )
        assert fast == checked and type(fast) is Article
    for bad in (
        {"id": "", "text": "x"},
        {"id": "e", "text": b"x"},
        {"id": "f", "text": "x", "title": 3},
        {"id": "g", "text": "x", "published": 20260304},
    ):
        with pytest.raises(InputError):
            as_article(bad)
    with pytest.raises(InputError) as fast_error:
        as_article({"id": "h", "text": "x", "published": "yesterday"})
    with pytest.raises(InputError) as checked_error:
        Article(id="h", text="x", published="yesterday")
    assert str(fast_error.value) == str(checked_error.value)
