"""Rules on the lead terms of articles (the distinct words, not figures, of their first tokens; see
:meth:`dedup.shingles.Shingler.shingle_all`): the lead check that keeps templates of different companies apart,
and the paraphrases found below the threshold by the words their leads share. Measured in ``docs/thresholds.md``.
"""

from __future__ import annotations

import numpy as np

from . import _kernels, _lead_kernels, _pair_kernels, updates
from .config import DedupConfig
from .shingles import ShingleBatch

__all__ = [
    "LEAD_LOOK",
    "LEAD_MIN_DOCS",
    "PARAPHRASE_MIN_TERMS",
    "PARAPHRASE_RARE_SHARE",
    "lead_agreement",
    "paraphrases",
]

#: Lead terms (the first distinct words of an article) among which the rarest are taken for the lead check.
LEAD_LOOK = 20
#: The lead check needs this many articles (in the batch, or the index and the batch) to tell a rare word
#: (a name) from a common one; in fewer, every word one article has and the other lacks looks rarest.
LEAD_MIN_DOCS = 1000


def lead_agreement(
    terms: ShingleBatch, term_df: np.ndarray, pairs: np.ndarray, *, k: int, look: int = LEAD_LOOK
) -> np.ndarray:
    """For each pair ``(i, j)``: whether, on at least one side, each of the ``k`` rarest of that article's first
    ``look`` lead terms (rarest: lowest ``term_df``, the document frequency of each term) is among the other's.

    The rare words of a lead are the names of the story (a company, a ticker, a place); two templated items
    about different companies share their common words, not those. One side is enough: a flash without a
    ticker is contained in the full story, whose own rarest words may not be in the flash.
    """
    pairs = np.asarray(pairs, dtype=np.int64).reshape(-1, 2)
    if pairs.shape[0] == 0:
        return np.ones(0, bool)
    docs = _kernels.unique(pairs)
    rarest = _lead_kernels.rarest(terms.hashes, terms.offsets, term_df, docs, look=look, k=k)
    row = np.searchsorted(docs, pairs)
    table = _lead_kernels.term_table(terms.hashes, terms.offsets)  # once for both directions
    a_in_b = _lead_kernels.contained(rarest[row[:, 0]], table, pairs[:, 1])
    b_in_a = _lead_kernels.contained(rarest[row[:, 1]], table, pairs[:, 0])
    return a_in_b | b_in_a


#: A paraphrase needs at least this many lead terms on each side (tables and one-line bulletins share most of
#: their few words whatever they report).
PARAPHRASE_MIN_TERMS = 30
#: From LEAD_MIN_DOCS articles on, a paraphrase's words held by at most this share of the articles are its names:
#: each side's must all be in the other's lead.
PARAPHRASE_RARE_SHARE = 0.02


def paraphrases(
    terms: ShingleBatch, term_df: np.ndarray | None, n_docs: int, pairs: np.ndarray, config: DedupConfig
) -> tuple[np.ndarray, np.ndarray]:
    """For pairs scoring below the threshold: the Jaccard of their lead-term sets, and which are paraphrases
    (``term_df``: document frequency of each element of ``terms.hashes`` over ``n_docs`` articles)."""
    sets, offsets = _kernels.unique_per_doc(terms.hashes, terms.offsets)
    inter = _pair_kernels.intersections(sets, offsets, pairs)
    size = np.diff(offsets)
    sa, sb = size[pairs[:, 0]], size[pairs[:, 1]]
    union = (sa + sb - inter).astype(float)
    overlap = np.divide(inter, union, out=np.zeros(union.shape), where=union > 0)
    found = (overlap >= config.lead_overlap) & (np.minimum(sa, sb) >= PARAPHRASE_MIN_TERMS)
    if n_docs >= LEAD_MIN_DOCS and term_df is None:
        found[:] = False  # names cannot be told from common words without their frequencies: none
    elif n_docs >= LEAD_MIN_DOCS and term_df is not None and found.any():
        at = np.flatnonzero(found)
        names = lead_agreement(terms, term_df, pairs[at], k=config.lead_terms) if config.lead_terms else True
        rare = max(1.0, PARAPHRASE_RARE_SHARE * n_docs)
        names &= updates.names_agree(terms, term_df, pairs[at], look=LEAD_LOOK, rare=rare)
        found[at] = names
    return overlap, found
