"""Gradient checking as a library: a graph's leaves, or any Value function's inputs.

Both ``gradpipe check`` and ``gradpipe.gradcheck`` compare backprop's gradient of each
leaf with a numeric derivative from ``gradpipe.difference``, which measures its own
error and never steps across a kink, a pole or a domain edge.
"""

from __future__ import annotations

import html
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from gradpipe.difference import Result, Verdict, differentiate, exact_zero, judge
from gradpipe.documents.graph import Graph
from gradpipe.engine.ops import LEAF
from gradpipe.engine.value import Value, topological_order
from gradpipe.errors import GradcheckError
from gradpipe.replay import Replay, Unevaluable

DEFAULT_EPS = 1e-6
DEFAULT_RTOL = 1e-3
DEFAULT_ATOL = 1e-5


@dataclass(frozen=True)
class LeafCheck:
    """One leaf (or input): its value and the verdict on its gradient.

    ``output`` names the output the gradient is of, when ``gradcheck``'s function has several.
    """

    leaf: str
    value: float
    verdict: Verdict
    output: str | None = None

    @property
    def name(self) -> str:
        """The row's name: ``inputs[0]``, or ``inputs[0] (outputs[1])`` of several outputs."""
        return self.leaf if self.output is None else f"{self.leaf} ({self.output})"

    @property
    def analytic(self) -> float:
        return self.verdict.analytic

    @property
    def numeric(self) -> float | None:
        return self.verdict.numeric

    @property
    def result(self) -> Result:
        return self.verdict.result

    @property
    def failed(self) -> bool:
        return self.verdict.failed


@dataclass(frozen=True)
class Tolerances:
    """The step and the acceptance rule |analytic - numeric| <= atol + rtol·|numeric|."""

    eps: float = DEFAULT_EPS
    rtol: float = DEFAULT_RTOL
    atol: float = DEFAULT_ATOL

    def accepted(self, slope: float) -> float:
        return self.atol + self.rtol * abs(slope)


def check_graph(graph: Graph, tolerances: Tolerances, output: str | None = None) -> list[LeafCheck]:
    """Every leaf of ``graph``, in graph order, checked against the graph's output.

    Backprop fills the graph's gradients (a MathError from it propagates). Only the
    output's ancestors are evaluated at the perturbed points; a leaf the output does not
    depend on must have gradient 0, which needs no evaluation.
    """
    graph.backward(output)
    root = graph.node(graph.output if output is None else output)
    replay = Replay(root, dict(zip(graph.nodes, graph.ids, strict=True)), ())
    noise = _noise(replay.order)
    checks = []
    for leaf, node in graph:
        if node.operation != LEAF:
            continue
        analytic = node.grad
        if not replay.depends_on(leaf):
            estimate = exact_zero()
        else:
            replay.focus([leaf])
            estimate = differentiate(
                _replay_probe(replay, leaf),
                node.data,
                tolerances.eps,
                tolerances.accepted,
                replay.watched(),
                noise,
            )
        verdict = judge(analytic, estimate, tolerances.rtol, tolerances.atol)
        checks.append(LeafCheck(leaf, node.data, verdict))
    return checks


def _replay_probe(replay: Replay, leaf: str) -> Callable[[float], tuple[float, tuple[int, ...]]]:
    def probe(x: float) -> tuple[float, tuple[int, ...]]:
        value = replay.evaluate({leaf: x})
        return value, replay.signs()

    return probe


def format_table(title: str, checks: Sequence[LeafCheck]) -> str:
    """A title line, one aligned row per leaf, and a summary line."""
    header = ["leaf", "value", "analytic", "numeric", "difference", "result"]
    rows = [header]
    for c in checks:
        difference = c.verdict.difference
        rows.append(
            [
                c.name,
                _number(c.value),
                _number(c.analytic),
                "-" if c.numeric is None else _number(c.numeric),
                "-" if difference is None else f"{difference:.2e}",
                c.verdict.explain(),
            ]
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(header) - 1)]
    lines = [title]
    for row in rows:
        cells = [cell.ljust(width) for cell, width in zip(row, widths, strict=False)]
        lines.append("  " + "  ".join([*cells, row[-1]]))
    lines.append("  " + summary(checks))
    return "\n".join(lines) + "\n"


