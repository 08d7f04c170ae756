"""Figure 8 (issue 16, target 5): a sweep against loading the spec again for every point.

``gradpipe sweep`` builds the graph once and re-evaluates it in place; the baseline is
what a script would do without it: for each point, load the spec through the API with
the leaf overridden (``--set``) and run backward. Each baseline load is independent of
the others, so its per-point time comes from a sample of the points and is multiplied
out to the whole sweep; the sweep itself runs every point.
"""

from __future__ import annotations

import json
import sys
from typing import Any

from benchmarks.measure import Config, Row, Unavailable, not_available, ratio_row, run, timed
from benchmarks.specs import spec_file, tiny_file

TARGET = 10.0  # at least this many times faster than a load and backward per point
WORKLOAD = "mlp-sum"
NODES = 1_000


def rows(config: Config) -> list[Row]:
    points = 2_000 if config.quick else 10_000
    sample = 100 if config.quick else 400
    figure = f"8 sweep {points} points of {WORKLOAD} {NODES} nodes vs {points} loads+backward"
    target = f">= {TARGET:g}x faster"
    try:
        from gradpipe.documents import load_document
        from gradpipe.sweep import by_count, run_sweep
    except ImportError as error:
        return [not_available(figure, target, f"gradpipe.sweep: {error}")]
    path = spec_file(WORKLOAD, NODES)
    raw = path.read_bytes()
    spec: dict[str, Any] = json.loads(raw)
    leaf = next(iter(spec["values"]))  # an input of the MLP: every layer depends on it
    values = by_count(leaf, -1.0, 1.0, points).values

    def sweep() -> None:
        graph = load_document(raw, str(path))
        run_sweep(graph, [by_count(leaf, -1.0, 1.0, points)])

    def loads() -> None:
        for x in values[:: points // sample]:
            load_document(raw, str(path), {leaf: x}).backward()

    ours = min(timed(sweep) for _ in range(2))
    per_point = min(timed(loads) for _ in range(2)) / len(values[:: points // sample])
    row = ratio_row(figure, ours, per_point * points, at_least=TARGET, names=("sweep", "loads"))
    row.details.update({"points": points, "sampled loads": sample, "leaf": leaf})
    return [row, imports_row()]


# A csv sweep through the CLI in process, then what it loaded; the last line is JSON.
IMPORTS_PROBE = """
import json, sys
from gradpipe.cli import main
args = ["sweep", sys.argv[1], "--vary", "x1=0:1/5", "-o", sys.argv[2]]
try:
    code = main(args, standalone_mode=False)
except SystemExit as stop:
    code = stop.code
heavy = sorted(m for m in sys.modules if m.startswith(("matplotlib", "numpy")))
print(json.dumps({"code": code, "matplotlib": heavy}))
"""


def imports_row() -> Row:
    """Whether a csv sweep stays clear of matplotlib (and numpy): plots alone load them."""
    figure = "8 sweep -f csv imports no matplotlib"
    target = "none imported"
    tiny = tiny_file()
    try:
        probe = run(
            [sys.executable, "-c", IMPORTS_PROBE, str(tiny), str(tiny.with_suffix(".sweep.csv"))]
        ).check("probe")
    except Unavailable as error:
        return not_available(figure, target, str(error))
    found = json.loads(probe.stdout.decode().strip().splitlines()[-1])
    modules = found["matplotlib"]
    measured = f"{len(modules)} modules imported" if modules else "none imported"
    if found["code"] not in (0, None):
        measured += f" (sweep exited {found['code']})"
    return Row(figure, measured, target, not modules and found["code"] in (0, None), None, found)
