"""A store shared by many processes on one Redis server (7.0 or later): :class:`RedisStore`.

Every batch is one Lua script call (EVALSHA), so a batch costs one round trip and is atomic:
:meth:`RedisStore.claim_many` numbers a batch, reads the bucket members stored before it and stores
it in one step, which is what lets several workers ingest at once without losing a pair (each article
meets exactly the articles claimed before it). The layout (``docs/redis.md``; key by key in
:mod:`dedup.store._redis_lua`): per time generation, postings and ids in linear hash tables of small
Redis hashes (listpacks), records packed one binary string per article, document frequency in a
count-min sketch; with a window, every key of a generation expires
(``EXPIREAT ... NX``) when the generation leaves the window, so memory is bounded with no sweeping.
"""

from __future__ import annotations

import hashlib
import json
import math
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from .. import _kernels
from ..errors import IndexFileError
from . import _redis_lua as lua
from . import _redis_wire as _wire
from ._buckets import BucketHits, bucket_keys
from ._redis_calls import RETRY_SECONDS, ScriptCalls
from ._redis_records import bucket_hits, pack_records, unpack_records
from .base import Records, check_settings, generation_of

__all__ = ["FORMAT", "FORMAT_VERSION", "PENDING", "RedisStore"]

FORMAT = "dedup-index"
FORMAT_VERSION = 2  # 2: records without band keys (the postings hold them; members come back bucket by bucket)
PENDING = -2  # the rep of an article claimed but not yet finalized (the Lua library's PENDING too)
_CREATE = """if redis.call('EXISTS', KEYS[1]) == 0 then redis.call('HSET', KEYS[1], unpack(ARGV)) end
return redis.call('HGETALL', KEYS[1])"""
_MULT = np.array(
    [
        0x9E3779B97F4A7C15,
        0xC2B2AE3D27D4EB4F,
        0x165667B19E3779F9,
        0xD6E8FEB86659FD93,
        0x27D4EB2F165667C5,
        0x94D049BB133111EB,
        0xBF58476D1CE4E5B9,
        0xFF51AFD7ED558CCD,
    ],
    dtype=np.uint64,
)


