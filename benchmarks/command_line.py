"""Figure 2: ``gradpipe backward spec.json -o out.json`` against the JSON floor, and its RSS."""

from __future__ import annotations

from benchmarks.measure import (
    BUILD,
    FLOOR,
    Config,
    Row,
    Unavailable,
    gradpipe_command,
    interleaved,
    not_available,
    ratio_row,
    size,
)
from benchmarks.specs import spec_file, spec_nodes

TIME_TARGET = 1.0  # at most this many times the floor
RSS_TARGET = 1200  # bytes of peak resident memory per node (1.2 KB)


def rows(config: Config) -> list[Row]:
    """A time row and a memory row per workload and size."""
    table: list[Row] = []
    out_dir = BUILD / "out"
    out_dir.mkdir(parents=True, exist_ok=True)
    for nodes in config.cli_sizes:
        for workload in config.cli_workloads:
            figure = f"2 cli backward {workload} {size(nodes)}"
            try:
                spec = spec_file(workload, nodes)
                count = spec_nodes(spec)
                # In turns, so both see the same load; best wall and least CPU of each.
                done = interleaved(
                    {
                        "gradpipe backward": [
                            *gradpipe_command(),
                            "backward",
                            spec,
                            "-o",
                            out_dir / "cli.json",
                        ],
                        "the floor": [*FLOOR, "document", spec, out_dir / "floor.json"],
                    },
                    config.repeat(nodes),
                )
                ours, floor = done["gradpipe backward"], done["the floor"]
            except Unavailable as error:
                table.append(
                    not_available(f"{figure} vs floor", f"<= {TIME_TARGET:g}x", str(error))
                )
                table.append(
                    not_available(f"{figure} peak RSS", f"<= {RSS_TARGET} B/node", str(error))
                )
                continue
            table.append(
                ratio_row(
                    f"{figure} vs floor",
                    ours.seconds,
                    floor.seconds,
                    at_most=TIME_TARGET,
                    names=("gradpipe", "floor"),
                    cpu=(ours.cpu, floor.cpu),
                )
            )
            per_node = ours.max_rss / count
            table.append(
                Row(
                    f"{figure} peak RSS",
                    f"{per_node:.0f} B/node ({ours.max_rss / 2**20:.0f} MiB; floor "
                    f"{floor.max_rss / count:.0f} B/node)",
                    f"<= {RSS_TARGET} B/node",
                    per_node <= RSS_TARGET,
                    per_node,
                    {"gradpipe": ours.max_rss, "floor": floor.max_rss, "nodes": count},
                )
            )
    return table
