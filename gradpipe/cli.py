"""The command line: ``gradpipe forward | backward | render | check | validate | schema``.

A thin click layer. Commands gather options, bind them to a stage of
``gradpipe.cli_stages`` and hand it to ``run_batch``, the one place that writes
results, prints diagnostics and decides the exit status: 0 success, 1 bad input, math
or check failure, 2 wrong usage. ``main`` adds what a Unix tool owes its shell: Ctrl-C,
SIGTERM and a closed pipe end quietly, with no traceback and no half-written file.
"""

from __future__ import annotations

import math
import os
import re
import signal
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, Any, NoReturn

import click

from gradpipe import __version__
from gradpipe.batch import (
    Stage,
    describe_os_error,
    expand_inputs,
    is_batch,
    plan_destinations,
    run_stage,
)
from gradpipe.errors import GradpipeError
from gradpipe.graph import is_valid_name
from gradpipe.output import write_atomic, write_stream

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

FORMATS = {
    "svg": ".svg",
    "dot": ".dot",
    "png": ".png",
    "json": ".json",
    "mermaid": ".mmd",
    "html": ".html",
}
# Batches this long show a progress bar (on a terminal only): shorter ones finish too soon.
PROGRESS_MIN_INPUTS = 10
# A number as YAML 1.2 (core schema) and JSON write it; NaN and infinities are not numbers.
_NUMBER = re.compile(
    r"[-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?\Z|0o[0-7]+\Z|0x[0-9a-fA-F]+\Z"
)
_CLEAR_LINE = "\r\x1b[K"
INPUT_HELP = (
    "INPUT is a spec or graph document (YAML or JSON), a directory (its *.yaml, *.yml and"
    " *.json files), or - for standard input, which is also read when no INPUT is given."
)


def parse_assignments(
    ctx: click.Context, param: click.Parameter, assignments: tuple[str, ...]
) -> dict[str, float]:
    """``--set NAME=NUMBER`` options as overrides; the last one for a name wins."""
    overrides: dict[str, float] = {}
    for assignment in assignments:
        name, equals, text = assignment.partition("=")
        name, text = name.strip(), text.strip()
        if not equals:
            raise click.BadParameter(f"expected NAME=NUMBER, got '{assignment}'")
        if not is_valid_name(name):
            raise click.BadParameter(f"'{name}' is not a leaf name (in '{assignment}')")
        overrides[name] = parse_number(text)
    return overrides


def parse_number(text: str) -> float:
    """A number as YAML 1.2 and JSON write it, as a float; BadParameter for anything else."""
    if not _NUMBER.match(text):
        raise click.BadParameter(
            f"'{text}' is not a number (write it as in YAML or JSON: 3, -0.5, 1e-3)"
        )
    try:
        if text.startswith(("0o", "0x")):
            number = float(int(text[2:], 8 if text[1] == "o" else 16))
        else:
            number = float(text)
    except OverflowError:
        number = math.inf
    if math.isinf(number):
        raise click.BadParameter(f"'{text}' is out of range for a float")
    return number


class FiniteFloatRange(click.FloatRange):
    """A FloatRange that refuses nan and infinities: nan compares as inside any range."""

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


def inputs_argument(function: Callable[..., Any]) -> Callable[..., Any]:
    """INPUT...: files, directories or ``-``; none means standard input."""
    return click.argument("inputs", nargs=-1, metavar="[INPUT]...")(function)


def destination_options(function: Callable[..., Any]) -> Callable[..., Any]:
    """``-o FILE`` for one input, ``--out-dir DIR`` for a batch."""
    function = click.option(
        "--out-dir",
        type=click.Path(file_okay=False),
        metavar="DIR",
        help="Write each input's result to DIR/<stem>.<ext> (needed for several inputs).",
    )(function)
    return click.option(
        "-o",
        "--out",
        "out_file",
        metavar="FILE",
        help="Write the result to FILE (atomically) instead of standard output.",
    )(function)


def set_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--set NAME=NUMBER``, repeatable; the last one for a name wins."""
    return click.option(
        "--set",
        "overrides",
        metavar="NAME=NUMBER",
        multiple=True,
        callback=parse_assignments,
        help="Give leaf NAME a new value (repeatable).",
    )(function)


def jobs_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--jobs N``: inputs processed by N processes; 0 means one per CPU."""
    return click.option(
        "-j",
        "--jobs",
        type=click.IntRange(min=0),
        metavar="N",
        default=1,
        show_default=True,
        help="Process inputs in N parallel processes (0: one per CPU).",
    )(function)


class ClosedPipe(Exception):
    """Standard output's reader has gone (``| head``): the command ends quietly.

    Not an OSError, so that click, which would exit 1, leaves it to ``UnixGroup.main``.
    """


