"""The ``gradpipe`` command group: ``forward | backward | render | check | validate | schema``.

Each command lives in a module of its own (``gradpipe.cli.stages``, ``.render``, ``.check``,
``.schema``) and is added to ``main`` in ``gradpipe.cli``. ``main`` ends as a Unix tool
does: usage errors exit 2, Ctrl-C 130, SIGTERM 143, a closed pipe quietly.
"""

from __future__ import annotations

import signal
import sys
from collections.abc import Sequence
from typing import Any

import click

from gradpipe import __version__
from gradpipe.cli.signals import ClosedPipe, end_on_closed_pipe, exit_on_signal, handle_sigterm


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
        previous = handle_sigterm(exit_on_signal)
        try:
            status = super().main(args, prog_name, complete_var, False, **extra)
        except click.ClickException as error:
            error.show()
            status = error.exit_code
        except click.Abort:
            status = 128 + signal.SIGINT
        except ClosedPipe:
            end_on_closed_pipe()
        finally:
            handle_sigterm(previous)
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
