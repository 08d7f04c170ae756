"""Figure 7: ``make -j2`` of 100 small diagrams, and the start-up of ``render tiny.yaml``.

The Makefile figure runs two generated Makefiles over the same copies of
``examples/*.yaml``: one with the two-process rule the repository had before
(``backward $< | render -f svg -o $@``), one with the recipe of the repository's own
``build/diagrams/%.svg`` rule as it stands, read from its Makefile. Both draw with the
same layout program, so the difference is the Python processes a diagram costs.

The start-up figure compares ``gradpipe render tiny.yaml`` (an SVG: Python, then the
layout program) with ``python -c "import click, yaml"``, and gives the floor that no
change to gradpipe's Python can go under: those imports plus the layout program alone.
"""

from __future__ import annotations

import re
import shutil
import statistics
import sys
from pathlib import Path

from benchmarks.batch import example_files
from benchmarks.measure import (
    BIN,
    BUILD,
    ROOT,
    Config,
    Row,
    Run,
    Unavailable,
    gradpipe_command,
    not_available,
    ratio_row,
    run,
    seconds,
)
from benchmarks.specs import tiny_file

MAKE_TARGET = 1.8  # the one-process rule at least this many times faster
STARTUP_TARGET = 1.3  # render tiny.yaml at most this many times the imports
IMPORTS = [sys.executable, "-c", "import click, yaml"]
# The rule `make diagrams` had before issue 16: gradients in one process, the picture in a second.
TWO_PROCESS_RECIPE = "\t$(BIN)/gradpipe backward $< | $(BIN)/gradpipe render -f svg -o $@\n"
# A Makefile over specs/*.yaml -> out/*.svg, with the recipe put in at RECIPE.
MAKEFILE = """\
SHELL := bash
.SHELLFLAGS := -eo pipefail -c
.DELETE_ON_ERROR:
BIN := {bin}
SPECS := $(wildcard specs/*.yaml)
all: $(patsubst specs/%.yaml,out/%.svg,$(SPECS))
out/%.svg: specs/%.yaml
\t@mkdir -p $(@D)
{recipe}"""
# A make started by `make bench` must not inherit its jobserver or flags.
CLEAN_MAKE = ["env", "-u", "MAKEFLAGS", "-u", "MFLAGS", "-u", "MAKELEVEL", "make"]


def rows(config: Config) -> list[Row]:
    """The Makefile row and the start-up rows."""
    return [make_row(config), *startup_rows(config)]


