"""A built graph re-evaluated in place: new leaf values, same nodes, no Values made.

``sweep`` evaluates one graph at thousands of points and ``check`` at dozens per leaf.
Loading the spec again for each point would spend nearly all the time reading and
building; a ``Replay`` instead fixes the engine's topological order once, keeps every
node's value in a flat list, and recomputes only the nodes that depend on the leaves
that move (the others keep their values). Backward runs over the output's ancestors in
the order ``Value.backward`` uses, with its formulas, so values and gradients are the
engine's to the bit (``tests/test_replay.py`` compares them on random graphs).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass

from gradpipe.engine.kernels import one_minus_square
from gradpipe.engine.kernels import tanh as _hyperbolic_tangent
from gradpipe.engine.ops import power as _power
from gradpipe.engine.value import Value, _pow, _power_problem, _show, creation_order

# Ops whose local derivative jumps, or whose domain ends, where an argument crosses 0:
# relu's kink, division's pole, and a power whose exponent is below 1 (x ** 0.5, x ** -1)
# or variable. A difference quotient across such a point measures nothing.
_EDGES = {"relu": 0, "div": 1}


class Unevaluable(ArithmeticError):
    """The math fails at this point: a value or gradient would be NaN or infinite."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class Watch:
    """An argument whose sign matters: ``node``'s argument at ``position`` in the order."""

    node: int
    argument: int
    what: str


class Replay:
    """``graph``'s output as a function of some leaves, evaluated without rebuilding.

    ``ids`` names the Values (a graph document's ids); ``moving`` are the leaves whose
    values change between evaluations. Nodes that the output does not depend on are
    never evaluated: they cannot fail at a point the output is computed at.
    """

    def __init__(self, root: Value, ids: Mapping[Value, str], moving: Iterable[str]) -> None:
        order = creation_order((root,))
        self.order = order
        self.names = [ids.get(v, "") or v.label for v in order]
        position = {v: k for k, v in enumerate(order)}
        self.position = {name: k for k, name in enumerate(self.names)}
        self.values = [v.data for v in order]
        self.base = list(self.values)
        self.live = [v.requires_grad for v in order]
        self.children = [tuple(position[c] for c in v._prev) for v in order]
        self.ops = [v.operation for v in order]
        for k, v in enumerate(order):
            if v._prev and v.operation not in _FORWARD:
                raise ValueError(
                    f"node '{self.names[k]}' has op {v.operation!r}, which cannot replay"
                )
        self.root = len(order) - 1
        self.moving: list[int] = []
        self.steps: list[int] = []
        self.watches: list[Watch] = []
        self.focus(moving)

    def focus(self, moving: Iterable[str]) -> None:
        """Let ``moving`` be the leaves that change: only the nodes they reach are recomputed.

        Every node goes back to its value in the graph.
        """
        self.values[:] = self.base  # the nodes the previous leaves moved, too
        self.moving = [self.position[name] for name in moving if name in self.position]
        depends = [False] * len(self.order)
        for k in self.moving:
            depends[k] = True
        for k, kids in enumerate(self.children):
            if kids and any(depends[c] for c in kids):
                depends[k] = True
        self.steps = [k for k in range(len(self.order)) if depends[k] and self.children[k]]
        self.watches = [w for k in self.steps for w in self._watches(k)]

    def _watches(self, k: int) -> list[Watch]:
        op, kids = self.ops[k], self.children[k]
        if op == "pow":
            base, exponent = kids
            if self.live[exponent] or (self.base[exponent] < 1.0 and self.base[exponent] != 0.0):
                return [Watch(k, base, "base")]
            return []
        if op in _EDGES:
            return [Watch(k, kids[_EDGES[op]], "argument")]
        return []

    def depends_on(self, leaf: str) -> bool:
        """Whether the output depends on ``leaf`` (is one of its ancestors)."""
        return leaf in self.position

    def evaluate(self, point: Mapping[str, float]) -> float:
        """The output with the moving leaves at ``point`` (Unevaluable where the math fails).

        Leaves not in ``point`` keep their values from the graph.
        """
        values = self.values
        for k in self.moving:
            values[k] = self.base[k]
        for name, x in point.items():
            at = self.position.get(name)
            if at is not None:
                values[at] = x
        children, ops, forward = self.children, self.ops, _FORWARD
        for k in self.steps:
            kids = children[k]
            try:
                x = forward[ops[k]](values, kids, self.live)
            except (OverflowError, ValueError, ZeroDivisionError) as error:
                problem = _problem(ops[k], values, kids, error)
                raise Unevaluable(f"{problem} at {self.describe(k)}") from None
            if x - x != 0.0:
                raise Unevaluable(f"value is {_show(x)} at {self.describe(k)}")
            values[k] = x
        return values[self.root]

    def watched(self) -> list[str]:
        """The watched arguments' nodes, as the verdicts of ``check`` name them."""
        return [self.describe(w.node) for w in self.watches]

    def signs(self) -> tuple[int, ...]:
        """The sign (-1, 0, 1) of every watched argument at the last evaluation."""
        values = self.values
        return tuple(_sign(values[w.argument]) for w in self.watches)

    def gradients(self) -> list[float]:
        """d(output)/d(node) for every node at the last evaluation (0 for constants).

        Unevaluable where a gradient is not finite, as ``Value.backward`` fails there.
        """
        values, live, children, ops = self.values, self.live, self.children, self.ops
        # As in the engine, a gradient starts at -0.0: its first contribution is its value.
        grads = [-0.0 if alive else 0.0 for alive in live]
        grads[self.root] = 1.0
        backward = _BACKWARD
        for k in range(self.root, -1, -1):
            if not live[k]:
                continue
            g = grads[k]
            if g - g != 0.0:
                raise Unevaluable(f"gradient of {self.describe(k)} is {_show(g)}")
            kids = children[k]
            if kids:
                failure = backward[ops[k]](values, grads, live, k, kids, g)
                if failure:
                    raise Unevaluable(f"{failure} at {self.describe(k)}")
        return grads

    def describe(self, k: int) -> str:
        """A node as error messages name it: ``node 'n' (log)``."""
        name = self.names[k]
        return f"node '{name}' ({self.ops[k]})" if name else f"an unnamed node ({self.ops[k]})"


