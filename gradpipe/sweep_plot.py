"""Plots of a sweep, drawn by matplotlib (imported here only: tables never load it).

One moving leaf: the output over the leaf above, its derivative (and any ``--wrt``
gradients) below, on a shared x axis; the spec's own point marked on both, with the
tangent line there. Two leaves: a heatmap of the output with contour lines and the
spec's point marked. Gaps (points where the math failed) are breaks in the lines and
grey cells in the heatmap.

The bytes are deterministic: the Agg renderer, DejaVu Sans (shipped with matplotlib),
a fixed SVG hash salt, and no dates or versions in the files' metadata.
"""

from __future__ import annotations

import io
import math
from typing import TYPE_CHECKING, Any

from gradpipe.errors import GradpipeError

if TYPE_CHECKING:  # only annotations: gradpipe.sweep imports this module (no circle)
    from gradpipe.sweep import Sweep

_STYLE: dict[str, Any] = {
    "svg.hashsalt": "gradpipe",
    "svg.fonttype": "path",
    "pdf.fonttype": 42,
    "font.family": "DejaVu Sans",
    "font.size": 10.0,
    "axes.grid": True,
    "grid.alpha": 0.3,
    "path.simplify": False,
}
_METADATA: dict[str, dict[str, Any]] = {
    "svg": {"Date": None, "Creator": "gradpipe"},
    "pdf": {"CreationDate": None, "ModDate": None, "Creator": "gradpipe", "Producer": "gradpipe"},
    "png": {"Software": "gradpipe"},
}
# matplotlib's margins and ticks overflow for data near the float limit (1.8e308).
_PLOTTABLE = 1e300
_FUNCTION = "#1f77b4"
_DERIVATIVE = "#d62728"
_OTHERS = ("#2ca02c", "#9467bd", "#8c564b", "#e377c2", "#7f7f7f", "#bcbd22", "#17becf")


def plot(sweep: Sweep, fmt: str) -> bytes:
    """The sweep drawn as ``fmt`` (svg, png or pdf)."""
    try:
        import matplotlib
        from matplotlib.figure import Figure
    except ImportError:  # pragma: no cover - matplotlib is a dependency
        raise GradpipeError(
            f"sweep -f {fmt} draws with matplotlib, which is not installed: pip install matplotlib"
        ) from None
    for k, column in enumerate(sweep.columns):
        if any(abs(v) > _PLOTTABLE for v in _column(sweep, k)):  # NaN, a gap, is not
            raise GradpipeError(
                f"cannot plot '{column}': it goes beyond ±{_PLOTTABLE:g}, where the plot's"
                " scales overflow; write -f csv or -f json"
            )
    with matplotlib.rc_context(_STYLE):  # type: ignore[arg-type]
        figure = Figure(figsize=(6.4, 6.4) if len(sweep.axes) == 1 else (6.4, 5.2), dpi=100)
        if len(sweep.axes) == 1:
            _curves(figure, sweep)
        else:
            _heatmap(figure, sweep)
        buffer = io.BytesIO()
        figure.savefig(buffer, format=fmt, metadata=_METADATA[fmt])
    return buffer.getvalue()


def _name(sweep: Sweep, node: str) -> str:
    """``o`` or ``o = tanh(n)``: a node's id, and its label where that says more."""
    label = sweep.labels.get(node, node)
    return node if label == node else f"{node} = {label}"


def _column(sweep: Sweep, k: int) -> list[float]:
    return [math.nan if row[k] is None else row[k] for row in sweep.rows]  # type: ignore[misc]


