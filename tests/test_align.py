"""Sentence alignment and word diff: dedup.align."""

from __future__ import annotations

import json
import random
from pathlib import Path

import pytest

from dedup.align import LINKED_KINDS, SCORERS, Alignment, DiffOp, align, word_diff
from dedup.article import Article
from dedup.errors import ConfigError, InputError

SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"
DATA = Path(__file__).resolve().parent.parent.parent / "shared" / "data"

# Ten sentences on unrelated subjects, each with a rewrite that keeps most of its words.
PAIRS = [
    (
        "The central bank raised interest rates by half a point on Thursday.",
        "On Thursday the central bank raised its interest rates by half a percentage point.",
    ),
    (
        "Heavy rain flooded hundreds of homes in the northern province overnight.",
        "Hundreds of homes in the northern province were flooded overnight by heavy rain.",
    ),
    (
        "The company reported a quarterly loss of 40 million dollars.",
        "The firm reported a loss of 40 million dollars for the quarter.",
    ),
    (
        "Police arrested three men after a robbery at a jewellery store.",
        "Three men were arrested by police after a jewellery store robbery.",
    ),
    (
        "The football club sacked its manager after a run of seven defeats.",
        "After seven defeats in a row, the football club sacked its manager.",
    ),
    (
        "Scientists discovered a new species of frog in the rainforest.",
        "A new frog species was discovered by scientists in the rainforest.",
    ),
    (
        "The minister resigned amid allegations of misuse of public funds.",
        "Amid allegations that public funds were misused, the minister resigned.",
    ),
    ("Oil prices fell sharply as demand weakened in Asia.", "Oil prices dropped sharply as Asian demand weakened."),
    (
        "The museum will reopen to visitors next spring after renovation.",
        "After its renovation the museum will reopen to visitors next spring.",
    ),
    (
        "A strike by rail workers disrupted travel across the country.",
        "Travel across the country was disrupted by a rail workers' strike.",
    ),
]
A_SENTENCES = [a for a, _ in PAIRS]
B_SENTENCES = [b for _, b in PAIRS]
UNRELATED = "Tickets for the summer music festival sold out within an hour of going on sale."


def kinds(result: Alignment) -> list[tuple[str, tuple[int, ...], tuple[int, ...]]]:
    return [(link.kind, link.a, link.b) for link in result.links]


def linked(result: Alignment) -> list[tuple[str, tuple[int, ...], tuple[int, ...]]]:
    return [k for k in kinds(result) if k[0] in LINKED_KINDS]


def check_invariants(result: Alignment) -> None:
    """Every sentence of each side appears in exactly one link; scores and coverage in [0, 1]."""
    seen_a = sorted(k for link in result.links for k in link.a)
    seen_b = sorted(k for link in result.links for k in link.b)
    assert seen_a == list(range(len(result.sentences_a)))
    assert seen_b == list(range(len(result.sentences_b)))
    for link in result.links:
        assert 0.0 <= link.score <= 1.0 and isinstance(link.score, float)
        assert (link.kind == "added") == (not link.a) and (link.kind == "dropped") == (not link.b)
    assert 0.0 <= result.coverage_a <= 1.0 and 0.0 <= result.coverage_b <= 1.0
    json.dumps(result.to_dict())


# --- the seeds ---------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def seeds() -> tuple[str, str]:
    return (
        (SEEDS / "reuters_openai_nato.txt").read_text(encoding="utf-8"),
        (SEEDS / "unn_openai_nato.txt").read_text(encoding="utf-8"),
    )


