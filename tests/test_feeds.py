import csv
import gzip
import io
import json

import pytest

from dedup import FeedError, InputError, load_articles, read_feed
from dedup.feeds import read_feeds


def _write_jsonl(path, rows):
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


def test_jsonl_plain_and_gzip(tmp_path):
    rows = [{"id": "a", "text": "one", "published": "2026-03-04"}, {"id": 7, "text": "two", "title": "T"}]
    plain = _write_jsonl(tmp_path / "feed.jsonl", rows)
    packed = tmp_path / "feed.jsonl.gz"
    packed.write_bytes(gzip.compress(plain.read_bytes()))
    for path in (plain, packed):
        articles = load_articles(path)
        assert [a.id for a in articles] == ["a", "7"]
        assert articles[0].published.year == 2026 and articles[1].title == "T"


def test_stdin(monkeypatch):
    data = b'{"id": "s1", "text": "from stdin"}\n'
    monkeypatch.setattr("sys.stdin", io.TextIOWrapper(io.BufferedReader(io.BytesIO(data))))
    assert [r.id for r in read_feed("-")] == ["s1"]


def test_bad_records_are_yielded_with_file_line_and_fix(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_bytes(
        b'{"id": "ok", "text": "x"}\n\n{not json\n{"id": "t", "title": "no text"}\n[1, 2]\n"\xff"\n'
        b'{"id": "d", "text": "x", "published": "yesterday"}\n'
    )
    records = list(read_feed(path))
    assert [r.line for r in records] == [1, 3, 4, 5, 6, 7]  # the blank line is not a record
    errors = [str(r.error) for r in records[1:]]
    assert errors[0].startswith(f"{path}, line 3: not valid JSON")
    assert "line 4: missing field 'text' (present: 'id', 'title'); pass --text-field" in errors[1]
    assert "line 5: expected a JSON object, got list" in errors[2]
    assert "line 6: not valid UTF-8" in errors[3]
    assert "line 7:" in errors[4] and "ISO 8601" in errors[4]
    assert records[2].raw_id == "t"


def test_custom_field_names(tmp_path):
    path = _write_jsonl(tmp_path / "f.jsonl", [{"guid": "g1", "body": "text here"}])
    assert load_articles(path, id_field="guid", text_field="body")[0].id == "g1"
    with pytest.raises(FeedError, match="missing field 'id'.*--id-field"):
        load_articles(path)


def test_csv(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text('id,title,text\n1,Hello,"multi\nline text"\n2,,plain\n3,x\n', encoding="utf-8")
    records = list(read_feed(path))
    assert [r.id for r in records[:2]] == ["1", "2"]
    assert records[0].article.text == "multi\nline text"
    assert records[1].line == 4  # the record after a two-line record
    assert records[2].error is not None and "line 5" in str(records[2].error)
    with pytest.raises(
        FeedError, match=r"line 1: no column 'body' in the header \(columns: 'id', 'title', 'text'\); pass --text-field"
    ):
        list(read_feed(path, text_field="body"))


def test_folder_of_text_files(tmp_path):
    (tmp_path / "sub").mkdir()
    (tmp_path / "b.txt").write_text("second", encoding="utf-8")
    (tmp_path / "sub" / "a.txt").write_text("first", encoding="utf-8")
    (tmp_path / "notes.md").write_text("ignored", encoding="utf-8")
    (tmp_path / "bad.txt").write_bytes(b"\xff\xfe latin")
    records = list(read_feed(tmp_path))
    assert [r.id for r in records] == ["b.txt", "bad.txt", "sub/a.txt"]
    assert "not valid UTF-8" in str(records[1].error)


def test_duplicate_ids_across_feeds(tmp_path):
    a = _write_jsonl(tmp_path / "a.jsonl", [{"id": "x", "text": "1"}])
    b = _write_jsonl(tmp_path / "b.jsonl", [{"id": "y", "text": "2"}, {"id": "x", "text": "3"}])
    records = list(read_feeds([a, b]))
    assert records[2].error is not None
    assert f"duplicate id 'x' (first seen at {a}, line 1)" in str(records[2].error)


def test_missing_file_and_unknown_format(tmp_path):
    with pytest.raises(FeedError, match="no such file"):
        list(read_feed(tmp_path / "nope.jsonl"))
    with pytest.raises(FeedError, match="unknown feed format"):
        list(read_feed(tmp_path / "feed.xml"))


@pytest.mark.parametrize(
    ("text", "want"),
    [
        ("2026-03-04", (2026, 3, 4, 0, 0, 0)),
        ("2026-03-04T09:30:00Z", (2026, 3, 4, 9, 30, 0)),
        ("2026-03-04T09:30:00.250z", (2026, 3, 4, 9, 30, 0)),
        ("2026-03-04T11:30:00+02:00", (2026, 3, 4, 9, 30, 0)),
        ("Tue, 04 Mar 2026 09:30:00 GMT", (2026, 3, 4, 9, 30, 0)),  # RSS (RFC 2822)
        ("Tue, 04 Mar 2026 10:30:00 +0100", (2026, 3, 4, 9, 30, 0)),
        ("4 Mar 2026 09:30:00 -0000", (2026, 3, 4, 9, 30, 0)),
    ],
)
def test_published_iso_8601_and_rfc_2822_on_every_python(text, want):
    """The same instant, read from the forms feeds write, whatever the Python (3.10 reads no 'Z' itself)."""
    from datetime import datetime, timezone

    from dedup.article import parse_published

    got = parse_published(text)
    assert got.tzinfo is not None
    assert got.astimezone(timezone.utc).replace(microsecond=0) == datetime(*want, tzinfo=timezone.utc)


@pytest.mark.parametrize("bad", ["yesterday", "Tue, 99 Foo 2026", "2026-13-01", "12345"])
def test_published_that_is_no_date_names_both_forms(bad):
    from dedup.article import parse_published

    with pytest.raises(InputError, match="is not an ISO 8601 or RFC 2822 date"):
        parse_published(bad)


def test_a_byte_order_mark_is_not_part_of_the_first_record(tmp_path):
    """Excel, Notepad and many CMS exports begin UTF-8 files with a BOM: JSON Lines and CSV read through it."""
    jsonl = tmp_path / "feed.jsonl"
    jsonl.write_bytes(b"\xef\xbb\xbf" + b'{"id": "a", "text": "one"}\n{"id": "b", "text": "two"}\n')
    csv_file = tmp_path / "feed.csv"
    csv_file.write_bytes(b"\xef\xbb\xbfid,text\na,one\nb,two\n")
    for path in (jsonl, csv_file):
        records = list(read_feed(path))
        assert [r.error for r in records] == [None, None], path
        assert [(r.article.id, r.article.text) for r in records] == [("a", "one"), ("b", "two")]


@pytest.mark.parametrize("delimiter", [",", ";", "\t"])
def test_csv_delimiter_is_read_from_the_header(tmp_path, delimiter):
    path = tmp_path / "feed.csv"
    rows = [["id", "text", "title"], ["a", "Prices rose, they said; then fell", "T1"], ["b", "two", "T2"]]
    with open(path, "w", encoding="utf-8", newline="") as f:
        csv.writer(f, delimiter=delimiter).writerows(rows)
    records = list(read_feed(path))
    assert [(r.article.id, r.article.text, r.article.title) for r in records] == [
        ("a", "Prices rose, they said; then fell", "T1"),
        ("b", "two", "T2"),
    ]
    assert [r.line for r in records] == [2, 3]


@pytest.mark.parametrize("suffix", [".jsonl.gz", ".csv.gz"])
def test_a_truncated_gzip_is_an_error_naming_the_file_not_a_traceback(tmp_path, suffix):
    rows = [{"id": str(k), "text": f"article number {k} with some words"} for k in range(3000)]
    if suffix == ".jsonl.gz":
        body = "".join(json.dumps(r) + "\n" for r in rows)
    else:
        body = "id,text\n" + "".join(f"{r['id']},{r['text']}\n" for r in rows)
    data = gzip.compress(body.encode())
    path = tmp_path / f"feed{suffix}"
    path.write_bytes(data[:15])  # in the first line (a CSV header): nothing can be read
    if suffix == ".csv.gz":
        with pytest.raises(FeedError, match="truncated or corrupt gzip file") as caught:
            list(read_feed(path))
        assert str(path) in str(caught.value)
    else:
        assert "truncated or corrupt gzip file" in str(list(read_feed(path))[-1].error)
    path.write_bytes(data[: len(data) // 2])  # in the middle: the records read stand, the rest is one rejected record
    records = list(read_feed(path))
    assert all(r.article is not None for r in records[:-2]) and len(records) > 100
    last = records[-1]
    assert last.error is not None and "truncated or corrupt gzip file" in str(last.error)
    assert "from here on" in str(last.error) and str(path) in str(last.error)


def test_a_null_field_is_said_to_be_null_not_missing(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text('{"id": "a", "text": null}\n{"id": null, "text": "x"}\n{"id": "b"}\n', encoding="utf-8")
    errors = [str(r.error) for r in read_feed(path)]
    assert "field 'text' is null" in errors[0] and "missing" not in errors[0]
    assert "field 'id' is null" in errors[1]
    assert "missing field 'text' (present: 'id')" in errors[2]


def test_a_folder_reads_txt_in_any_case_follows_no_link_loop_and_names_what_it_cannot_read(tmp_path, monkeypatch):
    import os

    root = tmp_path / "articles"
    (root / "sub").mkdir(parents=True)
    (root / "sub" / "A.TXT").write_text("upper case suffix", encoding="utf-8")
    (root / "b.txt").write_text("lower case", encoding="utf-8")
    (root / "sub" / "loop").symlink_to(root, target_is_directory=True)  # a link back up: not followed
    (root / "locked").mkdir()
    (root / "locked" / "c.txt").write_text("unseen", encoding="utf-8")
    scandir = os.scandir

    def denied(path="."):  # the tests run as root, who reads any folder: the kernel's answer for anyone else
        if os.fspath(path).endswith("locked"):
            raise PermissionError(13, "Permission denied", os.fspath(path))
        return scandir(path)

    monkeypatch.setattr(os, "scandir", denied)
    got = [(r.id, r.article.text if r.article else str(r.error)) for r in read_feed(root)]
    assert [g[0] for g in got] == ["b.txt", "locked", "sub/A.TXT"]
    assert got[0][1] == "lower case" and got[2][1] == "upper case suffix"
    assert "cannot read this folder (Permission denied)" in got[1][1] and str(root / "locked") in got[1][1]


def test_csv_faults_are_records_in_their_place_at_their_own_line(tmp_path):
    """Bad quoting, a byte that is not UTF-8, a field longer than csv's 131,072-character default: each record is
    read or rejected at the line where it starts, and the records after it are read."""
    long_text = "word " * 40_000  # 200,000 characters in one field
    path = tmp_path / "feed.csv"
    path.write_bytes(
        b"id,text\n"
        + b'a,"ab"c\n'
        + b"b,ok\n"
        + b"c,caf\xe9 in latin-1\n"
        + b'd,"multi\nline"\n'
        + b'e,"'
        + long_text.encode()
        + b'"\n'
        + b"f,fine\n"
    )
    records = list(read_feed(path))
    got = [(r.line, r.id, None if r.article is None else r.article.text[:10]) for r in records]
    assert got == [
        (2, None, None),
        (3, "b", "ok"),
        (4, "c", None),
        (5, "d", "multi\nline"),
        (7, "e", "word word "),
        (8, "f", "fine"),
    ]
    assert "malformed CSV" in str(records[0].error) and "line 2" in str(records[0].error)
    assert "not valid UTF-8 (byte 0xe9 in column 'text')" in str(records[2].error) and "line 4" in str(records[2].error)
    assert len(records[4].article.text) == len(long_text)


def test_csv_unterminated_quote_rejects_its_line_and_the_records_after_it_are_read(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text('id,text\na,one\nb,"two\nc,three\nd,"four\n""five""\ne,six\n', encoding="utf-8")
    records = list(read_feed(path))
    assert [(r.line, r.id, r.article is not None) for r in records] == [
        (2, "a", True),
        (3, None, False),
        (4, "c", True),
        (5, None, False),  # d's quote never closes either; the ""five"" line is not a record of its own
        (6, None, False),
        (7, "e", True),
    ]
    assert "line 3" in str(records[1].error) and "quoting" in str(records[1].error)
    path.write_text('id,text\na,"one\nb,two\n', encoding="utf-8")
    records = list(read_feed(path))
    assert [(r.line, r.id) for r in records] == [(2, None), (3, "b")]
    assert "line 2: a quote that never closes; close it" in str(records[0].error)


def test_csv_header_after_blank_lines_and_with_quotes_is_read(tmp_path):
    path = tmp_path / "feed.csv"
    path.write_text('\n\n"id","te,xt"\na,"one, two"\n\nb,three\n', encoding="utf-8")
    records = list(read_feed(path, text_field="te,xt"))
    assert [(r.line, r.id, r.article.text) for r in records] == [(4, "a", "one, two"), (6, "b", "three")]


@pytest.mark.parametrize("name", ["feed.jsonl", "feed.csv"])
def test_a_utf16_file_is_one_clear_error_not_garbled_records(tmp_path, name):
    body = (
        '{"id": "a", "text": "one"}\n{"id": "b", "text": "two"}\n'
        if name.endswith("jsonl")
        else "id,text\na,one\nb,two\n"
    )
    path = tmp_path / name
    path.write_bytes(body.encode("utf-16"))
    with pytest.raises(FeedError, match="the file is UTF-16.*iconv -f utf-16 -t utf-8"):
        list(read_feed(path))


def test_json_nested_too_deeply_is_a_rejected_record(tmp_path):
    path = tmp_path / "feed.jsonl"
    path.write_text(
        '{"id": "a", "text": ' + "[" * 100_000 + "]" * 100_000 + '}\n{"id": "b", "text": "fine"}\n', encoding="utf-8"
    )
    records = list(read_feed(path))
    assert "nested too deeply" in str(records[0].error) and records[1].article.text == "fine"
