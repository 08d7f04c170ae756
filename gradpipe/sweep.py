"""Sweeps: the output and its gradients as one or two leaves move over a range.

The graph is built once; each point re-evaluates it in place (``gradpipe.replay``):
only the nodes that depend on the moving leaves are recomputed, and backward runs over
the output's ancestors in the engine's order, so every row holds the numbers
``gradpipe backward --set`` would give at that point, bit for bit. A point where the math
fails (log of a negative, division by zero, an infinite gradient) is a gap: ``None`` in
the table, ``null`` in JSON, an empty CSV cell, a break in the plot.

Tables are CSV or strict JSON; plots (svg, png, pdf) are drawn by matplotlib, imported
only when a plot is asked for, with fixed fonts, hash salt and metadata, so the same
sweep gives the same bytes.
"""

from __future__ import annotations

import csv
import io
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from gradpipe.documents.graph import Graph
from gradpipe.engine.ops import LEAF
from gradpipe.errors import GradpipeError
from gradpipe.replay import Replay, Unevaluable

# Points in one sweep (a grid counts its product): enough for any plot, and bounded, so
# a typo in a step (1e-9 for 1e-1) is refused at once rather than run for hours.
MAX_POINTS = 1_000_000
TABLE_FORMATS = ("csv", "json")
PLOT_FORMATS = ("svg", "png", "pdf")
FORMATS = TABLE_FORMATS + PLOT_FORMATS


@dataclass(frozen=True)
class Axis:
    """A leaf and the values it takes, in order."""

    name: str
    values: tuple[float, ...]


def by_step(name: str, start: float, stop: float, step: float) -> Axis:
    """START, START+STEP, ... up to STOP included when a step lands on it (as in MATLAB).

    Each value is ``start + k*step`` (no accumulated rounding); one that lands within a
    millionth of a step of STOP is STOP exactly. ValueError for a step that is 0, points
    away from STOP, or gives more than MAX_POINTS values.
    """
    start, stop, step = float(start), float(stop), float(step)
    if step == 0.0:
        raise ValueError("the step is 0")
    if (stop - start) * step < 0.0:
        raise ValueError(f"a step of {step:g} never goes from {start:g} to {stop:g}")
    span = (stop - start) / step
    if math.isinf(span):  # stop - start overflowed: its halves cannot
        span = (stop / 2 - start / 2) / (step / 2)
    if not span < MAX_POINTS:
        raise ValueError(f"more than {MAX_POINTS} points")
    count = math.floor(span + 1e-6) + 1
    values = [_along(start, step, k) for k in range(count)]
    if abs(values[-1] - stop) <= 1e-6 * abs(step):
        values[-1] = stop
    return Axis(name, tuple(values))


def by_count(name: str, start: float, stop: float, count: int) -> Axis:
    """COUNT values evenly from START to STOP, both included (as numpy's linspace)."""
    start, stop = float(start), float(stop)
    if count < 1:
        raise ValueError("the count must be at least 1")
    if count > MAX_POINTS:
        raise ValueError(f"more than {MAX_POINTS} points")
    if count == 1:
        return Axis(name, (start,))
    values = [start + (stop - start) * k / (count - 1) for k in range(count)]
    if not all(map(math.isfinite, values)):  # (stop - start)·k overflowed; this cannot
        step = (stop / 2 - start / 2) / (count - 1)
        values = [2 * (start / 2 + step * k) for k in range(count)]
    values[-1] = stop
    return Axis(name, tuple(values))


def _along(start: float, step: float, k: int) -> float:
    """start + k*step, in halves where k*step overflows though the point is a float.

    Halving is exact, so the halves give the same point wherever the plain sum is finite.
    """
    value = start + k * step
    return value if math.isfinite(value) else 2 * (start / 2 + k * (step / 2))


@dataclass
class Sweep:
    """The table of a sweep: one row per point, ``None`` where the math failed."""

    name: str
    output: str
    axes: list[Axis]
    wrt: list[str]
    labels: dict[str, str]
    rows: list[list[float | None]] = field(default_factory=list)
    failures: int = 0
    first_failure: str = ""
    # The spec's own point: each moving leaf's value, the output and its gradients there
    # (empty where the spec's point is not known: the JSON's "point" is then null).
    current: list[float | None] = field(default_factory=list)

    @property
    def gradients(self) -> list[str]:
        """The leaves whose gradients the table holds: the moving ones, then ``--wrt``."""
        return [a.name for a in self.axes] + [w for w in self.wrt if w not in self.moving]

    @property
    def moving(self) -> list[str]:
        return [a.name for a in self.axes]

    @property
    def columns(self) -> list[str]:
        """Header: the leaves, the output, then d(output)/d(leaf) for each gradient."""
        return [*self.moving, self.output, *(f"d{self.output}/d{g}" for g in self.gradients)]

    def failure_summary(self) -> str:
        """``3 of 41 points failed (first: log of -1 at node 'y' (log) at x=-1)``."""
        return f"{self.failures} of {len(self.rows)} points failed (first: {self.first_failure})"


