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


def weights(text: str) -> tuple[float, float]:
    """An argparse type: two fractions ``FP,FN`` summing to 1."""
    try:
        fp, fn = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two numbers FP,FN such as 0.2,0.8; got {text!r}") from None
    if min(fp, fn) < 0 or abs(fp + fn - 1) > 1e-9:
        raise argparse.ArgumentTypeError(f"the two weights must be non-negative and sum to 1; got {text}")
    return (fp, fn)
