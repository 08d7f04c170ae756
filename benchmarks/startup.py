"""Figure 4: start-up of ``gradpipe backward tiny.yaml``, and what the CLI imports."""

from __future__ import annotations

import json
import statistics
import sys

from benchmarks.measure import (
    BUILD,
    Config,
    Row,
    Unavailable,
    gradpipe_command,
    not_available,
    ratio_row,
    run,
)
from benchmarks.specs import tiny_file

TARGET = 1.5  # at most this many times the imports of pydantic, click and yaml
BASELINE = [sys.executable, "-c", "import pydantic, click, yaml"]

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


def rows(config: Config) -> list[Row]:
    """The start-up ratio (medians of alternating runs) and the import check."""
    tiny = tiny_file()
    out = BUILD / "out" / "tiny.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    figure = "4 start-up backward tiny.yaml vs imports"
    target = f"<= {TARGET:g}x"
    ours_command = [*gradpipe_command(), "backward", tiny, "-o", out]
    try:
        run(ours_command).check("gradpipe backward")  # warm the disk cache and .pyc files
        run(BASELINE).check("python -c")
        ours, theirs = [], []
        for _ in range(config.startup_runs):
            ours.append(run(ours_command).check("gradpipe backward"))
            theirs.append(run(BASELINE).check("python -c"))
        table = [
            ratio_row(
                figure,
                statistics.median(r.seconds for r in ours),
                statistics.median(r.seconds for r in theirs),
                at_most=TARGET,
                names=("gradpipe", "imports"),
                cpu=(
                    statistics.median(r.cpu for r in ours),
                    statistics.median(r.cpu for r in theirs),
                ),
            )
        ]
    except Unavailable as error:
        table = [not_available(figure, target, str(error))]
    table.append(imports_row(tiny, out))
    return table


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
