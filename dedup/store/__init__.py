"""Where the past lives: the :class:`Store` seam and its memory and SQLite implementations."""

from .base import Records, Store, check_settings, store_settings
from .memory import MemoryStore
from .sqlite import FORMAT, FORMAT_VERSION, SQLiteStore

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "MemoryStore",
    "Records",
    "SQLiteStore",
    "Store",
    "check_settings",
    "store_settings",
]
