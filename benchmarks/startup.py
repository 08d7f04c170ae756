"""Figure 4: start-up of ``gradpipe render tiny.yaml`` (and ``backward``); what the CLI imports."""

from __future__ import annotations

import json
import os
import shutil
import statistics
import sys
from pathlib import Path

from benchmarks.measure import (
    BIN,
    BUILD,
    Config,
    Row,
    Run,
    Unavailable,
    gradpipe_command,
    instructions,
    not_available,
    ratio_row,
    run,
    seconds,
)
from benchmarks.specs import tiny_file

TARGET = 1.3  # render tiny.yaml at most this many times the imports of click and yaml
BASELINE = [sys.executable, "-c", "import click, yaml"]
# The imports, then each module its arguments name.
IMPORT_MODULES = (
    "import click, yaml, importlib, sys\nfor m in sys.argv[1:]: importlib.import_module(m)"
)

# Run in a fresh interpreter: which render-only modules importing the CLI, then running
# `backward` on the tiny spec, brings in.
IMPORTS_PROBE = """
import json, sys
def render_only():
    return sorted(m for m in sys.modules
                  if m.split(".")[0] == "graphviz"
                  or (m.startswith("gradpipe.render.") and m != "gradpipe.render.formats"))
import gradpipe.cli
on_import = render_only()
sys.argv = ["gradpipe", "backward", sys.argv[1], "-o", sys.argv[2]]
try:
    gradpipe.cli.main()
except SystemExit as exit:
    code = exit.code
else:
    code = 0
print(json.dumps({"import": on_import, "backward": render_only(), "code": code}))
"""

# Run in a fresh interpreter: the gradpipe modules that rendering the tiny spec loads.
MODULES_PROBE = """
import json, sys
sys.argv = ["gradpipe", "render", *sys.argv[1:]]
import gradpipe.cli
try:
    gradpipe.cli.main()
except SystemExit:
    pass
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "gradpipe")))
"""


def rows(config: Config) -> list[Row]:
    """Start-up of ``render tiny.yaml`` and of ``backward tiny.yaml`` against the imports.

    Medians of alternating runs. ``render`` writes SVG, so it also runs the layout program;
    the floor row shows what the imports and that program alone cost, which no change to
    gradpipe's Python can go under.
    """
    tiny = tiny_file()
    out = BUILD / "out"
    out.mkdir(parents=True, exist_ok=True)
    dot_file = out / "tiny.dot"
    commands = {
        "render": [*gradpipe_command(), "render", tiny, "-o", out / "tiny.svg"],
        "backward": [*gradpipe_command(), "backward", tiny, "-o", out / "tiny.json"],
        "imports": BASELINE,
    }
    figure = "4 start-up render tiny.yaml (svg) vs import click, yaml"
    target = f"<= {TARGET:g}x"
    try:
        run([*gradpipe_command(), "render", "-f", "dot", tiny, "-o", dot_file]).check("render")
        commands["layout"] = layout_command(dot_file)
        commands["modules"] = modules_command(tiny, out / "tiny.svg")
        for command in commands.values():  # warm the disk cache and .pyc files
            run(command).check(str(command[0]))
        runs: dict[str, list[Run]] = {name: [] for name in commands}
        for _ in range(config.startup_runs):
            for name, command in commands.items():
                runs[name].append(run(command).check(name))
    except Unavailable as error:
        return [not_available(figure, target, str(error)), imports_row(tiny, out / "tiny.json")]
    wall = {name: statistics.median(r.seconds for r in done) for name, done in runs.items()}
    cpu = {name: statistics.median(r.cpu for r in done) for name, done in runs.items()}
    counts = counted(commands)
    table = [
        ratio_row(
            figure,
            wall["render"],
            wall["imports"],
            at_most=TARGET,
            names=("gradpipe", "imports"),
            cpu=(cpu["render"], cpu["imports"]),
        )
    ]
    if counts:  # the layout program runs apart from render's own process: both are counted
        with_counts(table[0], counts["render"] + counts["layout"], counts["imports"])
    floor = (wall["imports"] + wall["layout"]) / wall["imports"]
    floor_cpu = (cpu["imports"] + cpu["layout"]) / cpu["imports"]
    table.append(
        Row(
            "4 start-up floor: the imports, then the layout program alone (info)",
            f"{floor:.2f}x (layout {seconds(wall['layout'])} by {Path(commands['layout'][0]).name})"
            f"; CPU {floor_cpu:.2f}x",
            "-",
            None,
            floor,
            {"layout": wall["layout"], "layout_cpu": cpu["layout"]},
        )
    )
    if counts:
        with_counts(table[1], counts["imports"] + counts["layout"], counts["imports"])

    def info(figure: str, name: str, shown: str) -> Row:
        """An information row: command ``name`` against the imports."""
        row = ratio_row(
            figure,
            wall[name],
            wall["imports"],
            at_most=TARGET,
            names=(shown, "imports"),
            cpu=(cpu[name], cpu["imports"]),
        )
        row.target, row.met = "-", None
        if counts:
            with_counts(row, counts[name], counts["imports"])
        return row

    modules = len(commands["modules"]) - 3  # python -c IMPORT_MODULES, then the modules
    table.append(
        info(
            f"4 start-up: the imports and the {modules} gradpipe modules render loads, "
            "nothing run (info)",
            "modules",
            "modules",
        )
    )
    backward = info(
        "4 start-up backward tiny.yaml vs import click, yaml (info)", "backward", "gradpipe"
    )
    table += [backward, imports_row(tiny, out / "tiny.json")]
    return table


