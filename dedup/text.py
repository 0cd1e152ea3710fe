"""Text stage: Unicode normalisation, tokenising for any script, and sentence splitting.

Everything downstream (shingles, alignment) sees text through these functions, so that
differences of case, quote style, dash style and spacing never count as differences.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass

from .errors import expect

__all__ = [
    "ALNUM", "CJK", "DECIMAL", "SCALE_WORDS", "SPACE", "TEXT_STAGE_VERSION", "WORD_CHAR", "Sentence", "char_class",
    "fold", "metadata_prefix", "normalize", "split_sentences", "token_matches", "tokenize",
]

# Bumped by any change that changes tokens (rules, normalisation, folding): recorded with every signature
# setting (``DedupConfig.signature_settings()``), so an index refuses signatures of another tokeniser.
TEXT_STAGE_VERSION = 2

# Quotes, apostrophes and dashes folded to their ASCII forms; marks that must not split a word removed.
_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'", "\u00b4": "'", "\u0060": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"', "\u00ab": '"', "\u00bb": '"',
        "\u2039": '"', "\u203a": '"', "\u300c": '"', "\u300d": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-", "\u2015": "-", "\u2212": "-",
        "\u00ad": None, "\u200b": None, "\u200c": None, "\u200d": None, "\u2060": None, "\ufeff": None,
        # Turkish: casefold("İ") is "i" + U+0307 (the dot would split "istanbul"); dotless ı matches i.
        "\u0307": None, "\u0131": "i",
        # Arabic harakat, superscript alef and tatweel: a word with or without them is the same word.
        **{chr(c): None for c in range(0x064B, 0x0660)}, "\u0670": None, "\u0640": None,
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
    "m": "million", "mn": "million", "mln": "million", "million": "million",
    "bn": "billion", "bln": "billion", "billion": "billion",
    "tn": "trillion", "trillion": "trillion",
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


# ---------------------------------------------------------------------------------------------
# Sentence splitting
# ---------------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Sentence:
    """One sentence (or heading) of a text.

    ``start`` and ``end`` are character offsets into the original text and
    ``text == original[start:end]``, without surrounding white space.
    """

    text: str
    start: int
    end: int

    def to_dict(self) -> dict[str, object]:
        return {"text": self.text, "start": self.start, "end": self.end}


_LETTER = r"[^\W\d_]"
# Metadata glued to the start of a text by scrapers: "date 2026-03-04 ", "published: 2026-03-04T09:30Z ",
# "url https://... ", "lang: en ", or a bare ISO date.
_ISO_DATE = r"\d{4}-\d{2}-\d{2}(?:[T ]\d{2}:\d{2}(?::\d{2}(?:\.\d+)?)?(?:Z|[+-]\d{2}:?\d{2})?)?"
_META_RE = re.compile(
    rf"""\s*(?:
        (?:(?:date|published|updated|modified|timestamp|time)\s*[:=]?\s*{_ISO_DATE}
          | (?:url|link)\s*[:=]?\s*https?://\S+
          | (?:lang|language)\s*[:=]\s*[a-z]{{2,3}}(?:[-_][a-z]{{2,4}})?
          | {_ISO_DATE}
        )(?![\w-])[^\S\n]*(?:[:|]\s*)?\s*
    )+""",
    re.IGNORECASE | re.VERBOSE,
)
# A paragraph break: a blank line, an indented new line (wire copy) or U+2029.
_PARA_RE = re.compile(r"\n[^\S\n]*\n\s*|\n[^\S\n]+(?=\S)|\u2029\s*")
_TERM_CHARS = ".!?\u2026\u061f\u06d4\u0964\u0965\u0589\u1362;\u037e"
_CJK_TERM = "\u3002\uff01\uff1f\uff61"
_CLOSE = "\"'\u201d\u2019\u00bb\u203a)\\]}\u300d\u300f\uff09\u3011"
_OPEN = "\"'\u201c\u2018\u00ab\u2039(\\[{\u300c\u300e\uff08\u3010\u201e"
_END_RE = re.compile(rf"(?P<cjk>[{_CJK_TERM}]+)[{_CLOSE}]*|(?P<term>[{_TERM_CHARS}]+)[{_CLOSE}]*(?=\s|$)")
_LINE_END_RE = re.compile(rf"(?:[{_TERM_CHARS}{_CJK_TERM}]|[.!?\u2026][{_CLOSE}]+)$")
_WORD_BEFORE_RE = re.compile(rf"[{_OPEN}]*(\S*)$")
_NEXT_WORD_RE = re.compile(rf"[{_OPEN}]*({_LETTER}+)(\.?)")
_DOTTED_ABBR_RE = re.compile(rf"(?:{_LETTER}\.)+{_LETTER}")
_GREEK_RE = re.compile("[\u0370-\u03ff\u1f00-\u1fff]")
_ALNUM_RE = re.compile(r"[^\W_]")

# Abbreviations that never end a sentence: a name or a word always follows.
_TITLES = frozenset([
    "mr", "mrs", "ms", "messrs", "mmes", "mme", "mlle", "dr", "prof", "gov", "govs", "sen", "sens", "rep", "reps",
    "gen", "lt", "col", "maj", "capt", "cmdr", "adm", "sgt", "cpl", "pvt", "rev", "hon", "pres", "supt", "insp",
    "atty", "amb", "vs", "v",
])
# Abbreviations that never end a sentence before a number: "No. 10", "Art. 5", "Feb. 22".
_BEFORE_NUMBER = frozenset([
    "no", "nos", "art", "vol", "vols", "p", "pp", "fig", "figs", "sec", "ch", "para", "paras", "ed", "approx", "ca",
    "op", "nr", "tel", "jan", "feb", "mar", "apr", "jun", "jul", "aug", "sep", "sept", "oct", "nov", "dec",
])
# Abbreviations that end a sentence only when a typical sentence opener follows:
# "Apple Inc. The company ..." splits, "Apple Inc. Chief Executive ..." does not.
_AMBIGUOUS = frozenset([
    "inc", "corp", "co", "cos", "ltd", "plc", "bros", "llc", "jr", "sr", "st", "ave", "blvd", "rd", "mt", "ft",
    "dept", "univ", "assn", "est", "etc", "al", "ala", "ariz", "ark", "calif", "colo", "conn", "del", "fla", "ga",
    "ill", "ind", "kan", "ky", "la", "md", "mass", "mich", "minn", "miss", "mo", "mont", "neb", "nev", "okla",
    "ore", "pa", "tenn", "tex", "va", "vt", "wash", "wis", "wyo",
]) | _BEFORE_NUMBER
_OPENERS = frozenset([
    "the", "a", "an", "it", "its", "it's", "he", "he's", "she", "she's", "they", "they're", "their", "them", "we",
    "we're", "our", "i", "i'm", "you", "your", "this", "that", "these", "those", "there", "there's", "here", "his",
    "her", "in", "on", "at", "for", "from", "by", "with", "without", "to", "of", "as", "after", "before", "when",
    "while", "since", "because", "although", "though", "however", "meanwhile", "but", "and", "or", "so", "yet",
    "if", "also", "still", "then", "now", "later", "earlier", "last", "next", "both", "all", "each", "some", "many",
    "most", "several", "few", "other", "others", "another", "such", "one", "two", "three", "four", "five", "six",
    "seven", "eight", "nine", "ten", "what", "who", "whom", "whose", "why", "how", "where", "which", "according",
    "under", "over", "about", "during", "analysts", "officials", "investors", "shares", "prices", "sales", "police",
    "sources", "not", "no", "nor", "only", "even", "just",
])
# Times of day are followed by a time zone or a day as often as by a new sentence.
_TIME_ABBR = frozenset({"a.m", "p.m"})


def _is_boundary(text: str, term_start: int, term: str, next_pos: int, *, cased: bool) -> bool:
    """Whether the terminator ``term`` at ``term_start`` ends a sentence before ``text[next_pos:]``."""
    if next_pos >= len(text):
        return True
    nxt = text[next_pos]
    if cased and nxt.islower():
        return False
    if set(term) <= {";"}:  # the Greek question mark is usually typed as a semicolon
        return bool(_GREEK_RE.match(text, max(term_start - 1, 0)))
    if term != ".":
        return True
    before = _WORD_BEFORE_RE.search(text, max(term_start - 64, 0), term_start)  # always matches
    word = before.group(1) if before else ""
    if not word:
        return True
    low = word.lower()
    if low in _TITLES:
        return False
    if nxt.isdigit() and low in _BEFORE_NUMBER:
        return False
    initial = len(word) == 1 and word.isalpha() and word.isupper()
    if initial or low in _AMBIGUOUS or low in _TIME_ABBR or _DOTTED_ABBR_RE.fullmatch(word):
        following = _NEXT_WORD_RE.match(text, next_pos)
        if following is None:
            return not nxt.isdigit()
        if initial and len(following.group(1)) == 1 and following.group(2):  # "J. R. R. Tolkien"
            return False
        return following.group(1).lower() in _OPENERS
    return True


def _split_block(text: str, start: int, end: int, out: list[tuple[int, int]], *, cased: bool) -> None:
    """Split ``text[start:end]`` (no paragraph or heading breaks inside) at sentence ends."""
    pos = start
    for match in _END_RE.finditer(text, start, end):
        stop = match.end()
        if match.group("term") is not None:
            next_pos = stop
            while next_pos < end and text[next_pos].isspace():
                next_pos += 1
            if next_pos < end and not _is_boundary(text, match.start(), match.group("term"), next_pos, cased=cased):
                continue
        out.append((pos, stop))
        pos = stop
    out.append((pos, end))


def _is_heading(line: str, previous: str | None, following: str) -> bool:
    """Whether a line of a paragraph is a heading on its own line (no final punctuation)."""
    if _LINE_END_RE.search(line) or line[-1] in ",;:-\u2013\u2014(" or len(line) > 80 or len(line.split()) > 12:
        return False
    if previous is not None and not _LINE_END_RE.search(previous):
        return False
    first = following[0]
    return not first.islower()


def _split_paragraph(text: str, start: int, end: int, out: list[tuple[int, int]], *, cased: bool) -> None:
    lines: list[tuple[int, int]] = []
    pos = start
    while pos < end:
        nl = text.find("\n", pos, end)
        stop = end if nl < 0 else nl
        if text[pos:stop].strip():
            lines.append((pos, stop))
        pos = stop + 1
    if len(lines) < 2:
        _split_block(text, start, end, out, cased=cased)
        return
    stripped = [text[a:b].strip() for a, b in lines]
    # Hard-wrapped text (lines broken mid-sentence) has no headings inside a paragraph.
    wrapped = sum(len(s) >= 50 and not _LINE_END_RE.search(s) for s in stripped[:-1]) >= 2
    block = start
    for k in range(len(lines) - 1):
        if not wrapped and _is_heading(stripped[k], stripped[k - 1] if k else None, stripped[k + 1]):
            if block < lines[k][0]:
                _split_block(text, block, lines[k][0], out, cased=cased)
            out.append(lines[k])
            block = lines[k + 1][0]
    _split_block(text, block, end, out, cased=cased)


def metadata_prefix(text: str) -> Sentence | None:
    """The metadata glued to the start of a text, such as ``date 2026-03-04``, or ``None``.

    :func:`split_sentences` leaves this prefix out, so that it never counts as part of the
    first sentence when two texts are compared.

    >>> metadata_prefix(" date 2026-03-04 OpenAI is considering a contract.")
    Sentence(text='date 2026-03-04', start=1, end=16)
    >>> metadata_prefix("OpenAI is considering a contract.") is None
    True
    """
    expect(text, str, "metadata_prefix(): text")
    match = _META_RE.match(text)
    if match is None:
        return None
    return _strip_span(text, 0, match.end())


def _strip_span(text: str, start: int, end: int) -> Sentence | None:
    piece = text[start:end]
    lead = len(piece) - len(piece.lstrip())
    body = piece.strip()
    if not body:
        return None
    return Sentence(body, start + lead, start + lead + len(body))


def split_sentences(text: str) -> list[Sentence]:
    """Split a text into sentences, with character offsets into the original.

    Made for news English (abbreviations such as "U.S.", "Inc.", "Sen.", "No. 10", "a.m.",
    initials, decimals, quotations ending in ``."``) and reasonable for other scripts
    (Chinese and Japanese ``。！？``, Arabic ``؟``, the Greek question mark ``;``, Hindi ``।``).
    A paragraph break always ends a sentence, and a line without final punctuation on its
    own (a heading) is a sentence of its own. A metadata prefix at the very start (see
    :func:`metadata_prefix`) is left out, and so are pieces without any letter or digit
    (separators such as ``* * *``).

    >>> [s.text for s in split_sentences('U.S. President Trump spoke at 10 a.m. on Tuesday. "We agree."')]
    ['U.S. President Trump spoke at 10 a.m. on Tuesday.', '"We agree."']
    >>> split_sentences("Details\\n\\nIt rained.")
    [Sentence(text='Details', start=0, end=7), Sentence(text='It rained.', start=9, end=19)]
    """
    expect(text, str, "split_sentences(): text")
    meta = _META_RE.match(text)
    pos = meta.end() if meta else 0
    cased = any(c.isupper() for c in text)
    spans: list[tuple[int, int]] = []
    for brk in _PARA_RE.finditer(text, pos):
        if brk.start() > pos:
            _split_paragraph(text, pos, brk.start(), spans, cased=cased)
        pos = brk.end()
    if pos < len(text):
        _split_paragraph(text, pos, len(text), spans, cased=cased)
    sentences = []
    for a, b in spans:
        sentence = _strip_span(text, a, b)
        if sentence is not None and _ALNUM_RE.search(sentence.text):
            sentences.append(sentence)
    return sentences
