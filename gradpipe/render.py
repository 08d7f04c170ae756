"""Pictures of a graph: micrograd's ``draw_dot`` as DOT, SVG and PNG, and as Mermaid and JSON.

Everything is written as plain strings (no per-node library calls), so the text formats of a
million-node graph cost about what ``json.dumps`` of its document costs. SVG and PNG run a
Graphviz layout program on the DOT (see ``gradpipe.render_layout``).
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from gradpipe.engine import LEAF, OP_SYMBOLS
from gradpipe.errors import GradpipeError
from gradpipe.graph import Graph, dump_document, graph_from_value

if TYPE_CHECKING:
    from gradpipe.engine import Value
    from gradpipe.render_diagram import Diagram

FORMATS = ("svg", "png", "dot", "json", "mermaid", "html")
# Formats that need a layout: the only ones the layout limit applies to.
LAYOUT_FORMATS = ("svg", "png", "html")
# Formats that show backprop step by step, so always computed with gradients.
STEP_FORMATS = ("html",)
# Graphviz lays out this many nodes in seconds with the settings below (README: the timings).
DEFAULT_LAYOUT_LIMIT = 2000
# A leaf or constant used more often than this is drawn once per use (marked as shared):
# its long edges to far-apart users are what makes Graphviz's layout slow. In graphs past
# FAST_LAYOUT_NODES, every leaf used more than once is (an MLP's weights are used by the
# layer and again by the weight decay, hundreds of ranks apart).
SPLIT_USES = 4
SPLIT_USES_FAST = 1

GRAPH_ATTRS = "rankdir=LR fontname=Helvetica"
# Past this many nodes, layout speed comes first: a faster ranking, few network simplex and
# crossing-minimisation iterations, and straight edges (routing long edges costs the most).
FAST_LAYOUT_NODES = 300
FAST_LAYOUT_ATTRS = "newrank=true mclimit=0.01 nslimit=0.01 nslimit1=1 splines=line"
NODE_ATTRS = "shape=record fontname=Helvetica fontsize=11 width=0.4 height=0.3"
EDGE_ATTRS = 'color="#555555" arrowsize=0.6'
OP_ATTRS = 'shape=ellipse style=filled fillcolor="#eeeeee"'
LEAF_ATTRS = ' style=filled fillcolor="#d6eaf8"'
CONST_ATTRS = ' style=dashed color="#888888" fontcolor="#555555"'
OUTPUT_ATTRS = ' style="filled,bold" fillcolor="#fdebd0" penwidth=2'
# Copies of a split shared node: one fill colour per shared node, so its copies match.
SHARED_FILLS = ("#fcf3cf", "#d5f5e3", "#e8daef", "#fadbd8", "#d1f2eb", "#fae5d3")


class RenderError(GradpipeError):
    """A picture that cannot be made: no layout program, a failed layout, a graph too big."""


def render(graph: Graph, fmt: str, *, layout_limit: int = DEFAULT_LAYOUT_LIMIT) -> bytes:
    """The graph in ``fmt`` (one of FORMATS), as the bytes of the file to write."""
    if fmt == "json":
        return dump_document(graph.to_document()).encode()
    if fmt == "mermaid":
        return _encode(to_mermaid(graph))
    if fmt == "dot":
        return _encode(to_dot(graph))
    if fmt == "html":
        from gradpipe.render_html import render_html

        return render_html(graph, layout_limit=layout_limit)
    if fmt not in LAYOUT_FORMATS:
        raise RenderError(f"unknown format {fmt!r} (choose from {', '.join(FORMATS)})")
    if len(graph) > layout_limit:
        raise RenderError(
            f"graph {graph.name!r} has {len(graph)} nodes, more than --layout-limit "
            f"{layout_limit}; raise --layout-limit or use -f dot/json/mermaid"
        )
    from gradpipe.render_layout import layout  # only pictures need subprocesses

    return layout(_encode(to_dot(graph)), fmt)


def draw_graph(root: Value) -> Diagram:
    """``Value.render_graph()``: everything ``root`` depends on, as a ``graphviz.Digraph``."""
    from gradpipe.render_diagram import Diagram

    # Gradients are always shown, as micrograd shows them (0.0000 before ``backward``).
    graph = graph_from_value(root)
    return Diagram.from_lines(graph.name, _dot_lines(graph), graph)


def to_dot(graph: Graph) -> str:
    """Deterministic DOT source drawn like micrograd's ``draw_dot`` (node names from ids)."""
    return "".join(_dot_lines(graph))


