"""The bad-input table of docs/cli.md, case by case, through the real command (`python -m dedup find`).

With ``--on-error skip`` every record gets exactly one output line, in input order, and no traceback
is printed; a fault of the whole file is one line naming it and exit 1.
"""

from __future__ import annotations

import gzip
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from .conftest import ROOT


def _run(*args: str, cwd: Path, **kw: object) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "dedup", "find", *args],
        capture_output=True,
        cwd=cwd,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
        **kw,
    )


def _reading(pid: int, path: Path) -> bool:
    """Whether process ``pid`` has ``path`` open (Linux /proc)."""
    try:
        return any(os.readlink(f"/proc/{pid}/fd/{fd}") == str(path) for fd in os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return False


def _lines(done: subprocess.CompletedProcess) -> list[dict]:
    return [json.loads(line) for line in done.stdout.decode("utf-8").splitlines()]


def _ok(done: subprocess.CompletedProcess) -> list[dict]:
    assert done.returncode == 0 and b"Traceback" not in done.stderr, done.stderr.decode()
    return _lines(done)


RECORDS = [  # (raw line, what becomes of it)
    (b'{"id": "good", "text": "A plain record with enough words to shingle."}', "unique"),
    (b'{"id": "latin", "text": "caf\xe9 au lait"}', "rejected"),  # invalid UTF-8
    (b'{"id": "nul", "text": "a NUL \\u0000 escaped in JSON is text like any other"}', "unique"),
    (b'{"id": "rawnul", "text": "a raw \x00 byte in a JSON string"}', "rejected"),  # control character
    (b"[1, 2, 3]", "rejected"),  # not an object
    (b'"just a string"', "rejected"),
    (b'{"id": 12345678901234567890123, "text": "a numeric id, kept as its digits"}', "unique"),
    (b'{"id": "", "text": "an empty id"}', "rejected"),
    (b'{"id": null, "text": "a null id"}', "rejected"),
    (b'{"id": "notext", "title": "no text field"}', "rejected"),
    (b'{"id": "deep", "text": ' + b"[" * 50_000 + b"]" * 50_000 + b"}", "rejected"),
    (b'{"id": "date", "text": "a bad date", "published": "last Tuesday"}', "rejected"),
    (b'{"id": "rss", "text": "an RSS date", "published": "Tue, 04 Mar 2026 09:30:00 GMT"}', "unique"),
    (b'{"id": "good", "text": "the same id again"}', "rejected"),
    (b"{not json", "rejected"),
]


def test_every_bad_record_is_one_line_in_its_place(tmp_path):
    feed = tmp_path / "feed.jsonl"
    feed.write_bytes(b"\n".join(raw for raw, _ in RECORDS) + b"\n")
    lines = _ok(_run(str(feed), "--on-error", "skip", "-q", cwd=tmp_path))
    assert [v["status"] for v in lines] == [want for _, want in RECORDS]
    for k, v in enumerate(lines):
        if v["status"] == "rejected":
            assert f"line {k + 1}:" in v["reason"], v
    stopped = _run(str(feed), "-q", cwd=tmp_path)  # --on-error stop: the first bad record, one line, exit 1
    assert stopped.returncode == 1 and b"line 2:" in stopped.stderr and len(stopped.stderr.splitlines()) == 1


def test_a_50_mb_record_is_read_and_verified(tmp_path):
    text = " ".join(f"w{k % 5000}" for k in range(8_700_000))  # about 50 MB
    feed = tmp_path / "feed.jsonl"
    feed.write_text(
        json.dumps({"id": "huge", "text": text}) + "\n" + json.dumps({"id": "small", "text": "small"}) + "\n",
        encoding="utf-8",
    )
    assert feed.stat().st_size > 45e6
    assert [v["id"] for v in _ok(_run(str(feed), "-q", cwd=tmp_path))] == ["huge", "small"]


def test_gzip_truncated_and_a_folder_named_like_a_feed(tmp_path):
    rows = "".join(json.dumps({"id": str(k), "text": f"story {k} of the wire today"}) + "\n" for k in range(2000))
    data = gzip.compress(rows.encode())
    cut = tmp_path / "cut.jsonl.gz"
    cut.write_bytes(data[: len(data) // 2])
    lines = _ok(_run(str(cut), "--on-error", "skip", "-q", cwd=tmp_path))
    assert lines[-1]["status"] == "rejected" and "truncated or corrupt gzip" in lines[-1]["reason"]
    folder = tmp_path / "x.jsonl"  # a directory that looks like a feed: read as a folder of .txt files
    folder.mkdir()
    (folder / "one.txt").write_text("An article in a text file.", encoding="utf-8")
    (folder / "loop").symlink_to(folder, target_is_directory=True)
    assert [v["id"] for v in _ok(_run(str(folder), "-q", cwd=tmp_path))] == ["one.txt"]


@pytest.mark.parametrize(
    "name, body, message",
    [
        ("utf16.jsonl", '{"id": "a", "text": "b"}\n'.encode("utf-16"), "the file is UTF-16"),
        ("missing.jsonl", None, "no such file or folder"),
        ("feed.xml", b"<rss/>", "unknown feed format"),
    ],
)
def test_a_bad_file_is_one_line_naming_it(tmp_path, name, body, message):
    path = tmp_path / name
    if body is not None:
        path.write_bytes(body)
    done = _run(str(path), "--on-error", "skip", "-q", cwd=tmp_path)
    err = done.stderr.decode()
    assert done.returncode == 1 and message in err and name in err and "Traceback" not in err
    assert len(err.strip().splitlines()) == 1


def test_sigpipe_and_ctrl_c(tmp_path):
    rows = "".join(json.dumps({"id": str(k), "text": f"story {k} about item {k * 3}"}) + "\n" for k in range(30_000))
    feed = tmp_path / "feed.jsonl"
    feed.write_text(rows, encoding="utf-8")
    piped = subprocess.run(
        f'"{sys.executable}" -m dedup find "{feed}" | head -n 1',
        shell=True,
        capture_output=True,
        cwd=tmp_path,
        timeout=300,
        check=False,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    assert piped.returncode == 0 and len(piped.stdout.splitlines()) == 1 and b"Traceback" not in piped.stderr
    out = tmp_path / "out.jsonl"
    out.write_text("yesterday's results\n", encoding="utf-8")
    big = tmp_path / "big.jsonl"
    big.write_text(rows * 20, encoding="utf-8")  # 600,000 records (ids repeated: rejected), seconds to read
    proc = subprocess.Popen(
        [sys.executable, "-m", "dedup", "find", str(big), "--on-error", "skip", "-o", str(out), "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 120
    while not _reading(proc.pid, big) and time.monotonic() < deadline:  # past the imports: the feed is open
        time.sleep(0.02)
    time.sleep(0.2)
    proc.send_signal(signal.SIGINT)
    _, err = proc.communicate(timeout=300)
    assert proc.returncode == 130 and b"interrupted" in err and b"Traceback" not in err
    assert out.read_text(encoding="utf-8") == "yesterday's results\n"  # -o untouched by the interrupted run
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".partial")]


def test_a_run_killed_with_sigkill_leaves_an_existing_output_whole(tmp_path):
    """-o is written beside the target and renamed only at the end: SIGKILL in the middle leaves the old file."""
    rows = "".join(json.dumps({"id": str(k), "text": f"story {k} about item {k * 3}"}) + "\n" for k in range(600_000))
    big = tmp_path / "big.jsonl"
    big.write_text(rows, encoding="utf-8")
    out = tmp_path / "out.jsonl"
    out.write_text("yesterday's results\n", encoding="utf-8")
    proc = subprocess.Popen(
        [sys.executable, "-m", "dedup", "find", str(big), "-o", str(out), "-q"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        cwd=tmp_path,
        env={**os.environ, "PYTHONPATH": str(ROOT)},
    )
    deadline = time.monotonic() + 240
    partial: list[Path] = []
    while not partial and proc.poll() is None and time.monotonic() < deadline:  # until the writing has begun
        partial = [p for p in tmp_path.iterdir() if p.name.endswith(".partial") and p.stat().st_size > 0]
        time.sleep(0.005)
    proc.kill()
    proc.communicate(timeout=60)
    assert partial and proc.returncode == -signal.SIGKILL, "the run ended before its output was being written"
    assert out.read_text(encoding="utf-8") == "yesterday's results\n"  # a direct write would have truncated it
