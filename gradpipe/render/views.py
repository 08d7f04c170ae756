"""Parts of a graph to draw when the whole is too big, and what edges and formulas say.

A view is a new ``Graph`` of new Values (the original is left alone) plus what the drawing
needs to know beyond Values: the text of each node's op bubble and the cut edges.

- ``named_view``: only the nodes the spec names (and, from the API, labelled Values); each
  computed one shows, in its op bubble, the formula it stands for over the named nodes it
  uses, its anonymous sub-formulas folded in.
- ``focus_view``: a node and every node within ``depth`` edges of it (either direction);
  edges to the nodes left out are drawn as dashed stubs that count them.
- ``local_derivatives``: ∂result/∂argument of one node at its current values, per argument.
"""

from __future__ import annotations

import math
from collections import deque
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gradpipe.documents.graph import Graph
from gradpipe.engine.ops import CONST, LEAF
from gradpipe.engine.value import Value, operation_name
from gradpipe.errors import RenderError

if TYPE_CHECKING:
    from gradpipe.render.dot import Style

# A folded formula longer than this is shortened with "…" (its text is built in linear time).
FORMULA_CHARS = 60
DEFAULT_DEPTH = 2

# Binding strength of each op's formula, as Python's grammar has it.
_ATOM, _POWER, _UNARY, _PRODUCT, _SUM = 5, 4, 3, 2, 1
_INFIX = {
    "add": (" + ", _SUM),
    "sub": (" - ", _SUM),
    "mul": ("*", _PRODUCT),
    "div": ("/", _PRODUCT),
    "+": (" + ", _SUM),  # ops added in micrograd's style name themselves by symbol
    "-": (" - ", _SUM),
    "*": ("*", _PRODUCT),
    "/": ("/", _PRODUCT),
}


@dataclass
class View:
    """A graph to draw instead of the whole, and what its drawing adds to the Values."""

    graph: Graph
    bubbles: dict[int, str] = field(default_factory=dict)  # id(Value) -> op bubble text
    cut_inputs: dict[int, int] = field(default_factory=dict)  # id(Value) -> arguments left out
    cut_users: dict[int, int] = field(default_factory=dict)  # id(Value) -> users left out
    # id(Value) -> ∂node/∂argument per drawn argument (through folded sub-formulas).
    derivatives: dict[int, list[float | None]] = field(default_factory=dict)
    focus: int | None = None  # id(Value) of the node a focus view is about
    output_shown: bool = True  # False: the graph's output is not in the view
    # The position in the whole graph of each node of the view, in the view's order.
    origin: list[int] = field(default_factory=list)
    named: bool = False  # a named view (folded formulas), not a focus
    whole: int = 0  # nodes of the graph the view was taken from


def picture_view(graph: Graph, style: Style) -> View | None:
    """The part of ``graph`` that ``style`` asks for, or None for the whole graph."""
    if style.focus is not None:
        if style.focus not in graph.ids:
            from gradpipe.documents.names import did_you_mean

            hint = did_you_mean(style.focus, graph.ids)
            raise RenderError(f"--focus: no node '{style.focus}' in the graph{hint}")
        return focus_view(graph, style.focus, style.depth)
    if style.view == "named":
        return named_view(graph, labelled=style.labelled, derivatives=style.edge_grads)
    return None


def named_view(graph: Graph, labelled: bool = False, derivatives: bool = False) -> View:
    """The named nodes, each computed one with the formula it stands for in its bubble.

    Named: the leaves, and the nodes the user named (``Graph.named_ids``: a spec's keys,
    never judged by what an id looks like); with ``labelled``, every labelled Value (a
    graph from the API). The output is always kept.
    """
    output = graph.node(graph.output)
    if labelled:
        keep = [operation_name(v) == LEAF or bool(v.label) or v is output for v in graph.nodes]
    else:
        names = graph.named_ids()
        keep = [
            operation_name(v) == LEAF or node_id in names or v is output for node_id, v in graph
        ]
    position = {id(v): i for i, v in enumerate(graph.nodes)}
    texts: dict[int, tuple[str, int]] = {}  # position of a folded node -> (formula, strength)
    ids: list[str] = []
    nodes: list[Value] = []
    origin: list[int] = []
    copies: dict[int, Value] = {}
    bubbles: dict[int, str] = {}
    view_derivatives: dict[int, list[float | None]] = {}
    for i, (node_id, v) in enumerate(graph):
        if not keep[i]:
            continue
        copy = _copy(v)
        if v._prev:
            # The named nodes this one uses through its folded sub-formulas, in order, once.
            args: dict[int, None] = {}
            stack = [position[id(c)] for c in reversed(v._prev)]
            seen: set[int] = set()
            while stack:
                k = stack.pop()
                if k in seen:
                    continue
                seen.add(k)
                if keep[k]:
                    args[k] = None
                else:
                    stack.extend(position[id(c)] for c in reversed(graph.nodes[k]._prev))
            copy._prev = tuple(copies[k] for k in args)
            text, _ = _formula(graph, i, keep, position, texts, graph.ids, top=True)
            bubbles[id(copy)] = text
            if derivatives:
                found = _folded_derivatives(graph, i, keep, position, seen)
                view_derivatives[id(copy)] = [found.get(k) for k in args]
        copies[i] = copy
        ids.append(node_id)
        nodes.append(copy)
        origin.append(i)
    view = Graph(graph.name, ids, nodes, graph.output, has_gradients=graph.has_gradients)
    return View(
        view, bubbles, derivatives=view_derivatives, origin=origin, named=True, whole=len(graph)
    )