class RedisStore(ScriptCalls):
    """A store on a Redis server, shared by every process that opens the same ``url`` and ``name``.

    ``window`` (seconds) makes every key of a generation expire when the generation has left the
    window; ``df_width`` counters per row (``df_depth`` rows) size the document-frequency sketch of
    each generation (``4 * depth * width`` bytes; fixed when the index is created). Not for Redis
    Cluster (the scripts reach keys they compute).
    """

    shared = True

    def __init__(
        self,
        url: str,
        settings: Mapping[str, Any],
        *,
        name: str = "dedup",
        generation_seconds: float = 0.0,
        keep_texts: bool = True,
        bucket_limit: int = 32,
        window: float | None = None,
        df_depth: int = 4,
        df_width: int = 1 << 20,
    ) -> None:
        self.url, self.name = _wire.shown(url), name  # what messages name; the client keeps the real one
        self.keep_texts, self.bucket_limit = keep_texts, int(bucket_limit)
        self.window = None if window is None else float(window)
        self._prefix = f"{name}:"
        self._redis = _wire.client(url)
        import redis

        self._errors = (redis.ConnectionError, redis.TimeoutError)
        self._redis_error = redis.RedisError
        try:
            self._redis.ping()
        except redis.RedisError as exc:
            raise IndexFileError(f"cannot reach Redis at {self.url}: {_wire.one_line(exc)}") from None
        meta = self._open_meta(dict(settings), float(generation_seconds), int(df_depth), int(df_width))
        check_settings(json.loads(meta["settings"]), settings, where=f"index {name!r} at {self.url}")
        self.settings: Mapping[str, Any] = json.loads(meta["settings"])
        self.bands = int(self.settings["bands"])
        self.generation_seconds = float(meta["generation_seconds"])
        self.df_depth, self.df_width = int(meta["df_depth"]), int(meta["df_width"])
        self._cells = self.df_width - 4  # per row: the whole sketch fits its allocation class (no string header spill)
        self._rows = np.arange(self.df_depth, dtype=np.uint64) * np.uint64(self._cells)
        self._scripts = {
            s: (getattr(lua, s).encode(), hashlib.sha1(getattr(lua, s).encode()).hexdigest().encode())
            for s in lua.__all__
        }
        # What the last claim_many / bucket_members read in the same atomic call, for the fetch of those
        # members and the len() that verification asks for next (one use each; any other call drops them)
        self._prefetched: tuple[np.ndarray, Records, BucketHits] | None = None
        self._prefetched_len: int | None = None
        # Ids this process claimed and has not finalised yet: if a claim's reply is lost, stored perhaps, ours to finish
        self.unacknowledged: set[str] = set()
        self.lost_replies = 0  # commands sent again after a lost connection or reply
        self.retry_seconds = RETRY_SECONDS

    def _open_meta(self, settings: dict[str, Any], span: float, depth: int, width: int) -> dict[str, str]:
        if not 1 <= depth <= _MULT.shape[0] or width < 2 or width & (width - 1) or depth * width > 1 << 27:
            raise ValueError(
                f"df_depth must be 1..{_MULT.shape[0]} and df_width a power of two with depth*width <= 2**27"
            )
        created = {
            "format": FORMAT,
            "version": str(FORMAT_VERSION),
            "settings": json.dumps(settings, sort_keys=True),
            "generation_seconds": repr(span),
            "df_depth": str(depth),
            "df_width": str(width),
        }
        key = self._prefix + "meta"
        try:  # created once, by whoever comes first
            raw = self._redis.eval(_CREATE, 1, key, *[v for item in created.items() for v in item])
        except self._redis_error as exc:
            raise IndexFileError(f"cannot read index {self.name!r} at {self.url}: {_wire.one_line(exc)}") from None
        raw = dict(zip(raw[0::2], raw[1::2]))
        meta = {k.decode(): v.decode() for k, v in raw.items()}
        if meta.get("format") != FORMAT or "settings" not in meta:
            raise IndexFileError(f"{key} at {self.url} is not a dedup index; give another --index-name to create one")
        version = int(meta.get("version", "0"))
        if version > FORMAT_VERSION:
            raise IndexFileError(
                f"index {self.name!r} at {self.url} has format version {version}, newer than "
                f"this dedup reads ({FORMAT_VERSION}); upgrade dedup (pip install -U dedup)"
            )
        if version < FORMAT_VERSION:
            raise IndexFileError(
                f"index {self.name!r} at {self.url} has format version {version}, written by an earlier "
                f"dedup (this one reads {FORMAT_VERSION}); rebuild it under another --index-name"
            )
        return meta

    # -- the Store interface ---------------------------------------------------------------------

    def __len__(self) -> int:
        """Articles stored; right after :meth:`claim_many` or :meth:`bucket_members`, as that atomic call counted them."""
        known, self._prefetched_len = self._prefetched_len, None
        return int(self._run("LEN")) if known is None else known

    @property
    def next_seq(self) -> int:
        """The server's seq counter: the next seq any worker will claim (other workers may claim it first)."""
        return int(self._redis.get(self._prefix + "seq") or 0)

    @property
    def clock(self) -> float:
        value = self._redis.get(self._prefix + "clock")
        return -math.inf if value is None else float(value)

    def contains_many(self, ids: Sequence[str]) -> np.ndarray:
        return self.states_many(ids) > 0

    def pending_many(self, ids: Sequence[str]) -> np.ndarray:
        """Which ``ids`` are stored without a final verdict yet (claimed, rep :data:`PENDING`)."""
        return self.states_many(ids) == 2

    def states_many(self, ids: Sequence[str]) -> np.ndarray:
        """For each id, in one round trip: 0 not stored, 1 stored, 2 stored without a final verdict yet."""
        if not ids:
            return np.zeros(0, np.int64)
        return np.array(self._run("CONTAINS", *ids), dtype=np.int64)

    def _offsets(self, hashes: np.ndarray) -> np.ndarray:
        """The sketch counters of each hash: ``(n, depth)`` uint32, row ``r`` at ``r * width``."""
        h = np.asarray(hashes, dtype=np.uint64)[:, None]
        with np.errstate(over="ignore"):
            idx = (((h * _MULT[None, : self.df_depth]) >> np.uint64(32)) * np.uint64(self._cells)) >> np.uint64(32)
        return (idx + self._rows[None, :]).astype("<u4")

    def _sketch(self, offsets: np.ndarray, doc: np.ndarray, gens: list[str], fresh: np.ndarray) -> tuple[bytes, int]:
        """The sketch increments of the ``fresh`` articles, per generation: each counter once, with its count."""
        heads: list[Any] = []
        bodies: list[bytes] = []
        count = 0
        use = fresh[doc]
        gen_of = np.asarray(gens)[doc] if doc.size else np.empty(0, str)
        names = sorted({gens[r] for r in np.flatnonzero(fresh).tolist()})
        heads.append(len(names))
        for g in names:
            flat = offsets[use & (gen_of == g)].ravel()
            counters, times = np.unique(flat, return_counts=True)
            by = _kernels.unique(times)
            heads += [g, by.size]
            for t in by.tolist():
                mine = counters[times == t]  # sorted: neighbouring counters, fewer cache misses on the server
                heads += [t, mine.size]
                bodies.append(_wire.tokens(mine))
                count += mine.size
        head = b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in map(_wire.arg, heads))
        return head + b"".join(bodies), len(heads) + count

    def _claim(self, records: Records, limit: int, rep: np.ndarray) -> tuple[np.ndarray, BucketHits]:
        n = len(records)
        if n == 0:
            return np.empty(0, np.int64), bucket_hits(np.asarray(records.keys, dtype=np.uint64), [], limit)
        gens = [str(g) for g in generation_of(records.times, self.generation_seconds).tolist()]
        packed = pack_records(records, rep, keep_texts=self.keep_texts)
        empty = np.asarray(records.keys)[:, 0] == 0
        buckets = np.ascontiguousarray(bucket_keys(records.keys), dtype="<u8").tobytes()
        counted = [records.sets] + ([records.terms] if records.terms is not None else [])  # lead terms share the sketch
        offsets = self._offsets(np.concatenate([b.hashes for b in counted]))
        doc = np.concatenate([np.repeat(np.arange(n), np.diff(b.offsets)) for b in counted])
        width = 8 * self.bands
        args: list[Any] = [
            limit,
            n,
            -1 if self.window is None else repr(self.window),
            repr(self.generation_seconds),
            4 * self.df_depth * self._cells,
            "",
        ]
        for r in range(n):
            args += [
                records.ids[r],
                gens[r],
                repr(float(records.times[r])),
                packed[r],
                b"" if empty[r] else buckets[r * width : (r + 1) * width],
            ]
        fresh = np.zeros(n, bool)  # the guess: every id new but the repeats within the batch
        fresh[np.unique(np.array(records.ids, dtype=object), return_index=True)[1]] = True
        # The ids are ours to finish until their verdicts are written (finalize_many): a claim whose reply is lost
        # may have stored them. Ids already stored when the claim was answered at its first sending are not.
        ids = set(records.ids)
        ours_before, lost = ids & self.unacknowledged, self.lost_replies
        self.unacknowledged.update(ids)
        for _ in range(n + 2):  # each wrong guess was corrected by the server: a retry only races with other writers
            tail, count = self._sketch(offsets, doc, gens, fresh)
            args[5] = "".join("1" if f else "0" for f in fresh.tolist())
            try:
                reply = self._run("CLAIM", *args, tail=tail, tail_count=count)
            except IndexFileError as exc:
                raise IndexFileError(f"{exc}; {self._stored_of(records.ids)}") from None
            if reply[0] != b"retry":
                break
            fresh = np.frombuffer(reply[1], np.uint8) == ord("1")
        else:
            raise IndexFileError(f"index {self.name!r} at {self.url}: the ids of a batch kept changing under its claim")
        seqs, members, recs, total, found = reply
        seq = np.array(seqs, dtype=np.int64)
        if self.lost_replies == lost:
            self.unacknowledged.difference_update(
                i for i, s in zip(records.ids, seq.tolist()) if s < 0 and i not in ours_before
            )
        if not (rep == PENDING).any():  # stored with their verdicts (add_many): nothing left to finish
            self.unacknowledged.difference_update(ids)
        keys = np.asarray(records.keys, dtype=np.uint64)[seq >= 0]
        hits = self._remember(members, recs, total, found, keys, limit)
        return seq, hits

    def _stored_of(self, ids: Sequence[str]) -> str:
        """What a claim that got no answer left on the server, as far as it can still be asked."""
        try:
            stored = list(self._run_once("CONTAINS", *ids)).count(2) if ids else 0  # claimed by it: no verdict yet
        except IndexFileError:
            return (
                f"the server may have stored up to {len(ids)} articles of this batch without their verdicts: "
                "run the same input again once it is back and they get them"
            )
        if not stored:
            return "the server stored none of this batch's articles"
        return (
            f"the server stored {stored} of this batch's {len(ids)} articles without their verdicts: "
            "run the same input again and they get them (it first waits up to a minute for another worker to)"
        )

    def _remember(
        self, members: list[Any], recs: list[Any], total: Any, found: list[bytes], keys: np.ndarray, limit: int
    ) -> BucketHits:
        """Keep what a script read with the members (their records, the count) for the calls that come next."""
        hits = bucket_hits(keys, found, limit)
        self._prefetched = (
            np.array(members, dtype=np.int64),
            unpack_records(recs[0::2], recs[1::2], texts=False, bands=self.bands),
            hits,
        )
        self._prefetched_len = int(total)
        return hits

    def claim_many(self, records: Records, *, limit: int) -> tuple[np.ndarray, BucketHits]:
        """Number, match and store a batch of new articles in one atomic script call.

        Returns ``(seq, hits)``: the seq of each article, or ``-1 - seq`` for an id already
        stored (nothing is stored for it again: a retried batch is idempotent); and the bucket
        members of the band keys of the articles stored now, stored before this call (the ``limit``
        latest of each bucket), never the batch itself. Articles are stored with rep
        :data:`PENDING` until :meth:`finalize_many`; buckets keep their ``limit`` latest members.
        """
        return self._claim(records, int(limit), np.full(len(records), PENDING, np.int64))

    def finalize_many(self, seq: np.ndarray, rep: np.ndarray) -> None:
        """Set the final rep (-1 kept, or the representative's seq) of claimed articles; records gone are skipped."""
        pairs = [str(v) for s, r in zip(np.asarray(seq).tolist(), np.asarray(rep).tolist()) for v in (s, r)]
        if pairs:
            self._run("FINALIZE", *pairs)

    def add_many(self, records: Records) -> np.ndarray:
        """Store ``records`` with their reps (ids already stored get ``-1 - seq`` and are not stored again)."""
        return self._claim(records, 0, np.asarray(records.rep, dtype=np.int64))[0]

    def bucket_members(self, keys: np.ndarray, *, limit: int) -> np.ndarray:
        return _kernels.unique(self.bucket_hits(keys, limit=limit).seq)

    def bucket_hits(self, keys: np.ndarray, *, limit: int) -> BucketHits:
        """The ``limit`` latest members of each bucket of ``keys``, bucket by bucket, with their records (one call)."""
        keys = np.asarray(keys, dtype=np.uint64)
        live = keys[keys[:, 0] != 0] if keys.shape[0] else keys
        if live.shape[0] == 0:
            return bucket_hits(live, [], limit)
        blob = np.ascontiguousarray(bucket_keys(live), dtype="<u8").tobytes()
        members, recs, total, found = self._run("MEMBERS", int(limit), blob)
        return self._remember(members, recs, total, found, live, limit)

    def fetch(self, seq: np.ndarray, *, texts: bool = False) -> Records:
        """The stored records of ``seq``, sorted; records no longer on the server (expired, evicted) are left out.

        The members just returned by :meth:`claim_many` or :meth:`bucket_hits` come with that call
        (read in the same atomic step): fetching them (or some of them) next, without texts, costs no round trip.
        """
        wanted = _kernels.unique(np.asarray(seq, dtype=np.int64))
        prefetched, self._prefetched = self._prefetched, None
        if prefetched is not None and not texts and np.isin(wanted, prefetched[0]).all():  # those members, or some
            held = prefetched[1]
            assert held.seq is not None
            return held if held.seq.shape == wanted.shape else held.take(np.flatnonzero(np.isin(held.seq, wanted)))
        got = self._run("FETCH", int(texts), *wanted.tolist()) if wanted.size else []
        return unpack_records(got[0::2], got[1::2], texts=texts, bands=self.bands)

    def document_frequency(self, hashes: np.ndarray) -> np.ndarray:
        """How many stored articles hold each hash, from the sketches of the live generations: never below the truth."""
        hashes = np.asarray(hashes, dtype=np.uint32)
        if hashes.size == 0:
            return np.zeros(0, np.int64)
        unique, inverse = np.unique(hashes, return_inverse=True)
        flat = self._offsets(unique).ravel().astype(np.int64)
        order = np.argsort(flat, kind="stable")  # read in address order: neighbouring counters, fewer cache misses
        counts = np.zeros(unique.size, np.int64)
        for values in self._run("DF", tail=_wire.tokens(flat[order]), tail_count=flat.size):
            rows = np.empty(flat.size, np.int64)
            rows[order] = np.array(values.split(), dtype=np.int64)
            counts += rows.reshape(unique.size, self.df_depth).min(axis=1)
        return counts[inverse.reshape(-1)]

    def remove_many(self, ids: Sequence[str]) -> int:
        """Forget articles: their records and ids go; their postings and sketch counts stay (a fetch skips them)."""
        return int(self._run("REMOVE", *ids)) if ids else 0

    def evict_before(self, time: float) -> int:
        """Drop the generations that end at or before ``time`` now (expiry would drop them later, by the wall clock)."""
        if self.generation_seconds <= 0:
            return 0
        return int(self._run("EVICT", repr(float(time)), repr(self.generation_seconds)))

    def commit(self) -> None:
        return None  # every batch is stored when its script returns

    def close(self) -> None:
        self._redis.close()

    def __enter__(self) -> RedisStore:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