def test_seeds_have_ten_one_to_one_links_in_order(seeds: tuple[str, str]) -> None:
    result = align(*seeds)
    check_invariants(result)
    links = [link for link in result.links if link.kind in LINKED_KINDS]
    assert len(links) == 10
    assert all(link.kind in ("rewritten", "identical") for link in links)
    assert all(len(link.a) == len(link.b) == 1 for link in links)
    pairs = [(link.a[0], link.b[0]) for link in links]
    # by reading the two stories: A's heading (5) and B's heading (1) have no counterpart
    assert pairs == [(0, 0), (1, 2), (2, 3), (3, 4), (4, 5), (6, 6), (7, 7), (8, 8), (9, 9), (10, 10)]
    for link in links:  # and each link is also the best match of its A sentence among all of B
        text_a = result.sentences_a[link.a[0]].text
        best = max(
            range(len(result.sentences_b)), key=lambda j: align(text_a, result.sentences_b[j].text).links[0].score
        )
        assert best == link.b[0]


def test_seed_headings_stay_unmatched(seeds: tuple[str, str]) -> None:
    result = align(*seeds)
    dropped = [result.sentences_a[link.a[0]].text for link in result.links if link.kind == "dropped"]
    added = [result.sentences_b[link.b[0]].text for link in result.links if link.kind == "added"]
    assert dropped == ["Mass surveillance"]
    assert added == ["Details"]
    assert 0.95 < result.coverage_a < 1.0 and 0.95 < result.coverage_b < 1.0


def test_seed_date_prefix_does_not_weaken_the_first_link(seeds: tuple[str, str]) -> None:
    a, b = seeds
    assert a.lstrip().startswith("date 2026-03-04")
    with_prefix = align(a, b).links[0]
    without = align(a.replace("date 2026-03-04 ", "", 1), b).links[0]
    assert with_prefix.a == without.a == (0,) and with_prefix.b == without.b == (0,)
    assert with_prefix.score >= without.score
    glued = align(a.replace(" date 2026-03-04 ", "date 2026-03-04 OpenAI news: ", 1), b).links[0]
    assert glued.score < with_prefix.score  # a prefix that is not metadata does count


def test_seed_first_link_diff_shows_original_words(seeds: tuple[str, str]) -> None:
    first = align(*seeds).links[0]
    assert first.diff[0] == DiffOp(
        "equal", "OpenAI is considering a contract to deploy its", "OpenAI is considering a contract to deploy its"
    )
    assert any(op.op == "replace" and op.a_text == "AI" and op.b_text == "artificial intelligence" for op in first.diff)


# --- built documents ---------------------------------------------------------------------------


def test_identical_documents_give_identical_links() -> None:
    text = " ".join(A_SENTENCES)
    result = align(text, text)
    check_invariants(result)
    assert kinds(result) == [
        (
            "identical",
            (k,),
            (k,),
        )
        for k in range(10)
    ]
    assert all(link.score == 1.0 for link in result.links)
    assert result.coverage_a == result.coverage_b == 1.0


def test_rewrites_are_linked_in_order() -> None:
    result = align(" ".join(A_SENTENCES), " ".join(B_SENTENCES))
    check_invariants(result)
    assert kinds(result) == [("rewritten", (k,), (k,)) for k in range(10)]


def test_unrelated_documents_have_no_links() -> None:
    result = align(" ".join(A_SENTENCES[:5]), " ".join(B_SENTENCES[5:]))
    check_invariants(result)
    assert linked(result) == []
    assert result.coverage_a == result.coverage_b == 0.0


def test_dropped_and_added_sentences() -> None:
    b = B_SENTENCES[:3] + [UNRELATED] + B_SENTENCES[4:]  # sentence 3 dropped, an unrelated one added
    result = align(" ".join(A_SENTENCES), " ".join(b))
    check_invariants(result)
    assert ("dropped", (3,), ()) in kinds(result)
    assert ("added", (), (3,)) in kinds(result)
    assert len(linked(result)) == 9
    assert result.coverage_a < 1.0 and result.coverage_b < 1.0


def test_merge_two_sentences_into_one() -> None:
    merged = B_SENTENCES[4].rstrip(".") + ", and " + B_SENTENCES[5][0].lower() + B_SENTENCES[5][1:]
    b = B_SENTENCES[:4] + [merged] + B_SENTENCES[6:]
    result = align(" ".join(A_SENTENCES), " ".join(b))
    check_invariants(result)
    assert ("merged", (4, 5), (4,)) in kinds(result)
    assert [k for k in kinds(result) if k[0] != "merged"] == [
        ("rewritten", (k,), (k if k < 4 else k - 1,)) for k in range(10) if k not in (4, 5)
    ]


