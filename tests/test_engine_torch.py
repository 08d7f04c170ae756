"""The engine against its reference, PyTorch float64 autograd, op by op and bit by bit.

Each graph is mirrored node for node in torch, built in our topological order (so torch's
engine accumulates shared gradients in the same order as ours). A constant exponent is a
Python number on the torch side (``x ** 2``), a constant anywhere else a tensor without
``requires_grad``. Arithmetic agrees to the last bit. ``exp``, ``log``, ``tanh`` and
``sqrt`` come from the C library here and from ATen's vectorised code in torch, which can
differ by one unit in the last place; given torch's values, our gradients are torch's.
"""

from __future__ import annotations

import functools
import math
import random
import warnings

import pytest

from gradpipe.engine import CONST, LEAF, Value, creation_order

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # torch warns when numpy is missing
    torch = pytest.importorskip("torch")

F64 = torch.float64
# ATen's AVX2/AVX512 kernels fuse tanh's backward 1 - t·t into one FMA, as gradpipe does;
# its portable kernels (ATEN_CPU_CAPABILITY=default) compute the formula unfused.
avx_kernels = pytest.mark.skipif(
    torch.backends.cpu.get_cpu_capability() == "DEFAULT",
    reason="torch runs its portable kernels in this process (ATEN_CPU_CAPABILITY=default)",
)

TORCH_OPS = {
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "div": torch.div,
    "neg": torch.neg,
    "exp": torch.exp,
    "log": torch.log,
    "tanh": torch.tanh,
    "relu": torch.relu,
    "sigmoid": torch.sigmoid,
}


def mirror(root: Value) -> dict[Value, torch.Tensor]:
    """The same graph in torch, built in the order ours was, every gradient retained.

    Built in that order, torch's engine runs its nodes as ours does (latest created first),
    so each gradient's terms are added in the same order.
    """
    out: dict[Value, torch.Tensor] = {}
    for v in creation_order([root]):
        if v.operation == LEAF:
            t = torch.tensor(v.data, dtype=F64, requires_grad=True)
        elif v.operation == CONST:
            t = torch.tensor(v.data, dtype=F64)
        else:
            args = [out[c] for c in v._prev]
            if v.operation == "sum":
                t = functools.reduce(torch.add, args[1:], args[0].clone())
            elif v.operation == "pow" and v._prev[1].is_constant:
                t = args[0] ** args[1].item()
            elif v.operation == "pow" and v._prev[0].is_constant:
                t = torch.pow(args[0].item(), args[1])
            elif v.operation == "pow":
                t = torch.pow(*args)
            else:
                t = TORCH_OPS[v.operation](*args)
            if t.requires_grad:
                t.retain_grad()
        out[v] = t
    out[root].backward()
    return out


def torch_grad(t: torch.Tensor) -> float | None:
    if not t.requires_grad:
        return None
    return 0.0 if t.grad is None else t.grad.item()


def assert_same_bits(root: Value, tensors: dict[Value, torch.Tensor]) -> None:
    for v, t in tensors.items():
        assert v.data == t.item(), (v, t)
        assert (None if v.is_constant else v.grad) == torch_grad(t), (v, t.grad)


def ulps(a: float, b: float) -> float:
    return abs(a - b) / math.ulp(max(abs(a), abs(b)))


ARITHMETIC = ["add", "sub", "mul", "div", "neg", "relu", "sigmoid", "sum", "pow"]
EVERY_OP = [*ARITHMETIC, "exp", "log", "tanh"]
# Constant exponents: ATen's special cases (2, 3, -1, -2, -0.5, 0, 1) and C's pow.
EXPONENTS = [2, 3, -1, -2, -0.5, 0, 1, 4, 2.5, -3]


def random_graph(rng: random.Random, ops: list[str], size: int = 40) -> Value:
    """A random DAG over a few leaves and constants; later nodes reuse earlier ones."""
    nodes = [Value(rng.uniform(-2.0, 2.0), label=f"x{i}") for i in range(4)]
    nodes.append(Value.constant(rng.choice([0.5, -1.5, 3.0])))
    while len(nodes) < size:
        a, b = rng.choice(nodes[-6:]), rng.choice(nodes)
        op = rng.choice(ops)
        if op in ("add", "sub", "mul"):
            v = getattr(a, f"__{op}__")(b)
        elif op == "div":
            v = a / (b * b + 0.5)
        elif op == "neg":
            v = -a
        elif op == "relu":
            v = (a - b).relu()
        elif op == "sum":
            v = Value.sum(rng.choices(nodes, k=rng.randint(1, 5)))
        elif op == "pow":
            y = rng.choice(EXPONENTS)
            v = a**y if y in (1, 2, 3, 4) else (a * a + 0.25) ** y
        elif op == "log":
            v = (a * a + 0.1).log()
        elif op == "exp":
            v = a.tanh().exp()
        else:
            v = getattr(a, op)()
        if abs(v.data) > 1e6:  # keep values in a range every op handles
            v = v.tanh()
        nodes.append(v)
    return Value.sum(nodes[-5:])


