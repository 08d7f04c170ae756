"""Random graphs run on gradpipe and on PyTorch float64 side by side, compared bit for bit.

``python -m benchmarks.differential [--graphs 25000] [--seed 0]`` prints how many values
and gradients are bit-identical, and by which op they first differ. Each graph is one
random program, run in lockstep on both engines, in the order a user would write it: the
same leaves, the same operators with the same plain numbers, the same reuse of earlier
nodes. Torch is the reference (its CPU kernels, its autograd engine and its order of
adding a node's gradient contributions); nothing here mirrors gradpipe's own order.

What a program draws: 1 to 4 leaves (ordinary numbers, integers, tiny and huge
magnitudes, zero), then 2 to 24 steps, each an op of the SPEC table (add, sub, mul,
div, neg, pow with a constant or a variable exponent or a constant base, exp, log, tanh,
relu, sigmoid, n-ary sum) over earlier nodes (recent ones more often, so nodes are reused)
or plain numbers on either side. A step whose value is not finite on either engine is
dropped (gradpipe refuses NaN and infinities); so is a graph whose backward overflows.
"""

from __future__ import annotations

import argparse
import math
import random
import struct
import sys
import warnings
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from gradpipe.engine import Value
from gradpipe.errors import MathError

UNARY = ("neg", "exp", "log", "tanh", "relu", "sigmoid")
BINARY = ("add", "sub", "mul", "div", "pow")
OPS = (*BINARY, *UNARY, "sum")
EXPONENTS = (2, 3, -1, -2, 0.5, -0.5, 0, 1, 4, 1.5, 2.5, -3, 0.25)


def bits(x: float) -> int:
    """The IEEE 754 bit pattern, so that -0.0 and 0.0 differ as bits do."""
    return int(struct.unpack("<q", struct.pack("<d", x))[0])


def leaf_value(rng: random.Random) -> float:
    """A leaf: mostly ordinary numbers, sometimes integers, zero, tiny or huge ones."""
    kind = rng.random()
    if kind < 0.55:
        return rng.uniform(-3.0, 3.0)
    if kind < 0.7:
        return float(rng.randint(-5, 5))
    if kind < 0.8:
        return rng.gauss(0.0, 1.0) * 10.0 ** rng.uniform(-12, -3)
    if kind < 0.9:
        return rng.uniform(-1.0, 1.0) * 10.0 ** rng.uniform(3, 150)
    return rng.choice([0.5, -0.25, 1e-300, -1e300, 0.1, 0.2, 0.3, 6.8813735870195432])


def constant(rng: random.Random) -> float:
    """A plain number written into the program."""
    return rng.choice([2.0, -1.0, 0.5, 3.0, 0.1, 1.0, -2.0, 10.0, rng.uniform(-4.0, 4.0)])


@dataclass
class Tally:
    """Counts of compared numbers and of the identical ones, with the first culprits."""

    graphs: int = 0
    dropped_graphs: int = 0
    values: int = 0
    same_values: int = 0
    grads: int = 0
    same_grads: int = 0
    graphs_identical: int = 0
    equal_values: int = 0
    equal_grads: int = 0
    value_culprits: Counter[str] = field(default_factory=Counter)
    grad_culprits: Counter[str] = field(default_factory=Counter)

    def add(self, other: Tally) -> None:
        """Fold another tally into this one."""
        for name in (
            "graphs",
            "dropped_graphs",
            "values",
            "same_values",
            "grads",
            "same_grads",
            "equal_values",
            "equal_grads",
        ):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.graphs_identical += other.graphs_identical
        self.value_culprits.update(other.value_culprits)
        self.grad_culprits.update(other.grad_culprits)

    def percent(self, same: int, total: int) -> float:
        """A share in percent (100 when nothing was compared)."""
        return 100.0 * same / total if total else 100.0

    def report(self) -> str:
        """Lines for people: the two percentages and the ops where differences start."""
        lines = [
            f"{self.graphs} graphs ({self.dropped_graphs} redrawn: not finite on either engine)",
            f"values bit-identical:    {self.same_values}/{self.values} "
            f"({self.percent(self.same_values, self.values):.3f}%)",
            f"gradients bit-identical: {self.same_grads}/{self.grads} "
            f"({self.percent(self.same_grads, self.grads):.3f}%)",
            f"values equal (==, so 0.0 == -0.0): "
            f"{self.percent(self.equal_values, self.values):.3f}%, gradients equal: "
            f"{self.percent(self.equal_grads, self.grads):.3f}%",
            f"graphs entirely identical: {self.graphs_identical}/{self.graphs} "
            f"({self.percent(self.graphs_identical, self.graphs):.2f}%)",
        ]
        if self.value_culprits:
            lines.append("first differing value, by op: " + _counts(self.value_culprits))
        if self.grad_culprits:
            lines.append(
                "graphs whose gradients differ, by the op backward first differs at: "
                + _counts(self.grad_culprits)
            )
        return "\n".join(lines)


def _counts(counter: Counter[str]) -> str:
    return ", ".join(f"{op} {n}" for op, n in counter.most_common())


class Pair:
    """One node of the program on both engines, and the op that made it."""

    __slots__ = ("op", "ours", "theirs")

    def __init__(self, op: str, ours: Any, theirs: Any) -> None:
        self.op = op
        self.ours = ours
        self.theirs = theirs


