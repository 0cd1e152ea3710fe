"""Terminal view of an alignment: side by side when the terminal is wide enough, inline otherwise.

With colour, words only in A are red and words only in B green; without, they are marked
``[-like this-]`` and ``{+like this+}`` as in ``git diff --word-diff``.
"""

from __future__ import annotations

import re
import shutil
import unicodedata

from ..align import Alignment, Link
from ..errors import expect
from ..word_diff import _UNIT_RE, _UNSPACED
from ._sides import SYMBOLS, Mark, label, sides, summary

__all__ = ["SIDE_BY_SIDE_WIDTH", "render_terminal"]

#: The least width (in columns) at which the two texts are shown side by side.
SIDE_BY_SIDE_WIDTH = 100

_RESET = "\x1b[0m"
_STYLE = {"deleted": "\x1b[31m", "inserted": "\x1b[32m", "same": ""}
_DIM, _BOLD = "\x1b[2m", "\x1b[1m"
_PLAIN = {"deleted": ("[-", "-]"), "inserted": ("{+", "+}"), "same": ("", "")}


# Control characters (C0, DEL, C1: ESC starts every escape sequence, OSC 52 writes the clipboard, BEL rings) and
# the bidirectional overrides that reorder what is shown: an article's text must not drive the viewer's terminal
_UNSAFE = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """``text`` with every control character and bidirectional override shown as its escape (``\\x1b``)."""
    return _UNSAFE.sub(
        lambda m: f"\\x{ord(m.group()):02x}" if ord(m.group()) < 0x100 else f"\\u{ord(m.group()):04x}", text
    )


def display_width(text: str) -> int:
    """Columns ``text`` takes in a terminal: wide (East Asian) characters 2, combining marks 0."""
    width = 0
    for ch in text:
        if ch.isascii():
            width += 1
        elif unicodedata.combining(ch) or unicodedata.category(ch) in ("Mn", "Me", "Cf"):
            continue
        else:
            width += 2 if unicodedata.east_asian_width(ch) in ("W", "F") else 1
    return width


def _pieces(word: str) -> list[str]:
    """A word, or the characters of a script written without spaces (Chinese, Japanese, ...) one by one,
    so that such text wraps anywhere."""
    return _UNIT_RE.findall(word) if _UNSPACED.search(word) else [word]


def _words(runs: list[tuple[str, Mark]], *, color: bool) -> list[tuple[str, int, bool]]:
    """Printable words with their visible width and whether they are glued to the word before (no space
    between them: within or next to unspaced scripts); markers or colour around each changed run."""
    out: list[tuple[str, int, bool]] = []
    last = ""
    for text, mark in runs:
        raw: list[tuple[str, bool]] = []
        for word in printable(text).split():
            for k, piece in enumerate(_pieces(word)):
                glued = k > 0 or bool(last and (_UNSPACED.match(last[-1]) or _UNSPACED.match(piece[0])))
                raw.append((piece, glued))
                last = piece
        if not raw:
            continue
        if color:
            style = _STYLE[mark]
            out.extend((f"{style}{w}{_RESET}" if style else w, display_width(w), g) for w, g in raw)
        else:
            opening, closing = _PLAIN[mark]
            shown = [w for w, _ in raw]
            shown[0] = opening + shown[0]
            shown[-1] = shown[-1] + closing
            out.extend((w, display_width(w), g) for w, (_, g) in zip(shown, raw))
    return out


def _wrap(words: list[tuple[str, int, bool]], width: int) -> list[str]:
    """Lines of at most ``width`` visible columns (a longer word stands alone on its line)."""
    lines: list[str] = []
    line: list[str] = []
    used = 0
    for word, size, glued in words:
        gap = 0 if glued or not line else 1
        if line and used + gap + size > width:
            lines.append("".join(line) + " " * (width - used))
            line, used, gap = [], 0, 0
        used += size + gap
        line.append(" " * gap + word)
    if line:
        lines.append("".join(line) + " " * max(width - used, 0))
    return lines


def _header(link: Link, *, color: bool) -> str:
    score = f" {link.score:.2f}" if link.a and link.b else ""
    text = f"{SYMBOLS[link.kind]} {link.kind}{score}  {label(link)}"
    text = printable(text)
    return f"{_BOLD}{text}{_RESET}" if color else text


def render_terminal(alignment: Alignment, *, color: bool = False, width: int | None = None) -> str:
    """The alignment as text for a terminal.

    Parameters
    ----------
    alignment : Alignment
    color : bool
        Use ANSI colours (the CLI turns them on when the stream is a terminal).
    width : int, optional
        Columns available; the terminal's width when omitted. At ``SIDE_BY_SIDE_WIDTH`` or more
        the two texts stand side by side, otherwise one link is shown inline under its header.
    """
    expect(alignment, Alignment, "render_terminal(): alignment", hint="make one with dedup.align(a, b)")
    if width is None:
        width = shutil.get_terminal_size().columns
    width = max(width, 20)
    out = [printable(summary(alignment))]
    if width >= SIDE_BY_SIDE_WIDTH:
        column = (width - 3) // 2
        rule = "-" * column + "-+-" + "-" * column
        out.append(f"{'A':<{column}} | {'B'}")
        for link in alignment.links:
            out.append(_DIM + rule + _RESET if color else rule)
            out.append(_header(link, color=color))
            left, right = sides(alignment, link)
            lines_a = _wrap(_words(left, color=color), column)
            lines_b = _wrap(_words(right, color=color), column)
            for k in range(max(len(lines_a), len(lines_b))):
                cell_a = lines_a[k] if k < len(lines_a) else " " * column
                cell_b = lines_b[k] if k < len(lines_b) else ""
                out.append(f"{cell_a} | {cell_b}".rstrip())
    else:
        for link in alignment.links:
            out.append(_header(link, color=color))
            left, right = sides(alignment, link)
            runs: list[tuple[str, Mark]] = []
            if link.diff:  # interleave the two sides op by op
                for op in link.diff:
                    if op.op == "equal":
                        runs.append((op.b_text, "same"))
                    else:
                        runs += [(op.a_text, "deleted"), (op.b_text, "inserted")]
            else:
                runs = left + right
            out.extend("  " + line.rstrip() for line in _wrap(_words(runs, color=color), width - 2))
    return "\n".join(out) + "\n"
