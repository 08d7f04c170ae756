"""``Value.render_graph()``'s result: a ``graphviz.Digraph`` that shows without Graphviz.

Its inline SVG in Jupyter is laid out as ``render -f svg`` lays it out (Graphviz's ``dot``
when on PATH, else the embedded ``graphviz-pure``). The graphviz package's own ``pipe()``,
``render()`` and ``view()`` run ``dot`` by name: without Graphviz installed they raise
``graphviz.ExecutableNotFound``.
"""

from __future__ import annotations

import graphviz  # type: ignore[import-untyped]

from gradpipe.render import _quote
from gradpipe.render_layout import layout


class Diagram(graphviz.Digraph):  # type: ignore[misc]
    """A ``graphviz.Digraph`` whose inline SVG (Jupyter) falls back to the embedded layout."""

    # The source comes ready quoted from gradpipe.render; only the graph's name is quoted here.
    _quote = staticmethod(_quote)

    @classmethod
    def from_lines(cls, name: str, lines: list[str]) -> Diagram:
        """The Digraph of ``name`` whose ``source`` is ``lines`` (head and tail included)."""
        return cls(name=name, body=lines[1:-1])

    def _repr_image_svg_xml(self) -> str:
        """SVG for Jupyter, laid out by ``dot`` or, without Graphviz, by ``graphviz-pure``."""
        return layout(self.source.encode("utf-8", "replace"), "svg").decode()
