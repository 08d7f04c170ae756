"""``draw_dot`` and ``Value.render_graph()``: a ``graphviz.Digraph`` that works without Graphviz.

Its inline picture in Jupyter, ``pipe()`` and ``render()`` are laid out as ``render -f
svg`` lays them out: Graphviz's ``dot`` when on PATH, else the embedded ``graphviz-pure``
(which writes svg and png). The graphviz package's own methods would run ``dot`` by name
and raise ``graphviz.ExecutableNotFound`` without Graphviz installed.
"""

from __future__ import annotations

import contextlib
import os
from pathlib import Path
from typing import Any

import graphviz  # type: ignore[import-untyped]

from gradpipe.documents.graph import Graph, graph_from_value
from gradpipe.engine.value import Value
from gradpipe.errors import RenderError
from gradpipe.render.dot import VIEWS, Style, dot_id, dot_lines
from gradpipe.render.formats import DEFAULT_LAYOUT_LIMIT, limit_refusal
from gradpipe.render.layout import NATIVE, embedded_program, layout, run_program, which
from gradpipe.render.views import DEFAULT_DEPTH, picture_view

RANKDIRS = ("LR", "TB")


class Diagram(graphviz.Digraph):  # type: ignore[misc]
    """A ``graphviz.Digraph`` whose inline SVG (Jupyter) falls back to the embedded layout."""

    # The source comes ready quoted from gradpipe.render.dot; only the graph's name is quoted here.
    _quote = staticmethod(dot_id)

    @classmethod
    def from_lines(cls, name: str, lines: list[str]) -> Diagram:
        """The Digraph of ``name`` whose ``source`` is ``lines`` (head and tail included)."""
        return cls(name=name, body=lines[1:-1])

    def _repr_image_svg_xml(self) -> str:
        """SVG for Jupyter, laid out by ``dot`` or, without Graphviz, by ``graphviz-pure``."""
        return layout(self.source.encode("utf-8", "replace"), "svg").decode()

    def pipe(
        self,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        *,
        engine: str | None = None,
        encoding: str | None = None,
    ) -> bytes | str:
        """The picture laid out in ``format`` (default: the Digraph's), as bytes or text."""
        data = _lay_out(self.source.encode("utf-8", "replace"), format or self.format or "svg")
        return data.decode(encoding) if encoding is not None else data

    def render(
        self,
        filename: str | os.PathLike[str] | None = None,
        directory: str | os.PathLike[str] | None = None,
        view: bool = False,
        cleanup: bool = False,
        format: str | None = None,
        renderer: str | None = None,
        formatter: str | None = None,
        neato_no_op: bool | int | None = None,
        quiet: bool = False,
        quiet_view: bool = False,
        *,
        outfile: str | os.PathLike[str] | None = None,
        engine: str | None = None,
        raise_if_result_exists: bool = False,
        overwrite_source: bool = False,
    ) -> str:
        """Save the source, write the picture next to it (``name.gv.svg``), return its path.

        As graphviz's ``render``: ``outfile`` names the picture (its suffix is the format
        unless ``format`` is given), ``cleanup`` removes the source afterwards.
        """
        if outfile is not None and format is None:
            format = Path(outfile).suffix.lstrip(".") or None
        fmt = format or self.format or "svg"
        if filename is None and outfile is not None:
            filename = Path(outfile).with_suffix(".gv")
        source = self.save(filename, directory=directory)
        target = Path(outfile) if outfile is not None else Path(f"{source}.{fmt}")
        if raise_if_result_exists and target.exists():
            raise FileExistsError(f"output file exists: {os.fspath(target)!r}")
        picture = self.pipe(format=fmt)
        assert isinstance(picture, bytes)
        target.write_bytes(picture)
        if cleanup:
            os.remove(source)
        if view:
            self._view(os.fspath(target), format=fmt, quiet=quiet_view)
        return os.fspath(target)