def summary(checks: Sequence[LeafCheck]) -> str:
    """``all 5 gradients match``, ``1 of 5 gradients differ``, or what else was found."""
    if not checks:
        return "no leaves to check"
    total = len(checks)
    wrong = sum(c.failed for c in checks)
    if wrong:
        return f"{wrong} of {total} gradients differ"
    ok = sum(c.result is Result.OK for c in checks)
    if ok == total:
        return f"all {total} gradients match"
    others = [
        f"{count} {result.value}"
        for result in (Result.KINK, Result.UNCERTAIN, Result.UNCHECKED)
        if (count := sum(c.result is result for c in checks))
    ]
    return f"{ok} of {total} gradients match, no mismatch; {', '.join(others)}"


def _number(x: float) -> str:
    """Ten significant digits: enough to see a disagreement, short enough to read."""
    return f"{x:.10g}"


class GradcheckReport:
    """What ``gradcheck_report`` found: true when no gradient differs; a table in Jupyter."""

    def __init__(self, checks: Sequence[LeafCheck], tolerances: Tolerances) -> None:
        self.checks = list(checks)
        self.tolerances = tolerances

    @property
    def passed(self) -> bool:
        return not any(c.failed for c in self.checks)

    def __bool__(self) -> bool:
        return self.passed

    def title(self) -> str:
        t = self.tolerances
        return f"gradcheck: eps {t.eps:g}, rtol {t.rtol:g}, atol {t.atol:g}"

    def __str__(self) -> str:
        return format_table(self.title(), self.checks)

    def __repr__(self) -> str:
        return str(self)

    def _repr_html_(self) -> str:
        head = "".join(
            f"<th>{h}</th>"
            for h in ("input", "value", "backprop", "numeric", "difference", "result")
        )
        body = []
        for c in self.checks:
            difference = c.verdict.difference
            colour = {"MISMATCH": "#c62828", "ok": "#2e7d32"}.get(c.result.value, "#ef6c00")
            cells = [
                c.name,
                _number(c.value),
                _number(c.analytic),
                "-" if c.numeric is None else _number(c.numeric),
                "-" if difference is None else f"{difference:.2e}",
            ]
            body.append(
                "<tr>"
                + "".join(f"<td><code>{html.escape(cell)}</code></td>" for cell in cells)
                + f'<td style="color:{colour}">{html.escape(c.verdict.explain())}</td></tr>'
            )
        return (
            f"<div><p>{html.escape(self.title())}: {html.escape(summary(self.checks))}</p>"
            f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table></div>"
        )


def gradcheck_report(
    f: Callable[..., Value | float | Sequence[Value | float]],
    inputs: Sequence[float | Value] | float | Value,
    *,
    eps: float = DEFAULT_EPS,
    atol: float = DEFAULT_ATOL,
    rtol: float = DEFAULT_RTOL,
) -> GradcheckReport:
    """Check ``f``'s backprop against numeric derivatives, one row per input and output.

    ``f`` takes one Value per input and returns a Value, or a tuple or list of them (as
    ``torch.autograd.gradcheck``'s function may): each output's gradient is checked with
    respect to each input, its rows named ``inputs[0] (outputs[1])``. Ops written in
    micrograd's style (a ``_backward`` closure) are checked like built-in ones. ``inputs``
    are numbers or Values (only their values and labels are used: they are never modified).
    """
    tolerances = Tolerances(eps, rtol, atol)
    items = list(inputs) if isinstance(inputs, Sequence) else [inputs]
    points = [float(x.data) if isinstance(x, Value) else float(x) for x in items]
    names = [
        x.label if isinstance(x, Value) and x.label else f"inputs[{i}]" for i, x in enumerate(items)
    ]
    labels = [x.label if isinstance(x, Value) else "" for x in items]

    def call(values: Sequence[float]) -> tuple[list[Value], list[Value]]:
        leaves = [Value(v, label=label) for v, label in zip(values, labels, strict=True)]
        return leaves, _outputs(f(*leaves))

    leaves, outs = call(points)
    # One output is named as before; several are each named, by label or by position.
    outputs: list[str | None] = (
        [None] if len(outs) == 1 else [out.label or f"outputs[{j}]" for j, out in enumerate(outs)]
    )
    checks = []
    for j, output in enumerate(outputs):
        if j:  # a fresh graph per output: leaves accumulate, one backward must not see another
            leaves, outs = call(points)
        out = outs[j]
        out.backward()
        watched, noise = _signs(out)[1], _noise(topological_order((out,)))
        for i, (x, leaf) in enumerate(zip(points, leaves, strict=True)):

            def probe(t: float, i: int = i, j: int = j) -> tuple[float, tuple[int, ...]]:
                try:
                    _, results = call([*points[:i], t, *points[i + 1 :]])
                except (ArithmeticError, ValueError) as error:
                    raise Unevaluable(getattr(error, "message", None) or str(error)) from None
                if len(results) != len(outputs):  # f's outputs must be the same at every point
                    raise TypeError(
                        f"gradcheck: f returned {len(outputs)} output(s) at the inputs but "
                        f"{len(results)} with {names[i]} = {t!r}"
                    )
                return results[j].data, _signs(results[j])[0]

            estimate = differentiate(probe, x, eps, tolerances.accepted, watched, noise)
            verdict = judge(leaf.grad, estimate, rtol, atol)
            checks.append(LeafCheck(names[i], x, verdict, output))
    return GradcheckReport(checks, tolerances)


