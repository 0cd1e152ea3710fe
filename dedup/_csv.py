"""Reading CSV feeds: a header, then one record per row, every row accounted for.

Each physical line is decoded on its own, so a byte that is not UTF-8 rejects its record alone, at
its own line. A record the csv module cannot parse (bad quoting; a quote that never closes, which
would swallow the rest of the file) is rejected at the line where it starts, and the reading starts
again on the line after it: the records after a stray quote are read, not lost.
"""

from __future__ import annotations

import csv
from collections import deque
from collections.abc import Iterator
from typing import IO

from .errors import FeedError
from .feeds import (
    _SURROGATE,
    _UNREADABLE,
    FeedRecord,
    Fields,
    _fields_hint,
    _first_line,
    _open_binary,
    _record,
    _rest_unreadable,
    _why,
)

__all__ = ["read_csv"]

_FIELD_LIMIT = 2**31 - 1  # csv's default is 131,072 characters: a long article is one field
_UTF8_FIX = "convert the file to UTF-8, e.g. iconv -f latin1 -t utf-8"


class _Lines:
    """The physical lines of a file, decoded one by one, holding the lines of the record being read
    so that a record that cannot be parsed can be read again from its second line."""

    def __init__(self, stream: IO[bytes], path: str) -> None:
        self._stream = iter(stream)
        self._path = path
        self._replay: deque[str] = deque()
        self.held: list[str] = []  # the lines handed out since the last complete record
        self.number = 0  # the line number of the last line handed out
        self.broken: BaseException | None = None  # why the file could not be read to its end

    def __iter__(self) -> _Lines:
        return self

    def __next__(self) -> str:
        if self._replay:
            line = self._replay.popleft()
        else:
            if self.broken is not None:
                raise StopIteration
            try:
                raw = next(self._stream)
            except _UNREADABLE as exc:  # truncated or corrupt gzip: the records read stand, then one rejected
                self.broken = exc
                raise StopIteration from None
            if self.number == 0:
                raw = _first_line(raw, self._path)
            line = raw.decode("utf-8", "surrogateescape")
        self.number += 1
        self.held.append(line)
        return line

    def record_done(self) -> int:
        """The first line of the record just read; the next record starts after it."""
        first = self.number - len(self.held) + 1
        self.held = []
        return first

    def unread(self) -> None:
        """Hand out the lines of the record being read once more."""
        self._replay.extendleft(reversed(self.held))
        self.number -= len(self.held)
        self.held = []

    def reject_first_line(self) -> int:
        """Give up the record being read: its first line is rejected, the lines after it are read again."""
        first = self.number - len(self.held) + 1
        self._replay.extendleft(reversed(self.held[1:]))
        self.number = first
        self.held = []
        return first


def read_csv(path: str, *, fields: Fields, csv_delimiter: str | None = None) -> Iterator[FeedRecord]:
    """Every record of a CSV file with a header, in order (see the module's docstring)."""
    stream = _open_binary(path)
    try:
        lines = _Lines(stream, path)
        csv.field_size_limit(max(csv.field_size_limit(), _FIELD_LIMIT))  # a field may be as long as a record
        header = _header(lines, path, fields, csv_delimiter)
        if header is None:
            return
        columns, delimiter = header
        reader = csv.reader(lines, delimiter=delimiter, strict=True)
        while True:
            try:
                row = next(reader)
            except StopIteration:
                break
            except csv.Error as exc:  # rejected in its place; the reading starts again on the next line
                line = lines.reject_first_line()
                reader = csv.reader(lines, delimiter=delimiter, strict=True)
                message = (
                    'a quote that never closes; close it, or write a quote inside a quoted field as two ("")'
                    if "unexpected end of data" in str(exc)
                    else f"malformed CSV ({exc}); check the quoting of the record that starts here"
                )
                yield FeedRecord(path, line, error=FeedError(message, path=path, line=line))
                continue
            line = lines.record_done()
            if row:  # blank lines are not records
                yield _row_record(path, line, row, columns, fields, delimiter)
        if lines.broken is not None:
            yield _rest_unreadable(path, lines.number + 1, lines.broken)
    finally:
        stream.close()


def _header(lines: _Lines, path: str, fields: Fields, forced: str | None) -> tuple[list[str], str] | None:
    first = next(lines, None)
    if lines.broken is not None and first is None:  # not even the header could be read
        raise FeedError(f"cannot read the file: {_why(lines.broken)}", path=path, line=1)
    while first is not None and not first.strip():  # blank lines before the header
        lines.record_done()
        first = next(lines, None)
    if first is None:
        return None
    delimiter = forced or _delimiter(path, first)
    lines.unread()  # the header line is read again, by the csv module (it may hold quotes)
    try:
        columns = next(csv.reader(lines, delimiter=delimiter, strict=True))
    except csv.Error as exc:
        raise FeedError(f"malformed CSV header ({exc}); check its quoting", path=path, line=1) from None
    lines.record_done()
    if any(_SURROGATE.search(c) for c in columns):
        raise FeedError(f"the header is not valid UTF-8; {_UTF8_FIX}", path=path, line=1)
    for name in (fields.id, fields.text):
        if name not in columns:
            shown = ", ".join(repr(c) for c in columns)
            raise FeedError(
                f"no column {name!r} in the header (columns: {shown}); {_fields_hint(fields, name)}", path=path, line=1
            )
    return columns, delimiter


def _row_record(path: str, line: int, row: list[str], columns: list[str], fields: Fields, delimiter: str) -> FeedRecord:
    data: dict[str, str | None] = dict(zip(columns, row))
    for name in columns[len(row) :]:
        data[name] = None  # a short row: the missing columns are empty
    raw_id = data.get(fields.id)
    bad = next((k for k, v in data.items() if v is not None and _SURROGATE.search(v)), None)
    if bad is not None:
        byte = ord(_SURROGATE.search(data[bad]).group()) - 0xDC00  # type: ignore[arg-type, union-attr]
        return FeedRecord(
            path,
            line,
            raw_id=None if raw_id is None or _SURROGATE.search(raw_id) else raw_id,
            error=FeedError(
                f"not valid UTF-8 (byte 0x{byte:02x} in column {bad!r}); {_UTF8_FIX}", path=path, line=line
            ),
        )
    if len(row) > len(columns):
        message = f"more fields than the header has columns; quote fields that contain {delimiter!r}"
        return FeedRecord(path, line, error=FeedError(message, path=path, line=line), raw_id=raw_id)
    values = {k: (v if v != "" or k == fields.text else None) for k, v in data.items()}
    return _record(path, line, values, fields=fields)


def _delimiter(path: str, header: str) -> str:
    """The delimiter of a CSV file: tab for .tsv, else whichever of comma, semicolon and tab its header holds most."""
    if path.lower().removesuffix(".gz").endswith(".tsv"):
        return "\t"
    counts = {d: header.count(d) for d in (",", ";", "\t")}
    return max(counts, key=lambda d: (counts[d], d == ","))
