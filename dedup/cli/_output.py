"""Where a command writes its machine output: stdout, or a file given with ``-o``."""

from __future__ import annotations

import base64
import contextlib
import datetime
import decimal
import json
import os
import re
import sys
import tempfile
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from typing import IO, Any, Protocol

from ..errors import ConfigError, DedupError, OutputError

# Written as \uXXXX: lone surrogates (valid in JSON, not encodable as UTF-8) and the characters beyond C0
# (which json.dumps escapes itself) that str.splitlines() and some editors take for line breaks
_ESCAPE = re.compile("[\ud800-\udfff\u2028\u2029\x85]")


def json_line(obj: Any) -> str:
    """One JSON Lines record: UTF-8 text as it is, except what would break the encoding or the lines.

    Values JSON has no type for (the timestamps of a Parquet row) are written as ISO 8601 strings.
    """
    text = json.dumps(obj, ensure_ascii=False, default=_plain)
    return _ESCAPE.sub(lambda m: f"\\u{ord(m.group()):04x}", text) + "\n"


def _plain(value: Any) -> Any:
    if isinstance(value, (datetime.datetime, datetime.date, datetime.time)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return float(value)
    if isinstance(value, (bytes, bytearray)):
        return base64.b64encode(value).decode("ascii")
    return str(value)


def is_parquet(path: str | None) -> bool:
    return path is not None and path.lower().endswith(".parquet")


class RecordSink(Protocol):
    def write(self, row: Mapping[str, Any]) -> None: ...
    def flush(self) -> None: ...


class _Lines:
    def __init__(self, out: _Guarded) -> None:
        self._out = out

    def write(self, row: Mapping[str, Any]) -> None:
        self._out.write(json_line(row))

    def flush(self) -> None:
        self._out.flush()


@contextmanager
def records(
    path: str | None, columns: tuple[tuple[str, str], ...] | None, *, partial: bool = False
) -> Iterator[RecordSink]:
    """Where records go: JSON Lines on stdout or in ``path``, or rows of ``path`` if it is ``.parquet``
    (``columns`` its schema; None: the records' own fields, as :class:`dedup._parquet.DataWriter` finds
    them), written beside it and renamed over it when the block succeeds.

    With ``partial`` (``--index`` runs, whose batches are stored as they go) what was written stays when
    the block fails: JSON Lines are written to ``path`` as they come (each ``flush`` reaches the file);
    a Parquet file is closed and renamed over ``path`` with the rows written so far (not after Ctrl-C).
    """
    if not is_parquet(path):
        with output(path, atomic=not partial) as out:
            yield _Lines(out)
        return
    assert path is not None
    from .._parquet import DataWriter, RowWriter

    shown = f"-o {path}"
    keep = [partial]  # whether a failed run's rows are kept: only if the file could be closed whole
    with _replacing(path, keep_on_error=keep) as temporary, _guard(shown):
        sink = RowWriter(temporary, columns) if columns is not None else DataWriter(temporary, shown)
        try:
            yield sink
        except BaseException:
            if partial:
                try:
                    sink.close()
                except (OSError, ValueError, OutputError):
                    keep[0] = False
            raise
        sink.close()


def machine_stdout() -> None:
    """stdout carries UTF-8 JSON Lines whatever the locale (a Windows console, PYTHONIOENCODING=ascii)."""
    reconfigure = getattr(sys.stdout, "reconfigure", None)
    if reconfigure is not None and (sys.stdout.encoding or "").lower().replace("-", "") != "utf8":
        reconfigure(encoding="utf-8")


def _stdout() -> IO[str]:
    if sys.stdout is None:  # started with its stdout closed (`dedup find feed >&-`)
        raise OutputError("cannot write stdout: it is closed; pass -o FILE")
    return sys.stdout


def check_output(path: str | None, inputs: tuple[str, ...] | list[str] = ()) -> None:
    """Refuse, before any work, an ``-o`` that cannot be written or that names an input (through a symlink too)."""
    if path is None or path == "-":
        _stdout()
        return
    if is_parquet(path):
        from .._parquet import pyarrow

        pyarrow()  # the extra is there, or the run stops now, not after the work
    folder = os.path.dirname(os.path.abspath(path))
    if os.path.isdir(path):
        raise ConfigError(f"-o {path} is a folder; name a file in it, e.g. -o {os.path.join(path, 'verdicts.jsonl')}")
    if not os.path.isdir(folder):
        raise ConfigError(f"-o {path}: the folder {folder} does not exist; create it first (mkdir -p {folder})")
    if not os.access(folder, os.W_OK | os.X_OK) or (os.path.exists(path) and not os.access(path, os.W_OK)):
        raise ConfigError(f"-o {path}: not writable (permission denied); write elsewhere")
    for i in inputs:
        if os.path.exists(i) and os.path.exists(path) and os.path.samefile(i, path):
            raise ConfigError(f"-o {path} is also an input: it would be overwritten while it is read; write elsewhere")


@contextmanager
def output(path: str | None, *, atomic: bool = True) -> Iterator[_Guarded]:
    """stdout, or the file ``path``: written beside it and renamed over it only when the block succeeds.

    With ``atomic`` (the default) a failed or interrupted run leaves an existing file as it was; without
    it the lines are written to ``path`` as they come (``--index`` runs: the lines of every batch stored).
    Something that is not a regular file (``/dev/stdout``, a named pipe, a device) is written directly.
    A write that fails (a full disk, a closed stdout) is an :class:`OutputError` naming the output.
    """
    if path is None or path == "-":
        guarded = _Guarded(_stdout(), "stdout")
        yield guarded
        guarded.flush()
        return
    if not atomic or (os.path.exists(path) and not os.path.isfile(path)):
        with _guard(f"-o {path}"), open(path, "w", encoding="utf-8") as stream:
            yield _Guarded(stream, f"-o {path}")
        return
    with _replacing(path) as temporary, open(temporary, "w", encoding="utf-8") as stream:
        yield _Guarded(stream, f"-o {path}")
        with _guard(f"-o {path}", "; the file was left as it was"):
            stream.flush()
            os.fsync(stream.fileno())


@contextmanager
def _replacing(path: str, *, keep_on_error: list[bool] | None = None) -> Iterator[str]:
    """A temporary file beside ``path`` to write, renamed over it (its mode kept) if the block succeeds, else
    removed (renamed over it too if ``keep_on_error[0]`` is true then, unless the run was interrupted)."""
    folder = os.path.dirname(os.path.abspath(path))
    with _guard(f"-o {path}"):
        fd, temporary = tempfile.mkstemp(prefix=f".{os.path.basename(path)}.", suffix=".partial", dir=folder)
        os.close(fd)
    try:
        yield temporary
    except Exception:
        if keep_on_error and keep_on_error[0]:
            _rename(temporary, path)
        else:
            with contextlib.suppress(OSError):
                os.unlink(temporary)
        raise
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise
    _rename(temporary, path)


def _rename(temporary: str, path: str) -> None:
    try:
        with _guard(f"-o {path}", "; the file was left as it was"):
            if os.path.exists(path):
                with contextlib.suppress(OSError):
                    os.chmod(temporary, os.stat(path).st_mode & 0o7777)
            else:
                os.chmod(temporary, 0o666 & ~_umask())
            os.replace(temporary, os.path.realpath(path))  # through a symlink: the file it names is replaced
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


@contextmanager
def _guard(shown: str, note: str = "") -> Iterator[None]:
    try:
        yield
    except (BrokenPipeError, DedupError):
        raise  # `dedup find ... | head`: the reader has what it wanted; a store's own error says what it is
    except OSError as exc:
        raise OutputError(f"cannot write {shown}: {exc.strerror or exc}{note}") from None


class _Guarded:
    """A text stream whose failed writes are :class:`OutputError` naming it (a full disk, a closed stdout)."""

    def __init__(self, stream: IO[str], shown: str) -> None:
        self._stream, self._shown = stream, shown

    def write(self, text: str) -> int:
        return self._call(self._stream.write, text)

    def flush(self) -> None:
        self._call(self._stream.flush)

    def _call(self, fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except BrokenPipeError:
            raise
        except OSError as exc:
            raise OutputError(f"cannot write {self._shown}: {exc.strerror or exc}") from None
        except ValueError as exc:  # a closed file
            if "closed file" not in str(exc):
                raise
            raise OutputError(f"cannot write {self._shown}: it is closed") from None


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask
