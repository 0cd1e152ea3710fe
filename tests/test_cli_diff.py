"""`dedup diff`, run in process through dedup.cli.main."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from dedup.cli import main

SEEDS = Path(__file__).resolve().parent.parent / "examples" / "seeds"


@pytest.fixture
def seed_files(tmp_path: Path) -> tuple[str, str]:
    a, b = tmp_path / "reuters.txt", tmp_path / "unn.txt"
    shutil.copy(SEEDS / "reuters_openai_nato.txt", a)
    shutil.copy(SEEDS / "unn_openai_nato.txt", b)
    return str(a), str(b)


def test_terminal_output(seed_files, capsys) -> None:
    assert main(["diff", *seed_files, "--width", "80"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("A: 11 sentences, B: 11 sentences, 10 linked")
    assert "- dropped  A6" in out and "+ added  B2" in out
    assert "\x1b[" not in out  # auto: capsys is not a terminal


def test_color_always_and_never(seed_files, capsys) -> None:
    main(["diff", *seed_files, "--color", "always", "--width", "120"])
    coloured = capsys.readouterr().out
    main(["diff", *seed_files, "--color", "never", "--width", "120"])
    plain = capsys.readouterr().out
    assert "\x1b[31m" in coloured and "\x1b[" not in plain
    assert " | " in plain  # side by side at 120 columns


def test_json_output(seed_files, capsys) -> None:
    assert main(["diff", *seed_files, "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert set(data) == {"sentences_a", "sentences_b", "links", "coverage_a", "coverage_b", "figures_changed"}
    assert sum(link["kind"] == "rewritten" for link in data["links"]) == 10


def test_html_output(seed_files, tmp_path, capsys) -> None:
    out = tmp_path / "diff.html"
    assert main(["diff", *seed_files, "--html", str(out)]) == 0
    assert capsys.readouterr().out.strip() == f"wrote {out}"
    page = out.read_text(encoding="utf-8")
    assert "<del>" in page and "reuters.txt" in page


def test_feed(tmp_path, capsys) -> None:
    feed = tmp_path / "feed.jsonl"
    rows = [
        {"id": "r1", "text": (SEEDS / "reuters_openai_nato.txt").read_text(encoding="utf-8")},
        {"id": "u1", "text": (SEEDS / "unn_openai_nato.txt").read_text(encoding="utf-8")},
    ]
    feed.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    assert main(["diff", "--feed", str(feed), "r1", "u1", "--json"]) == 0
    data = json.loads(capsys.readouterr().out)
    assert data["coverage_b"] > 0.95
    assert main(["diff", "--feed", str(feed), "r1", "nope"]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "no article with id 'nope'" in err and "'r1'" in err


def test_missing_file_names_the_file_and_the_fix(seed_files, tmp_path, capsys) -> None:
    missing = tmp_path / "missing.txt"
    assert main(["diff", seed_files[0], str(missing)]) == 1
    err = capsys.readouterr().err
    assert err.count("\n") == 1
    assert str(missing) in err and "no such file" in err and "--feed" in err


def test_missing_feed(tmp_path, capsys) -> None:
    assert main(["diff", "--feed", str(tmp_path / "none.jsonl"), "a", "b"]) == 1
    assert "none.jsonl: no such file or folder; check the path given to --feed" in capsys.readouterr().err


def test_not_utf8(tmp_path, seed_files, capsys) -> None:
    bad = tmp_path / "latin1.txt"
    bad.write_bytes("caf\xe9".encode("latin-1"))
    assert main(["diff", str(bad), seed_files[1]]) == 1
    assert "not valid UTF-8" in capsys.readouterr().err


def test_bad_min_score_is_a_usage_error(seed_files, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["diff", *seed_files, "--min-score", "40"])
    assert exc.value.code == 2


def test_min_score_changes_links(seed_files, capsys) -> None:
    main(["diff", *seed_files, "--json", "--min-score", "0.8"])
    strict = json.loads(capsys.readouterr().out)
    assert sum(link["kind"] == "rewritten" for link in strict["links"]) < 10


def test_installed_command_runs(seed_files) -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "dedup", "diff", *seed_files, "--json"], capture_output=True, text=True, check=False
    )
    assert proc.returncode == 0, proc.stderr
    assert json.loads(proc.stdout)["coverage_a"] > 0.95


@pytest.mark.parametrize("width", [80, 120])
def test_article_text_cannot_drive_the_terminal(tmp_path, capsys, width) -> None:
    """ESC sequences (clear screen, retitle the window), OSC 52 (write the clipboard), BEL, C1 controls and bidi
    overrides in an article are shown as escapes, never sent raw; the only escapes out are dedup's own colours."""
    import re

    payloads = "\x1b[2J\x1b]0;owned\x07 \x1b]52;c;SGVsbG8=\x07 \x9b31m \u202ereversed\u202c \x08\x08"
    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_text(f"The council approved the budget on Monday. {payloads} It takes effect in May.", encoding="utf-8")
    b.write_text(f"On Monday the council approved the budget. {payloads} It will take effect in May.", encoding="utf-8")
    for color in ("never", "always"):
        assert main(["diff", str(a), str(b), "--color", color, "--width", str(width)]) == 0
        out = capsys.readouterr().out
        assert "\\x1b]52;c;SGVsbG8=\\x07" in out and "\\u202e" in out  # shown, escaped
        left = re.sub(r"\x1b\[[0-9;]*m", "", out)  # dedup's own SGR colours (--color always)
        assert not re.search("[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069]", left), repr(left)


def test_side_by_side_columns_line_up_with_wide_characters(tmp_path, capsys) -> None:
    from dedup.render.terminal import display_width

    a = tmp_path / "a.txt"
    b = tmp_path / "b.txt"
    a.write_text("東京電力は月曜日に料金を引き上げると発表した。 The rise takes effect in May.", encoding="utf-8")
    b.write_text("東京電力は料金を引き上げると月曜日に発表した。 The rise will take effect in May.", encoding="utf-8")
    assert main(["diff", str(a), str(b), "--color", "never", "--width", "120"]) == 0
    rows = [line for line in capsys.readouterr().out.splitlines() if " | " in line and not line.startswith("A ")]
    assert rows and {display_width(line.split(" | ")[0]) for line in rows} == {(120 - 3) // 2}  # the bar in one column
