"""Seeded workloads: each a Python program over any micrograd-like engine, and a spec.

A program is written once against an ``Engine`` (how to make a leaf, how to add many
terms) and uses operators and ``tanh()``/``relu()`` for everything else, so the same code
builds a graph of gradpipe ``Value``s, of micrograd ``Value``s, of PyTorch scalars, or
records itself as a spec for the CLI (``SpecBuilder``). Random numbers are drawn before
building (``Workload.make_data``), so timing a program times the engine alone.
"""

from __future__ import annotations

import functools
import itertools
import math
import operator
import random
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, NamedTuple

Node = Any  # a Value of whichever engine builds the program


def binary_sum(terms: Sequence[Node]) -> Node:
    """Left-to-right binary adds: how micrograd's own code writes a sum."""
    return functools.reduce(operator.add, terms)


@dataclass(frozen=True)
class Engine:
    """What a program needs beyond operators: leaves, and its best way to add many terms."""

    name: str
    leaf: Callable[[float, str], Node]
    nary_sum: Callable[[Sequence[Node]], Node]


def gradpipe_engine() -> Engine:
    """gradpipe's ``Value``, whose ``Value.sum`` is one node for any number of terms."""
    from gradpipe.engine import Value

    return Engine("gradpipe", Value, Value.sum)


def micrograd_engine() -> Engine:
    """micrograd 0.1.0, with the lecture's ``tanh`` added; it sums with binary adds."""
    from micrograd.engine import Value

    def tanh(self: Any) -> Any:
        """The tanh of Karpathy's lecture, in micrograd's closure style (0.1.0 ships none)."""
        t = math.tanh(self.data)
        out = Value(t, (self,), "tanh")

        def _backward() -> None:
            self.grad += (1 - t**2) * out.grad

        out._backward = _backward
        return out

    if not hasattr(Value, "tanh"):
        Value.tanh = tanh
    return Engine("micrograd", lambda data, name: Value(data), binary_sum)


def lean_engine() -> Engine:
    """The engine figure's floor: ``benchmarks.lean_engine``, gradpipe's arithmetic alone."""
    from benchmarks.lean_engine import Lean, lean_sum

    return Engine("lean", Lean, lean_sum)


def torch_engine() -> Engine:
    """PyTorch float64 scalars that require gradients: the numerical reference."""
    import torch

    def leaf(data: float, name: str) -> Any:
        return torch.tensor(data, dtype=torch.float64, requires_grad=True)

    def nary_sum(terms: Sequence[Any]) -> Any:
        return torch.stack(list(terms)).sum()

    return Engine("torch", leaf, nary_sum)


class Symbol:
    """A node being recorded by a ``SpecBuilder``; operators record op objects."""

    __slots__ = ("builder", "name")

    def __init__(self, builder: SpecBuilder, name: str) -> None:
        self.builder = builder
        self.name = name

    def _binary(self, op: str, other: Symbol | float, reflected: bool = False) -> Symbol:
        arg = other.name if isinstance(other, Symbol) else other
        args = [arg, self.name] if reflected else [self.name, arg]
        return self.builder.node(op, args)

    def __add__(self, other: Symbol | float) -> Symbol:
        return self._binary("add", other)

    def __radd__(self, other: float) -> Symbol:
        return self._binary("add", other, reflected=True)

    def __sub__(self, other: Symbol | float) -> Symbol:
        return self._binary("sub", other)

    def __rsub__(self, other: float) -> Symbol:
        return self._binary("sub", other, reflected=True)

    def __mul__(self, other: Symbol | float) -> Symbol:
        return self._binary("mul", other)

    def __rmul__(self, other: float) -> Symbol:
        return self._binary("mul", other, reflected=True)

    def __neg__(self) -> Symbol:
        return self.builder.node("neg", [self.name])

    def tanh(self) -> Symbol:
        """Record a tanh node."""
        return self.builder.node("tanh", [self.name])

    def relu(self) -> Symbol:
        """Record a relu node."""
        return self.builder.node("relu", [self.name])


class SpecBuilder:
    """Records a program as a spec: leaves under ``values``, each op a node ``nK``."""

    def __init__(self) -> None:
        self.values: dict[str, float] = {}
        self.nodes: dict[str, dict[str, Any]] = {}
        self.literals = 0

    def leaf(self, data: float, name: str) -> Symbol:
        """A leaf of the spec's ``values``."""
        self.values[name] = data
        return Symbol(self, name)

    def node(self, op: str, args: list[str | float]) -> Symbol:
        """A computed node; numeric arguments become constant nodes when loaded."""
        name = f"n{len(self.nodes) + 1}"
        self.nodes[name] = {"op": op, "args": args}
        self.literals += sum(1 for a in args if not isinstance(a, str))
        return Symbol(self, name)

    def nary_sum(self, terms: Sequence[Symbol]) -> Symbol:
        """One ``sum`` node, as gradpipe's engine builds it."""
        return self.node("sum", [t.name for t in terms])

    def engine(self) -> Engine:
        """This builder as an engine that programs run on."""
        return Engine("spec", self.leaf, self.nary_sum)

    def node_count(self) -> int:
        """How many nodes loading the spec makes: leaves, literals and computed nodes."""
        return len(self.values) + len(self.nodes) + self.literals


