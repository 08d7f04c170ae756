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
from collections import Counter
from itertools import accumulate, chain, compress, count, repeat
from operator import ge, ne
from typing import TYPE_CHECKING, NamedTuple

from gradpipe.documents.graph import Graph
from gradpipe.engine.ops import OP_SYMBOLS
from gradpipe.render.labels import (
    CONTROL,
    arguments_of,
    edge_ends,
    kinds,
    micrograd_number,
    operation_of,
    records,
)
from gradpipe.render.plan import STAGGER_MIN, Bands, choose_rankdir, plan, stagger, wrap_bands

if TYPE_CHECKING:
    from collections.abc import Mapping

    from gradpipe.engine.value import Value
    from gradpipe.render.labels import NodeMark
    from gradpipe.render.views import View

# Past this many nodes, layout speed comes first: a faster ranking, few network simplex and
# crossing-minimisation iterations, and straight edges (routing long edges costs the most).
FAST_LAYOUT_NODES = 300
# Few network simplex and crossing-minimisation iterations, and straight edges: what keeps
# long edges to shared nodes fast. An 80-node micrograd chain (w and b in every step,
# estimate 3,753) took 15 s in Graphviz 2.43 without them, 0.1 s with them (a 99-node one:
# 16 s, and 3.5 s in graphviz-pure with splines); so they start at LIMITED_ESTIMATE.
LIMITED_LAYOUT_ATTRS = "newrank=true mclimit=0.01 nslimit=0.01 nslimit1=1 splines=line"
LIMITED_ESTIMATE = 1_500
FAST_LAYOUT_ATTRS = f"{LIMITED_LAYOUT_ATTRS} nodesep=0.1"
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
    opening, statements, after, closing = _dot_parts(graph, style or Style(), view, marks)
    # Each statement is joined beside what follows it, not added to it first: the text
    # of a million-node graph (280 MB) is copied once fewer. Interleaved by slices, at C
    # speed, as the JSON writer's lines are.
    body = [""] * (2 * len(statements))
    body[::2] = statements
    body[1::2] = after
    return "".join(chain(opening, body, closing))


RANKDIRS = ("LR", "TB")
# Past this layout estimate (gradpipe.render.plan), Graphviz's faster settings are used.
FAST_ESTIMATE = 10_000
# The weight of a bubble -> result edge: Graphviz keeps heavy edges short and straight.
OP_WEIGHT = 8
WEIGHTED = f" [weight={OP_WEIGHT}]\n"
# An edge's attributes beside a copy of a split node, or not.
_PULLED = ("\n", " [weight=4]\n")
STUB_ATTRS = 'shape=plaintext fontsize=9 fontcolor="#888888"'
STUB_EDGE = 'style=dashed color="#aaaaaa"'
EDGE_GRAD_ATTRS = 'fontname=Helvetica fontsize=9 fontcolor="#1a5276"'
FOCUS_ATTRS = ' color="#c0392b" penwidth=3'


VIEWS = ("all", "named")


class Style(NamedTuple):
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

    @property
    def whole(self) -> bool:
        """Whether the whole graph is drawn: no view (named) and no focus."""
        return self.view == "all" and self.focus is None

    def smaller_part(self) -> str:
        """How to ask for less than this style draws, for messages about too big a picture."""
        if self.focus is not None:
            return f"a smaller --depth than {self.depth}"
        if self.view == "named":
            return "--focus NODE"
        return "--view named or --focus NODE"


def dot_lines(
    graph: Graph,
    style: Style | None = None,
    view: View | None = None,
    *,
    marks: Mapping[str, NodeMark] | None = None,
) -> list[str]:
    """The DOT source: a head line, a line per statement or per value node, the tail line."""
    opening, statements, after, closing = _dot_parts(graph, style or Style(), view, marks)
    return [*opening, *map(str.__add__, statements, after), *closing]


