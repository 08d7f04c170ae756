"""``gradpipe render``: the picture of each input, in one of the formats of ``FORMATS``."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping
from functools import partial
from typing import TYPE_CHECKING

import click

from gradpipe.cli.app import Command
from gradpipe.cli.batch import Warned, is_batch, run_batch
from gradpipe.cli.options import (
    INPUT_HELP,
    CaseInsensitiveChoice,
    Count,
    completing,
    destination_options,
    inputs_argument,
    jobs_option,
    max_nodes_option,
    output_format,
    set_option,
)
from gradpipe.documents.build import build_graph, load_document
from gradpipe.documents.plan import read_plan
from gradpipe.render import render as draw
from gradpipe.render.formats import (
    ALIASES,
    DEFAULT_LAYOUT_LIMIT,
    FORMATS,
    LAYOUT_FORMATS,
    STEP_FORMATS,
)

if TYPE_CHECKING:
    from gradpipe.render.dot import Style


# Mermaid refuses to draw a flowchart of more edges than its maxEdges setting (default 500).
MERMAID_MAX_EDGES = 500


def render(
    raw: bytes,
    path: str,
    overrides: Mapping[str, float],
    fmt: str,
    layout_limit: int | None,
    watch: str | None = None,
    style: Style | None = None,
    backprop: bool = False,
) -> bytes:
    """The picture of what the document holds: values, and gradients when it carried them.

    A spec or a forward document is drawn without gradients unless ``backprop``
    (``render --backward``); a backward document with them, recomputed (from its output)
    as every value is. The HTML view always has them; ``watch`` names the side file its
    page polls under ``render --watch``.
    """
    plan = read_plan(raw, path)
    graph = build_graph(plan, overrides)
    recompute = plan.gradients or backprop or fmt in STEP_FORMATS
    del plan  # its columns are garbage now: the picture's text reuses their memory
    if recompute:
        graph.backward()
    limit = DEFAULT_LAYOUT_LIMIT if layout_limit is None else layout_limit
    if fmt == "html" and watch is not None:
        from gradpipe.render.html import render_html

        return render_html(graph, layout_limit=limit, watch=watch, style=style)
    data = draw(graph, fmt, layout_limit=limit, style=style)
    if fmt in LAYOUT_FORMATS:
        from gradpipe.render.layout import strip_size

        strip = strip_size(data, fmt, len(graph))
        if strip is not None:
            from gradpipe.render.dot import Style

            return Warned(
                data,
                f"the picture is {strip}, a strip too long to read whole: draw a part "
                f"with {(style or Style()).smaller_part()}",
            )
    if fmt == "mermaid":
        edges = data.count(b" -->")
        if edges > MERMAID_MAX_EDGES:
            from gradpipe.render.dot import Style

            return Warned(
                data,
                f"{edges} edges, more than Mermaid draws by default (its maxEdges setting, "
                f"{MERMAID_MAX_EDGES}): raise maxEdges in the Mermaid config, or draw a part "
                f"with {(style or Style()).smaller_part()}",
            )
    return data


def frames_stage(
    raw: bytes,
    path: str,
    overrides: Mapping[str, float],
    fmt: str,
    layout_limit: int | None,
    style: Style | None = None,
) -> bytes:
    """One picture per backprop step, packed (``gradpipe.render.frames.pack_frames``)."""
    from gradpipe.render.frames import pack_frames, render_frames

    graph = load_document(raw, path, overrides)
    graph.backward()
    return pack_frames(render_frames(graph, fmt, layout_limit=layout_limit, style=style))


@click.command("render", cls=Command, epilog=INPUT_HELP)
@inputs_argument
@destination_options
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    default=None,
    help="What to draw: svg (the default), png, pdf, dot, json, mermaid or html; "
    "without -f, -o's extension says.",
)
@set_option
@click.option(
    "--backward",
    "backprop",
    is_flag=True,
    help="Compute the gradients first (of a spec or forward document), in this one process.",
)
@click.option(
    "--rankdir",
    type=CaseInsensitiveChoice(["LR", "TB"]),
    help="Left to right or top to bottom (default LR; big graphs: the one nearer a screen's).",
)
@click.option("--compact", is_flag=True, help="Put each op inside its result's record.")
@click.option(
    "--view",
    type=click.Choice(["all", "named"]),
    default="all",
    show_default=True,
    help="named: only the spec's named nodes, each showing the formula it stands for.",
)
@click.option(
    "--focus",
    metavar="NODE",
    shell_complete=completing("nodes"),
    help="Draw NODE and its neighbourhood only.",
)
@click.option(
    "--depth",
    type=Count(min=0),
    metavar="K",
    help="With --focus: the nodes within K edges of NODE (default 2).",
)
@click.option(
    "--edge-grads",
    is_flag=True,
    help="Label each edge with its local derivative ∂result/∂argument.",
)
@click.option(
    "--layout-limit",
    type=Count(min=1),
    metavar="N",
    help="Refuse to lay out graphs of more than N nodes (svg, png, pdf); raise it for big graphs.",
)
@click.option(
    "--frames",
    is_flag=True,
    help="One picture per backprop step (svg, png or pdf) into --out-dir, on one layout.",
)
@click.option(
    "--watch",
    is_flag=True,
    help="Render again whenever INPUT changes (one file, with -o or --frames); Ctrl-C stops.",
)
@jobs_option
@max_nodes_option
def render_command(
    inputs: tuple[str, ...],
    out_file: str | None,
    out_dir: str | None,
    fmt: str | None,
    overrides: dict[str, float],
    backprop: bool,
    rankdir: str | None,
    compact: bool,
    view: str,
    focus: str | None,
    depth: int | None,
    edge_grads: bool,
    layout_limit: int | None,
    frames: bool,
    watch: bool,
    jobs: int,
) -> None:
    """Draw the graph: svg, png, pdf, dot, json, mermaid, or html (interactive).

    Drawn as micrograd's draw_dot draws it: values, and gradients when present.

    A spec or a forward document is drawn without gradients unless --backward
    (or it was piped through backward). Without -f the format is -o's extension
    (svg when it has none); png and pdf are never written to a terminal. Mermaid
    files get the extension .mmd. The html page and --frames always show
    gradients: they replay backprop step by step.

    \b
    Example:
      gradpipe render --backward neuron.yaml -o neuron.svg
      gradpipe render --backward big.yaml --view named -o big.png
      gradpipe render examples/ -f png --out-dir build/
      gradpipe render -f html neuron.yaml -o neuron.html
      gradpipe render --frames neuron.yaml --out-dir slides/
      gradpipe render --watch neuron.yaml -o neuron.html
    """
    import gradpipe.render.dot  # noqa: F401  (loaded once, before any worker forks)
    from gradpipe.render.dot import Style

    fmt = output_format(fmt, out_file, FORMATS, "svg", out_dir=out_dir, aliases=ALIASES)
    if focus is None and depth is not None:
        raise click.UsageError("--depth needs --focus NODE")
    if focus is not None and view != "all":
        raise click.UsageError("--focus and --view named draw different parts: give one")
    if fmt == "json" and (focus is not None or view != "all"):
        part = "--view named" if focus is None else "--focus"
        raise click.UsageError(
            f"-f json writes the whole graph document; {part} draws a part of it that no "
            f"graph document holds: drop {part}, or draw it with -f svg, png, pdf, dot, "
            "mermaid or html"
        )
    style = Style(
        rankdir=rankdir.upper() if rankdir else None,
        compact=compact,
        edge_grads=edge_grads,
        view=view,
        focus=focus,
        depth=2 if depth is None else depth,
    )
    if frames or watch:
        from gradpipe.cli import watch as watching

        params = {**click.get_current_context().params, "fmt": fmt, "style": style}
        watching.render_steps_or_watch(params, stages=(render, frames_stage))
    stage = partial(
        render,
        overrides=overrides,
        fmt=fmt,
        layout_limit=layout_limit,
        style=style,
        backprop=backprop,
    )
    with contextlib.ExitStack() as stack:
        if fmt in LAYOUT_FORMATS and not is_batch(inputs):
            from gradpipe.render.layout import started_ahead

            # The layout program starts while the input is read and drawn (html is svg's).
            stack.enter_context(started_ahead("svg" if fmt == "html" else fmt))
        run_batch(stage, inputs, jobs, out_file=out_file, out_dir=out_dir, suffix=FORMATS[fmt])
