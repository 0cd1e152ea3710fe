"""The compiled tokenizer (dedup/_tokenizer.py) against the regex reference (dedup.text.tokenize).

Tokens are compared by where they were found (spans into the folded text), by hash (against
``token_hash`` of the reference's normalised token) and by figure flag, on seeded random texts and,
when ../shared/data is present, on all of Reuters-21578 and BBC News.
"""

from __future__ import annotations

import gzip
import json
import multiprocessing
import random
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from dedup import _tokenizer
from dedup.shingles import token_hash
from dedup.text import fold, token_matches

ROOT = Path(__file__).resolve().parent.parent
DATA = ROOT.parent / "shared" / "data"

_PIECES = [
    "U.S.",
    "a.m.",
    "e.g.",
    "A.B.C",
    "u.s.a",
    "5a.b.",
    "No. 10",
    "Mr.",
    "end.The",
    "S.",
    "(NSA).",
    "...",
    "NATO's",
    "it's",
    "don't",
    "'s",
    "rock'n'roll",
    "O'Neil's",
    "it'sx",
    "1990's",
    "''",
    "'",
    "5.93",
    "155,221",
    "2,500",
    "1,234,567",
    "2,50",
    "1,2345",
    "10:30",
    "3/4",
    "1.2.3",
    ",5",
    "5,",
    "12.",
    "1st",
    "2nd",
    "3rd",
    "4th",
    "21st",
    "1stop",
    "1q87",
    "340MW",
    "20km",
    "17kg",
    "5pct",
    "\u20ac17m",
    "$12.4bln",
    "17",
    "m",
    "mn",
    "mln",
    "million",
    "bn",
    "bln",
    "billion",
    "tn",
    "trillion",
    "k",
    "M",
    "MLN",
    "Bn",
    "x_y",
    "_",
    "q1",
    "ChatGPT-owner",
    "`quoted'",
    "--",
    "\u2014",
    "\u201cq\u201d",
    "\u2019s",
    "\u5317\u7ea6",
    "\u6771\u4eac\u3067AI",
    "\u30fb",
    "\u0e01\u0e32\u0e23\u0e53",
    "\u1040\u1041",
    "\u0e53,\u0e54",
    "\u0645\u064f\u062d\u064e\u0645\u0651\u064e\u062f",
    "\u0645\u0640\u062d\u0645\u062f",
    "\u0663\u0664\u0665",
    "\u0130stanbul",
    "ISTANBUL",
    "\u0131",
    "\u0130",
    "Stra\u00dfe",
    "\uff21\uff29",
    "U\uff0eS\uff0e",
    "\ufb01le",
    "\u0438\u0301",
    "\u00bd",
    "\u00b2",
    "\u2167",
    "\u2460",
    "\U0001f600",
    "\U0001f1fa\U0001f1f8",
    "\U00020000",
    "\u00e9",
    "e\u0301",
    "\u0915\u093f",
    "\ud800",
    "\u2028",
    "\u00a0",
    "\u3000",
    "\u200b",
    "\u00ad",
]
_SEPARATORS = [" ", "", "", "\n", "\t", ", ", ".", "'", ":", "-", "  ", "\u00a0"]


def _random_text(rng: random.Random) -> str:
    parts = []
    for _ in range(rng.randint(0, 30)):
        if rng.random() < 0.1:  # any code point at all, now and then
            parts.append(chr(rng.choice([rng.randrange(0x80), rng.randrange(0x3000), rng.randrange(0x110000)])))
        else:
            parts.append(rng.choice(_PIECES))
        parts.append(rng.choice(_SEPARATORS))
    return "".join(parts)


def _assert_same(texts: list[str]) -> None:
    folded = [fold(t) for t in texts]
    starts, ends, offsets = _tokenizer.token_spans(folded)
    hashes, figures, hash_offsets = _tokenizer.token_hashes(folded)
    assert np.array_equal(offsets, hash_offsets)
    matches = [list(token_matches(f)) for f in folded]
    assert np.diff(offsets).tolist() == [len(m) for m in matches]
    flat = [m for doc in matches for m in doc]
    doc_start = np.repeat(np.cumsum([0] + [len(f) for f in folded])[:-1], [len(m) for m in matches])
    assert (starts + doc_start).tolist() == [a + s for (a, _, _), s in zip(flat, doc_start.tolist())]
    assert (ends - starts).tolist() == [b - a for a, b, _ in flat]
    distinct = {t for _, _, t in flat}
    reference = {t: token_hash(t) for t in distinct}  # each distinct token hashed once
    assert hashes.tolist() == [reference[t] for _, _, t in flat]
    assert figures.tolist() == [t[0].isdecimal() for _, _, t in flat]


