"""The worker threads of the batch pipeline (dedup/_workers.py): order, bounded work in flight, errors."""

from __future__ import annotations

import threading
import time

import pytest

from dedup._workers import ordered_map


def test_results_in_order_whatever_finishes_first():
    def slow_then_fast(k: int) -> int:
        time.sleep(0.02 if k % 3 == 0 else 0.0)
        return k * k

    assert list(ordered_map(slow_then_fast, range(40), workers=3)) == [k * k for k in range(40)]
    assert list(ordered_map(slow_then_fast, range(5), workers=1)) == [k * k for k in range(5)]


def test_at_most_two_tasks_per_worker_read_ahead():
    read = []

    def items():
        for k in range(100):
            read.append(k)
            yield k

    results = ordered_map(lambda k: k, items(), workers=2)
    assert next(results) == 0
    assert len(read) <= 2 * 2 + 1  # the input is read only as results are taken (memory stays bounded)
    assert list(results) == list(range(1, 100))


def test_runs_in_several_threads_at_once():
    barrier = threading.Barrier(2, timeout=10)  # both tasks must be running together to pass it

    def meet(k: int) -> int:
        barrier.wait()
        return k

    assert list(ordered_map(meet, [1, 2], workers=2)) == [1, 2]


def test_an_error_in_a_worker_reaches_the_caller():
    def fail_on_three(k: int) -> int:
        if k == 3:
            raise ValueError("bad item 3")
        return k

    with pytest.raises(ValueError, match="bad item 3"):
        list(ordered_map(fail_on_three, range(10), workers=2))
