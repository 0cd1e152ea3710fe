"""The lead-terms check (issue 11): the array rule against a slow reference, templated items of different
companies kept apart in a generated feed, and the same answer in memory, in an SQLite index, on Redis and
from the command line; indexes written before lead terms were kept still open."""

from __future__ import annotations

import json
import random
import sqlite3
from contextlib import closing

import numpy as np
import pytest

import dedup
from dedup.cli import main
from dedup.shingles import ShingleBatch
from dedup.verify import LEAD_MIN_DOCS, lead_agreement

from ._redis_server import redis_server


def _reference(
    terms: list[list[int]], df: dict[int, int], pairs: list[tuple[int, int]], k: int, look: int
) -> list[bool]:
    """The rule the slow way: one side's k rarest of its first ``look`` terms (ties by hash) all in the other."""

    def passes(x: int, y: int) -> bool:
        rarest = sorted(terms[x][:look], key=lambda t: (df[t], t))[:k]
        return all(t in set(terms[y]) for t in rarest)

    return [passes(i, j) or passes(j, i) for i, j in pairs]


@pytest.mark.parametrize("seed", range(5))
def test_lead_agreement_equals_the_slow_reference(seed: int) -> None:
    rng = random.Random(seed)
    vocabulary = [rng.randrange(1 << 32) for _ in range(60)]
    terms = [rng.sample(vocabulary, rng.randrange(0, 30)) for _ in range(40)]  # distinct, in order
    df = {t: sum(t in doc for doc in terms) for t in vocabulary}
    pairs = [(rng.randrange(40), rng.randrange(40)) for _ in range(300)]
    batch = ShingleBatch(
        np.array([t for doc in terms for t in doc], dtype=np.uint32),
        np.concatenate(([0], np.cumsum([len(doc) for doc in terms]))).astype(np.int64),
    )
    element_df = np.array([df[t] for doc in terms for t in doc], dtype=np.int64)
    for k, look in ((1, 20), (3, 20), (3, 5), (5, 30)):
        got = lead_agreement(batch, element_df, np.array(pairs), k=k, look=look)
        assert got.tolist() == _reference(terms, df, pairs, k, look)


_FIRST = [
    "Fuqua",
    "Sandusky",
    "Handleman",
    "Franklin",
    "Trinity",
    "Quaker",
    "Medtronic",
    "Harsco",
    "Conchemco",
    "Filtertek",
    "Kenan",
    "Autoclave",
    "Calny",
    "Coastal",
    "Thompson",
    "Milton",
]
_SECOND = [
    "Industries",
    "Plastics",
    "Resources",
    "Chemical",
    "Holdings",
    "Bancorp",
    "Medical",
    "Transport",
    "Engineers",
    "Group",
    "Systems",
    "Energy",
    "Foods",
    "Mills",
]
# 224 companies: a feed where the dividend template is as common as it is on a wire, so its words weigh little
COMPANIES = [
    (f"{a} {b}", f"{a[:2]}{b[:1]}{k}".upper()) for k, (a, b) in enumerate((a, b) for a in _FIRST for b in _SECOND)
]


OTHER = f"notice-{COMPANIES[1][1]}"


def _notice(name: str, ticker: str) -> str:
    """A dividend notice as the wire writes them: short, so the company's name is a good share of it."""
    return f"{name.upper()} <{ticker}> SETS QUARTERLY\n\nQtly div 12 cts vs 12 cts prior\n    Pay March 15\n    Record March 1\n Reuter"


def _feed(n_filler: int) -> list[dict[str, str]]:
    """Dividend notices of different companies (the same figures), one of them re-issued, among filler stories."""
    rng = random.Random(7)
    words = [f"w{i}" for i in range(4000)]
    rows = [{"id": f"notice-{t}", "text": _notice(n, t)} for n, t in COMPANIES]
    name, ticker = COMPANIES[0]
    rows.append({"id": "notice-again", "text": "CORRECTED - " + _notice(name, ticker).replace(" Reuter", "")})
    rows += [{"id": f"filler-{i}", "text": " ".join(rng.choices(words, k=60)) + "."} for i in range(n_filler)]
    return rows


def _pairs(result: dedup.DedupResult) -> set[frozenset[str]]:
    return {frozenset((p.a, p.b)) for p in result.pairs}


@pytest.fixture(scope="module")
def feed() -> list[dict[str, str]]:
    return _feed(LEAD_MIN_DOCS)


def test_templated_items_of_different_companies_stay_apart(feed) -> None:
    found = _pairs(dedup.find_duplicates(feed))
    assert found == {frozenset((f"notice-{COMPANIES[0][1]}", "notice-again"))}  # the re-issue of one company's notice
    without = _pairs(dedup.find_duplicates(feed, lead_terms=0))  # the check is what keeps the others apart
    assert len(without) > len(COMPANIES)  # templates of different companies, whose figures all agree
    assert all(p.facts == 1.0 for p in dedup.find_duplicates(feed, lead_terms=0).pairs)


