"""``gradpipe check``: each leaf's backprop gradient against a numeric derivative, as a table."""

from __future__ import annotations

from collections.abc import Mapping
from functools import partial

import click

from gradpipe.check import check_plan
from gradpipe.cli.batch import run_batch
from gradpipe.cli.options import (
    INPUT_HELP,
    FiniteFloatRange,
    inputs_argument,
    jobs_option,
    set_option,
)
from gradpipe.documents.plan import read_plan
from gradpipe.errors import StageFailure


def check(
    raw: bytes,
    path: str,
    overrides: Mapping[str, float],
    eps: float,
    rtol: float,
    atol: float,
) -> bytes:
    """The table for one input; a StageFailure carrying it when any gradient disagrees."""
    result = check_plan(read_plan(raw, path), overrides, eps=eps, rtol=rtol, atol=atol)
    report = result.report().encode()
    if not result.passed:
        raise StageFailure(result.summary(), report)
    return report


@click.command("check", epilog=INPUT_HELP)
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
@jobs_option
def check_command(
    inputs: tuple[str, ...],
    overrides: dict[str, float],
    eps: float,
    rtol: float,
    atol: float,
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

    \b
    Example:
      gradpipe check neuron.yaml --set x1=0.5 --eps 1e-7
    """
    stage = partial(check, overrides=overrides, eps=eps, rtol=rtol, atol=atol)
    run_batch(stage, inputs, jobs)
