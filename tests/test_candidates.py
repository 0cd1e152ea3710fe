"""The candidate stage: bands and rows, band keys, bounded bucket pairs (batch and against stored members).

The fast paths are checked against slow references written here: every pair of every band for
the unbounded case, and a per-bucket walk in input order for the bounded one.
"""

from __future__ import annotations

import datasketch
import numpy as np
import pytest

from dedup.candidates import band_keys, batch_candidates, candidate_chunks, candidates_from_keys, lsh_params


@pytest.mark.parametrize("num_perm", [32, 128, 256])
@pytest.mark.parametrize("threshold", [0.1, 0.2, 0.35, 0.5, 0.8])
def test_bands_and_rows_match_datasketch(threshold, num_perm):
    lsh = datasketch.MinHashLSH(threshold=threshold, num_perm=num_perm)
    assert lsh_params(threshold, num_perm=num_perm) == (lsh.b, lsh.r)


def _brute_force(sig, bands, rows):
    n = sig.shape[0]
    found = set()
    for i in range(n):
        for j in range(i + 1, n):
            if any(
                np.array_equal(sig[i, k * rows : (k + 1) * rows], sig[j, k * rows : (k + 1) * rows])
                for k in range(bands)
            ):
                found.add((i, j))
    return found


def _bounded_reference(keys: np.ndarray, limit: int) -> tuple[set[tuple[int, int]], int]:
    """Walk the documents in order; each meets the ``limit`` latest members of its bucket in every band."""
    found: set[tuple[int, int]] = set()
    capped = 0
    for band in range(keys.shape[1]):
        buckets: dict[int, list[int]] = {}
        for j in range(keys.shape[0]):
            key = int(keys[j, band])
            if key == 0:
                continue
            members = buckets.setdefault(key, [])
            found.update((i, j) for i in members[-limit:])
            members.append(j)
        capped += sum(len(m) > limit + 1 for m in buckets.values())
    return found, capped


def _collisions(seed: int, n: int = 60, num_perm: int = 12) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 3, size=(n, num_perm), dtype=np.uint32)  # few values: large buckets


@pytest.mark.parametrize("seed", range(4))
def test_batch_candidates_equal_brute_force(seed):
    sig = _collisions(seed, n=40)
    pairs = batch_candidates(sig, bands=4, rows=3)
    assert {tuple(p) for p in pairs.tolist()} == _brute_force(sig, 4, 3)
    assert np.all(pairs[:, 0] < pairs[:, 1])


@pytest.mark.parametrize("limit", [1, 2, 5, 17])
@pytest.mark.parametrize("seed", range(3))
def test_bounded_pairs_equal_the_reference(seed, limit):
    keys = band_keys(_collisions(seed), bands=6, rows=2)
    keys[[3, 11]] = 0  # two empty documents
    stream = candidate_chunks(keys, limit=limit)
    pairs = np.concatenate(list(stream))
    expected, capped = _bounded_reference(keys, limit)
    assert {tuple(p) for p in pairs.tolist()} == expected
    assert pairs.shape[0] == len(expected)  # each pair exactly once
    assert stream.candidates == len(expected) and stream.capped_buckets == capped
    assert capped > 0 or limit > 10
    assert not np.isin(pairs, [3, 11]).any()


@pytest.mark.parametrize("chunk_pairs", [1, 7, 100, 1 << 20])
def test_chunk_size_does_not_change_the_pairs(chunk_pairs):
    keys = band_keys(_collisions(5, n=80), bands=6, rows=2)
    whole = candidates_from_keys(keys, limit=4)
    chunks = list(candidate_chunks(keys, limit=4, chunk_pairs=chunk_pairs))
    assert all(c.shape[0] <= 2 * chunk_pairs + 4 for c in chunks)  # a chunk: at most twice chunk_pairs + limit
    got = np.concatenate(chunks)
    assert got.shape == whole.shape
    assert np.array_equal(got[np.lexsort((got[:, 1], got[:, 0]))], whole)


def test_pairs_grow_with_the_feed_not_its_square():
    keys = np.ones((2000, 5), np.uint64)  # one bucket per band holding every document
    stream = candidate_chunks(keys, limit=8, chunk_pairs=500)
    sizes = [c.shape[0] for c in stream]
    assert sum(sizes) == sum(min(j, 8) for j in range(2000))  # one band pairs them; the others repeat it
    assert max(sizes) <= 500 + 8 * 2000 and stream.capped_buckets == 5


def test_empty_documents_are_never_candidates():
    sig = np.full((3, 8), 0xFFFFFFFF, dtype=np.uint32)
    assert batch_candidates(sig, bands=4, rows=2).shape == (0, 2)


@pytest.mark.parametrize("limit", [1, 3, None])
def test_new_from_pairs_only_the_new_documents(limit):
    """candidate_chunks(new_from=k) is the full rule's pairs whose later member is new, each once."""
    rng = np.random.default_rng(7)
    for _ in range(100):
        n = int(rng.integers(2, 60))
        keys = rng.integers(0, 4, size=(n, 3)).astype(np.uint64)
        keys[rng.random(n) < 0.1] = 0
        new_from = int(rng.integers(0, n))
        full = candidates_from_keys(keys, limit=limit)
        parts = list(candidate_chunks(keys, limit=limit, new_from=new_from, chunk_pairs=3))
        got = np.concatenate(parts) if parts else np.empty((0, 2), np.int64)
        assert len({tuple(p) for p in got.tolist()}) == got.shape[0]
        assert {tuple(p) for p in got.tolist()} == {tuple(p) for p in full.tolist() if p[1] >= new_from}


def test_limit_is_validated():
    with pytest.raises(ValueError, match="limit must be >= 1"):
        candidate_chunks(np.ones((3, 2), np.uint64), limit=0)


def test_the_one_pass_for_small_inputs_is_the_per_band_stream(monkeypatch):
    """Below _SMALL documents x bands all bands are paired at once; above, band by band: the same pairs and counts."""
    from dedup import candidates

    rng = np.random.default_rng(3)
    for _ in range(200):
        n, bands = int(rng.integers(2, 200)), int(rng.integers(1, 6))
        keys = rng.integers(0, 5, size=(n, bands)).astype(np.uint64)
        keys[rng.random(n) < 0.1] = 0
        limit, new_from = int(rng.integers(1, 6)), int(rng.integers(0, n))
        got = []
        for small in (1 << 30, 0):
            monkeypatch.setattr(candidates, "_SMALL", small)
            stream = candidate_chunks(keys, limit=limit, new_from=new_from, chunk_pairs=7)
            pairs = np.concatenate(list(stream) or [np.empty((0, 2), np.int64)])
            got.append(({tuple(p) for p in pairs.tolist()}, pairs.shape[0], stream.candidates, stream.capped_buckets))
        assert got[0] == got[1] and got[0][1] == len(got[0][0])


@pytest.mark.parametrize("threshold", [0.1, 0.35, 0.8])
def test_bands_for_large_num_perm_are_those_of_the_exact_integration(threshold):
    """Above 508 permutations the integration uses 256 nodes instead of num_perm // 2 + 2: the same choice."""
    from dedup.candidates import _optimal

    assert _optimal(threshold, 1024, 0.5, 0.5) == _optimal(threshold, 1024, 0.5, 0.5, nodes_max=1 << 20)