class UnixGroup(click.Group):
    """A command group that ends as a Unix tool does, whoever calls it.

    Usage errors exit 2, Ctrl-C 130 and SIGTERM 143 (both unwinding, so temporary files
    are removed and workers stopped), and a closed pipe ends quietly, as by SIGPIPE.
    """

    def main(
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        prog_name = prog_name or "gradpipe"
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, False, **extra)
        previous = _handle_sigterm(_exit_on_signal)
        try:
            status = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as error:
            error.show()
            status = error.exit_code
        except click.Abort:
            status = 128 + signal.SIGINT
        except ClosedPipe:
            _end_on_closed_pipe()
        finally:
            _handle_sigterm(previous)
        sys.exit(status if isinstance(status, int) else 0)


@click.group("gradpipe", cls=UnixGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "-V", "--version", prog_name="gradpipe")
def main() -> None:
    """See and check the gradients of an expression, stage by stage.

    Each command reads specs or graph documents (YAML or JSON) from files,
    directories or standard input, and writes to standard output, so stages
    chain in pipes:

    \b
      gradpipe forward neuron.yaml | gradpipe backward | gradpipe render > neuron.svg

    Exit status: 0 success, 1 bad input, math error or failed check, 2 wrong usage.
    """


@main.command(epilog=INPUT_HELP)
@inputs_argument
@destination_options
@set_option
@jobs_option
def forward(
    inputs: tuple[str, ...],
    out_file: str | None,
    out_dir: str | None,
    overrides: dict[str, float],
    jobs: int,
) -> None:
    """Compute every node's value: a graph document, grads null.

    \b
    Example:
      gradpipe forward neuron.yaml --set x1=3 -o neuron.json
    """
    from gradpipe import cli_stages

    stage = partial(cli_stages.forward, overrides=overrides)
    run_batch(stage, inputs, jobs, out_file=out_file, out_dir=out_dir, suffix=".json")


@main.command(epilog=INPUT_HELP)
@inputs_argument
@destination_options
@set_option
@click.option("--output", metavar="NODE", help="Backpropagate from NODE, not the output.")
@jobs_option
def backward(
    inputs: tuple[str, ...],
    out_file: str | None,
    out_dir: str | None,
    overrides: dict[str, float],
    output: str | None,
    jobs: int,
) -> None:
    """Compute values and gradients: a graph document with grads.

    With --output NODE the gradients are those of NODE, which becomes the
    document's output.

    \b
    Example:
      gradpipe forward neuron.yaml | gradpipe backward --output n
    """
    from gradpipe import cli_stages

    stage = partial(cli_stages.backward, overrides=overrides, output=output)
    run_batch(stage, inputs, jobs, out_file=out_file, out_dir=out_dir, suffix=".json")