def test_split_one_sentence_into_two() -> None:
    joined = A_SENTENCES[2].rstrip(".") + ", while " + A_SENTENCES[3][0].lower() + A_SENTENCES[3][1:]
    a = A_SENTENCES[:2] + [joined] + A_SENTENCES[4:]
    result = align(" ".join(a), " ".join(B_SENTENCES))
    check_invariants(result)
    assert ("split", (2,), (2, 3)) in kinds(result)
    assert len(linked(result)) == 9


def test_moved_sentence_is_linked_out_of_order() -> None:
    b = B_SENTENCES[:]
    b.insert(0, b.pop(7))
    result = align(" ".join(A_SENTENCES), " ".join(b))
    check_invariants(result)
    assert ("moved", (7,), (0,)) in kinds(result)
    assert len(linked(result)) == 10
    # reading order: a moved sentence stands where it stood in A
    assert [link.a for link in result.links] == [(k,) for k in range(10)]


def test_no_moves_below_move_score() -> None:
    b = B_SENTENCES[:]
    b.insert(0, b.pop(7))
    result = align(" ".join(A_SENTENCES), " ".join(b), move_score=1.0)
    assert ("dropped", (7,), ()) in kinds(result) and ("added", (), (0,)) in kinds(result)


@pytest.mark.parametrize("seed", range(5))
def test_invariants_on_shuffled_documents(seed: int) -> None:
    rng = random.Random(seed)
    b = B_SENTENCES[:] + [UNRELATED]
    rng.shuffle(b)
    a = rng.sample(A_SENTENCES, 7)
    result = align(" ".join(a), "\n\n".join(b))
    check_invariants(result)
    for link in result.links:
        if link.kind in LINKED_KINDS and len(link.a) == len(link.b) == 1:
            assert PAIRS.index((a[link.a[0]], b[link.b[0]])) >= 0  # every 1-to-1 link is a true pair
    assert len(linked(result)) == 7


@pytest.mark.parametrize("a, b", [("", ""), ("", "One sentence."), ("One sentence.", ""), ("  \n", "* * *")])
def test_empty_texts(a: str, b: str) -> None:
    result = align(a, b)
    check_invariants(result)
    assert linked(result) == []
    assert result.coverage_a == result.coverage_b == 0.0


def test_one_sentence_texts() -> None:
    result = align(A_SENTENCES[0], B_SENTENCES[0])
    assert kinds(result) == [("rewritten", (0,), (0,))]
    assert result.coverage_a == result.coverage_b == 1.0


def test_articles_are_accepted() -> None:
    result = align(Article("a", A_SENTENCES[0]), Article("b", A_SENTENCES[0]))
    assert kinds(result) == [("identical", (0,), (0,))]


@pytest.mark.parametrize("scorer", SCORERS)
def test_every_scorer_aligns_rewrites(scorer: str) -> None:
    result = align(" ".join(A_SENTENCES[:4]), " ".join(B_SENTENCES[:4]), scorer=scorer, min_score=0.4)
    check_invariants(result)
    assert [(link.a, link.b) for link in result.links] == [((k,), (k,)) for k in range(4)]


def test_bad_arguments() -> None:
    with pytest.raises(InputError, match="decode it first"):
        align(b"bytes", "text")  # type: ignore[arg-type]
    with pytest.raises(InputError, match="must be a str or an Article"):
        align("text", 3)  # type: ignore[arg-type]
    with pytest.raises(ConfigError, match=r"min_score must be in \[0, 1\]; got 50 \(similarities are fractions"):
        align("a", "b", min_score=50)
    with pytest.raises(ConfigError, match="unknown scorer 'cosine'"):
        align("a", "b", scorer="cosine")


