"""Messages people can act on: YAML's own errors translated, spec mistakes named, hints ranked.

Each case puts the YAML beside the place and the words its error must have, as yamllint's
tests do. The error line is read from the command line, run in process.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from click.testing import CliRunner

from gradpipe.cli import main


def run(*args: str, stdin: str = "") -> tuple[int, str]:
    """Exit status and standard error of the command line, in process."""
    result = CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)
    return result.exit_code, result.stderr


def error_line(spec: str, *args: str, command: str = "validate") -> tuple[int, str]:
    """Exit status and the first line of standard error for a spec on standard input."""
    status, stderr = run(command, "--no-source", *args, stdin=spec)
    return status, stderr.splitlines()[0] if stderr else ""


def place(line: str) -> tuple[int, int]:
    """LINE and COLUMN of a ``<stdin>:LINE:COL: error: ...`` line."""
    _, line_number, column, _ = line.split(":", 3)
    return int(line_number), int(column)


# --- YAML's own messages ---------------------------------------------------------------

TAB_CASES = [
    ("values:\n\tx1: 2.0\nnodes:\n  y: x1*2\n", (2, 1)),
    ("values:\n  x1: 2.0\n\tx2: 1.0\nnodes:\n  y: x1*2\n", (3, 1)),
    ("values:\n  x1: 2.0\nnodes:\n  \ty: x1*2\n", (4, 3)),
]


@pytest.mark.parametrize(("spec", "where"), TAB_CASES)
def test_a_tab_in_the_indentation_is_named_with_use_spaces(
    spec: str, where: tuple[int, int]
) -> None:
    status, line = error_line(spec)
    assert status == 1
    assert place(line) == where
    assert "tab" in line
    assert "spaces" in line
    assert "cannot start any token" not in line


MISSING_COLON = [
    # The mistake, then the line and column where the ':' goes, then the fix to suggest.
    ("values:\n  x1 2.0\n  x2: 1.0\nnodes:\n  y: x1*x2\n", (2, 5), "x1: 2.0"),
    ("values:\n  x1: 2.0\n  x2 1.0\nnodes:\n  y: x1*x2\n", (3, 5), "x2: 1.0"),
    ("values:\n  x1: 2.0\nnodes:\n  y x1*2\n  z: x1\n", (4, 4), "y: x1*2"),
    ("values:\n  x1: 2.0\nnodes:\n  z: x1\n  y x1*2\n", (5, 4), "y: x1*2"),
]


@pytest.mark.parametrize(("spec", "where", "fix"), MISSING_COLON)
def test_a_missing_colon_is_pointed_at_on_its_own_line(
    spec: str, where: tuple[int, int], fix: str
) -> None:
    status, line = error_line(spec)
    assert status == 1
    assert place(line) == where, line
    assert "':'" in line
    assert fix in line


def test_a_missing_colon_on_the_only_entry_is_suggested() -> None:
    status, line = error_line("values:\n  x1: 2.0\nnodes:\n  y x1*2\n")
    assert status == 1
    assert place(line)[0] == 4
    assert "':'" in line and "y: x1*2" in line


INDENTATION = [
    ("values:\n  x1: 2.0\n   x2: 1.0\nnodes:\n  y: x1*2\n", 3),
    ("values:\n    x1: 2.0\n  x2: 1.0\nnodes:\n  y: x1*2\n", 3),
    ("values:\n  x1: 2.0\nnodes:\n  y: x1*2\n    z: x1\n", 5),
]


@pytest.mark.parametrize(("spec", "line_number"), INDENTATION)
def test_bad_indentation_gets_a_hint(spec: str, line_number: int) -> None:
    status, line = error_line(spec)
    assert status == 1
    assert place(line)[0] == line_number, line
    assert "indent" in line


LONG = "n" * 1100


@pytest.mark.parametrize(
    "spec",
    [
        f"values:\n  x1: 2.0\nnodes:\n  {LONG}: x1*2\n",  # the first key of its mapping
        f"values:\n  x1: 2.0\nnodes:\n  y: x1*2\n  {LONG}: x1*3\n",
    ],
)
def test_a_key_longer_than_yaml_allows_is_named_as_such(spec: str) -> None:
    """PyYAML gives up mid-key; that is no indentation or colon mistake."""
    status, line = error_line(spec)
    assert status == 1
    assert place(line) == (spec.count("\n"), 3)
    assert f"the key '{'n' * 39}…' is 1100 characters long: YAML allows at most 1024" in line
    assert "indent" not in line
    assert len(line) < 200


# --- spec mistakes ---------------------------------------------------------------------


def test_a_formula_under_values_asks_about_nodes() -> None:
    status, line = error_line("values:\n  x1: 2.0\n  y: x1*2\nnodes:\n  z: x1*3\n")
    assert status == 1
    assert place(line) == (3, 6)
    assert "did you mean to put it under nodes?" in line


CUT_FORMULAS = [
    ("values: {a: 1, b: 2}\nnodes: {y: sum(a, b)}\n", (2, 19), "invalid name 'b)'", "'y'"),
    ("values: {a: 1, b: 2}\nnodes: {y: sum(a, b, a)}\n", (2, 20), "node 'b'", "'y'"),
    ("values: {a: 1}\nnodes: {y: exp(a), z: sum(a, a)}\n", (2, 30), "'a)'", "'z'"),
    ("values: {a: 1}\nnodes:\n  y: {expr: sum(a, a), label: s}\n", (3, 20), "'a)'", "formula"),
]


@pytest.mark.parametrize(("spec", "where", "refusal", "entry"), CUT_FORMULAS)
def test_a_formula_cut_by_a_comma_inside_braces_says_so(
    spec: str, where: tuple[int, int], refusal: str, entry: str
) -> None:
    # YAML ends a {...} entry at a comma: 'b)' became a key, and its refusal alone was a riddle.
    status, line = error_line(spec)
    assert status == 1
    assert place(line) == where
    assert refusal in line
    whose = "the formula" if entry == "formula" else f"the formula of {entry}"
    assert line.endswith(
        f"(inside {{...}} a comma ends an entry, so {whose} ended at 'sum(a':"
        " put a formula with commas in quotes)"
    ), line


def test_a_quoted_formula_with_commas_and_an_unclosed_block_one_get_no_comma_hint() -> None:
    assert error_line('values: {a: 1, b: 2}\nnodes: {y: "sum(a, b)"}\n') == (0, "")
    _, line = error_line("values: {a: 1}\nnodes:\n  y: sum(a\n  b!: 3\n")
    assert "invalid name 'b!'" in line and "comma" not in line


def test_a_string_under_values_that_is_no_formula_gets_no_such_hint() -> None:
    _, line = error_line("values:\n  x1: 2.0\n  y: hello world\nnodes:\n  z: x1*3\n")
    assert "nodes?" not in line


def test_a_leaf_object_under_nodes_asks_about_values() -> None:
    status, line = error_line("values:\n  x: 1.0\nnodes:\n  w: {value: 2.0}\n  y: x*w\n")
    assert status == 1
    assert place(line)[0] == 4
    assert "did you mean to put it under values?" in line


@pytest.mark.parametrize("command", ["backward", "check", "validate"])
def test_a_number_under_nodes_is_a_constant_with_a_warning(command: str) -> None:
    spec = "values:\n  x: 1.0\nnodes:\n  w: 2.0\n  y: x*w\n"
    status, stderr = run(command, "--no-source", stdin=spec)
    assert status == 0
    warning = stderr.splitlines()[0]
    assert warning.startswith("<stdin>:4:6: warning: ")
    assert "'w'" in warning
    assert "did you mean to put it under values?" in warning


def test_a_number_under_nodes_has_no_warning_where_gradients_do_not_matter() -> None:
    spec = "values:\n  x: 1.0\nnodes:\n  w: 2.0\n  y: x*w\n"
    assert run("forward", stdin=spec) == (0, "")


def test_a_forgotten_nodes_says_which_values_look_like_formulas() -> None:
    status, line = error_line("values:\n  x1: 2.0\n  y: x1*2\n  z: exp(y)\n  k: hello\n")
    assert status == 1
    assert "nodes" in line
    assert "'y'" in line and "'z'" in line
    assert "'k'" not in line
    assert place(line)[0] == 3


# --- JSON that only YAML reads ---------------------------------------------------------

TRAILING_COMMAS = [
    '{"values": {"x": 1,}, "nodes": {"y": "x*2"}}\n',
    '{"values": {"x": 1}, "nodes": {"y": "x*2"},}\n',
    '{"nodes": [{"id": "x", "op": "value", "value": 1},]}\n',
]


@pytest.mark.parametrize("text", TRAILING_COMMAS)
def test_json_with_a_trailing_comma_is_refused_naming_it(text: str) -> None:
    status, line = error_line(text)
    assert status == 1
    assert "invalid JSON" in line
    assert "trailing comma" in line
    column = place(line)[1]
    assert text[column - 1] == ","


def test_a_json_file_that_is_flow_yaml_is_read_with_a_warning(tmp_path: Path) -> None:
    path = tmp_path / "spec.json"
    path.write_text("{values: {x: 1}, nodes: {y: x*2}}\n")
    status, stderr = run("forward", str(path))
    assert status == 0
    assert f"{path}:1:2: warning: not valid JSON" in stderr
    assert "read as YAML" in stderr


def test_flow_yaml_on_standard_input_has_no_warning() -> None:
    assert run("forward", stdin="{values: {x: 1}, nodes: {y: x*2}}\n")[1] == ""


# --- did you mean ----------------------------------------------------------------------


def test_equally_close_names_are_both_listed_in_source_order() -> None:
    _, line = error_line("values:\n  w1: 1.0\n  w2: 2.0\nnodes:\n  y: wl*2\n")
    assert line.endswith("unknown name 'wl' in node 'y' (did you mean 'w1' or 'w2'?)")


def test_a_name_of_the_same_length_wins_a_tie() -> None:
    _, line = error_line("values:\n  x12: 1.0\n  x3: 2.0\nnodes:\n  y: x1*2\n")
    assert line.endswith("(did you mean 'x3'?)"), line


def test_a_shared_prefix_wins_a_tie() -> None:
    _, line = error_line("values:\n  bx: 1.0\n  ab: 2.0\nnodes:\n  y: ax*2\n")
    assert line.endswith("(did you mean 'ab'?)"), line


def test_set_of_an_unknown_leaf_lists_the_tied_names() -> None:
    status, line = error_line(
        "values:\n  x1: 1.0\n  x2: 2.0\nnodes:\n  y: x1*x2\n", "--set", "x=3", command="forward"
    )
    assert status == 1
    assert line.endswith("(did you mean 'x1' or 'x2'?)"), line


def test_an_unknown_field_keeps_its_single_hint() -> None:
    _, line = error_line("values:\n  x: 1\nnodes:\n  y: x*2\nouput: y\n")
    assert line.endswith("unknown field 'ouput' (did you mean 'output'?)")
