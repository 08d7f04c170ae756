"""The op table: each row's value and derivative equal the engine's fast inline forms,
every op list of the package is derived from it, and an op with only a row works."""

from __future__ import annotations

import math
from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from gradpipe import MathError, Value, load_document
from gradpipe.engine import ops, value
from gradpipe.engine.ops import BY_NAME, OPS, Op

# Points inside every op's domain (log and pow need a positive base).
POINTS = [(0.7, 1.3), (2.5, -0.4), (1.9, 3.0), (0.05, 0.5), (3.0, 2.0)]


def fast(row: Op, xs: tuple[float, ...]) -> tuple[float, list[float | None]]:
    """The engine's value and gradients for ``row`` at ``xs``, by the fast path."""
    leaves = [Value(x) for x in xs]
    out = value.apply(row.name, leaves)
    out.backward()
    return out.data, [leaf.grad for leaf in leaves]


@pytest.mark.parametrize("row", OPS, ids=[row.name for row in OPS])
@pytest.mark.parametrize("point", POINTS)
def test_each_row_computes_what_the_fast_path_computes(row: Op, point: tuple[float, ...]) -> None:
    xs = point[: row.arity or 3] if row.arity else (*point, 0.25)
    data, gradients = fast(row, xs)
    expected = row.value(*xs)
    local = row.derivative(expected, *xs)
    assert data == pytest.approx(expected, rel=1e-12)
    assert gradients == pytest.approx(list(local), rel=1e-12, abs=1e-300)


def test_every_op_list_is_derived_from_the_table() -> None:
    names = tuple(row.name for row in OPS)
    assert ops.OP_NAMES == names == ops.SPEC_OPS
    assert (ops.LEAF, ops.CONST, *names) == ops.GRAPH_OPS
    assert {row.name: row.arity for row in OPS} == ops.OP_ARITY
    assert {row.name: row.symbol for row in OPS} == ops.OP_SYMBOLS
    assert {row.function for row in OPS if row.function} == ops.FUNCTION_NAMES
    for row in OPS:
        assert row.method is None or hasattr(Value, row.method)


@contextmanager
def extra_op(row: Op) -> Iterator[None]:
    """The table with one more row, as if it were written in ops.py (lists re-derived)."""
    saved = dict(ops.BY_NAME)
    ops.BY_NAME[row.name] = row
    try:
        yield
    finally:
        ops.BY_NAME.clear()
        ops.BY_NAME.update(saved)


SOFTPLUS = Op(
    "softplus",
    1,
    "softplus",
    "softplus",
    lambda a: math.log1p(math.exp(a)),
    lambda out, a: (1.0 / (1.0 + math.exp(-a)),),
)


def test_an_op_with_only_a_row_computes_and_backpropagates() -> None:
    with extra_op(SOFTPLUS):
        x = Value(0.3, "x")
        y = value.apply("softplus", [x]) * 2.0
        y.backward()
    assert y.data == pytest.approx(2 * math.log1p(math.exp(0.3)))
    assert x.grad == pytest.approx(2 / (1 + math.exp(-0.3)))


def test_a_row_without_a_fast_method_is_computed_from_the_row() -> None:
    """The generic path gives the fast path's numbers for a built-in op, too."""
    mul = BY_NAME["mul"]._replace(name="mul2", method=None)
    with extra_op(mul):
        a, b = Value(1.5, "a"), Value(-2.0, "b")
        out = value.apply("mul2", [a, b])
        out.backward()
    assert (out.data, a.grad, b.grad) == (-3.0, -2.0, 1.5)


def test_a_math_error_of_a_row_is_a_math_error() -> None:
    overflowing = SOFTPLUS._replace(value=lambda a: math.exp(a) * 1e308)
    with (
        extra_op(overflowing),
        pytest.raises(MathError, match="softplus has no finite value") as caught,
    ):
        value.apply("softplus", [Value(1000.0, "x")])
    assert caught.value.op == "softplus"


def test_documents_compute_with_the_table() -> None:
    graph = load_document(b"values: {x: 0.5}\nnodes: {y: sigmoid(x) + tanh(x)}\n", "t.yaml")
    graph.backward()
    x = graph.node("x")
    s, t = BY_NAME["sigmoid"].value(0.5), BY_NAME["tanh"].value(0.5)
    assert graph.node("y").data == s + t
    expected = BY_NAME["sigmoid"].derivative(s, 0.5)[0] + BY_NAME["tanh"].derivative(t, 0.5)[0]
    assert x.grad == pytest.approx(expected, rel=1e-15)
