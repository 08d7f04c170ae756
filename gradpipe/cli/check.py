"""``gradpipe check``: each leaf's backprop gradient against a numeric derivative, as a table."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial

import click

from gradpipe.cli.app import Command
from gradpipe.cli.batch import run_batch
from gradpipe.cli.options import (
    INPUT_HELP,
    FiniteFloatRange,
    destination_options,
    inputs_argument,
    jobs_option,
    max_nodes_option,
    output_format,
    set_option,
)
from gradpipe.documents.plan import read_plan, warn_number_nodes
from gradpipe.errors import StageFailure
from gradpipe.render import DEFAULT_LAYOUT_LIMIT, FORMATS, render

# What check writes: its table, or the diagram with each leaf coloured by its result.
PICTURES = tuple(fmt for fmt in FORMATS if fmt not in ("json", "mermaid"))
CHECK_FORMATS = {"text": ".txt", **{fmt: FORMATS[fmt] for fmt in PICTURES}}


def check(
    raw: bytes,
    path: str,
    overrides: Mapping[str, float],
    eps: float,
    rtol: float,
    atol: float,
    fmt: str = "text",
) -> bytes:
    """The table (or picture) of one input; a StageFailure carrying it on any mismatch."""
    from gradpipe.check import check_plan  # the checker loads only when check runs

    plan = read_plan(raw, path)
    warn_number_nodes(plan)
    result = check_plan(plan, overrides, eps=eps, rtol=rtol, atol=atol)
    if fmt == "text":
        report = result.report().encode()
    else:
        assert result.graph is not None
        report = render(result.graph, fmt, layout_limit=DEFAULT_LAYOUT_LIMIT, marks=result.marks())
    if not result.passed:
        raise StageFailure(result.summary(), report)
    return report


@click.command("check", cls=Command, epilog=INPUT_HELP)
@inputs_argument
@set_option
@click.option(
    "--eps",
    type=FiniteFloatRange(min=0, min_open=True),
    default=1e-6,
    show_default=True,
    metavar="H",
    help="Relative step: differences start at h = H·max(|x|, 1), then halve or double.",
)
@click.option(
    "--rtol",
    type=FiniteFloatRange(min=0),
    default=1e-3,
    show_default=True,
    metavar="R",
    help="Relative tolerance.",
)
@click.option(
    "--atol",
    type=FiniteFloatRange(min=0),
    default=1e-5,
    show_default=True,
    metavar="A",
    help="Absolute tolerance.",
)
@click.option(
    "--render",
    "picture",
    is_flag=True,
    help="Draw the diagram, each leaf coloured by its result with its relative error"
    " (svg, or -f/-o's format), instead of the table.",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(list(CHECK_FORMATS)),
    help="text (the table, the default) or a picture: " + ", ".join(PICTURES) + ".",
)
@destination_options
@jobs_option
@max_nodes_option
def check_command(
    inputs: tuple[str, ...],
    overrides: dict[str, float],
    eps: float,
    rtol: float,
    atol: float,
    picture: bool,
    fmt: str | None,
    out_file: str | None,
    out_dir: str | None,
    jobs: int,
) -> None:
    """Compare backprop with numeric derivatives.

    Checks each leaf's backprop gradient against central differences (one-sided
    next to a domain edge), with steps that never cross a kink or a pole and an
    estimate of their own error.

    As torch.autograd.gradcheck: a gradient passes when
    |analytic - numeric| <= atol + rtol * |numeric|. A point that is not
    differentiable is said to be so, not failed. Prints a table per input;
    exits 1 when any gradient differs.

    With --render (or -f svg|png|dot|html) the result is the diagram instead,
    each leaf coloured by its result (green ok, red MISMATCH, orange not
    differentiable or uncertain) with its relative error in its record.

    \b
    Example:
      gradpipe check neuron.yaml --set x1=0.5 --eps 1e-7
      gradpipe check neuron.yaml --render -o neuron-check.svg
    """
    # -f, else -o's extension (a .txt is the table), else --render's svg, else the table.
    chosen = output_format(
        fmt, out_file, CHECK_FORMATS, "svg" if picture else "text", out_dir=out_dir
    )
    stage = partial(check, overrides=overrides, eps=eps, rtol=rtol, atol=atol, fmt=chosen)
    paint: Callable[[str], str] | None = None
    if chosen == "text":
        from gradpipe.cli.terminal import paint_check_report

        paint = paint_check_report
    if out_file is None and out_dir is None:
        # tables (or pictures) one after another, in order
        run_batch(stage, inputs, jobs, succeeded="passed", paint=paint)
    suffix = CHECK_FORMATS[chosen]
    run_batch(
        stage,
        inputs,
        jobs,
        out_file=out_file,
        out_dir=out_dir,
        suffix=suffix,
        succeeded="passed",
        paint=paint,
    )
