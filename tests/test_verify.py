import pytest

from dedup import compare

RATE_A = "The central bank raised its main interest rate by half a point to 4.5 percent on Tuesday, citing stubborn inflation."
RATE_B = "On Tuesday the central bank raised its main interest rate by half a point, to 4.5 percent, citing stubborn inflation."
EARNINGS_A = "Acme Corp said first-quarter net profit rose to 12.4 million dlrs, or 31 cts a share, from 9.8 million dlrs, or 25 cts, a year earlier. Revenue rose to 210 million dlrs from 187 million."
EARNINGS_B = "Bolt Industries said first-quarter net profit rose to 3.1 million dlrs, or 12 cts a share, from 2.2 million dlrs, or 9 cts, a year earlier. Revenue rose to 58 million dlrs from 51 million."


def test_seeds_are_near_duplicates(seed_texts):
    result = compare(*seed_texts)
    assert result.is_duplicate
    assert "near-duplicate" in result.reason
    assert result.coverage_a > 0.9 and result.coverage_b > 0.9


def test_scores_are_fractions_and_symmetric(seed_texts):
    ab, ba = compare(*seed_texts), compare(*reversed(seed_texts))
    for name in ("score", "jaccard", "weighted_jaccard", "facts", "containment_a", "containment_b"):
        assert 0.0 <= getattr(ab, name) <= 1.0
    assert ab.jaccard == pytest.approx(ba.jaccard)
    assert ab.containment_a == pytest.approx(ba.containment_b)
    assert ab.score == pytest.approx(ba.score)


def test_identical_texts_score_one():
    result = compare(RATE_A, RATE_A)
    assert result.score == pytest.approx(1.0) and result.jaccard == 1.0 and result.is_duplicate


def test_reworded_report_is_a_duplicate():
    assert compare(RATE_A, RATE_B).is_duplicate


def test_template_with_other_figures_is_not_a_duplicate():
    result = compare(EARNINGS_A, EARNINGS_B)
    assert not result.is_duplicate
    assert result.facts < 0.5
    assert "figures differ" in result.reason or "< threshold" in result.reason


def test_short_rewrite_inside_a_long_original_is_a_duplicate(seed_texts):
    reuters, _ = seed_texts
    excerpt = "\n\n".join(reuters.split("\n\n")[1:4])  # three paragraphs of the story
    result = compare(reuters, excerpt)
    assert result.containment_b > 0.95 and result.jaccard < 0.5
    assert result.is_duplicate


def test_unrelated_texts():
    result = compare(RATE_A, "Heavy rain flooded the old town overnight, the fire service said.")
    assert result.score < 0.1 and not result.is_duplicate


def test_fact_check_can_be_turned_off():
    assert compare(EARNINGS_A, EARNINGS_B, fact_agreement=0.0, threshold=0.2).is_duplicate
