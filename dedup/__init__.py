"""dedup: find near-duplicate news articles and show how one report was rewritten from another.

>>> import dedup
>>> dedup.compare("The bank raised its rate to 4.5 percent on Tuesday.",
...               "On Tuesday the bank raised its rate to 4.5 percent.").is_duplicate
True
"""

from __future__ import annotations

__version__ = "0.1.0"

from .align import Alignment, DiffOp, Link, align, word_diff
from .article import Article
from .cluster import Cluster
from .config import DedupConfig
from .errors import (
    ArgumentTypeError,
    ConfigError,
    DedupError,
    FeedError,
    IndexFileError,
    InputError,
    MissingDependencyError,
    OutputError,
    SignatureMismatchError,
)
from .feeds import FeedRecord, load_articles, read_feed
from .pipeline import find_duplicates
from .render import render_html, render_json, render_terminal
from .results import DedupResult, DuplicatePair, Verdict
from .shingles import ShingleBatch, Shingler, hash_shingle, shingles
from .signatures import minhash_signatures, to_datasketch
from .stream import Added, Deduplicator, open_index
from .text import Sentence, metadata_prefix, normalize, split_sentences, tokenize
from .verify import Comparison, compare

__all__ = [
    "Added",
    "Alignment",
    "ArgumentTypeError",
    "Article",
    "Cluster",
    "Comparison",
    "ConfigError",
    "DedupConfig",
    "DedupError",
    "DedupResult",
    "Deduplicator",
    "DiffOp",
    "DuplicatePair",
    "FeedError",
    "FeedRecord",
    "IndexFileError",
    "InputError",
    "Link",
    "MissingDependencyError",
    "OutputError",
    "Sentence",
    "ShingleBatch",
    "Shingler",
    "SignatureMismatchError",
    "Verdict",
    "__version__",
    "align",
    "compare",
    "find_duplicates",
    "hash_shingle",
    "load_articles",
    "metadata_prefix",
    "minhash_signatures",
    "normalize",
    "open_index",
    "read_feed",
    "render_html",
    "render_json",
    "render_terminal",
    "shingles",
    "split_sentences",
    "to_datasketch",
    "tokenize",
    "word_diff",
]
