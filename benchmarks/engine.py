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


# Run in turns at every size: gradpipe, micrograd (the baseline) and the lean engine, the
# floor of what an engine giving torch's numbers can reach (benchmarks/lean_engine.py).
ENGINES = ("gradpipe", "micrograd", "lean")


def engine_turns(workload: str, nodes: int, config: Config) -> dict[str, dict[str, Any]]:
    """Each engine on one workload, in turns (A B C, B C A, ...), in fresh processes.

    Runs of 10^4 nodes take 5-30 ms, so one busy second on a shared machine would slow all
    of one engine's repeats: taken in turns, it slows some of each.
    """
    results: dict[str, list[dict[str, Any]]] = {name: [] for name in ENGINES}
    for turn in range(config.engine_turns(nodes)):
        shift = turn % len(ENGINES)
        for name in ENGINES[shift:] + ENGINES[:shift]:
            results[name].append(engine_run(name, workload, nodes, config.repeat(nodes)))
    return {name: merged(runs) for name, runs in results.items()}


def merged(runs: list[dict[str, Any]]) -> dict[str, Any]:
    """One engine's runs as one: every repeat's times, and the largest memory seen."""
    return {
        **runs[0],
        "seconds": [s for r in runs for s in r["seconds"]],
        "cpu": [s for r in runs for s in r["cpu"]],
        "memory": max(r["memory"] for r in runs),
    }


def rows(config: Config) -> list[Row]:
    """Speed-up rows for each workload and size, a memory row per workload, torch for info."""
    table: list[Row] = []
    for workload in WORKLOADS:
        largest: tuple[dict[str, Any], dict[str, Any], int] | None = None
        for nodes in config.engine_sizes:
            target = f">= {speed_target(nodes):g}x faster"
            figure = f"1 engine {workload} {size(nodes)} vs micrograd"
            try:
                runs = engine_turns(workload, nodes, config)
            except Unavailable as error:
                table.append(not_available(figure, target, str(error)))
                continue
            ours, theirs = runs["gradpipe"], runs["micrograd"]
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
            table.append(floor_row(workload, nodes, runs))
            largest = (ours, theirs, nodes)
        table.append(memory_row(workload, largest))
    if not config.quick:
        table.extend(torch_rows(config))
    return table


def floor_row(workload: str, nodes: int, runs: dict[str, dict[str, Any]]) -> Row:
    """The lean engine against micrograd in the same turns: how far any engine could go."""
    lean, theirs = runs["lean"], runs["micrograd"]
    row = ratio_row(
        f"1 engine {workload} {size(nodes)} floor: lean engine vs micrograd (info)",
        min(lean["seconds"]),
        min(theirs["seconds"]),
        at_least=speed_target(nodes),
        names=("lean", "micrograd"),
        cpu=(min(lean["cpu"]), min(theirs["cpu"])),
    )
    row.target, row.met = "-", None
    return row


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
