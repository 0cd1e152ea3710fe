"""Parquet in and out, through pyarrow (the optional extra ``dedup[parquet]``).

Reading goes by record batches (4,096 rows at a time), so a large file costs what a JSON Lines
file costs; a row is one record, numbered from 1 in error messages (``line`` is the row), and
nested columns (structs) are reached by dotted field names as nested JSON is. Writing (``-o
out.parquet``) goes by row groups of the same size, with a fixed schema for verdicts and pairs.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

from .errors import FeedError, MissingDependencyError

__all__ = ["PAIR_SCHEMA", "VERDICT_SCHEMA", "RowWriter", "iter_rows", "pyarrow"]

BATCH = 4096
VERDICT_SCHEMA = (
    ("id", "string"),
    ("status", "string"),
    ("cluster", "int64"),
    ("duplicate_of", "string"),
    ("score", "float64"),
    ("reason", "string"),
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

    def record(self, row: Mapping[str, Any]) -> None:
        self._rows.append(row)
        if len(self._rows) >= BATCH:
            self._flush()

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
