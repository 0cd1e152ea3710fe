"""Sentence splitting: :func:`split_sentences` (with character offsets into the original) and the
:func:`metadata_prefix` glued to the start of a text, as the alignment stage sees texts.

Also reachable as ``dedup.text.split_sentences`` and ``dedup.text.Sentence``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from .errors import expect

__all__ = ["Sentence", "metadata_prefix", "split_sentences"]


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


def _words(text: str) -> list[str]:
    return text.split()


# Abbreviations that never end a sentence: a name or a word always follows.
_TITLES = frozenset(
    _words(
        "mr mrs ms messrs mmes mme mlle dr prof gov govs sen sens rep reps gen lt col maj capt cmdr adm sgt "
        "cpl pvt rev hon pres supt insp atty amb vs v"
    )
)
# Abbreviations that never end a sentence before a number: "No. 10", "Art. 5", "Feb. 22".
_BEFORE_NUMBER = frozenset(
    _words(
        "no nos art vol vols p pp fig figs sec ch para paras ed approx ca op nr tel jan feb mar apr jun jul "
        "aug sep sept oct nov dec"
    )
)
# Abbreviations that end a sentence only when a typical sentence opener follows:
# "Apple Inc. The company ..." splits, "Apple Inc. Chief Executive ..." does not.
_AMBIGUOUS = (
    frozenset(
        _words(
            "inc corp co cos ltd plc bros llc jr sr st ave blvd rd mt ft dept univ assn est etc al ala ariz ark "
            "calif colo conn del fla ga ill ind kan ky la md mass mich minn miss mo mont neb nev okla ore pa tenn "
            "tex va vt wash wis wyo"
        )
    )
    | _BEFORE_NUMBER
)
_OPENERS = frozenset(
    _words(
        "the a an it its it's he he's she she's they they're their them we we're our i i'm you your this that "
        "these those there there's here his her in on at for from by with without to of as after before when "
        "while since because although though however meanwhile but and or so yet if also still then now later "
        "earlier last next both all each some many most several few other others another such one two three "
        "four five six seven eight nine ten what who whom whose why how where which according under over "
        "about during analysts officials investors shares prices sales police sources not no nor only even "
        "just"
    )
)
# German: abbreviations always followed by a word ("bzw.", "5 Mio. Euro"), months after a day ("am 17. April"),
# and the words before an ordinal number ("der 2. Weltkrieg", "am 3. Oktober", "zum 5. Mal").
_DE_ALWAYS = _words("bzw vgl ggf evtl inkl sog zzgl hrsg mio mrd tsd jh abs abb bd akt")
_DE_MONTHS = _words("januar jänner februar märz april mai juni juli august september oktober november dezember")
_DE_BEFORE_ORDINAL = _words(
    "der die das den dem des am im vom zum zur beim bis ab seit nach vor ein eine einen einem einer jeder jedes"
)
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
    if low in _TITLES or low in _DE_ALWAYS:
        return False
    if cased and len(word) == 1 and word.islower():  # German "z. B.", "d. h.", "u. a.": never a lone letter's end
        return False
    if word.isdecimal() and len(word) <= 3 and _is_ordinal(text, term_start - len(word), next_pos):
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


def _is_ordinal(text: str, number_start: int, next_pos: int) -> bool:
    """Whether the number starting at ``number_start``, followed by a period, is a German ordinal
    ("am 17. April", "der 2. Weltkrieg")."""
    following = _NEXT_WORD_RE.match(text, next_pos)
    if following is not None and following.group(1).lower() in _DE_MONTHS:
        return True
    preceding = text[max(number_start - 24, 0) : number_start].split()
    return bool(preceding) and preceding[-1].lower() in _DE_BEFORE_ORDINAL


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
