import datasketch
import numpy as np
import pytest

from dedup import Shingler, hash_shingle, minhash_signatures, shingles, to_datasketch

TEXTS = [
    "OpenAI is considering a contract to deploy its AI technology on NATO networks, a source said.",
    "OpenAI considers deploying its artificial intelligence technology on NATO networks, a source said.",
    "",
    "x",
    "The Pentagon has said previously it had no interest in using AI to conduct mass surveillance.",
]


@pytest.mark.parametrize("num_perm, seed", [(128, 1), (64, 7), (16, 2**31)])
@pytest.mark.parametrize("unit, size", [("word", 2), ("word", 5), ("char", 5)])
def test_bit_identical_to_datasketch(num_perm, seed, unit, size):
    batch = Shingler(unit=unit, size=size).shingle(TEXTS)
    ours = minhash_signatures(batch, num_perm=num_perm, seed=seed, block_size=7)
    assert ours.shape == (len(TEXTS), num_perm) and ours.dtype == np.uint32
    for i, text in enumerate(TEXTS):
        m = datasketch.MinHash(num_perm=num_perm, seed=seed, scheme="affine32", hashfunc=hash_shingle)
        m.update_batch(shingles(text, unit=unit, size=size))
        np.testing.assert_array_equal(ours[i], m.hashvalues)


@pytest.mark.parametrize("block_size", [1, 3, 50, 1 << 20])
def test_block_size_does_not_change_signatures(block_size):
    batch = Shingler(size=2).shingle(TEXTS * 3)
    np.testing.assert_array_equal(
        minhash_signatures(batch, block_size=block_size), minhash_signatures(batch, block_size=1 << 15)
    )


def test_signatures_work_in_datasketch_lsh():
    texts = TEXTS + [TEXTS[0] + " It declined to comment further."]
    sig = minhash_signatures(Shingler(size=2).shingle(texts))
    lsh = datasketch.MinHashLSH(threshold=0.5, num_perm=128)
    for i in (0, 4):
        lsh.insert(str(i), to_datasketch(sig[i]))
    assert lsh.query(to_datasketch(sig[-1])) == ["0"]
    assert to_datasketch(sig[0]).jaccard(to_datasketch(sig[0])) == 1.0


@pytest.mark.parametrize("seed", range(5))
def test_estimate_is_within_a_few_standard_errors_of_exact_jaccard(seed):
    rng = np.random.default_rng(seed)
    vocab = [f"w{k}" for k in range(400)]
    a = list(rng.choice(vocab, 300))
    b = a[:200] + list(rng.choice(vocab, 100))
    batch = Shingler(size=1).shingle([" ".join(a), " ".join(b)])
    sets = batch.sets()
    exact = len(np.intersect1d(sets.doc(0), sets.doc(1))) / len(np.union1d(sets.doc(0), sets.doc(1)))
    sig = minhash_signatures(batch, num_perm=256, seed=seed)
    estimate = float(np.mean(sig[0] == sig[1]))
    stderr = np.sqrt(exact * (1 - exact) / 256)
    assert abs(estimate - exact) <= 4 * stderr


def test_empty_document_has_the_empty_minhash_signature():
    sig = minhash_signatures(Shingler().shingle(["", "a b c"]), num_perm=8)
    assert (sig[0] == np.uint32(0xFFFFFFFF)).all()
    assert np.array_equal(sig[0], datasketch.MinHash(num_perm=8, scheme="affine32").hashvalues)
