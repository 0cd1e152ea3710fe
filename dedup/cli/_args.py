"""Argument types and options shared by the subcommands."""

from __future__ import annotations

import argparse


def fraction(text: str) -> float:
    """An argparse type: a number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text}")
    return value


def add_field_options(parser: argparse.ArgumentParser) -> None:
    """``--id-field`` and ``--text-field`` for reading feeds."""
    parser.add_argument("--id-field", default="id", metavar="NAME", help="feed field holding the article id (default: id)")
    parser.add_argument("--text-field", default="text", metavar="NAME", help="feed field holding the article text (default: text)")
