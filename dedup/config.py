"""Frozen, validated settings for every stage of dedup.

Entry points take ``config=None, **overrides``; :func:`resolve_config` merges the two and names
the closest valid option when a keyword is misspelt.
"""

from __future__ import annotations

import dataclasses
import decimal
import difflib
import math
import numbers
import re
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Literal

from .errors import ConfigError

__all__ = ["DedupConfig", "resolve_config"]

ShingleUnit = Literal["word", "char"]
KeepPolicy = Literal["earliest", "longest", "first"]

_SHINGLE_UNITS = ("word", "char")
_KEEP_POLICIES = ("earliest", "longest", "first")


def _real(value: object) -> float | None:
    """``value`` as a float if it is a real number of any kind (numpy scalars, Decimal, Fraction), else None."""
    if isinstance(value, bool) or not isinstance(value, (numbers.Real, decimal.Decimal)):
        return None
    return float(value)  # type: ignore[arg-type]


_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400, "w": 7 * 86400}


def parse_duration(value: object, *, name: str = "window", allow_zero: bool = False) -> float:
    """Seconds from ``"72h"``, ``"7d"``, ``"30m"``, ``"90s"``, ``"2w"``, a number of seconds or a timedelta."""
    if isinstance(value, timedelta):
        seconds = value.total_seconds()
    elif (number := _real(value)) is not None:
        seconds = number
    elif isinstance(value, str) and (m := re.fullmatch(r"\s*(\d+(?:\.\d+)?)\s*([smhdw]?)\s*", value.lower())):
        seconds = float(m.group(1)) * _UNITS[m.group(2) or "s"]
    else:
        raise ConfigError(f"{name} must be a duration such as '72h', '7d', '30m' or a number of seconds; got {value!r}")
    if not (seconds >= 0 if allow_zero else seconds > 0) or seconds == math.inf:
        raise ConfigError(f"{name} must be {'0 (off) or ' if allow_zero else ''}longer than 0; got {value!r}")
    return seconds


def check_fraction(name: str, value: object, *, allow_zero: bool = False) -> float:
    """``value`` as a float; :class:`ConfigError` unless it is a real number in (0, 1] (or [0, 1])."""
    number = _real(value)
    if number is None:
        raise ConfigError(f"{name} must be a number between 0 and 1; got {value!r}")
    low_ok = number >= 0 if allow_zero else number > 0
    if not (low_ok and number <= 1):  # NaN fails both
        interval = "[0, 1]" if allow_zero else "(0, 1]"
        raise ConfigError(
            f"{name} must be in {interval}; got {value!r}"
            + (" (similarities are fractions, not percentages)" if 1 < number <= 100 else "")
        )
    return number


