"""Pictures of a graph: DOT (``dot``), SVG and PNG (``layout``), Mermaid, JSON, HTML.

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
    marks: Mapping[str, NodeMark] | None = None,
) -> bytes:
    """The graph in ``fmt`` (one of FORMATS), as the bytes of the file to write.

    ``marks`` (node id -> NodeMark) colour and annotate nodes in DOT, SVG, PNG and HTML.
    """
    from gradpipe.render.labels import encode

    if fmt == "json":
        from gradpipe.documents.graph import encode_document

        return encode_document(graph)  # dump_document(graph.to_document()), faster
    if fmt == "mermaid":
        from gradpipe.render.mermaid import to_mermaid

        return encode(to_mermaid(graph))
    from gradpipe.render.dot import to_dot

    if fmt == "dot":
        return encode(to_dot(graph, marks))
    if fmt == "html":
        from gradpipe.render.html import render_html

        return render_html(graph, layout_limit=layout_limit, marks=marks)
    if fmt not in LAYOUT_FORMATS:
        raise RenderError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    from gradpipe.render.layout import lay_out

    return lay_out(graph, fmt, layout_limit=layout_limit, marks=marks)
