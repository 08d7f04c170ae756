"""A laid-out SVG picture that can be redrawn at any step of backprop without moving a node.

Graphviz lays the graph out once, with every gradient shown. The SVG is then cut at the
places that change from step to step (each node's ``grad`` text and the class of each
node and edge), and each node and edge is tagged with the index of the graph node it
draws. The HTML view ships the tagged SVG and changes those places in the browser;
``render --frames`` fills them in here, one picture per step.
"""

from __future__ import annotations

import html
import re
from collections.abc import Sequence
from dataclasses import dataclass

from gradpipe.documents.graph import Graph
from gradpipe.render.labels import micrograd_number
from gradpipe.render.trace import BackpropTrace

# A node's or an edge's group as Graphviz writes it, its title the DOT name of the node
# (``x1``, ``x1.op`` for an op bubble, ``x1#2`` for a copy of a shared leaf) or edge.
_GROUP = re.compile(
    r'<g id="(?P<gid>(?:node|edge)\d+)" class="(?P<kind>node|edge)">\s*'
    r"<title>(?P<title>[^<]*)</title>\s*"
)
_GRAD_TEXT = re.compile(r"<text(?P<attrs>[^>]*)>grad(?: [^<]*)?</text>")
_COMMENT = re.compile(r"<!--.*?-->\s*", re.DOTALL)
_GRAPH_TITLE = re.compile(r'(<g id="graph\d+" class="graph"[^>]*>\s*)<title>[^<]*</title>\s*')
_COPY_SUFFIX = re.compile(r"#\d+\Z")
_SVG_OPEN = re.compile(r"<svg\b[^>]*>")
_SIZE = re.compile(r'width="(?P<w>[\d.]+)pt" height="(?P<h>[\d.]+)pt"\s+viewBox="(?P<box>[^"]*)"')

BLANK = "grad"


@dataclass(frozen=True)
class Slot:
    """A place in the SVG that a step changes: a node's grad text, or a group's class."""

    what: str  # "grad", "node" or "edge"
    node: int  # for an edge: the node it leads into
    tail: int = -1  # for an edge: the node it comes from (an argument), or -1
    op: bool = False  # for a node: its op bubble, not its record


@dataclass(frozen=True)
class SteppedSvg:
    """The SVG as text pieces with a slot between each two: ``parts[k] slot[k] parts[k+1]``."""

    parts: tuple[str, ...]
    slots: tuple[Slot, ...]
    width: float  # points
    height: float

    def fill(self, values: Sequence[str]) -> str:
        """The SVG with ``values[k]`` written at ``slots[k]``."""
        out = [self.parts[0]]
        for value, part in zip(values, self.parts[1:], strict=True):
            out.append(value)
            out.append(part)
        return "".join(out)


def stepped_svg(svg: str, graph: Graph) -> SteppedSvg:
    """Cut Graphviz's SVG of ``graph`` at its per-step places; nodes tagged ``data-i``.

    Node groups become ``<g class="node …" data-i="I" data-id="ID" data-k="v|o">`` (a
    value record or an op bubble of node I, whose graph id is ID), edges
    ``<g class="edge …" data-t="T" data-h="H">``, and a record's grad text
    ``<text … class="gp-grad" data-i="I">``. Titles and comments go:
    the page shows its own tooltips. Groups whose title names no node are left as drawn.
    """
    start = svg.find("<svg")
    svg = _GRAPH_TITLE.sub(r"\1", _COMMENT.sub("", svg[start:] if start >= 0 else svg))
    names = {node_id: i for i, node_id in enumerate(graph.ids)}
    ids = [html.escape(node_id, quote=True) for node_id in graph.ids]
    parts: list[str] = []
    slots: list[Slot] = []
    buf: list[str] = []
    pos = 0
    matches = list(_GROUP.finditer(svg))

    def cut(at: int, opening: str, slot: Slot) -> None:
        """End the current piece at ``at`` with ``opening``; ``slot`` comes next."""
        buf.append(svg[pos:at])
        buf.append(opening)
        parts.append("".join(buf))
        slots.append(slot)

    for k, m in enumerate(matches):
        title = m["title"]
        if "&" in title:  # every edge's "->" is written &#45;&gt;
            title = html.unescape(title.replace("&#45;&gt;", "->"))
        opening = f'<g id="{m["gid"]}" class="'
        if m["kind"] == "node":
            found = _node_of(title, names)
            if found is None:
                continue
            i, is_op = found
            cut(m.start(), opening, Slot("node", i, op=is_op))
            kind = "o" if is_op else "v"
            buf = [f'" data-i="{i}" data-id="{ids[i]}" data-k="{kind}">\n']
            pos = m.end()
            end = matches[k + 1].start() if k + 1 < len(matches) else len(svg)
            grad = None if is_op else _last_grad_text(svg, pos, end)
            if grad is not None:
                cut(
                    grad.start(),
                    f'<text{grad["attrs"]} class="gp-grad" data-i="{i}">',
                    Slot("grad", i),
                )
                buf = ["</text>"]
                pos = grad.end()
        else:
            edge = _edge_of(title, names)
            if edge is None:
                continue
            tail, head = edge
            cut(m.start(), opening, Slot("edge", head, tail))
            buf = [f'" data-t="{tail}" data-h="{head}">\n']
            pos = m.end()
    buf.append(svg[pos:])
    parts.append("".join(buf))
    size = _SIZE.search(svg)
    width = float(size["w"]) if size else 0.0
    height = float(size["h"]) if size else 0.0
    return SteppedSvg(tuple(parts), tuple(slots), width, height)


