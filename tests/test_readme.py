"""The README's Quickstart stays true: two commands, and CI runs the second one verbatim."""

import io
import re

from dedup.cli._progress import Progress

from .conftest import ROOT


def _quickstart_commands():
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme.split("## Quickstart", 1)[1].split("\n## ", 1)[0]
    block = re.search(r"```bash\n(.*?)```", section, re.DOTALL).group(1)
    return [line for line in block.splitlines() if line.strip()]


def test_quickstart_has_two_commands_and_ci_runs_the_test_one():
    install_and_run, install_and_test = _quickstart_commands()
    assert "dedup find examples/news_feed.jsonl" in install_and_run
    assert (ROOT / "examples" / "news_feed.jsonl").exists()
    assert install_and_test.endswith("pytest")
    ci = (ROOT / ".ci" / "run").read_text(encoding="utf-8")
    test_part = install_and_test.split(". .venv/bin/activate && ", 1)[1]
    assert test_part in ci


def test_progress_bar_draws_only_when_enabled():
    shown, hidden = io.StringIO(), io.StringIO()
    for stream, enabled in ((shown, True), (hidden, False)):
        bar = Progress(enabled=enabled, stream=stream)
        bar("signatures", 5, 10)
        bar("signatures", 10, 10)
        bar("reading", 12000, 0)
        bar.done()
        bar.message("summary")
    assert "[###############---------------] 5/10" in shown.getvalue() and "summary" in shown.getvalue()
    assert "12,000 articles" in shown.getvalue()
    assert hidden.getvalue() == ""


def test_progress_shows_the_rate_and_the_time_left(monkeypatch):
    from dedup.cli import _progress

    clock = iter([100.0, 102.0, 104.0, 110.0, 112.0])  # a stage starts at 100 s; 5 of 10 done at 102 s
    monkeypatch.setattr(_progress.time, "monotonic", lambda: next(clock))
    stream = io.StringIO()
    bar = Progress(enabled=True, stream=stream)
    bar("signatures", 0, 10)
    bar("signatures", 5, 10)
    assert "5/10 2 articles/s ETA 0:02" in stream.getvalue()  # 5 more at 2.5 a second: 2 s left
    bar("candidates", 0, 0)
    bar("candidates", 600, 0)
    assert "600 pairs 100 pairs/s" in stream.getvalue()


def test_readme_cli_example_is_real_output(capsys):
    from dedup.cli import main

    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    command = "$ dedup find examples/news_feed.jsonl | grep -v '\"unique\"' | head -8\n"
    shown = readme.split(command, 1)[1].split("```", 1)[0].splitlines()
    assert main(["find", str(ROOT / "examples" / "news_feed.jsonl"), "--quiet", "-j", "1"]) == 0
    lines = [line for line in capsys.readouterr().out.splitlines() if '"unique"' not in line]
    assert lines[:8] == shown
