"""A scalar autograd engine in micrograd's style, with PyTorch float64 semantics.

Each op computes its value eagerly; ``backward`` walks the graph in reverse topological
order and applies each op's local derivative. Nothing here recurses per node, knows
about files, or imports anything beyond the standard library.

A node whose ``grad`` is ``None`` is constant (a wrapped plain number, or an op on
constants only): like a PyTorch tensor without ``requires_grad``, it takes part in the
forward pass but neither receives nor passes on a gradient.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from functools import reduce
from operator import add as _add
from typing import TYPE_CHECKING, Union

from gradpipe.errors import MathError

if TYPE_CHECKING:
    import graphviz

Number = Union[int, float]
Operand = Union["Value", int, float]

_exp = math.exp
_log = math.log
_tanh = math.tanh
_pow = math.pow
_sqrt = math.sqrt

# Symbols shown in diagrams and used in formulas.
OP_SYMBOLS = {
    "add": "+",
    "sub": "-",
    "mul": "*",
    "div": "/",
    "neg": "-",
    "pow": "**",
    "exp": "exp",
    "log": "log",
    "tanh": "tanh",
    "relu": "relu",
    "sigmoid": "sigmoid",
    "sum": "sum",
}
# How many arguments each op takes; None means one or more.
OP_ARITY: dict[str, int | None] = {
    "add": 2,
    "sub": 2,
    "mul": 2,
    "div": 2,
    "neg": 1,
    "pow": 2,
    "exp": 1,
    "log": 1,
    "tanh": 1,
    "relu": 1,
    "sigmoid": 1,
    "sum": None,
}
LEAF = "value"
CONST = "const"


class Value:
    """A scalar in an expression graph: its value, gradient, label, op and children."""

    __slots__ = ("data", "grad", "label", "_op", "_prev")

    data: float
    grad: float | None
    label: str
    _op: str
    _prev: tuple[Value, ...]

    def __init__(self, data: Number, label: str = "") -> None:
        if isinstance(data, bool) or not isinstance(data, (int, float)):
            raise TypeError(f"Value needs a number, not {type(data).__name__}")
        self.data = float(data)
        self.grad = 0.0
        self.label = label
        self._op = LEAF
        self._prev = ()
        _check(self, self.data)

    # The notes' names for micrograd's `data` and `grad`.
    @property
    def value(self) -> float:
        """The node's value (micrograd's ``data``)."""
        return self.data

    @value.setter
    def value(self, data: float) -> None:
        self.data = data

    @property
    def gradient(self) -> float | None:
        """d(output)/d(this node) after ``backward``; ``None`` for a constant."""
        return self.grad

    @gradient.setter
    def gradient(self, grad: float | None) -> None:
        self.grad = grad

    @property
    def operation(self) -> str:
        """The op's name: ``value`` for a leaf, ``const`` for a literal, else e.g. ``mul``."""
        return self._op

    @property
    def children(self) -> tuple[Value, ...]:
        """The op's arguments, in order, repeats kept (``a + a`` has two)."""
        return self._prev

    @property
    def is_constant(self) -> bool:
        """True when the node depends on no leaf, so it takes no gradient."""
        return self.grad is None

    @classmethod
    def constant(cls, data: Number, label: str = "") -> Value:
        """A literal: takes part in the forward pass, gets no gradient."""
        out = cls(data, label)
        out.grad = None
        out._op = CONST
        return out

    def __repr__(self) -> str:
        return f"Value(data={self.data}, grad={self.grad})"

    # Binary ops: value first, local derivatives in `backward`.
    def __add__(self, other: Operand) -> Value:
        other = _wrap(other)
        return _node(self.data + other.data, "add", (self, other))

    def __sub__(self, other: Operand) -> Value:
        other = _wrap(other)
        return _node(self.data - other.data, "sub", (self, other))

    def __mul__(self, other: Operand) -> Value:
        other = _wrap(other)
        return _node(self.data * other.data, "mul", (self, other))

    def __truediv__(self, other: Operand) -> Value:
        other = _wrap(other)
        children = (self, other)
        if other.data == 0.0:
            raise _math_error("division by zero", "div", children)
        return _node(self.data / other.data, "div", children)

    def __pow__(self, other: Operand) -> Value:
        other = _wrap(other)
        children = (self, other)
        return _node(_power(self.data, other.data, children), "pow", children)

    def __radd__(self, other: Number) -> Value:
        return _wrap(other) + self

    def __rsub__(self, other: Number) -> Value:
        return _wrap(other) - self

    def __rmul__(self, other: Number) -> Value:
        return _wrap(other) * self

    def __rtruediv__(self, other: Number) -> Value:
        return _wrap(other) / self

    def __rpow__(self, other: Number) -> Value:
        return _wrap(other) ** self

    def __neg__(self) -> Value:
        return _node(-self.data, "neg", (self,))

    def __pos__(self) -> Value:
        return self

    # Unary functions.
    def exp(self) -> Value:
        """e to the power of this node."""
        try:
            data = _exp(self.data)
        except OverflowError:
            raise _math_error("exp overflows", "exp", (self,)) from None
        return _node(data, "exp", (self,))

    def log(self) -> Value:
        """The natural logarithm; defined for positive values only."""
        if self.data <= 0.0:
            raise _math_error(f"log of {_show(self.data)}", "log", (self,))
        return _node(_log(self.data), "log", (self,))

    def tanh(self) -> Value:
        """The hyperbolic tangent."""
        return _node(_tanh(self.data), "tanh", (self,))

    def relu(self) -> Value:
        """max(0, x), with derivative 0 at 0 as in PyTorch."""
        x = self.data
        return _node(x if x > 0.0 else 0.0, "relu", (self,))

    def sigmoid(self) -> Value:
        """1 / (1 + e^-x), as PyTorch computes it, without overflow for any x."""
        x = self.data
        try:
            data = 1.0 / (1.0 + _exp(-x))
        except OverflowError:
            data = 0.0
        return _node(data, "sigmoid", (self,))

    @staticmethod
    def sum(terms: Iterable[Operand]) -> Value:
        """One node adding any number (at least one) of terms, left to right."""
        children = tuple(_wrap(t) for t in terms)
        if not children:
            raise ValueError("sum needs at least one term")
        return _node(reduce(_add, [c.data for c in children]), "sum", children)

    def backward(self) -> None:
        """Backpropagate from this node: its gradient is 1, every node's is d(self)/d(node).

        Leaves accumulate (as in micrograd and PyTorch, so a training loop zeroes them);
        the gradients of computed nodes are recomputed from zero.
        """
        topo = topological_order((self,))
        for v in topo:
            if v._prev and v.grad is not None:
                v.grad = 0.0
        if self.grad is None:
            return
        self.grad = 1.0
        for v in reversed(topo):
            g = v.grad
            if g is None:
                continue
            if g - g != 0.0:
                raise _gradient_error(v, topo)
            op = v._op
            prev = v._prev
            if op == "mul":
                a, b = prev
                if a.grad is not None:
                    a.grad += g * b.data
                if b.grad is not None:
                    b.grad += g * a.data
            elif op == "add":
                a, b = prev
                if a.grad is not None:
                    a.grad += g
                if b.grad is not None:
                    b.grad += g
            elif op == "sum":
                for c in prev:
                    if c.grad is not None:
                        c.grad += g
            elif op == "tanh":
                (a,) = prev
                t = v.data
                a.grad += g * (1.0 - t * t)  # type: ignore[operator]
            elif op == "relu":
                (a,) = prev
                if v.data > 0.0:
                    a.grad += g  # type: ignore[operator]
            elif op == "sub":
                a, b = prev
                if a.grad is not None:
                    a.grad += g
                if b.grad is not None:
                    b.grad += -g
            elif op == "pow":
                _pow_backward(v, g)
            elif op == "neg":
                (a,) = prev
                a.grad += -g  # type: ignore[operator]
            elif op == "div":
                a, b = prev
                if a.grad is not None:
                    a.grad += g / b.data
                if b.grad is not None:
                    b.grad += -g * ((a.data / b.data) / b.data)
            elif op == "exp":
                (a,) = prev
                a.grad += g * v.data  # type: ignore[operator]
            elif op == "log":
                (a,) = prev
                a.grad += g / a.data  # type: ignore[operator]
            elif op == "sigmoid":
                (a,) = prev
                s = v.data
                a.grad += g * (1.0 - s) * s  # type: ignore[operator]

    def render_graph(self) -> graphviz.Digraph:
        """The graph drawn as micrograd's ``draw_dot`` draws it (shows inline in Jupyter)."""
        from gradpipe.render import draw_graph  # only drawing needs graphviz

        return draw_graph(self)


