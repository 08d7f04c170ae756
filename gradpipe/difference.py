"""Numeric derivatives that know their own error, and the verdict that compares with backprop.

A single central difference with a fixed step (what ``torch.autograd.gradcheck`` does)
cries wolf in four ways: a step below half an ulp of x measures nothing (``2*x`` at
1e12), a step comparable to the scale on which f curves measures the curvature (``1/y``
at 2e-6), a step across a kink or a pole measures the jump (relu at 0), and a step past a
domain edge cannot be evaluated at all (``log`` at x - h < 0). So here:

- the step is relative, ``h = eps * max(|x|, 1)``, and is tried on a ladder of sizes
  around that (x ± h rounded to floats, the step actually taken used in the quotient);
- each size gives a Richardson pair D(h), D(h/2): the extrapolation is the estimate and
  the spread of neighbouring pairs (plus the rounding floor) its error, so curvature and
  rounding are measured, not guessed; the size with the smallest error wins;
- a step is valid only where every point evaluates and every watched argument (relu's
  input, a divisor, a base of a power below 1) keeps its sign at x: a step that crosses
  a kink, a pole or a domain edge is never used; where no central step is valid, a
  one-sided difference (forward or backward) is, and the verdict says which;
- where x sits on a kink (a watched argument is 0 at x and not on either side), the two
  one-sided slopes are compared: equal, the function is differentiable after all;
  different, the point is "not differentiable here" and no verdict is given.

A mismatch is reported only when backprop and the estimate differ by more than the
tolerance plus the estimate's own error; where the estimate is too uncertain to tell, the
result says so instead of guessing.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from enum import Enum

# The probe: f at a point, and the signs of its watched arguments there. It raises
# ArithmeticError (Unevaluable, MathError, ...) where f cannot be evaluated.
Probe = Callable[[float], "tuple[float, tuple[int, ...]]"]

_ULP = 2.0**-52
# The ladder: h0 * 2**k for k from UP down to -DOWN, then relative to |x| when |x| < 1.
_UP = 24
_DOWN = 12
# Further down, tried only while no rung has settled: to 8 ulps of x, at most this many.
_DEEP = 64
# Good enough to stop climbing down the ladder: the error this far below the tolerance.
_CONFIDENT = 0.05


class Result(Enum):
    """A leaf's verdict; only MISMATCH fails a check."""

    OK = "ok"
    MISMATCH = "MISMATCH"
    KINK = "not differentiable here"
    UNCERTAIN = "uncertain"
    UNCHECKED = "not checked"


@dataclass(frozen=True)
class Estimate:
    """A numeric derivative, its estimated error, and how it was found."""

    slope: float | None
    error: float
    method: str  # "central", "forward", "backward", "exact" (f does not depend on x), ""
    step: float
    note: str = ""  # why a central difference could not be used, or why nothing could
    left: float | None = None  # the one-sided slopes at a kink
    right: float | None = None
    kink: str = ""  # the kink x sits on, where it does


@dataclass(frozen=True)
class Verdict:
    """The comparison of backprop's gradient with the estimate."""

    result: Result
    analytic: float
    estimate: Estimate

    @property
    def numeric(self) -> float | None:
        return self.estimate.slope

    @property
    def difference(self) -> float | None:
        slope = self.estimate.slope
        return None if slope is None else abs(self.analytic - slope)

    @property
    def relative_error(self) -> float | None:
        """|analytic - numeric| / max(|numeric|, |analytic|), 0 when both are 0."""
        slope = self.estimate.slope
        if slope is None:
            return None
        scale = max(abs(slope), abs(self.analytic))
        return abs(self.analytic - slope) / scale if scale else 0.0

    @property
    def failed(self) -> bool:
        return self.result is Result.MISMATCH

    def explain(self) -> str:
        """The result column: the verdict, then how the estimate was made when unusual."""
        e = self.estimate
        if self.result is Result.KINK:
            if e.slope is not None:  # the same slope both sides, yet backprop's differs
                return (
                    f"not differentiable here ({e.kink}; slope {_g(e.slope)} both sides,"
                    " backprop takes the kink's convention)"
                )
            return (
                f"not differentiable here ({e.kink}; slopes {_g(e.left)} left, {_g(e.right)} right)"
            )
        if self.result is Result.UNCHECKED:
            return f"not checked ({e.note})"
        notes = []
        if self.result is Result.UNCERTAIN:
            if math.isinf(e.error):
                notes.append("the difference quotients do not converge")
            else:
                notes.append(f"numeric error ±{e.error:.1e}")
        if e.method in ("forward", "backward"):
            notes.append(f"one-sided, {e.method}: {e.note}")
        words = str(self.result.value)
        return f"{words} ({'; '.join(notes)})" if notes else words


