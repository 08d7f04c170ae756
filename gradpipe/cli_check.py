"""``gradpipe check``: each leaf's backprop gradient against a central difference.

As ``torch.autograd.gradcheck`` does: the numeric gradient of leaf x is
(f(x + eps) - f(x - eps)) / 2·eps, and the two agree when
|analytic - numeric| <= atol + rtol·|numeric|.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from functools import partial

from gradpipe.batch import StageFailure
from gradpipe.documents import Document, build_graph, locate_math_error, read_document
from gradpipe.engine import LEAF
from gradpipe.errors import GradpipeError, MathError
from gradpipe.graph import Graph

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


def check(
    raw: bytes,
    path: str,
    overrides: Mapping[str, float],
    eps: float,
    rtol: float,
    atol: float,
) -> bytes:
    """The table for one input; a StageFailure carrying it when any gradient disagrees."""
    document = read_document(raw, path)
    graph = build_graph(document, overrides)
    try:
        checks = check_gradients(graph, eps, partial(_output_with, document, overrides))
    except MathError as error:  # from backprop: f(x ± eps) errors are rows of the table
        raise locate_math_error(raw, path, graph, error) from None
    report = format_report(path, graph.output, checks, eps, rtol, atol).encode()
    wrong = [c.leaf for c in checks if not c.agrees(rtol, atol)]
    if wrong:
        raise StageFailure(
            f"gradient check failed for {len(wrong)} of {len(checks)} leaves: {', '.join(wrong)}",
            report,
        )
    return report


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
            numeric, difference = _number(c.numeric), f"{abs(c.analytic - c.numeric):.2e}"
        verdict = "ok" if ok else f"MISMATCH ({c.problem})" if c.problem else "MISMATCH"
        rows.append([c.leaf, _number(c.value), _number(c.analytic), numeric, difference, verdict])
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


def _number(x: float) -> str:
    """Ten significant digits: enough to see a disagreement, short enough to read."""
    return f"{x:.10g}"


def _output_with(document: Document, overrides: Mapping[str, float], leaf: str, x: float) -> float:
    """The output's value with one more override: the graph rebuilt, as ``--set`` would."""
    graph = build_graph(document, {**overrides, leaf: x})
    return graph.node(graph.output).data
