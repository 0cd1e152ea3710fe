"""Sentence splitting: dedup.text.split_sentences and metadata_prefix."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest

from dedup.text import Sentence, metadata_prefix, split_sentences

SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"


def texts(text: str) -> list[str]:
    return [s.text for s in split_sentences(text)]


CASES = [
    pytest.param(
        "U.S. President Donald Trump spoke. He left.",
        ["U.S. President Donald Trump spoke.", "He left."],
        id="us-president",
    ),
    pytest.param(
        "Sales rose in the U.S. The company said so.",
        ["Sales rose in the U.S.", "The company said so."],
        id="us-at-sentence-end",
    ),
    pytest.param(
        "He lives at No. 10 Downing Street. No. 2 is empty.",
        ["He lives at No. 10 Downing Street.", "No. 2 is empty."],
        id="no-10",
    ),
    pytest.param(
        "Apple Inc. Chief Executive Tim Cook spoke. Shares of Microsoft Corp. rose. Shares of Apple Inc. The stock fell.",
        [
            "Apple Inc. Chief Executive Tim Cook spoke.",
            "Shares of Microsoft Corp. rose.",
            "Shares of Apple Inc.",
            "The stock fell.",
        ],
        id="inc-corp",
    ),
    pytest.param(
        "Gov. Gavin Newsom met Sen. Alex Padilla. Mr. Smith and Dr. Jones agreed.",
        ["Gov. Gavin Newsom met Sen. Alex Padilla.", "Mr. Smith and Dr. Jones agreed."],
        id="titles",
    ),
    pytest.param(
        "The vote starts at 10 a.m. on Tuesday and ends at 4 p.m. EST on Wednesday. It was delayed.",
        ["The vote starts at 10 a.m. on Tuesday and ends at 4 p.m. EST on Wednesday.", "It was delayed."],
        id="am-pm-mid-sentence",
    ),
    pytest.param(
        "The meeting ended at 11 a.m. The talks resume Friday.",
        ["The meeting ended at 11 a.m.", "The talks resume Friday."],
        id="am-at-sentence-end",
    ),
    pytest.param(
        "J. R. R. Tolkien wrote it. George W. Bush read it.",
        ["J. R. R. Tolkien wrote it.", "George W. Bush read it."],
        id="initials",
    ),
    pytest.param(
        "The total was 5.93 mln bags. It rose 0.5 pct.",
        ["The total was 5.93 mln bags.", "It rose 0.5 pct."],
        id="decimals",
    ),
    pytest.param(
        'She said \u201cwe will win.\u201d Then she left. He asked "why?" Nobody knew. "It\'s over." He went.',
        [
            "She said \u201cwe will win.\u201d",
            "Then she left.",
            'He asked "why?"',
            "Nobody knew.",
            '"It\'s over."',
            "He went.",
        ],
        id="closing-quotes",
    ),
    pytest.param(
        '"Really?" she asked. Yes.',
        ['"Really?" she asked.', "Yes."],
        id="quote-question-mid-sentence",
    ),
    pytest.param(
        "Mass surveillance\n\nAnthropic's removal followed a standoff.",
        ["Mass surveillance", "Anthropic's removal followed a standoff."],
        id="heading-paragraph",
    ),
    pytest.param(
        "It ended.\nMass surveillance\nAnthropic's removal followed a standoff.",
        ["It ended.", "Mass surveillance", "Anthropic's removal followed a standoff."],
        id="heading-line",
    ),
    pytest.param(
        "The first part has no full stop\n\nand the second continues",
        ["The first part has no full stop", "and the second continues"],
        id="paragraph-break-always-ends",
    ),
    pytest.param(
        "BAHIA COCOA REVIEW\n\nShowers continued throughout the week in\nthe Bahia cocoa zone, alleviating the "
        "drought since early\nJanuary and improving prospects for the coming temporao,\nalthough normal humidity "
        "levels have not been restored.\n    The dry period means the temporao will be late this year.",
        [
            "BAHIA COCOA REVIEW",
            (
                "Showers continued throughout the week in\nthe Bahia cocoa zone, alleviating the drought since early\n"
                "January and improving prospects for the coming temporao,\nalthough normal humidity levels have not been "
                "restored."
            ),
            "The dry period means the temporao will be late this year.",
        ],
        id="hard-wrapped-wire-copy",
    ),
    pytest.param(
        "OpenAI考虑与北约签约。消息人士说！真的吗？是的",
        ["OpenAI考虑与北约签约。", "消息人士说！", "真的吗？", "是的"],
        id="chinese",
    ),
    pytest.param("東京は晴れです。「明日は雨」。", ["東京は晴れです。", "「明日は雨」。"], id="japanese"),
    pytest.param("هل ستوقع الشركة؟ نعم، قال المتحدث.", ["هل ستوقع الشركة؟", "نعم، قال المتحدث."], id="arabic"),
    pytest.param(
        "Τι ώρα είναι; Είναι δέκα. Fish; chips.",
        ["Τι ώρα είναι;", "Είναι δέκα.", "Fish; chips."],
        id="greek-question-mark",
    ),
    pytest.param("Wait... What happened?! Nothing.", ["Wait...", "What happened?!", "Nothing."], id="ellipsis"),
    pytest.param(
        "mexico wishes safety. spain holds the presidency.",
        ["mexico wishes safety.", "spain holds the presidency."],
        id="all-lowercase-text",
    ),
    pytest.param("First.\n\n* * *\n\nSecond.", ["First.", "Second."], id="separator-dropped"),
]


@pytest.mark.parametrize("text, expected", CASES)
def test_split_sentences(text: str, expected: list[str]) -> None:
    assert texts(text) == expected


@pytest.mark.parametrize("text, expected", CASES)
def test_offsets_point_into_the_original(text: str, expected: list[str]) -> None:
    sentences = split_sentences(text)
    for sentence in sentences:
        assert text[sentence.start : sentence.end] == sentence.text == sentence.text.strip()
    starts = [s.start for s in sentences]
    assert starts == sorted(starts)
    assert all(a.end <= b.start for a, b in itertools.pairwise(sentences))


@pytest.mark.parametrize("text", ["", "   \n\n  ", "* * *"])
def test_empty_text_has_no_sentences(text: str) -> None:
    assert split_sentences(text) == []


def test_one_sentence_without_final_punctuation() -> None:
    assert split_sentences("  just one line ") == [Sentence("just one line", 2, 15)]


def test_rejects_bytes() -> None:
    with pytest.raises(TypeError, match=r"split_sentences\(\): text must be a str; got bytes: decode it first"):
        split_sentences(b"bytes")  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "prefix",
    [
        "date 2026-03-04 ",
        " date 2026-03-04 ",
        "published: 2026-03-04T09:30:00Z ",
        "2026-03-04 ",
        "url https://example.com/a lang: en ",
    ],
)
def test_metadata_prefix_is_kept_out_of_the_first_sentence(prefix: str) -> None:
    text = prefix + "OpenAI is considering a contract. It said so."
    assert texts(text) == ["OpenAI is considering a contract.", "It said so."]
    meta = metadata_prefix(text)
    assert meta is not None and meta.text == prefix.strip() == text[meta.start : meta.end]


@pytest.mark.parametrize("text", ["Dates 2026 were set. It said.", "The date 2026-03-04 was set."])
def test_ordinary_text_has_no_metadata_prefix(text: str) -> None:
    assert metadata_prefix(text) is None
    assert texts(text)[0].startswith(text[:10])


def test_seed_reuters_story() -> None:
    text = (SEEDS / "reuters_openai_nato.txt").read_text(encoding="utf-8")
    sentences = texts(text)
    assert len(sentences) == 11
    assert sentences[0].startswith("OpenAI is considering")
    assert sentences[5] == "Mass surveillance"
    assert sentences[2].endswith('"unclassified networks."')
    assert any("U.S. President Donald Trump" in s for s in sentences)


GERMAN = [
    (
        "Die Sitzung findet am 17. April in Berlin statt. Danach folgt die Abstimmung.",
        ["Die Sitzung findet am 17. April in Berlin statt.", "Danach folgt die Abstimmung."],
    ),
    (
        "Es gibt viele Optionen, z. B. Wind und Sonne. Das ist gut.",
        ["Es gibt viele Optionen, z. B. Wind und Sonne.", "Das ist gut."],
    ),
    (
        "Er wohnt in der Hauptstraße Nr. 5 in Köln. Sie nicht.",
        ["Er wohnt in der Hauptstraße Nr. 5 in Köln.", "Sie nicht."],
    ),
    (
        "Der 2. Weltkrieg endete 1945. Danach kam der Wiederaufbau.",
        ["Der 2. Weltkrieg endete 1945.", "Danach kam der Wiederaufbau."],
    ),
    ("Die Firma (u. a. Siemens) wächst. Das ist neu.", ["Die Firma (u. a. Siemens) wächst.", "Das ist neu."]),
    ("Das kostet 5 Mio. Euro, d. h. wenig. Gut so.", ["Das kostet 5 Mio. Euro, d. h. wenig.", "Gut so."]),
    ("Zum 5. Mal gewann er, bzw. sie. Sie verlor.", ["Zum 5. Mal gewann er, bzw. sie.", "Sie verlor."]),
]
# ... while an English number at the end of a sentence still ends it.
ENGLISH_NUMBERS = [
    ("He finished in the top 10. The rest followed.", ["He finished in the top 10.", "The rest followed."]),
    ("The vote was 52 to 3. Then it ended.", ["The vote was 52 to 3.", "Then it ended."]),
]


@pytest.mark.parametrize("text, expected", GERMAN + ENGLISH_NUMBERS)
def test_german_ordinals_and_abbreviations_do_not_end_a_sentence(text: str, expected: list[str]) -> None:
    assert [s.text for s in split_sentences(text)] == expected