def apply(op: str, args: Sequence[Value]) -> Value:
    """Compute ``op`` (a name of the op table) over ``args``: the documents' entry point."""
    if op == "sum":
        return Value.sum(args)
    arity = OP_ARITY.get(op)
    if arity is None or len(args) != arity:
        raise ValueError(f"op {op!r} takes {arity} arguments, not {len(args)}")
    if arity == 1:
        return _UNARY[op](args[0])
    return _BINARY[op](args[0], args[1])


_UNARY = {
    "neg": Value.__neg__,
    "exp": Value.exp,
    "log": Value.log,
    "tanh": Value.tanh,
    "relu": Value.relu,
    "sigmoid": Value.sigmoid,
}
_BINARY = {
    "add": Value.__add__,
    "sub": Value.__sub__,
    "mul": Value.__mul__,
    "div": Value.__truediv__,
    "pow": Value.__pow__,
}


def topological_order(roots: Iterable[Value]) -> list[Value]:
    """Every node reachable from ``roots``, arguments before their users, by a loop.

    The order is deterministic: children are visited in order, roots in order.
    """
    order: list[Value] = []
    visited: set[Value] = set()
    append = order.append
    for root in roots:
        if root in visited:
            continue
        visited.add(root)
        stack: list[tuple[Value, int]] = [(root, 0)]
        while stack:
            node, i = stack[-1]
            prev = node._prev
            if i < len(prev):
                stack[-1] = (node, i + 1)
                child = prev[i]
                if child not in visited:
                    visited.add(child)
                    stack.append((child, 0))
            else:
                stack.pop()
                append(node)
    return order