def test_to_dict_has_the_documented_keys() -> None:
    data = align("It rained. Then it stopped.", "It rained. It stopped then.").to_dict()
    assert set(data) == {"sentences_a", "sentences_b", "links", "coverage_a", "coverage_b", "figures_changed"}
    assert data["figures_changed"] == {"a": [], "b": []}
    assert data["sentences_a"][0] == {"text": "It rained.", "start": 0, "end": 10}
    assert set(data["links"][0]) == {"a", "b", "kind", "score", "diff"}
    assert data["links"][0]["diff"] == [{"op": "equal", "a": "It rained.", "b": "It rained."}]


def test_diff_false_leaves_diffs_empty() -> None:
    result = align(" ".join(A_SENTENCES), " ".join(B_SENTENCES), diff=False)
    assert all(link.diff == () for link in result.links)
    assert kinds(result) == kinds(align(" ".join(A_SENTENCES), " ".join(B_SENTENCES)))


# --- word diff ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "a, b",
    [
        ("The Deal was SIGNED.", "the deal was signed"),
        ("He said \u201cno\u201d to the \u2018plan\u2019.", "He said \"no\" to the 'plan'."),
        ("Too   many\tspaces\nhere.", "Too many spaces here."),
        ("NATO's 32-member alliance", "NATO\u2019s 32\u2013member alliance"),
        ("The U.S. economy", "the US economy"),
    ],
    ids=["case", "curly-quotes", "spacing", "apostrophe-dash", "dotted-abbreviation"],
)
def test_case_quotes_and_spacing_are_not_changes(a: str, b: str) -> None:
    ops = word_diff(a, b)
    assert [op.op for op in ops] == ["equal"]
    assert ops[0].a_text == " ".join(a.split()) and ops[0].b_text == " ".join(b.split())


def test_word_diff_ops() -> None:
    ops = word_diff("A B C D", "A X C D E")
    assert [(op.op, op.a_text, op.b_text) for op in ops] == [
        ("equal", "A", "A"),
        ("replace", "B", "X"),
        ("equal", "C D", "C D"),
        ("insert", "", "E"),
    ]
    assert word_diff("one two", "two") == (DiffOp("delete", "one", ""), DiffOp("equal", "two", "two"))
    assert word_diff("", "") == ()


def test_word_diff_rebuilds_each_side() -> None:
    rng = random.Random(7)
    words = ["the", "a", "bank", "rates", "rose", "fell", "on", "Monday", "Tuesday"]
    for _ in range(50):
        a = " ".join(rng.choices(words, k=rng.randrange(0, 9)))
        b = " ".join(rng.choices(words, k=rng.randrange(0, 9)))
        ops = word_diff(a, b)
        assert " ".join(op.a_text for op in ops if op.a_text) == a
        assert " ".join(op.b_text for op in ops if op.b_text) == b
        assert all(op.a_text.lower() == op.b_text.lower() for op in ops if op.op == "equal")


# --- real paraphrases (research data, read in place) -------------------------------------------


def test_msrp_paraphrase_documents_align() -> None:
    path = DATA / "msrp_train.jsonl"
    if not path.exists():
        pytest.skip(f"research data not present: {path} (see ../shared/data/README.md)")
    with path.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for _, line in zip(range(400), fh)]
    pairs = [(r["a"], r["b"]) for r in rows if r["label"] == 1][:40]
    a = "\n\n".join(x for x, _ in pairs)
    b = "\n\n".join(y for _, y in pairs)
    result = align(a, b, diff=False)
    one_to_one = [(link.a, link.b) for link in result.links if link.kind in ("rewritten", "identical")]
    correct = sum(la == lb for la, lb in one_to_one)
    assert correct >= 0.9 * len(result.sentences_a)
    assert correct >= 0.95 * len(one_to_one)