# The programs. Each takes its engine and the data drawn by its make_data.


class ChainData(NamedTuple):
    x: float
    w: float
    b: float
    steps: int


def chain_program(engine: Engine, data: ChainData) -> Node:
    """x → tanh(x·w + b), repeated; w and b are shared by every step."""
    x = engine.leaf(data.x, "x")
    w = engine.leaf(data.w, "w")
    b = engine.leaf(data.b, "b")
    for _ in range(data.steps):
        x = (x * w + b).tanh()
    return x


def chain_data(nodes: int, seed: int) -> ChainData:
    """Three nodes a step, plus the three leaves."""
    rng = random.Random(seed)
    return ChainData(
        rng.uniform(-1, 1), rng.uniform(0.5, 1.5), rng.uniform(-0.5, 0.5), max(1, (nodes - 3) // 3)
    )


class WideData(NamedTuple):
    a: list[float]
    b: list[float]


def wide_program(engine: Engine, data: WideData) -> Node:
    """The sum of many products aᵢ·bᵢ."""
    leaf = engine.leaf
    terms = [
        leaf(a, f"a{i}") * leaf(b, f"b{i}")
        for i, (a, b) in enumerate(zip(data.a, data.b, strict=True))
    ]
    return engine.nary_sum(terms)


def wide_data(nodes: int, seed: int) -> WideData:
    """Three nodes a term (two leaves and a product), plus the sum."""
    rng = random.Random(seed)
    count = max(1, (nodes - 1) // 3)
    return WideData(
        [rng.uniform(-1, 1) for _ in range(count)], [rng.uniform(-1, 1) for _ in range(count)]
    )


MUL, TANH_ADD, RELU = 0, 1, 2


class TreeData(NamedTuple):
    leaves: list[float]
    ops: list[tuple[int, int, int]]  # (kind, argument, argument) by position among entries
    sinks: list[int]  # entries no other entry uses: the output adds them up


def tree_program(engine: Engine, data: TreeData) -> Node:
    """A random DAG with reuse; every value stays in [-1, 1]."""
    entries = [engine.leaf(v, f"t{i}") for i, v in enumerate(data.leaves)]
    append = entries.append
    for kind, i, j in data.ops:
        if kind == MUL:
            append(entries[i] * entries[j])
        elif kind == TANH_ADD:
            append((entries[i] + entries[j]).tanh())
        else:
            append(entries[i].relu())
    return engine.nary_sum([entries[k] for k in data.sinks])


def tree_data(nodes: int, seed: int) -> TreeData:
    """Half the arguments come from the last 32 entries (depth), half from any (reuse)."""
    rng = random.Random(seed)
    leaves = [rng.uniform(-1, 1) for _ in range(max(2, nodes // 20))]
    used = [False] * len(leaves)
    ops: list[tuple[int, int, int]] = []
    count = len(leaves) + 1
    while count < nodes:
        n = len(used)
        kind = rng.choices((MUL, TANH_ADD, RELU), (4, 4, 1))[0]
        i, j = (
            rng.randrange(max(0, n - 32), n) if rng.random() < 0.5 else rng.randrange(n)
            for _ in range(2)
        )
        ops.append((kind, i, j))
        used[i] = True
        if kind != RELU:
            used[j] = True
        used.append(False)
        count += 2 if kind == TANH_ADD else 1
    return TreeData(leaves, ops, [k for k, u in enumerate(used) if not u])


class MlpData(NamedTuple):
    layers: list[tuple[list[list[float]], list[float]]]  # per layer: weight rows, biases
    inputs: list[tuple[float, float]]
    labels: list[float]  # ±1


def mlp_program(engine: Engine, data: MlpData, nary: bool) -> Node:
    """micrograd's demo: an MLP's max-margin loss over a batch, with L2 regularisation."""
    total = engine.nary_sum if nary else binary_sum
    leaf = engine.leaf
    params: list[Node] = []
    layers = []
    for li, (rows, biases) in enumerate(data.layers):
        neurons = []
        for j, (row, bias) in enumerate(zip(rows, biases, strict=True)):
            ws = [leaf(w, f"w{li}_{j}_{k}") for k, w in enumerate(row)]
            b = leaf(bias, f"b{li}_{j}")
            params += ws
            params.append(b)
            neurons.append((ws, b))
        layers.append(neurons)
    last = len(layers) - 1
    losses = []
    for s, (xrow, y) in enumerate(zip(data.inputs, data.labels, strict=True)):
        act = [leaf(x, f"in{s}_{k}") for k, x in enumerate(xrow)]
        for li, neurons in enumerate(layers):
            out = []
            for ws, b in neurons:
                z = total([*(w * x for w, x in zip(ws, act, strict=True)), b])
                out.append(z if li == last else z.tanh())
            act = out
        losses.append((1 + (-y) * act[0]).relu())
    data_loss = total(losses) * (1.0 / len(losses))
    reg_loss = 1e-4 * total([p * p for p in params])
    return data_loss + reg_loss


MLP_SHAPE = (2, 16, 16, 1)


def moons(
    samples: int, rng: random.Random, noise: float = 0.1
) -> tuple[list[tuple[float, float]], list[float]]:
    """scikit-learn's two moons, labels ±1: the data of micrograd's demo."""
    inputs, labels = [], []
    for s in range(samples):
        t = rng.uniform(0, math.pi)
        if s % 2:
            x, y, label = 1 - math.cos(t), 0.5 - math.sin(t), 1.0
        else:
            x, y, label = math.cos(t), math.sin(t), -1.0
        inputs.append((x + rng.gauss(0, noise), y + rng.gauss(0, noise)))
        labels.append(label)
    return inputs, labels


def _mlp_batch(samples: int, seed: int) -> MlpData:
    rng = random.Random(seed)
    layers = [
        ([[rng.uniform(-1, 1) for _ in range(n_in)] for _ in range(n_out)], [0.0] * n_out)
        for n_in, n_out in itertools.pairwise(MLP_SHAPE)
    ]
    inputs, labels = moons(samples, rng)
    return MlpData(layers, inputs, labels)


@functools.cache
def _mlp_cost(nary: bool) -> tuple[int, int]:
    """Nodes of the weights and loss, and nodes per sample, counted by recording."""
    counts = []
    for samples in (1, 2):
        builder = SpecBuilder()
        mlp_program(builder.engine(), _mlp_batch(samples, 0), nary)
        counts.append(builder.node_count())
    per_sample = counts[1] - counts[0]
    return counts[0] - per_sample, per_sample


def mlp_data(nodes: int, seed: int, nary: bool) -> MlpData:
    """As many two-moons samples as make about ``nodes`` nodes (at least one)."""
    fixed, per_sample = _mlp_cost(nary)
    return _mlp_batch(max(1, round((nodes - fixed) / per_sample)), seed)


@dataclass(frozen=True)
class Workload:
    """A named program and the seeded data it runs on, sized by its node count."""

    name: str
    description: str
    make_data: Callable[[int, int], Any]
    program: Callable[[Engine, Any], Node]


WORKLOADS = {
    w.name: w
    for w in (
        Workload(
            "mlp-sum",
            "MLP 2-16-16-1 loss over two moons, n-ary sums",
            functools.partial(mlp_data, nary=True),
            functools.partial(mlp_program, nary=True),
        ),
        Workload(
            "mlp-add",
            "MLP 2-16-16-1 loss over two moons, binary adds only",
            functools.partial(mlp_data, nary=False),
            functools.partial(mlp_program, nary=False),
        ),
        Workload("chain", "x → tanh(x·w + b) repeated, w and b shared", chain_data, chain_program),
        Workload("wide", "the sum of many products aᵢ·bᵢ", wide_data, wide_program),
        Workload("tree", "a random DAG with reuse", tree_data, tree_program),
    )
}


def build(workload: str, engine: Engine, nodes: int, seed: int = 0) -> Node:
    """The output node of ``workload`` of about ``nodes`` nodes, built on ``engine``."""
    w = WORKLOADS[workload]
    return w.program(engine, w.make_data(nodes, seed))


def make_spec(workload: str, nodes: int, seed: int = 0) -> dict[str, Any]:
    """``workload`` as a spec document (plain data for json or yaml to write)."""
    builder = SpecBuilder()
    output = build(workload, builder.engine(), nodes, seed)
    return {
        "version": 1,
        "name": workload.replace("-", "_"),
        "values": builder.values,
        "nodes": builder.nodes,
        "output": output.name,
    }


def count_nodes(root: Node) -> int:
    """How many distinct nodes ``root`` depends on, itself included (any engine)."""
    seen = {root}
    stack = [root]
    while stack:
        for child in stack.pop()._prev:
            if child not in seen:
                seen.add(child)
                stack.append(child)
    return len(seen)
