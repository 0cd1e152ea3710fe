"""Reading and writing feeds: JSON Lines (plain or gzip, or ``-`` for stdin), CSV with a header,
and folders of ``.txt`` files.

Readers never raise on a bad record: they yield a :class:`FeedRecord` whose ``error`` says what is
wrong, where, and how to fix it, so the caller decides whether to stop or to reject the record and
go on. Every record of the input is yielded exactly once, in input order.
"""

from __future__ import annotations

import gzip
import json
import os
import re
import sys
import zlib
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from .article import Article
from .errors import ArgumentTypeError, FeedError, InputError

__all__ = ["FeedRecord", "Fields", "load_articles", "parse_jsonl_line", "read_feed", "read_feeds"]

_JSONL_SUFFIXES = (".jsonl", ".ndjson", ".json")
_CSV_SUFFIXES = (".csv", ".tsv")


@dataclass(frozen=True, slots=True)
class FeedRecord:
    """One record of a feed: an :class:`Article`, or the :class:`FeedError` that rejects it.

    ``raw_id`` is the record's id when one could be read (also for rejected records); ``data`` the
    record as it was read (a JSON object, a CSV row, ``{"id", "text"}`` of a text file), when it could be.
    """

    path: str
    line: int | None
    article: Article | None = None
    error: FeedError | None = None
    raw_id: str | None = None
    data: dict[str, Any] | None = field(default=None, repr=False, compare=False)

    @property
    def id(self) -> str | None:
        return self.article.id if self.article is not None else self.raw_id


_BOM = b"\xef\xbb\xbf"  # UTF-8's byte-order mark
_SURROGATE = re.compile("[\udc80-\udcff]")  # a byte that was not UTF-8, kept by surrogateescape
_UNREADABLE = (OSError, EOFError, zlib.error)  # what gzip raises for a truncated or corrupt file


def _first_line(raw: bytes, path: str) -> bytes:
    """A file's first line without its UTF-8 byte-order mark (Excel, Notepad, CMS exports); a UTF-16 file stops here."""
    if raw.startswith((b"\xff\xfe", b"\xfe\xff")):
        raise FeedError(
            "the file is UTF-16 (it starts with a UTF-16 byte-order mark); convert it to UTF-8, "
            "e.g. iconv -f utf-16 -t utf-8",
            path=path,
            line=1,
        )
    return raw.removeprefix(_BOM)


def _why(exc: BaseException) -> str:
    if isinstance(exc, (EOFError, zlib.error, gzip.BadGzipFile)):
        return f"a truncated or corrupt gzip file ({exc}); download or compress it again"
    return str(exc)


@dataclass(frozen=True)
class Fields:
    """Where an article's fields are in a record: field names, or dotted paths into nested JSON (``body.text``).

    A name that is a key of the record is that key (a CSV column may be called ``body.text``); else
    each dot goes one object deeper.
    """

    id: str = "id"
    text: str = "text"
    title: str = "title"
    source: str = "source"
    published: str = "published"

    def get(self, data: dict[str, Any], name: str) -> tuple[bool, Any]:
        """``(present, value)`` of ``name`` in ``data``."""
        if name in data:
            return True, data[name]
        node: Any = data
        for part in name.split("."):
            if not isinstance(node, dict) or part not in node:
                return False, None
            node = node[part]
        return True, node


def _fields_hint(fields: Fields, missing: str) -> str:
    flag = "--text-field" if missing == fields.text else "--id-field"
    return f"pass {flag} NAME to use another field"


def _open_binary(path: str) -> IO[bytes]:
    """Open a file or stdin for reading bytes, decompressing gzip (detected by its magic bytes)."""
    if path == "-":
        stream: IO[bytes] = sys.stdin.buffer
        head = stream.peek(2)[:2] if hasattr(stream, "peek") else b""
        return gzip.GzipFile(fileobj=stream) if head == b"\x1f\x8b" else stream  # type: ignore[return-value]
    with open(path, "rb") as probe:
        head = probe.read(2)
    if head == b"\x1f\x8b":
        return gzip.open(path, "rb")  # type: ignore[return-value]
    return open(path, "rb")


def _format_of(path: str) -> str:
    if path == "-":
        return "jsonl"
    if os.path.isdir(path):
        return "folder"
    name = path.lower()
    name = name.removesuffix(".gz")
    if name.endswith(_CSV_SUFFIXES):
        return "csv"
    if name.endswith(_JSONL_SUFFIXES):
        return "jsonl"
    if name.endswith(".txt"):
        return "text"
    if path.lower().endswith(".parquet"):
        return "parquet"
    raise FeedError(
        "unknown feed format; expected .jsonl, .jsonl.gz, .csv, .csv.gz, .parquet, a .txt file, a folder of .txt files, "
        "or - for stdin",
        path=path,
    )


