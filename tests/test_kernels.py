"""The floating-point kernels: an exact fma, torch's tanh backward, a nearly correct tanh.

References are exact: ``fractions.Fraction`` for a*b + c, and for tanh 60-digit
``decimal`` arithmetic (``Decimal.exp`` is correctly rounded), rounded once to a double.
"""

from __future__ import annotations

import decimal
import math
import os
import random
from fractions import Fraction

import pytest

from gradpipe.engine import kernels


def exact_fma(a: float, b: float, c: float) -> float:
    if not all(math.isfinite(x) for x in (a, b, c)):  # IEEE: a finite a*b never overflows
        return c if math.isfinite(a) and math.isfinite(b) and not math.isnan(c) else a * b + c
    value = Fraction(a) * Fraction(b) + Fraction(c)
    if value == 0:
        return a * b + c  # the sign of an exact zero, as IEEE adds them
    try:
        return float(value)
    except OverflowError:
        return math.inf if value > 0 else -math.inf


def exact_tanh(x: float) -> float:
    with decimal.localcontext() as context:
        context.prec = 60
        d = decimal.Decimal(x)
        if x == 0.0:
            return x
        if abs(x) < 1e-12:  # x - x³/3 + 2x⁵/15: exp would round 1 + 2x to 1
            return float(d - d**3 / 3 + 2 * d**5 / 15)
        e = (d * 2).exp()
        return float((e - 1) / (e + 1))


def same(a: float, b: float) -> bool:
    """Equal as bits: signed zeros and NaNs included."""
    if math.isnan(a) or math.isnan(b):
        return math.isnan(a) and math.isnan(b)
    return a == b and math.copysign(1.0, a) == math.copysign(1.0, b)


def fma_cases(seed: int, n: int) -> list[tuple[float, float, float]]:
    """Random triples, many with a*b and c cancelling (where an unfused a*b + c is worst)."""
    rng = random.Random(seed)
    cases = []
    for _ in range(n):
        a = rng.uniform(-1, 1) * 2.0 ** rng.randint(-80, 80)
        b = rng.uniform(-1, 1) * 2.0 ** rng.randint(-80, 80)
        if rng.random() < 0.4:
            c = -a * b * (1 + rng.uniform(-1e-15, 1e-15))
        else:
            c = rng.uniform(-1, 1) * 2.0 ** rng.randint(-160, 160)
        cases.append((a, b, c))
    return cases


EDGES = [
    (0.0, -1.0, -0.0),
    (-0.0, 1.0, 0.0),
    (0.0, 0.0, -0.0),
    (1e308, 10.0, -math.inf),
    (1e308, 10.0, -1e308),
    (1e308, 10.0, 0.0),
    (1e-300, 1e-10, 1e-320),
    (5e-324, 0.5, 0.0),
    (5e-324, -0.5, 0.0),
    (math.inf, 0.0, 1.0),
    (math.inf, 2.0, -math.inf),
    (math.nan, 1.0, 1.0),
    (1.0, 1.0, math.nan),
    (2.0**600, 2.0**500, -(2.0**1023)),
    (1 + 2.0**-52, 1 - 2.0**-53, -1.0),
]


@pytest.mark.parametrize("fma", [kernels._fma_exact, kernels.fma], ids=["pure", "default"])
def test_fma_rounds_once(fma: object) -> None:
    assert callable(fma)
    for a, b, c in [*fma_cases(1, 5000), *EDGES]:
        assert same(fma(a, b, c), exact_fma(a, b, c)), (a, b, c)


def test_fma_differs_from_an_unfused_multiply_add() -> None:
    a = 1 + 2.0**-30
    assert kernels.fma(a, a, -1.0) != a * a - 1.0
    assert kernels.fma(a, a, -1.0) == 2.0**-29 + 2.0**-60


def test_one_minus_square_is_fma_of_minus_t_t_one() -> None:
    rng = random.Random(2)
    ts = [rng.uniform(-1, 1) * 2.0 ** -rng.randint(0, 60) for _ in range(20000)]
    ts += [0.0, -0.0, 1.0, -1.0, 0.5, math.sqrt(0.5), 0.7071067811865476, 2.0**-600]
    for t in ts:
        assert same(kernels.one_minus_square(t), exact_fma(-t, t, 1.0)), t


def test_the_exp_table_is_e_to_the_j_over_64() -> None:
    for j, (hi, lo) in zip(range(-32, 32), kernels._E64, strict=True):
        with decimal.localcontext() as context:
            context.prec = 60
            exact = (decimal.Decimal(j) / 64).exp()
            error = abs(decimal.Decimal(hi) + decimal.Decimal(lo) - exact) / exact
        assert hi == float(exact)
        assert error < decimal.Decimal(2.0**-104)


def tanh_inputs(seed: int) -> list[float]:
    rng = random.Random(seed)
    xs = [rng.uniform(-1, 1) * 10 ** rng.uniform(-9, 1.3) for _ in range(6000)]
    return xs + [rng.uniform(-3.2, 3.2) for _ in range(4000)]


def share_right(tanh: object, xs: list[float]) -> float:
    assert callable(tanh)
    return sum(tanh(x) == exact_tanh(x) for x in xs) / len(xs)


def test_exact_tanh_is_correctly_rounded_nearly_always() -> None:
    xs = tanh_inputs(3)
    assert share_right(kernels.tanh_exact, xs) >= 0.999
    assert share_right(math.tanh, xs) < 0.85  # the C library's


def test_fast_tanh_is_right_more_often_than_the_c_librarys() -> None:
    xs = tanh_inputs(5)
    assert share_right(kernels.tanh_fast, xs) > share_right(math.tanh, xs) + 0.1


def test_the_engine_takes_the_exact_tanh_when_asked(tmp_path: object) -> None:
    import subprocess
    import sys

    program = "from gradpipe.engine import kernels; print(kernels.tanh.__name__)"
    for setting, name in (("exact", "tanh_exact"), ("", "tanh_fast"), ("fast", "tanh_fast")):
        env = {**os.environ, kernels.TANH_ENV: setting}
        done = subprocess.run([sys.executable, "-c", program], env=env, capture_output=True)
        assert done.stdout.decode().strip() == name


@pytest.mark.parametrize("x", [0.0, -0.0, 1e-300, -5e-324, 0.0625, 3.0, -3.0, 19.1, 800.0, -1e300])
def test_tanh_at_the_edges(x: float) -> None:
    assert same(kernels.tanh_exact(x), math.tanh(x) if abs(x) >= 3 else exact_tanh(x))
    for tanh in (kernels.tanh_exact, kernels.tanh_fast):
        assert abs(tanh(x)) <= 1.0 and math.copysign(1.0, tanh(x)) == math.copysign(1.0, x)


def test_tanh_is_odd_and_the_neuron_is_the_lectures() -> None:
    rng = random.Random(4)
    for tanh in (kernels.tanh_exact, kernels.tanh_fast):
        for _ in range(2000):
            x = rng.uniform(-4, 4)
            assert tanh(-x) == -tanh(x)
        assert tanh(0.8813735870195432) == 0.7071067811865476