def replay_of(graph: object, moving: Iterable[str], output: str | None = None) -> Replay:
    """A Replay of a documents ``Graph`` (its ids name the nodes)."""
    from gradpipe.documents.graph import Graph

    assert isinstance(graph, Graph)
    root = graph.node(graph.output if output is None else output)
    return Replay(root, dict(zip(graph.nodes, graph.ids, strict=True)), moving)


def _sign(x: float) -> int:
    return (x > 0.0) - (x < 0.0)


def _problem(op: str, values: list[float], kids: Sequence[int], error: Exception) -> str:
    if op == "div":
        return "division by zero"
    if op == "exp":
        return "exp overflows"
    if op == "log":
        return f"log of {_show(values[kids[0]])}"
    if op == "pow":
        return _power_problem(values[kids[0]], values[kids[1]])
    return str(error)


# Forward: a node's value from its arguments' values, as the engine's ops compute it.
Forward = Callable[[list[float], Sequence[int], list[bool]], float]


def _log(v: list[float], k: Sequence[int], live: list[bool]) -> float:
    x = v[k[0]]
    if x <= 0.0:
        raise ValueError("log")
    return math.log(x)


def _div(v: list[float], k: Sequence[int], live: list[bool]) -> float:
    return v[k[0]] / v[k[1]]  # ZeroDivisionError where the engine refuses


def _pow_forward(v: list[float], k: Sequence[int], live: list[bool]) -> float:
    x, y = v[k[0]], v[k[1]]
    return _pow(x, y) if live[k[1]] else _power(x, y)


def _sigmoid(v: list[float], k: Sequence[int], live: list[bool]) -> float:
    try:
        return 1.0 / (1.0 + math.exp(-v[k[0]]))
    except OverflowError:
        return 0.0


def _sum(v: list[float], k: Sequence[int], live: list[bool]) -> float:
    total = v[k[0]]
    for c in k[1:]:
        total += v[c]
    return total