def _record(path: str, line: int | None, data: Any, *, fields: Fields) -> FeedRecord:
    if not isinstance(data, dict):
        kind = type(data).__name__ if data is not None else "null"
        return FeedRecord(
            path,
            line,
            error=FeedError(f"expected a JSON object, got {kind}; write one object per line", path=path, line=line),
        )
    raw_id = fields.get(data, fields.id)[1]
    raw_id = None if raw_id is None or isinstance(raw_id, (dict, list)) else str(raw_id)
    values = {}
    for name in (fields.id, fields.text):
        present, values[name] = fields.get(data, name)
        if present and values[name] is None:
            message = f"field {name!r} is null; give it a value, or {_fields_hint(fields, name)}"
            return FeedRecord(path, line, error=FeedError(message, path=path, line=line), raw_id=raw_id)
        if not present:
            shown = ", ".join(repr(k) for k in data) or "none"
            message = f"missing field {name!r} (present: {shown}); {_fields_hint(fields, name)}"
            return FeedRecord(path, line, error=FeedError(message, path=path, line=line), raw_id=raw_id)
    try:
        article = Article(
            id=values[fields.id],
            text=values[fields.text],
            title=fields.get(data, fields.title)[1],
            source=fields.get(data, fields.source)[1],
            published=fields.get(data, fields.published)[1],
        )
    except InputError as exc:
        return FeedRecord(path, line, error=FeedError(str(exc), path=path, line=line), raw_id=raw_id, data=data)
    return FeedRecord(path, line, article=article, data=data)


def parse_jsonl_line(
    raw: bytes, *, path: str, line: int, id_field: str = "id", text_field: str = "text", fields: Fields | None = None
) -> FeedRecord | None:
    """One line of a JSON Lines feed as a record (an article or its error); ``None`` for a blank line."""
    fields = fields or Fields(id=id_field, text=text_field)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        return FeedRecord(
            path,
            line,
            error=FeedError(
                f"not valid UTF-8 ({exc.reason} at byte {exc.start}); convert the file to UTF-8, e.g. iconv -f latin1 -t utf-8",
                path=path,
                line=line,
            ),
        )
    if not text.strip():
        return None
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return FeedRecord(
            path,
            line,
            error=FeedError(
                f"not valid JSON ({exc.msg} at column {exc.colno}); each line must be one JSON object",
                path=path,
                line=line,
            ),
        )
    except RecursionError:
        return FeedRecord(
            path,
            line,
            error=FeedError(
                "a JSON value nested too deeply to read (thousands of levels); flatten the record", path=path, line=line
            ),
        )
    return _record(path, line, data, fields=fields)


def _read_jsonl(path: str, *, fields: Fields, csv_delimiter: str | None = None) -> Iterator[FeedRecord]:
    shown = "<stdin>" if path == "-" else path
    stream = _open_binary(path)
    number = 0
    try:
        for number, raw in enumerate(stream, start=1):
            if number == 1:
                raw = _first_line(raw, shown)
            record = parse_jsonl_line(raw, path=shown, line=number, fields=fields)
            if record is not None:
                yield record
    except _UNREADABLE as exc:  # truncated or corrupt gzip: what was read stands, the rest is one rejected record
        yield _rest_unreadable(shown, number + 1, exc)
    finally:
        if path != "-":
            stream.close()


def _rest_unreadable(path: str, line: int, exc: BaseException) -> FeedRecord:
    return FeedRecord(
        path,
        line,
        error=FeedError(
            f"cannot read the file from here on: {_why(exc)}; the records before this line were read",
            path=path,
            line=line,
        ),
    )


def _read_text_file(path: Path, shown: str, article_id: str) -> FeedRecord:
    try:
        text = path.read_bytes().decode("utf-8")
    except UnicodeDecodeError as exc:
        return FeedRecord(
            shown,
            None,
            raw_id=article_id,
            error=FeedError(
                f"not valid UTF-8 ({exc.reason} at byte {exc.start}); convert the file to UTF-8", path=shown
            ),
        )
    except OSError as exc:
        return FeedRecord(shown, None, raw_id=article_id, error=FeedError(f"cannot read: {exc.strerror}", path=shown))
    return FeedRecord(shown, None, article=Article(id=article_id, text=text), data={"id": article_id, "text": text})


