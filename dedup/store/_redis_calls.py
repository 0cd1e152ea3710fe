"""Calling the index's Lua scripts on the Redis server, for :class:`dedup.store.redis.RedisStore`.

One EVALSHA per call, packed by hand (a batch's sketch counters come pre-packed by numpy); a script the
server does not know is loaded (NOSCRIPT), a server busy with another worker's script is waited for
(BUSY), and a call whose connection or reply was lost is sent again for :attr:`ScriptCalls.retry_seconds`.
"""

from __future__ import annotations

import time as _time
from typing import Any

from ..errors import IndexFileError
from . import _redis_wire as _wire

__all__ = ["RETRY_SECONDS", "ScriptCalls"]

RETRY_SECONDS = 10.0  # how long a command whose reply was lost is sent again while the server comes back


class ScriptCalls:
    """The script calls of a store on one server. The store sets ``_redis`` (the client), ``_scripts``
    (name -> source and sha1), ``_prefix``, ``url``, ``_errors`` (what a lost connection raises),
    ``retry_seconds`` and ``lost_replies``; every call drops what the store prefetched (``_prefetched``)."""

    _redis: Any
    _scripts: dict[str, tuple[bytes, bytes]]
    _prefix: str
    url: str
    _errors: tuple[type[BaseException], ...]
    _prefetched: Any
    _prefetched_len: int | None
    retry_seconds: float
    lost_replies: int

    def _run(self, script: str, *args: Any, tail: bytes = b"", tail_count: int = 0) -> Any:
        """One EVALSHA of ``script`` (loaded on NOSCRIPT), its arguments then ``tail_count`` packed ones in ``tail``.

        The command is packed here and sent as is (a batch's sketch counters come pre-packed by numpy:
        redis-py would pack each of its hundreds of thousands of arguments in Python). Every script is
        idempotent (a claim stores an id once), so a command whose connection or reply was lost (a
        timeout, a server restarting) is sent again for up to :attr:`retry_seconds`.
        """
        deadline, pause = _time.monotonic() + self.retry_seconds, 0.05
        while True:
            try:
                return self._run_once(script, *args, tail=tail, tail_count=tail_count)
            except _LostConnection as exc:
                self.lost_replies += 1
                if _time.monotonic() + pause > deadline:
                    raise IndexFileError(str(exc)) from None
                _time.sleep(pause)
                pause = min(pause * 2, 1.0)

    def _run_once(self, script: str, *args: Any, tail: bytes = b"", tail_count: int = 0) -> Any:
        self._prefetched = self._prefetched_len = None
        source, sha = self._scripts[script]
        parts = [b"EVALSHA", sha, b"0", self._prefix.encode(), *map(_wire.arg, args)]
        head = b"*%d\r\n" % (len(parts) + tail_count) + b"".join(b"$%d\r\n%s\r\n" % (len(p), p) for p in parts)
        import redis

        pool = self._redis.connection_pool
        loaded, pause, deadline = False, 0.01, _time.monotonic() + 600
        while True:
            try:
                conn = pool.get_connection()
            except self._errors as exc:  # the server is gone (or not back yet)
                raise _LostConnection(f"lost the connection to Redis at {self.url}: {_wire.one_line(exc)}") from None
            try:
                conn.send_packed_command([head, tail] if tail else [head])
                return conn.read_response()
            except redis.exceptions.NoScriptError:
                if loaded:
                    raise
                conn.send_command("SCRIPT", "LOAD", source)
                conn.read_response()
                loaded = True
            except redis.exceptions.ResponseError as exc:
                # BUSY: another worker's script is still running; the command was not applied, so it is sent again.
                if not str(exc).startswith("BUSY") or _time.monotonic() > deadline:
                    raise IndexFileError(f"Redis at {self.url} refused a command: {_wire.one_line(exc)}") from None
                _time.sleep(pause)
                pause = min(pause * 2, 0.5)
            except self._errors as exc:
                conn.disconnect()  # the reply, if it comes, goes with this socket
                raise _LostConnection(f"lost the connection to Redis at {self.url}: {_wire.one_line(exc)}") from None
            except BaseException:
                conn.disconnect()  # a reply may be left unread on it
                raise
            finally:
                pool.release(conn)


class _LostConnection(IndexFileError):
    """The connection went (or its reply did not come) while a command was sent or read."""
