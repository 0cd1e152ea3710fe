import subprocess
import sys

import numpy as np
import pytest

from dedup import Shingler, hash_shingle, shingles
from dedup.shingles import token_hash

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
    out = {subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout for _ in range(2)}
    assert out == {f"{hash_shingle(('north', 'atlantic', 'treaty'))}\n"}
    # Pinned: BLAKE2b-64 of the UTF-8 bytes, little-endian, the same on every machine.
    assert token_hash("nato") == 0xE425A6DAC5160B0C
