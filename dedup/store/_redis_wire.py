"""Talking to the Redis server for :class:`dedup.store.redis.RedisStore`: the client, URLs as messages
show them, and the packed arguments of a command (RESP bulk strings made by numpy, not per argument)."""

from __future__ import annotations

import urllib.parse
from typing import Any

import numpy as np

from ..errors import IndexFileError, MissingDependencyError

__all__ = ["arg", "client", "one_line", "shown", "tokens"]


def shown(url: str) -> str:
    """The URL as error lines show it: a password replaced by ``***``."""
    parts = urllib.parse.urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urllib.parse.urlunsplit(parts._replace(netloc=netloc))


def client(url: str) -> Any:
    try:
        import redis
    except ImportError:
        raise MissingDependencyError("a Redis index needs the redis client: pip install 'dedup[redis]'") from None
    try:
        # A batch's script waits behind other workers' scripts on a busy server: seconds, not redis-py's default 5 s
        return redis.Redis.from_url(url, socket_connect_timeout=5, socket_timeout=300, health_check_interval=30)
    except ValueError as exc:
        raise IndexFileError(f"cannot use Redis URL {shown(url)}: {exc}") from None


def arg(value: Any) -> bytes:
    return value if isinstance(value, bytes) else str(value).encode()


def tokens(values: np.ndarray) -> bytes:
    """``values`` (ascending, >= 0) as packed RESP bulk strings ``#<decimal>``: BITFIELD's counter offsets.

    Vectorised: the values of one number of digits are a contiguous run (they are sorted), laid out as
    one fixed-width block of bytes.
    """
    v = np.asarray(values, dtype=np.int64)
    out, lo = [], 0
    for digits in range(1, 20):
        hi = int(np.searchsorted(v, 10**digits)) if digits < 19 else v.size
        if hi > lo:
            head = b"$%d\r\n#" % (digits + 1)
            block = np.empty((hi - lo, len(head) + digits + 2), np.uint8)
            block[:, : len(head)] = np.frombuffer(head, np.uint8)
            block[:, -2:] = (13, 10)
            x = v[lo:hi].copy()
            for k in range(digits - 1, -1, -1):
                block[:, len(head) + k] = x % 10 + 48
                x //= 10
            out.append(block.tobytes())
            lo = hi
        if lo >= v.size:
            break
    return b"".join(out)


def one_line(exc: BaseException) -> str:
    return " ".join(str(exc).split()) or type(exc).__name__
