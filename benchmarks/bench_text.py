"""The text stage alone: texts in, shingle hashes and figure sets out, CPU time, three implementations.

- **before**: the implementation up to commit 9197880, frozen below: Python ``re`` tokens, a dict
  vocabulary looked up per token, BLAKE2b-64 per new distinct token (old token rules);
- **reference**: :func:`dedup.shingles.shingle_reference`, the regex tokens of ``dedup.tokenize`` (the
  current rules) with a ``token_hash`` call per token: the slow, obviously correct path;
- **kernel**: ``Shingler.shingle_with_figures``, the compiled tokenizer (``dedup/_tokenizer.py``).

Each is given the texts in chunks of 4,096 as ``find_duplicates`` does (word 2-grams, the default),
with the garbage collector on; CPU time (``time.process_time``) of one process, medians of
``--repeat`` rounds, the implementations alternating within a round. The kernel is compiled (or
loaded from numba's cache) before timing. Throughput is MB of UTF-8 text per CPU second.

    python benchmarks/bench_text.py --corpus ../shared/data/reuters21578.jsonl.gz --repeat 5 --json /tmp/bench/text.json
"""

from __future__ import annotations

import hashlib
import re
import shlex
import sys
import time
import unicodedata
from collections.abc import Callable, Sequence
from itertools import chain
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import numpy as np
from _common import base_parser, code_revision, get_corpus, median, platform_line, print_platform, table, write_json

from dedup import _kernels
from dedup.shingles import ShingleBatch, Shingler, content, shingle_reference

CHUNK = 4096
SIZE = 2

# ---------------------------------------------------------------------------------------------
# "before": dedup's text stage as it was at 9197880, for the baseline (do not change)
# ---------------------------------------------------------------------------------------------

_OLD_FOLD = str.maketrans(
    {
        "\u2018": "'",
        "\u2019": "'",
        "\u201a": "'",
        "\u201b": "'",
        "\u2032": "'",
        "\u00b4": "'",
        "\u0060": "'",
        "\u201c": '"',
        "\u201d": '"',
        "\u201e": '"',
        "\u201f": '"',
        "\u2033": '"',
        "\u00ab": '"',
        "\u00bb": '"',
        "\u2039": '"',
        "\u203a": '"',
        "\u300c": '"',
        "\u300d": '"',
        "\u2010": "-",
        "\u2011": "-",
        "\u2012": "-",
        "\u2013": "-",
        "\u2014": "-",
        "\u2015": "-",
        "\u2212": "-",
        "\u00ad": None,
        "\u200b": None,
        "\u200c": None,
        "\u200d": None,
        "\u2060": None,
        "\ufeff": None,
    }
)
_OLD_CJK = "\u3040-\u30ff\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u3005\u3006\u3007\u0e00-\u0e7f\u0e80-\u0eff\u1000-\u109f\u1780-\u17ff"
_OLD_TOKEN_RE = re.compile(
    r"((?<!\w)[^\W\d_]\.[^\W\d_]\.(?:[^\W\d_]\.)*(?![^\W\d_])"
    rf"|[{_OLD_CJK}]"
    rf"|\d+(?:[.,:]\d+)*(?:[^\W\d_{_OLD_CJK}]+)?"
    rf"|[^\W\d_{_OLD_CJK}][^\W_{_OLD_CJK}]*(?:'(?!s\b)[^\W_{_OLD_CJK}]+)*)"
    r"(?:'s\b)?"
)
_OLD_TOKEN_ASCII_RE = re.compile(
    r"((?<!\w)[a-zA-Z]\.[a-zA-Z]\.(?:[a-zA-Z]\.)*(?![a-zA-Z])"
    r"|[0-9]+(?:[.,:][0-9]+)*(?:[a-zA-Z]+)?|[a-zA-Z][a-zA-Z0-9]*(?:'(?!s\b)[a-zA-Z0-9]+)*)(?:'s\b)?",
    re.ASCII,
)


def _old_fold(text: str) -> str:
    if text.isascii():
        text = text.lower()
        return text.replace("`", "'") if "`" in text else text
    return unicodedata.normalize("NFKC", text).casefold().translate(_OLD_FOLD)


def _old_undot(token: str) -> str:
    return token.replace(".", "") if "." in token and not token[0].isdecimal() else token


def _old_hash(token: str) -> int:
    return int.from_bytes(hashlib.blake2b(token.encode("utf-8"), digest_size=8).digest(), "little")


