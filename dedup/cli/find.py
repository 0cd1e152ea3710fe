"""``dedup find``: one JSON line per input article saying whether it is unique or a near-duplicate."""

from __future__ import annotations

import argparse
import dataclasses
import os
import time
from collections.abc import Iterator
from typing import Any

from .._parquet import PAIR_SCHEMA, VERDICT_SCHEMA
from ..article import Article
from ..config import DedupConfig
from ..errors import ConfigError
from ..feeds import read_feeds
from ..pipeline import find_duplicates
from ..results import DedupResult, Verdict, is_kept
from ..updates import describe_change
from ._args import add_field_options, add_lead_options, add_update_options, config_from, feed_options, fraction, weights
from ._indexed import run_indexed as _run_indexed
from ._output import check_output, records
from ._progress import Progress

_DEFAULTS = DedupConfig()


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    p = subparsers.add_parser(
        "find",
        help="find near-duplicate articles in feeds",
        description="Read feeds (JSON Lines, .jsonl.gz, CSV, folders of .txt files, or - for stdin) and write one "
        "JSON line per article: {id, status, cluster, duplicate_of, score, reason}.",
    )
    p.add_argument("inputs", nargs="+", metavar="INPUT", help="feed files or folders; - reads JSON Lines from stdin")
    p.add_argument("-o", "--output", metavar="OUT", help="write here instead of stdout")
    p.add_argument(
        "--emit",
        choices=("verdicts", "pairs", "kept", "duplicates"),
        default=None,
        help="what to write: a verdict line per record (default), the verified pairs, or the input records "
        "themselves that were kept (the deduplicated feed) or found duplicates, every field as it came",
    )
    p.add_argument("--pairs", action="store_true", help="short for --emit pairs")
    add_field_options(p)
    p.add_argument(
        "--on-error",
        choices=("stop", "skip"),
        default="stop",
        help="a malformed record stops the run (default) or is rejected with its reason and the run goes on",
    )
    p.add_argument(
        "--keep",
        choices=("earliest", "longest", "first"),
        default=_DEFAULTS.keep,
        help="which article of a cluster is kept (default: earliest published, then longest, then first)",
    )
    p.add_argument(
        "--threshold",
        type=fraction,
        default=_DEFAULTS.threshold,
        help=f"least verified score of a near-duplicate pair (default: {_DEFAULTS.threshold})",
    )
    p.add_argument(
        "--candidate-threshold",
        type=fraction,
        default=_DEFAULTS.candidate_threshold,
        help=f"Jaccard similarity the LSH stage is tuned for (default: {_DEFAULTS.candidate_threshold})",
    )
    p.add_argument(
        "--lsh-weights",
        type=weights,
        default=_DEFAULTS.lsh_weights,
        metavar="FP,FN",
        help="weights of false positives and negatives when choosing LSH bands (default: 0.5,0.5; 0.2,0.8 finds more)",
    )
    p.add_argument(
        "--bucket-limit",
        type=int,
        default=_DEFAULTS.bucket_limit,
        metavar="K",
        help="in each LSH band, compare an article with at most the K most recent of its bucket "
        f"(default: {_DEFAULTS.bucket_limit}; bounds the work on templated feeds)",
    )
    p.add_argument(
        "--fact-agreement",
        type=fraction,
        default=_DEFAULTS.fact_agreement,
        help=f"least agreement of the figures of a pair; 0 turns the check off (default: {_DEFAULTS.fact_agreement})",
    )
    add_lead_options(p)
    add_update_options(p)
    p.add_argument(
        "--shingle-unit",
        choices=("word", "char"),
        default=_DEFAULTS.shingle_unit,
        help=f"shingles are n-grams of words or of characters (default: {_DEFAULTS.shingle_unit})",
    )
    p.add_argument(
        "--shingle-size",
        type=int,
        default=_DEFAULTS.shingle_size,
        metavar="N",
        help=f"the n of the n-grams, 1 to 64 (default: {_DEFAULTS.shingle_size})",
    )
    p.add_argument(
        "--num-perm",
        type=int,
        default=_DEFAULTS.num_perm,
        metavar="N",
        help=f"MinHash permutations, 2 to 16384 (default: {_DEFAULTS.num_perm}; datasketch's num_perm)",
    )
    p.add_argument(
        "--seed",
        type=int,
        default=_DEFAULTS.seed,
        metavar="N",
        help=f"seed of the MinHash permutations (default: {_DEFAULTS.seed}; datasketch's seed)",
    )
    p.add_argument(
        "-j",
        "--jobs",
        type=int,
        default=0,
        metavar="N",
        help="worker threads that shingle, sign and verify in parallel (default 0: one per core; results do not depend on it)",
    )
    p.add_argument(
        "--no-coverage",
        action="store_true",
        help="with --pairs: do not align the sentences of verified pairs (faster; coverage_a/b become null)",
    )
    p.add_argument(
        "--index",
        metavar="PATH",
        help="an SQLite index file (created if missing) or redis://HOST:PORT/DB: dedup the inputs against "
        "every article it holds and against each other, then add them to it",
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
        help="with --index: compare only articles published within DURATION of each other (72h, 7d, ...) "
        "and evict what falls out of it",
    )
    p.add_argument("-q", "--quiet", action="store_true", help="no progress bar or summary on stderr")
    p.set_defaults(run=run, parser=p)