def _g(x: float | None) -> str:
    return "-" if x is None else f"{x:.6g}"


def differentiate(
    probe: Probe,
    x: float,
    eps: float,
    tolerance: Callable[[float], float],
    watched: Sequence[str] = (),
    noise: float = 0.0,
) -> Estimate:
    """The best numeric estimate of f'(x), with its error, from the ladder of steps.

    ``tolerance(slope)`` is the difference that will be accepted (the search stops once
    the error is well below it); ``watched`` names the probe's watched arguments;
    ``noise`` bounds the rounding error of one evaluation of f (first order: the unit
    roundoff times the sum over nodes of |value · gradient|).
    """
    try:
        fx, base = probe(x)
    except ArithmeticError as error:  # f fails at x itself: nothing to compare with
        return Estimate(None, math.inf, "", 0.0, _message(error))
    cache: dict[float, tuple[float, tuple[int, ...]] | str] = {x: (fx, base)}

    def at(t: float) -> tuple[float, tuple[int, ...]] | str:
        if t not in cache:
            try:
                cache[t] = probe(t)
            except ArithmeticError as error:
                cache[t] = _message(error)
        return cache[t]

    on_kink = any(s == 0 for s in base)
    h0 = eps * max(abs(x), 1.0)
    steps = [h0 * 2.0**k for k in range(_UP, -_DOWN - 1, -1)]
    if 0.0 < abs(x) < 1.0:
        small = eps * abs(x)
        steps += [small * 2.0**-k for k in range(0, _DOWN + 1) if small * 2.0**-k < steps[-1]]
    floor = 32 * math.ulp(x) if x else 0.0
    deep = steps[-1] / 2
    for _ in range(_DEEP):
        if deep <= floor or deep == 0.0:
            break
        steps.append(deep)
        deep /= 2
    # From the user's step outwards: down first (curvature), then up (rounding), then
    # deeper down (a kink, pole or edge very close to x).
    ordered = steps[_UP : _UP + _DOWN + 1] + steps[:_UP][::-1] + steps[_UP + _DOWN + 1 :]
    best: dict[str, Estimate] = {}
    notes: list[str] = []
    for h in ordered:
        for method in ("central", "forward", "backward"):
            if method != "central" and "central" in best and not on_kink:
                continue
            estimate = _rung(at, x, fx, base, h, method, on_kink, notes, noise)
            if estimate is not None and (method not in best or estimate.error < best[method].error):
                best[method] = estimate
        settled = [_settled(e, tolerance) for e in best.values()]
        if not on_kink and "central" in best and _settled(best["central"], tolerance):
            break
        if on_kink and len(best) == 2 and all(settled):
            break
    note = notes[0] if notes else ""
    if on_kink:
        kinks = [w for w, s in zip(watched, base, strict=False) if s == 0]
        return _at_kink(best, f"{kinks[0] if kinks else 'an argument'} at its kink")
    if "central" in best:
        return best["central"]
    one_sided = [best[m] for m in ("forward", "backward") if m in best]
    if one_sided:
        chosen = min(one_sided, key=lambda e: e.error)
        return Estimate(chosen.slope, chosen.error, chosen.method, chosen.step, note)
    return Estimate(None, math.inf, "", 0.0, note or "no step can be evaluated")


def _settled(e: Estimate, tolerance: Callable[[float], float]) -> bool:
    assert e.slope is not None
    return e.error <= _CONFIDENT * tolerance(e.slope)


def _at_kink(best: dict[str, Estimate], note: str) -> Estimate:
    left, right = best.get("backward"), best.get("forward")
    if left is None or right is None:
        side = left or right
        if side is None:
            return Estimate(None, math.inf, "", 0.0, note, kink=note)
        return Estimate(side.slope, side.error, side.method, side.step, note, kink=note)
    assert left.slope is not None and right.slope is not None
    error = max(left.error, right.error)
    if abs(left.slope - right.slope) <= 1e-8 * max(abs(left.slope), abs(right.slope)) + 4 * error:
        # The same slope from both sides: differentiable, the kink does not show in f.
        slope = (left.slope + right.slope) / 2
        return Estimate(slope, error, "central", right.step, kink=note)
    return Estimate(None, error, "", right.step, note, left.slope, right.slope, note)


