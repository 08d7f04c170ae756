"""``gradpipe schema``: the JSON Schema of specs or graph documents."""

from __future__ import annotations

import sys

import click

from gradpipe.cli.app import Command
from gradpipe.cli.batch import STDOUT_PATH, describe_os_error, discard_stdout, open_stdout
from gradpipe.cli.output import write_stream
from gradpipe.cli.report import Reporter
from gradpipe.cli.signals import closed_pipe_ends_the_command


@click.command("schema", cls=Command)
@click.argument("kind", type=click.Choice(["spec", "graph"]), default="spec")
@click.option(
    "--path",
    "show_path",
    is_flag=True,
    help="Print the path of the schema file installed with gradpipe, for an editor.",
)
def schema_command(kind: str, show_path: bool) -> None:
    """Print the JSON Schema of specs or graph documents.

    KIND is spec (the default) or graph. With --path, print where the file
    installed with gradpipe is instead, to point an editor at.

    \b
    Example:
      gradpipe schema graph > graph.schema.json
      gradpipe schema --path spec
    """
    if show_path:
        from gradpipe.data import schema_file

        click.echo(str(schema_file(kind)))
        return
    from gradpipe.documents.schemas import json_schema

    stdout = sys.stdout.buffer if sys.stdout is not None else None
    try:
        with closed_pipe_ends_the_command():
            write_stream(open_stdout(stdout), json_schema(kind).encode())
    except OSError as error:
        discard_stdout()
        Reporter().report(f"cannot write: {describe_os_error(error)}", STDOUT_PATH)
        click.get_current_context().exit(1)
