"""``gradpipe render``: the picture of each input, in one of the formats of ``FORMATS``."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import click

from gradpipe.cli.batch import run_batch
from gradpipe.cli.options import (
    INPUT_HELP,
    destination_options,
    inputs_argument,
    jobs_option,
    set_option,
)
from gradpipe.documents.build import build_graph, load_document
from gradpipe.documents.plan import read_plan
from gradpipe.render import render as draw
from gradpipe.render.formats import DEFAULT_LAYOUT_LIMIT, FORMATS, STEP_FORMATS


def render(
    raw: bytes,
    path: str,
    overrides: Mapping[str, float],
    fmt: str,
    layout_limit: int | None,
    watch: str | None = None,
) -> bytes:
    """The picture of what the document holds: values, and gradients when it carried them.

    A spec or a forward document is drawn without gradients; a backward document with
    them, recomputed (from its output) as every value is. The HTML view always has
    them; ``watch`` names the side file its page polls under ``render --watch``.
    """
    plan = read_plan(raw, path)
    graph = build_graph(plan, overrides)
    if plan.gradients or fmt in STEP_FORMATS:
        graph.backward()
    limit = DEFAULT_LAYOUT_LIMIT if layout_limit is None else layout_limit
    if fmt == "html" and watch is not None:
        from gradpipe.render.html import render_html

        return render_html(graph, layout_limit=limit, watch=watch)
    return draw(graph, fmt, layout_limit=limit)


def frames_stage(
    raw: bytes,
    path: str,
    overrides: Mapping[str, float],
    fmt: str,
    layout_limit: int | None,
) -> bytes:
    """One picture per backprop step, packed (``gradpipe.render.frames.pack_frames``)."""
    from gradpipe.render.frames import pack_frames, render_frames

    graph = load_document(raw, path, overrides)
    graph.backward()
    return pack_frames(render_frames(graph, fmt, layout_limit=layout_limit))


@click.command("render", epilog=INPUT_HELP)
@inputs_argument
@destination_options
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    default="svg",
    show_default=True,
    help="What to draw: an SVG picture, Graphviz DOT, PNG, the graph document, or Mermaid.",
)
@set_option
@click.option(
    "--layout-limit",
    type=click.IntRange(min=1),
    metavar="N",
    help="Refuse to lay out graphs of more than N nodes (svg, png); raise it for big graphs.",
)
@click.option(
    "--frames",
    is_flag=True,
    help="One picture per backprop step (svg or png) into --out-dir, on one layout.",
)
@click.option(
    "--watch",
    is_flag=True,
    help="Render again whenever INPUT changes (one file, with -o or --frames); Ctrl-C stops.",
)
@jobs_option
def render_command(
    inputs: tuple[str, ...],
    out_file: str | None,
    out_dir: str | None,
    fmt: str,
    overrides: dict[str, float],
    layout_limit: int | None,
    frames: bool,
    watch: bool,
    jobs: int,
) -> None:
    """Draw the graph: svg, dot, png, json, mermaid, or html (interactive).

    Drawn as micrograd's draw_dot draws it: values, and gradients when present.

    A spec or a forward document is drawn without gradients; pipe it through
    backward first to see them. Mermaid files get the extension .mmd. The html
    page and --frames always show gradients: they replay backprop step by step.

    \b
    Example:
      gradpipe backward neuron.yaml | gradpipe render -f svg -o neuron.svg
      gradpipe render examples/ -f png --out-dir build/
      gradpipe render -f html neuron.yaml -o neuron.html
      gradpipe render --frames neuron.yaml --out-dir slides/
      gradpipe render --watch neuron.yaml -o neuron.html
    """
    import gradpipe.render.dot  # noqa: F401  (loaded once, before any worker forks)

    if frames or watch:
        from gradpipe.cli import watch as watching

        watching.render_steps_or_watch(
            click.get_current_context().params, stages=(render, frames_stage)
        )
    stage = partial(render, overrides=overrides, fmt=fmt, layout_limit=layout_limit)
    run_batch(stage, inputs, jobs, out_file=out_file, out_dir=out_dir, suffix=FORMATS[fmt])
