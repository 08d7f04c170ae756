"""Computing a plan: its Values, in a Graph that can locate its own math errors."""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from functools import partial
from itertools import compress, count, repeat
from operator import is_
from typing import Any, TypeAlias

from gradpipe.collector import paused_gc
from gradpipe.documents.graph import Graph, anonymous_ids, document_names
from gradpipe.documents.locating import place
from gradpipe.documents.names import did_you_mean
from gradpipe.documents.plan import Plan, read_plan
from gradpipe.engine.ops import CONST, LEAF, OPS
from gradpipe.engine.value import Value, apply, describe_node
from gradpipe.errors import GradpipeError, MathError


def load_document(raw: bytes, path: str, overrides: Mapping[str, float] | None = None) -> Graph:
    """The Graph of a spec or graph document (YAML or JSON bytes), gradients not computed."""
    with paused_gc():  # across both steps: no collection between them
        return build_graph(read_plan(raw, path), overrides)


def build_graph(plan: Plan, overrides: Mapping[str, float] | None = None) -> Graph:
    """Compute the Values of a read plan, with ``--set``-style overrides of its leaves."""
    with paused_gc():
        return _build_graph(plan, overrides)


def _build_graph(plan: Plan, overrides: Mapping[str, float] | None) -> Graph:
    values = plan.values
    if overrides:
        values = list(values)
        for name, number in overrides.items():
            k = _leaf_index(plan, name, number)  # first: it refuses what float() cannot take
            values[k] = float(number)
    ids, labels, ops, args = plan.ids, plan.labels, plan.ops, plan.args
    built: list[Any] = [None] * len(plan)  # each entry's Value, once built
    argument = built.__getitem__
    binary, unary, whole = _METHODS
    for k in plan.order:
        op = ops[k]
        if op == LEAF:
            v = Value(values[k], labels[k])
        elif op == CONST:
            v = Value.constant(values[k], labels[k])
        else:
            # The plan checked each op's arity: its Value method is called at once, as
            # ``apply`` would after checking it again, with its arguments named, not
            # spread from an iterator (a fifth of the building time).
            try:
                if op in binary:
                    first, second = args[k]
                    v = binary[op](built[first], built[second])
                elif op in unary:
                    v = unary[op](built[args[k][0]])
                elif op in whole:
                    v = whole[op](list(map(argument, args[k])))
                else:
                    v = apply(op, list(map(argument, args[k])))
            except MathError as err:
                raise _math_error(plan, k, err) from None
            v.label = labels[k]
        built[k] = v
    nodes: list[Value] = list(map(argument, plan.order))
    graph_ids: list[Any] = list(map(ids.__getitem__, plan.order))  # all str, once numbered
    # Anonymous nodes are numbered in output order, skipping the names: their positions
    # found at C speed (a graph document has none), the ids then made one by one.
    anonymous = list(compress(count(), map(is_, graph_ids, repeat(None))))
    if anonymous:
        fresh = anonymous_ids(set(filter(None, ids)))
        for i in anonymous:
            graph_ids[i] = next(fresh)
    output = str(ids[plan.output])  # always a named node
    locator = partial(locate_math_error, plan.raw, plan.path)
    # A spec's named nodes are its keys; a graph document's, all but gradpipe's _N ones.
    # The graph keeps only the ids it made up (often none), not a set of every name: at
    # 10^5 nodes that set was 6 MB of the peak memory, held to the end for views.
    naming = document_names
    if plan.kind != "graph":
        made_up = frozenset(map(graph_ids.__getitem__, anonymous))
        naming = partial(_spec_names, made_up)
    return Graph(
        name=plan.name, ids=graph_ids, nodes=nodes, output=output, locator=locator, naming=naming
    )


_Methods: TypeAlias = dict[str, Callable[..., Value]]


def _methods() -> tuple[_Methods, _Methods, _Methods]:
    """The ops whose Value method computes them, by arity: two arguments, one, any number
    (the method takes a list). Another arity's op goes through ``apply``."""
    methods: dict[int | None, _Methods] = {2: {}, 1: {}, None: {}}
    for row in OPS:
        by_arity = methods.get(row.arity)
        if row.method and by_arity is not None:
            by_arity[row.name] = getattr(Value, row.method)
    return methods[2], methods[1], methods[None]


_METHODS = _methods()


def _spec_names(made_up: frozenset[str], graph: Graph) -> set[str]:
    """The named ids of a spec's graph, its ``values`` and ``nodes`` keys: all it did not
    make up for anonymous nodes."""
    return set(graph.ids).difference(made_up)


def locate_math_error(raw: bytes, path: str, graph: Graph, error: MathError) -> MathError:
    """A MathError of ``graph``'s backprop, located at its node's definition as forward's are.

    ``graph`` is the one built from ``raw``, which it keeps for this (its ``locator``);
    the plan is read again only on error, so a run that succeeds keeps no plan. The error
    as it was, with ``path``, when its node is not one of the graph's.
    """
    position = next((i for i, v in enumerate(graph.nodes) if v is error.node), None)
    plan = None if position is None else read_plan(raw, path)
    if position is None or plan is None or len(plan.order) != len(graph.nodes):
        error.path = path
        return error
    return _math_error(plan, plan.order[position], error)  # nodes follow the order


def _leaf_index(plan: Plan, name: str, number: float) -> int:
    """The entry that ``--set name=number`` overrides."""
    leaves = {
        node_id: k
        for k, node_id in enumerate(plan.ids)
        if node_id is not None and plan.ops[k] in (LEAF, CONST)
    }
    if name not in leaves:
        if name in plan.ids:
            k = plan.ids.index(name)
            raise GradpipeError(
                f"--set {name}: '{name}' is computed ({plan.ops[k]}), not a value",
                plan.path,
            )
        raise GradpipeError(
            f"--set {name}: unknown value{did_you_mean(name, leaves)}",
            plan.path,
        )
    if not _is_finite(number):
        shown = (
            "an integer too large for a float"  # repr of 10**5000 would raise ValueError
            if isinstance(number, int) and not isinstance(number, bool)
            else repr(number)
        )
        raise GradpipeError(f"--set {name}: {shown} is not a finite number", plan.path)
    return leaves[name]


def _is_finite(number: object) -> bool:
    """Whether an override is a finite number (10**400 and '3' are not, rather than raising)."""
    try:
        return not isinstance(number, bool) and math.isfinite(number)  # type: ignore[arg-type]
    except (OverflowError, TypeError):
        return False


def _math_error(plan: Plan, k: int, err: MathError) -> MathError:
    """The engine's error, located at the node's definition and naming it."""
    node_id = plan.ids[k]
    name = f"'{node_id}'" if node_id is not None else f"'{plan.labels[k]}'"
    message = err.message.replace(describe_node(err.node), f"node {name} ({err.node.operation})")
    located = MathError(message, err.node, err.op, err.problem)
    where = plan.where(k)
    located.path = plan.path
    located.line, located.column = place(plan.raw, where) or (None, None)
    return located
