"""Parquet in and out (the extra dedup[parquet], pyarrow), through the CLI and read_feed."""

from __future__ import annotations

import datetime as dt
import json
import sys

import pytest

from dedup import MissingDependencyError, read_feed
from dedup.cli import main

pa = pytest.importorskip("pyarrow", reason="pyarrow is the Parquet extra: pip install -e '.[test]' installs it")
pq = pytest.importorskip("pyarrow.parquet")

from .conftest import SEEDS


def _seed_table(tmp_path):
    reuters = (SEEDS / "reuters_openai_nato.txt").read_text(encoding="utf-8")
    unn = (SEEDS / "unn_openai_nato.txt").read_text(encoding="utf-8")
    table = pa.table(
        {
            "guid": ["reuters", "unn", "bad", "other"],
            "body": [
                {"text": reuters},
                {"text": unn},
                {"text": None},
                {"text": "The weather in Valdoria stayed dry all week."},
            ],
            "published": [
                dt.datetime(2026, 3, 4, 6, 0, tzinfo=dt.timezone.utc),
                dt.datetime(2026, 3, 4, 9, 30, tzinfo=dt.timezone.utc),
                None,
                None,
            ],
        }
    )
    path = tmp_path / "feed.parquet"
    pq.write_table(table, path, row_group_size=2)  # two row groups: read batch by batch
    return path


def test_parquet_input_nested_columns_and_timestamps(tmp_path, capsys):
    path = _seed_table(tmp_path)
    records = list(read_feed(path, id_field="guid", text_field="body.text"))
    assert [r.line for r in records] == [1, 2, 3, 4]  # the row number stands for the line
    assert records[0].article.published == dt.datetime(2026, 3, 4, 6, 0, tzinfo=dt.timezone.utc)
    assert "field 'body.text' is null" in str(records[2].error)
    assert main(["find", str(path), "--id-field", "guid", "--text-field", "body.text", "--on-error", "skip", "-q"]) == 0
    verdicts = {v["id"]: v for v in map(json.loads, capsys.readouterr().out.splitlines())}
    assert verdicts["unn"]["status"] == "duplicate" and verdicts["unn"]["duplicate_of"] == "reuters"
    assert verdicts["bad"]["status"] == "rejected" and "feed.parquet, line 3" in verdicts["bad"]["reason"]


def test_parquet_output_of_verdicts_and_pairs(tmp_path, capsys):
    path = _seed_table(tmp_path)
    options = ["--id-field", "guid", "--text-field", "body.text", "--on-error", "skip", "-q"]
    assert main(["find", str(path), *options]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    out = tmp_path / "verdicts.parquet"
    assert main(["find", str(path), *options, "-o", str(out)]) == 0
    assert pq.read_table(out).to_pylist() == lines  # the same rows as the JSON Lines, typed columns
    assert pq.read_table(out).schema.field("cluster").type == pa.int64()
    pairs = tmp_path / "pairs.parquet"
    assert main(["find", str(path), *options, "--pairs", "-o", str(pairs)]) == 0
    got = pq.read_table(pairs).to_pylist()
    assert [(p["a"], p["b"]) for p in got] == [("reuters", "unn")] and 0 < got[0]["score"] <= 1


def test_a_corrupt_parquet_file_is_one_line(tmp_path, capsys):
    bad = tmp_path / "feed.parquet"
    bad.write_bytes(b"PAR1 this is not parquet PAR1")
    assert main(["find", str(bad), "-q"]) == 1
    err = capsys.readouterr().err
    assert "not a readable Parquet file" in err and str(bad) in err and "Traceback" not in err


def test_without_pyarrow_the_error_names_the_extra(tmp_path, monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "pyarrow", None)  # as if it were not installed
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "a", "text": "one two three"}\n', encoding="utf-8")
    assert main(["find", str(feed), "-o", str(tmp_path / "out.parquet"), "-q"]) == 1
    assert "pip install 'dedup[parquet]'" in capsys.readouterr().err
    (tmp_path / "in.parquet").write_bytes(b"PAR1")
    with pytest.raises(MissingDependencyError, match=r"dedup\[parquet\]"):
        list(read_feed(tmp_path / "in.parquet"))