def _folded_derivatives(
    graph: Graph, top: int, keep: list[bool], position: dict[int, int], region: set[int]
) -> dict[int, float | None]:
    """∂(node ``top``)/∂(each kept node it uses), by backprop through its folded region.

    ``region`` holds the positions reached from ``top`` (folded nodes and kept ones).
    """
    adjoint: dict[int, float | None] = {top: 1.0}
    for k in sorted(region | {top}, reverse=True):  # users before their arguments
        if k != top and keep[k]:
            continue
        g = adjoint.get(k)
        node = graph.nodes[k]
        if not node._prev:
            continue
        for c, local in zip(node._prev, local_derivatives(node), strict=True):
            j = position[id(c)]
            known = adjoint.get(j, 0.0)
            if g is None or local is None or known is None:
                adjoint[j] = None
            else:
                adjoint[j] = known + g * local
    return {k: adjoint.get(k) for k in region if keep[k]}


def focus_view(graph: Graph, node_id: str, depth: int = DEFAULT_DEPTH) -> View:
    """``node_id`` and the nodes within ``depth`` edges of it; cut edges counted per node."""
    position = {id(v): i for i, v in enumerate(graph.nodes)}
    users: list[list[int]] = [[] for _ in graph.nodes]
    for i, v in enumerate(graph.nodes):
        for c in v._prev:
            users[position[id(c)]].append(i)
    start = graph.index(node_id)
    distance = {start: 0}
    queue = deque([start])
    while queue:
        k = queue.popleft()
        if distance[k] == depth:
            continue
        for other in [*(position[id(c)] for c in graph.nodes[k]._prev), *users[k]]:
            if other not in distance:
                distance[other] = distance[k] + 1
                queue.append(other)
    output = graph.index(graph.output)
    shown = output in distance
    view = View(
        Graph(graph.name, [], [], graph.output if shown else node_id, graph.has_gradients),
        output_shown=shown,
        whole=len(graph),
    )
    copies: dict[int, Value] = {}
    for i, v in enumerate(graph.nodes):
        if i not in distance:
            continue
        copy = _copy(v)
        kept = [copies[position[id(c)]] for c in v._prev if position[id(c)] in distance]
        copy._prev = tuple(kept)
        copy._kind = v._kind
        if v._prev:
            local = local_derivatives(v)
            view.derivatives[id(copy)] = [
                d for c, d in zip(v._prev, local, strict=True) if position[id(c)] in distance
            ]
        if len(kept) < len(v._prev):
            view.cut_inputs[id(copy)] = len(v._prev) - len(kept)
        left_out = sum(1 for u in users[i] if u not in distance)
        if left_out:
            view.cut_users[id(copy)] = left_out
        copies[i] = copy
        if i == start:
            view.focus = id(copy)
        view.graph.ids.append(graph.ids[i])
        view.graph.nodes.append(copy)
        view.origin.append(i)
    return view


def _copy(v: Value) -> Value:
    """A new Value with ``v``'s value, gradient, label and op, and no arguments yet."""
    copy = Value.__new__(Value)
    copy.data = v.data
    copy.grad = v.grad
    copy.label = v.label
    copy._kind = v._kind
    copy._prev = ()
    return copy


def _formula(
    graph: Graph,
    i: int,
    keep: list[bool],
    position: dict[int, int],
    texts: dict[int, tuple[str, int]],
    ids: list[str],
    top: bool = False,
) -> tuple[str, int]:
    """The formula of node ``i`` over kept nodes, and how strongly it binds.

    Folded nodes are expanded (their text kept, shortened, so each is built once); a kept
    node other than the top one is its id.
    """
    v = graph.nodes[i]
    if not top and keep[i]:
        return ids[i], _ATOM
    if not top and i in texts:
        return texts[i]
    if operation_name(v) == CONST or not v._prev:
        return _number(v.data), _ATOM if v.data >= 0 else _UNARY
    # Children first, without recursion: expand a stack of folded nodes in postorder.
    stack = [(i, False)]
    while stack:
        k, ready = stack.pop()
        node = graph.nodes[k]
        if ready:
            parts = [_part(graph, position[id(c)], keep, texts, ids) for c in node._prev]
            texts[k] = _shorten(_apply(operation_name(node), parts))
            continue
        if k in texts and k != i:
            continue
        stack.append((k, True))
        for c in node._prev:
            j = position[id(c)]
            if not keep[j] and j not in texts and graph.nodes[j]._prev:
                stack.append((j, False))
    result = texts[i]
    if keep[i]:
        del texts[i]  # a kept node's own text is only for its bubble
    return result


