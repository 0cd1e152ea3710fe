"""Views of an :class:`~dedup.align.Alignment`: terminal text, a standalone HTML page, JSON.

>>> from dedup.align import align
>>> from dedup.render import render_terminal
>>> print(render_terminal(align("It rained on Monday.", "It rained on Tuesday."), color=False, width=60))
A: 1 sentences, B: 1 sentences, 1 linked; coverage of A 100%, of B 100%
~ rewritten 0.75  A1 -> B1
  It rained on [-Monday.-] {+Tuesday.+}
<BLANKLINE>
"""

from __future__ import annotations

from .html import render_html
from .json import render_json
from .terminal import render_terminal

__all__ = ["render_html", "render_json", "render_terminal"]
