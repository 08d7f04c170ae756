"""Replay: a graph re-evaluated in place gives the engine's values and gradients, bit for bit."""

from __future__ import annotations

import random

import pytest

from gradpipe.documents import load_document
from gradpipe.documents.graph import graph_from_value
from gradpipe.engine import Value, apply, creation_order
from gradpipe.errors import GradpipeError
from gradpipe.replay import Replay, Unevaluable, replay_of


def random_expression(rng: random.Random) -> tuple[list[Value], Value]:
    leaves = [Value(rng.uniform(-3, 3), label=f"x{i}") for i in range(4)]
    nodes = list(leaves)
    for _ in range(15):
        a, b = rng.choice(nodes), rng.choice(nodes)
        op = rng.choice(
            ["add", "sub", "mul", "div", "pow", "powc", "exp", "log", "tanh"] * 2
            + ["relu", "sigmoid", "neg", "sum"]
        )
        try:
            if op == "pow":
                n = (a.relu() + 1.5) ** b
            elif op == "powc":
                n = a ** rng.choice([2, 3, -1, -2, 0.5, -0.5, 1.7, 0, 1])
            elif op == "sum":
                n = Value.sum([a, b, 2.0, a])
            else:
                n = apply(
                    op, [a, b][: 1 if op in ("exp", "log", "tanh", "relu", "sigmoid", "neg") else 2]
                )
        except GradpipeError:
            continue
        if abs(n.data) < 1e6:
            nodes.append(n)
    return leaves, Value.sum(nodes[-3:])


def engine_at(
    root: Value, leaves: list[Value], point: dict[str, float]
) -> tuple[float, list[float]] | None:
    """The engine's value and gradients with the leaves at ``point``, recomputing every node."""
    for leaf in leaves:
        leaf.data = point[leaf.label]
    topo = creation_order((root,))  # the replay's order
    try:
        for v in topo:
            if v._prev:
                v.data = apply(v.operation, v._prev).data
        for v in topo:
            if v.requires_grad:
                v.grad = 0.0
        root.backward()
    except GradpipeError:
        return None
    return root.data, [v.grad or 0.0 for v in topo]


def test_replay_is_the_engine_to_the_bit() -> None:
    rng = random.Random(9)
    compared = failed = 0
    for _ in range(800):
        leaves, root = random_expression(rng)
        graph = graph_from_value(root)
        replay = Replay(
            root, dict(zip(graph.nodes, graph.ids, strict=True)), [v.label for v in leaves]
        )
        point = {v.label: rng.uniform(-3, 3) for v in leaves}
        try:
            mine: tuple[float, list[float]] | None = (replay.evaluate(point), replay.gradients())
        except Unevaluable:
            mine = None
        theirs = engine_at(root, leaves, point)
        assert (mine is None) == (theirs is None)
        if mine is None:
            failed += 1
        else:
            compared += 1
            assert mine == theirs
    assert compared > 500 and failed > 30


def test_replay_recomputes_only_what_the_moving_leaves_reach() -> None:
    graph = load_document(
        b"values:\n  x: 1\n  y: 2\nnodes:\n  a: x*y\n  b: exp(y)\n  f: a + b\n", "s.yaml"
    )
    replay = replay_of(graph, ["x"])
    assert [replay.names[k] for k in replay.steps] == ["a", "f"]
    assert replay.evaluate({"x": 3.0}) == 6.0 + graph.node("b").data
    replay.focus(["y"])
    assert replay.values == replay.base  # every node back to the graph's value, a too
    assert {replay.names[k] for k in replay.steps} == {"a", "b", "f"}


def test_replay_skips_nodes_the_output_does_not_use() -> None:
    graph = load_document(b"values:\n  x: 1\nnodes:\n  u: log(x)\n  f: x*x\noutput: f\n", "s.yaml")
    replay = replay_of(graph, ["x"])
    assert not replay.depends_on("u")
    assert replay.evaluate({"x": -1.0}) == 1.0  # log(-1) is never computed


def test_replay_names_the_node_where_the_math_fails() -> None:
    graph = load_document(b"values:\n  x: 1\nnodes:\n  y: log(x)\n  f: y / x\n", "s.yaml")
    replay = replay_of(graph, ["x"])
    with pytest.raises(Unevaluable, match=r"^log of -2.0 at node 'y' \(log\)$"):
        replay.evaluate({"x": -2.0})
    with pytest.raises(Unevaluable, match=r"^log of 0.0 at node 'y' \(log\)$"):
        replay.evaluate({"x": 0.0})


def test_replay_fails_where_backward_would() -> None:
    graph = load_document(b"values:\n  x: 1\nnodes:\n  f: x ** 0.5\n", "s.yaml")
    replay = replay_of(graph, ["x"])
    assert replay.evaluate({"x": 0.0}) == 0.0
    with pytest.raises(Unevaluable, match="gradient of the base is infinite at node 'f'"):
        replay.gradients()
