"""The work of each command on one input: bytes in, bytes out, GradpipeError for bad input.

These are module-level functions so that ``functools.partial`` of them pickles for
``--jobs``; the CLI binds the options and ``gradpipe.batch`` runs them per input.
"""

from __future__ import annotations

import difflib
from collections.abc import Mapping

from gradpipe.documents import build_graph, load_document, locate_math_error, read_document
from gradpipe.errors import GradpipeError, MathError
from gradpipe.graph import Graph, encode_document


def forward(raw: bytes, path: str, overrides: Mapping[str, float]) -> bytes:
    """The graph document with values only: every ``grad`` null."""
    graph = load_document(raw, path, overrides)
    graph.has_gradients = False
    return encode_document(graph)


def backward(raw: bytes, path: str, overrides: Mapping[str, float], output: str | None) -> bytes:
    """The graph document with gradients of ``output`` (which becomes the document's output)."""
    graph = load_document(raw, path, overrides)
    if output is not None:
        graph.output = known_node(graph, output, "--output")
    backpropagate(graph, raw, path)
    return encode_document(graph)


def render(
    raw: bytes,
    path: str,
    overrides: Mapping[str, float],
    fmt: str,
    layout_limit: int | None,
    watch: str | None = None,
) -> bytes:
    """The picture of what the document holds: values, and gradients when it carried them.

    A spec or a forward document is drawn without gradients; a backward document with
    them, recomputed (from its output) as every value is. The HTML view always has
    them; ``watch`` names the side file its page polls under ``render --watch``.
    """
    from gradpipe import render as drawing  # graphviz and subprocesses: only render needs them

    document = read_document(raw, path)
    graph = build_graph(document, overrides)
    if document.gradients or fmt in drawing.STEP_FORMATS:
        backpropagate(graph, raw, path)
    limit = drawing.DEFAULT_LAYOUT_LIMIT if layout_limit is None else layout_limit
    if fmt == "html" and watch is not None:
        from gradpipe.render_html import render_html

        return render_html(graph, layout_limit=limit, watch=watch)
    return drawing.render(graph, fmt, layout_limit=limit)


def frames(
    raw: bytes,
    path: str,
    overrides: Mapping[str, float],
    fmt: str,
    layout_limit: int | None,
) -> bytes:
    """One picture per backprop step, packed (``gradpipe.render_frames.pack_frames``)."""
    from gradpipe.render_frames import pack_frames, render_frames

    graph = load_document(raw, path, overrides)
    backpropagate(graph, raw, path)
    return pack_frames(render_frames(graph, fmt, layout_limit=layout_limit))


def validate(raw: bytes, path: str) -> bytes:
    """Nothing when the document is valid; it is checked, not computed."""
    read_document(raw, path)
    return b""


def backpropagate(graph: Graph, raw: bytes, path: str) -> None:
    """``graph.backward()``; its math errors located in ``raw``, the document of ``graph``."""
    try:
        graph.backward()
    except MathError as error:
        raise locate_math_error(raw, path, graph, error) from None


def known_node(graph: Graph, node_id: str, option: str) -> str:
    """``node_id`` when the graph has it, else an error naming the closest ids."""
    try:
        graph.index(node_id)
    except KeyError:
        close = difflib.get_close_matches(node_id, graph.ids, n=1)
        hint = f" (did you mean '{close[0]}'?)" if close else ""
        raise GradpipeError(f"{option}: no node '{node_id}' in the graph{hint}") from None
    return node_id