def run_graph(seed: int, torch: Any, ops: tuple[str, ...] = OPS) -> Tally | None:
    """One random program on both engines; None when it has to be redrawn."""
    rng = random.Random(seed)
    f64 = torch.float64

    def tensor(x: float, grad: bool = False) -> Any:
        return torch.tensor(x, dtype=f64, requires_grad=grad)

    pairs: list[Pair] = []
    for i in range(rng.randint(1, 4)):
        x = leaf_value(rng)
        pairs.append(Pair("leaf", Value(x, label=f"x{i}"), tensor(x, grad=True)))

    def pick() -> Pair:
        # Recent nodes are picked more often: chains, and reuse of the same node.
        if rng.random() < 0.6:
            return rng.choice(pairs[-3:])
        return rng.choice(pairs)

    def operand() -> tuple[Any, Any]:
        if rng.random() < 0.2:
            c = constant(rng)
            return c, tensor(c)
        p = pick()
        return p.ours, p.theirs

    for _ in range(rng.randint(2, 24)):
        op = rng.choice(ops)
        try:
            step = _step(op, rng, pick, operand, tensor, torch)
        except (MathError, ZeroDivisionError, OverflowError, ValueError):
            continue
        if step is None:
            continue
        ours, theirs = step
        value = theirs.item()
        if not math.isfinite(value):
            continue  # gradpipe refuses what torch computes as inf or nan: not compared
        if theirs.requires_grad:
            theirs.retain_grad()
        pairs.append(Pair(op, ours, theirs))
    if len(pairs) < 2 or not isinstance(pairs[-1].ours, Value):
        return None
    root = pairs[-1]
    if not root.theirs.requires_grad:
        return None
    try:
        root.ours.backward()
    except MathError:
        return None
    root.theirs.backward()
    tally = Tally(graphs=1)
    value_differs = False
    grad_culprit = ""
    for p in pairs:
        ours, theirs = p.ours, p.theirs
        tally.values += 1
        if bits(ours.data) == bits(theirs.item()):
            tally.same_values += 1
        if ours.data == theirs.item():
            tally.equal_values += 1
        elif not value_differs:
            value_differs = True
            tally.value_culprits[p.op] += 1
        if not theirs.requires_grad:
            continue  # a constant: no gradient on either side
        g = theirs.grad
        if g is not None and not math.isfinite(g.item()):
            return None
        tally.grads += 1
        expected = 0.0 if g is None else g.item()
        mine = ours.grad if ours.grad is not None else math.nan
        if bits(mine) == bits(expected) or (g is None and mine == 0.0):
            tally.same_grads += 1
        if mine == expected:
            tally.equal_grads += 1
        else:
            grad_culprit = p.op  # the last in creation order is the first backward reached
    if grad_culprit:
        tally.grad_culprits[grad_culprit] += 1
    tally.graphs_identical = int(not (value_differs or grad_culprit))
    return tally


def _step(
    op: str,
    rng: random.Random,
    pick: Callable[[], Pair],
    operand: Callable[[], tuple[Any, Any]],
    tensor: Callable[..., Any],
    torch: Any,
) -> tuple[Any, Any] | None:
    """One op on both engines: gradpipe's result and torch's."""
    if op in ("add", "sub", "mul", "div"):
        a, ta = operand()
        b, tb = operand()
        if not isinstance(a, Value) and not isinstance(b, Value):
            return None
        name = {"add": "__add__", "sub": "__sub__", "mul": "__mul__", "div": "__truediv__"}[op]
        if isinstance(a, Value):
            ours = getattr(a, name)(b)
        else:
            ours = getattr(b, name.replace("__", "__r", 1))(a)
        return ours, getattr(torch, {"__truediv__": "div"}.get(name, name.strip("_")))(ta, tb)
    if op == "pow":
        kind = rng.random()
        p = pick()
        if kind < 0.6:  # tensor ** number
            y = rng.choice(EXPONENTS)
            return p.ours**y, p.theirs**y
        if kind < 0.8:  # number ** tensor
            c = rng.choice([2.0, 0.5, 3.0, math.e, 10.0])
            return c**p.ours, torch.pow(c, p.theirs)
        q = pick()  # tensor ** tensor
        return p.ours**q.ours, torch.pow(p.theirs, q.theirs)
    if op == "sum":
        terms = [operand() for _ in range(rng.randint(2, 5))]
        if not any(isinstance(t, Value) for t, _ in terms):
            return None
        total = terms[0][1]
        for _, t in terms[1:]:
            total = total + t  # gradpipe's sum adds left to right, as a + b + c
        return Value.sum([t for t, _ in terms]), total
    p = pick()
    return getattr(p.ours, "__neg__" if op == "neg" else op)(), getattr(torch, op)(p.theirs)


def run(graphs: int, seed: int = 0, progress: bool = False, ops: tuple[str, ...] = OPS) -> Tally:
    """``graphs`` compared graphs from consecutive seeds, redrawing the ones dropped."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # torch warns when numpy is missing
        import torch
    total = Tally()
    s = seed * 10_000_000
    while total.graphs < graphs:
        tally = run_graph(s, torch, ops)
        s += 1
        if tally is None:
            total.dropped_graphs += 1
            continue
        total.add(tally)
        if progress and total.graphs % 1000 == 0:
            print(f"{total.graphs} graphs", file=sys.stderr)
    return total


def main(argv: list[str] | None = None) -> int:
    """Print the bit-identical shares over a number of random graphs."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.differential")
    parser.add_argument("--graphs", type=int, default=25_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--progress", action="store_true")
    parser.add_argument("--without", nargs="*", default=[], choices=OPS, help="ops to leave out")
    args = parser.parse_args(argv)
    ops = tuple(op for op in OPS if op not in args.without)
    print(run(args.graphs, args.seed, args.progress, ops).report())
    return 0


if __name__ == "__main__":
    sys.exit(main())