@pytest.mark.parametrize("seed", range(60))
def test_arithmetic_graphs_match_torch_bit_for_bit(seed: int) -> None:
    root = random_graph(random.Random(seed), ARITHMETIC)
    root.backward()
    assert_same_bits(root, mirror(root))


@avx_kernels
@pytest.mark.parametrize("seed", range(60))
def test_given_torchs_values_every_gradient_is_torchs(seed: int) -> None:
    root = random_graph(random.Random(1000 + seed), EVERY_OP)
    tensors = mirror(root)
    for v, t in tensors.items():
        v.data = t.item()  # one op's ulp would grow along the graph; it is tested apart
    root.backward()
    assert_same_bits(root, tensors)


@pytest.mark.parametrize("op", ["exp", "log", "tanh", "sigmoid"])
def test_functions_are_within_two_ulps_of_torch(op: str) -> None:
    rng = random.Random(op)
    for _ in range(2000):
        x = rng.uniform(0.001, 20.0) if op == "log" else rng.uniform(-20.0, 20.0)
        ours = getattr(Value(x), op)().data
        theirs = TORCH_OPS[op](torch.tensor(x, dtype=F64)).item()
        assert ulps(ours, theirs) <= 2, x


@pytest.mark.parametrize("exponent", [*EXPONENTS, 0.5, 1.5, "variable"])
def test_powers_match_torch(exponent: float | str) -> None:
    rng = random.Random(str(exponent))
    exact = exponent not in (0.5, 1.5)  # ATen's sqrt is not correctly rounded
    for _ in range(300):
        positive = exponent in (0.5, 1.5, -0.5, 2.5, "variable")
        x = Value(rng.uniform(0.01, 5.0) if positive else rng.uniform(-5.0, 5.0))
        if x.data == 0.0:
            continue
        y = Value(rng.uniform(-3.0, 3.0)) if exponent == "variable" else exponent
        out = x**y
        out.backward()
        tensors = mirror(out)
        tx = tensors[x]
        assert x.grad is not None and tx.grad is not None
        if exact:
            assert out.data == tensors[out].item(), x
            assert x.grad == tx.grad.item(), x
        else:
            assert ulps(out.data, tensors[out].item()) <= 1, x
            assert ulps(x.grad, tx.grad.item()) <= 1, x
        if isinstance(y, Value):
            ty = tensors[y].grad
            assert ty is not None and y.grad is not None
            assert ulps(y.grad, ty.item()) <= 1, (x, y)  # ln differs by an ulp at times


def test_two_to_the_x_follows_torchs_number_base() -> None:
    for k in range(-40, 41):
        x = Value(k / 8)
        out = 2**x
        out.backward()
        t = torch.tensor(k / 8, dtype=F64, requires_grad=True)
        tout = 2**t
        tout.backward()
        assert (out.data, x.grad) == (tout.item(), t.grad.item())  # type: ignore[union-attr]


@pytest.mark.parametrize("x", [-800.0, -40.0, -20.0, 0.0, 20.0, 40.0, 800.0])
def test_saturated_tanh_and_sigmoid_agree_with_torch(x: float) -> None:
    for op in ("tanh", "sigmoid"):
        v = Value(x)
        out = getattr(v, op)()
        out.backward()
        t = torch.tensor(x, dtype=F64, requires_grad=True)
        tout = TORCH_OPS[op](t)
        tout.backward()
        assert (out.data, v.grad) == (tout.item(), t.grad.item())  # type: ignore[union-attr]


def test_relu_at_zero_passes_no_gradient_as_in_torch() -> None:
    x = Value(0.0)
    out = x.relu()
    out.backward()
    t = torch.tensor(0.0, dtype=F64, requires_grad=True)
    torch.relu(t).backward()
    assert x.grad == t.grad.item() == 0.0  # type: ignore[union-attr]


def test_division_by_a_variable_is_torch_div() -> None:
    rng = random.Random(7)
    for _ in range(500):
        a, b = Value(rng.uniform(-9, 9)), Value(rng.uniform(0.1, 9))
        out = 3 / b + a / b + a / 7
        out.backward()
        assert_same_bits(out, mirror(out))


@avx_kernels
def test_a_node_used_many_times_accumulates_as_torch_does() -> None:
    rng = random.Random(3)
    w, b = Value(0.9), Value(0.1)
    x = Value(rng.uniform(-1, 1))
    for _ in range(200):
        x = (x * w + b).tanh()
    tensors = mirror(x)
    for v, t in tensors.items():
        v.data = t.item()
    x.backward()
    assert_same_bits(x, tensors)
