"""Updates: the same report published again soon after with its figures changed is named, not merged or dropped."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest

import dedup
from dedup import find_duplicates, open_index
from dedup.cli import main
from dedup.shingles import ShingleBatch
from dedup.updates import changed_figures, names_agree, rare_cut

FLOOD = (
    "Floods in the Kenyan capital Nairobi have killed {dead} people, the Kenya Red Cross said on {day}, as heavy "
    "rains swept away homes in the Mathare and Kibera settlements. Rescue teams led by Governor Johnson Sakaja "
    "searched for {missing} missing residents along the Nairobi River, and {camps} camps were opened for families."
)
PAYOUT = (
    "{fund} said its board declared a monthly dividend of {cents} cents a share, payable on April {paid} to "
    "holders of record on March {record}. The fund, managed by {manager} of {city}, invests in municipal bonds."
)
OTHER = "Heavy rain flooded the old town of Elmsford overnight and the fire service pumped out forty cellars."


def flood_feed() -> list[dict[str, object]]:
    """A story, a copy of it, its update six hours later, and an unrelated item."""
    return [
        {
            "id": "first",
            "text": FLOOD.format(dead=9, day="Monday", missing=20, camps=3),
            "published": "2026-05-04T08:00:00Z",
        },
        {
            "id": "copy",
            "text": FLOOD.format(dead=9, day="Monday", missing=20, camps=3),
            "published": "2026-05-04T08:40:00Z",
        },
        {"id": "other", "text": OTHER, "published": "2026-05-04T09:00:00Z"},
        {
            "id": "later",
            "text": FLOOD.format(dead=12, day="Monday", missing=15, camps=3),
            "published": "2026-05-04T14:00:00Z",
        },
    ]


def by_id(result: dedup.DedupResult) -> dict[str, dedup.Verdict]:
    return {v.id: v for v in result.verdicts}  # type: ignore[misc]


def test_an_update_is_named_with_its_changed_figures() -> None:
    result = find_duplicates(flood_feed())
    v = by_id(result)
    assert v["later"].status == "update" and v["later"].update_of == "first"
    assert "figures changed: 9, 20 -> 12, 15" in v["later"].reason
    assert v["first"].updated_by == "later" and v["first"].status == "representative"
    assert v["copy"].status == "duplicate" and v["copy"].duplicate_of == "first"
    assert v["other"].status == "unique"
    assert result.kept == ["other", "later"]  # the latest version, by default
    assert result.updates == ["later"]
    kinds = {(p.a, p.b): p.kind for p in result.pairs}
    assert kinds[("first", "later")] == "update" and kinds[("first", "copy")] == "duplicate"
    assert result.stats["updates"] == 1


@pytest.mark.parametrize(
    ("keep_version", "kept"), [("first", ["first", "other"]), ("all", ["first", "other", "later"])]
)
def test_keep_version_says_which_version_is_kept(keep_version: str, kept: list[str]) -> None:
    assert find_duplicates(flood_feed(), keep_version=keep_version).kept == kept


def test_no_update_without_dates_beyond_the_window_or_when_turned_off() -> None:
    undated = [{k: v for k, v in a.items() if k != "published"} for a in flood_feed()]
    assert by_id(find_duplicates(undated))["later"].status == "unique"
    next_day = flood_feed()
    next_day[3]["published"] = "2026-05-05T14:00:00Z"  # a day later: a recurring report, not a re-send
    assert by_id(find_duplicates(next_day))["later"].status == "unique"
    assert by_id(find_duplicates(next_day, update_window="2d"))["later"].status == "update"
    assert by_id(find_duplicates(flood_feed(), update_window=0))["later"].status == "unique"


def test_templates_of_different_funds_published_together_are_not_updates() -> None:
    feed = [
        {
            "id": f"fund-{k}",
            "text": PAYOUT.format(fund=fund, cents=cents, paid=k + 1, record=k + 10, manager=manager, city=city),
            "published": "2026-03-02T15:00:00Z",
        }
        for k, (fund, cents, manager, city) in enumerate(
            [
                ("Harbor Ohio Tax-Free Fund", 5.8, "Harbor Advisers", "Columbus"),
                ("Harbor California Tax-Free Fund", 7.3, "Harbor Advisers", "Sacramento"),
            ]
        )
    ]
    result = find_duplicates(feed)
    assert [v.status for v in result.verdicts] == ["unique", "unique"]
    assert result.kept == ["fund-0", "fund-1"]


def test_the_index_and_the_stream_name_the_update(tmp_path) -> None:  # type: ignore[no-untyped-def]
    batch = by_id(find_duplicates(flood_feed(), index=tmp_path / "batch.db"))
    assert (batch["later"].status, batch["later"].update_of) == ("update", "first")
    with open_index(tmp_path / "stream.db") as index:
        verdicts = [index.add_many([a]).verdicts[0] for a in flood_feed()]
    later = verdicts[3]
    assert (later.status, later.update_of) == ("update", "first")
    assert "figures changed: 9, 20 -> 12, 15" in later.reason  # the stored text of "first" read back


def test_dedup_find_names_updates_and_keeps_the_latest(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(a) + "\n" for a in flood_feed()), encoding="utf-8")
    assert main(["find", str(feed)]) == 0
    out, err = capsys.readouterr()
    verdicts = {v["id"]: v for v in map(json.loads, out.splitlines())}
    assert verdicts["later"]["status"] == "update" and verdicts["later"]["update_of"] == "first"
    assert "figures changed: 9, 20 -> 12, 15" in verdicts["later"]["reason"]  # the inputs read again for them
    assert verdicts["first"]["updated_by"] == "later"
    assert "1 updates" in err
    assert main(["find", str(feed), "--emit", "kept", "-q"]) == 0
    assert [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()] == ["other", "later"]
    assert main(["find", str(feed), "--emit", "kept", "--keep-version", "first", "-q"]) == 0
    assert [json.loads(line)["id"] for line in capsys.readouterr().out.splitlines()] == ["first", "other"]
    assert main(["find", str(feed), "--update-window", "0", "-q"]) == 0
    assert "update" not in {json.loads(line)["status"] for line in capsys.readouterr().out.splitlines()}
    with pytest.raises(SystemExit):
        main(["find", str(feed), "--update-window", "soon"])
    assert "--update-window" in capsys.readouterr().err


def test_dedup_diff_names_the_changed_figures(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    a, b = tmp_path / "a.txt", tmp_path / "b.txt"
    a.write_text(FLOOD.format(dead=9, day="Monday", missing=20, camps=3), encoding="utf-8")
    b.write_text(FLOOD.format(dead=12, day="Monday", missing=15, camps=3), encoding="utf-8")
    assert main(["diff", str(a), str(b), "--color", "never"]) == 0
    out = capsys.readouterr().out
    assert "figures changed: 9, 20 -> 12, 15" in out.splitlines()[0]
    assert "[-9-] {+12+}" in out
    assert main(["diff", str(a), str(b), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["figures_changed"] == {"a": ["9", "20"], "b": ["12", "15"]}


def test_changed_figures_ignore_how_thousands_are_written() -> None:
    assert changed_figures("2,500 tonnes on 17.4.2026", "2500 tonnes on 17.4.2026") == ([], [])
    assert changed_figures("rose 5 to 12", "rose 5 to 14 and 2") == (["12"], ["14", "2"])


def _names_agree_reference(terms, df, pairs, look, rare):  # type: ignore[no-untyped-def]
    """Pair by pair: each side's first `look` terms with df <= rare all among the other's terms."""
    docs = [terms.hashes[terms.offsets[d] : terms.offsets[d + 1]].tolist() for d in range(len(terms))]
    dfs = [df[terms.offsets[d] : terms.offsets[d + 1]].tolist() for d in range(len(terms))]

    def inside(i: int, j: int) -> bool:
        return all(t in set(docs[j]) for t, f in zip(docs[i][:look], dfs[i][:look]) if f <= rare)

    return np.array([inside(i, j) and inside(j, i) for i, j in pairs.tolist()], bool)


@pytest.mark.parametrize("seed", range(4))
def test_names_agree_as_the_reference(seed: int) -> None:
    rng = np.random.default_rng(seed)
    n = 40
    sizes = rng.integers(0, 30, n)
    hashes = np.concatenate([rng.choice(60, size=s, replace=False) for s in sizes]).astype(np.uint32)
    offsets = np.concatenate(([0], np.cumsum(sizes))).astype(np.int64)
    terms = ShingleBatch(hashes, offsets)
    df = rng.integers(1, 50, hashes.shape[0])
    pairs = rng.integers(0, n, (300, 2))
    for look, rare in ((20, 10.0), (5, 30.0), (20, math.inf)):
        got = names_agree(terms, df, pairs, look=look, rare=rare)
        assert got.tolist() == _names_agree_reference(terms, df, pairs, look, rare).tolist()
        assert got.any() or rare < math.inf


def test_rare_cut_counts_every_word_in_a_small_batch() -> None:
    assert rare_cut(10, min_docs=1000) == math.inf
    assert rare_cut(20_000, min_docs=1000) == 20_000 * dedup.updates.RARE_SHARE


def test_dedup_stream_answers_update(tmp_path) -> None:  # type: ignore[no-untyped-def]
    import subprocess
    import sys

    lines = "".join(json.dumps(a) + "\n" for a in flood_feed())
    done = subprocess.run(
        [sys.executable, "-m", "dedup", "stream", "--index", str(tmp_path / "live.db")],
        input=lines,
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    verdicts = [json.loads(line) for line in done.stdout.splitlines()]
    assert [v["status"] for v in verdicts] == ["unique", "duplicate", "unique", "update"]
    assert verdicts[3]["update_of"] == "first" and "figures changed: 9, 20 -> 12, 15" in verdicts[3]["reason"]
    assert "1 updates" in done.stderr.splitlines()[-1]


def test_a_shared_redis_index_names_the_update_as_sqlite_does(tmp_path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("redis")
    from ._redis_server import redis_server

    (tmp_path / "redis").mkdir()
    with redis_server(tmp_path / "redis") as url:
        for clustering in ("stream", "batch"):
            with open_index(url, name=f"live-{clustering}") as index:
                got = [index.add_many([a], clustering=clustering).verdicts[0] for a in flood_feed()]
            with open_index(tmp_path / f"{clustering}.db") as index:
                want = [index.add_many([a], clustering=clustering).verdicts[0] for a in flood_feed()]
            assert [v.to_dict() for v in got] == [v.to_dict() for v in want]
            assert (got[3].status, got[3].update_of) == ("update", "first")
            assert "figures changed: 9, 20 -> 12, 15" in got[3].reason


def test_without_stored_texts_the_update_is_named_without_its_figures(tmp_path) -> None:  # type: ignore[no-untyped-def]
    with open_index(tmp_path / "bare.db", keep_texts=False) as index:
        verdicts = [index.add_many([a]).verdicts[0] for a in flood_feed()]
    assert (verdicts[3].status, verdicts[3].update_of) == ("update", "first")
    assert verdicts[3].reason.endswith("the same report, its figures changed")


def test_query_and_add_return_near_duplicates_only(tmp_path) -> None:  # type: ignore[no-untyped-def]
    feed = flood_feed()
    with open_index(tmp_path / "q.db") as index:
        index.add_many(feed[:3])
        assert [(p.a, p.kind) for p in index.query(feed[3])] == []  # "later" is an update, not a near-duplicate
        added = index.add_many([feed[3]])
        assert {p.kind for p in added.pairs} == {"update"}  # the batch's pairs hold both kinds
        copy = {**feed[1], "id": "copy-2"}
        got = index.add(copy)
        assert {p.kind for p in got} == {"duplicate"} and ("first", "copy-2") in {(p.a, p.b) for p in got}


def test_an_index_run_in_many_batches_links_the_versions_as_one_batch(tmp_path) -> None:  # type: ignore[no-untyped-def]
    from dedup.stream import find_in_index

    whole = find_duplicates(flood_feed())
    split = find_in_index(flood_feed(), whole.config, index=tmp_path / "split.db", window=None, batch_size=1)
    assert by_id(split)["first"].updated_by == "later"
    assert split.kept == whole.kept == ["other", "later"]
    assert split.stats["updates"] == whole.stats["updates"] == 1


def test_a_duplicate_stands_for_its_representative() -> None:
    flash = "URGENT Floods in the Kenyan capital Nairobi have killed 9 people, the Kenya Red Cross said on Monday."
    first, _, _, later = flood_feed()
    story = {**first, "id": "story", "published": "2026-05-04T08:20:00Z"}
    feed = [{"id": "flash", "text": flash, "published": "2026-05-04T08:00:00Z"}, story, {**later, "id": "v2"}]
    v = by_id(find_duplicates(feed))
    assert (v["story"].status, v["story"].duplicate_of) == ("duplicate", "flash")  # the story is the flash's copy
    assert (v["v2"].status, v["v2"].update_of, v["flash"].updated_by) == ("update", "flash", "v2")


def test_update_pairs_from_the_cli_name_their_figures(tmp_path, capsys) -> None:  # type: ignore[no-untyped-def]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(a) + "\n" for a in flood_feed()), encoding="utf-8")
    assert main(["find", str(feed), "--pairs", "--no-coverage", "-q"]) == 0
    pairs = {(p["a"], p["b"]): p for p in map(json.loads, capsys.readouterr().out.splitlines())}
    assert pairs[("first", "later")]["kind"] == "update"
    assert pairs[("first", "later")]["reason"].endswith("figures changed: 9, 20 -> 12, 15")


def test_compare_finds_a_paraphrase_below_the_threshold() -> None:
    articles = {a.id: a for a in dedup.load_articles("examples/news_feed.jsonl")}
    c = dedup.compare(articles["coastline-port-strike"], articles["bayside-port-strike"])
    assert c.score < 0.35 and c.is_duplicate and c.reason.startswith("near-duplicate (a paraphrase)")


def test_the_update_cost_benchmark_runs() -> None:
    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "benchmarks"))
    import measure_update_cost

    rows = measure_update_cost.measure(200)
    assert len(rows) == 8 and all(r["updates"] == 0 for r in rows)  # templates of different companies: none
    assert len({r["candidates"] for r in rows}) == 1  # the same candidates whatever the window
