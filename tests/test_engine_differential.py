"""The engine against PyTorch float64 on random programs, bit for bit (skipped without torch).

``benchmarks/differential.py`` draws the programs and runs them on both engines in
lockstep; ``python -m benchmarks.differential`` gives the figure over 25,000 graphs that
the README reports. Here a few hundred graphs hold the floor, and single cases pin down
the causes of difference that gradpipe removes: tanh's backward (one fused multiply-add
in torch's AVX kernels), signed zeros (a node's first gradient contribution is its
gradient), relu at -0.0, and the order of adding (torch's engine runs latest created first).
"""

from __future__ import annotations

import warnings

import pytest

from benchmarks import differential
from gradpipe import Value

with warnings.catch_warnings():
    warnings.simplefilter("ignore")  # torch warns when numpy is missing
    torch = pytest.importorskip("torch")

F64 = torch.float64
pytestmark = pytest.mark.skipif(
    torch.backends.cpu.get_cpu_capability() == "DEFAULT",
    reason="torch runs its portable kernels here (ATEN_CPU_CAPABILITY=default), not the AVX ones",
)


def leaf(x: float) -> tuple[Value, object]:
    return Value(x), torch.tensor(x, dtype=F64, requires_grad=True)


def test_random_programs_agree_with_torch_bit_for_bit() -> None:
    tally = differential.run(300, seed=1)
    # Most differences left come from tanh and exp, whose torch values are MKL's (see the
    # README): torch's exp is correctly rounded 95% of the time, the C library's 99.9%.
    assert tally.percent(tally.same_values, tally.values) >= 96.5, tally.report()
    assert tally.percent(tally.same_grads, tally.grads) >= 97.0, tally.report()


def test_programs_without_exp_and_tanh_are_nearly_identical() -> None:
    ops = tuple(op for op in differential.OPS if op not in ("exp", "tanh"))
    tally = differential.run(300, seed=2, ops=ops)
    assert tally.percent(tally.same_values, tally.values) >= 99.9, tally.report()
    assert tally.percent(tally.same_grads, tally.grads) >= 99.9, tally.report()


def test_gradients_add_up_in_torchs_order() -> None:
    ours, theirs = leaf(1.0)
    terms = [ours * 0.1, ours * 0.2, ours * 0.3]
    tensors = [theirs * 0.1, theirs * 0.2, theirs * 0.3]  # type: ignore[operator]
    (terms[2] + terms[1] + terms[0]).backward()
    (tensors[2] + tensors[1] + tensors[0]).backward()
    assert ours.grad == theirs.grad.item() == 0.6  # type: ignore[attr-defined]


def test_tanh_backward_is_one_fused_multiply_add() -> None:
    for x in (0.3, 0.55, 0.8813735870195432, -1.7, 2.5, 0.01):
        ours, _ = leaf(x)
        o = ours.tanh() * 3.0
        o.backward()
        one = torch.tensor(3.0, dtype=F64)
        theirs = torch.ops.aten.tanh_backward(one, torch.tensor(o.children[0].data, dtype=F64))
        assert ours.grad == theirs.item(), x  # torch's kernel, given the same tanh value


def test_zero_gradients_keep_torchs_sign() -> None:
    ours, theirs = leaf(0.0)
    (ours * -1.0).backward()  # d/dx of -x at a node whose gradient is first -1
    (theirs * -1.0).backward()  # type: ignore[operator]
    g = theirs.grad.item()  # type: ignore[attr-defined]
    assert (ours.grad, str(ours.grad)) == (g, str(g))
    a, ta = leaf(-2.0)
    z = a * 0.0  # a product with zero: its gradient is -0.0 in torch when the sign says so
    z = z * -3.0
    z.backward()
    tz = ta * 0.0 * -3.0  # type: ignore[operator]
    tz.backward()
    assert str(a.grad) == str(ta.grad.item())  # type: ignore[attr-defined]


def test_relu_of_minus_zero_is_minus_zero_as_in_torch() -> None:
    assert str(Value(-0.0).relu().data) == str(torch.relu(torch.tensor(-0.0, dtype=F64)).item())
