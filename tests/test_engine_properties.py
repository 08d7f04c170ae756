"""Property: on random expression graphs with shared nodes, backprop equals central differences.

Graphs are recipes (an op and the indices of earlier nodes it uses), rebuilt for every
perturbed input. Ops are the smooth ones, inputs stay in [-2, 2] and any value beyond ±4
is squashed by tanh, so the graphs stay well conditioned for a difference step of 1e-6.
"""

from __future__ import annotations

from collections.abc import Callable

from hypothesis import given, settings
from hypothesis import strategies as st

from gradpipe import Value

UNARY: dict[str, Callable[[Value], Value]] = {
    "neg": lambda a: -a,
    "tanh": lambda a: a.tanh(),
    "sigmoid": lambda a: a.sigmoid(),
    "exp": lambda a: a.tanh().exp(),
    "log": lambda a: (a * a + 1).log(),
    "square": lambda a: a**2,
    "cube": lambda a: a**3,
    "inverse": lambda a: (a * a + 1) ** -1,
    "root": lambda a: (a * a + 1) ** 0.5,
}
BINARY: dict[str, Callable[[Value, Value], Value]] = {
    "add": lambda a, b: a + b,
    "sub": lambda a, b: a - b,
    "mul": lambda a, b: a * b,
    "div": lambda a, b: a / (b * b + 1),
    "pow": lambda a, b: (a * a + 1) ** b.tanh(),
    "sum": lambda a, b: Value.sum([a, b, a]),
}
Step = tuple[str, int, int]


@st.composite
def recipes(draw: st.DrawFn) -> tuple[list[float], list[Step]]:
    """Leaf values and a list of ops over earlier nodes (so nodes are shared)."""
    leaves = draw(st.lists(st.floats(-2.0, 2.0), min_size=1, max_size=4))
    steps: list[Step] = []
    for k in range(draw(st.integers(1, 12))):
        available = len(leaves) + k
        op = draw(st.sampled_from(sorted(UNARY) + sorted(BINARY)))
        i = draw(st.integers(0, available - 1))
        j = draw(st.integers(0, available - 1))
        steps.append((op, i, j))
    return leaves, steps


def build(
    values: list[float], steps: list[Step], squash: list[bool] | None = None
) -> tuple[Value, list[Value], list[bool]]:
    """The graph; ``squash`` says which steps get a tanh (decided once, so f stays smooth)."""
    leaves = [Value(x) for x in values]
    nodes = list(leaves)
    squashed = []
    for k, (op, i, j) in enumerate(steps):
        v = UNARY[op](nodes[i]) if op in UNARY else BINARY[op](nodes[i], nodes[j])
        squashed.append(abs(v.data) > 4.0 if squash is None else squash[k])
        nodes.append(v.tanh() if squashed[-1] else v)
    # The output uses every node, so no gradient is trivially zero.
    return Value.sum(nodes), leaves, squashed


@settings(max_examples=150, deadline=None)
@given(recipes())
def test_backprop_agrees_with_central_differences(recipe: tuple[list[float], list[Step]]) -> None:
    values, steps = recipe
    out, leaves, squash = build(values, steps)
    out.backward()
    h = 1e-6
    for i, leaf in enumerate(leaves):
        up = build([x + h if k == i else x for k, x in enumerate(values)], steps, squash)[0]
        down = build([x - h if k == i else x for k, x in enumerate(values)], steps, squash)[0]
        numeric = (up.data - down.data) / (2 * h)
        assert leaf.requires_grad
        assert abs(leaf.grad - numeric) <= 1e-5 * max(1.0, abs(numeric)), (i, leaf.grad, numeric)


@settings(max_examples=100, deadline=None)
@given(recipes())
def test_backward_is_deterministic_and_repeatable(recipe: tuple[list[float], list[Step]]) -> None:
    values, steps = recipe
    first, leaves, _ = build(values, steps)
    first.backward()
    grads = [v.grad for v in leaves]
    second, again, _ = build(values, steps)
    second.backward()
    assert [v.grad for v in again] == grads
    for v in leaves:
        v.grad = 0.0
    first.backward()
    assert [v.grad for v in leaves] == grads
