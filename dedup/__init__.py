"""dedup: find near-duplicate news articles and show how one report was rewritten from another."""

from __future__ import annotations

__version__ = "0.1.0"

from .article import Article
from .config import DedupConfig
from .errors import (
    ConfigError,
    DedupError,
    FeedError,
    InputError,
    MissingDependencyError,
    SignatureMismatchError,
)

__all__ = [
    "Article",
    "ConfigError",
    "DedupConfig",
    "DedupError",
    "FeedError",
    "InputError",
    "MissingDependencyError",
    "SignatureMismatchError",
    "__version__",
]
