"""Figure 7: ``make -j2`` of 100 small diagrams, the one-process rule against two processes.

The Makefile figure runs two generated Makefiles over the same copies of
``examples/*.yaml``: one with the two-process rule the repository had before
(``backward $< | render -f svg -o $@``), one with the recipe of the repository's own
``build/diagrams/%.svg`` rule as it stands, read from its Makefile. Both draw with the
same layout program, so the difference is the Python processes a diagram costs.
"""

from __future__ import annotations

import re
import shutil
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
    instructions,
    not_available,
    ratio_row,
    run,
)
from benchmarks.startup import layout_command

MAKE_TARGET = 1.8  # the one-process rule at least this many times faster
# The rule `make diagrams` had before issue 16, as it was: its folder made by a mkdir per
# diagram, the gradients in one process, the picture in a second.
TWO_PROCESS_RECIPE = (
    "\t@mkdir -p $(@D)\n\t$(BIN)/gradpipe backward $< | $(BIN)/gradpipe render -f svg -o $@\n"
)
# A Makefile over specs/*.yaml -> out/*.svg, with the recipe put in at RECIPE; out/ is an
# order-only prerequisite of both rules, as build/diagrams is of the repository's.
MAKEFILE = """\
SHELL := bash
.SHELLFLAGS := -eo pipefail -c
.DELETE_ON_ERROR:
BIN := {bin}
SPECS := $(wildcard specs/*.yaml)
all: $(patsubst specs/%.yaml,out/%.svg,$(SPECS))
out:
\tmkdir -p $@
out/%.svg: specs/%.yaml | out
{recipe}"""
# A make started by `make bench` must not inherit its jobserver or flags.
CLEAN_MAKE = ["env", "-u", "MAKEFLAGS", "-u", "MFLAGS", "-u", "MAKELEVEL", "make"]


def rows(config: Config) -> list[Row]:
    """The Makefile row, and what bounds it in instructions."""
    return [make_row(config), bound_row()]


def current_recipe(makefile: Path = ROOT / "Makefile") -> str:
    """The recipe lines of the repository's ``build/diagrams/%.svg`` rule."""
    lines = makefile.read_text(encoding="utf-8").splitlines(keepends=True)
    start = next(i for i, line in enumerate(lines) if line.startswith("build/diagrams/%.svg:"))
    recipe = []
    for line in lines[start + 1 :]:
        if not line.startswith("\t"):
            break
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


def bound_row(spec: Path = ROOT / "examples" / "neuron.yaml") -> Row:
    """One diagram in instructions (callgrind): the pipe against the rule, and the rule's ceiling.

    The pipe pays Python's and click's start-up twice, and PyYAML's import and the layout
    program once, as the rule does; so trimming the start-up every gradpipe process pays
    lowers the ratio, and the rule's best case is gradpipe's own Python costing nothing:
    ``import click, yaml`` and the layout program alone. The row gives how much of its own
    Python the rule may keep for 1.8x against the pipe as it is.
    """
    figure = f"7 make bound: {spec.name} in instructions, pipe vs rule, rule's ceiling (info)"
    out = BUILD / "make-bound"
    out.mkdir(parents=True, exist_ok=True)
    gradpipe = gradpipe_command()
    document, svg, dot = out / "diagram.json", out / "diagram.svg", out / "diagram.dot"
    try:
        run([*gradpipe, "render", "-f", "dot", "--backward", spec, "-o", dot]).check("render")
        counts = {
            name: instructions(command)
            for name, command in {
                "rule": [*gradpipe, "render", "--backward", spec, "-o", svg],
                "backward": [*gradpipe, "backward", spec, "-o", document],
                "render": [*gradpipe, "render", document, "-o", svg],
                "layout": layout_command(dot),
                "imports": [sys.executable, "-c", "import click, yaml"],
            }.items()
        }
    except Unavailable as error:
        return not_available(figure, "-", str(error))
    rule = counts["rule"] + counts["layout"]
    pipe = counts["backward"] + counts["render"] + counts["layout"]
    ceiling = counts["imports"] + counts["layout"]
    allowed = pipe / MAKE_TARGET - ceiling
    own = counts["rule"] - counts["imports"]
    leaves = (
        f"{MAKE_TARGET:g}x leaves the rule {allowed / 1e6:.1f}M of its own Python"
        if allowed >= 0
        else f"{MAKE_TARGET:g}x is out of reach with none"
    )
    measured = (
        f"pipe {pipe / rule:.2f}x the rule ({pipe / 1e6:.1f}M against {rule / 1e6:.1f}M); "
        f"with gradpipe's Python free, {pipe / ceiling:.2f}x; {leaves}, it takes {own / 1e6:.1f}M"
    )
    return Row(figure, measured, "-", None, pipe / rule, {"instructions": counts})
