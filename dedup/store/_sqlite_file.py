"""The SQLite index file itself: the advisory lock, the connection, the meta table, transactions and blobs."""

from __future__ import annotations

import json
import math
import sqlite3
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any

import numpy as np

from ..errors import IndexFileError
from ..shingles import ShingleBatch

try:
    import fcntl
except ImportError:  # pragma: no cover - Windows: no advisory lock, SQLite's own locking remains
    fcntl = None  # type: ignore[assignment]

__all__ = [
    "FORMAT",
    "FORMAT_VERSION",
    "PARAMS",
    "Transaction",
    "add_terms_column",
    "blobs",
    "chunks",
    "connect",
    "create",
    "read_meta",
    "signed",
    "take_lock",
]

FORMAT = "dedup-index"
FORMAT_VERSION = 1
PARAMS = 900  # bound parameters per statement, well under SQLite's limit


def chunks(values: Sequence[Any], size: int = PARAMS) -> Iterator[Sequence[Any]]:
    for start in range(0, len(values), size):
        yield values[start : start + size]


def blobs(batch: ShingleBatch) -> bytes:
    """The hashes of a batch as one little-endian uint32 byte string (documents cut from it by offsets * 4)."""
    return np.ascontiguousarray(batch.hashes, dtype="<u4").tobytes()


def signed(keys: np.ndarray) -> np.ndarray:
    """uint64 band keys as the int64 SQLite stores (same bits)."""
    return np.ascontiguousarray(keys, dtype=np.uint64).view(np.int64)


def take_lock(path: str) -> IO[bytes] | None:
    if fcntl is None:
        return None
    # The lock is on the database file itself (its inode), so a symlink or a hard link to it meets the
    # same lock; flock() and SQLite's own fcntl() locks do not interfere on Linux.
    lock = open(path, "ab")  # noqa: SIM115 - held open while the index is: the lock lives on it
    try:
        fcntl.flock(lock.fileno(), fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        lock.close()
        raise IndexFileError(
            f"index {path} is open in another process; wait for it to finish, or use another index file"
        ) from None
    return lock


def connect(path: str) -> sqlite3.Connection:
    conn = None
    try:
        conn = sqlite3.connect(path, isolation_level=None, timeout=30)
        conn.execute("PRAGMA synchronous=NORMAL")
        conn.execute("PRAGMA cache_size=-65536")  # 64 MB of page cache
        conn.execute("PRAGMA temp_store=MEMORY")
    except sqlite3.DatabaseError as exc:
        if conn is not None:
            conn.close()
        raise IndexFileError(f"{path} is not a dedup index ({exc}); give a new file name to create one") from None
    return conn


def read_meta(conn: sqlite3.Connection, path: str) -> dict[str, str] | None:
    try:
        tables = {name for (name,) in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    except sqlite3.DatabaseError as exc:
        raise IndexFileError(f"{path} is not a dedup index ({exc}); give a new file name to create one") from None
    if not tables:
        return None
    if "meta" not in tables:
        raise IndexFileError(f"{path} is an SQLite database but not a dedup index; give a new file name to create one")
    meta = dict(conn.execute("SELECT key, value FROM meta").fetchall())
    if meta.get("format") != FORMAT:
        raise IndexFileError(f"{path} is an SQLite database but not a dedup index; give a new file name to create one")
    version = int(meta.get("version", "0"))
    if version > FORMAT_VERSION:
        raise IndexFileError(
            f"index {path} has format version {version}, newer than this dedup reads ({FORMAT_VERSION}); "
            "upgrade dedup (pip install -U dedup)"
        )
    return meta


def create(conn: sqlite3.Connection, settings: dict[str, Any], generation_seconds: float) -> None:
    meta = {
        "format": FORMAT,
        "version": str(FORMAT_VERSION),
        "settings": json.dumps(settings, sort_keys=True),
        "generation_seconds": repr(generation_seconds),
        "next_seq": "0",
        "clock": repr(-math.inf),
    }
    with Transaction(conn):
        conn.execute("CREATE TABLE meta(key TEXT PRIMARY KEY, value TEXT NOT NULL)")
        conn.execute("CREATE TABLE generations(gen INTEGER PRIMARY KEY, articles INTEGER NOT NULL)")
        conn.executemany("INSERT INTO meta VALUES (?, ?)", meta.items())


def add_terms_column(conn: sqlite3.Connection, generations: Iterable[int]) -> None:
    """Give the article tables of a file written before lead terms were kept their ``terms`` column (NULL)."""
    missing = [
        g for g in generations if "terms" not in {row[1] for row in conn.execute(f'PRAGMA table_info("docs_{g}")')}
    ]
    if missing:
        with Transaction(conn):
            for g in missing:
                conn.execute(f'ALTER TABLE "docs_{g}" ADD COLUMN terms BLOB')


def fill_terms(conn: sqlite3.Connection, generations: Iterable[int], *, step: int = 4096) -> int:
    """Make the lead terms of the articles stored without them (written before they were kept) from their stored
    texts, so that the rules on lead terms (the lead check, paraphrases, updates) see them as they see new ones.
    Articles stored without their text keep none. Returns how many articles got their terms."""
    from ..shingles import Shingler

    shingler = Shingler()  # lead terms are words whatever the shingles are
    done = 0
    for g in generations:
        rows = conn.execute(f'SELECT seq, text FROM "docs_{g}" WHERE terms IS NULL AND text IS NOT NULL').fetchall()
        for k in range(0, len(rows), step):
            chunk = rows[k : k + step]
            terms = shingler.shingle_all([text for _, text in chunk]).terms
            blobs = [
                terms.hashes[terms.offsets[r] : terms.offsets[r + 1]].astype("<u4").tobytes() for r in range(len(chunk))
            ]
            with Transaction(conn):
                conn.executemany(
                    f'UPDATE "docs_{g}" SET terms = ? WHERE seq = ?', zip(blobs, (seq for seq, _ in chunk))
                )
            done += len(chunk)
    return done


class Transaction:
    """``BEGIN IMMEDIATE`` ... ``COMMIT``, or ``ROLLBACK`` on an exception."""

    def __init__(self, conn: sqlite3.Connection) -> None:
        self.conn = conn

    def __enter__(self) -> None:
        self.conn.execute("BEGIN IMMEDIATE")

    def __exit__(self, kind: object, *rest: object) -> None:
        self.conn.execute("ROLLBACK" if kind is not None else "COMMIT")