def _check_int(name: str, value: object, *, minimum: int, maximum: int | None = None) -> int:
    """``value`` as an int; :class:`ConfigError` unless it is an integer (numpy's too) in bounds."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise ConfigError(f"{name} must be an integer; got {value!r}")
    number = int(value)
    if number < minimum or (maximum is not None and number > maximum):
        bound = f">= {minimum}" if maximum is None else f"between {minimum} and {maximum}"
        raise ConfigError(f"{name} must be {bound}; got {number}")
    return number


def _check_choice(name: str, value: object, choices: tuple[str, ...]) -> None:
    if value not in choices:
        raise ConfigError(f"{name} must be one of {', '.join(map(repr, choices))}; got {value!r}")


@dataclass(frozen=True, slots=True, kw_only=True)
class DedupConfig:
    """Settings of the near-duplicate pipeline. All similarities are fractions in [0, 1].

    The defaults were chosen from measurements recorded in ``docs/thresholds.md``.

    Attributes
    ----------
    threshold : float
        A candidate pair is reported as near-duplicate when its verified score reaches this
        (the score is the larger of the weighted Jaccard similarity and half the weighted
        containment of the shorter article in the longer).
    fact_agreement : float
        Least share of the figures (numbers, dates, amounts) of the article with fewer of them
        that must also appear in the other; templated stories that differ in their facts fail
        it. 0 turns the check off.
    lead_terms : int
        For a pair scoring below ``lead_ceiling``: how many of the rarest words of an article's lead
        (the first distinct words of its text; rarest over the batch, or over the index and the
        batch) must all be in the other article, on at least one side. Templated items about
        different companies ("... SETS QUARTERLY DIVIDEND") share wording and often figures, not
        names. 0 turns the check off (``docs/thresholds.md``).
    lead_ceiling : float
        Pairs scoring this or more are near-duplicates without the lead check.
    lead_overlap : float
        A paraphrase (the same report reworded: every sentence kept, its wording changed) scores below the
        threshold; a pair scoring ``paraphrase_floor`` or more whose figures agree is a near-duplicate all the
        same when the Jaccard similarity of the two sets of lead terms (the distinct words of each lead) reaches
        this, each lead has at least 30 of them, and their names agree (from 1,000 articles on: the lead check,
        and each side's words held by at most 2% of the articles all in the other). 0 turns it off.
    paraphrase_floor : float
        The least score of a pair :attr:`lead_overlap` may make a near-duplicate.
    candidate_threshold : float
        Jaccard similarity the MinHash LSH stage is tuned for (bands and rows are chosen from it
        the way ``datasketch.MinHashLSH`` chooses them). Lower finds more candidates to verify.
    lsh_weights : tuple of two floats
        Weights of false positives and false negatives when bands and rows are chosen for
        ``candidate_threshold`` (datasketch's ``weights``). ``(0.2, 0.8)`` trades more candidates
        for higher recall (``docs/benchmarks.md``).
    bucket_limit : int
        In every LSH band, an article becomes a candidate with at most this many articles before
        it in the same bucket: the most recent ones. Templated items (dividend notices, market
        tables) fill buckets with most of a feed; the limit keeps their pairs, and so time and
        memory, growing with the feed rather than its square (``docs/thresholds.md``).
    num_perm : int
        Number of MinHash permutations (datasketch's ``num_perm``).
    seed : int
        Seed of the permutations (datasketch's ``seed``).
    shingle_unit : {"word", "char"}
        Shingles are n-grams of words or of characters.
    shingle_size : int
        The n of the n-grams.
    weighting : {"idf", "none"}
        ``"idf"`` weighs each shingle by how rare it is in the batch, so that text many articles
        share (boilerplate, recurring formats) counts for little in verification.
    idf_prior : int
        Pseudo-count of documents added to the batch when computing idf weights, so that a
        small batch gives nearly uniform weights instead of extreme ones.
    coverage : bool
        Also align the sentences of every verified pair and report the aligned share of each
        text (``coverage_a``, ``coverage_b``). Off by default: reported only, it does not change
        a verdict (``docs/thresholds.md``), and at the defaults it was 42% of a batch's time on
        Reuters-21578. ``dedup find --pairs`` turns it on; :func:`dedup.compare` always aligns.
    keep : {"earliest", "longest", "first"}
        Which article of a cluster is its representative.
    update_window : float, str or timedelta
        Seconds (or ``"12h"``, a timedelta; stored as seconds): a pair that shares its wording (score at the threshold or more) but not its figures, whose
        published times are at most this far apart and whose names agree, is an *update* (the same report
        with its figures changed) rather than two unrelated articles (:mod:`dedup.updates`). 0 turns it off.
    keep_version : {"latest", "first", "all"}
        Of an article and its updates, which the kept feed holds: the latest version, the first, or all.
    workers : int
        Threads that shingle, sign and verify chunks of a batch in parallel (results are the same
        for any number). The compiled kernels release the GIL, so threads share the batch's arrays
        and still use as many cores; 1 works in the calling thread alone.
    block_size : int
        Shingles per block in the signature kernel; bounds its memory (block_size * num_perm * 4 bytes).
    """

    threshold: float = 0.35
    fact_agreement: float = 0.8
    lead_terms: int = 3
    lead_ceiling: float = 0.6
    lead_overlap: float = 0.45
    paraphrase_floor: float = 0.2
    candidate_threshold: float = 0.2
    lsh_weights: tuple[float, float] = (0.5, 0.5)
    bucket_limit: int = 32
    num_perm: int = 128
    seed: int = 1
    shingle_unit: ShingleUnit = "word"
    shingle_size: int = 2
    weighting: Literal["idf", "none"] = "idf"
    idf_prior: int = 1000
    coverage: bool = False
    keep: KeepPolicy = "earliest"
    update_window: float = 12 * 3600.0
    keep_version: Literal["latest", "first", "all"] = "latest"
    workers: int = 1
    block_size: int = 1 << 13

    def __post_init__(self) -> None:
        # Every number is checked and stored as the plain float or int it stands for (numpy scalars, Decimal...).
        put = object.__setattr__
        put(self, "threshold", check_fraction("threshold", self.threshold))
        put(self, "fact_agreement", check_fraction("fact_agreement", self.fact_agreement, allow_zero=True))
        put(self, "lead_terms", _check_int("lead_terms", self.lead_terms, minimum=0, maximum=20))
        put(self, "lead_ceiling", check_fraction("lead_ceiling", self.lead_ceiling, allow_zero=True))
        put(self, "lead_overlap", check_fraction("lead_overlap", self.lead_overlap, allow_zero=True))
        put(self, "paraphrase_floor", check_fraction("paraphrase_floor", self.paraphrase_floor, allow_zero=True))
        put(self, "candidate_threshold", check_fraction("candidate_threshold", self.candidate_threshold))
        weights = self.lsh_weights
        values = tuple(_real(w) for w in weights) if isinstance(weights, (tuple, list)) else ()
        if (
            len(values) != 2
            or any(v is None or not 0 <= v <= 1 for v in values)
            or abs(sum(v or 0.0 for v in values) - 1) > 1e-9
        ):
            raise ConfigError(f"lsh_weights must be two fractions summing to 1, e.g. (0.5, 0.5); got {weights!r}")
        put(self, "lsh_weights", values)
        put(self, "bucket_limit", _check_int("bucket_limit", self.bucket_limit, minimum=1, maximum=1 << 20))
        put(self, "num_perm", _check_int("num_perm", self.num_perm, minimum=2, maximum=1 << 14))
        put(self, "seed", _check_int("seed", self.seed, minimum=0, maximum=(1 << 32) - 1))
        _check_choice("shingle_unit", self.shingle_unit, _SHINGLE_UNITS)
        put(self, "shingle_size", _check_int("shingle_size", self.shingle_size, minimum=1, maximum=64))
        _check_choice("weighting", self.weighting, ("idf", "none"))
        put(self, "idf_prior", _check_int("idf_prior", self.idf_prior, minimum=0, maximum=1 << 40))
        if not isinstance(self.coverage, bool):
            raise ConfigError(f"coverage must be True or False; got {self.coverage!r}")
        _check_choice("keep", self.keep, _KEEP_POLICIES)
        put(self, "update_window", parse_duration(self.update_window, name="update_window", allow_zero=True))
        _check_choice("keep_version", self.keep_version, ("latest", "first", "all"))
        put(self, "workers", _check_int("workers", self.workers, minimum=1, maximum=256))
        # block_size * num_perm * 4 bytes is the signature kernel's working memory: 256 MB at most (the default aside)
        put(
            self,
            "block_size",
            _check_int("block_size", self.block_size, minimum=1, maximum=max(1 << 13, (1 << 26) // self.num_perm)),
        )

    def replace(self, **overrides: Any) -> DedupConfig:
        """A copy with some fields changed; unknown names raise :class:`ConfigError`."""
        _check_names(overrides)
        return dataclasses.replace(self, **overrides)

    def signature_settings(self) -> dict[str, Any]:
        """The settings that change signatures; an index records them and refuses others.

        ``text_stage`` is :data:`dedup.text.TEXT_STAGE_VERSION`, bumped by any change of the token rules.
        """
        from .text import TEXT_STAGE_VERSION

        return {
            "num_perm": self.num_perm,
            "seed": self.seed,
            "shingle_unit": self.shingle_unit,
            "shingle_size": self.shingle_size,
            "scheme": "affine32",
            "hash": "cp64-fmix",
            "text_stage": TEXT_STAGE_VERSION,
        }

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _check_names(overrides: dict[str, Any]) -> None:
    valid = [f.name for f in dataclasses.fields(DedupConfig)]
    for name in overrides:
        if name not in valid:
            close = difflib.get_close_matches(name, valid, n=1)
            hint = f"; did you mean {close[0]!r}?" if close else f"; valid options: {', '.join(valid)}"
            raise ConfigError(f"unknown option {name!r}{hint}")


def resolve_config(config: DedupConfig | None = None, **overrides: Any) -> DedupConfig:
    """Merge an optional config with keyword overrides into one validated :class:`DedupConfig`."""
    if config is not None and not isinstance(config, DedupConfig):
        raise ConfigError(f"config must be a DedupConfig or None; got {type(config).__name__}")
    base = config if config is not None else DedupConfig()
    return base.replace(**overrides) if overrides else base