def _curves(figure: Any, sweep: Sweep) -> None:
    top, bottom = figure.subplots(2, 1, sharex=True)
    leaf, out = sweep.moving[0], sweep.output
    xs, ys = _column(sweep, 0), _column(sweep, 1)
    top.plot(xs, ys, color=_FUNCTION, linewidth=1.8, label=_name(sweep, out))
    grads = sweep.gradients
    colours = [_DERIVATIVE, *_OTHERS]
    for i, g in enumerate(grads):
        bottom.plot(
            xs,
            _column(sweep, 2 + i),
            color=colours[i % len(colours)],
            linewidth=1.8 if i == 0 else 1.2,
            label=f"d{out}/d{g}",
        )
    x0, y0, slope = (sweep.current + [None] * 3)[:3]
    if x0 is not None and y0 is not None:
        finite = [y for y in ys if math.isfinite(y)]
        low, high = (min(finite), max(finite)) if finite else (y0, y0)
        if slope is not None:
            left, right = xs[0], xs[-1]
            top.plot(
                [left, right],
                [y0 + slope * (left - x0), y0 + slope * (right - x0)],
                color="#555555",
                linestyle="--",
                linewidth=1.0,
                label=f"tangent at {leaf} = {x0:g} (slope {slope:.4g})",
            )
            margin = 0.08 * (high - low) if high > low else max(abs(high), 1.0) * 0.1
            top.set_ylim(min(low, y0) - margin, max(high, y0) + margin)
        top.plot([x0], [y0], "o", color="black", markersize=5, zorder=5, label=f"{leaf} = {x0:g}")
        if slope is not None:
            bottom.plot([x0], [slope], "o", color="black", markersize=5, zorder=5)
    top.set_ylabel(out)
    bottom.set_ylabel("gradient")
    bottom.set_xlabel(_name(sweep, leaf))
    top.set_title(f"{sweep.name}: {out} and d{out}/d{leaf} as {leaf} varies")
    top.legend(loc="best", fontsize=8)
    bottom.legend(loc="best", fontsize=8)
    figure.subplots_adjust(left=0.12, right=0.97, top=0.93, bottom=0.09, hspace=0.08)


def _heatmap(figure: Any, sweep: Sweep) -> None:
    import numpy as np

    first, second = sweep.axes
    xs, ys = np.array(first.values), np.array(second.values)
    values = np.array(_column(sweep, 2), dtype=float).reshape(len(xs), len(ys)).T
    grid = np.ma.masked_invalid(values)
    axes = figure.subplots()
    from matplotlib import colormaps

    cmap = colormaps["viridis"].with_extremes(bad="#dddddd")
    mesh = axes.imshow(
        grid,
        origin="lower",
        extent=_extent(xs, ys),
        aspect="auto",
        interpolation="nearest",
        cmap=cmap,
    )
    bar = figure.colorbar(mesh, ax=axes)
    bar.set_label(_name(sweep, sweep.output))
    finite = values[np.isfinite(values)]
    if len(xs) > 1 and len(ys) > 1 and finite.size and finite.min() < finite.max():
        lines = axes.contour(xs, ys, grid, levels=8, colors="white", linewidths=0.7)
        axes.clabel(lines, fontsize=7, fmt="%.3g")
    x0, y0 = (sweep.current + [None] * 2)[:2]
    if x0 is not None and y0 is not None:
        axes.plot(
            [x0],
            [y0],
            "o",
            color="#d62728",
            markeredgecolor="white",
            markersize=7,
            label=f"{first.name} = {x0:g}, {second.name} = {y0:g}",
        )
        axes.legend(loc="upper right", fontsize=8)
    axes.set_xlabel(_name(sweep, first.name))
    axes.set_ylabel(_name(sweep, second.name))
    axes.set_title(f"{sweep.name}: {sweep.output} over {first.name} and {second.name}")
    axes.grid(False)
    figure.subplots_adjust(left=0.11, right=0.98, top=0.93, bottom=0.1)


def _extent(xs: Any, ys: Any) -> tuple[float, float, float, float]:
    """The image's corners: each value at the centre of its cell."""

    def edges(v: Any) -> tuple[float, float]:
        if len(v) == 1:
            return float(v[0]) - 0.5, float(v[0]) + 0.5
        half = (float(v[-1]) - float(v[0])) / (len(v) - 1) / 2
        return float(v[0]) - half, float(v[-1]) + half

    return (*edges(xs), *edges(ys))