def current_recipe(makefile: Path = ROOT / "Makefile") -> str:
    """The recipe lines of the repository's ``build/diagrams/%.svg`` rule, but ``mkdir``."""
    lines = makefile.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("build/diagrams/%.svg:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
        if "mkdir" not in line:
            recipe.append(line)
    if not recipe:
        raise Unavailable("the Makefile's build/diagrams/%.svg rule has no recipe")
    return "".join(recipe)


def processes_per_diagram(recipe: str) -> int:
    """How many gradpipe processes a recipe starts."""
    return len(re.findall(r"\bgradpipe\b(?!\.)", recipe.replace("$(BIN)/", "")))


def make_row(config: Config) -> Row:
    """``make -j2`` with the repository's rule against the two-process rule, best of a few."""
    count = 20 if config.quick else 100
    figure = f"7 make -j2 diagrams of {count} small specs: Makefile rule vs two-process rule"
    target = f">= {MAKE_TARGET:g}x faster"
    try:
        recipe = current_recipe()
        specs = example_files(count)
        times: dict[str, list[Run]] = {"current": [], "two": []}
        folders = {}
        for name, text in (("current", recipe), ("two", TWO_PROCESS_RECIPE)):
            folder = BUILD / f"make-{name}"
            shutil.rmtree(folder, ignore_errors=True)
            (folder / "specs").mkdir(parents=True)
            for spec in specs.glob("*.yaml"):
                shutil.copyfile(spec, folder / "specs" / spec.name)
            makefile = MAKEFILE.format(bin=BIN, recipe=text)
            (folder / "Makefile").write_text(makefile, encoding="utf-8")
            folders[name] = folder
        for _ in range(1 if config.quick else 3):
            for name, folder in folders.items():  # alternating: load changes hit both alike
                shutil.rmtree(folder / "out", ignore_errors=True)
                done = run([*CLEAN_MAKE, "-s", "-j2", "-C", folder], timeout=900.0)
                times[name].append(done.check(f"make ({name} rule)"))
                built = len(list((folder / "out").glob("*.svg")))
                if built != count:
                    raise Unavailable(f"make ({name} rule) drew {built} of {count} diagrams")
    except (Unavailable, OSError, StopIteration) as error:
        return not_available(figure, target, str(error) or type(error).__name__)
    ours = min(times["current"], key=lambda r: r.seconds)
    theirs = min(times["two"], key=lambda r: r.seconds)
    row = ratio_row(
        figure,
        ours.seconds,
        theirs.seconds,
        at_least=MAKE_TARGET,
        names=("Makefile rule", "two-process rule"),
        cpu=(ours.cpu, theirs.cpu),
    )
    processes = processes_per_diagram(recipe)
    row.measured += f"; {processes} gradpipe process(es) per diagram"
    row.details.update(recipe=recipe, processes=processes)
    return row


def median_run(command: list[str | Path], runs: int, what: str) -> tuple[float, float]:
    """Median wall and CPU seconds of ``runs`` runs of ``command``."""
    done = [run(command).check(what) for _ in range(runs)]
    return statistics.median(r.seconds for r in done), statistics.median(r.cpu for r in done)


def startup_rows(config: Config) -> list[Row]:
    """``render tiny.yaml`` (SVG) against the imports, with the floor the layout sets."""
    figure = "7 start-up render tiny.yaml (svg) vs import click, yaml"
    target = f"<= {STARTUP_TARGET:g}x"
    tiny = tiny_file()
    out = BUILD / "out"
    out.mkdir(parents=True, exist_ok=True)
    dot_file = out / "tiny.dot"
    render = [*gradpipe_command(), "render", tiny, "-o", out / "tiny.svg"]
    try:
        run([*gradpipe_command(), "render", "-f", "dot", tiny, "-o", dot_file]).check("render")
        layout = layout_command(dot_file)
        for command in (render, IMPORTS, layout):  # warm the disk cache and .pyc files
            run(command).check("warm-up")
        ours, imports, layouts = [], [], []
        for _ in range(config.startup_runs):  # alternating, medians
            ours.append(run(render).check("gradpipe render"))
            imports.append(run(IMPORTS).check("python -c"))
            layouts.append(run(layout).check("the layout program"))
    except Unavailable as error:
        return [not_available(figure, target, str(error))]
    wall = {k: statistics.median(r.seconds for r in v) for k, v in _named(ours, imports, layouts)}
    cpu = {k: statistics.median(r.cpu for r in v) for k, v in _named(ours, imports, layouts)}
    row = ratio_row(
        figure,
        wall["render"],
        wall["imports"],
        at_most=STARTUP_TARGET,
        names=("gradpipe", "imports"),
        cpu=(cpu["render"], cpu["imports"]),
    )
    floor = (wall["imports"] + wall["layout"]) / wall["imports"]
    floor_cpu = (cpu["imports"] + cpu["layout"]) / cpu["imports"]
    info = Row(
        "7 start-up floor: imports + the layout program alone (info)",
        f"{floor:.2f}x (layout {seconds(wall['layout'])} of {Path(layout[0]).name}); "
        f"CPU {floor_cpu:.2f}x",
        "-",
        None,
        floor,
        {"layout": wall["layout"], "layout_cpu": cpu["layout"]},
    )
    return [row, info]


def _named(*groups: list[Run]) -> list[tuple[str, list[Run]]]:
    return list(zip(("render", "imports", "layout"), groups, strict=True))


def layout_command(dot_file: Path) -> list[str | Path]:
    """The layout program ``render`` uses by default here, on the tiny graph's DOT."""
    found = shutil.which("dot") or shutil.which("graphviz-pure", path=str(BIN))
    if found is None:
        raise Unavailable("no layout program")
    return [found, "-Tsvg", dot_file, "-o", dot_file.with_suffix(".floor.svg")]
