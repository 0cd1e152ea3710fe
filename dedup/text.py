"""Text stage: Unicode normalisation, tokenising for any script, and sentence splitting.

Everything downstream (shingles, alignment) sees text through these functions, so that
differences of case, quote style, dash style and spacing never count as differences. Sentence
splitting lives in :mod:`dedup.sentences` (re-exported here).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator

from .errors import expect
from .sentences import Sentence, metadata_prefix, split_sentences

__all__ = [
    "ALNUM",
    "CJK",
    "DECIMAL",
    "SCALE_WORDS",
    "SPACE",
    "TEXT_STAGE_VERSION",
    "WORD_CHAR",
    "Sentence",
    "char_class",
    "fold",
    "metadata_prefix",
    "normalize",
    "split_sentences",
    "token_matches",
    "tokenize",
]

# Bumped by any change that changes tokens (rules, normalisation, folding): recorded with every signature
# setting (``DedupConfig.signature_settings()``), so an index refuses signatures of another tokeniser.
TEXT_STAGE_VERSION = 2

# Quotes, apostrophes and dashes folded to their ASCII forms; marks that must not split a word removed.
_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "\u0060": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2039": '"',
        "\u203a": '"',
        "\u300c": '"',
        "\u300d": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00ad": None,
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
        # Turkish: casefold("İ") is "i" + U+0307 (the dot would split "istanbul"); dotless ı matches i.
        "\u0307": None,
        "\u0131": "i",
        # Arabic harakat, superscript alef and tatweel: a word with or without them is the same word.
        **{chr(c): None for c in range(0x064B, 0x0660)},
        "\u0670": None,
        "\u0640": None,
    }
)
_SPACE_RE = re.compile(r"\s+")
# Dotted abbreviations such as "U.S." or "a.m." lose their dots, so "U.S." and "US" agree.
_DOTTED = r"(?<!\w)[^\W\d_]\.[^\W\d_]\.(?:[^\W\d_]\.)*(?![^\W\d_])"
_DOTTED_RE = re.compile(_DOTTED)

# Scripts written without spaces: each character is a token.
_CJK = (
    "\u3040-\u30ff"  # Hiragana, Katakana
    "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"  # CJK ideographs
    "\u3005\u3006\u3007"
    "\u0e00-\u0e7f"  # Thai
    "\u0e80-\u0eff"  # Lao
    "\u1000-\u109f"  # Myanmar
    "\u1780-\u17ff"  # Khmer
)
# Tokens, matched in one pass; a dotted abbreviation comes out with its dots (undotted by tokenize). The
# compiled kernel (dedup/_tokenizer.py) runs the same rules as a state machine; tests compare the two.
_TOKEN_RE = re.compile(
    rf"({_DOTTED}"  # dotted abbreviations: u.s. a.m.
    rf"|[{_CJK}]"  # one CJK character
    r"|\d+(?:[.,:]\d+)*(?:(?:st|nd|rd|th)(?![^\W_]))?"  # numbers: 155,221  5.93  10:30  1st; "340mw" is 340 mw
    rf"|[^\W\d_{_CJK}][^\W_{_CJK}]*(?:'(?!s\b)[^\W_{_CJK}]+)*)"  # words, with inner apostrophes
    r"(?:'s\b)?"  # a possessive 's is left out of the token
)
# A comma before a group of exactly three digits separates thousands: "2,500" is "2500".
_THOUSANDS_RE = re.compile(r",(?=\d{3}(?!\d))")
# Scale words directly after a figure (glued or after white space): "17m", "17 mln", "17 million" agree.
SCALE_WORDS = {
    "m": "million",
    "mn": "million",
    "mln": "million",
    "million": "million",
    "bn": "billion",
    "bln": "billion",
    "billion": "billion",
    "tn": "trillion",
    "trillion": "trillion",
}

# Character classes as the token rules see them (bit flags, see char_class).
WORD_CHAR, ALNUM, DECIMAL, CJK, SPACE = 1, 2, 4, 8, 16
_WORD_CHAR_RE, _DECIMAL_RE, _CJK_RE = re.compile(r"\w"), re.compile(r"\d"), re.compile(f"[{_CJK}]")


def char_class(char: str) -> int:
    """The bit flags of one character under the token rules, as the regex sees it.

    ``WORD_CHAR`` (``\\w``), ``ALNUM`` (``\\w`` but not ``_``), ``DECIMAL`` (``\\d``), ``CJK`` (one
    token per character), ``SPACE`` (white space between a figure and its scale word).

    >>> char_class("a") == WORD_CHAR | ALNUM, char_class("7") == WORD_CHAR | ALNUM | DECIMAL, char_class(" ")
    (True, True, 16)
    """
    flags = 0
    if _WORD_CHAR_RE.match(char):
        flags |= WORD_CHAR | (ALNUM if char != "_" else 0)
    if _DECIMAL_RE.match(char):
        flags |= DECIMAL
    if _CJK_RE.match(char):
        flags |= CJK
    if char.isspace():
        flags |= SPACE
    return flags


def normalize(text: str) -> str:
    """Normalise text for comparison.

    NFKC, case folding, curly quotes and dashes folded to ASCII, invisible characters removed,
    dotted abbreviations undotted ("U.S." -> "us") and runs of white space collapsed to one space.

    >>> normalize("  \u201cU.S.\u201d  President\u2014Trump  ")
    '"us" president-trump'
    """
    expect(text, str, "normalize(): text")
    text = fold(text)
    if "." in text:
        text = _DOTTED_RE.sub(lambda m: m.group().replace(".", ""), text)
    return _SPACE_RE.sub(" ", text).strip()


def fold(text: str) -> str:
    """NFKC, case folding, quotes and dashes folded: :func:`normalize` before abbreviations and spacing.

    Also removes what must not split or change a word: the dot left by casefolding Turkish "İ"
    (and dotless "ı" becomes "i"), Arabic harakat and tatweel, soft hyphens and zero-width characters.

    >>> fold("İSTANBUL") == fold("istanbul") == fold("ıstanbul")
    True
    """
    if text.isascii():  # fast path: NFKC is the identity, casefold is lower, only ` needs folding
        text = text.lower()
        return text.replace("`", "'") if "`" in text else text
    return unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)


def tokenize(text: str, *, normalized: bool = False) -> list[str]:
    """Split text into word tokens, for any script: the reference definition of the token rules.

    Words are runs of letters and digits (hyphens split words; inner apostrophes do not; a
    possessive "'s" is dropped); dotted abbreviations lose their dots ("U.S." -> "us"); Chinese,
    Japanese, Thai and other scripts written without spaces give one token per character.
    Numbers keep their decimal point and lose thousands separators ("2,500" -> "2500"); letters
    glued to a number are a token of their own ("340MW" -> "340", "mw"), except ordinals ("1st");
    a scale word directly after a number, glued or after white space, is spelled out
    (m, mn, mln -> "million"; bn, bln -> "billion"; tn -> "trillion"; see ``SCALE_WORDS``).
    ``normalized=True`` says the text is already :func:`fold` ed.

    >>> tokenize("NATO's 32-member alliance said 5.93 mln")
    ['nato', '32', 'member', 'alliance', 'said', '5.93', 'million']
    >>> tokenize("U.S. President at 10 a.m.")
    ['us', 'president', 'at', '10', 'am']
    >>> tokenize("OpenAI考虑与北约")
    ['openai', '考', '虑', '与', '北', '约']
    >>> tokenize("$12.4bln for 2,500 MW on the 21st")
    ['12.4', 'billion', 'for', '2500', 'mw', 'on', 'the', '21st']
    """
    expect(text, str, "tokenize(): text")
    return [token for _, _, token in token_matches(text if normalized else fold(text))]


def token_matches(folded: str) -> Iterator[tuple[int, int, str]]:
    """``(start, end, token)`` of every token of already folded text: where :func:`tokenize` found it.

    ``folded[start:end]`` is the token as written (``u.s.``, ``2,500``, ``mln``), ``token`` its
    normalised form (``us``, ``2500``, ``million``).
    """
    figure_end = -1  # where the last match ended, if it was a figure
    for match in _TOKEN_RE.finditer(folded):
        token = match.group(1)
        if token[0].isdecimal():
            if "," in token:
                token = _THOUSANDS_RE.sub("", token)
            figure_end = match.end()
        else:
            if "." in token:
                token = token.replace(".", "")
            elif figure_end >= 0 and token in SCALE_WORDS:
                gap = folded[figure_end : match.start()]
                if not gap or gap.isspace():
                    token = SCALE_WORDS[token]
            figure_end = -1
        yield match.start(1), match.end(1), token
