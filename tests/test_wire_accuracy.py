"""Accuracy on wire feeds (benchmarks/bench_wire.py): its counting rules against hand-made cases, then the
shipped defaults over all of Reuters-21578 and BBC News (skipped without ../shared/data)."""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path

import pytest

from .conftest import shared_data

ROOT = Path(__file__).resolve().parent.parent


def _bench():
    sys.path.insert(0, str(ROOT / "benchmarks"))
    spec = importlib.util.spec_from_file_location("_bench_wire", ROOT / "benchmarks" / "bench_wire.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module
    spec.loader.exec_module(module)
    return module


wire = _bench()


def test_tickers_strip_the_exchange_suffix() -> None:
    assert wire.tickers("AMERICAN GREETINGS CORP <AGREA.O> 1ST QTR NET") == {"AGREA"}
    assert wire.tickers("GRUMMAN<GQ> UNIT GETS <BP.L> AND <X>") == {"GQ", "BP", "X"}
    assert wire.tickers("BAHIA COCOA REVIEW") == frozenset() and wire.tickers(None) == frozenset()


def test_template_rate_counts_pairs_whose_titles_both_name_tickers() -> None:
    titles = {
        "a": "FUQUA INDUSTRIES INC <FQA> SETS QUARTERLY",
        "b": "SANDUSKY PLASTICS INC <SPI> SETS QUARTERLY",
        "c": "FUQUA <FQA.N> SETS QUARTERLY DIVIDEND",
        "d": "COCOA REVIEW",
    }
    pairs = [("a", "b", 0.4), ("a", "c", 0.9), ("a", "d", 0.5), ("b", "c", 0.4)]
    rate = wire.template_rate(pairs, titles)
    # a-d has one side without a ticker: not counted; a-c share FQA once the suffix is stripped
    assert rate.ticker_pairs == 3 and rate.disjoint == [("a", "b", 0.4), ("b", "c", 0.4)]
    assert rate.rate == pytest.approx(2 / 3)


def test_labelled_scores_are_precision_and_recall_of_the_flagged_pairs() -> None:
    labels = [
        {"a": "x", "b": "y", "label": 1},
        {"a": "x", "b": "z", "label": 1},
        {"a": "y", "b": "z", "label": 0},
        {"a": "u", "b": "v", "label": 0},
    ]
    flagged = {frozenset(("y", "x")), frozenset(("y", "z"))}
    got = wire.labelled_scores(flagged, labels)
    assert (got["found"], got["false_positives"], got["positives"]) == (1, 1, 2)
    assert got["precision"] == 0.5 and got["recall"] == 0.5


@pytest.fixture(scope="module")
def report() -> dict:
    shared_data("reuters21578.jsonl.gz")
    return wire.measure(shared_data("bbc_news.jsonl.gz").parent)


# What the lead check costs (docs/thresholds.md): pairs flagged before it that it turns away. Read by hand:
# the BBC pairs are rewrites whose headlines were rewritten too (the rarest words of a lead are the headline's).
LOST_BBC = {
    frozenset(("bbc-entertainment/038", "bbc-entertainment/355")),  # "Stars gear up for Bafta ceremony"
    frozenset(("bbc-entertainment/152", "bbc-entertainment/163")),
    frozenset(("bbc-tech/101", "bbc-tech/123")),  # "Bush website blocked outside US" / "Attack prompts Bush site block"
}
LOST_LABELLED_REUTERS = 2  # Westport Bancorp re-ticketed (<WBAT.O> / <WEBAT.O>); a corrected NatWest earnings line


def test_the_defaults_keep_templates_apart_and_find_the_seeds(report: dict) -> None:
    reuters = report["reuters"]
    assert reuters["seeds_found"]
    assert reuters["template_rate"] <= 0.02, reuters["disjoint"]  # issue 11: at most 2% of the ticker pairs
    assert reuters["ticker_pairs"] >= 100  # ... of a count large enough to mean something


def test_the_bbc_pairs_and_the_labelled_pairs_lost_are_only_the_known_ones(report: dict) -> None:
    reference = wire._reference()
    assert reference is not None
    flagged = {frozenset(p) for p in report["bbc"]["flagged"]}
    assert reference - flagged <= LOST_BBC
    assert report["reuters"]["labelled"]["found"] >= 38 - LOST_LABELLED_REUTERS
    assert report["bbc"]["labelled"]["found"] >= 31 - 2  # two of the LOST_BBC pairs are labelled


@pytest.mark.xfail(strict=True, reason="issue 11, item 1: the lead check costs 2 labelled Reuters and 2 BBC pairs")
def test_the_lead_check_costs_no_labelled_pair(report: dict) -> None:
    assert report["reuters"]["labelled"]["found"] >= 38 and report["bbc"]["labelled"]["found"] == 31


def test_updates_named_on_reuters_are_close_in_time_and_name_the_same_tickers(report: dict) -> None:
    """Every update named over all of Reuters is dated within the window of its earlier version, and no two of them
    name disjoint tickers; the table of what was named, read by hand, is in docs/thresholds.md."""
    from datetime import datetime

    import dedup

    window = dedup.DedupConfig().update_window
    docs = {d["id"]: d for d in wire._load(shared_data("reuters21578.jsonl.gz"))}
    updates = report["reuters"]["updates"]
    assert updates, "no update named over all of Reuters-21578"
    for u in updates:
        later, earlier = docs[u["id"]], docs[u["update_of"]]
        times = [datetime.fromisoformat(d["published"]).timestamp() for d in (earlier, later)]
        assert 0 <= times[1] - times[0] <= window
        tickers = wire.tickers(later.get("title")), wire.tickers(earlier.get("title"))
        assert not (tickers[0] and tickers[1]) or tickers[0] & tickers[1]
        assert "figures changed:" in u["reason"]
    assert report["bbc"]["updates"] == []  # undated: never an update
