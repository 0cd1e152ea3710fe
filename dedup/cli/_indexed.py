"""``dedup find --index PATH``: a batch deduplicated against an SQLite index, then added to it."""

from __future__ import annotations

import argparse
import itertools
import time
from collections.abc import Iterator

from .._parquet import PAIR_SCHEMA, VERDICT_SCHEMA
from ..config import DedupConfig
from ..errors import FeedError, IndexFileError
from ..feeds import FeedRecord, read_feeds
from ..results import Verdict, is_kept
from ..stream import Deduplicator, open_index
from ._args import feed_options
from ._output import records as output_records
from ._progress import Progress

_BATCH = 4096  # articles matched and committed at a time: one transaction each
_COLUMNS = {"verdicts": VERDICT_SCHEMA, "pairs": PAIR_SCHEMA}  # --emit kept / duplicates: the records' own fields


def _checked(records: Iterator[FeedRecord], index: Deduplicator, on_error: str) -> Iterator[FeedRecord]:
    """Records in batches' worth, an article whose id the index already holds turned into a rejected record."""
    while batch := list(itertools.islice(records, _BATCH)):
        good = [r for r in batch if r.article is not None]
        ids = [r.article.id for r in good if r.article is not None]
        if index.shared:  # 2: claimed without a verdict (a worker lost or killed): the batch takes them over
            known = index.store.states_many(ids) == 1  # type: ignore[attr-defined]
        else:
            known = index.store.contains_many(ids)
        stored = {i for i, k in zip(ids, known.tolist()) if k}
        for record in batch:
            if record.article is not None and record.article.id in stored:
                record = FeedRecord(
                    record.path,
                    record.line,
                    raw_id=record.article.id,
                    error=FeedError(
                        f"duplicate id {record.article.id!r}: the index already holds an article with this id "
                        "(was this feed added before?)",
                        path=record.path,
                        line=record.line,
                    ),
                )
            if record.error is not None and on_error == "stop":
                raise type(record.error)(
                    f"{record.error.reason}; or pass --on-error skip to reject bad records and go on",
                    path=record.error.path,
                    line=record.error.line,
                )
            yield record


def run_indexed(args: argparse.Namespace, config: DedupConfig, progress: Progress, started: float) -> int:
    """Match the inputs batch by batch against the index (batch clustering); write each batch's lines as it is stored.

    A run that stops (a lost server, a kill) leaves the lines of every batch it stored, and its
    error says how many records that was (a ``.parquet`` output: its rows, unless the run was
    interrupted or killed, as a Parquet file is readable only once closed).
    """
    records_done = kept = duplicates = updates = rejected = candidates = evicted = 0
    with (
        open_index(args.index, config, window=args.window, name=args.index_name) as index,
        output_records(args.output, _COLUMNS.get(args.emit), partial=True) as sink,
    ):
        stored_before = len(index)
        records = _checked(read_feeds(args.inputs, **feed_options(args)), index, args.on_error)
        try:
            while batch := list(itertools.islice(records, _BATCH)):
                articles = [record.article for record in batch if record.article is not None]
                added = index.add_many(articles, clustering="batch")
                found = iter(added.verdicts)
                for record in batch:
                    if record.article is None:
                        verdict = Verdict(record.raw_id, "rejected", reason=str(record.error))
                    else:
                        verdict = next(found)
                    rejected += verdict.status == "rejected"
                    duplicates += verdict.status == "duplicate"
                    updates += verdict.status == "update"
                    keep = is_kept(verdict, config.keep_version)  # (a version written in an earlier batch stays)
                    kept += keep
                    if args.emit == "verdicts":
                        sink.write(verdict.to_dict())
                    elif record.data is not None and (
                        (args.emit == "kept" and keep) or (args.emit == "duplicates" and verdict.status == "duplicate")
                    ):
                        sink.write(record.data)
                if args.pairs:
                    for pair in added.pairs:
                        sink.write(pair.to_dict())
                sink.flush()
                records_done += len(batch)
                candidates += added.candidates
                evicted += added.evicted
                progress("verify", records_done, 0)
        except IndexFileError as exc:  # the store went away (a lost server): say what is safe
            raise IndexFileError(
                f"{exc}; the first {records_done} records were stored and written; the next batch of up to {_BATCH} "
                "may be stored in part: run again with --on-error skip to store the rest"
            ) from None
        stored_after = len(index)
    progress.done()
    progress.message(
        f"dedup find: {records_done} records: {kept} kept, {duplicates} duplicates, {updates} updates, "
        f"{rejected} rejected; "
        f"index {args.index}: {stored_before} articles before, {stored_after} after ({evicted} evicted); "
        f"{candidates} candidates ({time.perf_counter() - started:.1f} s)"
    )
    return 0