def _dot_lines(graph: Graph) -> list[str]:
    """The DOT source: a head line, a line per statement or per value node, the tail line."""
    nodes = graph.nodes
    names = {id(v): _quote(node_id) for node_id, v in graph}
    uses = Counter([id(c) for v in nodes for c in v._prev])
    output = graph.node(graph.output)
    fast = len(nodes) > FAST_LAYOUT_NODES
    split_uses = SPLIT_USES_FAST if fast else SPLIT_USES
    lines = [
        f"digraph {_quote(graph.name)} {{\n",
        f"\tgraph [{GRAPH_ATTRS} {FAST_LAYOUT_ATTRS}]\n" if fast else f"\tgraph [{GRAPH_ATTRS}]\n",
        f"\tnode [{NODE_ATTRS}]\n",
        f"\tedge [{EDGE_ATTRS}]\n",
    ]
    append = lines.append
    op_attrs = {
        op: f' [label="{_escape(symbol)}" {OP_ATTRS}]\n' for op, symbol in OP_SYMBOLS.items()
    }
    # Leaves drawn once per use -> how many of their copies are drawn so far.
    split: dict[int, int] = {}
    for v, fields in zip(nodes, _records(graph, _escape), strict=True):
        key = id(v)
        name = names[key]
        prev = v._prev
        style = _style(v, output)
        if not prev:
            n_uses = uses[key]
            if n_uses > split_uses and v is not output:
                split[key] = 0
                append(_copies(name, fields, n_uses, len(split), style == CONST_ATTRS))
            else:
                append(f'\t{name} [label="{{ {fields} }}"{style}]\n')
            continue
        op_name = f'{name[:-1]}.op"'
        if split:
            edges = "".join([_edge(names[id(c)], op_name, split, id(c)) for c in prev])
        else:
            edges = "".join([f"\t{names[id(c)]} -> {op_name}\n" for c in prev])
        append(
            f'\t{name} [label="{{ {fields} }}"{style}]\n'
            f"\t{op_name}{op_attrs[v._op]}{edges}\t{op_name} -> {name}\n"
        )
    append("}\n")
    return lines


def _style(v: Value, output: Value) -> str:
    """The attributes that tell the output, leaves and constants from computed nodes."""
    if v is output:
        return OUTPUT_ATTRS
    if v._op == LEAF:
        return LEAF_ATTRS
    if v.grad is None:  # a literal, or an op on literals only
        return CONST_ATTRS
    return ""


def _copies(name: str, fields: str, uses: int, nth: int, constant: bool) -> str:
    """A leaf drawn once per use: its copies ``"w#1"``, ``"w#2"``, ... alike, marked shared."""
    fill = SHARED_FILLS[(nth - 1) % len(SHARED_FILLS)]
    style = "filled,dashed" if constant else "filled"
    copies = " ".join([f'{name[:-1]}#{k}"' for k in range(1, uses + 1)])
    return (
        f'\tsubgraph {{ node [label="{{ {fields} | shared ×{uses} }}" style="{style}" '
        f'fillcolor="{fill}"] {copies} }}\n'
    )


def _edge(tail: str, head: str, split: dict[int, int], key: int) -> str:
    """The edge from an argument, or from its next copy when the argument is drawn per use."""
    if key not in split:
        return f"\t{tail} -> {head}\n"
    split[key] += 1
    return f'\t{tail[:-1]}#{split[key]}" -> {head}\n'


def _records(graph: Graph, escape: Callable[[str], str]) -> Iterator[str]:
    """Each node's ``label | data 2.0000 | grad -1.5000``, the label escaped by ``escape``."""
    grads = graph.has_gradients
    for node_id, v in graph:
        text = escape(v.label or node_id)
        grad = v.grad
        if grad is None or not grads:
            yield f"{text} | data {_number(v.data)}"
        else:
            yield f"{text} | data {_number(v.data)} | grad {_number(grad)}"


