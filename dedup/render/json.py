"""JSON view of an alignment: :meth:`Alignment.to_dict` as text."""

from __future__ import annotations

import json

from ..align import Alignment
from ..errors import expect

__all__ = ["render_json"]


def render_json(alignment: Alignment, *, indent: int | None = 2) -> str:
    """The alignment as JSON (keys as in :meth:`~dedup.align.Alignment.to_dict`), non-ASCII kept as is."""
    expect(alignment, Alignment, "render_json(): alignment", hint="make one with dedup.align(a, b)")
    return json.dumps(alignment.to_dict(), ensure_ascii=False, indent=indent)