def run_sweep(
    graph: Graph, axes: Sequence[Axis], wrt: Sequence[str] = (), output: str | None = None
) -> Sweep:
    """Evaluate ``graph`` at every point of ``axes`` (one axis, or a grid of two).

    GradpipeError for a name that is not a leaf of the graph, or an axis given twice.
    """
    if not 1 <= len(axes) <= 2:
        raise GradpipeError("a sweep varies one leaf, or two for a grid")
    leaves = {node_id: node for node_id, node in graph if node.operation == LEAF}
    names = [a.name for a in axes]
    # A gradient's leaf is refused as a gradient's, not as one to sweep: it is not varied.
    for name, purpose, rule in [
        *((name, "to sweep", "sweeps vary") for name in names),
        *((name, "to take the gradient by", "gradients are by") for name in wrt),
    ]:
        if name in leaves:
            continue
        try:
            node = graph.node(name)
        except KeyError:
            raise GradpipeError(
                f"no leaf named '{name}' {purpose}{_hint(name, list(leaves))}"
            ) from None
        kind = "a constant" if node.is_constant else "a computed node"
        raise GradpipeError(f"'{name}' is {kind}, not a leaf: {rule} the leaves of values")
    if len(set(names)) != len(names):
        raise GradpipeError(f"leaf '{names[0]}' is varied twice")
    total = math.prod(len(a.values) for a in axes)
    if total > MAX_POINTS:
        raise GradpipeError(f"the grid has {total} points, more than {MAX_POINTS}")
    out = graph.output if output is None else output
    root = graph.node(out)
    ids = dict(zip(graph.nodes, graph.ids, strict=True))
    replay = Replay(root, ids, names)
    labels = {node_id: node.label or node_id for node_id, node in graph}
    sweep = Sweep(graph.name, out, list(axes), list(dict.fromkeys(wrt)), labels)
    gradient_nodes = [replay.position.get(g) for g in sweep.gradients]
    width = 1 + len(gradient_nodes)

    def evaluate(point: dict[str, float]) -> list[float | None]:
        try:
            value = replay.evaluate(point)
        except Unevaluable as error:
            return _failed(sweep, point, error, [None] * width)
        try:
            grads = replay.gradients()
        except Unevaluable as error:
            return _failed(sweep, point, error, [value] + [None] * (width - 1))
        return [value, *(0.0 if k is None else grads[k] for k in gradient_nodes)]

    if len(axes) == 1:
        (axis,) = axes
        for x in axis.values:
            sweep.rows.append([x, *evaluate({axis.name: x})])
    else:
        first, second = axes
        for x in first.values:
            for y in second.values:
                sweep.rows.append([x, y, *evaluate({first.name: x, second.name: y})])
    failures, first_failure = sweep.failures, sweep.first_failure
    here = {name: leaves[name].data for name in names}
    sweep.current = [*here.values(), *evaluate(here)]
    sweep.failures, sweep.first_failure = failures, first_failure
    return sweep


def _failed(
    sweep: Sweep, point: dict[str, float], error: Unevaluable, row: list[float | None]
) -> list[float | None]:
    sweep.failures += 1
    if not sweep.first_failure:
        where = ", ".join(f"{name}={x:g}" for name, x in point.items())
        sweep.first_failure = f"{error.message} at {where}"
    return row


def _hint(name: str, candidates: list[str]) -> str:
    from gradpipe.documents.names import did_you_mean  # the one did-you-mean

    return did_you_mean(name, candidates)


# --- tables --------------------------------------------------------------------------


def to_csv(sweep: Sweep) -> bytes:
    """A header row, then one row per point; a gap is an empty cell. Floats as repr."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(sweep.columns)
    for row in sweep.rows:
        writer.writerow(["" if x is None else repr(x) for x in row])
    return buffer.getvalue().encode()


def to_json(sweep: Sweep) -> bytes:
    """Strict JSON: the columns, the rows (``null`` for gaps), the spec's point, failures."""
    document: dict[str, Any] = {
        "name": sweep.name,
        "output": sweep.output,
        "vary": [
            {"leaf": a.name, "start": a.values[0], "stop": a.values[-1], "count": len(a.values)}
            for a in sweep.axes
        ],
        "columns": sweep.columns,
        "point": sweep.current or None,
        "failed": sweep.failures,
        "rows": sweep.rows,
    }
    head = json.dumps({k: v for k, v in document.items() if k != "rows"}, allow_nan=False)
    rows = "".join(f"\n  {json.dumps(row, allow_nan=False)}," for row in sweep.rows)
    return f'{head[:-1]},\n "rows": [{rows[:-1]}\n ]}}\n'.encode()


def encode(sweep: Sweep, fmt: str) -> bytes:
    """The sweep in one of FORMATS."""
    if fmt == "csv":
        return to_csv(sweep)
    if fmt == "json":
        return to_json(sweep)
    from gradpipe.sweep_plot import plot  # matplotlib only for plots

    return plot(sweep, fmt)
