"""Views of an alignment: dedup.render."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from dedup.align import align
from dedup.render import render_html, render_json, render_terminal
from dedup.render.terminal import SIDE_BY_SIDE_WIDTH

SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"
ANSI = re.compile(r"\x1b\[[0-9;]*m")

A = "The bank raised rates on Monday. Details follow later. Shares fell."
B = "The bank raised rates on Tuesday. Shares fell. An analyst was surprised."


@pytest.fixture(scope="module")
def seeds():
    return align(
        (SEEDS / "reuters_openai_nato.txt").read_text(encoding="utf-8"),
        (SEEDS / "unn_openai_nato.txt").read_text(encoding="utf-8"),
    )


def test_terminal_inline_marks_changed_words() -> None:
    out = render_terminal(align(A, B), color=False, width=80)
    assert "[-Monday.-] {+Tuesday.+}" in out
    assert "- dropped  A2" in out and "[-Details follow later.-]" in out
    assert "+ added  B3" in out and "{+An analyst was surprised.+}" in out
    assert "\x1b[" not in out
    assert all(len(line) <= 80 for line in out.splitlines())


def test_terminal_side_by_side_when_wide(seeds) -> None:
    out = render_terminal(seeds, color=False, width=SIDE_BY_SIDE_WIDTH + 20)
    lines = out.splitlines()
    assert all(len(line) <= SIDE_BY_SIDE_WIDTH + 20 for line in lines)
    divider = [line.index(" | ") for line in lines if " | " in line]
    assert len(divider) > 20 and len(set(divider)) == 1  # one column boundary throughout
    narrow = render_terminal(seeds, color=False, width=SIDE_BY_SIDE_WIDTH - 1)
    assert " | " not in narrow


def test_terminal_colour(seeds) -> None:
    coloured = render_terminal(seeds, color=True, width=120)
    assert "\x1b[31m" in coloured and "\x1b[32m" in coloured
    plain = render_terminal(seeds, color=False, width=120)
    assert "\x1b[" not in plain
    # colour changes how words are marked, not which words are shown
    words = lambda s: re.sub(r"\[-|-\]|\{\+|\+\}|\|", "", ANSI.sub("", s)).split()
    assert sorted(words(coloured)) == sorted(words(plain))


def test_terminal_without_diff_shows_whole_sentences() -> None:
    out = render_terminal(align(A, B, diff=False), color=False, width=80)
    assert "The bank raised rates on Monday. The bank raised rates on Tuesday." in " ".join(out.split())


def test_html_escapes_article_text() -> None:
    evil_a = 'Officials said <script>alert("a")</script> was found & removed. It rained.'
    evil_b = 'Officials said <script>alert("b")</script> was found & removed. <b>It</b> rained.'
    page = render_html(align(evil_a, evil_b), title="<i>t</i>", name_a="<a.txt>", name_b="b&.txt")
    assert "<script>" not in page and "<b>It" not in page and "<i>t</i>" not in page
    assert "&lt;script&gt;alert(&quot;a&quot;)&lt;/script&gt;" in page
    assert "&lt;script&gt;alert(&quot;b&quot;)&lt;/script&gt;" in page
    assert "found &amp; removed." in page and "&lt;a.txt&gt;" in page and "b&amp;.txt" in page


def test_html_is_standalone_and_highlights_changes(seeds) -> None:
    page = render_html(seeds, title="seeds")
    assert page.startswith("<!DOCTYPE html>") and page.rstrip().endswith("</html>")
    assert not re.search(r"""(src|href)\s*=|@import|url\(""", page)  # no external assets
    assert "<del>AI</del>" in page and "<ins>artificial intelligence</ins>" in page
    assert page.count('<tr class="') == len(seeds.links)


def test_json_round_trips(seeds) -> None:
    data = json.loads(render_json(seeds))
    assert data == json.loads(json.dumps(seeds.to_dict()))
    assert [link["kind"] for link in data["links"]].count("rewritten") == 10


def test_chinese_is_marked_by_character_and_wraps_by_display_width() -> None:
    a = "北京今天下雨了。" + "明天会晴天，气温回升到二十度左右，风力不大。"
    b = "北京今天下大雨了。" + "明天会晴天，气温回升到二十度左右，风力不大。"
    alignment = align(a, b)
    html = render_html(alignment)
    assert "北京今天下<ins>大</ins>雨了。" in html  # the inserted character alone, no space around it
    inline = render_terminal(alignment, width=30, color=False)
    assert "北京今天下{+大+}雨了。" in inline
    from dedup.render.terminal import display_width

    lines = [line for line in inline.splitlines() if line.startswith("  ")]
    # the 46 columns of the second sentence wrap inside it: three lines in all, none wider than the terminal
    assert len(lines) >= 3 and all(display_width(line) <= 30 for line in lines)
