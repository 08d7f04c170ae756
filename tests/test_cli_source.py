"""Errors like a compiler's: the error line first, unchanged, then its source line and a caret.

Run in process, where standard error is not a terminal, as in a script, a Makefile or CI.
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest
from click.testing import CliRunner

from gradpipe.cli import main

ROOT = Path(__file__).resolve().parent.parent
UNKNOWN_NAME = "values:\n  x1: 2.0\n  x2: 0.0\nnodes:\n  n: x1*x3 + 1\n"
ERROR_LINE = "error: unknown name 'x3' in node 'n' (did you mean 'x1' or 'x2'?)"


def gradpipe(
    *args: str, stdin: str | bytes = b"", cwd: Path | None = None, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The command line in process (standard error not a terminal), run in ``cwd``."""
    environment: dict[str, str | None] = {"NO_COLOR": None, "FORCE_COLOR": None, **(env or {})}
    previous = os.getcwd()
    os.chdir(cwd or previous)
    try:
        result = CliRunner().invoke(
            main, list(args), input=stdin, env=environment, catch_exceptions=False
        )
    finally:
        os.chdir(previous)
    return subprocess.CompletedProcess(args, result.exit_code, result.stdout, result.stderr)


def caret_column(excerpt: list[str]) -> tuple[str, int]:
    """The source text shown and the 1-based column its caret points at."""
    source, caret = excerpt
    gutter = source.index("| ") + 2
    assert caret.index("|") == source.index("|"), "the gutters line up"
    return source[gutter:], caret.index("^") - gutter + 1


def test_the_error_line_comes_first_then_its_source_line_and_a_caret(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(UNKNOWN_NAME)
    result = gradpipe("forward", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == ""
    lines = result.stderr.splitlines()
    assert lines[0] == "bad.yaml:5:9: " + ERROR_LINE
    assert len(lines) == 3
    assert lines[1].lstrip().startswith("5 | ")
    text, column = caret_column(lines[1:])
    assert text == "  n: x1*x3 + 1"
    assert column == 9
    assert text[column - 1 :].startswith("x3")


def test_no_source_keeps_one_line_per_error(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(UNKNOWN_NAME)
    result = gradpipe("forward", "--no-source", "bad.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == "bad.yaml:5:9: " + ERROR_LINE + "\n"


@pytest.mark.parametrize("command", ["forward", "backward", "render", "check", "validate"])
def test_every_reading_command_shows_the_source(command: str) -> None:
    result = gradpipe(command, stdin=UNKNOWN_NAME)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "<stdin>:5:9: " + ERROR_LINE
    assert caret_column(lines[1:3]) == ("  n: x1*x3 + 1", 9)
    assert gradpipe(command, "--no-source", stdin=UNKNOWN_NAME).stderr.count("\n") == 1


def test_a_batch_log_has_one_line_per_error_unless_asked(tmp_path: Path) -> None:
    """Several inputs and no terminal: a log to grep, so no source unless --source."""
    for name in ("a", "b"):
        (tmp_path / f"{name}.yaml").write_text(UNKNOWN_NAME)
    result = gradpipe("forward", "a.yaml", "b.yaml", "--out-dir", "out", cwd=tmp_path)
    assert result.returncode == 1
    errors = [line for line in result.stderr.splitlines() if ": error: " in line]
    assert errors == ["a.yaml:5:9: " + ERROR_LINE, "b.yaml:5:9: " + ERROR_LINE]
    assert "|" not in result.stderr
    forced = gradpipe("forward", "--source", "a.yaml", "b.yaml", "--out-dir", "o2", cwd=tmp_path)
    assert forced.stderr.count("5 |   n: x1*x3 + 1") == 2


def test_an_error_with_no_place_has_no_source(tmp_path: Path) -> None:
    result = gradpipe("forward", "missing.yaml", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr == "missing.yaml: error: cannot read: no such file or directory\n"


def test_a_math_error_shows_its_node(tmp_path: Path) -> None:
    result = gradpipe("forward", stdin="values: {x: 0}\nnodes: {y: log(x)}\n")
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert lines[0] == "<stdin>:2:9: error: log of 0.0 at node 'y' (log)"
    assert caret_column(lines[1:]) == ("nodes: {y: log(x)}", 9)


def test_a_json_error_shows_its_line() -> None:
    result = gradpipe("forward", stdin='{"values": {"x": 1},\n "nodes": {"y": "x*z"}}\n')
    lines = result.stderr.splitlines()
    assert lines[0].startswith("<stdin>:2:")
    text, column = caret_column(lines[1:])
    assert text == ' "nodes": {"y": "x*z"}}'
    assert text[column - 1] == "z"


def test_tabs_in_the_source_line_keep_the_caret_aligned() -> None:
    spec = 'values:\n  x: 1\nnodes:\n  y: {expr: "x\t+ zz"}\n'
    result = gradpipe("forward", stdin=spec)
    lines = result.stderr.splitlines()
    assert lines[0].startswith("<stdin>:4:"), lines
    text, column = caret_column(lines[1:])
    assert "\t" not in text
    assert text[column - 1 : column + 1] == "zz"


def test_wide_characters_before_the_column_keep_the_caret_aligned() -> None:
    spec = 'values:\n  x: 1\nnodes:\n  y: {label: "数据", expr: "x + zz"}\n'
    result = gradpipe("forward", stdin=spec)
    source, caret = result.stderr.splitlines()[1:3]
    # Each of the two CJK characters takes two terminal cells.
    shown = source[: source.index("zz")]
    cells = len(shown) + sum(1 for char in shown if ord(char) > 0x2E7F)
    assert caret.index("^") == cells


def test_a_very_long_line_is_shortened_around_the_column() -> None:
    formula = "x0 + " * 3000 + "zz"
    spec = "values:\n  x0: 1\nnodes:\n  y: " + formula + "\n"
    result = gradpipe("validate", stdin=spec)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert len(lines) == 3
    text, column = caret_column(lines[1:])
    assert len(lines[1]) <= 120
    assert text[column - 1 : column + 1] == "zz"
    assert "…" in text


def test_control_characters_in_the_source_line_are_escaped() -> None:
    spec = 'values:\n  x: 1\nnodes:\n  y: {label: "a\x1b[31mb", expr: "x + 1"}\n'
    result = gradpipe("forward", stdin=spec)
    assert result.returncode == 1
    assert "\x1b" not in result.stderr
    text, column = caret_column(result.stderr.splitlines()[1:3])
    assert text[column - 1] == "\\"


def test_the_readme_error_section_shows_a_source_line_and_caret() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## Exit statuses and errors") :]
    assert "5 |   n: x1*x3 + 1" in section
    assert "--no-source" in section
