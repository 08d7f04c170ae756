"""The command line: the only package that imports click.

``main`` (``gradpipe.cli.app``) is the group; each command is a module of its own, added
here. ``batch`` runs a stage over the inputs, ``report`` writes every diagnostic and
decides the exit status (``terminal`` draws its colour, source lines and progress bar),
``output`` writes results atomically, ``signals`` ends quietly, ``completion`` gives the
shells their scripts.
"""

from gradpipe.cli import check, examples, init, render, schema, stages, sweep
from gradpipe.cli.app import main

for _command in (
    stages.forward_command,
    stages.backward_command,
    render.render_command,
    check.check_command,
    stages.validate_command,
    schema.schema_command,
    sweep.sweep_command,
    init.init_command,
    examples.examples_command,
):
    main.add_command(_command)

__all__ = ["main"]
