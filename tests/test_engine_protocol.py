"""micrograd's protocol on every node: ``_backward``, ``_op``, ``_prev``, a constant's grad.

The lecture fills in gradients by hand (``o.grad = 1.0; o._backward(); n._backward()``),
then by a loop over the reversed topological order; it adds ops as ``Value(t, (x,), op)``
with a closure; its drawing reads ``_op`` and formats every ``grad`` with ``%.4f``.
"""

from __future__ import annotations

import copy
import math
import pickle
import random
import subprocess
import sys
from typing import Any

import pytest

from gradpipe import Value
from gradpipe.documents import graph_from_value
from gradpipe.engine import backward_over, creation_order, topological_order


def step(a: Value, b: Value, op: int, exponent: float) -> Value:
    """One of every op, plain numbers on both sides."""
    if op == 0:
        return a + b
    if op == 1:
        return a * b
    if op == 2:
        return a - 2.0
    if op == 3:
        return 3.0 - a
    if op == 4:
        return a / (b * b + 1.0)
    if op == 5:
        return 2.0 / (a * a + 1.0)
    if op == 6:
        return -a
    if op == 7:
        return (a * a + 0.5) ** exponent
    if op == 8:
        return a.tanh().exp()
    if op == 9:
        return (a * a + 0.5).log() + a.tanh()
    if op == 10:
        return (a - b).relu() + a.sigmoid()
    return Value.sum([a, b, 1.0, a])


def random_graph(rng: random.Random) -> Value:
    """Every op, nodes reused."""
    nodes = [Value(rng.uniform(0.5, 2.0), label=f"x{i}") for i in range(3)]
    for _ in range(25):
        a, b = rng.choice(nodes[-4:]), rng.choice(nodes)
        nodes.append(step(a, b, rng.randrange(12), rng.choice([2, 3, -1, 0.5, 1.5])))
    return Value.sum(nodes[-4:])


def by_hand(root: Value, topo: list[Value]) -> list[float]:
    """The lecture's manual backprop: zero the gradients, seed 1, ``_backward`` in reverse."""
    for v in topo:
        v.grad = 0.0 if v.requires_grad else v.grad
    root.grad = 1.0
    for v in reversed(topo):
        v._backward()
    return [v.grad for v in topo]


@pytest.mark.parametrize("seed", range(30))
def test_calling_backward_by_hand_in_backwards_order_is_backward_to_the_bit(seed: int) -> None:
    root = random_graph(random.Random(seed))
    order = creation_order([root])
    root.backward()
    expected = [v.grad for v in order]
    assert by_hand(root, order) == expected


@pytest.mark.parametrize("seed", range(30))
def test_calling_backward_by_hand_in_any_reverse_topological_order_is_backward(seed: int) -> None:
    # Depth first, as the lecture's build_topo walks: the same gradients, up to the order
    # in which a node's terms are added where it is an argument three times or more.
    root = random_graph(random.Random(seed))
    topo = topological_order([root])
    root.backward()
    expected = [v.grad for v in topo]
    got = by_hand(root, topo)
    assert got == pytest.approx(expected, rel=1e-12, abs=1e-300)


def test_by_hand_depth_first_differs_from_backward_only_in_the_order_of_adding() -> None:
    x = Value(1.0, "x")
    u1, u2, u3 = x * 0.1, x * 0.2, x * 0.3
    root = u3 + u2 + u1
    topo = topological_order([root])
    root.backward()
    assert x.grad == 0.6  # torch's order: u3's term first, then u2's, then u1's
    assert by_hand(root, topo)[0] == 0.1 + 0.2 + 0.3  # depth first reaches u1 first


def test_every_node_has_a_backward_and_a_leafs_does_nothing() -> None:
    x = Value(2.0, label="x")
    y = (x * 2 + 1).relu()
    for v in topological_order([y]):
        assert callable(v._backward)
    x.grad = 5.0
    x._backward()
    assert x.grad == 5.0
    two = y.children[0].children[0].children[1]
    assert two.is_constant
    two._backward()  # a constant's does nothing either


def test_the_lectures_neuron_by_hand() -> None:
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w2")
    b = Value(6.8813735870195432, label="b")
    x1w1, x2w2 = x1 * w1, x2 * w2
    x1w1x2w2 = x1w1 + x2w2
    n = x1w1x2w2 + b
    o = n.tanh()
    o.grad = 1.0
    o._backward()
    assert n.grad == pytest.approx(0.5)
    for node in (n, b, x1w1x2w2, x2w2, x1w1):
        node._backward()
    assert (x1.grad, w1.grad, x2.grad, w2.grad) == pytest.approx((-1.5, 1.0, 0.5, 0.0))