class BeforeShingler:
    """The word path of ``Shingler.shingle_with_figures`` at 9197880 (regex, dict vocabulary, BLAKE2b)."""

    def __init__(self, size: int) -> None:
        self.size = size
        self._index: dict[str, int] = {}
        self._words: list[str] = []
        self._hashes = np.empty(0, np.uint64)
        self._numeric = np.empty(0, bool)

    def shingle_with_figures(self, texts: Sequence[str]) -> tuple[ShingleBatch, ShingleBatch]:
        token_lists = []
        for t in texts:
            folded = _old_fold(content(t))
            token_lists.append((_OLD_TOKEN_ASCII_RE if folded.isascii() else _OLD_TOKEN_RE).findall(folded))
        lengths = np.fromiter(map(len, token_lists), dtype=np.int64, count=len(token_lists))
        offsets = np.concatenate(([0], np.cumsum(lengths))).astype(np.int64)
        flat = list(chain.from_iterable(token_lists))
        new = set(flat).difference(self._index)
        if new:
            start = len(self._words)
            for raw in new:
                word = _old_undot(raw)
                if word not in self._index:
                    self._index[word] = len(self._words)
                    self._words.append(word)
                self._index[raw] = self._index[word]
            added = self._words[start:]
            self._hashes = np.concatenate((self._hashes, np.fromiter(map(_old_hash, added), np.uint64, len(added))))
            self._numeric = np.concatenate(
                (self._numeric, np.fromiter((t[0].isdecimal() for t in added), bool, len(added)))
            )
        ids = np.fromiter(map(self._index.__getitem__, flat), dtype=np.int64, count=len(flat))
        hashes, shingle_offsets = _kernels.ngram_hashes(self._hashes[ids], offsets, self.size)
        numeric = self._numeric[ids]
        doc_of = np.repeat(np.arange(len(texts)), lengths)
        counts = np.bincount(doc_of[numeric], minlength=len(texts))
        figures = ShingleBatch(
            (self._hashes[ids[numeric]] >> np.uint64(32)).astype(np.uint32),
            np.concatenate(([0], np.cumsum(counts))).astype(np.int64),
        )
        return ShingleBatch(hashes, shingle_offsets), figures.sets()


# ---------------------------------------------------------------------------------------------


def _runners() -> dict[str, Callable[[list[str]], int]]:
    def before(texts: list[str]) -> int:
        shingler = BeforeShingler(SIZE)  # one per find_duplicates call, as it was
        return sum(
            len(shingler.shingle_with_figures(texts[i : i + CHUNK])[0].hashes) for i in range(0, len(texts), CHUNK)
        )

    def reference(texts: list[str]) -> int:
        return sum(
            len(shingle_reference(texts[i : i + CHUNK], size=SIZE)[0].hashes) for i in range(0, len(texts), CHUNK)
        )

    def kernel(texts: list[str]) -> int:
        shingler = Shingler(unit="word", size=SIZE)
        return sum(
            len(shingler.shingle_with_figures(texts[i : i + CHUNK])[0].hashes) for i in range(0, len(texts), CHUNK)
        )

    return {"before": before, "reference": reference, "kernel": kernel}


def _same_as_reference(texts: list[str]) -> bool:
    """Whether the kernel's shingles and figures equal the reference's on these texts."""
    a, fa = Shingler(unit="word", size=SIZE).shingle_with_figures(texts)
    b, fb = shingle_reference(texts, size=SIZE)
    return all(
        np.array_equal(x, y)
        for x, y in ((a.hashes, b.hashes), (a.offsets, b.offsets), (fa.hashes, fb.hashes), (fa.offsets, fb.offsets))
    )


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    args = base_parser(__doc__.split("\n\n")[0], repeat=5).parse_args(argv)
    print_platform()
    revision = code_revision()
    print(f"# dedup at {revision}")
    docs, description = get_corpus(args)
    command = shlex.join(["python", "benchmarks/bench_text.py", *argv])
    texts = [d["text"] for d in docs]
    megabytes = sum(len(t.encode("utf-8")) for t in texts) / 1e6
    print(f"# {description} ({megabytes:.1f} MB of text); {args.repeat} rounds")

    runners = _runners()
    runners["kernel"](texts[:10])  # compile, or load from numba's cache
    seconds: dict[str, list[float]] = {name: [] for name in runners}
    shingles: dict[str, int] = {}
    for _ in range(args.repeat):
        for name, run in runners.items():
            start = time.process_time()
            shingles[name] = run(texts)
            seconds[name].append(time.process_time() - start)
    med = {name: median(values) for name, values in seconds.items()}
    same = _same_as_reference(texts)
    rows = [
        [
            name,
            f"{med[name]:.3f}",
            f"{megabytes / med[name]:.1f}" if med[name] > 0 else "—",
            f"{med['before'] / med[name]:.1f}×" if med[name] > 0 else "—",
            f"{shingles[name]:,}",
        ]
        for name in runners
    ]
    speedup = med["before"] / med["kernel"] if med["kernel"] > 0 else 0.0
    blocks = [
        (
            f"Text stage (texts to word {SIZE}-gram hashes and figure sets, chunks of {CHUNK:,}) on {description}, "
            f"{megabytes:.1f} MB; CPU seconds, medians of {args.repeat} rounds. {platform_line()}."
        ),
        table(rows, ["implementation", "median CPU s", "MB/s", "speed-up over before", "shingles"]),
        (
            f"Kernel {speedup:.1f}× faster than before; kernel shingles and figures identical to the reference: "
            f"{'yes' if same else 'NO'}. `{command}`"
        ),
    ]
    markdown = "\n\n".join(blocks)
    print(markdown)
    write_json(
        args.json,
        {
            "command": command,
            "revision": revision,
            "platform": platform_line(),
            "corpus": description,
            "n_docs": len(texts),
            "megabytes": megabytes,
            "seconds": seconds,
            "median_seconds": med,
            "mb_per_second": {k: megabytes / v if v > 0 else None for k, v in med.items()},
            "speedup": speedup,
            "kernel_equals_reference": same,
            "shingles": shingles,
            "markdown": markdown,
        },
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
