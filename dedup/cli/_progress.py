"""A small progress bar on stderr, shown only when stderr is a terminal and not ``--quiet``."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    def __init__(self, *, enabled: bool, stream: TextIO | None = None, summary: bool | None = None) -> None:
        self.stream = stream or sys.stderr
        self.enabled = enabled
        self.summary = enabled if summary is None else summary
        self._last = 0.0

    @classmethod
    def for_terminal(cls, *, quiet: bool) -> Progress:
        return cls(enabled=not quiet and sys.stderr.isatty(), summary=not quiet)

    def __call__(self, stage: str, done: int, total: int) -> None:
        if not self.enabled:
            return
        now = time.monotonic()
        if done < total and now - self._last < 0.1:
            return
        self._last = now
        if total <= 0:  # unknown total: a count
            unit = "pairs" if stage == "candidates" else "articles"
            self.stream.write(f"\r{stage:<11} {done:,} {unit}")
        else:
            width = 30
            filled = min(width, int(width * done / total))
            bar = "#" * filled + "-" * (width - filled)
            self.stream.write(f"\r{stage:<11} [{bar}] {done}/{total}")
        self.stream.flush()

    def done(self) -> None:
        if self.enabled:
            self.stream.write("\r" + " " * 70 + "\r")
            self.stream.flush()

    def message(self, text: str) -> None:
        """A line on stderr (the run's summary), shown unless ``--quiet``, terminal or not."""
        if self.summary:
            self.stream.write(text + "\n")
            self.stream.flush()
