"""Figure 5: SVG of small graphs in time, big ones refused at once, text formats near json."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

from benchmarks.measure import (
    BIN,
    BUILD,
    FLOOR,
    Config,
    Row,
    TimedOut,
    Unavailable,
    best_run,
    gradpipe_command,
    not_available,
    ratio_row,
    run,
    seconds,
    size,
)
from benchmarks.specs import document_file, spec_file, spec_nodes

# (workload, nodes, seconds): the SVG targets of the issue.
SVG_TARGETS = (("chain", 100, 1.0), ("mlp-sum", 1000, 10.0))
SVG_TIMEOUT = 60.0
REFUSE_NODES = 100_000
REFUSE_TARGET = 5.0  # seconds to refuse a graph too big to lay out
TEXT_TARGET = 1.0  # at most this many times json.loads + json.dumps of the document
TEXT_FORMATS = ("dot", "json", "mermaid")
# The interactive page of the 1,000-node MLP: its trace, JSON and script cost at most this
# much on top of the SVG it holds (measured 1.5x: the trace, the JSON, cutting the SVG).
HTML_NODES = 1000
HTML_TARGET = 2.0


def layout_paths(config: Config) -> list[tuple[str, dict[str, str]]]:
    """The layout programs to time: Graphviz's dot when on PATH, then the embedded one.

    A quick run times only the first: the one ``render`` uses by default.
    """
    search = f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}"
    paths = [("graphviz-pure", {"GRADPIPE_GRAPHVIZ": "embedded"})]
    if shutil.which("dot", path=search):
        paths.insert(0, ("native dot", {"GRADPIPE_GRAPHVIZ": "native"}))
    return paths[:1] if config.quick else paths


def backward_document(spec: Path) -> Path:
    """The graph document (with gradients) that ``backward`` makes of ``spec``: what we draw."""
    document = BUILD / "out" / f"{spec.stem}.graph.json"
    document.parent.mkdir(parents=True, exist_ok=True)
    run([*gradpipe_command(), "backward", spec, "-o", document]).check("gradpipe backward")
    return document


def rows(config: Config) -> list[Row]:
    """SVG timings per layout path, the refusal of a huge graph, and the text formats."""
    table = []
    for workload, nodes, limit in SVG_TARGETS:
        spec = spec_file(workload, nodes)
        count = spec_nodes(spec)
        for path, env in layout_paths(config):
            table.append(svg_row(workload, spec, count, limit, path, env, 1 if config.quick else 3))
    table.append(html_row(config))
    table.append(refuse_row())
    table.extend(text_rows(config))
    return table


def html_row(config: Config) -> Row:
    """``render -f html`` against ``render -f svg`` of the same backward document."""
    spec = spec_file("mlp-sum", HTML_NODES)
    figure = f"5 render html mlp-sum {spec_nodes(spec):,} nodes vs svg"
    try:
        document = backward_document(spec)
        times = []
        for fmt in ("html", "svg"):
            out = BUILD / "out" / f"{spec.stem}.{fmt}"
            command = [*gradpipe_command(), "render", "-f", fmt, document, "-o", out]
            repeat = 1 if config.quick else 3
            times.append(best_run(command, repeat, "gradpipe render", timeout=SVG_TIMEOUT).seconds)
    except TimedOut:
        return Row(figure, f"> {SVG_TIMEOUT:.0f} s (timed out)", f"<= {HTML_TARGET:g}x", False)
    except Unavailable as error:
        return not_available(figure, f"<= {HTML_TARGET:g}x", str(error))
    return ratio_row(figure, times[0], times[1], at_most=HTML_TARGET, names=("html", "svg"))


def svg_row(
    workload: str,
    spec: Path,
    count: int,
    limit: float,
    path: str,
    env: dict[str, str],
    repeat: int,
) -> Row:
    """``render -f svg`` of a backward document, best of ``repeat``, against a time."""
    figure = f"5 render svg {workload} {count:,} nodes ({path})"
    target = f"< {seconds(limit)}"
    try:
        document = backward_document(spec)
        out = BUILD / "out" / f"{spec.stem}.svg"
        command = [*gradpipe_command(), "render", "-f", "svg", document, "-o", out]
        done = best_run(command, repeat, "gradpipe render", timeout=SVG_TIMEOUT, env=env)
    except TimedOut:
        return Row(figure, f"> {SVG_TIMEOUT:.0f} s (timed out)", target, False)
    except Unavailable as error:
        return not_available(figure, target, str(error))
    return Row(figure, seconds(done.seconds), target, done.seconds < limit, done.seconds)


def refuse_row() -> Row:
    """A graph too big to lay out is refused at once, with a message naming the limit."""
    figure = f"5 render svg {size(REFUSE_NODES)} nodes refused"
    target = f"refused < {seconds(REFUSE_TARGET)}, names the limit"
    spec = spec_file("mlp-sum", REFUSE_NODES)
    out = BUILD / "out" / "refused.svg"
    try:
        done = run(
            [*gradpipe_command(), "render", "-f", "svg", spec, "-o", out], timeout=SVG_TIMEOUT
        )
    except TimedOut:
        return Row(figure, f"no answer in {SVG_TIMEOUT:.0f} s", target, False)
    message = done.stderr.decode(errors="replace").strip().splitlines()
    said = message[-1] if message else "no message"
    if "Traceback" in done.stderr.decode(errors="replace"):
        return not_available(figure, target, f"crashed: {said[:120]}")
    if done.returncode == 0:
        return Row(
            figure, f"drawn in {seconds(done.seconds)}", target, done.seconds < REFUSE_TARGET
        )
    names_limit = "limit" in said
    return Row(
        figure,
        f"exit {done.returncode} in {seconds(done.seconds)}: {said.split('error: ', 1)[-1][:64]}…",
        target,
        done.returncode == 1 and done.seconds < REFUSE_TARGET and names_limit,
        done.seconds,
    )


def text_rows(config: Config) -> list[Row]:
    """``render -f dot|json|mermaid`` of a big graph document against json.loads + dumps."""
    nodes = config.render_nodes
    target = f"<= {TEXT_TARGET:g}x"
    try:
        document = document_file("mlp-sum", nodes)
        out = BUILD / "out"
        floor = best_run([*FLOOR, "dumps", document, out / "floor.json"], 1, "the floor")
    except Unavailable as error:
        return [
            not_available(f"5 render -f {fmt} {size(nodes)} vs json.dumps", target, str(error))
            for fmt in TEXT_FORMATS
        ]
    table = []
    for fmt in TEXT_FORMATS:
        figure = f"5 render -f {fmt} {size(nodes)} vs json.dumps"
        try:
            ours = best_run(
                [*gradpipe_command(), "render", "-f", fmt, document, "-o", out / f"render.{fmt}"],
                1,
                f"gradpipe render -f {fmt}",
            )
        except Unavailable as error:
            table.append(not_available(figure, target, str(error)))
            continue
        table.append(
            ratio_row(
                figure,
                ours.seconds,
                floor.seconds,
                at_most=TEXT_TARGET,
                names=("gradpipe", "floor"),
                cpu=(ours.cpu, floor.cpu),
            )
        )
    return table