def _dot_parts(
    graph: Graph, style: Style, view: View | None, marks: Mapping[str, NodeMark] | None
) -> tuple[list[str], list[str], list[str], list[str]]:
    """The DOT source in four parts: the opening lines, each node's statement, what
    follows each node's statement (its bubble and edges), and the closing lines.

    Written a column at a time, as the JSON writer is: every node's id, record and
    statements are made by C-speed maps and joins; only nodes that need more (a split
    argument, stacked arguments, edge labels, a view's stubs) take the per-edge loop.
    """
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
    # A picture too long for a screen wraps into columns, top to bottom then left to
    # right (not with --rankdir LR): the whole graph or a view of it (a named view of a
    # long chain runs as long as the chain).
    bands = None
    if style.rankdir != "LR":
        bands = wrap_bands(graph, layout, rankdir, compact, view.whole if view else 0)
        if bands is not None:
            rankdir = "TB"
    output = graph.node(graph.output) if view is None or view.output_shown else None
    focus = view.focus if view is not None else None
    graph_attrs = f"rankdir={rankdir} outputorder=edgesfirst fontname=Helvetica"
    if big:
        graph_attrs += f" {FAST_LAYOUT_ATTRS}"
    elif layout.estimate > LIMITED_ESTIMATE:
        graph_attrs += f" {LIMITED_LAYOUT_ATTRS}"
    if view is not None and view.bubbles and not style.edge_grads and bands is None:
        # A named view fans hundreds of parameters into a few sums: merged edge bundles
        # let them stand in tidy columns instead of a staircase of long edges.
        graph_attrs += " concentrate=true"
    opening = [
        f"digraph {dot_id(_shortened(graph.name))} {{\n",
        f"\tgraph [{graph_attrs}]\n",
        f"\tnode [{NODE_ATTRS} style=filled fillcolor=white]\n",
        f"\tedge [{EDGE_ATTRS}]\n",
    ]
    bubbles = view.bubbles if view is not None else {}
    cut_inputs = view.cut_inputs if view is not None else {}
    cut_users = view.cut_users if view is not None else {}
    op_attrs = {
        op: f' [label="{_escape(symbol)}" {OP_ATTRS}]\n' for op, symbol in OP_SYMBOLS.items()
    }
    names = _node_ids(graph.ids)
    # Each node's position, by the node (Values hash by identity, as the engine's sets
    # use them: no id() to allocate per edge) and, for a view's maps, by its id.
    position = dict(zip(nodes, range(n), strict=True))
    by_id = dict(zip(map(id, nodes), range(n), strict=True)) if view is not None else {}
    prevs = list(map(arguments_of, nodes))
    ops = list(map(operation_of, nodes))
    split = layout.split
    if marks:
        split = {i for i in split if graph.ids[i] not in marks}

    # The records: fields and style of every node, then what marks, compact and split change.
    fields = records(graph, _escape_all)
    shown = list(map(_STYLES.__getitem__, kinds(nodes, ops, output)))
    if focus is not None and focus in by_id:
        shown[by_id[focus]] += FOCUS_ATTRS
    computed = list(map(bool, prevs))
    for key in cut_inputs:
        if key in by_id:
            computed[by_id[key]] = True
    if marks:
        for i in compress(count(), map(marks.__contains__, graph.ids)):
            fields[i], shown[i] = _marked(fields[i], shown[i], marks[graph.ids[i]])
    if compact:
        for i in compress(count(), computed):
            op_text = _escape(bubbles.get(id(nodes[i])) or OP_SYMBOLS.get(ops[i], ops[i]))
            fields[i] = f"{op_text} | {fields[i]}"
    statements = [
        f'\t{name} [label="{{ {record} }}"{attrs}]\n'
        for name, record, attrs in zip(names, fields, shown, strict=True)
    ]

    # Every edge, a column each: its argument, its source (the argument or a copy of it),
    # its target (the op's bubble, or in compact drawings the result) and its attributes.
    counts = list(map(len, prevs))
    starts = list(accumulate(counts, initial=0))
    args = list(map(position.__getitem__, chain.from_iterable(prevs)))
    sources = list(map(names.__getitem__, args))
    targets = names if compact else [f'{name[:-1]}.op"' for name in names]
    # What ends each edge's line: its attributes, if any, and the newline.
    tails = ["\n"] * len(args)
    copy_edges, pulled = _copy_split(
        statements, fields, split, args, sources, counts, names, layout.ranks
    )
    if pulled:
        # The real arguments hold the line; a copy beside one would pull the op aside
        # a little at every step: a chain drifting diagonally.
        # Each node's tail is looked up once and repeated over its edges.
        node_tails = map(_PULLED.__getitem__, map(pulled.__contains__, range(n)))
        tails = list(chain.from_iterable(map(repeat, node_tails, counts)))
        list(map(tails.__setitem__, copy_edges, repeat("\n")))
    # Each computed node's edges, made at once and cut apart at the NUL ending each
    # node's last one (no DOT text here holds a NUL: ids and labels escape it). An
    # edge's line is six parts, its columns put in place by slices, as the JSON writer's
    # lines are: one join, and no string made per edge (3.6 million at 10^6 nodes).
    edge_parts = ["\t", "", " -> ", "", "", ""] * len(args)
    edge_parts[1::6] = sources
    edge_parts[3::6] = chain.from_iterable(map(repeat, targets, counts))
    edge_parts[4::6] = tails
    edge_parts[5::6] = edge_ends(counts)
    edge_texts = "".join(edge_parts).split("\0")
    del edge_parts
    edge_texts.pop()  # after the last NUL
    edges_of = [""] * n
    list(map(edges_of.__setitem__, compress(count(), counts), edge_texts))
    del edge_texts
    if compact:
        after = edges_of
    else:
        bubble_of = op_attrs.get
        after = [
            f"\t{target}{bubble_of(op) or _bubble(op)}{edges}\t{target} -> {name}{WEIGHTED}"
            if c
            else ""
            for name, target, op, edges, c in zip(
                names, targets, ops, edges_of, computed, strict=True
            )
        ]

    # Nodes with more to say than that take the per-edge loop: a view's stubs and
    # bubbles, stacked arguments, edge labels.
    special = {by_id[key] for key in (*cut_inputs, *cut_users, *bubbles) if key in by_id}
    if style.edge_grads:
        special.update(compress(count(), computed))
    # In a wrapped picture, an edge from one band into another is a pair of connectors.
    connected: set[int] = set()  # edges drawn as connectors
    if bands is not None:
        edge_users = list(chain.from_iterable(map(repeat, range(n), counts)))
        by_copy = set(copy_edges)
        for e, (a, u) in enumerate(zip(args, edge_users, strict=True)):
            if (a, u) in bands.crossing and e not in by_copy:
                connected.add(e)
                special.add(u)
    stacked = levels_big if rankdir == "LR" else 1
    wide = compress(count(), map(ge, counts, repeat(STAGGER_MIN)))
    special.update(i for i in wide if stagger(counts[i], stacked) > 1)
    for i in sorted(special):
        v = nodes[i]
        name = names[i]
        if not computed[i]:
            after[i] = _stub_out(name, cut_users[id(v)]) if id(v) in cut_users else ""
            continue
        target = targets[i]
        out: list[str] = []
        append = out.append
        if not compact:
            text = bubbles.get(id(v))
            append(
                f'\t{target} [label="{_escape(text)}" {OP_ATTRS}]\n'
                if text is not None
                else f"\t{target}{op_attrs.get(ops[i]) or _bubble(ops[i])}"
            )
        levels = stagger(counts[i], stacked)
        grads = None
        if style.edge_grads:
            grads = view.derivatives.get(id(v)) if view is not None else _local_derivatives(v)
        for k, e in enumerate(range(starts[i], starts[i + 1])):
            if e in connected:
                tail, head = _shown(graph, args[e]), _shown(graph, i)
                append(_connectors(sources[e], target, tail, head, e))
                continue
            extra = [tails[e][2:-2]] if tails[e] != "\n" else []
            if levels > 1:
                extra.append(f"minlen={1 + (k % levels) * (1 if compact else 2)}")
            derivative = derivative_at(grads, k)
            if derivative is not None:
                extra.append(f'label="∂ {micrograd_number(derivative)}" {EDGE_GRAD_ATTRS}')
            append(
                f"\t{sources[e]} -> {target} [{' '.join(extra)}]\n"
                if extra
                else f"\t{sources[e]} -> {target}\n"
            )
        if id(v) in cut_inputs:
            inputs = cut_inputs[id(v)]
            stub = f'{name[:-1]}.in"'
            append(
                f'\t{stub} [label="{inputs} more input{"s" if inputs > 1 else ""}" {STUB_ATTRS}]\n'
                f"\t{stub} -> {target} [{STUB_EDGE}]\n"
            )
        if not compact:
            append(f"\t{target} -> {name} [weight={OP_WEIGHT}]\n")
        if id(v) in cut_users:
            append(_stub_out(name, cut_users[id(v)]))
        after[i] = "".join(out)
    closing: list[str] = []
    if bands is not None:
        stubs = [f'{names[by_id[key]][:-1]}.in"' for key in cut_inputs if key in by_id]
        stubs += [f'{names[by_id[key]][:-1]}.out"' for key in cut_users if key in by_id]
        stub_bands = [by_id[key] for key in (*cut_inputs, *cut_users) if key in by_id]
        for e in sorted(connected):
            stubs += (f'{sources[e][:-1]}.to{e}"', f'{targets[edge_users[e]][:-1]}.from{e}"')
            stub_bands += (args[e], edge_users[e])
        for e in copy_edges:  # a copy is drawn beside the user it serves
            stubs.append(sources[e])
            stub_bands.append(edge_users[e])
        closing = _band_clusters(
            bands, names, None if compact else targets, computed, stubs, stub_bands
        )
    closing.append("}\n")
    return opening, statements, after, closing


