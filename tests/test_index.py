import datasketch
import numpy as np
import pytest

from dedup import DedupConfig, Deduplicator, MemoryIndex, SignatureMismatchError
from dedup.index import batch_candidates, lsh_params


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
            if any(np.array_equal(sig[i, k * rows : (k + 1) * rows], sig[j, k * rows : (k + 1) * rows]) for k in range(bands)):
                found.add((i, j))
    return found


@pytest.mark.parametrize("seed", range(4))
def test_batch_candidates_equal_brute_force(seed):
    rng = np.random.default_rng(seed)
    sig = rng.integers(0, 4, size=(40, 12), dtype=np.uint32)  # few values: many collisions
    pairs = batch_candidates(sig, bands=4, rows=3)
    assert {tuple(p) for p in pairs.tolist()} == _brute_force(sig, 4, 3)
    assert np.all(pairs[:, 0] < pairs[:, 1])


def test_batch_candidates_skip_empty_documents():
    sig = np.full((3, 8), 0xFFFFFFFF, dtype=np.uint32)
    assert batch_candidates(sig, bands=4, rows=2).shape == (0, 2)


def test_memory_index_refuses_other_signatures():
    index = MemoryIndex(DedupConfig().signature_settings(), threshold=0.5)
    with pytest.raises(SignatureMismatchError, match="num_perm=128"):
        index.insert("a", np.zeros(64, np.uint32))
    with pytest.raises(SignatureMismatchError, match="shingle_size"):
        Deduplicator(index=index, shingle_size=5)


def test_deduplicator_add_query_clusters(seed_texts):
    reuters, unn = seed_texts
    d = Deduplicator()
    assert d.add({"id": "reuters", "text": reuters}) == []
    assert d.add({"id": "cocoa", "text": "Showers continued throughout the week in the Bahia cocoa zone."}) == []
    assert [p.a for p in d.query({"id": "probe", "text": unn})] == ["reuters"]
    assert len(d) == 2 and "probe" not in d
    found = d.add({"id": "unn", "text": unn})
    assert [(p.a, p.b) for p in found] == [("reuters", "unn")]
    assert 0 <= found[0].score <= 1
    clusters = d.clusters()
    assert [set(c.ids) for c in clusters] == [{"reuters", "unn"}]
    with pytest.raises(ValueError, match="duplicate id 'unn'"):
        d.add({"id": "unn", "text": "again"})
