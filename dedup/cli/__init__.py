"""The ``dedup`` command: ``main(argv=None) -> int``.

Each subcommand lives in its own module with ``add_parser(subparsers)`` and ``run(args) -> int``.
Errors dedup raises on purpose print one line to stderr and exit 1; usage errors exit 2.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from .. import __version__
from ..errors import DedupError
from ..text import TEXT_STAGE_VERSION
from . import diff, find, stream
from ._args import Parser
from ._output import machine_stdout

__all__ = ["main"]

_COMMANDS = (find, stream, diff)


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="dedup",
        description="Find near-duplicate news articles and show how one report was rewritten from another.",
    )
    parser.add_argument(
        "--version",
        action="version",
        version=f"dedup {__version__} (text stage {TEXT_STAGE_VERSION}; an index records it and refuses another)",
    )
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    subparsers.required = True
    for command in _COMMANDS:
        command.add_parser(subparsers)
    flags = {o for sub in subparsers.choices.values() for a in sub._actions for o in a.option_strings}
    parser.known_flags = tuple(sorted(flags | {o for a in parser._actions for o in a.option_strings}))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    machine_stdout()
    try:
        return int(args.run(args))
    except DedupError as exc:
        print(f"dedup {args.command}: error: {exc}", file=sys.stderr)
        return 1
    except BrokenPipeError:  # e.g. `dedup find feed.jsonl | head`
        sys.stderr.close()
        return 0
    except KeyboardInterrupt:
        print(f"dedup {args.command}: interrupted", file=sys.stderr)
        return 130
