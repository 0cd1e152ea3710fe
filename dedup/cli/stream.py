"""``dedup stream``: a live feed on stdin, one verdict line per record on stdout as soon as it is known."""

from __future__ import annotations

import argparse
import os
import signal
import sys
import time
from types import FrameType
from typing import Any

from ..article import Article
from ..config import DedupConfig
from ..errors import FeedError
from ..feeds import FeedRecord, Fields, parse_jsonl_line
from ..results import Verdict
from ..stream import Deduplicator
from ._args import add_field_options, add_lead_options, add_update_options, config_from, fraction
from ._output import json_line
from ._progress import Progress

_DEFAULTS = DedupConfig()
_READ = 1 << 16


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "stream",
        help="deduplicate a live feed of JSON Lines on stdin, record by record",
        description="Read JSON Lines on stdin as they come and write one verdict line per record at once: "
        "{id, status, cluster, duplicate_of, score, reason, update_of, updated_by}; status is unique, duplicate "
        "(of an earlier article), update (of an earlier article: the same report with its figures changed) "
        "or rejected. Verdicts are final. With --index the history survives restarts.",
    )
    p.add_argument(
        "--index",
        metavar="PATH",
        help="an SQLite index file to remember the feed in (created if missing), or redis://HOST:PORT/DB",
    )
    p.add_argument(
        "--index-name",
        default="dedup",
        metavar="NAME",
        help="with --index redis://HOST:PORT/DB: the index's name on the server, so several share one (default: dedup)",
    )
    p.add_argument(
        "--window",
        metavar="DURATION",
        help="compare only articles published within DURATION of each other (72h, 7d, ...); older ones are evicted",
    )
    add_field_options(p, csv=False)
    p.add_argument(
        "--on-error",
        choices=("skip", "stop"),
        default="skip",
        help="a malformed record gets a rejected line and the feed goes on (default), or stops the run",
    )
    p.add_argument(
        "--threshold",
        type=fraction,
        default=_DEFAULTS.threshold,
        help=f"least verified score of a near-duplicate pair (default: {_DEFAULTS.threshold})",
    )
    p.add_argument(
        "--fact-agreement",
        type=fraction,
        default=_DEFAULTS.fact_agreement,
        help=f"least agreement of the figures of a pair; 0 turns the check off (default: {_DEFAULTS.fact_agreement})",
    )
    add_lead_options(p)
    add_update_options(p, versions=False)
    p.add_argument(
        "--bucket-limit",
        type=int,
        default=_DEFAULTS.bucket_limit,
        metavar="K",
        help=f"in each LSH band, compare with at most the K most recent of the bucket (default: {_DEFAULTS.bucket_limit})",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress or summary on stderr")
    p.set_defaults(run=run, parser=p)


class _Tally:
    def __init__(self) -> None:
        self.records = self.unique = self.duplicates = self.updates = self.rejected = self.evicted = 0


def _stop(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt  # closes the index on the way out; what was written stays


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    progress = Progress.for_terminal(quiet=args.quiet)
    config = config_from(
        args,
        threshold=args.threshold,
        fact_agreement=args.fact_agreement,
        lead_terms=args.lead_terms,
        lead_ceiling=args.lead_ceiling,
        lead_overlap=args.lead_overlap,
        update_window=args.update_window,
        bucket_limit=args.bucket_limit,
    )
    tally = _Tally()
    previous = signal.signal(signal.SIGTERM, _stop)
    try:
        with Deduplicator(config, index=args.index, window=args.window, index_name=args.index_name) as dedup:
            stored = len(dedup)
            try:
                _serve(args, dedup, tally, progress)
            finally:
                progress.done()
                progress.message(
                    f"dedup stream: {tally.records} records: {tally.unique} unique, {tally.duplicates} duplicates, "
                    f"{tally.updates} updates, {tally.rejected} rejected; {len(dedup)} stored ({stored} at start, {tally.evicted} evicted) "
                    f"({time.perf_counter() - started:.1f} s)"
                )
    finally:
        signal.signal(signal.SIGTERM, previous)
    return 0


def _serve(args: argparse.Namespace, dedup: Deduplicator, tally: _Tally, progress: Progress) -> None:
    """Read what stdin has, answer every complete line of it, repeat until end of input."""
    fd = sys.stdin.fileno()
    pending = b""
    line = 0
    while True:
        chunk = os.read(fd, _READ)
        if not chunk:
            if pending.strip():
                line += 1
                _answer(args, dedup, [(line, pending)], tally)
            break
        lines = (pending + chunk).split(b"\n")
        pending = lines.pop()
        numbered = [(line + k + 1, raw) for k, raw in enumerate(lines)]
        line += len(lines)
        _answer(args, dedup, numbered, tally)
        progress("stream", tally.records, 0)


def _answer(args: argparse.Namespace, dedup: Deduplicator, lines: list[tuple[int, bytes]], tally: _Tally) -> None:
    """Verdicts of some complete lines, in order: runs of good articles are matched as one batch."""
    out: list[dict[str, Any]] = []
    group: list[Article] = []
    ids: set[str] = set()

    def flush() -> None:
        if group:
            added = dedup.add_many(group)
            tally.evicted += added.evicted
            for verdict in added.verdicts:
                tally.unique += verdict.status == "unique"
                tally.duplicates += verdict.status == "duplicate"
                tally.updates += verdict.status == "update"
                out.append(verdict.to_dict())
            group.clear()
            ids.clear()

    fields = Fields(args.id_field, args.text_field, args.title_field, args.source_field, args.published_field)
    for number, raw in lines:
        record = parse_jsonl_line(raw, path="<stdin>", line=number, fields=fields)
        if record is None:
            continue
        tally.records += 1
        if record.article is not None and (record.article.id in ids or record.article.id in dedup):
            record = FeedRecord(
                record.path,
                number,
                raw_id=record.article.id,
                error=FeedError(
                    f"duplicate id {record.article.id!r}: an article with this id was seen before; every article needs its own id",
                    path="<stdin>",
                    line=number,
                ),
            )
        if record.error is not None:
            flush()
            if args.on_error == "stop":
                _write(out)
                raise FeedError(
                    f"{record.error.reason}; or pass --on-error skip to reject bad records and go on",
                    path=record.error.path,
                    line=record.error.line,
                )
            tally.rejected += 1
            out.append(Verdict(record.raw_id, "rejected", reason=str(record.error)).to_dict())
            continue
        assert record.article is not None
        group.append(record.article)
        ids.add(record.article.id)
    flush()
    _write(out)


def _write(rows: list[dict[str, Any]]) -> None:
    if rows:
        sys.stdout.write("".join(json_line(row) for row in rows))
        sys.stdout.flush()