@main.command(epilog=INPUT_HELP)
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
def render(
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
    import gradpipe.render  # noqa: F401  (loaded once, before any worker forks)
    from gradpipe import cli_stages

    if frames or watch:
        from gradpipe import cli_watch

        cli_watch.render_steps_or_watch(
            inputs, out_file, out_dir, fmt, overrides, layout_limit, frames, watch, jobs
        )
    stage = partial(cli_stages.render, overrides=overrides, fmt=fmt, layout_limit=layout_limit)
    run_batch(stage, inputs, jobs, out_file=out_file, out_dir=out_dir, suffix=FORMATS[fmt])


@main.command(epilog=INPUT_HELP)
@inputs_argument
@set_option
@click.option(
    "--eps",
    type=FiniteFloatRange(min=0, min_open=True),
    default=1e-6,
    show_default=True,
    metavar="H",
    help="Step of the central difference (f(x+H) - f(x-H)) / 2H.",
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
def check(
    inputs: tuple[str, ...],
    overrides: dict[str, float],
    eps: float,
    rtol: float,
    atol: float,
    jobs: int,
) -> None:
    """Compare backprop with central differences.

    Checks each leaf's backprop gradient against (f(x+H) - f(x-H)) / 2H.

    As torch.autograd.gradcheck: a gradient passes when
    |analytic - numeric| <= atol + rtol * |numeric|. Prints a table per input;
    exits 1 when any gradient differs.

    \b
    Example:
      gradpipe check neuron.yaml --set x1=0.5 --eps 1e-7
    """
    from gradpipe import cli_check

    stage = partial(cli_check.check, overrides=overrides, eps=eps, rtol=rtol, atol=atol)
    run_batch(stage, inputs, jobs)


@main.command(epilog=INPUT_HELP)
@inputs_argument
@jobs_option
def validate(inputs: tuple[str, ...], jobs: int) -> None:
    """Check inputs without computing them.

    Silent when every input is valid; each error on standard error otherwise.

    \b
    Example:
      gradpipe validate examples/ && echo all valid
    """
    from gradpipe import cli_stages

    run_batch(cli_stages.validate, inputs, jobs)


@main.command()
@click.argument("kind", type=click.Choice(["spec", "graph"]), default="spec")
def schema(kind: str) -> None:
    """Print the JSON Schema of specs or graph documents.

    KIND is spec (the default) or graph.

    \b
    Example:
      gradpipe schema graph > graph.schema.json
    """
    from gradpipe.documents import json_schema

    with _closed_pipe_ends_the_command():
        write_stream(sys.stdout.buffer, json_schema(kind).encode())


def run_batch(
    stage: Stage,
    arguments: Sequence[str],
    jobs: int,
    *,
    out_file: str | None = None,
    out_dir: str | None = None,
    suffix: str | None = None,
    write: Callable[[str, bytes], None] = write_atomic,
    folders: bool = False,
) -> NoReturn:
    """Run ``stage`` over every input, write each result, report each failure, and exit.

    Each input stands alone: a failure is reported in its turn and the others still
    run. Exits 1 when any failed, else 0. ``write`` puts a result at its destination;
    with ``folders`` one input writes into ``--out-dir`` itself, a batch into a folder
    per input.
    """
    stdin = sys.stdin.buffer
    if not arguments and stdin.isatty():
        raise click.UsageError("no INPUT given and standard input is a terminal")
    inputs = expand_inputs(arguments)
    if suffix is None:
        destinations: list[str | None] = [None] * len(inputs)
    else:
        destinations = plan_destinations(arguments, inputs, out_file, out_dir, suffix)
        if folders and not is_batch(arguments):
            destinations = [out_dir] * len(inputs)
    context = click.get_current_context()
    if out_dir is not None:
        try:
            os.makedirs(out_dir, exist_ok=True)
        except OSError as error:
            problem = f"cannot create the directory: {describe_os_error(error)}"
            _Reporter().report(problem, out_dir)
            context.exit(1)
    stdout = sys.stdout.buffer
    jobs = jobs or os.cpu_count() or 1
    failed = False
    with (
        _closed_pipe_ends_the_command(),
        run_stage(stage, inputs, jobs, stdin.read) as outcomes,
        _Reporter.for_batch(len(inputs), f"gradpipe {context.info_name}") as reporter,
    ):
        for destination, outcome in zip(destinations, outcomes, strict=True):
            if outcome.data is not None:
                try:
                    if destination is None:
                        write_stream(stdout, outcome.data)
                    else:
                        write(destination, outcome.data)
                except BrokenPipeError:
                    raise  # the reader has gone: not this input's failure
                except OSError as error:
                    reporter.report(f"cannot write: {describe_os_error(error)}", destination)
                    failed = True
            if outcome.error is not None:
                reporter.report(outcome.error)
                failed = True
            reporter.advance()
    context.exit(1 if failed else 0)


class _Reporter:
    """Diagnostics on standard error, kept clear of the progress bar when one is shown."""

    def __init__(self, bar: ProgressBar[int] | None = None) -> None:
        self.bar = bar

    @classmethod
    @contextmanager
    def for_batch(cls, total: int, label: str) -> Iterator[_Reporter]:
        """With a progress bar for a long batch on a terminal, else plain."""
        if total < PROGRESS_MIN_INPUTS or not sys.stderr.isatty():
            yield cls()
            return
        with click.progressbar(length=total, file=sys.stderr, label=label) as bar:
            yield cls(bar)

    def report(self, message: str, path: str | None = None) -> None:
        """One diagnostic line, ``PATH: error: MESSAGE`` when ``path`` is given."""
        text = message if path is None else GradpipeError(message, path).format()
        click.echo(text if self.bar is None else _CLEAR_LINE + text, err=True)

    def advance(self) -> None:
        """One more input done."""
        if self.bar is not None:
            self.bar.update(1)


@contextmanager
def _closed_pipe_ends_the_command() -> Iterator[None]:
    """A BrokenPipeError, once workers are stopped and files closed, becomes ClosedPipe."""
    try:
        yield
    except BrokenPipeError:
        raise ClosedPipe from None


def _handle_sigterm(handler: Any) -> Any:
    """Install ``handler`` for SIGTERM where signals can be handled (the main thread)."""
    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:
        return None


def _exit_on_signal(signum: int, frame: object) -> NoReturn:
    """Unwind like Ctrl-C does, so temporary files are removed and workers stopped."""
    sys.exit(128 + signum)


def _end_on_closed_pipe() -> NoReturn:
    """End as a Unix tool does when its reader goes away: silently, by SIGPIPE."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # Python's final flush must not fail again
    sigpipe = getattr(signal, "SIGPIPE", None)
    if sigpipe is not None:
        signal.signal(sigpipe, signal.SIG_DFL)
        os.kill(os.getpid(), sigpipe)
    sys.exit(1)
