"""``gradpipe init [NAME]``: a commented starter spec, never over an existing file."""

from __future__ import annotations

import os
import sys

import click

from gradpipe.cli.app import Command
from gradpipe.cli.batch import describe_os_error
from gradpipe.cli.output import write_stream
from gradpipe.cli.report import Reporter
from gradpipe.cli.signals import closed_pipe_ends_the_command


@click.command("init", cls=Command)
@click.argument("name", required=False, type=click.Path(dir_okay=False))
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
    click.echo(f"wrote {target}; try: gradpipe backward {target}", err=True)
