"""Figure 1: the engine's build + backward against micrograd 0.1.0, and memory per node."""

from __future__ import annotations

import importlib.util
import json
import math
from typing import Any

from benchmarks.measure import Config, Row, Unavailable, not_available, python, ratio_row, size
from benchmarks.workloads import WORKLOADS

# At least this many times faster than micrograd (issue 16): 3x at 10^4 nodes, 4x beyond.
SPEED_TARGETS = {10_000: 3.0}
SPEED_TARGET = 4.0
MEMORY_TARGET = 250  # bytes of peak memory per node


def speed_target(nodes: int) -> float:
    """The speed-up wanted at ``nodes`` nodes."""
    return SPEED_TARGETS.get(nodes, SPEED_TARGET)


def engine_run(engine: str, workload: str, nodes: int, repeat: int) -> dict[str, Any]:
    """Measure one engine on one workload in a fresh process."""
    run = python("engine_run", engine, workload, str(nodes), "--repeat", str(repeat), timeout=900)
    run.check(f"{engine} {workload}")
    result: dict[str, Any] = json.loads(run.stdout.decode().strip().splitlines()[-1])
    return result


def rows(config: Config) -> list[Row]:
    """Speed-up rows for each workload and size, a memory row per workload, torch for info."""
    table: list[Row] = []
    for workload in WORKLOADS:
        largest: tuple[dict[str, Any], dict[str, Any], int] | None = None
        for nodes in config.engine_sizes:
            target = f">= {speed_target(nodes):g}x faster"
            figure = f"1 engine {workload} {size(nodes)} vs micrograd"
            try:
                ours = engine_run("gradpipe", workload, nodes, config.repeat(nodes))
                theirs = engine_run("micrograd", workload, nodes, config.repeat(nodes))
            except Unavailable as error:
                table.append(not_available(figure, target, str(error)))
                continue
            row = ratio_row(
                figure,
                min(ours["seconds"]),
                min(theirs["seconds"]),
                at_least=speed_target(nodes),
                names=("gradpipe", "micrograd"),
                cpu=(min(ours["cpu"]), min(theirs["cpu"])),
            )
            if not math.isclose(ours["output"], theirs["output"], rel_tol=1e-9, abs_tol=1e-12):
                row.measured += f" [outputs differ: {ours['output']} vs {theirs['output']}]"
                row.met = False
            row.details.update(nodes=ours["nodes"], micrograd_nodes=theirs["nodes"])
            table.append(row)
            largest = (ours, theirs, nodes)
        table.append(memory_row(workload, largest))
    if not config.quick:
        table.extend(torch_rows(config))
    return table


def memory_row(workload: str, largest: tuple[dict[str, Any], dict[str, Any], int] | None) -> Row:
    """Peak resident memory added by build + backward, per node, at the largest size run."""
    target = f"<= {MEMORY_TARGET} B/node"
    if largest is None:
        return not_available(f"1 engine {workload} memory", target, "no size was measured")
    ours, theirs, nodes = largest
    per_node = ours["memory"] / ours["nodes"]
    theirs_per_node = theirs["memory"] / theirs["nodes"]
    return Row(
        f"1 engine {workload} {size(nodes)} memory",
        f"{per_node:.0f} B/node (micrograd {theirs_per_node:.0f} B/node)",
        target,
        per_node <= MEMORY_TARGET,
        per_node,
        {"gradpipe": per_node, "micrograd": theirs_per_node},
    )


def torch_rows(config: Config) -> list[Row]:
    """PyTorch scalars as an extra baseline where torch is installed (full runs, info only)."""
    nodes = config.engine_sizes[0]
    if importlib.util.find_spec("torch") is None:
        return [
            not_available(f"1 engine vs torch {size(nodes)} (info)", "-", "torch not installed")
        ]
    table = []
    for workload in WORKLOADS:
        figure = f"1 engine {workload} {size(nodes)} vs torch (info)"
        try:
            ours = engine_run("gradpipe", workload, nodes, 1)
            theirs = engine_run("torch", workload, nodes, 1)
        except Unavailable as error:
            table.append(not_available(figure, "-", str(error)))
            continue
        row = ratio_row(
            figure,
            min(ours["seconds"]),
            min(theirs["seconds"]),
            at_least=0.0,
            names=("gradpipe", "torch"),
        )
        row.target, row.met = "-", None
        table.append(row)
    return table
