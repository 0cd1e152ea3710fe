import subprocess
import sys

import numpy as np
import pytest

from dedup import ConfigError, Shingler, hash_shingle, shingles
from dedup.shingles import shingle_reference, token_hash

TEXTS = [
    "OpenAI is considering a contract to deploy its AI technology on NATO networks.",
    "",
    "one",
    "two words",
    "date 2026-03-04 The Pentagon said on Tuesday it had no interest.",
    "北约网络 ChatGPT-owner's deal",
    "  \n ",
]


@pytest.mark.parametrize("unit", ["word", "char"])
@pytest.mark.parametrize("size", [1, 2, 3, 5])
def test_vectorised_hashes_equal_the_scalar_reference(unit, size):
    batch = Shingler(unit=unit, size=size).shingle(TEXTS)
    assert len(batch) == len(TEXTS)
    for i, text in enumerate(TEXTS):
        expected = [hash_shingle(s) for s in shingles(text, unit=unit, size=size)]
        assert batch.doc(i).tolist() == expected
    assert batch.hashes.dtype == np.uint32


def test_word_and_char_shingles():
    assert shingles("The Pentagon said", size=2) == [("the", "pentagon"), ("pentagon", "said")]
    assert shingles("Ab, c", unit="char", size=3) == [("a", "b", " "), ("b", " ", "c")]
    assert shingles("short", size=3) == [("short",)]  # shorter than n: one shingle of all of it
    assert shingles("", size=3) == []


def test_metadata_prefix_is_not_shingled():
    assert shingles("date 2026-03-04 OpenAI said", size=1) == [("openai",), ("said",)]


def test_sets_are_sorted_and_unique():
    batch = Shingler(size=1).shingle(["a b a b c", "c c"]).sets()
    for i in range(2):
        doc = batch.doc(i)
        assert np.all(np.diff(doc.astype(np.int64)) > 0)
    assert np.diff(batch.offsets).tolist() == [3, 1]


def test_hashes_are_stable_across_processes():
    # Python's hash() is salted per process; ours must not be.
    code = "from dedup import hash_shingle; print(hash_shingle(('north', 'atlantic', 'treaty')))"
    out = {
        subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
        for _ in range(2)
    }
    assert out == {f"{hash_shingle(('north', 'atlantic', 'treaty'))}\n"}
    # Pinned: cp64-fmix of the code points (dedup.shingles.token_hash), the same on every machine.
    assert token_hash("nato") == 0x6D6E74026B59DD43
    assert token_hash("") == 0xEFD01F60BA992926 and token_hash("\u5317") == 0x6200342BA1E89B26


@pytest.mark.parametrize("unit", ["word", "char"])
@pytest.mark.parametrize("size", [1, 2, 5])
def test_kernel_batches_equal_the_regex_reference(unit, size):
    texts = [*TEXTS, "$12.4bln for 2,500 MW", "\u0130stanbul'da U\uff0eS\uff0e", "1,234,567 m"]
    fast, fast_figures = Shingler(unit=unit, size=size).shingle_with_figures(texts)
    slow, slow_figures = shingle_reference(texts, unit=unit, size=size)
    for a, b in ((fast, slow), (fast_figures, slow_figures)):
        assert a.hashes.tolist() == b.hashes.tolist() and a.offsets.tolist() == b.offsets.tolist()
    assert len(fast_figures.doc(len(texts) - 3)) == 2  # 12.4 and 2500


def test_figures_ignore_thousands_separators_and_scale_spelling():
    _, figures = Shingler(size=2).shingle_with_figures(["2,500 tonnes for $17m", "2500 tonnes for 17 million dollars"])
    assert figures.doc(0).tolist() == figures.doc(1).tolist()
    assert figures.doc(0).tolist() == sorted({token_hash("2500") >> 32, token_hash("17") >> 32})


def test_shingle_reference_validates_its_settings():
    with pytest.raises(ConfigError, match="shingle size"):
        shingle_reference(["a"], size=0)


def _lead_terms_reference(text: str, window: int) -> list[int]:
    """The lead terms of one text the slow way: its first ``window`` regex tokens, figures left out, each
    distinct word once in the order it first occurs, as the low 32 bits of its token hash."""
    from dedup.shingles import content
    from dedup.text import fold, tokenize

    seen: list[int] = []
    for token in tokenize(fold(content(text)), normalized=True)[:window]:
        if token[0].isdecimal():
            continue
        low = token_hash(token) & 0xFFFFFFFF
        if low not in seen:
            seen.append(low)
    return seen


@pytest.mark.parametrize("window", [1, 3, 8, 200, 1000])
def test_lead_terms_equal_the_slow_reference(window):
    texts = [
        "The Pentagon said 12 jets flew. The Pentagon denied it, the Pentagon said.",
        "",
        "12 34 5.6",
        "北京今天下雨了 Apple apple APPLE 2,500 dlrs",
        "date 2026-03-04 Metadata is left out, as the shingles leave it out.",
        *(" ".join(f"w{(i * 7 + j) % 23}" for j in range(300)) for i in range(3)),  # repeats, past the window
    ]
    got = Shingler(unit="word", size=2).shingle_all(texts, lead_window=window)
    assert got.terms.hashes.dtype == np.uint32 and len(got.terms) == len(texts)
    for i, text in enumerate(texts):
        assert got.terms.doc(i).tolist() == _lead_terms_reference(text, window)
    plain = Shingler(unit="word", size=2).shingle_with_figures(texts)
    for mine, theirs in ((got.shingles, plain[0]), (got.figures, plain[1])):  # the other outputs are unchanged
        assert np.array_equal(mine.hashes, theirs.hashes) and np.array_equal(mine.offsets, theirs.offsets)