# Connector notes: where an edge leaves a band ("→ head") and where it comes in ("tail →").
CONNECTOR_ATTRS = 'shape=plaintext fontsize=10 fontcolor="#1a5276"'


def _shown(graph: Graph, k: int, most: int = 24) -> str:
    """The name a connector gives node ``k``: what its record shows (label, else id), cut."""
    name = graph.nodes[k].label or graph.ids[k]
    return name if len(name) <= most else name[: most - 1] + "…"


def _connectors(source: str, target: str, tail: str, head: str, e: int) -> str:
    """The edge ``source -> target`` between two bands, as two connector notes."""
    leaving = f'{source[:-1]}.to{e}"'
    coming = f'{target[:-1]}.from{e}"'
    return (
        f'\t{leaving} [label="→ {_escape(head)}" {CONNECTOR_ATTRS}]\n'
        f"\t{source} -> {leaving} [{STUB_EDGE}]\n"
        f'\t{coming} [label="{_escape(tail)} →" {CONNECTOR_ATTRS}]\n'
        f"\t{coming} -> {target} [{STUB_EDGE}]\n"
    )


def _band_clusters(
    bands: Bands,
    names: list[str],
    targets: list[str] | None,
    computed: list[bool],
    stubs: list[str],
    stub_nodes: list[int],
) -> list[str]:
    """One invisible cluster per band, holding its nodes: Graphviz keeps each apart.

    ``targets``: the op bubbles (None when compact); ``stubs``: what else is drawn for
    ``stub_nodes`` (cut-edge notes, connectors, the copies serving them).
    """
    members: list[list[str]] = [[] for _ in range(bands.count)]
    band = bands.band
    for i, name in enumerate(names):
        members[band[i]].append(name)
        if targets is not None and computed[i]:
            members[band[i]].append(targets[i])
    for stub, i in zip(stubs, stub_nodes, strict=True):
        members[band[i]].append(stub)
    return [
        f'\tsubgraph "cluster_band{b}" {{ graph [peripheries=0] {" ".join(m)} }}\n'
        for b, m in enumerate(members)
    ]