_new = object.__new__


def _node(data: float, op: str, children: tuple[Value, ...]) -> Value:
    """A computed node; constant when every argument is."""
    out = _new(Value)
    out.data = data
    out.grad = None
    for c in children:
        if c.grad is not None:
            out.grad = 0.0
            break
    out.label = ""
    out._op = op
    out._prev = children
    if data - data != 0.0:
        raise _math_error(f"value is {_show(data)}", op, children, out)
    return out


def _wrap(x: Operand) -> Value:
    if isinstance(x, Value):
        return x
    if isinstance(x, bool) or not isinstance(x, (int, float)):
        raise TypeError(f"unsupported operand for Value: {type(x).__name__}")
    return Value.constant(x)


def _check(v: Value, data: float) -> None:
    if data - data != 0.0:
        raise MathError(f"value of {_describe(v)} is {_show(data)}", v)


def _power(a: float, b: float, children: tuple[Value, ...]) -> float:
    try:
        return _pow(a, b)
    except (ValueError, OverflowError, ZeroDivisionError):
        if a == 0.0 and b < 0.0:
            problem = f"0 ** {_show(b)} is infinite"
        elif a < 0.0:
            problem = f"negative base {_show(a)} ** {_show(b)} has no real value"
        else:
            problem = f"{_show(a)} ** {_show(b)} overflows"
        raise _math_error(problem, "pow", children) from None


def _pow_backward(v: Value, g: float) -> None:
    """d(a**b)/da = b·a**(b-1) (0 where b == 0); d(a**b)/db = a**b·ln a (0 where a == 0, b >= 0)."""
    a, b = v._prev
    x, y = a.data, b.data
    if a.grad is not None and y != 0.0:
        try:
            local = y * _pow(x, y - 1.0)
        except (ValueError, OverflowError, ZeroDivisionError):
            raise MathError(
                f"gradient of {_describe(a)} is infinite at {_describe(v)}", v
            ) from None
        a.grad += g * local
    if b.grad is not None:
        if x > 0.0:
            b.grad += g * (v.data * _log(x))
        elif x < 0.0 or y < 0.0:
            raise MathError(
                f"gradient of {_describe(b)} needs ln of {_show(x)} at {_describe(v)}", v
            )


def _math_error(
    problem: str, op: str, children: tuple[Value, ...], node: Value | None = None
) -> MathError:
    """An error at a node being built; the node exists only for the message."""
    if node is None:
        node = _new(Value)
        node.data = math.nan
        node.grad = None
        node.label = ""
        node._op = op
        node._prev = children
    return MathError(f"{problem} at {_describe(node)}", node)


def _gradient_error(v: Value, topo: list[Value]) -> MathError:
    """Name the node whose gradient is not finite, and the users it came from."""
    users = [u for u in topo if any(c is v for c in u._prev)]
    origin = ", ".join(_describe(u) for u in users) or "the output"
    return MathError(f"gradient of {_describe(v)} is {_show(v.grad)} (from {origin})", v)


def _describe(v: Value) -> str:
    name = f"'{v.label}'" if v.label else "an unnamed node"
    return f"node {name} ({v._op})"


def _show(x: float | None) -> str:
    if x is None or x != x:
        return "NaN"
    if x in (math.inf, -math.inf):
        return "infinite" if x > 0 else "-infinite"
    return repr(x)
