"""DOT: a graph drawn as micrograd's ``draw_dot`` draws it, readable at every size.

Written as plain strings (no per-node library calls), so the DOT of a million-node graph
costs about what ``json.dumps`` of its document costs. ``gradpipe.render.layout`` turns
it into SVG, PNG or PDF.

- Edges are drawn under the nodes (``outputorder=edgesfirst``, every node filled), so no
  line runs over a value or a gradient.
- Each op bubble sits on its result's line: the bubble -> result edge is heavy
  (``weight``), which Graphviz keeps short and straight.
- A shared node is drawn once, unless the layout would be slow (``gradpipe.render.plan``);
  then it is drawn once per use, every copy alike: same fields, one colour, ``shared ×N``.
- Ops of many arguments stand them over several ranks, so a sum of 300 terms is a block
  rather than a tower; big graphs take the direction nearer a screen's aspect.
- ``compact`` puts the op into its result's record: half the nodes, half the ranks.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gradpipe.documents.graph import Graph
from gradpipe.engine.ops import OP_SYMBOLS
from gradpipe.render.labels import CONTROL, kind, micrograd_number, records
from gradpipe.render.plan import choose_rankdir, plan, stagger

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gradpipe.engine.value import Value
    from gradpipe.render.labels import NodeMark
    from gradpipe.render.views import View

# Past this many nodes, layout speed comes first: a faster ranking, few network simplex and
# crossing-minimisation iterations, and straight edges (routing long edges costs the most).
FAST_LAYOUT_NODES = 300
FAST_LAYOUT_ATTRS = "newrank=true mclimit=0.01 nslimit=0.01 nslimit1=1 splines=line"
NODE_ATTRS = "shape=record fontname=Helvetica fontsize=11 width=0.4 height=0.3"
EDGE_ATTRS = 'color="#555555" arrowsize=0.6'
OP_ATTRS = 'shape=ellipse style=filled fillcolor="#eeeeee"'
LEAF_ATTRS = ' style=filled fillcolor="#d6eaf8"'
CONST_ATTRS = ' style="filled,dashed" fillcolor=white color="#888888" fontcolor="#555555"'
OUTPUT_ATTRS = ' style="filled,bold" fillcolor="#fdebd0" penwidth=2'
# Copies of a split shared node: one fill colour per shared node, so its copies match.
SHARED_FILLS = ("#fcf3cf", "#d5f5e3", "#e8daef", "#fadbd8", "#d1f2eb", "#fae5d3")

_STYLES = {"output": OUTPUT_ATTRS, "leaf": LEAF_ATTRS, "const": CONST_ATTRS, "": ""}


def to_dot(
    graph: Graph,
    style: Style | None = None,
    view: View | None = None,
    *,
    marks: Mapping[str, NodeMark] | None = None,
) -> str:
    """Deterministic DOT source drawn like micrograd's ``draw_dot`` (node names from ids).

    ``marks`` (by node id) fill a node with the mark's colour and add its note as one
    more field of the record (a gradient check's verdict, say); a marked node is drawn once.
    """
    return "".join(dot_lines(graph, style or Style(), view, marks=marks))


RANKDIRS = ("LR", "TB")
# Past this layout estimate (gradpipe.render.plan), Graphviz's faster settings are used.
FAST_ESTIMATE = 10_000
# The weight of a bubble -> result edge: Graphviz keeps heavy edges short and straight.
OP_WEIGHT = 8
STUB_ATTRS = 'shape=plaintext fontsize=9 fontcolor="#888888"'
STUB_EDGE = 'style=dashed color="#aaaaaa"'
EDGE_GRAD_ATTRS = 'fontsize=9 fontcolor="#1a5276"'
FOCUS_ATTRS = ' color="#c0392b" penwidth=3'


VIEWS = ("all", "named")


@dataclass(frozen=True)
class Style:
    """How to draw, and what: the whole graph, its named nodes, or a node's neighbourhood.

    ``rankdir`` None: left to right, or for big graphs the direction nearer a screen's
    aspect. ``compact``: the op inside its result's record. ``edge_grads``: each edge
    labelled with ∂result/∂argument. ``labelled``: the graph comes from the API, where a
    labelled Value counts as named.
    """

    rankdir: str | None = None
    compact: bool = False
    edge_grads: bool = False
    view: str = "all"
    focus: str | None = None
    depth: int = 2
    labelled: bool = False


def dot_lines(
    graph: Graph,
    style: Style | None = None,
    view: View | None = None,
    *,
    marks: Mapping[str, NodeMark] | None = None,
) -> list[str]:
    """The DOT source: a head line, a line per statement or per value node, the tail line."""
    style = style or Style()
    nodes = graph.nodes
    n = len(nodes)
    compact = style.compact
    layout = plan(graph, compact)
    big = n > FAST_LAYOUT_NODES or layout.estimate > FAST_ESTIMATE
    # The direction is chosen for big graphs only: a small one keeps micrograd's LR.
    many = n > FAST_LAYOUT_NODES
    rankdir, levels_big = choose_rankdir(layout, compact) if many else ("LR", 1)
    if style.rankdir:
        rankdir = style.rankdir
    names = [_node_id(node_id, i) for i, node_id in enumerate(graph.ids)]
    position = {id(v): i for i, v in enumerate(nodes)}
    output = graph.node(graph.output) if view is None or view.output_shown else None
    focus = view.focus if view is not None else None
    graph_attrs = f"rankdir={rankdir} outputorder=edgesfirst fontname=Helvetica"
    if big:
        graph_attrs += f" {FAST_LAYOUT_ATTRS}"
    if view is not None and view.bubbles and not style.edge_grads:
        # A named view fans hundreds of parameters into a few sums: merged edge bundles
        # let them stand in tidy columns instead of a staircase of long edges.
        graph_attrs += " concentrate=true"
    lines = [
        f"digraph {dot_id(_shortened(graph.name))} {{\n",
        f"\tgraph [{graph_attrs}]\n",
        f"\tnode [{NODE_ATTRS} style=filled fillcolor=white]\n",
        f"\tedge [{EDGE_ATTRS}]\n",
    ]
    append = lines.append
    bubbles = view.bubbles if view is not None else {}
    cut_inputs = view.cut_inputs if view is not None else {}
    cut_users = view.cut_users if view is not None else {}
    op_attrs = {
        op: f' [label="{_escape(symbol)}" {OP_ATTRS}]\n' for op, symbol in OP_SYMBOLS.items()
    }
    split = layout.split
    if marks:
        split = {i for i in split if graph.ids[i] not in marks}
    # A split node serves its nearest use itself and each other use by a copy "id#k".
    nearest: dict[int, int] = {}
    uses: dict[int, int] = {}
    copies_needed: dict[int, int] = {}
    copies_used: dict[int, int] = {}
    if split:
        ranks = layout.ranks
        for u, v in enumerate(nodes):
            for c in v._prev:
                a = position[id(c)]
                if a in split:
                    uses[a] = uses.get(a, 0) + 1
                    best = nearest.get(a)
                    if best is None or (ranks and ranks[u] < ranks[best]):
                        nearest[a] = u
        for u, v in enumerate(nodes):
            for c in v._prev:
                a = position[id(c)]
                if a in split and nearest[a] != u:
                    copies_needed[a] = copies_needed.get(a, 0) + 1
    shared_fill: dict[int, str] = {}
    for i, (v, fields) in enumerate(zip(nodes, records(graph, _escape), strict=True)):
        name = names[i]
        shown = _STYLES[kind(v, output)]
        if id(v) == focus:
            shown += FOCUS_ATTRS
        mark = marks.get(graph.ids[i]) if marks else None
        if mark is not None:
            fields, shown = _marked(fields, shown, mark)
        computed = bool(v._prev) or id(v) in cut_inputs
        if computed and compact:
            op_text = _escape(bubbles.get(id(v)) or OP_SYMBOLS.get(v.operation, v.operation))
            fields = f"{op_text} | {fields}"
        if i in split:
            fill = SHARED_FILLS[len(shared_fill) % len(SHARED_FILLS)]
            shared_fill[i] = fill
            fields = f"{fields} | shared ×{uses[i]}"
            shown = f' style="filled,dashed" fillcolor="{fill}"'
        append(f'\t{name} [label="{{ {fields} }}"{shown}]\n')
        if i in split:
            # The copies' statement: the same fields and colour, one copy per further use.
            copies = " ".join(f'{name[:-1]}#{k}"' for k in range(1, copies_needed.get(i, 0) + 1))
            if copies:
                append(
                    f'\tsubgraph {{ node [label="{{ {fields} }}" style="filled,dashed" '
                    f'fillcolor="{shared_fill[i]}"] {copies} }}\n'
                )
        prev = v._prev
        if not computed:
            if id(v) in cut_users:
                append(_stub_out(name, cut_users[id(v)]))
            continue
        target = name if compact else f'{name[:-1]}.op"'
        if not compact:
            text = bubbles.get(id(v))
            bubble = (
                f' [label="{_escape(text)}" {OP_ATTRS}]\n'
                if text is not None
                else op_attrs.get(v.operation) or f' [label="{_escape(v.operation)}" {OP_ATTRS}]\n'
            )
            append(f"\t{target}{bubble}")
        levels = stagger(len(prev), levels_big if rankdir == "LR" else 1)
        pulls = any(position[id(c)] in split and nearest[position[id(c)]] != i for c in prev)
        grads = None
        if style.edge_grads:
            grads = view.derivatives.get(id(v)) if view is not None else _local_derivatives(v)
        for k, c in enumerate(prev):
            a = position[id(c)]
            source = names[a]
            attrs: list[str] = []
            if a in split and nearest[a] != i:
                copies_used[a] = copies_used.get(a, 0) + 1
                source = f'{source[:-1]}#{copies_used[a]}"'
            elif pulls:
                # The real argument holds the line; a copy beside it would pull the op aside
                # a little at every step: a chain drifting diagonally.
                attrs.append("weight=4")
            if levels > 1:
                attrs.append(f"minlen={1 + (k % levels) * (1 if compact else 2)}")
            derivative = derivative_at(grads, k)
            if derivative is not None:
                attrs.append(f'label="∂ {micrograd_number(derivative)}" {EDGE_GRAD_ATTRS}')
            append(
                f"\t{source} -> {target} [{' '.join(attrs)}]\n"
                if attrs
                else f"\t{source} -> {target}\n"
            )
        if id(v) in cut_inputs:
            count = cut_inputs[id(v)]
            stub = f'{name[:-1]}.in"'
            append(
                f'\t{stub} [label="{count} more input{"s" if count > 1 else ""}" {STUB_ATTRS}]\n'
                f"\t{stub} -> {target} [{STUB_EDGE}]\n"
            )
        if not compact:
            append(f"\t{target} -> {name} [weight={OP_WEIGHT}]\n")
        if id(v) in cut_users:
            append(_stub_out(name, cut_users[id(v)]))
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


def _stub_out(name: str, count: int) -> str:
    """A dashed edge to a note of the users a focus view leaves out."""
    stub = f'{name[:-1]}.out"'
    return (
        f'\t{stub} [label="used by {count} more" {STUB_ATTRS}]\n\t{name} -> {stub} [{STUB_EDGE}]\n'
    )


def _local_derivatives(v: Value) -> list[float | None]:
    from gradpipe.render.views import local_derivatives

    return local_derivatives(v)


def derivative_at(derivatives: list[float | None] | None, k: int) -> float | None:
    """The ``k``-th of ``derivatives`` when there is one."""
    if derivatives is None or k >= len(derivatives):
        return None
    return derivatives[k]


_QUOTE_SPECIAL = re.compile('["\\\\\x00-\x1f\x7f\ufffe\uffff]')
# Pictures show at most this much of a label or name: Graphviz 2.43 refuses strings of
# more than 16,384 bytes, and no picture shows more anyway (the JSON keeps every character).
DRAWN_TEXT_LIMIT = 1000
# What XML 1.0 cannot hold at all, for DOT strings that reach SVG: control characters as
# their Unicode pictures, the two non-characters as U+FFFD.
_NOT_XML = str.maketrans({**CONTROL, 0xFFFE: "\ufffd", 0xFFFF: "\ufffd", "\n": "\u2424"})


def dot_id(name: str) -> str:
    """A DOT identifier: always quoted, so keywords (``node``, ``graph``) are names too.

    Any text is safe: a control character (a NUL in a graph's name, say) or a
    non-character cannot make the DOT, or the SVG made from it, ill-formed.
    """
    if _QUOTE_SPECIAL.search(name):
        name = name.replace("\\", "\\\\").replace('"', '\\"').translate(_NOT_XML)
    return f'"{name}"'


def _node_id(node_id: str, index: int) -> str:
    """A node's DOT id: its own, or for an id too long to draw, a short one still unique
    (an id never holds "…", so ``prefix…index`` is no other node's)."""
    if len(node_id) <= DRAWN_TEXT_LIMIT:
        return dot_id(node_id)
    return dot_id(f"{node_id[:40]}…{index}")


def _shortened(text: str) -> str:
    """``text`` cut to DRAWN_TEXT_LIMIT characters, with "…" where it was cut."""
    return text if len(text) <= DRAWN_TEXT_LIMIT else text[: DRAWN_TEXT_LIMIT - 1] + "…"


# Characters with a meaning in a record label, in a DOT string, or in Graphviz's entity
# handling; and runs of spaces, which Graphviz would merge into one.
_LABEL_SPECIAL = re.compile('[{}|<>"\\\\&\x00-\x1f\x7f\ufffe\uffff]|  ')
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
        "\ufffe": "\ufffd",
        "\uffff": "\ufffd",
    }
)
_SPACE_RUN = re.compile(r"(?<= ) ")


def _escape(text: str) -> str:
    """Label text as it reads: every record, DOT and entity special character escaped."""
    text = _shortened(text)
    if not _LABEL_SPECIAL.search(text):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_RECORD_ESCAPES)
    return _SPACE_RUN.sub("\\\\ ", text)
