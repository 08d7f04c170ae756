"""Mermaid: the same drawing as DOT's, as a ``flowchart`` GitHub renders in Markdown."""

from __future__ import annotations

import re
from itertools import chain, compress, count, repeat
from typing import TYPE_CHECKING

from gradpipe.engine.ops import OP_SYMBOLS
from gradpipe.engine.value import operation_name
from gradpipe.render.labels import (
    CONTROL,
    arguments_of,
    edge_ends,
    kinds,
    micrograd_number,
    operation_of,
    records,
)
from gradpipe.render.views import local_derivatives

if TYPE_CHECKING:
    from gradpipe.documents.graph import Graph
    from gradpipe.engine.value import Value
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
_CLASSES = {"output": ":::output", "leaf": ":::leaf", "const": ":::const", "": ""}


def to_mermaid(graph: Graph, style: Style | None = None, view: View | None = None) -> str:
    """A Mermaid ``flowchart`` of the same drawing, which GitHub renders in Markdown.

    Node ids are positions (``n0``, ``n0op``): graph ids may be Mermaid keywords (``end``).
    Shared nodes are drawn once; the browser's layout has no long-edge problem to avoid.
    Each field of a record is one line, its spaces unbreakable, so Mermaid never wraps
    ``grad -1.5000`` in two.

    Written a column at a time, as DOT is: every node's record and edges come from
    comprehensions over columns; only nodes with more to say (a view's stubs and
    bubbles, edge labels) are written one by one.
    """
    from gradpipe.render.dot import Style

    style = style or Style()
    nodes = graph.nodes
    n = len(nodes)
    names = [f"n{i}" for i in range(n)]
    output = graph.node(graph.output) if view is None or view.output_shown else None
    lines = [f"flowchart {'TB' if style.rankdir == 'TB' else 'LR'}\n", MERMAID_CLASSES]
    if view is not None and (view.cut_inputs or view.cut_users or view.focus is not None):
        lines.append(FOCUS_CLASSES)
    prevs = list(map(arguments_of, nodes))
    ops = list(map(operation_of, nodes))
    shown = map(_CLASSES.__getitem__, kinds(nodes, ops, output))
    fields = records(graph, _mermaid_labels, between="<br>", space=_NO_BREAK)
    heads = [
        f'\t{name}["{record}"]{classes}\n'
        for name, record, classes in zip(names, fields, shown, strict=True)
    ]
    del fields
    # Every edge into an op's bubble, made at once and cut apart at the NUL ending each
    # node's last one (no Mermaid text here holds a NUL: labels show it as a picture).
    # An edge's line is six parts, its columns put in place by slices, as DOT's are.
    position = dict(zip(nodes, range(n), strict=True))  # Values hash by identity
    counts = list(map(len, prevs))
    sources = map(names.__getitem__, map(position.__getitem__, chain.from_iterable(prevs)))
    edge_parts = ["\t", "", " --> ", "", "op\n", ""] * sum(counts)
    edge_parts[1::6] = sources
    edge_parts[3::6] = chain.from_iterable(map(repeat, names, counts))
    edge_parts[5::6] = edge_ends(counts)
    edge_texts = "".join(edge_parts).split("\0")
    del edge_parts
    edge_texts.pop()  # after the last NUL
    edges_of = [""] * n
    list(map(edges_of.__setitem__, compress(count(), counts), edge_texts))
    del edge_texts
    shape_of = _OP_SHAPES.get
    tails = [
        f"\t{name}{shape_of(op) or _shape(op)}{edges}\t{name}op --> {name}\n" if edges else ""
        for name, op, edges in zip(names, ops, edges_of, strict=True)
    ]
    del edges_of
    by_id = dict(zip(map(id, nodes), range(n), strict=True)) if view is not None else {}
    # Nodes with more to say take the per-edge loop: a view's stubs and bubbles, edge labels.
    special: set[int] | range = range(n) if style.edge_grads else set()
    if view is not None and not style.edge_grads:
        keys = (*view.cut_inputs, *view.cut_users, *view.bubbles)
        special = {by_id[key] for key in keys if key in by_id}
    for i in sorted(special):
        tails[i] = _node_tail(
            nodes[i], names[i], [names[position[c]] for c in prevs[i]], style, view
        )
    # Each head is joined beside its tail, not added to it first: one copy fewer of the
    # text. Interleaved by slices, at C speed, as the JSON writer's lines are.
    body = [""] * (2 * n)
    body[::2] = heads
    body[1::2] = tails
    lines += body
    if view is not None and view.focus is not None:
        lines.append(f"\tclass {names[by_id[view.focus]]} focus\n")
    return "".join(lines)


def _node_tail(v: Value, name: str, sources: list[str], style: Style, view: View | None) -> str:
    """What follows node ``v``'s record, edge by edge: its bubble, edges (labelled with
    their derivatives for ``edge_grads``), the stubs a view cut, the edge to the record.

    ``sources`` are the names of its arguments.
    """
    users_left = view.cut_users.get(id(v)) if view is not None else None
    out_stub = (
        f'\t{name}out["used by {users_left} more"]:::stub\n\t{name} -.-> {name}out\n'
        if users_left
        else ""
    )
    args_left = view.cut_inputs.get(id(v)) if view is not None else None
    if not sources and args_left is None:
        return out_stub
    from gradpipe.render.dot import derivative_at

    text = view.bubbles.get(id(v)) if view is not None else None
    op = operation_name(v)
    shape = _shape(text) if text is not None else _OP_SHAPES.get(op) or _shape(op)
    grads = None
    if style.edge_grads:
        grads = view.derivatives.get(id(v)) if view is not None else local_derivatives(v)
    edges = "".join(
        [
            f"\t{source} -->|∂ {micrograd_number(d)}| {name}op\n"
            if (d := derivative_at(grads, k)) is not None
            else f"\t{source} --> {name}op\n"
            for k, source in enumerate(sources)
        ]
    )
    in_stub = (
        f'\t{name}in["{args_left} more input{"s" if args_left > 1 else ""}"]:::stub\n'
        f"\t{name}in -.-> {name}op\n"
        if args_left
        else ""
    )
    return f"\t{name}{shape}{edges}{in_stub}\t{name}op --> {name}\n{out_stub}"


def _shape(text: str) -> str:
    """An op's bubble, showing ``text``: its symbol, a user's op, or a view's folded formula."""
    return f'op(("{_mermaid_text(text)}")):::op\n'


# Mermaid breaks a line at a space; this one it keeps.
_NO_BREAK = "\u00a0"


def _mermaid_labels(texts: list[str]) -> list[str]:
    """Each label as ``_mermaid_text`` shows it, its spaces unbreakable: all at once where
    none needs escaping (no special character is made or hidden by joining them)."""
    if _MERMAID_SPECIAL.search("".join(texts)):
        texts = list(map(_mermaid_text, texts))
    return list(map(str.replace, texts, repeat(" "), repeat(_NO_BREAK)))


def _mermaid_text(text: str) -> str:
    """Label text as it reads in Mermaid: quotes, HTML and its own ``#`` codes escaped."""
    if not _MERMAID_SPECIAL.search(text):
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_MERMAID_ESCAPES)


_OP_SHAPES = {op: _shape(symbol) for op, symbol in OP_SYMBOLS.items()}
