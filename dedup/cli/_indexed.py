"""``dedup find --index PATH``: a batch deduplicated against an SQLite index, then added to it."""

from __future__ import annotations

import argparse
import itertools
import json
import time
from collections.abc import Iterator

from ..config import DedupConfig
from ..errors import FeedError
from ..feeds import FeedRecord, read_feeds
from ..results import DuplicatePair, Verdict
from ..stream import Deduplicator, open_index
from ._output import output
from ._progress import Progress

_BATCH = 4096  # articles matched and committed at a time: one transaction each


def _checked(records: Iterator[FeedRecord], index: Deduplicator, on_error: str) -> Iterator[FeedRecord]:
    """Records in batches' worth, an article whose id the index already holds turned into a rejected record."""
    while batch := list(itertools.islice(records, _BATCH)):
        good = [r for r in batch if r.article is not None]
        known = index.store.contains_many([r.article.id for r in good if r.article is not None])
        stored = {r.article.id for r, k in zip(good, known) if k and r.article is not None}
        for record in batch:
            if record.article is not None and record.article.id in stored:
                record = FeedRecord(record.path, record.line, raw_id=record.article.id, error=FeedError(
                    f"duplicate id {record.article.id!r}: the index already holds an article with this id "
                    "(was this feed added before?)", path=record.path, line=record.line))
            if record.error is not None and on_error == "stop":
                raise type(record.error)(
                    f"{record.error.reason}; or pass --on-error skip to reject bad records and go on",
                    path=record.error.path, line=record.error.line,
                )
            yield record


def run_indexed(args: argparse.Namespace, config: DedupConfig, progress: Progress, started: float) -> int:
    """Match the inputs batch by batch against the index (batch clustering); write verdicts or pairs in input order."""
    out_rows: list[Verdict | None] = []  # per record: None for an article (its verdict comes in order), or the rejection
    verdicts: list[Verdict] = []
    pairs: list[DuplicatePair] = []
    candidates = evicted = 0
    with open_index(args.index, config, window=args.window, name=args.index_name) as index:
        stored_before = len(index)
        records = _checked(read_feeds(args.inputs, id_field=args.id_field, text_field=args.text_field), index, args.on_error)
        while batch := list(itertools.islice(records, _BATCH)):
            articles = []
            for record in batch:
                if record.article is not None:
                    articles.append(record.article)
                    out_rows.append(None)
                else:
                    out_rows.append(Verdict(record.raw_id, "rejected", reason=str(record.error)))
            added = index.add_many(articles, clustering="batch")
            verdicts.extend(added.verdicts)
            if args.pairs:
                pairs.extend(added.pairs)
            candidates += added.candidates
            evicted += added.evicted
            progress("verify", len(out_rows), 0)
        stored_after = len(index)
    progress.done()
    found = iter(verdicts)
    with output(args.output) as out:
        if args.pairs:
            for pair in pairs:
                out.write(json.dumps(pair.to_dict(), ensure_ascii=False) + "\n")
        else:
            for row in out_rows:
                verdict = next(found) if row is None else row
                out.write(json.dumps(verdict.to_dict(), ensure_ascii=False) + "\n")
    rejected = sum(row is not None for row in out_rows)
    duplicates = sum(v.status == "duplicate" for v in verdicts)
    progress.message(
        f"dedup find: {len(out_rows)} records: {len(verdicts) - duplicates} kept, {duplicates} duplicates, {rejected} rejected; "
        f"index {args.index}: {stored_before} articles before, {stored_after} after ({evicted} evicted); "
        f"{candidates} candidates ({time.perf_counter() - started:.1f} s)"
    )
    return 0
