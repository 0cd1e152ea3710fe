"""What every view shows of a link: its label and the words of each side, marked where they changed."""

from __future__ import annotations

from typing import Literal

from ..align import Alignment, Link
from ..updates import format_change

Mark = Literal["same", "deleted", "inserted"]

#: One symbol per link kind, shared by the views.
SYMBOLS = {
    "identical": "=",
    "rewritten": "~",
    "merged": "<",
    "split": ">",
    "moved": "^",
    "dropped": "-",
    "added": "+",
}


def label(link: Link) -> str:
    """``A3+A4 -> B2`` style indices (1-based, as a reader counts)."""
    a = "+".join(f"A{k + 1}" for k in link.a)
    b = "+".join(f"B{k + 1}" for k in link.b)
    return f"{a} -> {b}" if a and b else a or b


def sides(alignment: Alignment, link: Link) -> tuple[list[tuple[str, Mark]], list[tuple[str, Mark]]]:
    """Runs of original text for the A side and the B side of a link, each marked.

    Built from the link's word diff; without one (``align(..., diff=False)``) the sentences are
    shown whole, marked deleted (dropped) or inserted (added) or not at all.
    """
    left: list[tuple[str, Mark]] = []
    right: list[tuple[str, Mark]] = []
    if link.diff:
        for op in link.diff:
            if op.a_text:
                left.append((op.a_text, "same" if op.op == "equal" else "deleted"))
            if op.b_text:
                right.append((op.b_text, "same" if op.op == "equal" else "inserted"))
        return left, right
    text_a = " ".join(alignment.sentences_a[k].text for k in link.a)
    text_b = " ".join(alignment.sentences_b[k].text for k in link.b)
    if text_a:
        left.append((text_a, "deleted" if link.kind == "dropped" else "same"))
    if text_b:
        right.append((text_b, "inserted" if link.kind == "added" else "same"))
    return left, right


def summary(alignment: Alignment) -> str:
    """One line: sentences, links, coverage, and the figures that changed from A to B (an update's news)."""
    linked = sum(1 for link in alignment.links if link.a and link.b)
    line = (
        f"A: {len(alignment.sentences_a)} sentences, B: {len(alignment.sentences_b)} sentences, {linked} linked; "
        f"coverage of A {alignment.coverage_a:.0%}, of B {alignment.coverage_b:.0%}"
    )
    gone, new = alignment.figures_changed
    if gone or new:
        line += "; " + format_change(gone, new)
    return line
