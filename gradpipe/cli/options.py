"""Options and arguments shared by the commands: INPUT..., -o/--out-dir, --set, --jobs."""

from __future__ import annotations

import math
import os
import stat
import sys
from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any

import click

from gradpipe.documents.names import is_valid_name
from gradpipe.documents.numbers import read_float
from gradpipe.documents.plan import DEFAULT_MAX_NODES

if TYPE_CHECKING:
    from click.shell_completion import CompletionItem

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
    number = read_float(text)
    if number is None:
        raise click.BadParameter(
            f"'{text}' is not a number (write it as in YAML or JSON: 3, -0.5, 1e-3)"
        )
    if math.isinf(number):
        raise click.BadParameter(f"'{text}' is out of range for a float")
    return number


class Count(click.IntRange):
    """An IntRange whose error names what was wanted: "'x' is not a valid integer", not
    click's "not a valid integer range" (a count was asked for, not a range)."""

    name = "integer"


class FiniteFloatRange(click.FloatRange):
    """A FloatRange that refuses nan and infinities: nan compares as inside any range.

    Named "float" in errors, not click's "float range", as ``Count`` is.
    """

    name = "float"

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        number = super().convert(value, param, ctx)
        if not math.isfinite(number):
            self.fail(f"{value!r} is not a finite number.", param, ctx)
        return number


class CaseInsensitiveChoice(click.Choice):  # type: ignore[type-arg]
    """A Choice taken in any case but shown as written (``LR``, ``TB``), in errors and completion.

    ``click.Choice(case_sensitive=False)`` folds its choices to lower case wherever it
    shows them: its error would list 'lr', 'tb' and completion offer ``lr``.
    """

    def convert(self, value: Any, param: click.Parameter | None, ctx: click.Context | None) -> Any:
        if isinstance(value, str):
            for choice in self.choices:
                if isinstance(choice, str) and choice.casefold() == value.casefold():
                    return choice
        return super().convert(value, param, ctx)  # fails, naming the choices as written

    def shell_complete(
        self, ctx: click.Context, param: click.Parameter, incomplete: str
    ) -> list[CompletionItem]:
        from click.shell_completion import CompletionItem  # only when completing: start-up time

        folded = incomplete.casefold()
        return [
            CompletionItem(choice)
            for choice in self.choices
            if isinstance(choice, str) and choice.casefold().startswith(folded)
        ]


def completing(kind: str) -> Callable[[click.Context, click.Parameter, str], list[CompletionItem]]:
    """A ``shell_complete`` callback from ``gradpipe.cli.completion``, loaded only on Tab."""

    def complete(ctx: click.Context, param: click.Parameter, incomplete: str) -> Any:
        from gradpipe.cli import completion

        return getattr(completion, f"complete_{kind}")(ctx, param, incomplete)

    return complete


SOURCE_KEY = "gradpipe.source"  # where --source/--no-source is kept for the reporter


def _keep_source_choice(ctx: click.Context, param: click.Parameter, value: bool | None) -> None:
    ctx.meta[SOURCE_KEY] = value


def inputs_argument(function: Callable[..., Any]) -> Callable[..., Any]:
    """INPUT...: files, directories or ``-``; none means standard input.

    Paths, so the shell completes file names. With ``--source/--no-source``: whether an
    error is followed by its source line and a caret (kept in the context for the reporter).
    """
    function = click.option(
        "--source/--no-source",
        default=None,
        expose_value=False,
        callback=_keep_source_choice,
        help="Show each error's source line with a caret under it (default: on, but for"
        " a batch whose standard error is not a terminal).",
    )(function)
    return click.argument(
        "inputs", nargs=-1, metavar="[INPUT]...", type=click.Path(), callback=_named_inputs
    )(function)


def _named_inputs(
    ctx: click.Context, param: click.Parameter, inputs: tuple[str, ...]
) -> tuple[str, ...]:
    """INPUT... as given, refusing '': its failure would have no PATH to be reported under."""
    if "" in inputs:
        raise click.BadParameter("'' names no file: give a path", ctx, param)
    return inputs


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
        type=click.Path(dir_okay=False),
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
        shell_complete=completing("assignments"),
        help="Give leaf NAME a new value (repeatable).",
    )(function)


def jobs_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--jobs N``: inputs processed by N processes; 0 means one per CPU."""
    return click.option(
        "-j",
        "--jobs",
        type=Count(min=0),
        metavar="N",
        default=1,
        show_default=True,
        help="Process inputs in N parallel processes (0: one per CPU).",
    )(function)


# Formats whose bytes are never written to a terminal.
BINARY_FORMATS = frozenset({"png", "pdf"})


def output_format(
    fmt: str | None,
    out_file: str | None,
    suffixes: Mapping[str, str],
    default: str,
    *,
    out_dir: str | None = None,
    aliases: Mapping[str, str] | None = None,
) -> str:
    """``-f``, else the format whose suffix ``-o`` has, else ``default``.

    ``aliases`` are further suffixes (``.gv`` -> ``dot``). ``-f`` contradicting ``-o``'s
    extension is wrong usage, as is a binary format bound for a terminal (not when
    ``out_dir`` receives it).
    """
    suffix = os.path.splitext(out_file)[1].lower() if out_file and out_file != "-" else ""
    implied = next((f for f, s in suffixes.items() if suffix and s == suffix), None)
    if implied is None and aliases:
        implied = aliases.get(suffix)
    if fmt is not None and implied is not None and fmt != implied:
        raise click.UsageError(f"-f {fmt} contradicts -o {out_file} (a {suffix} file)")
    chosen = fmt or implied or default
    if out_dir is not None:
        to_terminal = False
    elif out_file in (None, "-"):
        to_terminal = sys.stdout is not None and sys.stdout.isatty()
    else:  # -o /dev/tty writes through to the terminal as standard output would
        to_terminal = _is_terminal(out_file)
    if chosen in BINARY_FORMATS and to_terminal:
        raise click.UsageError(f"-f {chosen} is binary: write it with -o FILE or into a pipe")
    return chosen


def _is_terminal(path: str) -> bool:
    """Whether ``path`` is a terminal device (only character devices are opened to ask)."""
    try:
        if not stat.S_ISCHR(os.stat(path).st_mode):
            return False
        descriptor = os.open(path, os.O_WRONLY | os.O_NOCTTY)
    except OSError:
        return False
    try:
        return os.isatty(descriptor)
    finally:
        os.close(descriptor)


def max_nodes_option(function: Callable[..., Any]) -> Callable[..., Any]:
    """``--max-nodes N``: the node budget of each input (see ``run_batch``)."""
    return click.option(
        "--max-nodes",
        type=Count(min=1),
        metavar="N",
        default=DEFAULT_MAX_NODES,
        show_default=True,
        expose_value=False,
        callback=_store_max_nodes,
        help="Refuse inputs whose graph has more than N nodes (the node budget).",
    )(function)


def _store_max_nodes(ctx: click.Context, param: click.Parameter, value: int) -> int:
    ctx.meta["gradpipe.max_nodes"] = value
    return value