def _node_of(title: str, names: dict[str, int]) -> tuple[int, bool] | None:
    """The graph node a DOT node name draws, and whether it is its op bubble."""
    if title in names:
        return names[title], False
    if title.endswith(".op") and title[:-3] in names:
        return names[title[:-3]], True
    base = _COPY_SUFFIX.sub("", title)
    if base != title and base in names:
        return names[base], False
    return None


def _edge_of(title: str, names: dict[str, int]) -> tuple[int, int] | None:
    """The (argument, result) nodes of an edge titled ``TAIL->HEAD``."""
    at = title.find("->")
    while at >= 0:
        tail, head = _node_of(title[:at], names), _node_of(title[at + 2 :], names)
        if tail is not None and head is not None:
            return tail[0], head[0]
        at = title.find("->", at + 1)
    return None


def _last_grad_text(svg: str, start: int, end: int) -> re.Match[str] | None:
    """The last ``grad`` text of a record (a label may itself read ``grad …``)."""
    found = None
    for match in _GRAD_TEXT.finditer(svg, start, end):
        found = match
    return found


# How a frame marks the step: the node passing its gradient on, the arguments receiving,
# the edges it flows along, and sums still waiting for terms. The HTML view's CSS uses
# the same classes.
FRAME_STYLE = (
    "<style>"
    ".gp-current polygon,.gp-current ellipse{stroke:#c0392b;stroke-width:3}"
    ".gp-recv polygon,.gp-recv ellipse{stroke:#e67e22;stroke-width:2.5}"
    ".gp-partial text.gp-grad{fill:#d35400}"
    ".gp-flow path{stroke:#c0392b;stroke-width:2.5}"
    ".gp-flow polygon{fill:#c0392b;stroke:#c0392b}"
    "</style>"
)


@dataclass(frozen=True)
class StepState:
    """What the picture shows once ``count`` steps of backprop have run."""

    count: int
    grads: tuple[str | None, ...]  # each node's grad text, None while not reached
    partial: frozenset[int]  # nodes whose sum still waits for terms
    current: int  # the node of the last step run, or -1
    receiving: frozenset[int]  # its arguments


def step_states(graph: Graph, trace: BackpropTrace) -> list[StepState]:
    """The state after 0, 1, ..., len(trace.steps) steps (the last: backward's result)."""
    size = len(graph)
    expected = [0] * size
    for step in trace.steps:
        for c in step.contributions:
            expected[c.child] += 1
    received = [0] * size
    grads: list[str | None] = [None] * size
    partial: set[int] = set()
    states = [StepState(0, tuple(grads), frozenset(), -1, frozenset())]
    if not trace.steps:
        states[0] = final_state(trace, 0)
        return states
    for k, step in enumerate(trace.steps, start=1):
        # A node's gradient is complete when it steps (the output's, first: 1).
        grads[step.node] = micrograd_number(step.gradient)
        partial.discard(step.node)
        receiving = set()
        for c in step.contributions:
            received[c.child] += 1
            grads[c.child] = micrograd_number(c.total)
            receiving.add(c.child)
            if received[c.child] < expected[c.child]:
                partial.add(c.child)
            else:
                partial.discard(c.child)
        if k == len(trace.steps):
            final = final_state(trace, k)
            states.append(StepState(k, final.grads, frozenset(), step.node, frozenset(receiving)))
        else:
            states.append(
                StepState(k, tuple(grads), frozenset(partial), step.node, frozenset(receiving))
            )
    return states


def final_state(trace: BackpropTrace, count: int = -1) -> StepState:
    """Every gradient as backward leaves it, no step marked."""
    if count < 0:
        count = len(trace.steps)
    grads = tuple(None if g is None else micrograd_number(g) for g in trace.gradients)
    return StepState(count, grads, frozenset(), -1, frozenset())


def slot_values(picture: SteppedSvg, state: StepState) -> list[str]:
    """What each slot of ``picture`` holds in ``state``."""
    values = []
    current, receiving, partial, grads = (
        state.current,
        state.receiving,
        state.partial,
        state.grads,
    )
    for slot in picture.slots:
        i = slot.node
        if slot.what == "grad":
            text = grads[i]
            values.append(BLANK if text is None else f"grad {html.escape(text)}")
        elif slot.what == "node":
            cls = "node"
            if i == current:
                cls += " gp-current"
            elif i in receiving and not slot.op:
                cls += " gp-recv"
            if i in partial:
                cls += " gp-partial"
            values.append(cls)
        else:
            values.append("edge gp-flow" if i == current else "edge")
    return values