def _part(
    graph: Graph, j: int, keep: list[bool], texts: dict[int, tuple[str, int]], ids: list[str]
) -> tuple[str, int]:
    """The text of argument ``j``: a kept node's id, a literal, or a folded formula."""
    c = graph.nodes[j]
    if keep[j]:
        return ids[j], _ATOM
    if not c._prev:
        return _number(c.data), _ATOM if c.data >= 0 else _UNARY
    return texts[j]


def _apply(op: str, parts: list[tuple[str, int]]) -> tuple[str, int]:
    """The formula of ``op`` over its arguments' formulas, with the parentheses it needs."""
    if op in _INFIX and len(parts) == 2:
        symbol, strength = _INFIX[op]
        (left, ls), (right, rs) = parts
        left = left if ls >= strength else f"({left})"
        right = right if rs > strength else f"({right})"
        return f"{left}{symbol}{right}", strength
    if op == "neg" and len(parts) == 1:
        text, s = parts[0]
        return (f"-{text}" if s >= _UNARY else f"-({text})"), _UNARY
    if op == "pow" and len(parts) == 2:
        (base, bs), (exponent, es) = parts
        base = base if bs > _POWER else f"({base})"
        exponent = exponent if es >= _POWER else f"({exponent})"
        return f"{base}**{exponent}", _POWER
    return f"{op}({', '.join(text for text, _ in parts)})", _ATOM


def _shorten(formula: tuple[str, int]) -> tuple[str, int]:
    """A formula of at most FORMULA_CHARS characters: its start, then "…"."""
    text = formula[0]
    if len(text) <= FORMULA_CHARS:
        return formula
    return text[: FORMULA_CHARS - 1] + "…", _ATOM


def _number(x: float) -> str:
    """A literal as a formula writes it: ``2``, ``0.5``, ``1e-05``."""
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)


def local_derivatives(v: Value) -> list[float | None]:
    """∂v/∂argument for each of ``v``'s arguments at their current values (SPEC's table).

    None where the derivative is not a finite number, or for an op this table does not
    know (a user's op with its own ``_backward``).
    """
    args = [c.data for c in v._prev]
    op = operation_name(v)
    out: list[float | None]
    try:
        if op in ("add", "sum"):
            out = [1.0] * len(args)
        elif op == "sub":
            out = [1.0, -1.0]
        elif op == "mul":
            out = [args[1], args[0]]
        elif op == "div":
            a, b = args
            out = [1.0 / b, -a / (b * b)]
        elif op == "neg":
            out = [-1.0]
        elif op == "pow":
            a, b = args
            by_base = 0.0 if b == 0.0 else b * a ** (b - 1.0)
            by_exponent = 0.0 if a == 0.0 and b >= 0.0 else v.data * math.log(a)
            out = [by_base, by_exponent]
        elif op == "exp":
            out = [v.data]
        elif op == "log":
            out = [1.0 / args[0]]
        elif op == "tanh":
            out = [1.0 - v.data * v.data]
        elif op == "relu":
            out = [1.0 if args[0] > 0.0 else 0.0]
        elif op == "sigmoid":
            out = [v.data * (1.0 - v.data)]
        else:
            return [None] * len(args)
    except (ValueError, ZeroDivisionError, OverflowError):
        return [_finite(d) for d in _partial(op, args, v.data)]
    return [_finite(d) for d in out]


def _partial(op: str, args: list[float], value: float) -> list[float | None]:
    """The derivatives of ``pow`` and ``div`` one by one, where the pair could not be made."""
    if op == "pow":
        a, b = args
        found: list[float | None] = []
        try:
            found.append(0.0 if b == 0.0 else b * a ** (b - 1.0))
        except (ValueError, ZeroDivisionError, OverflowError):
            found.append(None)
        try:
            found.append(0.0 if a == 0.0 and b >= 0.0 else value * math.log(a))
        except (ValueError, ZeroDivisionError, OverflowError):
            found.append(None)
        return found
    return [None] * len(args)


def _finite(x: float | complex | None) -> float | None:
    """``x`` when it is a finite real number, else None (shown as no label)."""
    if isinstance(x, complex) or x is None or not math.isfinite(x):
        return None
    return float(x)
