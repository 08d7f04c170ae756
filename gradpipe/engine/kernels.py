"""Floating-point kernels that reproduce PyTorch's CPU float64 results in pure Python.

What torch 2.x's x86-64 CPU wheels compute, as measured against them (see README):

- ``tanh``, ``exp`` and ``log`` of a float64 tensor go to Intel MKL's vector math
  (``vmdTanh``/``vmdExp``/``vmdLn`` with ``VML_HA``), whatever ``ATEN_CPU_CAPABILITY``
  says: SLEEF, which ATen's own vectorised code uses, is not on this path. MKL's code is
  closed, so it cannot be copied; what can be matched is its result wherever it is
  correctly rounded: about 99.3% of tanh evaluations (a double-double tanh here), 95% of
  exp and 99.98% of log (the C library's, which are correctly rounded in nearly all cases).
- tanh's backward is ``grad * (1 - t*t)`` in ATen's source, which GCC contracts into one
  fused multiply-add, ``grad * fma(-t, t, 1)``, in the AVX2 and AVX512 builds of the
  kernel that every x86-64 machine with FMA runs.

``fma`` is exact: ``math.fma`` where Python has it (3.13+), else Dekker's splitting of
both factors into exact halves and ``math.fsum`` (correctly rounded) of the exact partial
products and the addend, with integer arithmetic for magnitudes where splitting is not
exact.
"""

from __future__ import annotations

import math
import os

_SPLIT = 134217729.0  # 2**27 + 1: Veltkamp's constant for splitting a double in halves
_fsum = math.fsum
_exp = math.exp
_tanh = math.tanh
TANH_ENV = "GRADPIPE_TANH"  # "exact": the double-double tanh; else the fast one


def _fma_exact(a: float, b: float, c: float) -> float:
    """a*b + c rounded once, by exact splitting (or integers when splitting is not exact)."""
    p = a * b
    if not (a - a == 0.0 and b - b == 0.0 and c - c == 0.0):  # an infinity or a NaN
        return c if (a - a == 0.0 and b - b == 0.0 and c == c) else p + c
    if a == 0.0 or b == 0.0 or not (1e-290 < abs(p) < 1e290) or abs(a) > 1e290:
        return _fma_integers(a, b, c)
    ah, al = _split(a)
    bh, bl = _split(b)
    r = _fsum((ah * bh, ah * bl, al * bh, al * bl, c))
    if r == 0.0:  # an exact zero takes IEEE's sign: -0 only when both parts are -0
        return p + c if p + c == 0.0 else r
    return r


def _split(x: float) -> tuple[float, float]:
    """``x`` as hi + lo exactly, each of at most 26 significant bits (Veltkamp's split)."""
    t = _SPLIT * x
    hi = t - (t - x)
    return hi, x - hi


def _product_error(a: float, b: float, p: float) -> float:
    """a*b - p exactly, where p is a*b rounded (Dekker's product)."""
    ah, al = _split(a)
    bh, bl = _split(b)
    return ((ah * bh - p) + ah * bl + al * bh) + al * bl


def _fma_integers(a: float, b: float, c: float) -> float:
    """a*b + c of finite doubles, exactly in integers, rounded once by true division."""
    na, da = a.as_integer_ratio()
    nb, db = b.as_integer_ratio()
    nc, dc = c.as_integer_ratio()
    num = na * nb * dc + nc * da * db
    if num == 0:
        return a * b + c  # the sign of an exact zero, as IEEE adds them
    try:
        return num / (da * db * dc)
    except OverflowError:
        return math.inf if num > 0 else -math.inf


fma = getattr(math, "fma", _fma_exact)


def one_minus_square(t: float) -> float:
    """fma(-t, t, 1) for |t| <= 1: 1 - t² rounded once, as torch's tanh backward has it."""
    p = t * t
    # _product_error(t, t, p), inline: every tanh node's backward runs this.
    c = _SPLIT * t
    th = c - (c - t)
    tl = t - th
    e = ((th * th - p) + 2.0 * th * tl) + tl * tl  # p + e == t*t exactly
    if p >= 0.5:
        return (1.0 - p) - e  # 1 - p is exact (Sterbenz), so this rounds once
    s = 1.0 - p
    return s + (((1.0 - s) - p) - e)  # (1 - s) - p is the exact error of s