def _lay_out(source: bytes, fmt: str) -> bytes:
    """``layout``, except that png without Graphviz's dot comes from ``graphviz-pure`` too."""
    if fmt == "png" and which(NATIVE) is None:
        program = embedded_program()
        if program is not None:
            with contextlib.suppress(RenderError):  # then layout's own way, and its error
                return run_program([program, "-Tpng"], source)
    return layout(source, fmt)


def draw_dot(
    root: Value | Graph,
    format: str = "svg",
    rankdir: str = "LR",
    *,
    layout_limit: int | None = DEFAULT_LAYOUT_LIMIT,
    view: str = "all",
    focus: str | None = None,
    depth: int = DEFAULT_DEPTH,
    compact: bool = False,
    edge_grads: bool = False,
) -> Diagram:
    """micrograd's ``draw_dot``, drawing gradpipe's picture of everything ``root`` depends on.

    ``format`` is the Digraph's (``svg``, ``png``, ...), ``rankdir`` ``LR`` (left to
    right) or ``TB`` (top to bottom). A graph of more than ``layout_limit`` nodes (the
    default of the CLI's ``--layout-limit``) is refused at once, as Graphviz would take minutes to
    lay it out; ``layout_limit=None`` draws it anyway. The CLI's picture options apply too:
    ``view="named"`` draws only the labelled Values (each computed one with the formula it
    stands for), ``focus=LABEL`` (a node's label, or its id in ``graph_from_value``) a
    node's neighbourhood ``depth`` steps out, ``compact`` puts each op inside its result,
    ``edge_grads`` labels each edge with ∂result/∂argument. ``root`` may be a ``Graph``
    (``gradpipe.load_file``'s), drawn with its own ids, as ``gradpipe.show`` takes one.
    """
    graph = root if isinstance(root, Graph) else graph_from_value(root)
    style = api_style(graph, rankdir, view, focus, depth, compact, edge_grads)
    if graph is root:  # named as the CLI names its nodes (a spec's keys), not by labels
        style = style._replace(labelled=False)
    picture = picture_view(graph, style)
    drawn = graph if picture is None else picture.graph
    if layout_limit is not None and len(drawn) > layout_limit:
        raise limit_refusal(len(drawn), layout_limit)
    diagram = Diagram.from_lines(graph.name, dot_lines(drawn, style, picture))
    diagram.format = format
    return diagram


def show_value(
    root: Value,
    *,
    view: str = "all",
    focus: str | None = None,
    depth: int = DEFAULT_DEPTH,
    compact: bool = False,
    edge_grads: bool = False,
    rankdir: str = "LR",
    layout_limit: int | None = DEFAULT_LAYOUT_LIMIT,
    height: int = 520,
) -> Any:
    """``Value.show()``: the interactive view of ``root``'s graph, with draw_dot's options."""
    from gradpipe.render.html import show

    graph = graph_from_value(root)
    style = api_style(graph, rankdir, view, focus, depth, compact, edge_grads)
    return show(graph, height=height, layout_limit=layout_limit, style=style)


def api_style(
    graph: Graph,
    rankdir: str,
    view: str,
    focus: str | None,
    depth: int,
    compact: bool,
    edge_grads: bool,
) -> Style:
    """The picture options of the API as the CLI's Style; a labelled Value counts as named."""
    if rankdir not in RANKDIRS:
        raise ValueError(f"rankdir must be 'LR' or 'TB', not {rankdir!r}")
    if view not in VIEWS:
        raise ValueError(f"view must be one of {', '.join(map(repr, VIEWS))}, not {view!r}")
    # LR is micrograd's default: left unset, a big graph takes the direction nearer a screen's.
    return Style(
        rankdir=None if rankdir == "LR" else rankdir,
        compact=compact,
        edge_grads=edge_grads,
        view=view,
        focus=_node_id(graph, focus),
        depth=depth,
        labelled=True,
    )


def _node_id(graph: Graph, focus: str | None) -> str | None:
    """The id of the node ``focus`` names: its id, or the label of one Value."""
    if focus is None or focus in graph.ids:
        return focus
    labelled = [i for i, v in zip(graph.ids, graph.nodes, strict=True) if v.label == focus]
    return labelled[0] if len(labelled) == 1 else focus  # else the view says it is unknown
