"""The leanest engine we know how to write for the workloads: the engine figure's floor.

It does the arithmetic gradpipe does, in gradpipe's order (torch's tanh and tanh-backward
kernels, contributions added latest created node first, sums left to right), and nothing
else: five ops, one slotted object a node, every op inlined in its operator, no
constants, labels, checks of finiteness, user closures or fallbacks. How fast it runs
against micrograd bounds what any engine giving torch's numbers can reach in this Python
(``benchmarks/engine.py`` reports it beside gradpipe). Not a library: only the workloads'
programs are meant to run on it.
"""

from __future__ import annotations

import itertools
from collections.abc import Sequence
from operator import attrgetter
from typing import Any

from gradpipe.engine.kernels import one_minus_square, tanh

_new = object.__new__
_created = itertools.count().__next__
_creation = attrgetter("_seq")
MUL, ADD, TANH, RELU, SUM = range(5)


class Lean:
    """A node: value, gradient, op, arguments (``_b is ...``: ``_a`` holds them all)."""

    __slots__ = ("_a", "_b", "_op", "_seq", "data", "grad")

    def __init__(self, data: float, label: str = "") -> None:
        self.data = float(data)
        self.grad = 0.0
        self._a = self._b = None
        self._op = -1
        self._seq = -1

    @property
    def _prev(self) -> tuple[Lean, ...]:
        a, b = self._a, self._b
        return () if a is None else (a,) if b is None else a if b is ... else (a, b)

    def __mul__(self, other: Lean | float) -> Lean:
        if type(other) is not Lean:
            other = Lean(other)  # type: ignore[arg-type]
        out = _new(Lean)
        out.data = self.data * other.data
        out.grad = 0.0
        out._op = MUL
        out._a = self
        out._b = other
        out._seq = _created()
        return out

    def __add__(self, other: Lean | float) -> Lean:
        if type(other) is not Lean:
            other = Lean(other)  # type: ignore[arg-type]
        out = _new(Lean)
        out.data = self.data + other.data
        out.grad = 0.0
        out._op = ADD
        out._a = self
        out._b = other
        out._seq = _created()
        return out

    def __rmul__(self, other: float) -> Lean:
        return Lean(other) * self

    def __radd__(self, other: float) -> Lean:
        return Lean(other) + self

    def tanh(self) -> Lean:
        out = _new(Lean)
        out.data = tanh(self.data)
        out.grad = 0.0
        out._op = TANH
        out._a = self
        out._b = None
        out._seq = _created()
        return out

    def relu(self) -> Lean:
        x = self.data
        out = _new(Lean)
        out.data = 0.0 if x < 0.0 else x
        out.grad = 0.0
        out._op = RELU
        out._a = self
        out._b = None
        out._seq = _created()
        return out

    def backward(self) -> None:
        """Find the nodes breadth first, sort them by creation, apply latest first."""
        seen = float("-0.0")  # a fresh object marks a node as found (gradpipe's trick)
        self.grad = seen
        order = [self]
        for v in order:
            a, b = v._a, v._b
            if a is None:
                continue
            for c in (a,) if b is None else a if b is ... else (a, b):
                if c.grad is not seen:
                    c.grad = seen
                    order.append(c)
        order.sort(key=_creation)
        self.grad = 1.0
        for v in reversed(order):
            op, g = v._op, v.grad
            if op == MUL:
                a, b = v._a, v._b
                a.grad += g * b.data
                b.grad += g * a.data
            elif op == ADD:
                a, b = v._a, v._b
                a.grad += g
                b.grad += g
            elif op == TANH:
                v._a.grad += g * one_minus_square(v.data)
            elif op == RELU:
                v._a.grad += g if v.data > 0.0 else 0.0
            elif op == SUM:
                for c in v._a:
                    c.grad += g


def lean_sum(terms: Sequence[Any]) -> Lean:
    """One node adding all ``terms``, left to right."""
    children = tuple(terms)
    data = children[0].data
    for c in children[1:]:
        data += c.data
    out = _new(Lean)
    out.data = data
    out.grad = 0.0
    out._op = SUM
    out._a = children
    out._b = ...
    out._seq = _created()
    return out