def _read_folder(path: str) -> Iterator[FeedRecord]:
    """Every ``.txt`` file under the folder (any case: ``.TXT`` too), sorted by path; a subfolder that cannot be
    read is a rejected record naming it, never skipped without a word. Symbolic links to folders are not
    followed (no loops)."""
    root = Path(path)
    unreadable: list[OSError] = []
    found: list[Path] = []
    for folder, subfolders, names in os.walk(root, onerror=unreadable.append, followlinks=False):
        subfolders.sort()
        found += [Path(folder) / n for n in names if n.lower().endswith(".txt") and (Path(folder) / n).is_file()]
    entries: list[tuple[str, Path | OSError]] = [(f.relative_to(root).as_posix(), f) for f in found]
    for exc in unreadable:
        where = Path(exc.filename) if exc.filename else root
        entries.append((where.relative_to(root).as_posix() if where != root else ".", exc))
    for rel, item in sorted(entries, key=lambda e: e[0]):
        if isinstance(item, OSError):
            yield FeedRecord(
                str(root / rel),
                None,
                raw_id=rel,
                error=FeedError(
                    f"cannot read this folder ({item.strerror or item}); its .txt files are not read: fix its permissions",
                    path=str(root / rel),
                ),
            )
        else:
            yield _read_text_file(item, str(item), rel)


def read_feed(
    path: str | os.PathLike[str],
    *,
    id_field: str = "id",
    text_field: str = "text",
    title_field: str = "title",
    source_field: str = "source",
    published_field: str = "published",
    csv_delimiter: str | None = None,
) -> Iterator[FeedRecord]:
    """Yield every record of one feed, in order.

    ``path`` is a ``.jsonl``/``.ndjson`` file (optionally gzip-compressed, detected from its
    content), ``-`` for JSON Lines on standard input, a ``.csv``/``.tsv`` file with a header, a
    single ``.txt`` file (one article, id = its file name), or a folder whose ``.txt`` files are
    articles (id = the path relative to the folder). A file that cannot be opened raises
    :class:`FeedError`; a bad record is yielded with its error.

    The ``*_field`` names say where each field is: a key, or a dotted path into nested JSON
    (``text_field="body.text"``). ``csv_delimiter`` forces a CSV delimiter; by default it is read
    from the header (comma, semicolon or tab; tab for ``.tsv``).
    """
    if not isinstance(path, (str, os.PathLike)):
        raise ArgumentTypeError(f"read_feed(): path must be a str or a path (os.PathLike); got {type(path).__name__}")
    path = os.fspath(path)
    if not isinstance(path, str):
        raise ArgumentTypeError(f"read_feed(): path must name a file as text, not bytes; got {path!r}")
    fmt = _format_of(path)
    if path != "-" and not os.path.exists(path):
        raise FeedError("no such file or folder; check the path", path=path)
    if fmt == "folder":
        yield from _read_folder(path)
    elif fmt == "text":
        yield _read_text_file(Path(path), path, Path(path).name)
    elif fmt == "parquet":
        from ._parquet import iter_rows

        fields = Fields(id_field, text_field, title_field, source_field, published_field)
        for row, data in iter_rows(path):  # the row number stands for the line
            yield _record(path, row, data, fields=fields)
    else:
        if fmt == "jsonl":
            reader = _read_jsonl
        else:
            from ._csv import read_csv as reader

        try:
            fields = Fields(id_field, text_field, title_field, source_field, published_field)
            yield from reader(path, fields=fields, csv_delimiter=csv_delimiter)
        except PermissionError:
            raise FeedError("permission denied", path=path) from None


def read_feeds(paths: Iterable[str | os.PathLike[str]], **options: Any) -> Iterator[FeedRecord]:
    """Records of several feeds in turn (``options`` as :func:`read_feed`'s); a repeated id is rejected,
    naming where it was first seen."""
    seen: dict[str, str] = {}
    for path in paths:
        for record in read_feed(path, **options):
            if record.article is not None:
                first = seen.get(record.article.id)
                if first is None:
                    seen[record.article.id] = record.path + (f", line {record.line}" if record.line is not None else "")
                else:
                    record = FeedRecord(
                        record.path,
                        record.line,
                        raw_id=record.article.id,
                        error=FeedError(
                            f"duplicate id {record.article.id!r} (first seen at {first}); every article needs its own id",
                            path=record.path,
                            line=record.line,
                        ),
                    )
            yield record


def load_articles(path: str | os.PathLike[str], **options: Any) -> list[Article]:
    """All articles of a feed; the first bad record raises its :class:`FeedError`."""
    articles = []
    for record in read_feeds([path], **options):
        if record.error is not None:
            raise record.error
        articles.append(record.article)
    return articles  # type: ignore[return-value]
