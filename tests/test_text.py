import pytest

from dedup import normalize, tokenize


@pytest.mark.parametrize(
    "a, b",
    [
        ("\u201cUnclassified networks\u201d", '"unclassified networks"'),
        ("Altman\u2019s deal", "altman's deal"),
        ("a \u2014 b \u2013 c", "a - b - c"),
        ("  many\t\n spaces  ", "many spaces"),
        ("\uff21\uff29 \ufb01le", "ai file"),  # NFKC: full-width letters, ligature
        ("STRASSE", "strasse"),
        ("Stra\u00dfe", "strasse"),  # case folding, not lower()
        ("U.S. President", "us president"),
    ],
    ids=["curly-double", "curly-apostrophe", "dashes", "whitespace", "nfkc", "upper", "casefold", "dotted-abbreviation"],
)
def test_normalize(a, b):
    assert normalize(a) == b


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("NATO, a 32-member military alliance.", ["nato", "a", "32", "member", "military", "alliance"]),
        ("Shares rose 5.93 pct to 155,221 at 10:30", ["shares", "rose", "5.93", "pct", "to", "155,221", "at", "10:30"]),
        ("the company's opposition, don't", ["the", "company", "opposition", "don't"]),
        ("Президент США заявил", ["президент", "сша", "заявил"]),
        ("Η Αθήνα είναι", ["η", "αθήνα", "είναι"]),
        ("قال المتحدث باسم", ["قال", "المتحدث", "باسم"]),
        ("北约网络", ["北", "约", "网", "络"]),
        ("東京でAI会議", ["東", "京", "で", "ai", "会", "議"]),
        ("", []),
    ],
    ids=["latin", "numbers", "apostrophes", "cyrillic", "greek", "arabic", "chinese", "japanese-mixed", "empty"],
)
def test_tokenize_any_script(text, tokens):
    assert tokenize(text) == tokens


def test_tokenize_ignores_case_quotes_and_spacing():
    assert tokenize("\u201cShall NOT\u201d  be used") == tokenize('"shall not" be used')


def _reference_tokens(text):
    """The general (any script) path, without the ASCII fast path."""
    import unicodedata

    from dedup import text as t

    folded = unicodedata.normalize("NFKC", text).casefold().translate(t._FOLD)
    return [token.replace(".", "") if "." in token and not token[0].isdigit() else token
            for token in t._TOKEN_RE.findall(folded)]


@pytest.mark.parametrize("seed", range(20))
def test_ascii_fast_path_equals_the_general_path(seed):
    import random

    pieces = ["U.S.", "a.m.", "No. 10", "NATO's", "it's", "don't", "5.93", "155,221", "10:30", "1st", "x_y",
              "ChatGPT-owner", "`quoted'", "e.g.", "A.B.C", "5a.b.", "Mr.", "end.The", "'s", "rock'n'roll", "S.",
              "(NSA).", "--", "...", "3/4", "q1", "O'Neil's"]
    rng = random.Random(seed)
    text = "".join(rng.choice(pieces) + rng.choice([" ", "", "\n", ", ", "."]) for _ in range(40))
    assert text.isascii()
    assert tokenize(text) == _reference_tokens(text)