_FORWARD: dict[str, Forward] = {
    "add": lambda v, k, _: v[k[0]] + v[k[1]],
    "sub": lambda v, k, _: v[k[0]] - v[k[1]],
    "mul": lambda v, k, _: v[k[0]] * v[k[1]],
    "div": _div,
    "neg": lambda v, k, _: -v[k[0]],
    "pow": _pow_forward,
    "exp": lambda v, k, _: math.exp(v[k[0]]),
    "log": _log,
    "tanh": lambda v, k, _: _hyperbolic_tangent(v[k[0]]),
    "relu": lambda v, k, _: 0.0 if (x := v[k[0]]) < 0.0 else x,
    "sigmoid": _sigmoid,
    "sum": _sum,
}

# Backward: add a node's gradient g times each local derivative into its arguments'
# gradients, in ``Value.backward``'s formulas and order; a message where it fails.
Backward = Callable[[list[float], list[float], list[bool], int, Sequence[int], float], "str | None"]


def _add_back(
    v: list[float], g_: list[float], live: list[bool], n: int, k: Sequence[int], g: float
) -> str | None:
    for c in k:
        if live[c]:
            g_[c] += g
    return None


def _sub_back(
    v: list[float], g_: list[float], live: list[bool], n: int, k: Sequence[int], g: float
) -> str | None:
    a, b = k
    if live[a]:
        g_[a] += g
    if live[b]:
        g_[b] += -g
    return None


def _mul_back(
    v: list[float], g_: list[float], live: list[bool], n: int, k: Sequence[int], g: float
) -> str | None:
    a, b = k
    if live[a]:
        g_[a] += g * v[b]
    if live[b]:
        g_[b] += g * v[a]
    return None


def _div_back(
    v: list[float], g_: list[float], live: list[bool], n: int, k: Sequence[int], g: float
) -> str | None:
    a, b = k
    if live[a]:
        g_[a] += g / v[b]
    if live[b]:
        g_[b] += -g * ((v[a] / v[b]) / v[b])
    return None


def _pow_back(
    v: list[float], g_: list[float], live: list[bool], n: int, k: Sequence[int], g: float
) -> str | None:
    a, b = k
    x, y = v[a], v[b]
    if live[a] and y == 0.0:
        g_[a] += 0.0  # torch's zeros where the exponent is 0
    elif live[a]:
        try:
            power = _pow(x, y - 1.0) if live[b] else _power(x, y - 1.0)
        except (ValueError, OverflowError, ZeroDivisionError):
            return "gradient of the base is infinite"
        g_[a] += g * (y * power)
    if live[b]:
        if x > 0.0:
            g_[b] += g * (v[n] * math.log(x))
        elif x == 0.0 and y >= 0.0:
            g_[b] += g * 0.0
        else:
            return f"gradient of the exponent needs ln of {_show(x)}"
    return None


def _relu_back(
    v: list[float], g_: list[float], live: list[bool], n: int, k: Sequence[int], g: float
) -> str | None:
    g_[k[0]] += g if v[n] > 0.0 else 0.0
    return None


def _neg_back(
    v: list[float], g_: list[float], live: list[bool], n: int, k: Sequence[int], g: float
) -> str | None:
    g_[k[0]] += -g
    return None


def _tanh_back(
    v: list[float], g_: list[float], live: list[bool], n: int, k: Sequence[int], g: float
) -> str | None:
    g_[k[0]] += g * one_minus_square(v[n])
    return None


def _exp_back(
    v: list[float], g_: list[float], live: list[bool], n: int, k: Sequence[int], g: float
) -> str | None:
    g_[k[0]] += g * v[n]
    return None


def _log_back(
    v: list[float], g_: list[float], live: list[bool], n: int, k: Sequence[int], g: float
) -> str | None:
    g_[k[0]] += g / v[k[0]]
    return None


def _sigmoid_back(
    v: list[float], g_: list[float], live: list[bool], n: int, k: Sequence[int], g: float
) -> str | None:
    s = v[n]
    g_[k[0]] += g * (1.0 - s) * s
    return None


_BACKWARD: dict[str, Backward] = {
    "add": _add_back,
    "sum": _add_back,
    "sub": _sub_back,
    "mul": _mul_back,
    "div": _div_back,
    "pow": _pow_back,
    "neg": _neg_back,
    "tanh": _tanh_back,
    "exp": _exp_back,
    "log": _log_back,
    "relu": _relu_back,
    "sigmoid": _sigmoid_back,
}
