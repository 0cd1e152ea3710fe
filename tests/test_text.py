import pytest

from dedup import normalize, tokenize
from dedup.text import ALNUM, CJK, DECIMAL, SPACE, WORD_CHAR, char_class, fold, token_matches


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
    ids=[
        "curly-double",
        "curly-apostrophe",
        "dashes",
        "whitespace",
        "nfkc",
        "upper",
        "casefold",
        "dotted-abbreviation",
    ],
)
def test_normalize(a, b):
    assert normalize(a) == b


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("NATO, a 32-member military alliance.", ["nato", "a", "32", "member", "military", "alliance"]),
        ("Shares rose 5.93 pct to 155,221 at 10:30", ["shares", "rose", "5.93", "pct", "to", "155221", "at", "10:30"]),
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


@pytest.mark.parametrize(
    "a, b",
    [
        ("340MW of capacity", "340 MW of capacity"),
        ("\u20ac17m deal", "\u20ac17 million deal"),
        ("$12.4bln", "12.4 billion"),
        ("5.93 mln dlrs", "5.93 million dlrs"),
        ("2 bn and 3 tn", "2 billion and 3 trillion"),
        ("2,500 tonnes", "2500 tonnes"),
        ("1,234,567", "1234567"),
        ("\u0130stanbul", "istanbul"),
        ("ISTANBUL", "\u0131stanbul"),
        ("\u0645\u064f\u062d\u064e\u0645\u0651\u064e\u062f", "\u0645\u062d\u0645\u062f"),  # harakat
        ("\u0645\u0640\u062d\u0640\u0645\u062f", "\u0645\u062d\u0645\u062f"),  # tatweel
        ("U\uff0eS\uff0e", "U.S."),  # full-width full stops fold to ASCII under NFKC
    ],
    ids=[
        "glued-unit",
        "glued-m",
        "glued-bln",
        "mln",
        "bn-tn",
        "thousands",
        "thousands-twice",
        "turkish-dotted-I",
        "turkish-dotless-i",
        "arabic-harakat",
        "arabic-tatweel",
        "fullwidth-dots",
    ],
)
def test_spellings_of_the_same_tokens(a, b):
    assert tokenize(a) == tokenize(b)


@pytest.mark.parametrize(
    "text, tokens",
    [
        ("340MW", ["340", "mw"]),
        ("$12.4bln", ["12.4", "billion"]),
        ("U\uff0eS\uff0e", ["us"]),
        ("\u0130stanbul", ["istanbul"]),
        ("5.93 and 10:30 and 2,50", ["5.93", "and", "10:30", "and", "2,50"]),  # decimals keep their point
        ("the 1st, 2nd, 3rd, 4th and 21st", ["the", "1st", "2nd", "3rd", "4th", "and", "21st"]),  # ordinals stay whole
        ("1stop 20km", ["1", "stop", "20", "km"]),
        ("m and 17-m and 17 k", ["m", "and", "17", "m", "and", "17", "k"]),  # a scale word only right after a number
        ("17\nmln, 1990's m", ["17", "million", "1990", "million"]),
    ],
    ids=[
        "unit",
        "scale",
        "fullwidth-dots",
        "turkish",
        "decimals",
        "ordinals",
        "not-ordinals",
        "not-scale",
        "scale-after-space",
    ],
)
def test_number_and_script_rules(text, tokens):
    assert tokenize(text) == tokens


def test_token_matches_give_where_each_token_was_found():
    text = fold("U.S. output rose 2,500 MW to $12.4bln")
    matches = list(token_matches(text))
    assert [t for _, _, t in matches] == tokenize(text, normalized=True)
    assert [text[a:b] for a, b, _ in matches] == ["u.s.", "output", "rose", "2,500", "mw", "to", "12.4", "bln"]


@pytest.mark.parametrize(
    "char, flags",
    [
        ("a", WORD_CHAR | ALNUM),
        ("_", WORD_CHAR),
        ("7", WORD_CHAR | ALNUM | DECIMAL),
        ("\u0663", WORD_CHAR | ALNUM | DECIMAL),
        ("\u5317", WORD_CHAR | ALNUM | CJK),
        ("\u0e53", WORD_CHAR | ALNUM | DECIMAL | CJK),
        ("\u30fb", CJK),
        (" ", SPACE),
        ("\n", SPACE),
        (".", 0),
        ("\u0301", 0),
    ],
    ids=[
        "letter",
        "underscore",
        "digit",
        "arabic-digit",
        "cjk",
        "thai-digit",
        "katakana-dot",
        "space",
        "newline",
        "dot",
        "combining-mark",
    ],
)
def test_char_class(char, flags):
    assert char_class(char) == flags
