"""The compiled fast paths of the candidate and verify stages against their numpy references, bit for bit."""

from __future__ import annotations

import numpy as np
import pytest

from dedup import _batch_verify, _kernels, _pair_kernels, find_duplicates
from dedup._batch_verify import _Chunks
from dedup.candidates import _emitted_before, band_keys, candidate_chunks
from dedup.shingles import ShingleBatch, Shingled
from dedup.store.base import _take


def _random_sets(rng: np.random.Generator, n: int, universe: int, max_size: int) -> ShingleBatch:
    parts = [np.unique(rng.integers(0, universe, rng.integers(0, max_size + 1))).astype(np.uint32) for _ in range(n)]
    sizes = np.array([p.shape[0] for p in parts], np.int64)
    hashes = np.concatenate(parts or [np.empty(0, np.uint32)])
    return ShingleBatch(hashes, np.concatenate(([0], np.cumsum(sizes))).astype(np.int64))


def _random_pairs(rng: np.random.Generator, n: int, m: int) -> np.ndarray:
    pairs = np.sort(rng.integers(0, n, (m, 2)), axis=1)
    return pairs[pairs[:, 0] < pairs[:, 1]]


@pytest.mark.parametrize("universe", [20, 1000, 2**32 - 1])
def test_intersections_match_the_sorting_reference(universe: int) -> None:
    rng = np.random.default_rng(universe)
    sets = _random_sets(rng, 300, universe, 40)
    pairs = _random_pairs(rng, 300, 3000)
    weights = rng.random(sets.hashes.shape[0]) * 7.3
    ref_inter, ref_w = _kernels.pair_intersections(sets.hashes, sets.offsets, weights, pairs, chunk_elements=512)
    inter, inter_w = _pair_kernels.weighted_intersections(sets.hashes, sets.offsets, weights, pairs)
    assert np.array_equal(inter, ref_inter)
    assert np.array_equal(inter_w.view(np.uint64), ref_w.view(np.uint64))  # the same bits, not just close
    assert np.array_equal(_pair_kernels.intersections(sets.hashes, sets.offsets, pairs), ref_inter)


def _near_copies(rng: np.random.Generator, sets: ShingleBatch) -> ShingleBatch:
    """Every other document a copy of the one before it less a few of its elements."""
    docs = [sets.hashes[sets.offsets[d] : sets.offsets[d + 1]] for d in range(len(sets))]
    for d in range(1, len(docs), 2):
        prev = docs[d - 1]
        docs[d] = prev[rng.random(prev.shape[0]) < 0.85]
    sizes = np.array([x.shape[0] for x in docs], np.int64)
    return ShingleBatch(np.concatenate(docs), np.concatenate(([0], np.cumsum(sizes))).astype(np.int64))


@pytest.mark.parametrize("threshold", [0.0, 0.3, 0.5, 0.7, 0.8, 0.85, 0.9, 1.0])
@pytest.mark.parametrize("universe, size", [(12, 10), (2**32 - 1, 30), (300, 200)])
def test_figures_agree_as_the_agreement_against_its_threshold(threshold: float, universe: int, size: int) -> None:
    """Small universe: every agreement from 0 to 1; large: random figures and near-copies; 300 of 200: full sketches."""
    from dedup.verify import fact_agreement

    rng = np.random.default_rng(int(threshold * 100) + size)
    figures = _random_sets(rng, 400, universe, size)
    if universe > 1000:
        figures = _near_copies(rng, figures)
    pairs = np.concatenate((_random_pairs(rng, 400, 20000), np.arange(400).reshape(-1, 2)))
    expected = fact_agreement(figures, pairs) >= threshold
    assert np.array_equal(_pair_kernels.figures_agree(figures.hashes, figures.offsets, pairs, threshold), expected)
    if 0 < threshold < 1:
        assert 0 < expected.sum() < expected.shape[0]


def test_intersections_of_no_pairs() -> None:
    sets = ShingleBatch(np.empty(0, np.uint32), np.zeros(3, np.int64))
    assert _pair_kernels.intersections(sets.hashes, sets.offsets, np.empty((0, 2), np.int64)).shape == (0,)
    inter, w = _pair_kernels.weighted_intersections(sets.hashes, sets.offsets, np.empty(0), np.array([[0, 1]]))
    assert inter.tolist() == [0] and w.tolist() == [0.0]


@pytest.mark.parametrize("limit", [1, 3, 1000])
def test_emitted_before_matches_the_reference(limit: int) -> None:
    rng = np.random.default_rng(limit)
    keys = rng.integers(1, 6, (400, 7)).astype(np.uint64)  # few keys: big buckets, many repeats across bands
    ranks = np.empty(keys.shape, np.int32)
    for band in range(keys.shape[1]):
        ranks[:, band] = _kernels.bucket_ranks(keys[:, band])[2]
    pairs = _random_pairs(rng, 400, 5000)
    for band in range(keys.shape[1]):
        expected = _emitted_before(keys, ranks, pairs, band, limit)
        assert np.array_equal(_pair_kernels.emitted_before(keys, ranks, pairs, band, limit), expected)
    assert expected.any() and not expected.all()


def test_candidate_stream_yields_each_pair_once() -> None:
    rng = np.random.default_rng(5)
    keys = band_keys(rng.integers(0, 3, (500, 16)).astype(np.uint32), bands=8, rows=2)
    for limit in (2, None):
        found = np.concatenate(list(candidate_chunks(keys, limit=limit, chunk_pairs=97)))
        assert np.unique(found, axis=0).shape[0] == found.shape[0]
        if limit is None:  # every pair sharing a key in some band: the obviously correct set
            same = (keys[:, None, :] == keys[None, :, :]).any(axis=2)
            i, j = np.nonzero(np.triu(same, 1))
            assert sorted(map(tuple, found.tolist())) == list(zip(i.tolist(), j.tolist()))


