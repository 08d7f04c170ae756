"""The ``gradpipe`` command group: ``forward | backward | render | check | validate | schema``.

Each command lives in a module of its own (``gradpipe.cli.stages``, ``.render``, ``.check``,
``.schema``) and is added to ``main`` in ``gradpipe.cli``. ``main`` ends as a Unix tool
does: usage errors exit 2, Ctrl-C 130, SIGTERM 143, a closed pipe quietly.
"""

from __future__ import annotations

import gc
import sys
from collections.abc import Callable, Sequence
from typing import Any

import click

from gradpipe import __version__
from gradpipe.cli.signals import (
    INTERRUPTED,
    ClosedPipe,
    closed_pipe_ends_the_command,
    end_on_closed_pipe,
    exit_on_signal,
    handle_sigterm,
)

try:  # click 8.2 and later
    from click.parser import _OptionParser, _ParsingState
except ImportError:  # click 8.1, the same parser under public names
    from click.parser import OptionParser as _OptionParser  # type: ignore[no-redef]
    from click.parser import ParsingState as _ParsingState  # type: ignore[no-redef]


class ShortOptionsParser(_OptionParser):
    """click's option parser, matching ``-o`` as the short option it is at once.

    click tries every argument that starts with one dash as a long option first, and on
    the way builds, then drops, a "no such option" error with the close matches, which
    imports difflib: 3M instructions of render's start-up, 1% (README, figure 4). Where
    no long option is spelled so, this goes straight to what click does next, its own
    short-option matching; everything else is click's. It relies on click's private
    parser, so tests/test_cli_parsing.py checks it parses as click's does.
    """

    def _process_opts(self, arg: str, state: _ParsingState) -> None:
        name = arg.split("=", 1)[0]
        names_as_typed = self.ctx is None or self.ctx.token_normalize_func is None
        if names_as_typed and arg[:2] not in self._opt_prefixes and name not in self._long_opt:
            self._match_short_opt(arg, state)
            return
        super()._process_opts(arg, state)


class Command(click.Command):
    """A gradpipe command: click's, parsed by ``ShortOptionsParser``."""

    def make_parser(self, ctx: click.Context) -> _OptionParser:
        parser = ShortOptionsParser(ctx)
        for param in self.get_params(ctx):
            param.add_to_parser(parser, ctx)
        return parser


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
            # Usage errors echo arguments as typed: escaped, as every error line is, so
            # a control character can neither split the line nor command the terminal.
            # (click's echo would strip ESC sequences from a pipe only, and half of them.)
            # The message is Final in click's stubs only; show() reads it.
            from gradpipe.errors import escape_control

            error.message = escape_control(error.message)  # type: ignore[misc]
            error.show()
            status = error.exit_code
        except click.Abort:
            status = INTERRUPTED
        except ClosedPipe:
            end_on_closed_pipe()
        except OSError as error:
            # What click writes itself (--help, --version, the completion script) and the
            # listings fail on standard output (/dev/full) outside any stage's handler: said
            # as a stage says it, not as a traceback. Anything else is still a bug to show.
            if not _failed_write(error):
                raise
            from gradpipe.cli.batch import STDOUT_PATH, describe_os_error, discard_stdout
            from gradpipe.cli.report import Reporter

            discard_stdout()
            Reporter().report(f"cannot write: {describe_os_error(error)}", STDOUT_PATH)
            status = 1
        finally:
            handle_sigterm(previous)
        if args is None:  # this process's own command line: the process ends here
            # Python's exit runs the cycle collector over every object still alive, before
            # and after the modules' teardown: a twentieth of render's start-up (README,
            # figure 4). Frozen, they are left out: a command leaves no cycles to collect,
            # and the system takes the memory back as the process ends. Only objects made
            # from here on (by atexit's handlers) are collected, as sys.exit ends this call.
            gc.freeze()
        sys.exit(status if isinstance(status, int) else 0)

    def make_context(
        self,
        info_name: str | None,
        args: list[str],
        parent: click.Context | None = None,
        **extra: Any,
    ) -> click.Context:
        """click's, with a closed pipe under ``--help`` or ``--version`` ending quietly.

        click's own handler of a closed pipe exits 1, which a ``set -o pipefail`` script
        takes for a failure (``gradpipe --help | head -1``).
        """
        with closed_pipe_ends_the_command():
            return super().make_context(info_name, args, parent, **extra)

    def resolve_command(
        self, ctx: click.Context, args: list[str]
    ) -> tuple[str | None, click.Command | None, list[str]]:
        """click's, with a command's beginning suggesting it: 'val' gives 'validate', where
        click's close matches offered nothing (and 'che' gave 'check' or 'schema')."""
        name = args[0] if args else ""
        unknown = name and not name.startswith("-") and self.get_command(ctx, name) is None
        if unknown and not ctx.resilient_parsing:
            starting = [command for command in self.list_commands(ctx) if command.startswith(name)]
            if starting:
                hint = " or ".join(repr(command) for command in starting)
                ctx.fail(f"No such command {name!r}. Did you mean {hint}?")
        return super().resolve_command(ctx, args)

    def invoke(self, ctx: click.Context) -> Any:
        """click's, with a closed pipe ending quietly in every command, as in ``make_context``."""
        with closed_pipe_ends_the_command():
            return super().invoke(ctx)