def _bubble(op: str) -> str:
    """The attributes of an op's bubble whose op has no symbol (a user's op)."""
    return f' [label="{_escape(op)}" {OP_ATTRS}]\n'


def _copy_split(
    statements: list[str],
    fields: list[str],
    split: set[int],
    args: list[int],
    sources: list[str],
    counts: list[int],
    names: list[str],
    ranks: list[int],
) -> tuple[list[int], set[int]]:
    """Draw each split node once per use: its nearest use takes it, every other a copy.

    Rewrites the split nodes' statements (a record marked ``shared ×N`` in the node's own
    colour, then its copies') and the sources of the edges that copies serve; returns
    those edges, and the nodes they lead to. Without ranks (big graphs) the nearest use
    is the first.
    """
    if not split:
        return [], set()
    users = chain.from_iterable(map(repeat, range(len(counts)), counts))
    from_split = list(map(split.__contains__, args))  # the edges from split nodes
    shared = list(compress(count(), from_split))
    shared_args = list(compress(args, from_split))
    shared_users = list(compress(users, from_split))
    uses = Counter(shared_args)
    nearest: dict[int, int] = {}
    if ranks:
        for a, u in zip(shared_args, shared_users, strict=True):
            best = nearest.get(a)
            if best is None or ranks[u] < ranks[best]:
                nearest[a] = u
    else:
        list(map(nearest.setdefault, shared_args, shared_users))  # each one's first use
    copy = list(map(ne, shared_users, map(nearest.__getitem__, shared_args)))
    copy_edges = list(compress(shared, copy))
    copy_args = list(compress(shared_args, copy))
    copies = Counter(copy_args)
    # Each split node's copies, numbered in order of use: named once, for the edges they
    # serve and for their statement alike.
    copy_names = {a: _copy_names(names[a], copies[a]) for a in split}
    unused = {a: iter(copy_names[a]) for a in split}
    list(map(sources.__setitem__, copy_edges, map(next, map(unused.__getitem__, copy_args))))
    for k, i in enumerate(sorted(split)):
        fill = SHARED_FILLS[k % len(SHARED_FILLS)]
        fields[i] = f"{fields[i]} | shared ×{uses[i]}"
        record = (
            f'\t{names[i]} [label="{{ {fields[i]} }}" style="filled,dashed" fillcolor="{fill}"]\n'
        )
        # The copies' statement: the same fields and colour, one copy per further use.
        names_of_copies = " ".join(copy_names[i])
        if names_of_copies:
            record += (
                f'\tsubgraph {{ node [label="{{ {fields[i]} }}" style="filled,dashed" '
                f'fillcolor="{fill}"] {names_of_copies} }}\n'
            )
        statements[i] = record
    return copy_edges, set(compress(shared_users, copy))


