"""``gradpipe schema``: the JSON Schema of specs or graph documents."""

from __future__ import annotations

import sys

import click

from gradpipe.cli.output import write_stream
from gradpipe.cli.signals import closed_pipe_ends_the_command


@click.command("schema")
@click.argument("kind", type=click.Choice(["spec", "graph"]), default="spec")
def schema_command(kind: str) -> None:
    """Print the JSON Schema of specs or graph documents.

    KIND is spec (the default) or graph.

    \b
    Example:
      gradpipe schema graph > graph.schema.json
    """
    from gradpipe.documents.schemas import json_schema

    with closed_pipe_ends_the_command():
        write_stream(sys.stdout.buffer, json_schema(kind).encode())
