"""Adding a batch to a store other processes write too (Redis): claim, take over, verify, finalise.

The store's claim is atomic: it numbers the batch, returns the bucket members claimed before it and
inserts the batch, so every article is verified against exactly the articles claimed before it,
whatever the interleaving of the workers. Its verdict is written afterwards (:meth:`finalize_many`);
until then the article is stored with rep :data:`PENDING`, and a later article meeting it waits for
it (:func:`await_reps`).

A claim can be stored without its worker ever giving the verdicts: the reply was lost (a timeout, a
server restarting) or the worker died. The batch that sends those ids again takes them over: an id
stored with rep PENDING and the same shingles is verified against the members claimed before it and
finalised by this batch, and gets its verdict here instead of being rejected as stored. Ids whose
claim this process lost are taken over at once; another worker's are first waited for, up to
``pending_timeout`` seconds, since that worker may still be finishing them.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import Callable
from typing import Any

import numpy as np

from ._verdicts import batch_verdicts, stream_verdicts
from .article import Article
from .errors import InputError
from .matching import Matches, match_batch, prepare_batch
from .results import DuplicatePair, Verdict
from .store.base import Records, Store
from .store.redis import PENDING  # the module imports redis-py only when a store is made

__all__ = ["PENDING_TIMEOUT", "add_shared", "await_reps"]

PENDING_TIMEOUT = 60.0  # seconds a worker waits for another worker's verdict before doing without it
ALREADY_STORED = "duplicate id {!r}: the index already holds an article with this id (was this feed added before?)"


def add_shared(dedup: Any, found: list[Article], clustering: str) -> tuple[list[Verdict], list[DuplicatePair], int]:
    """Verdicts of ``found`` (in order), the verified pairs and the number of candidates, for a shared store."""
    if not found:
        return [], [], 0
    seen: set[str] = set()
    for k, a in enumerate(found):
        if a.id in seen:
            raise InputError(f"duplicate id {a.id!r} (article #{k} of the batch); every article needs its own id")
        seen.add(a.id)
    store, config = dedup.store, dedup.config
    make = stream_verdicts if clustering == "stream" else batch_verdicts
    batch = prepare_batch(found, config, bands=dedup.bands, rows=dedup.rows, arrival=time.time())
    batch = dataclasses.replace(batch, rep=np.full(len(batch), PENDING, np.int64))
    seq, members = store.claim_many(batch, limit=config.bucket_limit)
    fresh = seq >= 0  # a negative seq: the id was claimed before (a retry, or another worker's copy)
    verdicts: list[Verdict | None] = [None] * len(found)
    pairs: list[DuplicatePair] = []
    candidates = 0
    taken = _take_over(store, batch, np.flatnonzero(~fresh), -1 - seq, timeout=dedup.pending_timeout)
    if taken.size:  # verified against the members claimed before them, as their first claim would have been
        rows = taken[np.argsort(-1 - seq[taken])]
        again = dataclasses.replace(batch.take(rows), seq=-1 - seq[rows])
        assert again.seq is not None
        before = store.bucket_hits(again.keys, limit=config.bucket_limit).before(int(again.seq[0]))
        done = _verify(dedup, again, before, make, int(again.seq[0]))
        for row, verdict in zip(rows.tolist(), done[0]):
            verdicts[row] = verdict
        pairs += done[1]
        candidates += done[2]
    for row in np.flatnonzero(~fresh).tolist():
        if verdicts[row] is None:
            verdicts[row] = Verdict(found[row].id, "rejected", reason=ALREADY_STORED.format(found[row].id))
            store.unacknowledged.discard(found[row].id)  # stored by someone else, with a verdict: not ours to finish
    if fresh.any():
        rows = np.flatnonzero(fresh)
        done = _verify(dedup, dataclasses.replace(batch.take(rows), seq=seq[rows]), members, make, int(seq[rows][0]))
        for row, verdict in zip(rows.tolist(), done[0]):
            verdicts[row] = verdict
        pairs += done[1]
        candidates += done[2]
    return [v for v in verdicts if v is not None], pairs, candidates


def _verify(
    dedup: Any, batch: Records, members: Any, make: Callable[..., Any], first_seq: int
) -> tuple[list[Verdict], list[DuplicatePair], int]:
    """Verify claimed articles against their members, wait for the members' verdicts, finalise the batch's."""
    matches = match_batch(batch, dedup.store, dedup.config, window=dedup.window, members=members, counted=True)
    matches = await_reps(matches, dedup.store, timeout=dedup.pending_timeout)
    pairs = matches.duplicate_pairs(dedup.config, dedup.store)
    reps, made = make(matches, dedup.config, first_seq)
    dedup.store.finalize_many(batch.seq, np.asarray(reps, dtype=np.int64))
    dedup.store.unacknowledged.difference_update(batch.ids)
    return list(made), pairs, matches.candidates


def _take_over(store: Any, batch: Records, rows: np.ndarray, stored_seq: np.ndarray, *, timeout: float) -> np.ndarray:
    """The ``rows`` of the batch (ids stored before, as ``stored_seq``) whose claims this batch must finish.

    Those stored with rep PENDING and the very shingles of the batch's article: at once where this
    process lost their claim's reply, after up to ``timeout`` seconds of waiting for another worker.
    """
    if not rows.size:
        return rows
    ours = np.array([batch.ids[r] in store.unacknowledged for r in rows.tolist()], dtype=bool)
    deadline = time.monotonic() + timeout
    pause = 0.01
    while True:
        got = store.fetch(stored_seq[rows])
        by_seq = {s: k for k, s in enumerate(got.seq.tolist() if got.seq is not None else [])}
        pending = np.zeros(rows.shape[0], bool)
        for k, r in enumerate(rows.tolist()):
            at = by_seq.get(int(stored_seq[r]))
            pending[k] = at is not None and got.rep[at] == PENDING and _same_set(got, at, batch, r)
        if not pending[~ours].any() or time.monotonic() >= deadline:
            return rows[pending]
        time.sleep(pause)
        pause = min(pause * 2, 0.5)


def _same_set(a: Records, i: int, b: Records, j: int) -> bool:
    sa, sb = a.sets, b.sets
    return bool(
        np.array_equal(sa.hashes[sa.offsets[i] : sa.offsets[i + 1]], sb.hashes[sb.offsets[j] : sb.offsets[j + 1]])
    )


def await_reps(matches: Matches, store: Store, *, timeout: float = PENDING_TIMEOUT) -> Matches:
    """Wait until every stored article met has its final rep (its worker finalised it), then use them.

    The members were claimed before this batch, so their workers are verifying them now or have
    finished; waiting is bounded by one batch of work. Past ``timeout`` (a worker died between its
    claim and its verdict) the article counts as kept, as it would in a single process; the batch
    that sends its id again gives it its verdict.
    """
    nodes, first = matches.nodes, matches.stored
    rep = nodes.rep.copy()
    waiting = np.flatnonzero(rep[:first] == PENDING)
    deadline = time.monotonic() + timeout
    pause = 0.002
    while waiting.size and time.monotonic() < deadline:
        time.sleep(pause)
        pause = min(pause * 2, 0.2)
        assert nodes.seq is not None
        fresh: Records = store.fetch(nodes.seq[waiting])
        now = dict(zip(fresh.seq.tolist() if fresh.seq is not None else [], fresh.rep.tolist()))
        for k in waiting.tolist():
            rep[k] = now.get(int(nodes.seq[k]), -1)  # gone (expired, removed): kept
        waiting = waiting[rep[waiting] == PENDING]
    rep[:first][rep[:first] == PENDING] = -1
    return dataclasses.replace(matches, nodes=dataclasses.replace(nodes, rep=rep))