def _number(x: float) -> str:
    """Four decimals as micrograd shows them; exponent form where that would hide the value."""
    if x == 0.0 or 1e-4 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.4e}"


_QUOTE_SPECIAL = re.compile(r'["\\]')


def _quote(name: str) -> str:
    """A DOT identifier: always quoted, so keywords (``node``, ``graph``) are names too."""
    if _QUOTE_SPECIAL.search(name):
        name = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{name}"'


# Characters with a meaning in a record label, in a DOT string, or in Graphviz's entity
# handling; and runs of spaces, which Graphviz would merge into one.
_LABEL_SPECIAL = re.compile(r'[{}|<>"\\&\x00-\x1f\x7f]|  ')
# Control characters other than newlines (which break lines) shown as their Unicode pictures.
_CONTROL: dict[int | str, str] = {c: chr(0x2400 + c) for c in range(0x20) if c != 0x0A}
_CONTROL[0x7F] = "\u2421"
_RECORD_ESCAPES = str.maketrans(
    {
        **_CONTROL,
        "{": "\\{",
        "}": "\\}",
        "|": "\\|",
        "<": "\\<",
        ">": "\\>",
        '"': '\\"',
        "\\": "\\\\",
        "&": "&amp;",
        "\n": "\\n",
    }
)
_SPACE_RUN = re.compile(r"(?<= ) ")


def _escape(text: str) -> str:
    """Label text as it reads: every record, DOT and entity special character escaped."""
    if not _LABEL_SPECIAL.search(text):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_RECORD_ESCAPES)
    return _SPACE_RUN.sub("\\\\ ", text)


def _encode(text: str) -> bytes:
    """UTF-8, with any lone surrogate (from a JSON escape) shown as a replacement mark."""
    return text.encode("utf-8", "replace")


# Mermaid's styles of the same drawing (GitHub renders them in Markdown).
MERMAID_CLASSES = (
    "\tclassDef leaf fill:#d6eaf8,stroke:#333\n"
    "\tclassDef const fill:#fff,stroke:#888,stroke-dasharray:4 3,color:#555\n"
    "\tclassDef output fill:#fdebd0,stroke:#333,stroke-width:3px\n"
    "\tclassDef op fill:#eee,stroke:#888\n"
)
_MERMAID_ESCAPES = str.maketrans(
    {
        **_CONTROL,
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


def to_mermaid(graph: Graph) -> str:
    """A Mermaid ``flowchart LR`` of the same drawing, which GitHub renders in Markdown.

    Node ids are positions (``n0``, ``n0op``): graph ids may be Mermaid keywords (``end``).
    Shared nodes are drawn once; the browser's layout has no long-edge problem to avoid.
    """
    nodes = graph.nodes
    names = {id(v): f"n{i}" for i, v in enumerate(nodes)}
    output = graph.node(graph.output)
    kinds = {OUTPUT_ATTRS: ":::output", LEAF_ATTRS: ":::leaf", CONST_ATTRS: ":::const", "": ""}
    op_shapes = {op: f'op(("{_mermaid_text(symbol)}")):::op\n' for op, symbol in OP_SYMBOLS.items()}
    lines = ["flowchart LR\n", MERMAID_CLASSES]
    append = lines.append
    for v, fields in zip(nodes, _records(graph, _mermaid_text), strict=True):
        name = names[id(v)]
        kind = kinds[_style(v, output)]
        if not v._prev:
            append(f'\t{name}["{fields}"]{kind}\n')
            continue
        edges = "".join([f"\t{names[id(c)]} --> {name}op\n" for c in v._prev])
        append(
            f'\t{name}["{fields}"]{kind}\n\t{name}{op_shapes[v._op]}{edges}\t{name}op --> {name}\n'
        )
    return "".join(lines)


def _mermaid_text(text: str) -> str:
    """Label text as it reads in Mermaid: quotes, HTML and its own ``#`` codes escaped."""
    if not _MERMAID_SPECIAL.search(text):
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n").translate(_MERMAID_ESCAPES)
