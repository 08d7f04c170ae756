"""Mermaid: the same drawing as DOT's, as a ``flowchart`` GitHub renders in Markdown."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import TYPE_CHECKING

from gradpipe.engine.ops import OP_SYMBOLS
from gradpipe.render.labels import CONTROL, kinds, micrograd_number
from gradpipe.render.views import local_derivatives

if TYPE_CHECKING:
    from gradpipe.documents.graph import Graph
    from gradpipe.render.dot import Style
    from gradpipe.render.views import View

# Mermaid's styles of the same drawing (GitHub renders them in Markdown).
MERMAID_CLASSES = (
    "\tclassDef leaf fill:#d6eaf8,stroke:#333\n"
    "\tclassDef const fill:#fff,stroke:#888,stroke-dasharray:4 3,color:#555\n"
    "\tclassDef output fill:#fdebd0,stroke:#333,stroke-width:3px\n"
    "\tclassDef op fill:#eee,stroke:#888\n"
)
# A focus view's extras, as DOT draws them: the focus outlined red, cut edges as dashed
# stubs to a grey note that counts what is left out.
FOCUS_CLASSES = (
    "\tclassDef focus stroke:#c0392b,stroke-width:3px\n"
    "\tclassDef stub fill:none,stroke:none,color:#888,font-size:11px\n"
)
_MERMAID_ESCAPES = str.maketrans(
    {
        **CONTROL,
        "#": "#35;",
        '"': "#quot;",
        "&": "#amp;",
        "<": "#lt;",
        ">": "#gt;",
        "`": "#96;",
        "\n": "<br>",
    }
)
_MERMAID_SPECIAL = re.compile(r'[#"&<>`\x00-\x1f\x7f]')


def to_mermaid(graph: Graph, style: Style | None = None, view: View | None = None) -> str:
    """A Mermaid ``flowchart`` of the same drawing, which GitHub renders in Markdown.

    Node ids are positions (``n0``, ``n0op``): graph ids may be Mermaid keywords (``end``).
    Shared nodes are drawn once; the browser's layout has no long-edge problem to avoid.
    Each field of a record is one line, its spaces unbreakable, so Mermaid never wraps
    ``grad -1.5000`` in two.
    """
    from gradpipe.render.dot import Style, derivative_at

    style = style or Style()
    nodes = graph.nodes
    names = {id(v): f"n{i}" for i, v in enumerate(nodes)}
    output = graph.node(graph.output) if view is None or view.output_shown else None
    classes = {"output": ":::output", "leaf": ":::leaf", "const": ":::const", "": ""}
    op_shapes = {op: f'op(("{_mermaid_text(symbol)}")):::op\n' for op, symbol in OP_SYMBOLS.items()}
    bubbles = view.bubbles if view is not None else {}
    cut_inputs = view.cut_inputs if view is not None else {}
    cut_users = view.cut_users if view is not None else {}
    lines = [f"flowchart {'TB' if style.rankdir == 'TB' else 'LR'}\n", MERMAID_CLASSES]
    if cut_inputs or cut_users or (view is not None and view.focus is not None):
        lines.append(FOCUS_CLASSES)
    append = lines.append
    ops = [v.operation for v in nodes]
    for v, fields, node_kind in zip(nodes, _records(graph), kinds(nodes, ops, output), strict=True):
        name = names[id(v)]
        shown = classes[node_kind]
        users_left = cut_users.get(id(v))
        out_stub = (
            f'\t{name}out["used by {users_left} more"]:::stub\n\t{name} -.-> {name}out\n'
            if users_left
            else ""
        )
        if not v._prev and id(v) not in cut_inputs:
            append(f'\t{name}["{fields}"]{shown}\n{out_stub}')
            continue
        text = bubbles.get(id(v))
        if text is not None:
            shape = f'op(("{_mermaid_text(text)}")):::op\n'
        else:
            shape = op_shapes.get(v.operation) or f'op(("{_mermaid_text(v.operation)}")):::op\n'
        grads = None
        if style.edge_grads:
            grads = view.derivatives.get(id(v)) if view is not None else local_derivatives(v)
        edges = "".join(
            [
                f"\t{names[id(c)]} -->|∂ {micrograd_number(d)}| {name}op\n"
                if (d := derivative_at(grads, k)) is not None
                else f"\t{names[id(c)]} --> {name}op\n"
                for k, c in enumerate(v._prev)
            ]
        )
        args_left = cut_inputs.get(id(v))
        in_stub = (
            f'\t{name}in["{args_left} more input{"s" if args_left > 1 else ""}"]:::stub\n'
            f"\t{name}in -.-> {name}op\n"
            if args_left
            else ""
        )
        append(
            f'\t{name}["{fields}"]{shown}\n\t{name}{shape}{edges}{in_stub}'
            f"\t{name}op --> {name}\n{out_stub}"
        )
    if view is not None and view.focus is not None:
        append(f"\tclass {names[view.focus]} focus\n")
    return "".join(lines)


# Mermaid breaks a line at a space; this one it keeps.
_NO_BREAK = "\u00a0"


def _records(graph: Graph) -> Iterator[str]:
    """Each node's label, data and grad, one field per line, never wrapped within one."""
    grads = graph.has_gradients
    for node_id, v in graph:
        text = _mermaid_text(v.label or node_id).replace(" ", _NO_BREAK)
        data = f"data{_NO_BREAK}{micrograd_number(v.data)}"
        grad = v.grad
        if not grads or v.is_constant:
            yield f"{text}<br>{data}"
        else:
            yield f"{text}<br>{data}<br>grad{_NO_BREAK}{micrograd_number(grad)}"


def _mermaid_text(text: str) -> str:
    """Label text as it reads in Mermaid: quotes, HTML and its own ``#`` codes escaped."""
    if not _MERMAID_SPECIAL.search(text):
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_MERMAID_ESCAPES)
