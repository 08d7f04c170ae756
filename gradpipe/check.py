"""Gradient checking of a document: what ``gradpipe check`` runs, as a library function.

``check_plan(plan)`` builds the plan's graph and checks every leaf with
``gradpipe.checking`` (the numerics of ``gradpipe.difference``: a relative step on a
ladder of sizes, Richardson error estimates, no step across a kink, pole or domain
edge). A gradient fails only as a MISMATCH; a point that is not differentiable, or an
estimate too uncertain to tell, is reported and does not fail the check.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from gradpipe.checking import (
    DEFAULT_ATOL,
    DEFAULT_EPS,
    DEFAULT_RTOL,
    LeafCheck,
    Tolerances,
    check_graph,
    format_table,
)
from gradpipe.difference import Result
from gradpipe.documents.build import build_graph
from gradpipe.documents.graph import Graph
from gradpipe.documents.plan import Plan

if TYPE_CHECKING:
    from gradpipe.render.labels import NodeMark

# How a picture colours a leaf by its result (the README's check picture).
COLOURS = {
    Result.OK: "#abebc6",
    Result.MISMATCH: "#f5b7b1",
    Result.KINK: "#fad7a0",
    Result.UNCERTAIN: "#fad7a0",
    Result.UNCHECKED: "#e5e7e9",
}


@dataclass(frozen=True)
class GradientCheck:
    """The outcome of ``check_plan``: every leaf's verdict and the tolerances."""

    path: str
    output: str
    checks: list[LeafCheck]
    eps: float
    rtol: float
    atol: float
    graph: Graph | None = field(default=None, repr=False, compare=False)

    @property
    def wrong(self) -> list[str]:
        """The leaves whose gradients differ (MISMATCH)."""
        return [c.leaf for c in self.checks if c.failed]

    @property
    def passed(self) -> bool:
        """Whether no leaf's gradients differ."""
        return not self.wrong

    def summary(self) -> str:
        """One line naming the leaves that failed (or saying none did)."""
        wrong = self.wrong
        if not wrong:
            return f"all {len(self.checks)} gradients match"
        listed = ", ".join(wrong)
        return f"gradient check failed for {len(wrong)} of {len(self.checks)} leaves: {listed}"

    def marks(self) -> dict[str, NodeMark]:
        """Each leaf's mark for a picture: coloured by its result, its relative error noted."""
        from gradpipe.render.labels import NodeMark  # pictures load only when drawn

        marks = {}
        for c in self.checks:
            relative = c.verdict.relative_error
            words = c.result.value
            estimate = c.verdict.estimate
            if c.failed and c.numeric is not None:
                words += f": numeric {c.numeric:.6g}"
            elif estimate.left is not None and estimate.right is not None:
                words += f": slopes {estimate.left:.4g} left, {estimate.right:.4g} right"
            if relative is not None:
                words += f", rel. error {relative:.1e}"
            marks[c.leaf] = NodeMark(c.result.name.lower(), COLOURS[c.result], f"check {words}")
        return marks

    def report(self) -> str:
        """The table: a title naming the input and tolerances, one row per leaf, a verdict."""
        title = (
            f"{self.path}: gradients of '{self.output}', "
            f"eps {self.eps:g}, rtol {self.rtol:g}, atol {self.atol:g}"
        )
        return format_table(title, self.checks)


def check_plan(
    plan: Plan,
    overrides: Mapping[str, float] | None = None,
    *,
    eps: float = DEFAULT_EPS,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
) -> GradientCheck:
    """Check backprop's gradient of every leaf of ``plan`` against a numeric derivative.

    Math errors of backprop at the plan's own point are raised, located in its file.
    """
    graph = build_graph(plan, dict(overrides or {}))
    checks = check_graph(graph, Tolerances(eps, rtol, atol))
    return GradientCheck(plan.path, graph.output, checks, eps, rtol, atol, graph)
