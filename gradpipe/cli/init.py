"""``gradpipe init [NAME]``: a commented starter spec, never over an existing file."""

from __future__ import annotations

import os
import shlex
import sys

import click

from gradpipe.cli.app import Command
from gradpipe.cli.batch import describe_os_error
from gradpipe.cli.output import write_stream
from gradpipe.cli.report import Reporter
from gradpipe.cli.signals import closed_pipe_ends_the_command
from gradpipe.errors import escape_control


def _starter_name(ctx: click.Context, param: click.Parameter, name: str | None) -> str | None:
    """NAME, refused as wrong usage where it names no file or the file it makes is a folder.

    ``click.Path(dir_okay=False)`` on NAME itself would refuse ``init d`` for a folder
    ``d``, though ``d.yaml`` is what is written; so the check is of that file.
    """
    if name == "":
        raise click.BadParameter("'' names no file: give a path", ctx, param)
    if name is None or name == "-":
        return name
    if name.endswith(("/", os.sep)):  # would write d.yaml for d/: a folder is not a file NAME
        shown = escape_control(name)
        raise click.BadParameter(f"'{shown}' names a folder: give a file NAME", ctx, param)
    from gradpipe.data import starter_target

    target, _ = starter_target(name)
    click.Path(dir_okay=False).convert(str(target), param, ctx)
    return name


@click.command("init", cls=Command)
@click.argument("name", required=False, type=click.Path(), callback=_starter_name)
def init_command(name: str | None) -> None:
    """Write a commented starter spec: NAME.yaml (default: spec.yaml).

    NAME may have a folder and a suffix (.yaml, .yml); - prints the starter on
    standard output instead. An existing file is never overwritten.

    \b
    Example:
      gradpipe init neuron && gradpipe backward neuron.yaml
    """
    from gradpipe.data import starter_spec, starter_target

    if name == "-":
        with closed_pipe_ends_the_command():
            write_stream(sys.stdout.buffer, starter_spec("spec").encode())
        return
    target, spec_name = starter_target(name)
    text = starter_spec(spec_name)
    try:
        descriptor = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
        with os.fdopen(descriptor, "w", encoding="utf-8") as stream:
            stream.write(text)
    except FileExistsError:
        problem = "already exists; not overwritten (remove it, or choose another NAME)"
        Reporter().report(problem, str(target))
        sys.exit(1)
    except OSError as error:
        Reporter().report(f"cannot write: {describe_os_error(error)}", str(target))
        sys.exit(1)
    # The hint is a command to paste: a name with a space or a quote is quoted for the shell;
    # a control character in it is shown escaped, as in every line gradpipe writes to stderr.
    hint = f"wrote {target}; try: gradpipe backward {shlex.quote(str(target))}"
    click.echo(escape_control(hint), err=True)
