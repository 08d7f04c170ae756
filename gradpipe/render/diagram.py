"""``Value.render_graph()``'s result: a ``graphviz.Digraph`` that shows without Graphviz.

Its inline SVG in Jupyter is laid out as ``render -f svg`` lays it out (Graphviz's ``dot``
when on PATH, else the embedded ``graphviz-pure``). The graphviz package's own ``pipe()``,
``render()`` and ``view()`` run ``dot`` by name: without Graphviz installed they raise
``graphviz.ExecutableNotFound``.
"""

from __future__ import annotations

from typing import Any

import graphviz  # type: ignore[import-untyped]

from gradpipe.documents.graph import Graph, graph_from_value
from gradpipe.engine.value import Value
from gradpipe.render.dot import dot_id, dot_lines
from gradpipe.render.layout import layout


class Diagram(graphviz.Digraph):  # type: ignore[misc]
    """A ``graphviz.Digraph`` whose inline SVG (Jupyter) falls back to the embedded layout."""

    # The source comes ready quoted from gradpipe.render.dot; only the graph's name is quoted here.
    _quote = staticmethod(dot_id)

    graph: Graph

    @classmethod
    def from_lines(cls, name: str, lines: list[str], graph: Graph) -> Diagram:
        """The Digraph of ``name`` whose ``source`` is ``lines`` (head and tail included)."""
        diagram = cls(name=name, body=lines[1:-1])
        diagram.graph = graph
        return diagram

    def interactive(self, height: int = 520) -> Any:
        """The interactive HTML view of the same graph (``Value.show()``)."""
        from gradpipe.render.html import show

        return show(self.graph, height=height)

    def _repr_image_svg_xml(self) -> str:
        """SVG for Jupyter, laid out by ``dot`` or, without Graphviz, by ``graphviz-pure``."""
        return layout(self.source.encode("utf-8", "replace"), "svg").decode()


def draw_graph(root: Value) -> Diagram:
    """``Value.render_graph()``: everything ``root`` depends on, as a ``graphviz.Digraph``."""
    # Gradients are always shown, as micrograd shows them (0.0000 before ``backward``).
    graph = graph_from_value(root)
    return Diagram.from_lines(graph.name, dot_lines(graph), graph)
