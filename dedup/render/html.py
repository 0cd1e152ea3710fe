"""A standalone HTML page for an alignment: the two texts side by side, changed words highlighted.

No external assets (styles are inline) and every piece of article text goes through
:func:`html.escape`.
"""

from __future__ import annotations

from html import escape

from ..align import Alignment, Link
from ..errors import expect
from ..word_diff import join_runs
from ._sides import SYMBOLS, Mark, label, sides, summary

__all__ = ["render_html"]

_CSS = """
body { font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; margin: 24px; color: #1b1f24; }
h1 { font-size: 20px; margin: 0 0 4px; }
p.summary { color: #57606a; margin: 0 0 16px; }
table { border-collapse: collapse; width: 100%; table-layout: fixed; }
th { text-align: left; padding: 6px 10px; border-bottom: 2px solid #d0d7de; }
th.kind, td.kind { width: 9.5em; }
td { vertical-align: top; padding: 8px 10px; border-bottom: 1px solid #eaeef2; }
td.kind { font-size: 12px; color: #57606a; white-space: nowrap; }
td.kind b { display: block; font-size: 13px; color: #1b1f24; }
tr.dropped td.a { background: #fff5f5; }
tr.added td.b { background: #f3fbf4; }
tr.moved td.kind b { color: #9a6700; }
del { background: #ffd7d5; color: #82071e; text-decoration: none; border-radius: 3px; padding: 0 1px; }
ins { background: #ccffd8; color: #055d20; text-decoration: none; border-radius: 3px; padding: 0 1px; }
tr.dropped del, tr.added ins { background: none; }
.legend span { margin-right: 14px; }
"""

_TAG: dict[Mark, str] = {"deleted": "del", "inserted": "ins", "same": ""}


def _cell(runs: list[tuple[str, Mark]]) -> str:
    parts = []
    for text, mark in runs:
        tag = _TAG[mark]
        parts.append(f"<{tag}>{escape(text)}</{tag}>" if tag else escape(text))
    return join_runs([text for text, _ in runs], parts)


def _row(alignment: Alignment, link: Link) -> str:
    left, right = sides(alignment, link)
    score = f"{link.score:.2f}" if link.a and link.b else ""
    return (
        f'<tr class="{link.kind}"><td class="kind"><b>{SYMBOLS[link.kind]} {link.kind}</b>'
        f"{escape(label(link))} {score}</td>"
        f'<td class="a">{_cell(left)}</td><td class="b">{_cell(right)}</td></tr>'
    )


def render_html(alignment: Alignment, *, title: str = "dedup diff", name_a: str = "A", name_b: str = "B") -> str:
    """A complete HTML page showing the alignment side by side.

    ``title``, ``name_a`` and ``name_b`` (column headings, e.g. file names) are escaped like
    the article text.
    """
    expect(alignment, Alignment, "render_html(): alignment", hint="make one with dedup.align(a, b)")
    rows = "\n".join(_row(alignment, link) for link in alignment.links)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{escape(title)}</title>
<style>{_CSS}</style>
</head>
<body>
<h1>{escape(title)}</h1>
<p class="summary">{escape(summary(alignment))}</p>
<p class="legend"><span><del>only in A</del></span><span><ins>only in B</ins></span>
<span>= identical, ~ rewritten, &lt; merged, &gt; split, ^ moved, - dropped, + added</span></p>
<table>
<thead><tr><th class="kind">link</th><th>{escape(name_a)}</th><th>{escape(name_b)}</th></tr></thead>
<tbody>
{rows}
</tbody>
</table>
</body>
</html>
"""
