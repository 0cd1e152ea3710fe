"""The embedded store: one SQLite file (write-ahead log), no server, no pickle.

Format (version 1, documented in ``docs/index-format.md``)::

    meta(key TEXT PRIMARY KEY, value TEXT)       format = "dedup-index", version, settings (JSON),
                                                 generation_seconds, next_seq, clock
    generations(gen INTEGER PRIMARY KEY, articles INTEGER)
    "docs_<gen>"(seq INTEGER PRIMARY KEY, id TEXT UNIQUE, time REAL, published REAL, length INTEGER,
                 rep INTEGER, keys BLOB, sets BLOB, figures BLOB, text TEXT, terms BLOB)

Articles live in the table of their time generation, so what falls out of the window goes with
one ``DROP TABLE``, never row by row. Arrays are little-endian blobs (uint64 band keys,
uint32 shingle, figure and lead-term hashes); texts are plain text (NULL when not kept). ``terms`` (the
lead terms, in order) came later: a table written before has the column added, NULL for its rows. Every batch is one
transaction: a process killed in the middle of one leaves the file as it was before it.
Document frequency and the LSH buckets are not stored: they are rebuilt from the stored sets and
band keys when the file is opened (:mod:`dedup.store._buckets`), and kept in memory, where a
lookup costs microseconds instead of a query per band.
"""

from __future__ import annotations

import dataclasses
import json
import math
import os
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import _kernels
from .._dftable import DocumentFrequency
from ..shingles import ShingleBatch
from ._buckets import BucketHits, BucketIndex
from ._screen import ScreenIndex
from ._sqlite_file import (
    FORMAT,
    FORMAT_VERSION,
    Transaction,
    add_terms_column,
    blobs,
    chunks,
    connect,
    create,
    fill_terms,
    read_meta,
    signed,
    take_lock,
)
from .base import Records, check_settings, concat_records, generation_of

__all__ = ["FORMAT", "FORMAT_VERSION", "SQLiteStore"]


