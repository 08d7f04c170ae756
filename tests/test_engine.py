"""The engine: every op's value and local derivatives, the notes' examples, constants, errors."""

from __future__ import annotations

import decimal
import math
import re
import sys
from collections.abc import Callable
from fractions import Fraction

import pytest

from gradpipe import MathError, Value
from gradpipe.engine import CONST, LEAF, apply, topological_order
from gradpipe.engine.ops import OP_ARITY, OP_SYMBOLS


def central_difference(f: Callable[[float], float], x: float, h: float = 1e-6) -> float:
    return (f(x + h) - f(x - h)) / (2 * h)


def grads(build: Callable[..., Value], *xs: float) -> tuple[float, list[float | None]]:
    """The output's value and each input's gradient after backward."""
    leaves = [Value(x) for x in xs]
    out = build(*leaves)
    out.backward()
    return out.data, [v.grad for v in leaves]


# (name, function of Values, the same on floats, its exact partial derivatives, inputs)
OPS: list[
    tuple[str, Callable[..., Value], Callable[..., float], Callable[..., tuple[float, ...]]]
] = [
    ("add", lambda a, b: a + b, lambda a, b: a + b, lambda a, b: (1.0, 1.0)),
    ("sub", lambda a, b: a - b, lambda a, b: a - b, lambda a, b: (1.0, -1.0)),
    ("mul", lambda a, b: a * b, lambda a, b: a * b, lambda a, b: (b, a)),
    ("div", lambda a, b: a / b, lambda a, b: a / b, lambda a, b: (1 / b, -a / b**2)),
    (
        "pow",
        lambda a, b: a**b,
        lambda a, b: a**b,
        lambda a, b: (b * a ** (b - 1), a**b * math.log(a)),
    ),
    ("neg", lambda a: -a, lambda a: -a, lambda a: (-1.0,)),
    ("exp", lambda a: a.exp(), math.exp, lambda a: (math.exp(a),)),
    ("log", lambda a: a.log(), math.log, lambda a: (1 / a,)),
    ("tanh", lambda a: a.tanh(), math.tanh, lambda a: (1 - math.tanh(a) ** 2,)),
    ("relu", lambda a: a.relu(), lambda a: max(0.0, a), lambda a: (1.0 if a > 0 else 0.0,)),
    (
        "sigmoid",
        lambda a: a.sigmoid(),
        lambda a: 1 / (1 + math.exp(-a)),
        lambda a: (math.exp(-a) / (1 + math.exp(-a)) ** 2,),
    ),
]
POINTS = [(0.7, 1.3), (2.5, -0.4), (1.9, 3.0), (0.05, 0.5)]


@pytest.mark.parametrize(("name", "build", "f", "df"), OPS, ids=[op[0] for op in OPS])
@pytest.mark.parametrize("point", POINTS)
def test_each_op_value_and_gradients(
    name: str,
    build: Callable[..., Value],
    f: Callable[..., float],
    df: Callable[..., tuple[float, ...]],
    point: tuple[float, float],
) -> None:
    xs = point[: OP_ARITY[name] or 1]
    value, got = grads(build, *xs)
    assert value == pytest.approx(f(*xs), rel=1e-15)
    assert got == pytest.approx(list(df(*xs)), rel=1e-14)
    for i in range(len(xs)):

        def partial(t: float, i: int = i) -> float:
            return f(*(t if j == i else x for j, x in enumerate(xs)))

        assert got[i] == pytest.approx(central_difference(partial, xs[i]), rel=1e-6, abs=1e-8)


def test_the_notes_derivative_of_a_polynomial() -> None:
    x = Value(3.0)
    f = 3 * x**2 - 4 * x + 5
    f.backward()
    assert (f.data, x.grad) == (20.0, 14.0)


def test_the_notes_expression_l_equals_a_times_b_plus_cd() -> None:
    a, b, c, d = Value(-2.0), Value(10.0), Value(2.0), Value(-3.0)
    loss = a * (b + c * d)
    loss.backward()
    assert (loss.data, a.grad, b.grad, c.grad, d.grad) == (-8.0, 4.0, -2.0, 6.0, -4.0)