def test_bench_align_smoke(tmp_path, capsys) -> None:
    import importlib.util

    spec = importlib.util.spec_from_file_location(
        "bench_align", Path(__file__).parent.parent / "benchmarks" / "bench_align.py"
    )
    bench = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(bench)
    out = tmp_path / "bench.json"
    assert bench.main(["--n-pairs", "3", "--repeat", "1", "--sentences", "8", "--json", str(out)]) == 0
    data = json.loads(out.read_text())
    assert data["pairs"] == 3 and data["diff=True"]["median_ms"] > 0
    assert "median" in capsys.readouterr().out


def _long_pair(n: int, seed: int = 5) -> tuple[str, str]:
    """A text of ``n`` distinct sentences and a rewrite of it: some reworded, some dropped, some added."""
    import random

    rng = random.Random(seed)
    words = [
        "council",
        "budget",
        "river",
        "minister",
        "harbour",
        "school",
        "rates",
        "bridge",
        "court",
        "market",
        "police",
        "museum",
        "energy",
        "wheat",
        "airport",
        "union",
        "hospital",
        "station",
        "forest",
        "election",
    ]
    sentences = [
        f"Item {k}: the {rng.choice(words)} and the {rng.choice(words)} were discussed by {k % 97} members "
        f"on day {k % 31}."
        for k in range(n)
    ]
    b = list(sentences)
    for k in range(3, n, max(n // 6, 1)):
        b[k] = b[k].replace("were discussed by", "came up before")  # reworded
    for k in sorted(range(7, n, max(n // 4, 1)), reverse=True):
        del b[k]  # dropped
    b.insert(n // 2, "A sentence that only the rewrite has, about something else entirely.")
    return " ".join(sentences), " ".join(b)


def test_long_texts_are_aligned_between_shared_sentences_with_the_links_of_the_full_alignment(monkeypatch):
    """The slow reference: with the cap lowered, the anchored alignment of a 300-sentence rewrite has the links
    of the full cell-by-cell alignment."""
    import sys

    align_module = sys.modules["dedup.align"]  # (dedup.align is also the function)

    a, b = _long_pair(300)
    full = align(a, b, diff=False)
    monkeypatch.setattr(align_module, "MAX_CELLS", 2_000)  # 300 x 296 cells: far above, so anchors cut it
    cut = align(a, b, diff=False)
    assert [(link.a, link.b, link.kind) for link in cut.links] == [(link.a, link.b, link.kind) for link in full.links]
    assert cut.coverage_a == full.coverage_a and cut.coverage_b == full.coverage_b
    assert {link.kind for link in full.links} >= {"identical", "rewritten", "dropped", "added"}


def test_aligning_two_huge_texts_has_a_bounded_cost():
    """Two versions of a 10,000-sentence text: the cells scored stay under MAX_CELLS per stretch, not 10^8."""
    import tracemalloc

    a, b = _long_pair(10_000)
    tracemalloc.start()
    result = align(a, b, diff=False)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    assert peak < 400 * 2**20, peak  # the full matrices would be some 3 GB
    assert len(result.sentences_a) == 10_000 and result.coverage_a > 0.99


@pytest.mark.parametrize(
    "a, b, changed",
    [
        ("北京今天下雨了。明天会晴天。", "北京今天下大雨了。明天会晴天。", ("", "大")),  # Chinese
        ("東京で地震があった。", "東京で大きな地震があった。", ("", "大きな")),  # Japanese
        ("苹果公司 iPhone 发布会", "苹果公司 iPad 发布会", ("iPhone", "iPad")),  # mixed, spaces kept as written
    ],
)
def test_word_diff_of_chinese_and_japanese_goes_by_character(a: str, b: str, changed: tuple[str, str]) -> None:
    ops = word_diff(a, b)
    assert [(op.a_text, op.b_text) for op in ops if op.op != "equal"] == [changed]
    assert "".join(op.a_text for op in ops).replace(" ", "") == a.replace(" ", "")  # every character, once
    assert "".join(op.b_text for op in ops).replace(" ", "") == b.replace(" ", "")