# e^(j/64) for j = -32..31 as double-doubles (hi + lo to 2**-106), for the tanh below:
# hi is the correctly rounded double, lo the rest (tests/test_kernels.py recomputes them).
_E64_HEX = (
    ("0x1.368b2fc6f960ap-1", "-0x1.85314b9559e64p-61"),
    ("0x1.3b6f1ddd05a92p-1", "-0x1.b9d0de68e1c71p-55"),
    ("0x1.4066c2ff39127p-1", "-0x1.1a901b1ee2bd6p-57"),
    ("0x1.45726ea84fb88p-1", "-0x1.0a0249fec9629p-56"),
    ("0x1.4a9271936fd09p-1", "-0x1.4edd8a92eb584p-56"),
    ("0x1.4fc71dc135627p-1", "-0x1.a771b057709c4p-56"),
    ("0x1.5510c67cd2591p-1", "-0x1.aa344fa804df1p-55"),
    ("0x1.5a6fc061433c8p-1", "-0x1.759d4ac130208p-57"),
    ("0x1.5fe4615e98e8fp-1", "-0x1.5613923fd9eeep-55"),
    ("0x1.656f00bf5796ap-1", "0x1.93e6dd6872d13p-55"),
    ("0x1.6b0ff72deb89dp-1", "-0x1.dabf5975c0c02p-57"),
    ("0x1.70c79eba33c07p-1", "-0x1.58b71227465a1p-55"),
    ("0x1.769652df22f7ep-1", "0x1.3445f7544e0efp-57"),
    ("0x1.7c7c70887763cp-1", "-0x1.09aa682553231p-60"),
    ("0x1.827a561889716p-1", "-0x1.6b2eab63020c1p-57"),
    ("0x1.8890636e31f54p-1", "0x1.d9c29d8d982edp-56"),
    ("0x1.8ebef9eac820bp-1", "-0x1.797d4686c5393p-57"),
    ("0x1.95067c78379f2p-1", "0x1.f483a3e8cd60fp-55"),
    ("0x1.9b674f8f2f3d8p-1", "-0x1.51bfdbb129094p-55"),
    ("0x1.a1e1d93d687d0p-1", "0x1.e3a6bdaece8f9p-58"),
    ("0x1.a876812c0877cp-1", "-0x1.fd36226fadd44p-56"),
    ("0x1.af25b0a61a7b5p-1", "-0x1.676a52a1a618bp-55"),
    ("0x1.b5efd29f24c26p-1", "0x1.3d5fd7d70a5edp-56"),
    ("0x1.bcd553b9d7b62p-1", "0x1.6ad4c353465b0p-61"),
    ("0x1.c3d6a24ed8222p-1", "-0x1.e1e0a76cb0685p-55"),
    ("0x1.caf42e73a4c7ep-1", "-0x1.b5beee8bcee31p-55"),
    ("0x1.d22e6a0197c03p-1", "-0x1.32ae7bdaf1116p-55"),
    ("0x1.d985c89d041a3p-1", "0x1.8798de3138a56p-57"),
    ("0x1.e0fabfbc702a4p-1", "-0x1.8d0e700fcfb65p-56"),
    ("0x1.e88dc6afecfc0p-1", "-0x1.38e62149c16e2p-55"),
    ("0x1.f03f56a88b5d8p-1", "-0x1.bad3fd501a227p-55"),
    ("0x1.f80feabfeefa5p-1", "-0x1.b60bbd08aac55p-55"),
    ("0x1.0000000000000p+0", "0x0.0p+0"),
    ("0x1.04080ab55de39p+0", "0x1.7ab864b3e9045p-56"),
    ("0x1.08205601127edp+0", "-0x1.9c7d0bdf15160p-54"),
    ("0x1.0c49236829e8cp+0", "-0x1.eb6980ce14da7p-55"),
    ("0x1.1082b577d34edp+0", "0x1.f56c680678897p-54"),
    ("0x1.14cd4fc989cd6p+0", "0x1.1557a8671b89ep-54"),
    ("0x1.192937074e0cdp+0", "0x1.a24f46336ea04p-54"),
    ("0x1.1d96b0eff0e79p+0", "0x1.e8ac7a4d3206cp-55"),
    ("0x1.2216045b6f5cdp+0", "-0x1.8c4a5df1ec7e5p-58"),
    ("0x1.26a7793f60164p+0", "0x1.5aeb9860044d0p-55"),
    ("0x1.2b4b58b372c79p+0", "0x1.404dd9f031676p-54"),
    ("0x1.3001ecf601af7p+0", "0x1.7ab912c69ffebp-61"),
    ("0x1.34cb8170b5835p+0", "0x1.6a7062465be33p-55"),
    ("0x1.39a862bd3c106p+0", "0x1.7dd1a79cbd0fcp-54"),
    ("0x1.3e98deaa11dccp+0", "-0x1.5722108fefcffp-54"),
    ("0x1.439d443f5f159p+0", "-0x1.1c5b2e8735a43p-56"),
    ("0x1.48b5e3c3e8186p+0", "0x1.9d9ef0eda6eabp-54"),
    ("0x1.4de30ec211e60p+0", "0x1.3b5223eca1712p-56"),
    ("0x1.5325180cfacf7p+0", "0x1.b28b660a648dap-54"),
    ("0x1.587c53c5a7af0p+0", "0x1.3b0e93c017937p-55"),
    ("0x1.5de9176045ff5p+0", "0x1.da89923298baap-55"),
    ("0x1.636bb9a983258p+0", "0x1.349cc31f7248dp-54"),
    ("0x1.690492cbf9433p+0", "-0x1.812833f7d6e43p-55"),
    ("0x1.6eb3fc55b1e76p+0", "-0x1.2d8a6cc888d03p-54"),
    ("0x1.747a513dbef6ap+0", "0x1.88d1e2d966c25p-54"),
    ("0x1.7a57ede9ea23ep+0", "-0x1.cc04a2491ed0ap-56"),
    ("0x1.804d30347b546p+0", "-0x1.a29a322473bb6p-55"),
    ("0x1.865a7772164c5p+0", "0x1.0577086e85295p-54"),
    ("0x1.8c802477b0010p+0", "-0x1.1ed925f893d67p-55"),
    ("0x1.92be99a09bf00p+0", "-0x1.233200c18b031p-54"),
    ("0x1.99163ad4b1dccp+0", "0x1.3718f70534e8ap-56"),
    ("0x1.9f876d8e8c566p+0", "0x1.41605faf5c866p-54"),
)
_E64 = tuple((float.fromhex(hi), float.fromhex(lo)) for hi, lo in _E64_HEX)

