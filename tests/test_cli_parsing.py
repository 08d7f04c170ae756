"""gradpipe's commands parse options exactly as click does; only faster for ``-o`` & co.

``gradpipe.cli.app.ShortOptionsParser`` matches a short option without first trying it
as a long one (which imports difflib to build an error it drops). It overrides a method
of click's private parser, so these tests run the same arguments through a plain click
command and a gradpipe ``Command`` and compare everything: a click that changed its
parser fails here, not in a user's hands.
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import CliRunner

from gradpipe.cli import main
from gradpipe.cli.app import Command, ShortOptionsParser

NEURON = Path(__file__).resolve().parent / "cases" / "valid" / "neuron.yaml"
ARGUMENTS = [
    [],
    ["a", "b"],
    ["-o", "out.svg", "a"],
    ["-oout.svg", "a"],
    ["-o=out.svg"],
    ["-qo", "out.svg"],
    ["-oq"],
    ["-qv", "-v"],
    ["-fsvg", "-o", "x"],
    ["-foo", "7"],
    ["-foo=7"],
    ["-fo"],
    ["-o"],
    ["-x"],
    ["-qx"],
    ["-q=1"],
    ["--out", "x"],
    ["--out=x"],
    ["--ou", "x"],
    ["--outt=x"],
    ["--format"],
    ["--quiet=yes"],
    ["-"],
    ["--", "-o", "x"],
    ["a", "-o", "x", "b"],
    ["-O", "x"],
    ["-s", "-o", "x"],
    ["-s"],
    ["-ss"],
    ["--help"],
    ["-h"],
]


def build(cls: type[click.Command], **settings: Any) -> click.Command:
    """A command with the kinds of options gradpipe's have: with values, flags, a flag
    whose value may be omitted, a one-dash long option, and arguments."""

    @click.command(
        "probe", cls=cls, context_settings={"help_option_names": ["-h", "--help"], **settings}
    )
    @click.argument("inputs", nargs=-1)
    @click.option("-o", "--out")
    @click.option("-f", "--format", "fmt")
    @click.option("-foo", "foo", type=int)
    @click.option("-q", "--quiet", is_flag=True)
    @click.option("-v", "verbose", count=True)
    @click.option("-s", "--shell", is_flag=False, flag_value="bash")
    def probe(**params: Any) -> None:
        click.echo(repr(sorted(params.items())))

    return probe


def outcome(command: click.Command, args: list[str]) -> tuple[int, str, str]:
    result = CliRunner().invoke(command, args, catch_exceptions=False)
    return result.exit_code, result.stdout, result.stderr


@pytest.mark.parametrize("args", ARGUMENTS, ids=" ".join)
@pytest.mark.parametrize(
    "settings", [{}, {"token_normalize_func": str.lower}, {"ignore_unknown_options": True}]
)
def test_arguments_parse_as_with_click_s_own_parser(
    args: list[str], settings: dict[str, Callable[[str], str] | bool]
) -> None:
    mine, clicks = build(Command, **settings), build(click.Command, **settings)
    assert outcome(mine, args) == outcome(clicks, args)


def test_every_command_uses_the_parser() -> None:
    context = click.Context(main)
    for name, command in main.commands.items():
        assert isinstance(command, Command), name
        assert isinstance(
            command.make_parser(click.Context(command, parent=context)), ShortOptionsParser
        )


def test_a_short_option_does_not_import_difflib(tmp_path: Path) -> None:
    # What the parser is for (README, figure 4): with a click whose parser changed so that
    # the long-option lookup comes back, this fails.
    probe = (
        "import sys\n"
        "from gradpipe.cli import main\n"
        "sys.argv = ['gradpipe', 'render', '-f', 'dot', sys.argv[1], '-o', sys.argv[2]]\n"
        "try:\n    main()\nexcept SystemExit as end:\n    assert not end.code, end.code\n"
        "print('difflib' in sys.modules)\n"
    )
    done = subprocess.run(
        [sys.executable, "-c", probe, str(NEURON), str(tmp_path / "neuron.dot")],
        capture_output=True,
        text=True,
    )
    assert (done.returncode, done.stdout, done.stderr) == (0, "False\n", "")