@pytest.mark.parametrize("name", ["tanh", "+", "*", "exp", "my_op", ""])
def test_a_users_closure_runs_as_written_whatever_its_op(name: str) -> None:
    """A learner's wrong derivative must show, even under a built-in op's name."""
    x = Value(0.5, label="x")
    t = math.tanh(x.data)
    out = Value(t, (x,), name)

    def _backward() -> None:
        x.grad += 10.0 * out.grad  # wrong on purpose

    out._backward = _backward
    (out * 1.0).backward()
    assert x.grad == 10.0
    assert out._op == name and out._backward is _backward


def test_a_closure_set_on_a_built_in_node_takes_over() -> None:
    x = Value(3.0)
    y = x * x
    y._backward = lambda: setattr(x, "grad", x.grad + 1.0)
    y.backward()
    assert x.grad == 1.0


def test_an_op_made_without_a_closure_passes_nothing_back() -> None:
    leaf = Value(1.0)
    Value(3.0, (leaf, leaf), "+").backward()
    assert leaf.grad == 0.0 and str(leaf.grad) == "0.0"


@pytest.mark.parametrize(
    ("make", "micrograd", "gradpipe"),
    [
        (lambda x: x, "", "value"),
        (lambda x: x + 1, "+", "add"),
        (lambda x: x * x, "*", "mul"),
        (lambda x: x**2, "**2", "pow"),
        (lambda x: x**-1, "**-1", "pow"),
        (lambda x: x**0.5, "**0.5", "pow"),
        (lambda x: x**2.0, "**2.0", "pow"),  # micrograd's f"**{other}": as written
        (lambda x: x**-1.0, "**-1.0", "pow"),
        (lambda x: x ** Value.constant(2.0), "**2", "pow"),
        (lambda x: x ** Value(2.0), "**", "pow"),
        (lambda x: x.relu(), "ReLU", "relu"),
        (lambda x: x.tanh(), "tanh", "tanh"),
        (lambda x: x.exp(), "exp", "exp"),
        (lambda x: x.log(), "log", "log"),
        (lambda x: x - 1, "-", "sub"),
        (lambda x: x / 2, "/", "div"),
        (lambda x: -x, "-", "neg"),
        (lambda x: Value.sum([x, x]), "+", "sum"),
        (lambda x: x.sigmoid(), "sigmoid", "sigmoid"),
        (lambda x: Value.constant(2.0), "", "const"),
    ],
)
def test_op_reads_as_micrographs_and_operation_as_gradpipes(
    make: object, micrograd: str, gradpipe: str
) -> None:
    assert callable(make)
    v = make(Value(2.0))
    assert (v._op, v.operation) == (micrograd, gradpipe)


def test_a_constants_grad_is_a_number_and_requires_grad_tells_it_apart() -> None:
    x = Value(2.0, label="x")
    y = 2 * x - 1
    y.backward()
    two = y.children[0].children[1]  # 2 * x is x * 2, as in micrograd and torch
    assert two.grad == 0.0 and isinstance(two.grad, float)
    assert "%.4f" % two.grad == "0.0000" and two.grad + 1.0 == 1.0  # noqa: UP031 (the lecture's)
    assert not two.requires_grad and x.requires_grad and y.requires_grad
    document = graph_from_value(y)
    document.has_gradients = True
    grads = {(n["op"], n["value"]): n["grad"] for n in document.to_document()["nodes"]}
    assert grads[("const", 2.0)] is None and grads[("const", 1.0)] is None  # SPEC 3: null
    assert grads[("value", 2.0)] == 2.0


