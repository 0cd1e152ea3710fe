"""The exception tree of dedup, written in one place.

::

    DedupError                       base of everything dedup raises on purpose
    ├── ConfigError (ValueError)     an invalid or unknown setting
    ├── InputError (ValueError)      an article that cannot be used (no id, text not a str, ...)
    │   ├── FeedError                a bad record or file in a feed; carries .path and .line
    │   └── ArgumentTypeError (TypeError)
    │                                an argument of the wrong type (bytes for a str, None for a feed, ...)
    ├── SignatureMismatchError (ValueError)
    │                                signatures made with other settings than the index's
    ├── IndexFileError (OSError)     a file that is not a dedup index, of a newer format, or in use
    ├── OutputError (OSError)        the output cannot be written (a full disk, a closed stdout, ...)
    └── MissingDependencyError (ImportError)
                                     an optional dependency is not installed

Each class also inherits the builtin a caller would naturally catch, so ``except ValueError``
keeps working for code that does not know about dedup.
"""

from __future__ import annotations

__all__ = [
    "ArgumentTypeError",
    "ConfigError",
    "DedupError",
    "FeedError",
    "IndexFileError",
    "InputError",
    "MissingDependencyError",
    "OutputError",
    "SignatureMismatchError",
]


class DedupError(Exception):
    """Base class of every error dedup raises on purpose."""


class ConfigError(DedupError, ValueError):
    """An invalid or unknown setting."""


class InputError(DedupError, ValueError):
    """An article that cannot be used as given."""


class FeedError(InputError):
    """A bad record or file in a feed.

    ``path`` is the file (``"<stdin>"`` for standard input) and ``line`` the 1-based line
    number (the record number for CSV, ``None`` when the whole file is at fault).
    """

    def __init__(self, message: str, *, path: str | None = None, line: int | None = None) -> None:
        self.path = path
        self.line = line
        self.reason = message
        where = path or "<input>"
        if line is not None:
            where = f"{where}, line {line}"
        super().__init__(f"{where}: {message}")


class ArgumentTypeError(InputError, TypeError):
    """An argument of the wrong type: bytes where text is expected, None for a feed, a str for an Alignment."""


def expect(value: object, kinds: type | tuple[type, ...], what: str, *, hint: str = "") -> None:
    """Raise :class:`ArgumentTypeError` naming ``what`` unless ``value`` is one of ``kinds``."""
    if isinstance(value, kinds):
        return
    names = " or ".join(k.__name__ for k in (kinds if isinstance(kinds, tuple) else (kinds,)))
    if isinstance(value, (bytes, bytearray)) and str in (kinds if isinstance(kinds, tuple) else (kinds,)):
        hint = hint or "decode it first, e.g. data.decode('utf-8')"
    raise ArgumentTypeError(f"{what} must be a {names}; got {type(value).__name__}" + (f": {hint}" if hint else ""))


class SignatureMismatchError(DedupError, ValueError):
    """Signatures made with settings other than the ones an index was built with."""


class IndexFileError(DedupError, OSError):
    """An index file that cannot be used: not a dedup index, a newer format version, or open in another process."""


class OutputError(DedupError, OSError):
    """The output cannot be written: a full disk, a closed stdout, a file that cannot be replaced."""


class MissingDependencyError(DedupError, ImportError):
    """An optional dependency is not installed."""
