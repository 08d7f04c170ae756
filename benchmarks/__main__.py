"""``python -m benchmarks [--quick] [--only NAME...]``: measure, print the table, save JSON."""

from __future__ import annotations

import argparse
import json
import os
import platform
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from time import perf_counter

from benchmarks import batch, command_line, engine, loading, makefile, pictures, startup, sweeps
from benchmarks.measure import BUILD, Config, Row, not_available, seconds

FIGURES: dict[str, Callable[[Config], list[Row]]] = {
    "engine": engine.rows,
    "cli": command_line.rows,
    "yaml": loading.rows,
    "startup": startup.rows,
    "pictures": pictures.rows,
    "batch": batch.rows,
    "sweep": sweeps.rows,
    "make": makefile.rows,
}


def measure(name: str, config: Config) -> list[Row]:
    """One figure's rows; a figure that crashes becomes an n/a row, never a crashed suite."""
    try:
        return FIGURES[name](config)
    except Exception as error:
        traceback.print_exc(file=sys.stderr)
        return [not_available(name, "-", f"{type(error).__name__}: {error}")]


def table(rows: list[Row]) -> str:
    """The rows as an aligned text table: figure, measured, target, met."""
    header = ("figure", "measured", "target", "met")
    cells = [header] + [(r.figure, r.measured, r.target, r.verdict) for r in rows]
    widths = [max(len(c[i]) for c in cells) for i in range(3)]
    lines = ["  ".join(c[i].ljust(widths[i]) for i in range(3)) + "  " + c[3] for c in cells]
    lines.insert(1, "  ".join("-" * w for w in widths) + "  ---")
    return "\n".join(lines)


def markdown(rows: list[Row]) -> str:
    """The rows as a Markdown table, for the README."""
    lines = ["| figure | measured | target | met |", "|---|---|---|---|"]
    lines += [
        "| "
        + " | ".join(c.replace("|", "\\|") for c in (r.figure, r.measured, r.target, r.verdict))
        + " |"
        for r in rows
    ]
    return "\n".join(lines)


def show(path: Path) -> None:
    """Print a saved run (``--json`` of an earlier run) as a Markdown table."""
    saved = json.loads(path.read_text(encoding="utf-8"))
    fields = ("figure", "measured", "target", "met", "ratio", "details")
    print(markdown([Row(*(r[f] for f in fields)) for r in saved["rows"]]))


def main() -> None:
    """Run the figures asked for, print each as it finishes and the whole table at the end."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__)
    parser.add_argument("--quick", action="store_true", help="smaller sizes, fewer repeats")
    parser.add_argument(
        "--only",
        nargs="+",
        choices=sorted(FIGURES),
        metavar="NAME",
        help=f"run only these figures ({', '.join(FIGURES)})",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=BUILD.parent / "bench.json",
        help="where to write the results (default: build/bench.json)",
    )
    parser.add_argument(
        "--show",
        type=Path,
        metavar="JSON",
        help="measure nothing: print a saved run as a Markdown table (for the README)",
    )
    args = parser.parse_args()
    if args.show:
        show(args.show)
        return
    config = Config(quick=args.quick)
    load_before = os.getloadavg()[0]
    start = perf_counter()
    rows: list[Row] = []
    for name in args.only or FIGURES:
        began = perf_counter()
        print(f"[{name}] measuring ...", file=sys.stderr, flush=True)
        figure_rows = measure(name, config)
        for row in figure_rows:
            print(
                f"  {row.figure}: {row.measured} (target {row.target}: {row.verdict})",
                file=sys.stderr,
                flush=True,
            )
        print(f"[{name}] {seconds(perf_counter() - began)}", file=sys.stderr, flush=True)
        rows += figure_rows
    elapsed = perf_counter() - start
    load = (load_before, os.getloadavg()[0])
    mode = "quick" if args.quick else "full"
    print(table(rows))
    met = sum(1 for r in rows if r.met)
    judged = sum(1 for r in rows if r.met is not None)
    print(
        f"\n{met} of {judged} targets met; {mode} run in {seconds(elapsed)} on "
        f"{platform.python_implementation()} {platform.python_version()}, "
        f"{os.cpu_count()} CPUs, load average {load[0]:.1f} at the start, {load[1]:.1f} at the end."
    )
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(
        json.dumps(
            {
                "mode": mode,
                "seconds": elapsed,
                "python": platform.python_version(),
                "cpus": os.cpu_count(),
                "load_average": load,
                "rows": [
                    {
                        "figure": r.figure,
                        "measured": r.measured,
                        "target": r.target,
                        "met": r.met,
                        "ratio": r.ratio,
                        "details": r.details,
                    }
                    for r in rows
                ],
            },
            indent=1,
        )
        + "\n",
        encoding="utf-8",
    )


if __name__ == "__main__":
    main()