def test_the_notes_tanh_neuron() -> None:
    x1, x2 = Value(2.0, "x1"), Value(0.0, "x2")
    w1, w2 = Value(-3.0, "w1"), Value(1.0, "w2")
    b = Value(6.8813735870195432, "b")
    n = x1 * w1 + x2 * w2 + b
    o = n.tanh()
    o.backward()
    # glibc's tanh rounds up here; the correctly rounded value (and torch's) ends in 476.
    assert o.data == 0.7071067811865476
    assert [x1.grad, w1.grad, x2.grad, w2.grad, b.grad, n.grad] == pytest.approx(
        [-1.5, 1.0, 0.5, 0.0, 0.5, 0.5], abs=1e-15
    )
    assert w2.grad == 0.0


@pytest.mark.parametrize(
    "x", [0.0, 1e-8, 0.3, 0.55, 0.8813735870195432, 2.0, 4.999, 5.0, 19.0, 40.0]
)
def test_tanh_is_odd_and_within_an_ulp_of_the_true_value(x: float) -> None:
    exact = float(_decimal_tanh(x))
    assert Value(x).tanh().data == pytest.approx(exact, rel=2.3e-16, abs=0.0)
    assert Value(-x).tanh().data == -Value(x).tanh().data


def _decimal_tanh(x: float) -> decimal.Decimal:
    with decimal.localcontext() as ctx:
        ctx.prec = 60
        e = (2 * decimal.Decimal(x)).exp()
        return (e - 1) / (e + 1)


def test_the_notes_neuron_with_tanh_spelled_out_agrees() -> None:
    n = Value(0.8813735870195432)
    e = (2 * n).exp()
    o = (e - 1) / (e + 1)
    o.backward()
    assert o.data == 0.7071067811865476
    assert n.grad == pytest.approx(0.5, abs=1e-15)


def test_a_node_used_twice_gets_the_sum_of_its_gradients() -> None:
    a = Value(3.0)
    b = a + a
    b.backward()
    assert a.grad == 2.0
    assert b.children == (a, a)
    c = Value(-2.0)
    (c * c * c).backward()
    assert c.grad == 12.0


def test_a_node_the_output_does_not_depend_on_gets_zero() -> None:
    a, b = Value(1.0), Value(2.0)
    unused = a * b
    out = a + 1
    out.backward()
    assert (a.grad, b.grad, unused.grad) == (1.0, 0.0, 0.0)


def test_relu_at_zero_and_below_passes_no_gradient() -> None:
    for x in (0.0, -0.0, -1.5):
        v = Value(x)
        out = v.relu()
        out.backward()
        assert (out.data, v.grad) == (0.0, 0.0)


@pytest.mark.parametrize("x", [20.0, 40.0, 710.0, 1e300])
def test_tanh_saturates_to_exactly_one_with_gradient_zero(x: float) -> None:
    for sign in (1.0, -1.0):
        v = Value(sign * x)
        out = v.tanh()
        out.backward()
        assert (out.data, v.grad) == (sign, 0.0)


@pytest.mark.parametrize("x", [-1e300, -1000.0, -745.5, 40.0, 1000.0, 1e300])
def test_sigmoid_is_stable_for_any_x(x: float) -> None:
    v = Value(x)
    out = v.sigmoid()
    out.backward()
    assert out.data == (1.0 if x > 0 else pytest.approx(0.0, abs=1e-300))
    assert v.grad == pytest.approx(0.0, abs=1e-300)
    assert math.isfinite(v.grad)


def test_sigmoid_in_the_middle() -> None:
    v = Value(0.0)
    out = v.sigmoid()
    out.backward()
    assert (out.data, v.grad) == (0.5, 0.25)


@pytest.mark.parametrize("x", [-3.0, -0.5, 0.0, 0.5, 3.0])
def test_powers_by_constants_need_no_logarithm(x: float) -> None:
    v = Value(x)
    (v**2).backward()
    assert v.grad == 2 * x
    v.grad = 0.0
    (v**3).backward()
    assert v.grad == 3 * (x * x)
    if x != 0.0:
        v.grad = 0.0
        out = v**-1
        out.backward()
        assert (out.data, v.grad) == (1 / x, -1 * (1 / (x * x)))
        v.grad = 0.0
        (v**-2).backward()
        assert v.grad == -2 * (1 / (x * x * x)) or v.grad == pytest.approx(-2 / x**3)