def _outputs(out: Value | float | Sequence[Value | float]) -> list[Value]:
    """What ``f`` returned as a list of Values: one, or each of a tuple's or list's."""
    if isinstance(out, (tuple, list)):
        if not out:
            raise ValueError("gradcheck: f returned no outputs (an empty tuple or list)")
        return [o if isinstance(o, Value) else Value.constant(float(o)) for o in out]
    return [out if isinstance(out, Value) else Value.constant(float(out))]  # type: ignore[arg-type]


def gradcheck(
    f: Callable[..., Value | float | Sequence[Value | float]],
    inputs: Sequence[float | Value] | float | Value,
    *,
    eps: float = DEFAULT_EPS,
    atol: float = DEFAULT_ATOL,
    rtol: float = DEFAULT_RTOL,
    raise_exception: bool = True,
) -> bool:
    """``torch.autograd.gradcheck`` for Values: True when every input's gradient matches.

    ``f`` returns one Value or a tuple or list of them (each output checked against each
    input). On a mismatch, raises GradcheckError naming the input (and the output, of
    several) and both numbers (its ``report`` is the whole table), or returns False with
    ``raise_exception=False``.
    Points where f is not differentiable, or next to a domain edge, are not mismatches:
    the report says so (``gradcheck_report`` gives the table for a notebook).
    """
    report = gradcheck_report(f, inputs, eps=eps, atol=atol, rtol=rtol)
    if report.passed:
        return True
    if not raise_exception:
        return False
    first = next(c for c in report.checks if c.failed)
    assert first.numeric is not None
    of = first.leaf if first.output is None else f"{first.output} with respect to {first.leaf}"
    message = (
        f"gradient of {of} (= {_number(first.value)}) differs: "
        f"backprop {first.analytic!r}, numeric {first.numeric!r}\n{report}"
    )
    raise GradcheckError(message, report)


def _noise(nodes: Sequence[Value]) -> float:
    """The rounding error of evaluating the output, to first order: u · Σ |value · grad|."""
    total = 0.0
    for v in nodes:
        if v._prev and v.grad:
            total += abs(v.data * v.grad)
    return total * 2.0**-53


def _signs(out: Value) -> tuple[tuple[int, ...], list[str]]:
    """The signs of ``out``'s watched arguments (relu's input, divisors, small powers' bases)."""
    signs = []
    names = []
    for v in topological_order((out,)):
        op = getattr(v, "operation", v._op)
        kids = v._prev
        if op == "relu" and len(kids) == 1:
            watched = kids[0]
        elif op == "div" and len(kids) == 2:
            watched = kids[1]
        elif op == "pow" and len(kids) == 2:
            exponent = kids[1]
            if exponent.is_constant and not (exponent.data < 1.0 and exponent.data != 0.0):
                continue
            watched = kids[0]
        else:
            continue
        x = watched.data
        signs.append((x > 0.0) - (x < 0.0))
        names.append(f"node '{v.label}' ({op})" if v.label else f"an unnamed node ({op})")
    return tuple(signs), names


__all__ = [
    "DEFAULT_ATOL",
    "DEFAULT_EPS",
    "DEFAULT_RTOL",
    "GradcheckReport",
    "LeafCheck",
    "Tolerances",
    "check_graph",
    "format_table",
    "gradcheck",
    "gradcheck_report",
]