def _failed_write(error: OSError) -> bool:
    """Whether ``error`` is a write's to a full or broken output, not a named file's."""
    import errno

    failures = {errno.ENOSPC, errno.EFBIG, errno.EIO, getattr(errno, "EDQUOT", errno.ENOSPC)}
    return error.filename is None and error.errno in failures


def _show_version(ctx: click.Context, param: click.Parameter, value: bool) -> None:
    """``--version``: gradpipe's, and the Graphviz programs render will use."""
    if not value or ctx.resilient_parsing:
        return
    from gradpipe.render.layout import describe_graphviz

    click.echo("\n".join([f"gradpipe, version {__version__}", *describe_graphviz()]))
    ctx.exit(0)


def _show_completion(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """``--show-completion SHELL``: print the shell's completion script."""
    if value is None or ctx.resilient_parsing:
        return
    from gradpipe.cli.completion import completion_script

    click.echo(completion_script(ctx.find_root().command, value), nl=False)
    ctx.exit(0)


def _install_completion(ctx: click.Context, param: click.Parameter, value: str | None) -> None:
    """``--install-completion [SHELL]``: put the script where the shell loads it."""
    if value is None or ctx.resilient_parsing:
        return
    from gradpipe.cli.completion import default_shell, install_completion

    shell = value or default_shell()
    try:
        done = install_completion(ctx.find_root().command, shell)
    except OSError as error:
        raise click.ClickException(f"cannot install {shell} completion: {error}") from None
    for line in done:
        click.echo(f"{shell}: {line}", err=True)
    ctx.exit(0)


SHELLS = click.Choice(["bash", "zsh", "fish"])


def _action_option(*declarations: str, **settings: Any) -> Callable[[Any], Any]:
    """An option that acts at once (in its callback) and exits: --version and the like."""
    return click.option(*declarations, expose_value=False, is_eager=True, **settings)


@click.group("gradpipe", cls=UnixGroup, context_settings={"help_option_names": ["-h", "--help"]})
@_action_option(
    "-V",
    "--version",
    is_flag=True,
    callback=_show_version,
    help="Show the version, and the Graphviz that render uses, and exit.",
)
@_action_option(
    "--show-completion",
    type=SHELLS,
    metavar="SHELL",
    callback=_show_completion,
    help="Print the completion script of SHELL (bash, zsh or fish) and exit.",
)
@_action_option(
    "--install-completion",
    type=SHELLS,
    metavar="[SHELL]",
    is_flag=False,
    flag_value="",
    callback=_install_completion,
    help="Install completion for SHELL (default: your $SHELL's) and exit.",
)
def main() -> None:
    """See and check the gradients of an expression, stage by stage.

    Each command reads specs or graph documents (YAML or JSON) from files,
    directories or standard input, and writes to standard output, so stages
    chain in pipes:

    \b
      gradpipe forward neuron.yaml | gradpipe backward | gradpipe render > neuron.svg

    \b
    To start:
      gradpipe init neuron              # writes a commented starter, neuron.yaml
      gradpipe examples                 # lists the bundled examples
      gradpipe examples neuron | gradpipe backward

    Exit status: 0 success, 1 bad input, math error or failed check, 2 wrong usage.
    """