_L2U = 0.69314718055966295651160180568695068359375  # ln 2, top bits: k * _L2U is exact
_L2L = 0.28235290563031577122588448175013436025525412068e-12  # ln 2 - _L2U
_R_LN2 = 1.4426950408889634


def tanh_exact(x: float) -> float:
    """tanh correctly rounded in all but about 1 in 5,000 cases (torch's MKL: 99.3%).

    |x| < 1/16: the odd Taylor series, whose first term is x itself, rounds once. 1/16 <=
    |x| < 3: (e^2x - 1)/(e^2x + 1) in double-double arithmetic, e^2x from a table of
    e^(j/64) and a short series. |x| >= 3: the C library's, correctly rounded there.
    """
    a = -x if x < 0.0 else x
    if a < 0.0625:
        t = _tanh_series(a)
    elif a < 3.0:
        t = _tanh_dd(a)
    else:
        return _tanh(x)
    return -t if x < 0.0 else t


def tanh_fast(x: float) -> float:
    """tanh at the C library's speed, correctly rounded about 91% of the time (torch: 99.3%).

    Measured against correctly rounded tanh: below 1/16 the odd series (99.97%); for
    0.55 <= |x| < 5 micrograd's own formula (e^2x - 1) / (e^2x + 1) (82% to 99.8%, where
    libm's is right 50% to 99.8%); elsewhere libm's. The lecture's tanh neuron gives
    0.7071067811865476, as in PyTorch.
    """
    a = -x if x < 0.0 else x
    if a < 0.0625:
        t = _tanh_series(a)
        return -t if x < 0.0 else t
    if a < 0.55 or a >= 5.0:
        return _tanh(x)
    e = _exp(a + a)
    t = (e - 1.0) / (e + 1.0)
    return t if x > 0.0 else -t


def _tanh_series(a: float) -> float:
    """tanh(a) for 0 <= a < 1/16: a plus a correction far below a's ulp, so it rounds once."""
    if a == 0.0:
        return a  # 0.0 + the correction would lose the sign of -0.0
    z = a * a
    return a + a * z * (
        -1 / 3
        + z
        * (
            2 / 15
            + z * (-17 / 315 + z * (62 / 2835 + z * (-1382 / 155925 + z * (21844 / 6081075))))
        )
    )


def _tanh_dd(a: float) -> float:
    """tanh(a) for 1/16 <= a < 3 through e^2a as a double-double (error below 2**-66)."""
    y = a + a
    k = round(y * _R_LN2)
    rh = y - k * _L2U  # exact: |k| < 16, and _L2U has 32 significant bits
    j = round(rh * 64.0)
    rh -= j * 0.015625  # exact: same binade or smaller
    rl = -k * _L2L
    r = rh + rl
    rl = (rh - r) + rl  # r + rl == rh - k*_L2L to 2**-106
    # e^r - 1 = r + q for |r| <= 1/128; q's rounding is far below the final ulp.
    q = r * r * (0.5 + r * (1 / 6 + r * (1 / 24 + r * (1 / 120 + r * (1 / 720 + r * (1 / 5040))))))
    s = r + (q + rl)
    sl = (r - s) + (q + rl)
    th, tl = _E64[j + 32]
    # E = 2^k * T * (1 + s + sl), as eh + el
    p = th * s
    pe = _product_error(th, s, p)
    eh = th + p
    el = ((th - eh) + p) + (tl + pe + th * sl + tl * s)
    scale = 2.0**k
    eh *= scale
    el *= scale
    # tanh = (E - 1) / (E + 1), numerator and denominator as double-doubles
    nh = eh - 1.0
    bb = nh - eh
    nl = ((eh - (nh - bb)) + (-1.0 - bb)) + el
    dh = eh + 1.0
    bb = dh - eh
    dl = ((eh - (dh - bb)) + (1.0 - bb)) + el
    qh = nh / dh
    p = qh * dh
    pe = _product_error(qh, dh, p)
    return qh + (((nh - p) - pe) + nl - qh * dl) / dh


# The engine's tanh: fast by default (the chain benchmark is a third tanh nodes, and the
# double-double costs about 20 times libm's); GRADPIPE_TANH=exact for torch's bits.
tanh = tanh_exact if os.environ.get(TANH_ENV, "").strip().lower() == "exact" else tanh_fast
