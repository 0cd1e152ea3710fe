"""Process pools for the batch pipeline: an ordered map with a bounded number of tasks in flight."""

from __future__ import annotations

import multiprocessing
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ProcessPoolExecutor
from typing import Any, TypeVar

T = TypeVar("T")
R = TypeVar("R")


def can_fork() -> bool:
    """Whether workers can be forked, inheriting the parent's arrays without copying them (POSIX)."""
    return "fork" in multiprocessing.get_all_start_methods()


def ordered_map(fn: Callable[[T], R], items: Iterable[T], *, workers: int, fork: bool = False) -> Iterator[R]:
    """``map(fn, items)`` over ``workers`` processes, results in order, at most two tasks per worker in flight.

    With ``fork=True`` the workers are forked, so ``fn`` may read module state the parent set up
    before the call (large arrays are then shared copy-on-write, not pickled).
    """
    context: Any = multiprocessing.get_context("fork") if fork else None
    with ProcessPoolExecutor(max_workers=workers, mp_context=context) as pool:
        pending: deque = deque()
        for item in items:
            pending.append(pool.submit(fn, item))
            if len(pending) >= 2 * workers:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