def test_square_root_and_its_gradient() -> None:
    v = Value(2.25)
    out = v**0.5
    out.backward()
    assert (out.data, v.grad) == (1.5, 0.5 / 1.5)


def test_zero_and_one_as_exponents() -> None:
    v = Value(0.0)
    out = v**0
    out.backward()
    assert (out.data, v.grad) == (1.0, 0.0)
    w = Value(-2.0)
    out = w**1
    out.backward()
    assert (out.data, w.grad) == (-2.0, 1.0)


def test_variable_exponent_gradient_is_a_to_the_b_times_ln_a() -> None:
    a, b = Value(2.0), Value(3.0)
    out = a**b
    out.backward()
    assert (out.data, a.grad, b.grad) == (8.0, 12.0, 8.0 * math.log(2.0))


def test_two_to_the_x() -> None:
    x = Value(3.0)
    out = 2**x
    out.backward()
    assert (out.data, x.grad) == (8.0, 8.0 * math.log(2.0))
    assert out.children[0].operation == CONST


@pytest.mark.parametrize(
    ("b", "grad_a", "grad_b"), [(2.0, 0.0, 0.0), (0.0, 0.0, 0.0), (1.0, 1.0, 0.0)]
)
def test_zero_to_a_variable_power(b: float, grad_a: float, grad_b: float) -> None:
    base, exponent = Value(0.0), Value(b)
    out = base**exponent
    out.backward()
    assert (out.data, base.grad, exponent.grad) == (0.0**b, grad_a, grad_b)


def test_constant_base_zero_to_a_variable_power() -> None:
    y = Value(2.0)
    out = Value.constant(0.0) ** y
    out.backward()
    assert (out.data, y.grad) == (0.0, 0.0)


def test_division() -> None:
    a, b = Value(3.0), Value(-4.0)
    out = a / b
    out.backward()
    assert (out.data, a.grad, b.grad) == (-0.75, -0.25, -((3.0 / -4.0) / -4.0))
    c = Value(4.0)
    out = 1 / c
    out.backward()
    assert (out.data, c.grad) == (0.25, -1 / 16)


def test_sum_is_one_node_adding_left_to_right() -> None:
    terms = [Value(x) for x in (1e16, 1.0, -1e16, 1.0)]
    out = Value.sum(terms)
    assert out.operation == "sum" and out.children == tuple(terms)
    assert out.data == ((1e16 + 1.0) + -1e16) + 1.0
    out.backward()
    assert [t.grad for t in terms] == [1.0] * 4
    one = Value.sum([Value(-0.0)])
    assert math.copysign(1.0, one.data) == -1.0
    mixed = Value.sum([2, terms[1], 0.5])
    assert mixed.data == 3.5 and mixed.children[0].operation == CONST
    with pytest.raises(ValueError, match="at least one"):
        Value.sum([])


def test_constants_get_no_gradient_and_pass_none_on() -> None:
    x = Value(3.0)
    two = Value.constant(2.0)
    c = two**3 - 1  # an op on constants only is constant too
    out = x * c + 5
    out.backward()
    assert (out.data, x.grad) == (26.0, 7.0)
    assert two.grad == c.grad == 0.0  # a number, as micrograd code formats and adds it
    assert not two.requires_grad and not c.requires_grad and x.requires_grad
    assert c.is_constant and c.operation == "sub" and not x.is_constant
    assert [k.grad for k in out.children] == [1.0, 0.0]
    assert c.children[1].operation == CONST
    only_constants = Value.constant(2.0) * 3
    only_constants.backward()
    assert only_constants.grad == 0.0 and only_constants.is_constant


def test_every_user_made_value_is_a_leaf_with_a_gradient() -> None:
    v = Value(2, label="w")
    assert (v.data, v.grad, v.label, v.operation, v.children) == (2.0, 0.0, "w", LEAF, ())
    assert isinstance(v.data, float)
    assert repr(v) == "Value(data=2.0, grad=0.0)"


