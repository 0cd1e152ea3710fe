"""The public API inside its error tree: a wrong argument is a DedupError that is also the builtin a caller
would catch (TypeError for a wrong type, ValueError for a wrong value), with a message saying what was expected."""

from __future__ import annotations

import decimal
import fractions

import numpy as np
import pytest

import dedup
from dedup import ArgumentTypeError, ConfigError, DedupError

WRONG_TYPES = {
    "render_terminal(None)": lambda: dedup.render_terminal(None),
    "render_html('x')": lambda: dedup.render_html("x"),
    "render_json(1)": lambda: dedup.render_json(1),
    "Deduplicator(index=5)": lambda: dedup.Deduplicator(index=5),
    "open_index(5)": lambda: dedup.open_index(5),
    "tokenize(bytes)": lambda: dedup.tokenize(b"abc"),
    "normalize(None)": lambda: dedup.normalize(None),
    "split_sentences(3)": lambda: dedup.split_sentences(3),
    "metadata_prefix(None)": lambda: dedup.metadata_prefix(None),
    "shingles(bytes)": lambda: dedup.shingles(b"a b c"),
    "hash_shingle(3)": lambda: dedup.hash_shingle(3),
    "find_duplicates(None)": lambda: dedup.find_duplicates(None),
    "find_duplicates(5)": lambda: dedup.find_duplicates(5),
    "find_duplicates('a string')": lambda: dedup.find_duplicates("some text"),
    "read_feed(bytes)": lambda: list(dedup.read_feed(b"x.jsonl")),
    "load_articles(None)": lambda: dedup.load_articles(None),
    "minhash_signatures(None)": lambda: dedup.minhash_signatures(None),
    "to_datasketch(None)": lambda: dedup.to_datasketch(None),
    "word_diff(1, 2)": lambda: dedup.word_diff(1, 2),
    "align(1, 'b')": lambda: dedup.align(1, "b"),
    "compare('a', None)": lambda: dedup.compare("a", None),
}


@pytest.mark.parametrize("name", list(WRONG_TYPES))
def test_a_wrong_type_is_a_dedup_error_and_a_type_error(name):
    with pytest.raises(DedupError) as caught:
        WRONG_TYPES[name]()
    assert isinstance(caught.value, (TypeError, ValueError)), type(caught.value).__mro__
    message = str(caught.value)
    assert "must be" in message or "expected" in message, message
    if name in ("tokenize(bytes)", "shingles(bytes)"):
        assert isinstance(caught.value, ArgumentTypeError) and "decode it first" in message


@pytest.mark.parametrize(
    "call",
    [
        lambda: dedup.shingles("a b c", size=0),
        lambda: dedup.shingles("a b c", unit="x"),
        lambda: dedup.DedupConfig(block_size=10**12),
        lambda: dedup.DedupConfig(bucket_limit=10**9),
    ],
)
def test_values_out_of_bounds_are_config_errors(call):
    with pytest.raises(ConfigError):
        call()


@pytest.mark.parametrize("number", [decimal.Decimal("0.5"), fractions.Fraction(1, 2), np.float32(0.5), np.float64(0.5)])
def test_settings_take_any_real_number_and_store_plain_ones(number):
    config = dedup.DedupConfig(
        threshold=number, num_perm=np.int64(64), lsh_weights=[np.float32(0.25), decimal.Decimal("0.75")]
    )
    assert config.threshold == 0.5 and type(config.threshold) is float
    assert config.num_perm == 64 and type(config.num_perm) is int
    assert config.lsh_weights == (0.25, 0.75) and all(type(w) is float for w in config.lsh_weights)
    assert config == dedup.DedupConfig(threshold=0.5, num_perm=64, lsh_weights=(0.25, 0.75))


def test_bands_for_the_most_permutations_allowed():
    """num_perm=16384 (the upper bound) used to spend minutes choosing bands (about 3 s now, 256 nodes)."""
    from dedup.candidates import lsh_params

    bands, rows = lsh_params(0.2, num_perm=16384)
    assert bands * rows <= 16384 and bands > 1 and rows > 1