def modules_command(tiny: Path, svg: Path) -> list[str | Path]:
    """``import click, yaml`` and then every gradpipe module ``render`` loads, one per argument."""
    probe = run([sys.executable, "-c", MODULES_PROBE, tiny, "-o", svg]).check("modules probe")
    modules = json.loads(probe.stdout.decode().strip().splitlines()[-1])
    return [sys.executable, "-c", IMPORT_MODULES, *modules]


def counted(commands: dict[str, list[str | Path]]) -> dict[str, int]:
    """Each command's instructions (callgrind), which no load moves; empty without valgrind."""
    try:
        return {name: instructions(command) for name, command in commands.items()}
    except Unavailable:
        return {}


def with_counts(row: Row, ours: int, imports: int) -> None:
    """Add the instruction ratio to a start-up row (the target stays judged on wall time)."""
    row.measured += f"; instructions {ours / imports:.3f}x"
    row.details["instructions"] = {"gradpipe": ours, "imports": imports}


def layout_command(dot_file: Path) -> list[str | Path]:
    """The layout program ``render`` uses by default here, on the tiny graph's DOT."""
    search = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    found = shutil.which("dot", path=search) or shutil.which("graphviz-pure", path=search)
    if found is None:
        raise Unavailable("no layout program")
    return [found, "-Tsvg", dot_file, "-o", dot_file.with_suffix(".floor.svg")]


def imports_row(tiny: object, out: object) -> Row:
    """Whether ``import gradpipe.cli`` and ``backward`` stay clear of render-only modules."""
    figure = "4 cli imports no graphviz/render"
    target = "none imported"
    try:
        probe = run([sys.executable, "-c", IMPORTS_PROBE, str(tiny), str(out)]).check("probe")
    except Unavailable as error:
        return not_available(figure, target, str(error))
    found = json.loads(probe.stdout.decode().strip().splitlines()[-1])
    modules = sorted(set(found["import"]) | set(found["backward"]))
    measured = ", ".join(modules) if modules else "none imported"
    if found["code"] not in (0, None):
        measured += f" (backward exited {found['code']})"
    return Row(figure, measured, target, not modules, None, found)