def test_the_notes_names_and_micrograds_names_are_the_same_slots() -> None:
    v = Value(1.0)
    v.value = 4.0
    assert v.data == 4.0
    v.gradient = 2.0
    assert v.grad == 2.0
    v.data -= 0.5 * v.grad
    assert v.value == 3.0
    v.grad = 0
    assert v.gradient == 0


def test_leaves_accumulate_and_computed_nodes_start_over() -> None:
    x = Value(2.0)
    y = x * x
    out = y + 1
    out.backward()
    out.backward()
    assert x.grad == 8.0  # leaves accumulate, as in micrograd and torch
    assert y.grad == 1.0
    x.grad = 0
    out.backward()
    assert x.grad == 4.0


def test_training_loop_idiom_of_micrograd() -> None:
    w = Value(0.0)
    for _ in range(200):
        loss = (w - 3.0) ** 2
        w.grad = 0
        loss.backward()
        w.data -= 0.1 * w.grad  # type: ignore[operator]
    assert w.data == pytest.approx(3.0)


def test_operators_with_plain_numbers_on_either_side() -> None:
    a = Value(4.0)
    cases = [
        (2 * a, 8.0),
        (a * 2, 8.0),
        (1 - a, -3.0),
        (a - 1, 3.0),
        (1 + a, 5.0),
        (1 / a, 0.25),
        (a / 2, 2.0),
        (a**2, 16.0),
        (2**a, 16.0),
        (-a, -4.0),
        (+a, 4.0),
    ]
    for v, expected in cases:
        assert v.data == expected
    assert (+a) is a
    assert (1 - a).children[0].operation == CONST


def test_children_keep_their_order_and_repeats() -> None:
    a, b = Value(1.0), Value(2.0)
    assert (b - a).children == (b, a)
    assert (a * a).children == (a, a)
    assert Value.sum([b, a, b]).children == (b, a, b)


def test_apply_builds_every_op_by_name() -> None:
    a, b = Value(2.0), Value(0.5)
    for op, arity in OP_ARITY.items():
        args = [a, b][: arity or 2]
        v = apply(op, args)
        assert v.operation == op and v.children == tuple(args)
        assert op in OP_SYMBOLS
    assert apply("sum", [a]).data == 2.0
    with pytest.raises(ValueError, match="takes 2 arguments, not 1"):
        apply("mul", [a])
    with pytest.raises(ValueError):
        apply("nope", [a])


def test_topological_order_puts_arguments_first_deterministically() -> None:
    a, b = Value(1.0, "a"), Value(2.0, "b")
    c = a * b
    d = c + a
    e = Value.sum([d, c, b])
    order = topological_order([e])
    assert [v.label or v.operation for v in order] == ["a", "b", "mul", "add", "sum"]
    assert order == topological_order([e])
    assert topological_order([c, e, c]) == order
    assert topological_order([a]) == [a]


def test_value_refuses_what_is_not_a_real_number() -> None:
    for bad in ("x", None, True, 1j, [1.0]):
        with pytest.raises(TypeError, match="real number"):
            Value(bad)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Value(1.0) + "x"  # type: ignore[operator]
    assert Value(Fraction(1, 4)).data == 0.25


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_value_refuses_nan_and_infinity(bad: float) -> None:
    with pytest.raises(MathError, match="value of node 'x' \\(value\\) is"):
        Value(bad, label="x")


@pytest.mark.parametrize("big", [10**400, -(10**400), Fraction(10**400, 3)])
def test_a_number_too_big_for_a_float_is_infinite_not_an_overflow_error(big: object) -> None:
    # float(10**400) raises OverflowError, which the engine promises never to let out.
    sign = "-" if big < 0 else ""  # type: ignore[operator]
    with pytest.raises(MathError, match=f"^value of node 'x' \\(value\\) is {sign}infinite"):
        Value(big, label="x")  # type: ignore[arg-type]
    with pytest.raises(MathError, match=r"is -?infinite"):
        Value(2.0) + big  # type: ignore[operator]
    with pytest.raises(MathError, match=r"is -?infinite"):
        Value(2.0) ** big  # type: ignore[operator]


