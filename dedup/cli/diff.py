"""`dedup diff`: show sentence by sentence how text B was rewritten from text A.

::

    dedup diff A.txt B.txt                      two text files ('-' reads standard input)
    dedup diff --feed feed.jsonl ID_A ID_B      two articles of a feed
    dedup diff A.txt B.txt --json               the alignment as JSON
    dedup diff A.txt B.txt --html diff.html     a standalone HTML page
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Any

from ..align import align
from ..errors import FeedError, InputError
from ..render import render_html, render_json, render_terminal
from ._args import add_field_options, feed_options, fraction

__all__ = ["add_parser", "run"]


def add_parser(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "diff",
        help="show sentence by sentence how one text was rewritten from another",
        description="Align the sentences of A and B and show how B was rewritten from A: links of kind identical, "
        "rewritten, merged, split, moved, and sentences dropped (only in A) or added (only in B).",
    )
    parser.add_argument("a", metavar="A", help="the earlier text: a file ('-' for stdin), or an article id with --feed")
    parser.add_argument("b", metavar="B", help="the text that may derive from A: a file, or an article id with --feed")
    parser.add_argument(
        "--feed", metavar="FEED", help="read A and B as article ids from this feed (JSON Lines, CSV, folder)"
    )
    add_field_options(parser)
    output = parser.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="print the alignment as JSON")
    output.add_argument("--html", metavar="OUT", help="write a standalone HTML page to OUT")
    parser.add_argument(
        "--color",
        choices=("auto", "always", "never"),
        default="auto",
        help="colour the terminal view (default: auto, when printing to a terminal)",
    )
    parser.add_argument(
        "--width",
        type=int,
        metavar="COLUMNS",
        help="width of the terminal view (default: the terminal's); side by side from 100",
    )
    parser.add_argument("--min-score", type=fraction, metavar="S", help="least similarity of a link, in [0, 1]")
    parser.set_defaults(run=run)


def _read_text(path: str) -> str:
    if path == "-":
        return sys.stdin.read()
    file = Path(path)
    if not file.is_file():
        hint = "it is a folder" if file.is_dir() else "no such file"
        raise InputError(f"{path}: {hint}; give two text files, or --feed FEED ID_A ID_B for two articles of a feed")
    try:
        return file.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise InputError(f"{path}: not valid UTF-8; convert the file to UTF-8") from None
    except OSError as exc:
        raise InputError(f"{path}: cannot read the file: {exc.strerror or exc}") from None


def _from_feed(feed: str, ids: tuple[str, str], **options: Any) -> tuple[str, str]:
    from ..feeds import load_articles

    if feed != "-" and not os.path.exists(feed):
        raise FeedError("no such file or folder; check the path given to --feed", path=feed)
    articles = {article.id: article for article in load_articles(feed, **options)}
    texts = []
    for wanted in ids:
        if wanted not in articles:
            sample = ", ".join(repr(k) for k in list(articles)[:3]) or "none"
            raise FeedError(
                f"no article with {options.get('id_field', 'id')} {wanted!r} ({len(articles)} articles, e.g. {sample}); "
                "check the id or pass --id-field",
                path=feed,
            )
        texts.append(articles[wanted].text)
    return texts[0], texts[1]


def run(args: argparse.Namespace) -> int:
    if args.feed:
        text_a, text_b = _from_feed(args.feed, (args.a, args.b), **feed_options(args))
        name_a, name_b = args.a, args.b
    else:
        text_a, text_b = _read_text(args.a), _read_text(args.b)
        name_a, name_b = Path(args.a).name, Path(args.b).name
    options = {} if args.min_score is None else {"min_score": args.min_score}
    alignment = align(text_a, text_b, **options)
    if args.json:
        sys.stdout.write(render_json(alignment) + "\n")
    elif args.html:
        page = render_html(alignment, title=f"dedup diff: {name_a} \u2192 {name_b}", name_a=name_a, name_b=name_b)
        try:
            Path(args.html).write_text(page, encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{args.html}: cannot write the page: {exc.strerror or exc}") from None
        print(f"wrote {args.html}")
    else:
        if args.color == "auto":
            color = sys.stdout.isatty() and "NO_COLOR" not in os.environ
        else:
            color = args.color == "always"
        sys.stdout.write(render_terminal(alignment, color=color, width=args.width))
    return 0