def _copy_names(name: str, copies: int) -> list[str]:
    """The DOT ids of a split node's copies, from ``"id#1"`` to ``"id#N"``."""
    stem = name[:-1]
    return [f'{stem}#{j}"' for j in range(1, copies + 1)]


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


# What a DOT string must escape, or cannot hold in XML 1.0. Compiled only for text that is
# not printable: in printable text it can find only the quote and the backslash.
_QUOTE_SPECIAL = '["\\\\\x00-\x1f\x7f\ufffe\uffff]'
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
    if _quoting_special(name):
        name = name.replace("\\", "\\\\").replace('"', '\\"').translate(_NOT_XML)
    return f'"{name}"'


def _quoting_special(text: str) -> bool:
    """Whether ``_QUOTE_SPECIAL`` finds a character in ``text``: at C speed, without compiling
    the pattern (2.4M instructions of render's start-up, README figure 4), for printable text."""
    if text.isprintable():
        return '"' in text or "\\" in text
    return re.search(_QUOTE_SPECIAL, text) is not None


def _node_id(node_id: str, index: int) -> str:
    """A node's DOT id: its own, or for an id too long to draw, a short one still unique
    (an id never holds "…", so ``prefix…index`` is no other node's)."""
    if len(node_id) <= DRAWN_TEXT_LIMIT:
        return dot_id(node_id)
    return dot_id(f"{node_id[:40]}…{index}")


def _node_ids(ids: list[str]) -> list[str]:
    """Each node's DOT id (``_node_id``): at C speed where none needs more than its quotes."""
    if max(map(len, ids), default=0) <= DRAWN_TEXT_LIMIT and not _quoting_special("".join(ids)):
        return [f'"{node_id}"' for node_id in ids]
    return [_node_id(node_id, i) for i, node_id in enumerate(ids)]


def _shortened(text: str) -> str:
    """``text`` cut to DRAWN_TEXT_LIMIT characters, with "…" where it was cut."""
    return text if len(text) <= DRAWN_TEXT_LIMIT else text[: DRAWN_TEXT_LIMIT - 1] + "…"


# Characters with a meaning in a record label, in a DOT string, or in Graphviz's entity
# handling; runs of spaces, which Graphviz would merge into one; and the Unicode line and
# paragraph separators, which dot's text measure breaks lines at but its SVG does not.
# Compiled only for text that is not printable: in printable text it can find only
# runs of spaces and these symbols.
_LABEL_SPECIAL = '[{}|<>"\\\\&\x00-\x1f\x7f\u2028\u2029\ufffe\uffff]|  '
_LABEL_SYMBOLS = frozenset('{}|<>"\\&')
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
        "\u2028": "\\n",
        "\u2029": "\\n",
        "\ufffe": "\ufffd",
        "\uffff": "\ufffd",
    }
)
_SPACE_RUN = r"(?<= ) "  # compiled on first use, by re's cache


def _escape(text: str) -> str:
    """Label text as it reads: every record, DOT and entity special character escaped."""
    text = _shortened(text)
    if not _label_special(text):
        return text
    text = text.replace("\r\n", "\n").replace("\r", "\n").translate(_RECORD_ESCAPES)
    return re.sub(_SPACE_RUN, "\\\\ ", text)


def _escape_all(texts: list[str]) -> list[str]:
    """``_escape`` of each text: all at once where none needs escaping or shortening.

    The texts are scanned joined by a printable character that is special nowhere, so no
    run of spaces or special character is made or hidden by the join.
    """
    if max(map(len, texts), default=0) <= DRAWN_TEXT_LIMIT and not _label_special("_".join(texts)):
        return texts
    return list(map(_escape, texts))


def _label_special(text: str) -> bool:
    """Whether ``_LABEL_SPECIAL`` finds anything in ``text``: at C speed, without compiling
    the pattern (1.4M instructions of render's start-up, README figure 4), for printable
    text."""
    if text.isprintable():
        return "  " in text or not _LABEL_SYMBOLS.isdisjoint(text)
    return re.search(_LABEL_SPECIAL, text) is not None