@pytest.mark.parametrize("seed", range(10))
def test_kernel_equals_the_reference_on_generated_texts(seed):
    rng = random.Random(seed)
    _assert_same([_random_text(rng) for _ in range(300)])


def test_kernel_on_edge_cases():
    texts = [
        "",
        " ",
        "a",
        "7",
        "'s",
        "a's",
        "7's",
        "a'",
        "u.s.",
        "u.s",
        "\u5317.\u4eac.",
        "1,000th",
        "17m",
        "17 m",
        "17  mln",
        "17\u00a0bn",
        "17\nm",
        "17-m",
        "m 17",
        "1.2,345",
        "12,345,67",
        "99,999.5",
        "\u0e53m",
        "_u.s.",
    ]
    _assert_same(texts)
    hashes, figures, offsets = _tokenizer.token_hashes([fold(t) for t in texts])
    assert offsets.tolist()[:3] == [0, 0, 0] and hashes.dtype == np.uint64 and figures.dtype == bool


def _corpus_texts(name: str) -> list[str]:
    path = DATA / name
    if not path.exists():
        pytest.skip(f"{path} is not present (the shared data folder is not on this machine)")
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        return [json.loads(line)["text"] for line in lines]


@pytest.mark.parametrize("name", ["reuters21578.jsonl.gz", "bbc_news.jsonl.gz"])
def test_kernel_equals_the_reference_on_news_corpora(name):
    _assert_same(_corpus_texts(name))


def test_kernel_in_threads_from_an_empty_table(monkeypatch):
    """Worker threads tokenise at once, each filling the shared character-class table as it meets new
    code points: every thread gets the tokens one thread alone gets."""
    from concurrent.futures import ThreadPoolExecutor

    rng = random.Random(7)
    batches = [[fold(_random_text(rng)) for _ in range(200)] for _ in range(16)]
    expected = [_tokenizer.token_hashes(b)[0].tolist() for b in batches]
    for _ in range(3):
        monkeypatch.setattr(_tokenizer, "_tables", None)  # nothing classified yet: every thread races to fill it
        with ThreadPoolExecutor(max_workers=4) as pool:
            got = list(pool.map(lambda b: _tokenizer.token_hashes(b)[0].tolist(), batches))
        assert got == expected


def _child(queue):  # type: ignore[no-untyped-def]
    queue.put(_tokenizer.token_hashes(["ISTANBUL 340MW \u5317\u7ea6"])[0].tolist())


def test_kernel_works_in_a_forked_process():
    expected = _tokenizer.token_hashes(["ISTANBUL 340MW \u5317\u7ea6"])[0].tolist()  # compiled in the parent first
    context = multiprocessing.get_context("fork")
    queue = context.Queue()
    process = context.Process(target=_child, args=(queue,))
    process.start()
    got = queue.get(timeout=60)
    process.join(timeout=60)
    assert process.exitcode == 0 and got == expected


def test_installed_read_only_without_a_writable_cache(tmp_path):
    """An installed (non-editable) package on a read-only file system, no writable cache anywhere:
    numba falls back to compiling in the process; nothing crashes or warns."""
    if shutil.which("unshare") is None or not sys.platform.startswith("linux"):
        pytest.skip("needs Linux and unshare to mount a read-only copy")
    site = tmp_path / "site"
    shutil.copytree(ROOT / "dedup", site / "dedup", ignore=shutil.ignore_patterns("__pycache__"))
    (tmp_path / "home").mkdir()
    code = (
        f"import dedup, dedup._tokenizer as k; assert dedup.__file__.startswith({str(site)!r}); "
        "print(k.token_hashes(['istanbul 340 mw'])[0].tolist())"
    )
    script = (
        f"mount --bind {tmp_path} {tmp_path} && mount -o remount,bind,ro {tmp_path} && "
        f"! touch {tmp_path}/probe 2>/dev/null && "
        f"HOME={tmp_path}/home XDG_CACHE_HOME={tmp_path}/home PYTHONPATH={site} "
        f'{sys.executable} -W error -c "{code}"'
    )
    done = subprocess.run(
        ["unshare", "-m", "sh", "-c", script], capture_output=True, text=True, check=False, cwd=tmp_path
    )
    if done.returncode != 0 and "mount" in done.stderr and "permission" in done.stderr.lower():
        pytest.skip(f"cannot mount a read-only copy here: {done.stderr.strip()[:200]}")
    assert done.returncode == 0, done.stderr
    expected = _tokenizer.token_hashes(["istanbul 340 mw"])[0].tolist()
    assert done.stdout.strip() == str(expected)