@pytest.mark.parametrize("size", [0, 1, 5, 5000])
def test_frequency_index_matches_the_lookup_reference(size: int) -> None:
    rng = np.random.default_rng(size)
    table = np.unique(rng.integers(0, 2**32, size, dtype=np.uint64).astype(np.uint32))
    counts = rng.integers(2, 50, table.shape[0]).astype(np.int32)
    hashes = rng.integers(0, 2**32, 4000, dtype=np.uint64).astype(np.uint32)
    if size:
        hashes[::2] = table[rng.integers(0, table.shape[0], hashes[::2].shape[0])]
    hashes[:3] = [0, 2**32 - 1, 2**31]
    expected = _kernels.frequency_lookup(table, counts, hashes, block=1000)
    assert np.array_equal(_pair_kernels.FrequencyIndex(table, counts)(hashes), expected)


def test_figures_of_the_batch_gathered_as_chunk_by_chunk() -> None:
    rng = np.random.default_rng(1)
    chunks = _Chunks()
    for n in (3, 0, 7, 5):
        chunks.append(
            Shingled(_random_sets(rng, n, 100, 10), _random_sets(rng, n, 100, 4), _random_sets(rng, n, 100, 6))
        )
    docs = np.array([0, 2, 3, 9, 14])
    expected = chunks.gather(docs, figures=True)
    got = _take(chunks.all_figures(), docs)
    assert np.array_equal(got.hashes, expected.hashes) and np.array_equal(got.offsets, expected.offsets)


def test_find_duplicates_same_with_the_references(monkeypatch: pytest.MonkeyPatch) -> None:
    """The whole pipeline with every fast path swapped for its reference gives the same result."""
    from dedup import candidates, verify

    rng = np.random.default_rng(3)
    words = [f"w{k}" for k in range(60)]
    docs = []
    for k in range(300):
        base = rng.choice(words, 40).tolist() + [str(int(x)) for x in rng.integers(0, 5, 3)]
        docs.append({"id": str(k), "text": " ".join(base)})
        if k % 3 == 0:  # a light rewrite of it
            docs.append({"id": f"{k}b", "text": " ".join(base[:-4] + rng.choice(words, 4).tolist())})
    fast = find_duplicates(docs, bucket_limit=4)

    def weighted_ref(h, o, w, p):  # type: ignore[no-untyped-def]
        return _kernels.pair_intersections(h, o, w, np.asarray(p).reshape(-1, 2))

    class LookupRef:
        def __init__(self, table, counts):  # type: ignore[no-untyped-def]
            self.table, self.counts = table, counts

        def __call__(self, hashes):  # type: ignore[no-untyped-def]
            return _kernels.frequency_lookup(self.table, self.counts, hashes)

    monkeypatch.setattr(candidates._pair_kernels, "emitted_before", _emitted_before)
    monkeypatch.setattr(verify._pair_kernels, "weighted_intersections", weighted_ref)
    monkeypatch.setattr(
        verify._pair_kernels, "intersections", lambda h, o, p: weighted_ref(h, o, np.ones(h.shape[0]), p)[0]
    )
    monkeypatch.setattr(_batch_verify._pair_kernels, "FrequencyIndex", LookupRef)

    def agree_ref(h, o, p, t, sketches=None):  # type: ignore[no-untyped-def]
        return verify.fact_agreement(ShingleBatch(h, o), p) >= t

    monkeypatch.setattr(_batch_verify._pair_kernels, "figures_agree", agree_ref)
    slow = find_duplicates(docs, bucket_limit=4)
    assert fast.pairs and fast.pairs == slow.pairs and fast.verdicts == slow.verdicts
    assert fast.stats["candidates"] == slow.stats["candidates"]


@pytest.mark.parametrize("dtype", [np.int64, np.uint32, np.uint64])
def test_unique_helpers_are_numpys_unique(dtype):
    """_kernels.unique / unique_inverse (one sort) give exactly np.unique's answers."""
    from dedup._kernels import unique, unique_inverse

    rng = np.random.default_rng(11)
    for n in (0, 1, 2, 17, 5000):
        values = rng.integers(0, max(n // 3, 1) + 1, n).astype(dtype)
        assert np.array_equal(unique(values), np.unique(values)) and unique(values).dtype == np.unique(values).dtype
        distinct, inverse = unique_inverse(values)
        want, want_inverse = np.unique(values, return_inverse=True)
        assert np.array_equal(distinct, want) and np.array_equal(inverse, want_inverse.reshape(-1))
    grid = rng.integers(0, 4, (30, 2))  # 2-D input is flattened, as np.unique does without axis=
    assert np.array_equal(unique(grid), np.unique(grid))


@pytest.mark.parametrize("dtype", [np.int64, np.uint64])
def test_stable_argsort_is_numpys_stable_argsort(dtype):
    """_kernels.stable_argsort (a fast sort, ties put back in order) gives exactly numpy's stable argsort."""
    from dedup._kernels import stable_argsort

    rng = np.random.default_rng(12)
    for n, spread in ((0, 1), (1, 1), (2, 1), (50, 3), (5000, 2000), (5000, 5), (115_000, 1 << 62)):
        values = rng.integers(0, spread, n).astype(dtype)
        if dtype == np.uint64 and n:
            values[: n // 4] |= np.uint64(1 << 63)  # keys above int64's range sort as unsigned
        assert np.array_equal(stable_argsort(values), np.argsort(values, kind="stable")), (n, spread)
