import numpy as np
import pytest

from dedup import DedupConfig, Deduplicator, MemoryIndex, SignatureMismatchError


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
