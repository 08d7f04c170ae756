"""Backprop step by step: which node passes its gradient on, and what each argument gets.

The HTML view's step control and ``render --frames`` replay this trace, so what they show
is what the engine computes: every term is computed by the engine's own backward, one
node at a time, on a copy of that node (its arguments copied as leaves), and the sums are
added up in the engine's order. A node's gradient after the last step is, bit for bit,
the gradient ``Graph.backward`` leaves on it (tested).
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gradpipe.documents.graph import Graph
from gradpipe.engine.ops import LEAF, OP_SYMBOLS
from gradpipe.engine.value import NO_GRAD, Value, creation_order

if TYPE_CHECKING:
    from gradpipe.render.views import View

_new = object.__new__


@dataclass(frozen=True)
class Contribution:
    """One term of an argument's gradient: ``gradient × local``, added to its sum so far."""

    position: int  # which argument of the node (``a + a`` contributes twice)
    child: int  # the argument's index in the graph's nodes
    local: float  # ∂node/∂argument, as the engine computes it with an incoming gradient of 1
    term: float  # what the engine adds to the argument's gradient
    total: float  # the argument's gradient once the term is added


@dataclass(frozen=True)
class Step:
    """The engine's backward at one node: its (final) gradient passed on to its arguments."""

    node: int
    gradient: float
    contributions: tuple[Contribution, ...]


@dataclass(frozen=True)
class BackpropTrace:
    """Every step of ``graph.backward()``, in the engine's order, and where it ends."""

    output: int
    steps: tuple[Step, ...]
    # Each node's gradient after the last step: 0 for nodes the output does not depend on,
    # None for constants.
    gradients: tuple[float | None, ...]
    # ∂node/∂argument for each argument of each node (None for a constant argument).
    locals: tuple[tuple[float | None, ...], ...]


def trace_backward(graph: Graph, output: str | None = None) -> BackpropTrace:
    """The steps of backprop from ``output`` (default: the graph's output).

    Runs ``graph.backward(output)`` first, so math errors are the engine's own and the
    graph holds its gradients afterwards.
    """
    graph.backward(output)
    index = {id(v): i for i, v in enumerate(graph.nodes)}
    root = graph.node(graph.output if output is None else output)
    locals_ = tuple(tuple(local_derivatives(v)) for v in graph.nodes)
    # Gradients as backward starts: every non-constant node at 0, the output at 1.
    sums: dict[int, float] = {}
    steps: list[Step] = []
    if root.requires_grad:
        sums[id(root)] = 1.0
        for v in reversed(creation_order((root,))):
            g = sums.get(id(v))
            if g is None or not v._prev:
                continue
            contributions = []
            for position, (child, term) in enumerate(zip(v._prev, _terms(v, g), strict=True)):
                if term is None:
                    continue
                key = id(child)
                total = sums.get(key, -0.0) + term  # the engine's sums start at -0.0
                sums[key] = total
                local = locals_[index[id(v)]][position]
                contributions.append(
                    Contribution(position, index[key], 0.0 if local is None else local, term, total)
                )
            steps.append(Step(index[id(v)], g, tuple(contributions)))
    return BackpropTrace(
        output=index[id(root)],
        steps=tuple(steps),
        gradients=tuple(None if v.is_constant else v.grad for v in graph.nodes),
        locals=locals_,
    )


def local_derivatives(v: Value) -> list[float | None]:
    """∂v/∂argument for each of ``v``'s arguments, as the engine computes it (None: constant)."""
    if not v._prev or v.is_constant:
        return [None] * len(v._prev)
    return _terms(v, 1.0)


def _terms(v: Value, g: float) -> list[float | None]:
    """What the engine's backward adds to each argument of ``v`` when ``v``'s gradient is g."""
    if v._kind not in OP_SYMBOLS:  # an op written in micrograd's style: run its own closure
        return _closure_terms(v, g)
    # The engine's backward on a copy of v whose arguments are fresh leaves, reached
    # through a product with the constant g: its first step gives the copy gradient g.
    # Leaves start at -0.0, as the engine's gradients do: the first term is the sum.
    args = [_leaf(c.data, NO_GRAD if c.is_constant else -0.0) for c in v._prev]
    copy = _new(Value)
    copy.data = v.data
    copy.grad = 0.0
    copy.label = ""
    copy._kind = v._kind
    copy._prev = tuple(args)
    seed = _new(Value)
    seed.data = 0.0  # never read: backward uses only its arguments' values
    seed.grad = 0.0
    seed.label = ""
    seed._kind = "mul"
    seed._prev = (copy, _leaf(g, NO_GRAD))
    seed.backward()
    return [None if a.is_constant else a.grad for a in args]


def _closure_terms(v: Value, g: float) -> list[float | None]:
    """``v._backward()`` run with v's gradient g, its arguments' sums set aside."""
    saved_grad = v.grad
    saved = [c.grad for c in v._prev]
    distinct = list({id(c): c for c in v._prev}.values())
    for c in distinct:
        if c.requires_grad:
            c.grad = -0.0
    v.grad = g
    try:
        v._backward()
        # An argument used twice gets both terms in its one gradient: shown once, at its
        # first position.
        first: dict[int, int] = {}
        terms: list[float | None] = []
        for position, c in enumerate(v._prev):
            if c.is_constant or first.setdefault(id(c), position) != position:
                terms.append(None)
            else:
                terms.append(c.grad)
        return terms
    finally:
        v.grad = saved_grad
        for c, grad in zip(v._prev, saved, strict=True):
            c.grad = grad