def labelled(data: float, label: str) -> Value:
    return Value(data, label=label)


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: labelled(0.0, "z").log(), "log of 0.0 at an unnamed node (log of 'z')"),
        (lambda: labelled(-2.0, "z").log(), "log of -2.0 at an unnamed node (log of 'z')"),
        (
            lambda: labelled(1.0, "x") / labelled(0.0, "y"),
            "division by zero at an unnamed node (div of 'x', 'y')",
        ),
        (lambda: labelled(710.0, "x").exp(), "exp overflows at an unnamed node (exp of 'x')"),
        (
            lambda: labelled(0.0, "x") ** -1,
            "0 ** -1.0 is infinite at an unnamed node (pow of 'x', -1.0)",
        ),
        (
            lambda: labelled(0.0, "x") ** -0.5,
            "0 ** -0.5 is infinite at an unnamed node (pow of 'x', -0.5)",
        ),
        (
            lambda: labelled(-8.0, "x") ** (1 / 3),
            "negative base -8.0 ** 0.3333333333333333 has no real value",
        ),
        (lambda: labelled(10.0, "x") ** 400, "10.0 ** 400.0 overflows"),
        (
            lambda: labelled(1e200, "x") * labelled(1e200, "y"),
            "value is infinite at an unnamed node (mul of 'x', 'y')",
        ),
        (lambda: Value.sum([labelled(1e308, "x"), labelled(1e308, "y")]), "value is infinite"),
    ],
)
def test_math_errors_in_the_forward_pass_name_the_node(
    build: Callable[[], Value], message: str
) -> None:
    with pytest.raises(MathError, match="^" + re.escape(message)) as caught:
        build()
    assert f"({caught.value.node.operation}" in str(caught.value)


def test_a_math_error_names_a_labelled_node() -> None:
    x = Value(1.0, "x")
    with pytest.raises(MathError) as caught:
        x.log().log()
    assert str(caught.value) == "log of 0.0 at an unnamed node (log of 0.0)"
    node = caught.value.node
    assert node.operation == "log" and node.children[0].operation == "log"


def test_negative_base_under_a_variable_exponent_fails_in_backward() -> None:
    base, y = Value(-8.0, "base"), Value(2.0, "y")
    out = base**y
    out.label = "p"
    assert out.data == 64.0
    with pytest.raises(
        MathError, match=r"gradient of node 'y' \(value\) needs ln of -8.0 at node 'p' \(pow\)"
    ):
        out.backward()


def test_zero_to_a_variable_negative_power_fails() -> None:
    with pytest.raises(MathError, match=r"0 \*\* -1.0 is infinite"):
        Value(0.0) ** Value(-1.0)


def test_infinite_base_gradient_of_a_square_root_at_zero_fails() -> None:
    x = Value(0.0, "x")
    out = x**0.5
    out.label = "root"
    with pytest.raises(
        MathError, match=r"gradient of node 'x' \(value\) is infinite at node 'root' \(pow\)"
    ):
        out.backward()


def test_gradient_overflow_names_the_node_where_it_arises() -> None:
    a, b = Value(1e300, "a"), Value(1e-300, "b")
    p = a * b
    p.label = "p"
    out = p * 1e300  # a finite value, but d(out)/db = 1e300 · a
    with pytest.raises(MathError) as caught:
        out.backward()
    assert str(caught.value) == "gradient of node 'b' (value) is infinite (from node 'p' (mul))"
    assert caught.value.node is b


def test_nothing_recurses_per_node() -> None:
    x = Value(0.3)
    v = x
    for _ in range(20_000):
        v = 1 - v
    depth, frame = 0, sys._getframe()
    while frame is not None:
        depth, frame = depth + 1, frame.f_back
    limit = sys.getrecursionlimit()
    sys.setrecursionlimit(depth + 30)  # a few calls deep, never one per node
    try:
        v.backward()
        order = topological_order([v])
    finally:
        sys.setrecursionlimit(limit)
    assert len(order) == 40_001 and order[20_000] is x and order[-1] is v
    assert (v.data, x.grad) == (pytest.approx(0.3), 1.0)


@pytest.mark.slow
def test_a_chain_a_million_deep_backpropagates() -> None:
    x, w = Value(0.5), Value(0.9)
    v = x
    for _ in range(500_000):
        v = (v * w).tanh()
    v.backward()
    assert math.isfinite(w.grad) and x.requires_grad
    assert len(topological_order([v])) == 1_000_002
