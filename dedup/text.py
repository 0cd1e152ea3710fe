"""Text stage: Unicode normalisation, tokenising for any script, and sentence splitting.

Everything downstream (shingles, alignment) sees text through these functions, so that
differences of case, quote style, dash style and spacing never count as differences.
"""

from __future__ import annotations

import re
import unicodedata

__all__ = ["normalize", "tokenize"]

# Quotes, apostrophes and dashes folded to their ASCII forms.
_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "\u0060": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2039": '"', "\u203a": '"', "\u300c": '"', "\u300d": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u00ad": None, "\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None,
    }
)
_SPACE_RE = re.compile(r"\s+")
_POSSESSIVE_RE = re.compile(r"(?<=[^\W_])'s\b")
# Dotted abbreviations such as "U.S." or "a.m." lose their dots, so "U.S." and "US" agree.
_DOTTED_RE = re.compile(r"(?<![^\W\d_])(?:[^\W\d_]\.){2,}(?![^\W\d_])")

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
_TOKEN_RE = re.compile(
    rf"[{_CJK}]"  # one CJK character
    rf"|\d+(?:[.,:]\d+)*(?:[^\W\d_{_CJK}]+)?"  # numbers: 155,221  5.93  10:30  1st
    rf"|[^\W\d_{_CJK}][^\W_{_CJK}]*(?:'[^\W_{_CJK}]+)*"  # words, with inner apostrophes
)


def normalize(text: str) -> str:
    """Normalise text for comparison.

    NFKC, case folding, curly quotes and dashes folded to ASCII, invisible characters removed,
    dotted abbreviations undotted ("U.S." -> "us") and runs of white space collapsed to one space.

    >>> normalize("  \u201cU.S.\u201d  President\u2014Trump  ")
    '"us" president-trump'
    """
    text = unicodedata.normalize("NFKC", text).casefold().translate(_FOLD)
    if "." in text:
        text = _DOTTED_RE.sub(lambda m: m.group().replace(".", ""), text)
    return _SPACE_RE.sub(" ", text).strip()


def tokenize(text: str, *, normalized: bool = False) -> list[str]:
    """Split text into word tokens, for any script.

    Words are runs of letters and digits (hyphens split words; inner apostrophes do not; a
    possessive "'s" is dropped); numbers keep their separators; Chinese, Japanese, Thai and
    other scripts written without spaces give one token per character.

    >>> tokenize("NATO's 32-member alliance said 5.93 mln")
    ['nato', '32', 'member', 'alliance', 'said', '5.93', 'mln']
    >>> tokenize("OpenAI考虑与北约")
    ['openai', '考', '虑', '与', '北', '约']
    """
    if not normalized:
        text = normalize(text)
    if "'" in text:
        text = _POSSESSIVE_RE.sub("", text)
    return _TOKEN_RE.findall(text)
