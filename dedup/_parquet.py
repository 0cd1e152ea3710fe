"""Parquet in and out, through pyarrow (the optional extra ``dedup[parquet]``).

Reading goes by record batches (4,096 rows at a time), so a large file costs what a JSON Lines
file costs; a row is one record, numbered from 1 in error messages (``line`` is the row), and
nested columns (structs) are reached by dotted field names as nested JSON is. Writing (``-o
out.parquet``) goes by row groups of the same size, with a fixed schema for verdicts and pairs.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Mapping
from typing import Any

from .errors import FeedError, MissingDependencyError, OutputError

__all__ = ["PAIR_SCHEMA", "VERDICT_SCHEMA", "DataWriter", "RowWriter", "iter_rows", "pyarrow"]

BATCH = 4096
VERDICT_SCHEMA = (
    ("id", "string"),
    ("status", "string"),
    ("cluster", "int64"),
    ("duplicate_of", "string"),
    ("score", "float64"),
    ("reason", "string"),
    ("update_of", "string"),
    ("updated_by", "string"),
)
PAIR_SCHEMA = (
    ("a", "string"),
    ("b", "string"),
    ("score", "float64"),
    ("jaccard", "float64"),
    ("containment_a", "float64"),
    ("containment_b", "float64"),
    ("facts", "float64"),
    ("reason", "string"),
    ("coverage_a", "float64"),
    ("coverage_b", "float64"),
    ("kind", "string"),
)


def pyarrow() -> Any:
    """The pyarrow module, or a clear error naming the extra."""
    try:
        import pyarrow as pa
        import pyarrow.parquet
    except ImportError:
        raise MissingDependencyError(
            "Parquet needs pyarrow, the optional extra: pip install 'dedup[parquet]'"
        ) from None
    return pa


def iter_rows(path: str) -> Iterator[tuple[int, dict[str, Any]]]:
    """``(row number, row as a dict)`` of every row of a Parquet file, a batch of rows at a time."""
    pa = pyarrow()
    try:
        handle = pa.parquet.ParquetFile(path)
    except (OSError, pa.ArrowException) as exc:
        raise FeedError(f"not a readable Parquet file ({exc}); check the file", path=path) from None
    row = 0
    try:
        for batch in handle.iter_batches(batch_size=BATCH):
            for data in batch.to_pylist():
                row += 1
                yield row, data
    except (OSError, pa.ArrowException) as exc:
        raise FeedError(f"cannot read the Parquet file after row {row} ({exc})", path=path) from None
    finally:
        handle.close()


class RowWriter:
    """Rows (dicts) into a Parquet file, a row group of ``BATCH`` rows at a time, with a fixed schema."""

    def __init__(self, path: str, columns: tuple[tuple[str, str], ...]) -> None:
        pa = pyarrow()
        self._pa = pa
        self._schema = pa.schema([(name, getattr(pa, kind)()) for name, kind in columns])
        self._names = [name for name, _ in columns]
        self._rows: list[Mapping[str, Any]] = []
        self._file = pa.parquet.ParquetWriter(path, self._schema)

    def write(self, row: Mapping[str, Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= BATCH:
            self._flush()

    def flush(self) -> None:
        """Nothing: a row group is written when it is full (a Parquet file is readable only once closed)."""

    def _flush(self) -> None:
        if self._rows:
            columns = {name: [r.get(name) for r in self._rows] for name in self._names}
            self._file.write_table(self._pa.table(columns, schema=self._schema))
            self._rows = []

    def close(self) -> None:
        self._flush()
        self._file.close()

    def __enter__(self) -> RowWriter:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class DataWriter:
    """Input records (dicts, every field as it came) into a Parquet file, a row group of ``BATCH`` at a time.

    The schema is what the records hold: the columns of every record seen, each of the type its values
    have (nested objects are structs). When a later row group brings a new column, or a type that
    widens an earlier one (null, then text; an integer, then a float), the rows written so far are
    rewritten under the wider schema, so memory stays one row group whatever the feed. Values of one
    column that no type holds (text in one record, a number in another) stop the run with an
    :class:`OutputError` saying so.
    """

    def __init__(self, path: str, shown: str) -> None:
        self._pa = pyarrow()
        self._path, self._shown = path, shown
        self._schema: Any = None
        self._file: Any = None
        self._rows: list[Mapping[str, Any]] = []

    def write(self, row: Mapping[str, Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= BATCH:
            self._flush()

    def flush(self) -> None:
        """Nothing: a row group is written when it is full (a Parquet file is readable only once closed)."""

    def _refused(self, exc: BaseException) -> OutputError:
        return OutputError(
            f"cannot write {self._shown}: a field holds values no one Parquet type holds ({exc}); "
            "write .jsonl, which keeps every record as it came"
        )

    def _flush(self) -> None:
        if not self._rows:
            return
        pa = self._pa
        try:
            table = pa.Table.from_struct_array(pa.array(self._rows))
            if self._schema is None:
                self._open(table.schema)
            elif table.schema != self._schema:
                wider = pa.unify_schemas([self._schema, table.schema], promote_options="permissive")
                if wider != self._schema:
                    self._rewrite(wider)
                table = _conform(pa, table, self._schema)
        except (pa.ArrowInvalid, pa.ArrowTypeError, pa.ArrowNotImplementedError, OverflowError) as exc:
            self._rows = []  # the rows written so far stay readable: close() writes the footer
            raise self._refused(exc) from None
        self._file.write_table(table)
        self._rows = []

    def _open(self, schema: Any) -> None:
        self._schema = schema
        self._file = self._pa.parquet.ParquetWriter(self._path, schema)

    def _rewrite(self, schema: Any) -> None:
        self._file.close()
        earlier = self._path + ".narrower"
        os.replace(self._path, earlier)
        try:
            self._open(schema)
            handle = self._pa.parquet.ParquetFile(earlier)
            for batch in handle.iter_batches(batch_size=BATCH):
                self._file.write_table(_conform(self._pa, self._pa.Table.from_batches([batch]), schema))
            handle.close()
        finally:
            os.unlink(earlier)

    def close(self) -> None:
        self._flush()
        if self._file is None:  # no record at all: a file with no rows and no columns
            self._open(self._pa.schema([]))
        self._file.close()

    def __enter__(self) -> DataWriter:  # noqa: PYI034
        return self

    def __exit__(self, *exc: object) -> None:
        if exc[0] is None:
            self.close()
        elif self._file is not None:
            self._file.close()


def _conform(pa: Any, table: Any, schema: Any) -> Any:
    """``table`` with the columns of ``schema``, in its order and types (a column it lacks is all null)."""
    columns = [
        table.column(f.name).cast(f.type) if f.name in table.column_names else pa.nulls(len(table), f.type)
        for f in schema
    ]
    return pa.Table.from_arrays(columns, schema=schema)
