"""``gradpipe sweep``: the output and its gradients as one or two leaves move over a range."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from functools import partial
from typing import Any

import click

from gradpipe.cli.app import Command
from gradpipe.cli.batch import Warned, run_batch
from gradpipe.cli.options import (
    INPUT_HELP,
    completing,
    destination_options,
    inputs_argument,
    jobs_option,
    max_nodes_option,
    output_format,
    parse_number,
    set_option,
)
from gradpipe.cli.stages import known_node
from gradpipe.documents.build import load_document
from gradpipe.documents.names import is_valid_name
from gradpipe.errors import GradpipeError, MathError
from gradpipe.sweep import FORMATS, PLOT_FORMATS, Axis, by_count, by_step, encode, run_sweep

DEFAULT_FORMAT = "csv"


def sweep(
    raw: bytes,
    path: str,
    overrides: Mapping[str, float],
    axes: Sequence[Axis],
    wrt: Sequence[str],
    output: str | None,
    fmt: str,
    strict: bool,
) -> bytes:
    """One input's sweep in ``fmt``; its gaps as a warning, an error when every point failed."""
    graph, at_spec_point = _load(raw, path, overrides, axes)
    if output is not None:
        known_node(graph, output, "--output")
    result = run_sweep(graph, axes, wrt, output)
    if not at_spec_point:
        result.current = []  # the spec's own point cannot be computed: nothing to mark
    if result.failures == len(result.rows):
        raise GradpipeError(f"every point failed: {result.failure_summary()}")
    if result.failures and strict:
        raise GradpipeError(f"--strict: {result.failure_summary()}")
    data = encode(result, fmt)
    return Warned(data, result.failure_summary()) if result.failures else data


def _load(
    raw: bytes, path: str, overrides: Mapping[str, float], axes: Sequence[Axis]
) -> tuple[Any, bool]:
    """The graph at the spec's point; where its math fails there, at the sweep's middle point.

    A sweep of log(x) from 1 to 2 works for a spec that says x: 0. The graph is only
    built once; its values at the chosen point are where the replay starts from.
    """
    try:
        return load_document(raw, path, overrides), True
    except MathError as error:
        for middle in (True, False):
            moved = {**overrides, **{a.name: _pick(a, middle) for a in axes}}
            try:
                return load_document(raw, path, moved), False
            except GradpipeError:
                continue
        raise error from None


def _pick(axis: Axis, middle: bool) -> float:
    return axis.values[len(axis.values) // 2] if middle else axis.values[0]


def parse_vary(ctx: click.Context, param: click.Parameter, texts: tuple[str, ...]) -> list[Axis]:
    """``--vary NAME=START:STOP:STEP`` or ``NAME=START:STOP/N``, once or twice."""
    if not texts:
        raise click.BadParameter("give one leaf to vary (or two, for a grid)")
    if len(texts) > 2:
        raise click.BadParameter("a sweep varies one leaf, or two for a grid")
    axes: list[Axis] = []
    for text in texts:
        name, equals, bounds = text.partition("=")
        name = name.strip()
        if not equals:
            raise click.BadParameter(
                f"expected NAME=START:STOP:STEP or NAME=START:STOP/N, got '{text}'"
            )
        if not is_valid_name(name):
            raise click.BadParameter(f"'{name}' is not a leaf name (in '{text}')")
        if any(axis.name == name for axis in axes):  # a grid's two axes are two leaves
            raise click.BadParameter(
                f"leaf '{name}' is varied twice (in '{text}'): a grid varies two different leaves"
            )
        start_text, colon, rest = bounds.partition(":")
        stop_text, slash, count_text = rest.partition("/")
        if not slash:
            stop_text, colon2, step_text = rest.partition(":")
        if not colon or (not slash and not colon2):
            raise click.BadParameter(
                f"expected NAME=START:STOP:STEP or NAME=START:STOP/N, got '{text}'"
            )
        start, stop = parse_number(start_text.strip()), parse_number(stop_text.strip())
        try:
            if slash:
                count = parse_number(count_text.strip())
                if count != math.floor(count):
                    raise ValueError(f"the count {count_text.strip()} is not a whole number")
                axes.append(by_count(name, start, stop, int(count)))
            else:
                axes.append(by_step(name, start, stop, parse_number(step_text.strip())))
        except ValueError as error:
            raise click.BadParameter(f"{error} (in '{text}')") from None
    return axes


@click.command("sweep", cls=Command, epilog=INPUT_HELP)
@inputs_argument
@destination_options
@set_option
@click.option(
    "--vary",
    "axes",
    metavar="NAME=START:STOP:STEP",
    multiple=True,
    callback=parse_vary,
    shell_complete=completing("assignments"),
    help="Vary leaf NAME from START to STOP by STEP, or over N points with START:STOP/N;"
    " twice for a grid of two leaves.",
)
@click.option(
    "--wrt",
    metavar="NAME",
    multiple=True,
    shell_complete=completing("leaves"),
    help="Also the gradient of leaf NAME (repeatable).",
)
@click.option(
    "--output",
    metavar="NODE",
    shell_complete=completing("nodes"),
    help="Sweep NODE, not the output.",
)
@click.option(
    "-f",
    "--format",
    "fmt",
    type=click.Choice(list(FORMATS)),
    help="csv or json tables, svg, png or pdf plots (default: -o's extension, else csv).",
)
@click.option("--strict", is_flag=True, help="Fail when any point fails, not only all of them.")
@jobs_option
@max_nodes_option
def sweep_command(
    inputs: tuple[str, ...],
    out_file: str | None,
    out_dir: str | None,
    overrides: dict[str, float],
    axes: list[Axis],
    wrt: tuple[str, ...],
    output: str | None,
    fmt: str | None,
    strict: bool,
    jobs: int,
) -> None:
    """Tabulate or plot the output and its gradients as leaves vary.

    For each value of the leaf: the output, d(output)/d(leaf) and any --wrt
    gradients. Points where the math fails are gaps (empty in CSV, null in
    JSON, breaks in plots), counted on standard error; the run fails only when
    every point fails, or with --strict.

    \b
    Example:
      gradpipe sweep parabola.yaml --vary x=-5:5:0.25 -o parabola.svg
      gradpipe sweep neuron.yaml --vary x1=-3:3/61 --vary w1=-3:3/61 -o grid.png
    """
    chosen = output_format(
        fmt, out_file, {f: f".{f}" for f in FORMATS}, DEFAULT_FORMAT, out_dir=out_dir
    )
    if chosen in PLOT_FORMATS:
        import gradpipe.sweep_plot  # noqa: F401  (loaded once, before any worker forks)
    stage = partial(
        sweep,
        overrides=overrides,
        axes=axes,
        wrt=list(wrt),
        output=output,
        fmt=chosen,
        strict=strict,
    )
    run_batch(stage, inputs, jobs, out_file=out_file, out_dir=out_dir, suffix=f".{chosen}")