def _leaf(data: float, grad: float) -> Value:
    leaf = _new(Value)
    leaf.data = data
    leaf.grad = grad
    leaf.label = ""
    leaf._kind = LEAF
    leaf._prev = ()
    return leaf


def gradients_after(trace: BackpropTrace, count: int, size: int) -> list[float | None]:
    """Each node's gradient once ``count`` steps have run (None: not reached yet).

    Step 0 is the forward pass alone; after the last step every gradient is backward's.
    """
    if count >= len(trace.steps):
        return list(trace.gradients)
    grads: list[float | None] = [None] * size
    if count > 0:
        grads[trace.output] = 1.0
    for step in trace.steps[:count]:
        for c in step.contributions:
            grads[c.child] = c.total
    return grads


def step_nodes(trace: BackpropTrace) -> Sequence[int]:
    """The node of each step, in order."""
    return [s.node for s in trace.steps]


def view_trace(trace: BackpropTrace, graph: Graph, view: View) -> BackpropTrace:
    """``trace`` (of the whole ``graph``) as the drawn part ``view`` shows it.

    A focus view keeps the engine's steps of its drawn nodes and their terms to drawn
    arguments, with the engine's running sums (which include terms from users left out).
    A named view steps through its named nodes in the engine's order, each passing its
    gradient to the named nodes it uses through its folded formula (the local derivative
    shown is that formula's), the term being what the engine adds within the formula and
    the running sum the engine's own, so the last one is backward's gradient bit for bit.
    Either way the gradients after the last step are backward's own.
    """
    at = {i: k for k, i in enumerate(view.origin)}
    drawn = view.graph.nodes
    index = {id(v): k for k, v in enumerate(drawn)}
    whole = {id(v): i for i, v in enumerate(graph.nodes)}
    steps: list[Step] = []
    if view.named:
        # The derivatives through each named node's folded formula; the engine's own
        # where nothing is folded (its arguments all named, in order).
        folded: list[list[float | None]] = []
        for k, v in enumerate(drawn):
            origin = view.origin[k]
            named = [at.get(whole[id(c)]) for c in graph.nodes[origin]._prev]
            if v._prev and named == [index[id(a)] for a in v._prev]:
                folded.append(list(trace.locals[origin]))
            else:
                folded.append(view.derivatives.get(id(v)) or [None] * len(v._prev))
        # What the engine adds to each named argument within each named node's formula,
        # in the engine's order: a folded node's terms belong to the named node whose
        # formula holds it (of several, the last one backward reaches before it).
        owner: dict[int, int] = {}  # a folded node's position -> its named node's, drawn
        added: dict[tuple[int, int], list[float]] = {}  # (named node, argument) -> terms
        final: dict[int, float] = {}  # argument -> backward's gradient (its last sum)
        for s in trace.steps:
            holder = at.get(s.node, owner.get(s.node))
            if holder is None:
                continue
            for c in s.contributions:
                if c.child not in at:
                    owner[c.child] = holder
                    continue
                added.setdefault((holder, at[c.child]), []).append(c.term)
                final[at[c.child]] = c.total
        left = Counter(j for _, j in added)  # named nodes still to pass a term to each
        sums: dict[int, float] = {}
        for s in trace.steps:
            if s.node not in at:
                continue
            k = at[s.node]
            terms: list[Contribution] = []
            given: set[int] = set()
            for position, (child, local) in enumerate(zip(drawn[k]._prev, folded[k], strict=True)):
                j = index[id(child)]
                if local is None or child.is_constant or (k, j) not in added or j in given:
                    continue
                given.add(j)  # an argument used twice gets its whole term once
                # The term as the engine adds it up within the formula, and the running
                # total of the terms shown; the last is backward's gradient itself, which
                # the shown sums, added in another order where formulas interleave, may
                # miss in the last digit.
                term = -0.0
                for piece in added[k, j]:
                    term += piece
                sums[j] = sums.get(j, -0.0) + term
                left[j] -= 1
                total = final[j] if left[j] == 0 else sums[j]
                terms.append(Contribution(position, j, local, term, total))
            steps.append(Step(k, s.gradient, tuple(terms)))
        locals_ = tuple(tuple(found) for found in folded)
    else:
        # Each drawn node's argument positions: in the whole graph -> in the view.
        kept: list[dict[int, int]] = []
        for origin in view.origin:
            drawn_args = [p for p, c in enumerate(graph.nodes[origin]._prev) if whole[id(c)] in at]
            kept.append({p: q for q, p in enumerate(drawn_args)})
        for s in trace.steps:
            if s.node not in at:
                continue
            k = at[s.node]
            shown = tuple(
                Contribution(kept[k][c.position], at[c.child], c.local, c.term, c.total)
                for c in s.contributions
                if c.child in at
            )
            steps.append(Step(k, s.gradient, shown))
        locals_ = tuple(
            tuple(trace.locals[origin][p] for p in kept[k]) for k, origin in enumerate(view.origin)
        )
    output = at.get(trace.output)
    return BackpropTrace(
        output=index[id(view.graph.node(view.graph.output))] if output is None else output,
        steps=tuple(steps),
        gradients=tuple(trace.gradients[i] for i in view.origin),
        locals=locals_,
    )
