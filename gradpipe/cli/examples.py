"""``gradpipe examples [NAME]``: list the bundled examples, or print one."""

from __future__ import annotations

import sys

import click

from gradpipe.cli.app import Command
from gradpipe.cli.options import completing
from gradpipe.cli.output import write_stream
from gradpipe.cli.signals import closed_pipe_ends_the_command


@click.command("examples", cls=Command)
@click.argument("name", required=False, shell_complete=completing("examples"))
def examples_command(name: str | None) -> None:
    """List the bundled examples, or print example NAME.

    The examples are specs of the micrograd lecture's expressions, installed
    with gradpipe, so they pipe into every command.

    \b
    Example:
      gradpipe examples
      gradpipe examples neuron | gradpipe render -o neuron.svg
    """
    from gradpipe.data import describe_example, example_files, example_text
    from gradpipe.documents.names import did_you_mean

    found = example_files()
    if name is None:
        width = max(map(len, found), default=0)
        for example, entry in found.items():
            about = describe_example(entry.read_text(encoding="utf-8"))
            click.echo(f"{example:<{width}}  {about}")
        return
    name = name.removesuffix(".yaml")
    if name not in found:
        hint = did_you_mean(name, found)
        raise click.BadParameter(
            f"no example '{name}'{hint}; `gradpipe examples` lists them", param_hint="NAME"
        )
    with closed_pipe_ends_the_command():
        write_stream(sys.stdout.buffer, example_text(found[name]).encode("utf-8"))
