"""Real `dedup` processes for the CLI tests: started with pipes, finished with a timeout that fails the test."""

from __future__ import annotations

import subprocess
import sys

import pytest

from .conftest import ROOT

DEDUP = [sys.executable, "-m", "dedup"]


def start(*args: object, stdin: int | None = subprocess.DEVNULL) -> subprocess.Popen:
    return subprocess.Popen(
        [*DEDUP, *map(str, args)], stdin=stdin, stdout=subprocess.PIPE, stderr=subprocess.PIPE, cwd=ROOT, text=True
    )


def finish(proc: subprocess.Popen, input: str | None = None, timeout: float = 120) -> subprocess.CompletedProcess:
    try:
        out, err = proc.communicate(input, timeout=timeout)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.communicate()
        pytest.fail(f"{proc.args} did not finish within {timeout} s")
    return subprocess.CompletedProcess(proc.args, proc.returncode, out, err)