def test_kept_records_as_parquet_keep_their_own_columns_and_types(tmp_path, seed_texts):
    """--emit kept -o clean.parquet: the columns are the records' own (a column first seen late, a null
    column that turns to text, nested objects as structs), in input order; JSON and Parquet inputs alike."""
    reuters, unn = seed_texts
    rows = [
        {"id": "reuters", "text": reuters, "desk": None, "meta": {"n": 1}, "published": "2026-03-04T06:00:00Z"},
        {"id": "unn", "text": unn, "desk": None, "meta": {"n": 2}, "published": "2026-03-04T09:30:00Z"},
        *(
            {"id": f"s{i}", "text": f"Story {i} about the harbour of Valdoria, number {i}.", "desk": None}
            for i in range(5000)
        ),
        {"id": "late", "text": "A late story on the Valdoria tram strike.", "desk": "city", "score": 2.5},
    ]
    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    out = tmp_path / "clean.parquet"
    # 5,000 fillers of one vocabulary make every other word look rare: no lead check on such a feed
    assert main(["find", str(feed), "--emit", "kept", "-o", str(out), "-q", "--lead-terms", "0"]) == 0
    table = pq.read_table(out)  # more than one row group: the first ones rewritten under the wider schema
    assert table.schema.field("desk").type == pa.string() and table.schema.field("meta").type == pa.struct(
        [("n", pa.int64())]
    )
    got = table.to_pylist()
    assert [r["id"] for r in got] == [r["id"] for r in rows if r["id"] != "unn"]
    assert got[0] == {**rows[0], "score": None} and got[-1] == {**rows[-1], "meta": None, "published": None}
    again = tmp_path / "again.parquet"  # Parquet in, Parquet out: the types of the input stay
    assert (
        main(
            [
                "find",
                str(_seed_table(tmp_path)),
                "--id-field",
                "guid",
                "--text-field",
                "body.text",
                "--on-error",
                "skip",
                "--emit",
                "kept",
                "-o",
                str(again),
                "-q",
            ]
        )
        == 0
    )
    kept = pq.read_table(again)
    assert kept.column("guid").to_pylist() == ["reuters", "other"]
    assert kept.schema.field("published").type == pa.timestamp("us", tz="UTC")


def test_kept_records_no_parquet_type_can_hold_are_refused_and_the_old_file_stays(tmp_path, capsys):
    feed = tmp_path / "feed.jsonl"
    feed.write_text('{"id": "a", "text": "one story here", "n": 1}\n{"id": "b", "text": "another one", "n": "x"}\n')
    out = tmp_path / "clean.parquet"
    out.write_bytes(b"the old file")
    assert main(["find", str(feed), "--emit", "kept", "-o", str(out), "-q"]) == 1
    err = capsys.readouterr().err
    assert f"cannot write -o {out}: a field holds values no one Parquet type holds" in err and "write .jsonl" in err
    assert "Traceback" not in err and out.read_bytes() == b"the old file"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["clean.parquet", "feed.jsonl"]  # no temporary left


@pytest.mark.parametrize("emit", ["verdicts", "pairs", "kept"])
def test_parquet_output_with_an_index_holds_what_the_jsonl_would(tmp_path, emit, capsys):
    path = _seed_table(tmp_path)
    options = ["--id-field", "guid", "--text-field", "body.text", "--on-error", "skip", "-q", "--emit", emit]
    assert main(["find", str(path), *options, "--index", str(tmp_path / "a.db")]) == 0
    lines = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    out = tmp_path / "out.parquet"
    assert main(["find", str(path), *options, "--index", str(tmp_path / "b.db"), "-o", str(out)]) == 0
    got = pq.read_table(out).to_pylist()
    if emit == "kept":  # the JSON line shows the timestamp as text; the Parquet column keeps its type
        assert [r["guid"] for r in got] == [r["guid"] for r in lines] == ["reuters", "other"]
    else:
        assert got == [{k: r.get(k) for k in got[0]} for r in lines]
        key = "status" if emit == "verdicts" else "a"
        assert [r[key] for r in got] == (
            ["representative", "duplicate", "rejected", "unique"] if emit == "verdicts" else ["reuters"]
        )


def test_an_index_run_that_fails_midway_keeps_the_parquet_rows_of_the_batches_it_stored(tmp_path, monkeypatch, capsys):
    from dedup.cli import _indexed
    from dedup.errors import IndexFileError
    from dedup.stream import Deduplicator

    feed = tmp_path / "feed.jsonl"
    feed.write_text("".join(f'{{"id": "n{i}", "text": "story number {i} of the day"}}\n' for i in range(5)))
    add_many, calls = Deduplicator.add_many, []

    def failing_on_the_third(self, articles, **kw):
        calls.append(len(articles))
        if len(calls) == 3:
            raise IndexFileError("lost the connection (a test)")
        return add_many(self, articles, **kw)

    monkeypatch.setattr(_indexed, "_BATCH", 2)
    monkeypatch.setattr(Deduplicator, "add_many", failing_on_the_third)
    out = tmp_path / "verdicts.parquet"
    assert main(["find", str(feed), "--index", str(tmp_path / "i.db"), "-o", str(out), "-q"]) == 1
    assert "the first 4 records were stored and written" in capsys.readouterr().err
    assert [r["id"] for r in pq.read_table(out).to_pylist()] == ["n0", "n1", "n2", "n3"]
