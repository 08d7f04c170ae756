"""Figure 5: SVG of small and big graphs in time, big ones refused at once, text formats near
json; the size up to which every shared node is drawn once; the default --layout-limit; the
aspect big pictures keep by default."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
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
    interleaved,
    not_available,
    ratio_row,
    run,
    seconds,
    size,
)
from benchmarks.specs import document_file, named_mlp_file, spec_file, spec_nodes

# (workload, nodes, seconds): the SVG targets of the issues (12: 1,000 and 2,000 nodes).
SVG_TARGETS = (("chain", 100, 1.0), ("mlp-sum", 1000, 3.0), ("mlp-sum", 2000, 10.0))
# --view named of a 10^5-node MLP spec (its 337 parameters and three sums), from the spec.
NAMED_NODES = 100_000
NAMED_TARGET = 5.0
# Every shared node drawn once: the biggest such chain lays out within this (issue 16).
REUSE_TARGET = 2.0
# The default --layout-limit: the biggest MLP it admits lays out within this (issue 16).
LIMIT_TARGET = 30.0
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
    for path, env in layout_paths(config):
        table.append(named_row(path, env, 1 if config.quick else 3))
    table.extend(aspect_rows(config))
    table.extend(reuse_rows(config))
    table.extend(limit_rows(config))
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
    timeout: float = SVG_TIMEOUT,
) -> Row:
    """``render -f svg`` of a backward document, best of ``repeat``, against a time."""
    figure = f"5 render svg {workload} {count:,} nodes ({path})"
    out = BUILD / "out" / f"{spec.stem}.svg"
    return timed_row(
        figure,
        lambda: [*gradpipe_command(), "render", "-f", "svg", backward_document(spec), "-o", out],
        limit,
        env,
        repeat,
        timeout,
    )


def named_row(path: str, env: dict[str, str], repeat: int) -> Row:
    """``render --backward --view named`` of the 10^5-node MLP spec, load to picture."""
    spec = named_mlp_file(NAMED_NODES)
    out = BUILD / "out" / "mlp-named.svg"
    return timed_row(
        f"5 render svg --view named mlp 1e5 nodes ({path})",
        lambda: [*gradpipe_command(), "render", "--backward", "--view", "named", spec, "-o", out],
        NAMED_TARGET,
        env,
        repeat,
    )


def timed_row(
    figure: str,
    command: Callable[[], list[str | Path]],
    limit: float,
    env: dict[str, str],
    repeat: int,
    timeout: float = SVG_TIMEOUT,
) -> Row:
    """The best of ``repeat`` runs of ``command()`` against ``limit`` seconds."""
    target = f"< {seconds(limit)}"
    try:
        done = best_run(command(), repeat, "gradpipe render", timeout=timeout, env=env)
    except TimedOut:
        return Row(figure, f"> {timeout:.0f} s (timed out)", target, False)
    except Unavailable as error:
        return not_available(figure, target, str(error))
    return Row(figure, seconds(done.seconds), target, done.seconds < limit, done.seconds)


def reuse_nodes() -> int:
    """The biggest micrograd-style chain (``x = tanh(x*w + b)``) drawn with no node split."""
    from gradpipe.documents.build import load_document
    from gradpipe.render.plan import plan

    best = 0
    for nodes in range(30, 600, 3):
        spec = spec_file("chain", nodes)
        graph = load_document(spec.read_bytes(), str(spec))
        if plan(graph).split:
            break
        best = nodes
    return best


def reuse_rows(config: Config) -> list[Row]:
    """The size up to which every shared node is drawn once, and its layout time.

    A chain is the costly shape: ``w`` and ``b`` are used by every step, their edges
    crossing every rank. Past this size the renderer splits them.
    """
    nodes = reuse_nodes()
    spec = spec_file("chain", nodes)
    count = spec_nodes(spec)
    table = []
    for path, env in layout_paths(config):
        row = svg_row("chain", spec, count, REUSE_TARGET, path, env, 1 if config.quick else 3)
        row.figure = f"5 reuse drawn once up to: chain {count:,} nodes unsplit ({path})"
        table.append(row)
    return table


def limit_rows(config: Config) -> list[Row]:
    """The biggest MLP that the default --layout-limit admits, laid out within 30 s."""
    from gradpipe.render.formats import DEFAULT_LAYOUT_LIMIT

    spec = spec_file("mlp-sum", DEFAULT_LAYOUT_LIMIT)
    count = spec_nodes(spec)
    while count > DEFAULT_LAYOUT_LIMIT:
        spec = spec_file("mlp-sum", DEFAULT_LAYOUT_LIMIT - (count - DEFAULT_LAYOUT_LIMIT) - 50)
        count = spec_nodes(spec)
    table = []
    for path, env in layout_paths(config):
        row = svg_row("mlp-sum", spec, count, LIMIT_TARGET, path, env, 1, 4 * LIMIT_TARGET)
        row.figure = f"5 --layout-limit {DEFAULT_LAYOUT_LIMIT:,}: mlp-sum {count:,} nodes ({path})"
        table.append(row)
    return table


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
    """``render -f dot|json|mermaid`` of a big graph document against json.loads + dumps.

    The floor and the three formats run in turns (``interleaved``), so each sees the
    same load: on a shared machine the floor alone moved 2x between separate runs.
    """
    nodes = config.render_nodes
    target = f"<= {TEXT_TARGET:g}x"
    out = BUILD / "out"
    try:
        document = document_file("mlp-sum", nodes)
        commands: dict[str, list[str | Path]] = {
            "the floor": [*FLOOR, "dumps", document, out / "floor.json"]
        }
        for fmt in TEXT_FORMATS:
            commands[fmt] = [
                *gradpipe_command(),
                "render",
                "-f",
                fmt,
                document,
                "-o",
                out / f"render.{fmt}",
            ]
        done = interleaved(commands, config.repeat(nodes))
    except Unavailable as error:
        return [
            not_available(f"5 render -f {fmt} {size(nodes)} vs json.dumps", target, str(error))
            for fmt in TEXT_FORMATS
        ]
    floor = done["the floor"]
    return [
        ratio_row(
            f"5 render -f {fmt} {size(nodes)} vs json.dumps",
            done[fmt].seconds,
            floor.seconds,
            at_most=TEXT_TARGET,
            names=("gradpipe", "floor"),
            cpu=(done[fmt].cpu, floor.cpu),
        )
        for fmt in TEXT_FORMATS
    ]


# The aspect (width : height) a big picture keeps by default, read from its SVG (issue 12).
ASPECT_SIZES = (
    ("chain", 1000),
    ("chain", 2000),
    ("mlp-sum", 1000),
    ("mlp-sum", 2000),
    ("tree", 300),
    ("tree", 2000),
)
ASPECT_RANGE = (1 / 3, 3.0)


def aspect_rows(config: Config) -> list[Row]:
    """Width : height of the default SVG of big graphs, with the first layout program."""
    path, env = layout_paths(config)[0]
    low, high = ASPECT_RANGE
    target = f"1 : {1 / low:g} to {high:g} : 1"
    table = []
    for workload, nodes in ASPECT_SIZES[:2] if config.quick else ASPECT_SIZES:
        spec = spec_file(workload, nodes)
        figure = f"5 aspect svg {workload} {spec_nodes(spec):,} nodes ({path})"
        out = BUILD / "out" / f"{spec.stem}.aspect.svg"
        command = [*gradpipe_command(), "render", "-f", "svg", backward_document(spec), "-o", out]
        try:
            best_run(command, 1, "gradpipe render", timeout=SVG_TIMEOUT, env=env)
            head = out.read_text(encoding="utf-8", errors="replace")[:4000]
        except (TimedOut, Unavailable, OSError) as error:
            table.append(not_available(figure, target, str(error) or "timed out"))
            continue
        found = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', head)
        if found is None:
            table.append(not_available(figure, target, "no size in the SVG"))
            continue
        width, height = float(found[1]), float(found[2])
        aspect = width / height
        shown = f"{aspect:.2f} : 1" if aspect >= 1 else f"1 : {1 / aspect:.2f}"
        table.append(
            Row(
                figure,
                f"{shown} ({width:,.0f} x {height:,.0f} pt)",
                target,
                low <= aspect <= high,
                aspect,
            )
        )
    return table
