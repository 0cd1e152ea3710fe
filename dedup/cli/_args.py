"""Argument types and options shared by the subcommands."""

from __future__ import annotations

import argparse
import difflib
from typing import Any

from ..config import DedupConfig
from ..errors import ConfigError
from ..verify import LEAD_MIN_DOCS

# The flag that sets each setting: a bad value is a usage error naming the flag (exit 2)
FLAGS = {
    "threshold": "--threshold",
    "candidate_threshold": "--candidate-threshold",
    "lsh_weights": "--lsh-weights",
    "bucket_limit": "--bucket-limit",
    "fact_agreement": "--fact-agreement",
    "lead_terms": "--lead-terms",
    "lead_ceiling": "--lead-ceiling",
    "lead_overlap": "--lead-overlap",
    "shingle_unit": "--shingle-unit",
    "shingle_size": "--shingle-size",
    "num_perm": "--num-perm",
    "seed": "--seed",
    "workers": "-j/--jobs",
    "keep": "--keep",
    "update_window": "--update-window",
    "keep_version": "--keep-version",
}


class Parser(argparse.ArgumentParser):
    """argparse, with "did you mean" for an unknown flag (the closest ones every subcommand knows)."""

    known_flags: tuple[str, ...] = ()

    def error(self, message: str) -> Any:  # type: ignore[override]
        if message.startswith("unrecognized arguments: "):
            flags = self.known_flags or tuple(o for a in self._actions for o in a.option_strings)
            hints = []
            for word in message.removeprefix("unrecognized arguments: ").split():
                close = difflib.get_close_matches(word.split("=", 1)[0], flags, n=1, cutoff=0.6)
                if word.startswith("-") and close:
                    hints.append(f"{word}: did you mean {close[0]}?")
            if hints:
                message += " (" + "; ".join(hints) + ")"
        super().error(message)


def config_from(args: argparse.Namespace, **settings: Any) -> DedupConfig:
    """The run's :class:`DedupConfig`; a setting a flag gave a bad value is a usage error naming that flag."""
    try:
        return DedupConfig(**settings)
    except ConfigError as exc:
        name, _, rest = str(exc).partition(" ")
        if name not in FLAGS or not hasattr(args, "parser"):
            raise
        args.parser.error(f"argument {FLAGS[name]}: {rest}")
        raise  # pragma: no cover - error() exits


def add_lead_options(p: argparse.ArgumentParser) -> None:
    """``--lead-terms`` and ``--lead-ceiling``: the check that keeps templated items of different companies apart."""
    defaults = DedupConfig()
    p.add_argument(
        "--lead-terms",
        type=int,
        default=defaults.lead_terms,
        metavar="K",
        help="below --lead-ceiling, a pair needs, on one side, the K rarest words of the lead all in the other "
        f"(names: templated items of different companies differ in them); 0 turns the check off "
        f"(default: {defaults.lead_terms}; applies from {LEAD_MIN_DOCS} articles on)",
    )
    p.add_argument(
        "--lead-ceiling",
        type=fraction,
        default=defaults.lead_ceiling,
        metavar="S",
        help=f"pairs scoring S or more need no lead check (default: {defaults.lead_ceiling})",
    )
    p.add_argument(
        "--lead-overlap",
        type=fraction,
        default=defaults.lead_overlap,
        metavar="X",
        help=f"a pair scoring {defaults.paraphrase_floor} or more (below the threshold) whose figures agree is a "
        "paraphrase, a near-duplicate, when its leads share this Jaccard of their words, each lead has 30 or more, "
        f"and their names agree; 0 turns it off (default: {defaults.lead_overlap})",
    )


def fraction(text: str) -> float:
    """An argparse type: a number in [0, 1]."""
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number between 0 and 1, got {text}")
    return value


def add_field_options(parser: argparse.ArgumentParser, *, csv: bool = True) -> None:
    """Where the feed's fields are (``--id-field`` ...), and the CSV delimiter."""
    for name, what in (
        ("id", "the article id"),
        ("text", "the article text"),
        ("title", "the title"),
        ("source", "the source"),
        ("published", "the publication time (ISO 8601 or RFC 2822)"),
    ):
        parser.add_argument(
            f"--{name}-field",
            default=name,
            metavar="NAME",
            help=f"feed field holding {what} (default: {name}; a dotted path such as body.{name} reaches "
            "into nested JSON)",
        )
    if csv:
        parser.add_argument(
            "--csv-delimiter",
            type=_delimiter,
            metavar="C",
            help="the delimiter of CSV inputs: ',', ';', 'tab' or any one character (default: read "
            "from the header; tab for .tsv)",
        )


def _delimiter(text: str) -> str:
    value = "\t" if text.lower() in ("tab", "\\t") else text
    if len(value) != 1 or value in '"\r\n':
        raise argparse.ArgumentTypeError(f"expected one character such as ',' ';' or 'tab'; got {text!r}")
    return value


def feed_options(args: argparse.Namespace) -> dict[str, Any]:
    """The keyword arguments of :func:`dedup.read_feeds` the field options give."""
    return {
        "id_field": args.id_field,
        "text_field": args.text_field,
        "title_field": args.title_field,
        "source_field": args.source_field,
        "published_field": args.published_field,
        "csv_delimiter": getattr(args, "csv_delimiter", None),
    }


def weights(text: str) -> tuple[float, float]:
    """An argparse type: two fractions ``FP,FN`` summing to 1."""
    try:
        fp, fn = (float(x) for x in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected two numbers FP,FN such as 0.2,0.8; got {text!r}") from None
    if min(fp, fn) < 0 or abs(fp + fn - 1) > 1e-9:
        raise argparse.ArgumentTypeError(f"the two weights must be non-negative and sum to 1; got {text}")
    return (fp, fn)


def add_update_options(p: argparse.ArgumentParser, *, versions: bool = True) -> None:
    """``--update-window`` (and ``--keep-version`` with ``versions``): updates, the same report with its figures
    changed."""
    defaults = DedupConfig()
    p.add_argument(
        "--update-window",
        default=defaults.update_window,
        metavar="DURATION",
        help="a pair sharing its wording but not its figures, published at most DURATION apart ('12h', '2d', "
        "seconds) and naming the same names, is an update: the later article gets status update, with "
        f"update_of and the changed figures; 0 turns it off (default: {defaults.update_window / 3600:g}h)",
    )
    if not versions:
        return
    p.add_argument(
        "--keep-version",
        choices=("latest", "first", "all"),
        default=defaults.keep_version,
        help="of an article and its updates, which --emit kept writes: the latest version, the first, or all "
        f"(default: {defaults.keep_version})",
    )
