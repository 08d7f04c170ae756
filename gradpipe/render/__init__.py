"""Pictures of a graph: DOT (``dot``), SVG, PNG and PDF (``layout``), Mermaid, JSON, HTML.

``plan`` decides what Graphviz is given (which shared nodes to split, the direction);
``views`` draws a part of a graph (``--view named``, ``--focus``) and local derivatives.

``render(graph, fmt)`` is the one entry point; ``formats.FORMATS`` the one table of
formats. The drawing modules load only when a picture is asked for, so importing this
costs nothing.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from gradpipe.errors import RenderError
from gradpipe.render.formats import DEFAULT_LAYOUT_LIMIT, FORMATS, LAYOUT_FORMATS, STEP_FORMATS

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gradpipe.documents.graph import Graph
    from gradpipe.render.dot import Style
    from gradpipe.render.labels import NodeMark

__all__ = [
    "DEFAULT_LAYOUT_LIMIT",
    "FORMATS",
    "LAYOUT_FORMATS",
    "STEP_FORMATS",
    "RenderError",
    "render",
]


def render(
    graph: Graph,
    fmt: str,
    *,
    layout_limit: int = DEFAULT_LAYOUT_LIMIT,
    style: Style | None = None,
    marks: Mapping[str, NodeMark] | None = None,
) -> bytes:
    """The graph in ``fmt`` (one of FORMATS), as the bytes of the file to write.

    ``style`` picks the direction, the compact records, edge labels, and a view
    (``named``, or a focus on one node) to draw instead of the whole graph. ``marks``
    (node id -> NodeMark) colour and annotate nodes in DOT, SVG, PNG, PDF and HTML.
    """
    from gradpipe.render.dot import Style
    from gradpipe.render.labels import encode

    style = style or Style()
    if fmt == "html":
        from gradpipe.render.html import render_html

        return render_html(graph, layout_limit=layout_limit, marks=marks, style=style)
    if fmt == "json" and not style.whole:
        # A view's nodes stand for folded formulas (an add of five arguments) or lack
        # their cut inputs: no graph document, which every command must read, holds that.
        raise RenderError(
            "json is the whole graph document: a view (named, or a focus) is drawn only "
            "(dot, svg, png, pdf, mermaid, html)"
        )
    view = None
    if not style.whole:  # the common case, the whole graph, needs nothing of views'
        from gradpipe.render.views import picture_view

        view = picture_view(graph, style)
    drawn = graph if view is None else view.graph
    if fmt == "json":
        from gradpipe.documents.graph import encode_document

        return encode_document(drawn)  # dump_document(drawn.to_document()), faster
    if fmt == "mermaid":
        from gradpipe.render.mermaid import to_mermaid

        return encode(to_mermaid(drawn, style, view))
    from gradpipe.render.dot import to_dot

    if fmt == "dot":
        return encode(to_dot(drawn, style, view, marks=marks))
    if fmt not in LAYOUT_FORMATS:
        raise RenderError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    from gradpipe.render.layout import lay_out

    return lay_out(drawn, fmt, layout_limit=layout_limit, style=style, view=view, marks=marks)