def run(args: argparse.Namespace) -> int:
    started = time.perf_counter()
    check_output(args.output, args.inputs)  # before any work: a missing folder is not found after the run
    if args.pairs and args.emit not in (None, "pairs"):
        args.parser.error(f"argument --pairs: not allowed with --emit {args.emit} (--pairs is short for --emit pairs)")
    args.emit = "pairs" if args.pairs else (args.emit or "verdicts")
    args.pairs = args.emit == "pairs"
    progress = Progress.for_terminal(quiet=args.quiet)
    config = config_from(
        args,
        threshold=args.threshold,
        candidate_threshold=args.candidate_threshold,
        lsh_weights=args.lsh_weights,
        bucket_limit=args.bucket_limit,
        fact_agreement=args.fact_agreement,
        lead_terms=args.lead_terms,
        lead_ceiling=args.lead_ceiling,
        lead_overlap=args.lead_overlap,
        update_window=args.update_window,
        keep_version=args.keep_version,
        shingle_unit=args.shingle_unit,
        shingle_size=args.shingle_size,
        num_perm=args.num_perm,
        seed=args.seed,
        keep=args.keep,
        coverage=args.pairs and not args.no_coverage,  # only the pairs output reports coverage
        workers=args.jobs if args.jobs != 0 else min(os.cpu_count() or 1, 8),
    )
    # Articles stream into find_duplicates; per record only its place is kept: None for an article
    # (its verdict comes from the result, in order) or the Verdict of a rejected record.
    places: list[Verdict | None] = []
    held: list[dict[str, Any] | None] = []  # the records as read, for --emit kept/duplicates from stdin (read once)
    hold = args.emit in ("kept", "duplicates") and "-" in args.inputs

    def articles() -> Iterator[Article]:
        for record in read_feeds(args.inputs, **feed_options(args)):
            if hold:
                held.append(record.data)
            if record.error is None:
                places.append(None)
                yield record.article  # type: ignore[misc]
            elif args.on_error == "stop":
                progress.done()
                raise type(record.error)(
                    f"{record.error.reason}; or pass --on-error skip to reject bad records and go on",
                    path=record.error.path,
                    line=record.error.line,
                )
            else:
                places.append(Verdict(record.raw_id, "rejected", reason=str(record.error)))

    if args.index is not None:
        return _run_indexed(args, config, progress, started)
    if args.window is not None:
        raise ConfigError("--window needs --index: a single batch has no history to forget; add --index PATH")
    result = find_duplicates(articles(), config, progress=progress)
    progress.done()
    if result.updates and args.emit in ("verdicts", "pairs") and "-" not in args.inputs:
        result = _with_changed_figures(result, args)  # (stdin is read once: its updates say less)
    verdicts = iter(result.verdicts)
    if args.emit in ("kept", "duplicates"):
        every = [next(verdicts) if place is None else place for place in places]
        wanted = [is_kept(v, config.keep_version) if args.emit == "kept" else v.status == "duplicate" for v in every]
        again = iter(held) if hold else (r.data for r in read_feeds(args.inputs, **feed_options(args)))
        with records(args.output, None) as sink:
            for data, want in zip(again, wanted, strict=True):  # the files read again: memory stays bounded
                if want and data is not None:
                    sink.write(data)
    else:
        with records(args.output, PAIR_SCHEMA if args.pairs else VERDICT_SCHEMA) as sink:
            if args.pairs:
                for pair in result.pairs:
                    sink.write(pair.to_dict())
            else:
                for place in places:
                    sink.write((next(verdicts) if place is None else place).to_dict())
    rejected = sum(place is not None for place in places)
    stats = result.stats
    progress.message(
        f"dedup find: {len(places)} records: {len(result.kept)} kept, {stats['duplicates']} duplicates "
        f"in {stats['clusters']} clusters, {stats['updates']} updates, {rejected} rejected; "
        f"{stats['pairs']} pairs verified of "
        f"{stats['candidates']} candidates ({time.perf_counter() - started:.1f} s)"
    )
    return 0


def _with_changed_figures(result: DedupResult, args: argparse.Namespace) -> DedupResult:
    """The result with each update's reason (verdict and pair) naming the figures that changed, from the texts of
    the updates and of their earlier versions, read again from the inputs (the batch kept no texts)."""
    wanted = {v.id for v in result.verdicts if v.status == "update"}
    wanted |= {v.update_of for v in result.verdicts if v.status == "update"}  # type: ignore[misc]
    wanted |= {x for p in result.pairs if p.kind == "update" for x in (p.a, p.b)}
    texts: dict[str, str] = {}
    for record in read_feeds(args.inputs, **feed_options(args)):
        if record.error is None and record.article is not None and record.article.id in wanted:
            texts.setdefault(record.article.id, record.article.text)
    verdicts = []
    for v in result.verdicts:
        if v.status == "update" and v.update_of in texts and v.id in texts:
            head = v.reason.rsplit("the same report, ", 1)[0]
            change = describe_change(texts[v.update_of], texts[v.id])  # type: ignore[index]
            v = dataclasses.replace(v, reason=f"{head}the same report, {change}")
        verdicts.append(v)
    pairs = []
    for p in result.pairs:
        if p.kind == "update" and p.a in texts and p.b in texts and "; figures changed:" not in p.reason:
            p = dataclasses.replace(p, reason=f"{p.reason}; {describe_change(texts[p.a], texts[p.b])}")
        pairs.append(p)
    return dataclasses.replace(result, verdicts=tuple(verdicts), pairs=tuple(pairs))
