"""A generated wire feed of templated items: dividend notices, earnings lines, market tables.

Every company name, date and figure is drawn at random, so no two items report the same facts and a
near-duplicate detector should flag none of them, while their wording is shared word for word. Such
items fill real wire feeds (Reuters-21578 has thousands) and make LSH buckets as large as the feed.

    >>> docs = templated_feed(3, seed=1)
    >>> [d["id"] for d in docs]
    ['tmpl-0', 'tmpl-1', 'tmpl-2']
"""

from __future__ import annotations

import random
from typing import Any

__all__ = ["templated_feed"]

_SYLLABLES = (
    "al",
    "ban",
    "cor",
    "dex",
    "el",
    "fin",
    "gar",
    "hol",
    "in",
    "jor",
    "kel",
    "lum",
    "mar",
    "nor",
    "or",
    "pel",
    "quin",
    "ros",
    "sol",
    "tan",
    "ul",
    "ver",
    "wes",
    "xan",
    "yor",
    "zen",
)
_SUFFIXES = ("Corp", "Inc", "Co", "Ltd", "Industries", "Group", "Bancorp", "Holdings", "Resources", "Systems")
_MONTHS = (
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
)


def _name(rng: random.Random) -> str:
    return "".join(rng.choice(_SYLLABLES) for _ in range(rng.randint(2, 4))).capitalize() + " " + rng.choice(_SUFFIXES)


def _date(rng: random.Random) -> str:
    return f"{rng.choice(_MONTHS)} {rng.randint(1, 28)}"


def _dividend(rng: random.Random, name: str) -> str:
    return (
        f"{name.upper()} DECLARES QUARTERLY DIVIDEND\n\n"
        f"{name} said its board declared a quarterly dividend of {rng.randint(2, 95)} cts a share, "
        f"payable {_date(rng)} to holders of record on {_date(rng)}. "
        f"The company earned {rng.randint(1, 900)}.{rng.randint(0, 9)} mln dlrs, or {rng.randint(1, 9)}.{rng.randint(10, 99)} "
        f"dlrs a share, in {rng.randint(1984, 1987)}, against {rng.randint(1, 900)}.{rng.randint(0, 9)} mln dlrs "
        f"a year earlier. The previous dividend was {rng.randint(2, 95)} cts a share, paid {_date(rng)}."
    )


def _earnings(rng: random.Random, name: str) -> str:
    q = rng.choice(("1st", "2nd", "3rd", "4th"))
    return (
        f"{name.upper()} {q.upper()} QTR NET\n\n"
        f"Shr {rng.randint(1, 99)} cts vs {rng.randint(1, 99)} cts\n"
        f"Net {rng.randint(100, 99999):,} vs {rng.randint(100, 99999):,}\n"
        f"Revs {rng.randint(1, 999)}.{rng.randint(0, 9)} mln vs {rng.randint(1, 999)}.{rng.randint(0, 9)} mln\n"
        f"Avg shrs {rng.randint(1, 99)}.{rng.randint(0, 9)} mln vs {rng.randint(1, 99)}.{rng.randint(0, 9)} mln\n"
        f"NOTE: {name} said {q} quarter results include a gain of {rng.randint(1, 999)},000 dlrs from the sale of "
        f"assets, against a loss of {rng.randint(1, 999)},000 dlrs a year ago."
    )


def _market(rng: random.Random, name: str) -> str:
    rows = "\n".join(
        f"{rng.choice(_MONTHS)[:3].upper()} {rng.randint(100, 999)}.{rng.randint(0, 99):02d} "
        f"{rng.randint(100, 999)}.{rng.randint(0, 99):02d} up {rng.randint(1, 99)} points"
        for _ in range(4)
    )
    return (
        f"{name.upper()} FUTURES CLOSE MIXED\n\n"
        f"{name} futures closed mixed in moderate trading on {_date(rng)}, dealers said.\n{rows}\n"
        f"Volume was estimated at {rng.randint(1000, 99999):,} contracts against {rng.randint(1000, 99999):,} "
        f"the previous session."
    )


_TEMPLATES = (_dividend, _earnings, _market)


def templated_feed(n_docs: int, *, seed: int = 0, prefix: str = "tmpl") -> list[dict[str, Any]]:
    """``n_docs`` templated items (dicts with ``id``, ``text``, ``published``), every name and figure random.

    Three in five are dividend notices, one in five an earnings line, one in five a market table.
    """
    rng = random.Random(seed)
    docs = []
    for i in range(n_docs):
        template = _TEMPLATES[0] if rng.random() < 0.6 else rng.choice(_TEMPLATES[1:])
        docs.append({"id": f"{prefix}-{i}", "text": template(rng, _name(rng)), "published": None})
    return docs
