"""Gradient checking: each leaf's backprop gradient against a central difference.

As ``torch.autograd.gradcheck`` does: the numeric gradient of leaf x is
(f(x + eps) - f(x - eps)) / 2·eps, and the two agree when
|analytic - numeric| <= atol + rtol·|numeric|. ``check_plan(plan)`` is the library's
entry point; ``gradpipe check`` prints its report and fails when it does not pass.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from gradpipe.documents.build import build_graph
from gradpipe.documents.graph import Graph
from gradpipe.documents.plan import Plan
from gradpipe.engine.ops import LEAF
from gradpipe.errors import GradpipeError

DEFAULT_EPS = 1e-6
DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-5


@dataclass(frozen=True)
class LeafCheck:
    """One leaf's two gradients; ``numeric`` is None when f(x ± eps) cannot be computed."""

    leaf: str
    value: float
    analytic: float
    numeric: float | None
    problem: str | None = None

    def agrees(self, rtol: float, atol: float) -> bool:
        """The gradcheck comparison, with the numeric gradient as the reference."""
        if self.numeric is None:
            return False
        return abs(self.analytic - self.numeric) <= atol + rtol * abs(self.numeric)


@dataclass(frozen=True)
class GradientCheck:
    """The outcome of ``check_plan``: every leaf's two gradients and the tolerances."""

    path: str
    output: str
    checks: list[LeafCheck]
    eps: float
    rtol: float
    atol: float

    @property
    def wrong(self) -> list[str]:
        """The leaves whose gradients differ."""
        return [c.leaf for c in self.checks if not c.agrees(self.rtol, self.atol)]

    @property
    def passed(self) -> bool:
        """Whether every leaf's gradients agree."""
        return not self.wrong

    def summary(self) -> str:
        """One line naming the leaves that failed (or saying none did)."""
        wrong = self.wrong
        if not wrong:
            return f"all {len(self.checks)} gradients match"
        return f"gradient check failed for {len(wrong)} of {len(self.checks)} leaves: " + ", ".join(
            wrong
        )

    def report(self) -> str:
        """The table: a header, one aligned row per leaf, and a verdict."""
        return format_report(self.path, self.output, self.checks, self.eps, self.rtol, self.atol)


def check_plan(
    plan: Plan,
    overrides: Mapping[str, float] | None = None,
    *,
    eps: float = DEFAULT_EPS,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> GradientCheck:
    """Check backprop's gradient of every leaf of ``plan`` against a central difference.

    Math errors of backprop are raised (located in the plan's file); a leaf whose
    f(x ± eps) cannot be computed is a failed row of the table.
    """
    overrides = dict(overrides or {})
    graph = build_graph(plan, overrides)
    checks = check_gradients(graph, eps, partial(_output_with, plan, overrides))
    return GradientCheck(plan.path, graph.output, checks, eps, rtol, atol)


def check_gradients(
    graph: Graph, eps: float, output_with: Callable[[str, float], float]
) -> list[LeafCheck]:
    """Backprop's gradient and the central difference for every leaf, in graph order.

    ``output_with(leaf, x)`` is the output's value when ``leaf`` is set to ``x``.
    """
    graph.backward()
    checks = []
    for leaf, node in graph:
        if node.operation != LEAF:
            continue
        analytic = node.grad if node.grad is not None else 0.0
        try:
            plus = output_with(leaf, node.data + eps)
            minus = output_with(leaf, node.data - eps)
        except GradpipeError as error:
            checks.append(LeafCheck(leaf, node.data, analytic, None, error.message))
            continue
        numeric = (plus - minus) / (2 * eps)
        if math.isfinite(numeric):
            checks.append(LeafCheck(leaf, node.data, analytic, numeric))
        else:
            checks.append(LeafCheck(leaf, node.data, analytic, None, "numeric gradient overflows"))
    return checks


def format_report(
    path: str, output: str, checks: Sequence[LeafCheck], eps: float, rtol: float, atol: float
) -> str:
    """A header naming the input and tolerances, one aligned row per leaf, and a verdict."""
    header = ["leaf", "value", "analytic", "numeric", "difference", "result"]
    rows = [header]
    for c in checks:
        ok = c.agrees(rtol, atol)
        if c.numeric is None:
            numeric, difference = "-", "-"
        else:
            numeric, difference = _ten_digits(c.numeric), f"{abs(c.analytic - c.numeric):.2e}"
        verdict = "ok" if ok else f"MISMATCH ({c.problem})" if c.problem else "MISMATCH"
        rows.append(
            [c.leaf, _ten_digits(c.value), _ten_digits(c.analytic), numeric, difference, verdict]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = [f"{path}: gradients of '{output}', eps {eps:g}, rtol {rtol:g}, atol {atol:g}"]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  " + "  ".join([*cells, row[-1]]))
    wrong = sum(not c.agrees(rtol, atol) for c in checks)
    if not checks:
        lines.append("  no leaves to check")
    elif wrong:
        lines.append(f"  {wrong} of {len(checks)} gradients differ")
    else:
        lines.append(f"  all {len(checks)} gradients match")
    return "\n".join(lines) + "\n"


def _ten_digits(x: float) -> str:
    """Ten significant digits: enough to see a disagreement, short enough to read."""
    return f"{x:.10g}"


def _output_with(plan: Plan, overrides: Mapping[str, float], leaf: str, x: float) -> float:
    """The output's value with one more override: the graph rebuilt, as ``--set`` would."""
    graph = build_graph(plan, {**overrides, leaf: x})
    return graph.node(graph.output).data
