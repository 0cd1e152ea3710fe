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