def test_below_the_minimum_corpus_the_check_is_not_made(feed) -> None:
    small = feed[: len(COMPANIES) + 1 + 50]  # fewer than LEAD_MIN_DOCS articles: no word is known to be rare
    assert len(_pairs(dedup.find_duplicates(small))) == len(_pairs(dedup.find_duplicates(small, lead_terms=0)))


def test_an_index_query_makes_the_lead_check(feed) -> None:
    texts = {row["id"]: row["text"] for row in feed}
    index = dedup.Deduplicator()
    index.add_many([dedup.Article(id=i, text=t) for i, t in texts.items() if i != OTHER])
    found = index.query(dedup.Article(id="probe", text=texts[OTHER]))
    assert found == []  # the notice of another company meets none of the stored ones
    found = index.query(dedup.Article(id="probe", text=texts["notice-again"]))
    assert {p.a for p in found} >= {f"notice-{COMPANIES[0][1]}"}


@pytest.mark.parametrize("where", ["sqlite", "redis"])
def test_an_index_finds_what_the_batch_finds(feed, tmp_path, where) -> None:
    """Two batches, the first already past LEAD_MIN_DOCS (an index checks leads once it holds that many)."""
    batch = _pairs(dedup.find_duplicates(feed))
    cut = LEAD_MIN_DOCS + 50
    if where == "sqlite":
        with dedup.open_index(tmp_path / "lead.db") as index:
            first, second = index.add_many(feed[:cut]), index.add_many(feed[cut:])
    else:
        pytest.importorskip("redis")
        with redis_server(tmp_path) as url, dedup.open_index(url) as index:
            first, second = index.add_many(feed[:cut]), index.add_many(feed[cut:])
    assert {frozenset((p.a, p.b)) for p in [*first.pairs, *second.pairs]} == batch


def test_an_sqlite_index_written_before_lead_terms_opens_and_goes_on(feed, tmp_path) -> None:
    path = tmp_path / "old.db"
    with dedup.open_index(path) as index:
        index.add_many(feed[:-1])
    with closing(sqlite3.connect(path)) as conn:  # as an earlier dedup wrote it: no terms column
        conn.execute('ALTER TABLE "docs_0" DROP COLUMN terms')
        conn.commit()
    with dedup.open_index(path) as index:
        added = index.add_many(feed[-1:])  # the old rows get their lead terms from their stored texts
        assert len(index) == len(feed) and added.verdicts[0].status in ("unique", "duplicate")
    with closing(sqlite3.connect(path)) as conn:
        assert "terms" in {row[1] for row in conn.execute('PRAGMA table_info("docs_0")')}
        assert conn.execute('SELECT COUNT(*) FROM "docs_0" WHERE terms IS NULL').fetchone()[0] == 0
    fresh = tmp_path / "fresh.db"
    with dedup.open_index(fresh) as index:
        index.add_many(feed[:-1])
        want = index.add_many(feed[-1:])
    assert [v.to_dict() for v in added.verdicts] == [v.to_dict() for v in want.verdicts]  # as if never old
    assert [p.to_dict() for p in added.pairs] == [p.to_dict() for p in want.pairs]


def test_the_command_line_flags(feed, tmp_path, capsys) -> None:
    path = tmp_path / "feed.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in feed), encoding="utf-8")
    assert main(["find", str(path), "--pairs", "--no-coverage", "-q"]) == 0
    on = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert main(["find", str(path), "--pairs", "--no-coverage", "--lead-terms", "0", "-q"]) == 0
    off = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert [(p["a"], p["b"]) for p in on] == [(f"notice-{COMPANIES[0][1]}", "notice-again")] and len(off) > len(on)
    with pytest.raises(SystemExit):
        main(["find", str(path), "--lead-ceiling", "2"])
    assert "--lead-ceiling" in capsys.readouterr().err


def test_the_reason_of_a_pair_turned_away_by_the_lead_check() -> None:
    from dedup.verify import Evidence, reason

    one = np.array([0.5])
    ev = Evidence(
        pairs=np.array([[0, 1]]),
        jaccard=one,
        containment_a=one,
        containment_b=one,
        weighted_jaccard=one,
        weighted_containment_a=one,
        weighted_containment_b=one,
        facts=np.array([1.0]),
        score=one,
        is_duplicate=np.array([False]),
        lead=np.array([False]),
        is_update=np.array([False]),
        overlap=np.array([np.nan]),
    )
    text = reason(ev, 0, dedup.DedupConfig())
    assert text.startswith("not a duplicate: score 0.50") and "rarest words of neither lead" in text
    assert "below score 0.60" in text
