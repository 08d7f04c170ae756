"""DOT: a graph drawn as micrograd's ``draw_dot`` draws it, as Graphviz source text.

Written as plain strings (no per-node library calls), so the DOT of a million-node graph
costs about what ``json.dumps`` of its document costs. ``gradpipe.render.layout`` turns
it into SVG or PNG.
"""

from __future__ import annotations

import re
from collections import Counter
from typing import TYPE_CHECKING

from gradpipe.documents.graph import Graph
from gradpipe.engine.ops import OP_SYMBOLS
from gradpipe.render.labels import CONTROL, kind, records

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gradpipe.render.labels import NodeMark

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


_STYLES = {"output": OUTPUT_ATTRS, "leaf": LEAF_ATTRS, "const": CONST_ATTRS, "": ""}


def to_dot(graph: Graph, marks: Mapping[str, NodeMark] | None = None) -> str:
    """Deterministic DOT source drawn like micrograd's ``draw_dot`` (node names from ids).

    ``marks`` (by node id) fill a node with the mark's colour and add its note as one
    more field of the record (a gradient check's verdict, say).
    """
    return "".join(dot_lines(graph, marks))


def dot_lines(graph: Graph, marks: Mapping[str, NodeMark] | None = None) -> list[str]:
    """The DOT source: a head line, a line per statement or per value node, the tail line."""
    nodes = graph.nodes
    names = {id(v): dot_id(node_id) for node_id, v in graph}
    uses = Counter([id(c) for v in nodes for c in v._prev])
    output = graph.node(graph.output)
    fast = len(nodes) > FAST_LAYOUT_NODES
    split_uses = SPLIT_USES_FAST if fast else SPLIT_USES
    lines = [
        f"digraph {dot_id(graph.name)} {{\n",
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
    for (node_id, v), fields in zip(graph, records(graph, _escape), strict=True):
        key = id(v)
        name = names[key]
        prev = v._prev
        style = _STYLES[kind(v, output)]
        mark = marks.get(node_id) if marks else None
        if mark is not None:
            fields, style = _marked(fields, style, mark)
            uses[key] = 0  # a marked leaf is drawn once, with its mark
        if not prev:
            n_uses = uses[key]
            if n_uses > split_uses and v is not output:
                split[key] = 0
                append(_copies(name, fields, n_uses, len(split), style is CONST_ATTRS))
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


def _marked(fields: str, style: str, mark: NodeMark) -> tuple[str, str]:
    """A record's fields and style with a mark: its note as a last field, its fill colour."""
    if mark.note:
        fields = f"{fields} | {_escape(mark.note)}"
    if mark.colour:
        bold = style is OUTPUT_ATTRS
        style = f' style="{"filled,bold" if bold else "filled"}" fillcolor="{_escape(mark.colour)}"'
        style += " penwidth=2" if bold else ""
    return fields, style


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


_QUOTE_SPECIAL = re.compile(r'["\\]')


def dot_id(name: str) -> str:
    """A DOT identifier: always quoted, so keywords (``node``, ``graph``) are names too."""
    if _QUOTE_SPECIAL.search(name):
        name = name.replace("\\", "\\\\").replace('"', '\\"')
    return f'"{name}"'


# Characters with a meaning in a record label, in a DOT string, or in Graphviz's entity
# handling; and runs of spaces, which Graphviz would merge into one.
_LABEL_SPECIAL = re.compile(r'[{}|<>"\\&\x00-\x1f\x7f]|  ')
_RECORD_ESCAPES = str.maketrans(
    {
        **CONTROL,
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