class SetValue(Value):
    """The lecture's constructor pasted into a subclass: children in a set."""

    def __init__(self, data, _children=(), _op="", label=""):  # type: ignore[no-untyped-def]
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __mul__(self, other):  # type: ignore[no-untyped-def]
        other = other if isinstance(other, Value) else SetValue(other)
        out = SetValue(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out


def test_a_subclass_with_a_set_of_children_backpropagates() -> None:
    a, b = SetValue(3.0, label="a"), SetValue(-2.0, label="b")
    c = a * b
    d = c * a
    assert isinstance(d._prev, set)
    d.backward()  # gradpipe's backward over the subclass's sets and closures
    assert (a.grad, b.grad, d._op, a._op) == (2 * 3.0 * -2.0, 9.0, "*", "")
    assert d.operation == "*" and a.operation == "value"
    mixed = (c + 1.0).tanh()  # built-in ops over subclass nodes
    mixed.backward()
    assert a.grad == pytest.approx(-12.0 + (1 - mixed.data**2) * -2.0)


class NotesValue(Value):
    """The notes' first class body with a label, pasted into a subclass: no grad set at all."""

    def __init__(self, value: float, children: Any = (), operation: str = "", label: str = ""):
        self.value = value
        self.children = children
        self.operation = operation
        self.label = label

    def __add__(self, other: Any) -> NotesValue:
        return NotesValue(self.value + other.value, (self, other), "+")


class ValueOnly(Value):
    """The notes' very first class body: a value, nothing else."""

    def __init__(self, value: float) -> None:
        self.value = value


def test_a_subclass_that_sets_only_its_own_fields_still_has_gradpipes() -> None:
    a, b = NotesValue(1.5, label="a"), NotesValue(2.0, label="b")
    total = a + b
    assert repr(total) == "Value(data=3.5, grad=0.0)" and a.grad == 0.0
    product = total * a  # a built-in op over the subclass's nodes
    product.backward()
    # The notes' + has no closure yet, so it passes nothing back: a gets total's value only.
    assert (a.grad, b.grad, a._op, total._op) == (3.5, 0.0, "", "+")
    x = ValueOnly(3.0)
    assert (x.label, x._op, x._prev, x.grad) == ("", "", (), 0.0)
    (x * x).backward()
    assert x.grad == 6.0
    assert copy.deepcopy(x).data == 3.0 and pickle.loads(pickle.dumps(x)).grad == 6.0


@pytest.mark.parametrize("unset", [None, 0, 0.0])
def test_a_gradient_zeroed_as_torch_or_micrograd_does_is_filled_in(unset: float | None) -> None:
    # torch's zero_grad(set_to_none=True) leaves None; micrograd's zero_grad 0.
    w, x = Value(-3.0, label="w"), Value(2.0, label="x")
    for _ in range(2):
        w.grad = x.grad = unset  # type: ignore[assignment]
        (w * x + w).tanh().backward()
    assert (w.grad, x.grad) == pytest.approx(
        (3.0 * (1 - math.tanh(-9.0) ** 2), -3.0 * (1 - math.tanh(-9.0) ** 2))
    )


def test_a_plain_number_on_the_left_comes_second_as_in_micrograd() -> None:
    a = Value(3.0, "a")
    for made in (2 * a, 2 + a):
        assert made._prev[0] is a and made._prev[1].data == 2.0
    assert (2 - a)._prev[1] is a and (2 / a)._prev[1] is a  # not commutative: kept in order


def test_a_graph_rewired_against_creation_order_is_walked_depth_first() -> None:
    x = Value(2.0, "x")
    p = x * 2
    q = p * 3
    root = q + 0
    later = x * 7
    p._prev = (later, p._prev[1])  # p now uses a node made after it
    root.backward()
    assert x.grad == 42.0 and later.grad == 6.0
    assert creation_order([root]) == topological_order([root])


def test_a_rewired_edge_to_a_node_already_reached_is_caught_too() -> None:
    x = Value(3.0, "x")
    v = x + 0.0
    c = x * 2.0
    v._prev = (c, x)  # v uses c, made after it; c is reached first, from root
    for root in (c + v, v + c):
        x.grad = 0.0
        root.backward()
        assert x.grad == 5.0  # root = c + (c + x), c = 2x


def test_children_read_as_a_tuple_whatever_the_arity() -> None:
    a, b, c = Value(1.0, "a"), Value(2.0, "b"), Value(3.0, "c")
    assert a._prev == () and a.children == ()
    assert (-a)._prev == (a,) and (a * a)._prev == (a, a)
    for terms in ([a], [a, b], [a, b, c], [a, 2.0, a]):
        total = Value.sum(terms)
        assert [t.data for t in total._prev] == [
            t if isinstance(t, float) else t.data for t in terms
        ]
        total.backward()
        assert a.grad == terms.count(a)
        a.grad = 0.0
    made = Value(5.0, iter([a, b]), "f")
    assert made._prev == (a, b) and made.operation == "f"
    assert Value(5.0, iter(()))._prev == () and Value(5.0, iter(())).operation == "value"


def test_children_set_by_hand_rewire_the_node_for_every_reader() -> None:
    x, y = Value(2.0, "x"), Value(3.0, "y")
    v = x * y
    v.children = (y, y)  # now y * y
    assert v._prev == (y, y)
    v.backward()
    assert (x.grad, y.grad) == (0.0, 6.0)  # d(y*y)/dy, as the mul rule gives it
    v._prev = [x]
    assert v._prev == (x,) and v.children == (x,)  # a built-in op keeps its arguments in slots


def test_creation_order_puts_arguments_first_and_computed_nodes_as_made() -> None:
    root = random_graph(random.Random(7))
    order = creation_order([root])
    assert sorted(order, key=id) == sorted(topological_order([root]), key=id)
    position = {v: k for k, v in enumerate(order)}
    assert all(position[c] < position[v] for v in order for c in v._prev)
    made = [v for v in order if v._prev]
    assert made == sorted(made, key=lambda v: v._seq)


@pytest.mark.parametrize("seed", range(20))
def test_backward_over_the_nodes_as_created_is_backward_to_the_bit(seed: int) -> None:
    rng = random.Random(seed)
    root = random_graph(rng)
    order = creation_order([root])
    root.backward()
    expected = [(v.grad, math.copysign(1.0, v.grad)) for v in order]
    aside = [Value(2.0) * v for v in order[:3]]  # made later, not reached from root
    for v in order:
        if v.requires_grad:
            v.grad = 5.0  # backward_over starts from zero, leaves included
    backward_over(root, [*order, *aside])
    assert [(v.grad, math.copysign(1.0, v.grad)) for v in order] == expected
    assert all(v.grad == 0.0 and math.copysign(1.0, v.grad) == 1.0 for v in aside)


def test_backward_over_nodes_out_of_creation_order_is_still_backward() -> None:
    root = random_graph(random.Random(3))
    topo = topological_order([root])
    root.backward()
    expected = [v.grad for v in topo]
    backward_over(root, topo[::-1])  # not as created: walked by backward itself
    assert [v.grad for v in topo] == expected


def test_a_graph_survives_copy_and_pickle() -> None:
    a, b = Value(2.0, "a"), Value(3.0, "b")
    root = Value.sum([a * b, a.tanh(), b, Value.sum([a, b, a])])
    for copied in (copy.deepcopy(root), pickle.loads(pickle.dumps(root))):
        copied.backward()
        leaves = {v.label: v.grad for v in topological_order([copied]) if v.label}
        assert leaves == {"a": 3.0 + (1 - math.tanh(2.0) ** 2) + 2.0, "b": 2.0 + 1.0 + 1.0}
        assert len(copied._prev) == 4 and len(copied._prev[3]._prev) == 3


LOAD_AND_EXTEND = """
import pickle, sys
from gradpipe.engine import creation_order
x, h, c = pickle.loads(sys.stdin.buffer.read())
y = h * h + x  # made after loading: the loaded nodes' numbers are this process's
y.backward()
c.backward()
print(x.grad.hex(), [v.operation for v in creation_order([y])], c._prev[1].is_constant)
"""


def test_a_graph_pickled_in_one_process_extends_in_another() -> None:
    x = Value(2.0, label="x")
    for _ in range(1000):  # creation numbers this process has used, the loader has not
        x * 1.0
    h = (x * 3.0).tanh()
    data = pickle.dumps((x, h, Value(-3.0) ** 2))
    run = subprocess.run(
        [sys.executable, "-c", LOAD_AND_EXTEND], input=data, capture_output=True, check=True
    )
    same = Value(2.0)
    twin = (same * 3.0).tanh()
    (twin * twin + same).backward()  # the same graph, built and extended here: 1.000147...
    assert run.stdout.decode().split(None, 1)[0] == same.grad.hex()
    assert "['value', 'const', 'mul', 'tanh', 'mul', 'add'] True" in run.stdout.decode()


@pytest.mark.parametrize("given", [list, set, tuple])
def test_a_built_in_node_rewired_by_hand_with_any_collection_backpropagates(given: type) -> None:
    a, b, c = Value(2.0, "a"), Value(3.0, "b"), Value(5.0, "c")
    m = a * b
    m._prev = given([a, c])  # now a * c (a set's order is its own: the product's is not)
    m.backward()
    assert (a.grad, b.grad, c.grad) == (5.0, 0.0, 2.0)
    t = a.tanh()
    t.children = given([c])
    t.grad = 1.0
    t._backward()  # by hand, as the lecture does
    assert c.grad == 2.0 + (1 - t.data**2)
