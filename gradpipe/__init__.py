"""gradpipe: see and check the gradients of an expression.

The public API: ``Value`` (the engine), ``load_document``/``read_plan``/``build_graph``
and ``Graph`` (documents), ``graph_from_value``, ``draw`` and ``draw_dot`` (pictures),
``gradcheck`` and ``gradcheck_report`` (PyTorch's signature, on Values), ``check_plan``
(what ``gradpipe check`` runs), ``show`` (the interactive view in a notebook), and the
error types. The command line is ``gradpipe.cli``.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

from gradpipe.errors import (
    FormulaError,
    GradcheckError,
    GradpipeError,
    LoadError,
    MathError,
    RenderError,
    StageFailure,
)

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gradpipe.check import GradientCheck, check_plan
    from gradpipe.checking import gradcheck, gradcheck_report
    from gradpipe.documents import (
        Graph,
        Plan,
        build_graph,
        dump_document,
        encode_document,
        graph_from_value,
        load_document,
        read_plan,
    )
    from gradpipe.engine import Value
    from gradpipe.render.diagram import draw_dot
    from gradpipe.render.dot import Style

# Where each name of the API lives: imported on first use, so that a command (which
# imports ``gradpipe.cli``, and so this package) loads only the modules it runs.
_HOMES = {
    "GradientCheck": "gradpipe.check",
    "check_plan": "gradpipe.check",
    "gradcheck": "gradpipe.checking",
    "gradcheck_report": "gradpipe.checking",
    "Graph": "gradpipe.documents",
    "Plan": "gradpipe.documents",
    "build_graph": "gradpipe.documents",
    "dump_document": "gradpipe.documents",
    "encode_document": "gradpipe.documents",
    "graph_from_value": "gradpipe.documents",
    "load_document": "gradpipe.documents",
    "read_plan": "gradpipe.documents",
    "Value": "gradpipe.engine",
    "draw_dot": "gradpipe.render.diagram",
}


def __getattr__(name: str) -> Any:
    """An API name, imported from its module the first time it is asked for."""
    home = _HOMES.get(name)
    if home is None:
        raise AttributeError(f"module 'gradpipe' has no attribute {name!r}")
    value = getattr(importlib.import_module(home), name)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *_HOMES})


__all__ = [
    "FormulaError",
    "GradcheckError",
    "GradientCheck",
    "GradpipeError",
    "Graph",
    "LoadError",
    "MathError",
    "Plan",
    "RenderError",
    "StageFailure",
    "Value",
    "build_graph",
    "check_plan",
    "draw",
    "draw_dot",
    "dump_document",
    "encode_document",
    "gradcheck",
    "gradcheck_report",
    "graph_from_value",
    "load_document",
    "load_file",
    "read_plan",
    "show",
]
__version__ = "0.1.0"


def load_file(path: str, overrides: Mapping[str, float] | None = None) -> Graph:
    """The Graph of the spec or graph document in the file ``path``."""
    from gradpipe.documents import load_document

    with open(path, "rb") as stream:
        return load_document(stream.read(), path, overrides)


def draw(
    graph: Graph, fmt: str = "svg", *, layout_limit: int | None = None, style: Style | None = None
) -> bytes:
    """The picture of ``graph`` in ``fmt`` (svg, png, pdf, dot, json, mermaid), as file bytes.

    ``style`` (``gradpipe.render.dot.Style``): direction, compact records, edge
    derivatives, and the part to draw (``view="named"``, ``focus=NODE``).
    """
    from gradpipe.render import DEFAULT_LAYOUT_LIMIT, render  # drawing loads when asked for

    limit = DEFAULT_LAYOUT_LIMIT if layout_limit is None else layout_limit
    return render(graph, fmt, layout_limit=limit, style=style)


def show(target: Value | Graph, *, height: int = 520, style: Style | None = None) -> Any:
    """The interactive HTML view of a Value's graph or of a Graph, inline in notebooks.

    Hover, search, highlight and step through backprop; ``.save("page.html")`` writes
    the page. Gradients of the Values are left as they were. ``style`` as for ``draw``.
    """
    from gradpipe.documents import Graph, graph_from_value
    from gradpipe.render.html import show as show_graph

    graph = target if isinstance(target, Graph) else graph_from_value(target)
    return show_graph(graph, height=height, style=style)