def _rung(
    at: Callable[[float], tuple[float, tuple[int, ...]] | str],
    x: float,
    fx: float,
    base: tuple[int, ...],
    h: float,
    method: str,
    on_kink: bool,
    notes: list[str],
    noise: float,
) -> Estimate | None:
    """One size of the ladder: a Richardson pair and its error, or None where invalid."""
    if method == "central":
        if on_kink:
            return None
        offsets = ((h, -h), (h / 2, -h / 2), (h / 4, -h / 4))
    elif method == "forward":
        offsets = ((h, 0.0), (h / 2, 0.0), (h / 4, 0.0))
    else:
        offsets = ((0.0, -h), (0.0, -h / 2), (0.0, -h / 4))
    quotients = []
    side: tuple[int, ...] | None = None
    largest = abs(fx)
    for up, down in offsets:
        hi, lo = x + up, x + down
        if hi == lo or (up and hi == x) or (down and lo == x):
            return None  # the step vanishes in x's rounding
        values = []
        for t in (hi, lo):
            if t == x:
                values.append(fx)
                continue
            got = at(t)
            if isinstance(got, str):
                if not notes:
                    notes.append(f"{got} at {t:.6g}")
                return None
            value, signs = got
            if signs != base:
                if not on_kink or not _beside(signs, base):
                    if not notes:
                        notes.append(_crossing(signs, base, t))
                    return None
                if side is None:
                    side = signs
                elif signs != side:
                    return None
            values.append(value)
            largest = max(largest, abs(value))
        quotient = (values[0] - values[1]) / (hi - lo)
        if quotient - quotient != 0.0:
            return None
        quotients.append(quotient)
    d1, d2, d3 = quotients
    order = 2 if method == "central" else 1
    factor = 2.0**order - 1.0
    slope = d2 + (d2 - d1) / factor
    rounding = 8 * (noise + _ULP * largest) / h
    if abs(d3 - d2) > 0.75 * abs(d2 - d1) and abs(d3 - d2) > rounding:
        # The quotients do not converge as the step halves: the step is far larger than
        # the scale on which f curves, so their spread says nothing about the error.
        return Estimate(slope, math.inf, method, h)
    error = abs(d2 - d1) + abs(d3 - d2) + rounding
    return Estimate(slope, error, method, h)


def _beside(signs: tuple[int, ...], base: tuple[int, ...]) -> bool:
    """Signs on one side of a kink at x: equal to x's wherever x's are not 0."""
    return len(signs) == len(base) and all(b in (0, s) for s, b in zip(signs, base, strict=True))


def _crossing(signs: tuple[int, ...], base: tuple[int, ...], t: float) -> str:
    if len(signs) != len(base):
        return f"the graph changes shape by {t:.6g}"
    return f"an argument changes sign by {t:.6g}"


def _message(error: ArithmeticError) -> str:
    message = getattr(error, "message", None)
    return message if isinstance(message, str) else str(error)


def judge(analytic: float, estimate: Estimate, rtol: float, atol: float) -> Verdict:
    """gradcheck's rule |a - n| <= atol + rtol·|n|, widened by the estimate's error."""
    slope = estimate.slope
    if slope is None:
        kind = Result.KINK if estimate.left is not None else Result.UNCHECKED
        return Verdict(kind, analytic, estimate)
    difference = abs(analytic - slope)
    tolerance = atol + rtol * abs(slope)
    if difference <= tolerance:
        return Verdict(Result.OK, analytic, estimate)
    if estimate.kink:  # backprop's value at a kink is a convention (relu'(0) = 0)
        return Verdict(Result.KINK, analytic, estimate)
    if difference <= tolerance + 4 * estimate.error:
        return Verdict(Result.UNCERTAIN, analytic, estimate)
    return Verdict(Result.MISMATCH, analytic, estimate)


def exact_zero() -> Estimate:
    """The estimate for a leaf the output does not depend on: exactly 0, nothing evaluated."""
    return Estimate(0.0, 0.0, "exact", 0.0, "the output does not depend on it")
