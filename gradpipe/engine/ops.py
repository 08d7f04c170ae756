"""The op table: one row per op, from which every other list of ops is derived.

A row reads as the lecture writes an op: its name, how many arguments it takes, the
symbol micrograd's ``_op`` shows (and diagrams draw), the function name a formula calls
it by (None for an operator), its value, and its local derivatives. Everything else
that knows ops (``Value.apply``, formulas' functions and arities, the pydantic models,
the fast validator's op sets, the DOT and Mermaid symbols) reads this table.

The built-in ops' values and derivatives also have a fast inline form in
``gradpipe.engine.value`` (``Value.__mul__`` and the ``backward`` loop); a test keeps
the two equal. An op added here needs nothing else: ``apply`` computes it from the row
and ``backward`` applies its ``derivative``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import NamedTuple

from gradpipe.engine.kernels import one_minus_square, tanh

_exp = math.exp
_log = math.log
_pow = math.pow
_sqrt = math.sqrt

LEAF = "value"  # a leaf's op in graph documents
CONST = "const"  # a literal's op

# value(*args) -> the op's value; derivative(out, *args) -> d(out)/d(arg) for each arg.
ValueFunction = Callable[..., float]
Derivative = Callable[..., Sequence[float]]


class Op(NamedTuple):
    """One op: name, arity (None: one or more), symbol, formula function, value, derivative."""

    name: str
    arity: int | None
    symbol: str  # drawn in diagrams
    function: str | None  # a formula's name for it; None: an operator
    value: ValueFunction
    derivative: Derivative
    method: str | None = None  # the Value method that computes it fast (built-ins only)
    # The local derivatives as a student writes them, in terms of the arguments {a}, {b}
    # and the result {out} (the HTML view's tooltips); one rule serves every term of sum.
    rule: tuple[str, ...] = ()


def power(x: float, y: float) -> float:
    """x ** y as ATen raises a tensor to a plain number: exact cases first, else C's pow."""
    if y == 2.0:
        return x * x
    if y == 3.0:
        return x * x * x
    if y == -1.0:
        return 1.0 / x
    if y == -2.0:
        return 1.0 / (x * x)
    if y == 0.5:
        return _sqrt(x)
    if y == -0.5:
        return 1.0 / _sqrt(x)
    if y == 0.0:
        return 1.0
    if y == 1.0:
        return x
    return _pow(x, y)


def sigmoid(x: float) -> float:
    """1 / (1 + e^-x), as ATen computes it, without overflow for any x."""
    try:
        return 1.0 / (1.0 + _exp(-x))
    except OverflowError:  # e^-x is infinite, so ATen's quotient is 0
        return 0.0


def _left_to_right(*terms: float) -> float:
    total = terms[0]
    for t in terms[1:]:
        total += t
    return total


def _pow_derivative(out: float, a: float, b: float) -> tuple[float, float]:
    """ATen's: base b·a**(b-1) (0 if b == 0), exponent a**b·ln a (0 if a == 0)."""
    base = 0.0 if b == 0.0 else b * _pow(a, b - 1.0)
    return base, out * _log(a) if a > 0.0 else 0.0


OPS: tuple[Op, ...] = (
    # name, arity, symbol, function, value, local derivatives, fast Value method
    Op(
        "add",
        2,
        "+",
        None,
        lambda a, b: a + b,
        lambda out, a, b: (1.0, 1.0),
        "__add__",
        rule=("1", "1"),
    ),
    Op(
        "sub",
        2,
        "-",
        None,
        lambda a, b: a - b,
        lambda out, a, b: (1.0, -1.0),
        "__sub__",
        rule=("1", "-1"),
    ),
    Op(
        "mul",
        2,
        "*",
        None,
        lambda a, b: a * b,
        lambda out, a, b: (b, a),
        "__mul__",
        rule=("{b}", "{a}"),
    ),
    Op(
        "div",
        2,
        "/",
        None,
        lambda a, b: a / b,
        lambda out, a, b: (1 / b, -(a / b) / b),
        "__truediv__",
        rule=("1/{b}", "-{a}/{b}²"),
    ),
    Op("neg", 1, "-", None, lambda a: -a, lambda out, a: (-1.0,), "__neg__", rule=("-1",)),
    Op(
        "pow",
        2,
        "**",
        None,
        _pow,
        _pow_derivative,
        "__pow__",
        rule=("{b}·{a}^({b}-1)", "{a}^{b}·ln {a}"),
    ),
    Op("exp", 1, "exp", "exp", _exp, lambda out, a: (out,), "exp", rule=("exp({a}) = {out}",)),
    Op("log", 1, "log", "log", _log, lambda out, a: (1.0 / a,), "log", rule=("1/{a}",)),
    Op(
        "tanh",
        1,
        "tanh",
        "tanh",
        tanh,
        lambda out, a: (one_minus_square(out),),
        "tanh",
        rule=("1 - {out}²",),
    ),
    Op(
        "relu",
        1,
        "relu",
        "relu",
        lambda a: max(a, 0.0),
        lambda out, a: (float(a > 0.0),),
        "relu",
        rule=("1 if {a} > 0 else 0",),
    ),
    Op(
        "sigmoid",
        1,
        "sigmoid",
        "sigmoid",
        sigmoid,
        lambda out, a: ((1.0 - out) * out,),
        "sigmoid",
        rule=("{out}·(1 - {out})",),
    ),
    Op(
        "sum",
        None,
        "sum",
        "sum",
        _left_to_right,
        lambda out, *t: (1.0,) * len(t),
        "sum",
        rule=("1",),
    ),
)

# Derived lists: nothing below names an op.
BY_NAME: dict[str, Op] = {op.name: op for op in OPS}
OP_NAMES: tuple[str, ...] = tuple(BY_NAME)
OP_ARITY: dict[str, int | None] = {op.name: op.arity for op in OPS}
OP_SYMBOLS: dict[str, str] = {op.name: op.symbol for op in OPS}
# What micrograd's ``_op`` reads for each op (its ReLU is capitalised, a leaf's is empty);
# pow's is completed by its exponent (``**2``) in ``Value._op``.
MICROGRAD_OPS: dict[str, str] = {
    LEAF: "",
    CONST: "",
    **OP_SYMBOLS,
    "relu": "ReLU",
    "sum": "+",
}
# Function names of the table: reserved, so formulas stay unambiguous.
FUNCTION_NAMES: frozenset[str] = frozenset(op.function for op in OPS if op.function)
# The ops a spec can name, and those of a graph document (which adds leaves and literals).
SPEC_OPS: tuple[str, ...] = OP_NAMES
GRAPH_OPS: tuple[str, ...] = (LEAF, CONST, *OP_NAMES)

# The engine's tanh under the name the op table's users know it by.
hyperbolic_tangent = tanh