class SQLiteStore:
    """A store in one SQLite file; see the module docstring for the format.

    Opening takes an advisory ``flock`` on the file itself, so a second process opening the same index
    gets :class:`dedup.IndexFileError` at once instead of interleaving its writes.
    """

    def __init__(
        self,
        path: str | os.PathLike[str],
        settings: Mapping[str, Any],
        *,
        generation_seconds: float = 0.0,
        keep_texts: bool = True,
        cache_articles: int = 1 << 15,
    ) -> None:
        self.path = os.fspath(path)
        self.keep_texts = keep_texts
        self.cache_articles = int(cache_articles)
        self._recent: dict[int, Records] = {}  # first seq -> a batch added by this process, newest last
        self._lock = take_lock(self.path)
        try:
            self._conn = connect(self.path)
            stored = read_meta(self._conn, self.path)  # reads only: a file that is not a dedup index is left as it was
            if stored is None:
                self._conn.execute("PRAGMA page_size=16384")  # before the first table: blobs fit in fewer pages
                create(self._conn, dict(settings), float(generation_seconds))
                stored = read_meta(self._conn, self.path)
                assert stored is not None
            self._conn.execute("PRAGMA journal_mode=WAL")  # persistent: set on creation, a no-op after
            check_settings(json.loads(stored["settings"]), settings, where=f"index {self.path}")
        except BaseException:
            self._release()
            raise
        self.settings: Mapping[str, Any] = json.loads(stored["settings"])
        self.bands = int(self.settings["bands"])
        self.generation_seconds = float(stored["generation_seconds"])
        self._next = int(stored["next_seq"])
        self._clock = float(stored["clock"])
        self._gens = {g: n for g, n in self._conn.execute("SELECT gen, articles FROM generations")}
        add_terms_column(self._conn, self._gens)
        fill_terms(self._conn, self._gens)  # once, for the articles of a file written before lead terms were kept
        self._df = DocumentFrequency(capacity=1 << 16)
        self._buckets = BucketIndex()
        self._screen = ScreenIndex()
        for g in sorted(self._gens):
            self._load_generation(g)

    def _load_generation(self, g: int, *, step: int = 1 << 14) -> None:
        """Count the sets, index the band keys and screen the times and figures of generation ``g``, ``step`` articles at a time."""
        rows = self._conn.execute(f'SELECT seq, keys, sets, time, figures, terms FROM "docs_{g}" ORDER BY seq')
        while chunk := rows.fetchmany(step):
            seq = np.array([r[0] for r in chunk], dtype=np.int64)
            keys = np.frombuffer(b"".join(r[1] for r in chunk), "<u8").reshape(len(chunk), self.bands)
            generation = np.full(len(chunk), g, np.int64)
            self._buckets.add(keys, seq, generation)
            self._df.add(np.frombuffer(b"".join(r[2] for r in chunk), "<u4"))
            self._df.add(np.frombuffer(b"".join(r[5] or b"" for r in chunk), "<u4"))
            sizes = np.fromiter((len(r[4]) // 4 for r in chunk), np.int64, len(chunk))
            figures = ShingleBatch(
                np.frombuffer(b"".join(r[4] for r in chunk), "<u4").astype(np.uint32),
                np.concatenate(([0], np.cumsum(sizes))).astype(np.int64),
            )
            self._screen.add(seq, np.array([r[3] for r in chunk], dtype=float), figures, generation)

    def _release(self) -> None:
        if getattr(self, "_conn", None) is not None:
            self._conn.close()
            self._conn = None  # type: ignore[assignment]
        if self._lock is not None:
            self._lock.close()
            self._lock = None

    def _transaction(self) -> Transaction:
        return Transaction(self._conn)

    # -- the Store interface ---------------------------------------------------------------------

    def __len__(self) -> int:
        return int(sum(self._gens.values()))

    @property
    def next_seq(self) -> int:
        return self._next

    @property
    def clock(self) -> float:
        return self._clock

    def contains_many(self, ids: Sequence[str]) -> np.ndarray:
        found: set[str] = set()
        ids = list(ids)
        for g in self._gens:
            for part in chunks(ids):
                marks = ",".join("?" * len(part))
                found.update(i for (i,) in self._conn.execute(f'SELECT id FROM "docs_{g}" WHERE id IN ({marks})', part))
        return np.array([i in found for i in ids], dtype=bool)

    def _ensure_generation(self, g: int) -> None:
        if g in self._gens:
            return
        self._conn.execute(
            f'CREATE TABLE "docs_{g}"(seq INTEGER PRIMARY KEY, id TEXT NOT NULL UNIQUE, time REAL NOT NULL, '
            "published REAL, length INTEGER NOT NULL, rep INTEGER NOT NULL, keys BLOB NOT NULL, "
            "sets BLOB NOT NULL, figures BLOB NOT NULL, text TEXT, terms BLOB)"
        )
        self._conn.execute("INSERT INTO generations VALUES (?, 0)", (g,))
        self._gens[g] = 0

    def add_many(self, records: Records) -> np.ndarray:
        n = len(records)
        seq = np.arange(self._next, self._next + n, dtype=np.int64)
        if n == 0:
            return seq
        gens = generation_of(records.times, self.generation_seconds)
        keys = signed(records.keys)
        sets, figures = records.sets, records.figures
        texts = records.texts if (self.keep_texts and records.texts is not None) else None
        clock = max(self._clock, float(np.nanmax(records.times)))
        set_bytes, set_ends = blobs(sets), (sets.offsets * 4).tolist()
        fig_bytes, fig_ends = blobs(figures), (figures.offsets * 4).tolist()
        terms = records.terms
        term_bytes, term_ends = (blobs(terms), (terms.offsets * 4).tolist()) if terms is not None else (b"", None)
        key_bytes = keys.tobytes()
        width = 8 * self.bands
        published = [None if math.isnan(p) else p for p in records.published.tolist()]
        times, lengths, reps, seqs = (
            records.times.tolist(),
            records.lengths.tolist(),
            records.rep.tolist(),
            seq.tolist(),
        )
        with self._transaction():
            for g in _kernels.unique(gens).tolist():
                self._ensure_generation(g)
                rows = np.flatnonzero(gens == g)
                docs = [
                    (
                        seqs[r],
                        records.ids[r],
                        times[r],
                        published[r],
                        lengths[r],
                        reps[r],
                        key_bytes[r * width : (r + 1) * width],
                        set_bytes[set_ends[r] : set_ends[r + 1]],
                        fig_bytes[fig_ends[r] : fig_ends[r + 1]],
                        None if texts is None else texts[r],
                        None if term_ends is None else term_bytes[term_ends[r] : term_ends[r + 1]],
                    )
                    for r in rows.tolist()
                ]
                self._conn.executemany(f'INSERT INTO "docs_{g}" VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)', docs)
                self._conn.execute("UPDATE generations SET articles = articles + ? WHERE gen = ?", (rows.size, g))
            self._conn.execute("UPDATE meta SET value = ? WHERE key = 'next_seq'", (str(self._next + n),))
            self._conn.execute("UPDATE meta SET value = ? WHERE key = 'clock'", (repr(clock),))
        for g in gens.tolist():
            self._gens[g] += 1
        self._next += n
        self._clock = clock
        self._df.add(sets.hashes)
        if terms is not None:
            self._df.add(terms.hashes)
        self._buckets.add(records.keys, seq, gens)
        self._screen.add(seq, records.times, records.figures, gens)
        self._remember(dataclasses.replace(records, seq=seq, texts=texts))
        return seq

    def _remember(self, records: Records) -> None:
        """Keep the latest ``cache_articles`` articles added here in memory: the next batches' candidates are mostly them."""
        if self.cache_articles <= 0:
            return
        self._recent[int(records.seq[0])] = records  # type: ignore[index]
        held = sum(len(r) for r in self._recent.values())
        while held - len(next(iter(self._recent.values()))) >= self.cache_articles:
            held -= len(self._recent.pop(next(iter(self._recent))))

    def bucket_members(self, keys: np.ndarray, *, limit: int) -> np.ndarray:
        return self._buckets.members(keys, limit=limit)

    def bucket_hits(self, keys: np.ndarray, *, limit: int) -> BucketHits:
        return self._buckets.hits(keys, limit=limit)

    def screen(self, seq: np.ndarray) -> tuple[np.ndarray, ShingleBatch]:
        return self._screen.lookup(seq)

    def fetch(self, seq: np.ndarray, *, texts: bool = False) -> Records:
        wanted = np.asarray(seq, dtype=np.int64)
        parts: list[Records] = []
        if self._recent and wanted.size:  # what this process added lately is served from memory
            firsts = np.array(list(self._recent), dtype=np.int64)
            owner = np.searchsorted(firsts, wanted, side="right") - 1
            batches = list(self._recent.values())
            hit = owner >= 0
            hit[hit] = wanted[hit] < firsts[owner[hit]] + np.array(
                [len(batches[o]) for o in owner[hit].tolist()], dtype=np.int64
            )
            for o in _kernels.unique(owner[hit]).tolist():
                part = batches[o].take(wanted[hit & (owner == o)] - firsts[o])
                parts.append(
                    part
                    if texts and part.texts is not None
                    else dataclasses.replace(part, texts=[""] * len(part) if texts else None)
                )
            wanted = wanted[~hit]
        columns = "seq, id, time, published, length, rep, keys, sets, figures, terms" + (", text" if texts else "")
        rows: list[tuple[Any, ...]] = []
        if wanted.size and self._gens:
            listed = json.dumps(wanted.tolist())
            for g in self._gens:
                rows.extend(
                    self._conn.execute(
                        f'SELECT {columns} FROM "docs_{g}" WHERE seq IN (SELECT value FROM json_each(?))', (listed,)
                    )
                )
        if rows or not parts:
            parts.append(self._records(rows, texts=texts))
        if len(parts) == 1:
            return parts[0]
        merged = concat_records(parts)
        assert merged.seq is not None
        return merged.take(np.argsort(merged.seq, kind="stable"))

    def _records(self, rows: list[tuple[Any, ...]], *, texts: bool) -> Records:
        def batch(column: int) -> ShingleBatch:
            parts = [np.frombuffer(row[column] or b"", "<u4") for row in rows]
            sizes = [p.shape[0] for p in parts]
            hashes = np.concatenate(parts).astype(np.uint32) if parts else np.empty(0, np.uint32)
            return ShingleBatch(hashes, np.concatenate(([0], np.cumsum(sizes, dtype=np.int64))).astype(np.int64))

        keys = (
            np.frombuffer(b"".join(row[6] for row in rows), "<u8").reshape(len(rows), self.bands).astype(np.uint64)
            if rows
            else np.empty((0, self.bands), np.uint64)
        )
        return Records(
            ids=[row[1] for row in rows],
            times=np.array([row[2] for row in rows], dtype=float),
            published=np.array([math.nan if row[3] is None else row[3] for row in rows], dtype=float),
            lengths=np.array([row[4] for row in rows], dtype=np.int64),
            rep=np.array([row[5] for row in rows], dtype=np.int64),
            keys=keys,
            sets=batch(7),
            figures=batch(8),
            texts=[row[10] if row[10] is not None else "" for row in rows] if texts else None,
            seq=np.array([row[0] for row in rows], dtype=np.int64),
            terms=batch(9),
        )

    def document_frequency(self, hashes: np.ndarray) -> np.ndarray:
        return self._df.lookup(hashes)

    def remove_many(self, ids: Sequence[str]) -> int:
        removed = 0
        ids = list(ids)
        self._recent.clear()
        with self._transaction():
            for g in list(self._gens):
                for part in chunks(ids):
                    marks = ",".join("?" * len(part))
                    rows = self._conn.execute(
                        f'SELECT seq, sets, terms FROM "docs_{g}" WHERE id IN ({marks})', part
                    ).fetchall()
                    if rows:
                        self._buckets.remove(np.array([r[0] for r in rows], dtype=np.int64))
                        self._df.subtract(np.frombuffer(b"".join(r[1] + (r[2] or b"") for r in rows), "<u4"))
                        self._conn.execute(f'DELETE FROM "docs_{g}" WHERE id IN ({marks})', part)
                        self._conn.execute(
                            "UPDATE generations SET articles = articles - ? WHERE gen = ?", (len(rows), g)
                        )
                        self._gens[g] -= len(rows)
                        removed += len(rows)
        return removed

    def evict_before(self, time: float) -> int:
        if self.generation_seconds <= 0:
            return 0
        old = [g for g in sorted(self._gens) if (g + 1) * self.generation_seconds <= time]
        if not old:
            return 0
        evicted = 0
        self._recent.clear()
        with self._transaction():
            for g in old:
                rows = self._conn.execute(f'SELECT sets, terms FROM "docs_{g}"')
                while chunk := rows.fetchmany(1 << 14):  # the generation's sets uncounted in one call per chunk
                    self._df.subtract(np.frombuffer(b"".join(a + (b or b"") for a, b in chunk), "<u4"))
                self._conn.execute(f'DROP TABLE "docs_{g}"')
                self._buckets.drop_generation(g)
                self._screen.drop_generation(g)
                self._conn.execute("DELETE FROM generations WHERE gen = ?", (g,))
                evicted += self._gens.pop(g)
        return evicted

    def commit(self) -> None:
        return None  # every batch commits as it is added

    def close(self) -> None:
        self._release()

    def __enter__(self) -> SQLiteStore:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
