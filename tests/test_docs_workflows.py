"""The daily and live workflows of docs/cli.md run as written, in a copy of examples/, and print what it shows."""

from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import threading

import pytest

from .conftest import ROOT


def _console_block(heading: str) -> list[tuple[str, list[str]]]:
    """The (command, expected output lines) of the first console block after ``heading`` in docs/cli.md."""
    text = (ROOT / "docs" / "cli.md").read_text(encoding="utf-8")
    section = text.split(heading, 1)[1]
    block = re.search(r"```console\n(.*?)```", section, re.DOTALL).group(1)
    steps: list[tuple[str, list[str]]] = []
    for line in block.splitlines():
        if line.startswith("$ "):
            steps.append((line[2:], []))
        elif line.strip():
            steps[-1][1].append(line)
    return steps


@pytest.fixture()
def workdir(tmp_path):
    """A copy of examples/ and a `dedup` on PATH that is this checkout's (python -m dedup)."""
    shutil.copytree(ROOT / "examples", tmp_path / "examples")
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    shim = bin_dir / "dedup"
    shim.write_text(f'#!/bin/sh\nexec "{sys.executable}" -m dedup "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ['PATH']}", "PYTHONPATH": str(ROOT)}
    return tmp_path, env


def test_daily_job(workdir):
    cwd, env = workdir
    steps = _console_block("### A daily job")
    assert any("--index news.db --window 7d" in command for command, _ in steps)
    for command, expected in steps:
        done = subprocess.run(
            ["bash", "-c", command], cwd=cwd, env=env, capture_output=True, text=True, timeout=120, check=False
        )
        assert done.returncode == 0, done.stderr
        assert done.stdout.splitlines() == expected, command


def test_live_feed_answers_while_the_feed_is_still_open(workdir):
    cwd, env = workdir
    ((command, expected),) = _console_block("### A live feed")
    assert command.startswith("tail -n +1 -f feed.jsonl | dedup stream --index news.db --window 72h")
    shutil.copy(cwd / "examples" / "news_feed.jsonl", cwd / "feed.jsonl")
    process = subprocess.Popen(
        ["bash", "-c", command], cwd=cwd, env=env, stdout=subprocess.PIPE, text=True, start_new_session=True
    )
    lines: list[str] = []

    def read() -> None:
        assert process.stdout is not None
        for line in process.stdout:
            lines.append(line.rstrip("\n"))
            if len(lines) == len(expected):
                return

    reader = threading.Thread(target=read, daemon=True)
    reader.start()
    reader.join(timeout=90)
    still_running = process.poll() is None  # tail -f never ends: the verdicts came while the feed was open
    os.killpg(process.pid, signal.SIGTERM)
    process.wait(timeout=30)
    reader.join(timeout=30)
    process.stdout.close()
    assert still_running
    assert lines == expected
