"""Each command and option of the command line, in process: exit status, stdout, stderr apart."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import click
import pytest
from click.testing import Result
from conftest import invoke

from gradpipe import __version__
from gradpipe.cli import main
from gradpipe.documents import load_document
from gradpipe.documents.graph import dump_document
from gradpipe.documents.schemas import json_schema

ROOT = Path(__file__).resolve().parent.parent
INVALID_CASES = sorted(
    p for p in (ROOT / "tests" / "cases" / "invalid").glob("*") if p.suffix in (".yaml", ".json")
)
NEURON = """\
name: neuron
values:
  x1: 2.0
  x2: 0.0
  w1: -3.0
  w2: 1.0
  b: 6.8813735870195432
nodes:
  n: x1*w1 + x2*w2 + b
  o: {op: tanh, args: [n]}
"""
SQUARE = "values:\n  x: 3\nnodes:\n  y: x * x\n"
RELU_AT_ZERO = "values:\n  x: 0\nnodes:\n  y: relu(x)\n"
LOG_OF_ZERO = "values:\n  x: 0\nnodes:\n  y: log(x)\n"
SQRT_AT_ZERO = "values:\n  x: 0.0\nnodes:\n  y: x ** 0.5\n"


def document(result: Result) -> dict[str, Any]:
    """The graph document a command wrote to standard output."""
    parsed: dict[str, Any] = json.loads(result.stdout)
    return parsed


def nodes(doc: dict[str, Any]) -> dict[str, dict[str, Any]]:
    """A document's nodes by id."""
    return {node["id"]: node for node in doc["nodes"]}


@pytest.fixture
def neuron(tmp_path: Path) -> Path:
    path = tmp_path / "neuron.yaml"
    path.write_text(NEURON)
    return path


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


# --- forward ---------------------------------------------------------------------------


def test_forward_writes_the_document_of_the_library(neuron: Path) -> None:
    result = invoke("forward", str(neuron))
    assert result.exit_code == 0
    assert result.stderr == ""
    expected = dump_document(load_document(neuron.read_bytes(), str(neuron)).to_document())
    assert result.stdout == expected


def test_forward_leaves_every_grad_null(neuron: Path) -> None:
    doc = document(invoke("forward", str(neuron)))
    assert doc["name"] == "neuron"
    assert doc["output"] == "o"
    assert all(node["grad"] is None for node in doc["nodes"])
    assert nodes(doc)["o"]["value"] == pytest.approx(0.7071067811865476)


def test_forward_of_a_document_with_gradients_drops_them(neuron: Path) -> None:
    with_grads = invoke("backward", str(neuron)).stdout
    doc = document(invoke("forward", stdin=with_grads))
    assert all(node["grad"] is None for node in doc["nodes"])


def test_forward_reads_standard_input_when_no_input_is_given() -> None:
    result = invoke("forward", stdin=SQUARE)
    assert result.exit_code == 0
    doc = document(result)
    assert doc["name"] == "stdin"
    assert nodes(doc)["y"]["value"] == 9.0


def test_dash_is_standard_input() -> None:
    assert invoke("forward", "-", stdin=SQUARE).stdout == invoke("forward", stdin=SQUARE).stdout


def test_set_overrides_a_leaf(neuron: Path) -> None:
    doc = document(invoke("forward", str(neuron), "--set", "x2=1.5", "--set", "w2=2"))
    assert nodes(doc)["x2"]["value"] == 1.5
    assert nodes(doc)["w2"]["value"] == 2.0


def test_the_last_set_of_a_name_wins(neuron: Path) -> None:
    doc = document(invoke("forward", str(neuron), "--set", "x1=1", "--set", "x1=5"))
    assert nodes(doc)["x1"]["value"] == 5.0


@pytest.mark.parametrize(
    ("assignment", "value"),
    [("x=1e-3", 1e-3), ("x=-2", -2.0), ("x=+.5", 0.5), ("x=7.", 7.0), ("x=0x10", 16.0)],
)
def test_set_takes_yaml_and_json_numbers(assignment: str, value: float) -> None:
    doc = document(invoke("forward", "--set", assignment, stdin=SQUARE))
    assert nodes(doc)["x"]["value"] == value


@pytest.mark.parametrize(
    ("number", "sign"), [("-0", 1.0), ("+0", 1.0), ("-0.0", -1.0), ("-0e3", -1.0)]
)
def test_set_gives_the_value_a_spec_gives(number: str, sign: float) -> None:
    """The integer -0 is 0 in a spec (YAML and JSON have no negative integer zero)."""
    spec = f"values:\n  x: {number}\nnodes:\n  y: x * 2\n"
    written = invoke("forward", stdin=spec).stdout
    assert math.copysign(1.0, nodes(json.loads(written))["x"]["value"]) == sign
    assert invoke("forward", "--set", f"x={number}", stdin=spec).stdout == written  # -0.0 == 0.0


@pytest.mark.parametrize(
    ("assignment", "problem"),
    [
        ("x", "expected NAME=NUMBER, got 'x'"),
        ("x=", "'' is not a number"),
        ("x=abc", "'abc' is not a number"),
        ("x=nan", "'nan' is not a number"),
        ("x=.inf", "'.inf' is not a number"),
        ("x=true", "'true' is not a number"),
        ("x=1_000", "'1_000' is not a number"),
        ("x=1e999", "'1e999' is out of range for a float"),
        ("1x=3", "'1x' is not a leaf name"),
        ("exp=3", "'exp' is not a leaf name"),
    ],
)
def test_a_malformed_set_is_wrong_usage(assignment: str, problem: str) -> None:
    result = invoke("forward", "--set", assignment, stdin=SQUARE)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"Error: Invalid value for '--set': {problem}" in result.stderr


def test_set_of_an_unknown_leaf_is_bad_input(neuron: Path) -> None:
    result = invoke("forward", str(neuron), "--set", "x9=1")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{neuron}")
    assert "error: " in result.stderr
    assert "x9" in result.stderr


# --- backward --------------------------------------------------------------------------


def test_backward_writes_micrograds_gradients(neuron: Path) -> None:
    result = invoke("backward", str(neuron))
    assert result.exit_code == 0
    assert result.stderr == ""
    grads = {node_id: node["grad"] for node_id, node in nodes(document(result)).items()}
    assert grads["x1"] == pytest.approx(-1.5)
    assert grads["w1"] == pytest.approx(1.0)
    assert grads["x2"] == pytest.approx(0.5)
    assert grads["w2"] == pytest.approx(0.0)
    assert grads["o"] == 1.0


def test_backward_of_a_forward_document_equals_backward_of_the_spec(neuron: Path) -> None:
    forwarded = invoke("forward", str(neuron)).stdout
    assert invoke("backward", stdin=forwarded).stdout == invoke("backward", str(neuron)).stdout


def test_backward_output_backpropagates_from_that_node(neuron: Path) -> None:
    doc = document(invoke("backward", str(neuron), "--output", "n"))
    assert doc["output"] == "n"
    by_id = nodes(doc)
    assert by_id["n"]["grad"] == 1.0
    assert by_id["x1"]["grad"] == pytest.approx(-3.0)
    assert by_id["o"]["grad"] == 0.0  # n does not depend on o


def test_backward_output_of_an_unknown_node_says_which_exist(neuron: Path) -> None:
    result = invoke("backward", str(neuron), "--output", "nn")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"{neuron}: error: --output: no node 'nn' in the graph (did you mean 'n'?)\n"
    )


def test_a_gradient_that_is_infinite_is_a_math_error(tmp_path: Path) -> None:
    path = write(tmp_path, "sqrt.yaml", SQRT_AT_ZERO)
    assert invoke("forward", str(path)).exit_code == 0
    result = invoke("backward", "--no-source", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == (
        f"{path}:4:3: error: gradient of node 'x' (value) is infinite at node 'y' (pow)\n"
    )


NEGATIVE_BASE = 'values: {w: 3}\nnodes:\n  y: "(-8)**w"\n'
NEGATIVE_BASE_ERROR = "error: gradient of node 'w' (value) needs ln of -8.0 at node 'y' (pow)\n"


def test_a_backward_math_error_is_placed_at_its_node_as_a_forward_one() -> None:
    result = invoke("backward", "--no-source", stdin=NEGATIVE_BASE)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "<stdin>:3:3: " + NEGATIVE_BASE_ERROR


def test_a_backward_math_error_in_a_sub_formula_is_placed_at_its_character() -> None:
    result = invoke("backward", "--no-source", stdin="values: {x: 0}\nnodes:\n  y: 1 + x**0.5\n")
    assert result.exit_code == 1
    assert result.stderr == (
        "<stdin>:3:10: error: gradient of node 'x' (value) is infinite at node 'x**0.5' (pow)\n"
    )


def test_a_backward_math_error_in_a_graph_document_is_placed_at_its_node() -> None:
    forwarded = invoke("forward", stdin=NEGATIVE_BASE).stdout
    assert forwarded.splitlines()[4].startswith(' {"id": "y",')
    result = invoke("backward", "--no-source", stdin=forwarded)
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == "<stdin>:5:2: " + NEGATIVE_BASE_ERROR


def test_render_and_check_place_backward_math_errors(tmp_path: Path) -> None:
    backwarded = invoke("backward", stdin=NEGATIVE_BASE.replace("-8", "8")).stdout
    path = write(tmp_path, "b.json", backwarded.replace("8.0", "-8.0", 1))
    assert '"value": -8.0' in path.read_text()
    for command in (["render", "-f", "dot"], ["check"]):
        result = invoke(*command, "--no-source", str(path))
        assert result.exit_code == 1
        assert result.stdout == ""
        assert result.stderr == f"{path}:5:2: " + NEGATIVE_BASE_ERROR


def test_a_value_that_is_infinite_is_a_math_error(tmp_path: Path) -> None:
    path = write(tmp_path, "log.yaml", LOG_OF_ZERO)
    result = invoke("forward", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{path}:")
    assert "log" in result.stderr


# --- render ----------------------------------------------------------------------------


@pytest.mark.parametrize("fmt", ["dot", "json", "mermaid", "svg"])
def test_render_writes_the_renderers_bytes(neuron: Path, fmt: str) -> None:
    from gradpipe.render import render

    result = invoke("render", str(neuron), "-f", fmt)
    assert result.exit_code == 0
    assert result.stderr == ""
    graph = load_document(neuron.read_bytes(), str(neuron))
    assert result.stdout_bytes == render(graph, fmt)


def test_render_defaults_to_svg(neuron: Path) -> None:
    assert invoke("render", str(neuron)).stdout.lstrip().startswith(("<?xml", "<svg"))


def test_render_draws_gradients_only_when_the_document_has_them(neuron: Path) -> None:
    assert "grad" not in invoke("render", str(neuron), "-f", "dot").stdout
    with_grads = invoke("backward", str(neuron)).stdout
    assert "grad" in invoke("render", "-f", "dot", stdin=with_grads).stdout


def test_render_json_is_the_document_it_drew(neuron: Path) -> None:
    backward = invoke("backward", str(neuron)).stdout
    assert invoke("render", "-f", "json", stdin=backward).stdout == backward


def test_render_of_an_unknown_format_is_wrong_usage(neuron: Path) -> None:
    result = invoke("render", str(neuron), "-f", "gif")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Invalid value for '-f' / '--format': 'gif' is not one of" in result.stderr


def test_render_layout_limit_refuses_a_graph_too_big(neuron: Path) -> None:
    result = invoke("render", str(neuron), "--layout-limit", "3")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{neuron}: error: ")
    assert "--layout-limit" in result.stderr


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (
            ["forward", "--jobs", "x"],
            "Invalid value for '-j' / '--jobs': 'x' is not a valid integer.",
        ),
        (
            ["forward", "--max-nodes", "5M"],
            "Invalid value for '--max-nodes': '5M' is not a valid integer.",
        ),
        (
            ["render", "--layout-limit", "1e4"],
            "Invalid value for '--layout-limit': '1e4' is not a valid integer.",
        ),
        (
            ["render", "--focus", "x", "--depth", "1.5"],
            "Invalid value for '--depth': '1.5' is not a valid integer.",
        ),
        (["check", "--eps", "h"], "Invalid value for '--eps': 'h' is not a valid float."),
    ],
)
def test_a_count_or_tolerance_that_is_no_number_is_named_as_one(
    args: list[str], problem: str
) -> None:
    """click calls these types an 'integer range' and 'float range': the user wrote a
    number where one was wanted, not a range."""
    result = invoke(*args, stdin=SQUARE)
    assert result.exit_code == 2
    assert result.stderr.splitlines()[-1] == f"Error: {problem}"


@pytest.mark.parametrize(
    ("typed", "hint"),
    [
        ("val", "'validate'"),
        ("ex", "'examples'"),
        ("che", "'check'"),
        ("re", "'render'"),
        ("rendr", "'render'"),  # no command starts so: click's close matches
    ],
)
def test_an_unknown_command_suggests_the_one_it_begins(typed: str, hint: str) -> None:
    result = invoke(typed)
    assert result.exit_code == 2
    assert (
        result.stderr.splitlines()[-1] == f"Error: No such command '{typed}'. Did you mean {hint}?"
    )


def test_render_layout_limit_must_be_positive(neuron: Path) -> None:
    assert invoke("render", str(neuron), "--layout-limit", "0").exit_code == 2


def test_render_set_changes_the_drawn_values(neuron: Path) -> None:
    assert "data 7.0000" in invoke("render", str(neuron), "-f", "dot", "--set", "x1=7").stdout


# --- check -----------------------------------------------------------------------------


def test_check_prints_a_table_and_passes(neuron: Path) -> None:
    result = invoke("check", str(neuron))
    assert result.exit_code == 0
    assert result.stderr == ""
    lines = result.stdout.splitlines()
    assert lines[0] == f"{neuron}: gradients of 'o', eps 1e-06, rtol 0.001, atol 1e-05"
    assert lines[1].split() == ["leaf", "value", "analytic", "numeric", "difference", "result"]
    leaves = [
        n["id"] for n in document(invoke("forward", str(neuron)))["nodes"] if n["op"] == "value"
    ]
    assert sorted(leaves) == ["b", "w1", "w2", "x1", "x2"]
    assert [line.split()[0] for line in lines[2:7]] == leaves  # in the graph's order
    assert all(line.endswith("ok") for line in lines[2:7])
    assert lines[7] == "  all 5 gradients match"


def test_check_says_a_kink_is_not_differentiable_and_passes(tmp_path: Path) -> None:
    # relu'(0) is 0 by convention; the slopes are 0 on the left and 1 on the right.
    path = write(tmp_path, "relu.yaml", RELU_AT_ZERO)
    result = invoke("check", str(path))
    assert result.exit_code == 0
    assert result.stderr == ""
    row = result.stdout.splitlines()[2]
    assert row.split()[:5] == ["x", "0", "0", "-", "-"]
    assert row.endswith(
        "not differentiable here (node 'y' (relu) at its kink; slopes 0 left, 1 right)"
    )
    assert result.stdout.splitlines()[-1] == (
        "  0 of 1 gradients match, no mismatch; 1 not differentiable here"
    )


@pytest.fixture
def wrong_backprop(monkeypatch: pytest.MonkeyPatch) -> None:
    """Backprop that gives every leaf 1.5 times its gradient: a broken engine."""
    from collections.abc import Sequence

    from gradpipe.documents import graph
    from gradpipe.engine import Value, backward_over

    def broken(root: Value, nodes: Sequence[Value]) -> None:
        backward_over(root, nodes)
        for v in nodes:
            if not v._prev and v.grad:
                v.grad *= 1.5

    monkeypatch.setattr(graph, "backward_over", broken)  # how a Graph backpropagates


@pytest.mark.usefixtures("wrong_backprop")
def test_check_fails_on_a_wrong_gradient(tmp_path: Path) -> None:
    path = write(tmp_path, "square.yaml", SQUARE)  # dy/dx = 6 at 3; the broken engine says 9
    result = invoke("check", str(path))
    assert result.exit_code == 1
    assert result.stderr == f"{path}: error: gradient check failed for 1 of 1 leaves: x\n"
    assert result.stdout.splitlines()[2].split() == ["x", "3", "9", "6", "3.00e+00", "MISMATCH"]
    assert result.stdout.splitlines()[-1] == "  1 of 1 gradients differ"


@pytest.mark.usefixtures("wrong_backprop")
def test_check_tolerances_decide(tmp_path: Path) -> None:
    path = write(tmp_path, "square.yaml", SQUARE)
    assert invoke("check", str(path), "--atol", "3.1").exit_code == 0
    assert invoke("check", str(path), "--atol", "2", "--rtol", "0.2").exit_code == 0
    assert invoke("check", str(path), "--atol", "2", "--rtol", "0.1").exit_code == 1


def test_check_render_colours_each_leaf_by_its_result(tmp_path: Path) -> None:
    path = ROOT / "examples" / "relu_kink.yaml"
    dot = invoke("check", str(path), "--render", "-f", "dot")
    assert dot.exit_code == 0, dot.output
    lines = {line.split(" [")[0].strip(): line for line in dot.stdout.splitlines()}
    assert 'fillcolor="#abebc6"' in lines['"c"']  # ok: green
    assert "check ok, rel. error " in lines['"c"']
    assert 'fillcolor="#fad7a0"' in lines['"x"']  # not differentiable: orange
    assert "check not differentiable here: slopes -5.5 left, 0.5 right" in lines['"x"']
    svg = tmp_path / "kink.svg"
    assert invoke("check", str(path), "--render", "-o", str(svg)).exit_code == 0
    assert svg.read_bytes().lstrip().startswith((b"<?xml", b"<svg", b"<!--"))
    page = tmp_path / "kink.html"
    assert invoke("check", str(path), "-o", str(page)).exit_code == 0  # format from -o
    assert '"mark":{"status":"kink","colour":"#fad7a0"' in page.read_text(encoding="utf-8")


def test_check_render_format_must_agree_with_the_extension(tmp_path: Path) -> None:
    path = write(tmp_path, "square.yaml", SQUARE)
    result = invoke("check", str(path), "-f", "dot", "-o", str(tmp_path / "x.svg"))
    assert result.exit_code == 2
    assert not (tmp_path / "x.svg").exists()
    table = tmp_path / "x.txt"
    assert invoke("check", str(path), "-o", str(table)).exit_code == 0
    assert table.read_text(encoding="utf-8").startswith(f"{path}: gradients of 'y'")


@pytest.mark.usefixtures("wrong_backprop")
def test_check_render_shows_a_mismatch_in_red_and_fails(tmp_path: Path) -> None:
    path = write(tmp_path, "square.yaml", SQUARE)
    out = tmp_path / "square.dot"
    result = invoke("check", str(path), "--render", "-o", str(out))
    assert result.exit_code == 1
    assert result.stderr == f"{path}: error: gradient check failed for 1 of 1 leaves: x\n"
    x = next(line for line in out.read_text().splitlines() if line.startswith('\t"x" ['))
    assert 'fillcolor="#f5b7b1"' in x
    assert "check MISMATCH: numeric 6, rel. error 3.3e-01" in x


def test_check_eps_is_the_step(tmp_path: Path) -> None:
    path = write(tmp_path, "square.yaml", SQUARE)
    table = invoke("check", str(path), "--eps", "0.5").stdout
    assert "eps 0.5," in table
    assert table.splitlines()[2].split()[:4] == ["x", "3", "6", "6"]


def test_check_steps_clear_of_a_domain_edge(tmp_path: Path) -> None:
    # log at 1e-7: x - 1e-6 < 0, so the steps shrink until they stay in the domain.
    path = write(tmp_path, "log.yaml", "values:\n  x: 1e-7\nnodes:\n  y: log(x)\n")
    result = invoke("check", str(path))
    assert result.exit_code == 0
    row = result.stdout.splitlines()[2]
    assert row.split()[:3] == ["x", "1e-07", "10000000"]
    assert row.endswith("ok")
    assert result.stderr == ""


def test_check_says_when_a_difference_is_one_sided(tmp_path: Path) -> None:
    path = write(tmp_path, "pow.yaml", "values:\n  x: 1\nnodes:\n  y: (x - 1) ** 2.5 * 4\n")
    result = invoke("check", str(path))
    assert result.exit_code == 0
    assert "ok (one-sided, forward: negative base" in result.stdout.splitlines()[2]


def test_check_uses_set(tmp_path: Path) -> None:
    path = write(tmp_path, "relu.yaml", RELU_AT_ZERO)
    assert invoke("check", str(path), "--set", "x=2").exit_code == 0


@pytest.mark.parametrize(
    "option", [("--eps", "0"), ("--eps", "-1"), ("--rtol", "-1"), ("--atol", "x")]
)
def test_check_rejects_bad_tolerances(neuron: Path, option: tuple[str, str]) -> None:
    result = invoke("check", str(neuron), *option)
    assert result.exit_code == 2
    assert result.stdout == ""


@pytest.mark.parametrize(
    ("option", "text"),
    [("--rtol", "nan"), ("--atol", "nan"), ("--eps", "nan"), ("--eps", "inf"), ("--atol", "1e999")],
)
def test_check_rejects_tolerances_that_are_not_finite(neuron: Path, option: str, text: str) -> None:
    """nan compares as inside any range: without this every leaf would read MISMATCH."""
    result = invoke("check", str(neuron), option, text)
    assert result.exit_code == 2
    assert result.stdout == ""
    assert f"Invalid value for '{option}': '{text}' is not a finite number." in result.stderr


def test_check_of_a_bad_input_prints_no_table(tmp_path: Path) -> None:
    path = write(tmp_path, "log.yaml", LOG_OF_ZERO)
    result = invoke("check", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""


# --- validate, schema, version, help ---------------------------------------------------


def test_validate_is_silent_on_success(neuron: Path) -> None:
    result = invoke("validate", str(neuron))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")


def test_validate_does_not_compute(tmp_path: Path) -> None:
    path = write(tmp_path, "log.yaml", LOG_OF_ZERO)
    assert invoke("validate", str(path)).exit_code == 0


def test_validate_reports_a_located_error(tmp_path: Path) -> None:
    path = write(tmp_path, "bad.yaml", "values:\n  x: 1\nnodes:\n  y: x +\n")
    result = invoke("validate", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{path}:4:")
    assert ": error: " in result.stderr


@pytest.mark.parametrize("kind", ["spec", "graph"])
def test_schema_prints_the_models_schema(kind: str) -> None:
    result = invoke("schema", kind)
    assert result.exit_code == 0
    assert result.stdout == json_schema(kind)


def test_schema_defaults_to_spec() -> None:
    assert invoke("schema").stdout == json_schema("spec")


def test_schema_of_an_unknown_kind_is_wrong_usage() -> None:
    result = invoke("schema", "table")
    assert result.exit_code == 2
    assert result.stdout == ""


def test_version() -> None:
    result = invoke("--version")
    assert result.exit_code == 0
    assert result.stdout.splitlines()[0] == f"gradpipe, version {__version__}"
    assert "Graphviz: " in result.stdout


def test_every_command_has_help_with_an_example() -> None:
    assert isinstance(main, click.Group)
    for name in main.commands:
        result = invoke(name, "--help")
        assert result.exit_code == 0, name
        assert f"Usage: gradpipe {name}" in result.stdout
        assert "Example:" in result.stdout, name
        assert f"gradpipe {name}" in result.stdout.split("Example:")[1], name


def test_help_shows_choices_as_they_are_written() -> None:
    assert "--rankdir [LR|TB]" in invoke("render", "--help").stdout


def test_a_bad_rankdir_is_told_the_choices_as_they_are_written(neuron: Path) -> None:
    result = invoke("render", "--rankdir", "XX", str(neuron))
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == (
        "Error: Invalid value for '--rankdir': 'XX' is not one of 'LR', 'TB'."
    )
    # Any case is still taken, and means what upper case means.
    for written in ("tb", "Tb", "TB"):
        result = invoke("render", "-f", "dot", "--rankdir", written, str(neuron))
        assert result.exit_code == 0 and "\tgraph [rankdir=TB " in result.stdout


def test_the_commands_are_those_of_the_spec() -> None:
    assert set(main.commands) == {
        "forward",
        "backward",
        "render",
        "check",
        "validate",
        "schema",
        "sweep",
        "init",
        "examples",
    }


def test_an_unknown_option_is_wrong_usage(neuron: Path) -> None:
    result = invoke("forward", str(neuron), "--frobnicate")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert "Error: No such option" in result.stderr
    assert "--frobnicate" in result.stderr


def test_an_unknown_command_is_wrong_usage() -> None:
    assert invoke("sideways").exit_code == 2


# --- inputs and errors -----------------------------------------------------------------


def test_a_missing_file_is_bad_input(tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = invoke("forward", str(missing))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == f"{missing}: error: cannot read: no such file or directory\n"


def test_an_error_in_standard_input_is_placed_in_stdin() -> None:
    result = invoke("forward", stdin="values:\n  x: 1\nnodes:\n  y: q * x\n")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith("<stdin>:4:")


def test_an_unknown_field_is_bad_input_with_its_place(tmp_path: Path) -> None:
    path = write(tmp_path, "typo.yaml", "values:\n  x: 1\nnodes:\n  y: x * x\nouput: y\n")
    result = invoke("backward", "--no-source", str(path))
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"{path}:5:1: error: ")
    assert result.stderr.count("\n") == 1


def test_no_traceback_for_binary_garbage(tmp_path: Path) -> None:
    path = tmp_path / "garbage.json"
    path.write_bytes(b"\xff\xfe\x00{[")
    result = invoke("forward", str(path))
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{path}")
    assert "Traceback" not in result.stderr


# --- -o FILE ---------------------------------------------------------------------------


def test_o_writes_the_file_and_nothing_to_stdout(neuron: Path, tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    result = invoke("backward", str(neuron), "-o", str(target))
    assert (result.exit_code, result.stdout, result.stderr) == (0, "", "")
    assert target.read_text() == invoke("backward", str(neuron)).stdout


def test_o_dash_is_standard_output(neuron: Path) -> None:
    assert invoke("forward", str(neuron), "-o", "-").stdout == invoke("forward", str(neuron)).stdout


def test_o_leaves_the_old_file_when_the_run_fails(tmp_path: Path) -> None:
    bad = write(tmp_path, "log.yaml", LOG_OF_ZERO)
    target = write(tmp_path, "out.json", "old\n")
    result = invoke("forward", str(bad), "-o", str(target))
    assert result.exit_code == 1
    assert target.read_text() == "old\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["log.yaml", "out.json"]


def test_o_into_a_missing_directory_is_bad_input(neuron: Path, tmp_path: Path) -> None:
    target = tmp_path / "no" / "out.json"
    result = invoke("forward", str(neuron), "-o", str(target))
    assert result.exit_code == 1
    assert result.stderr == f"{target}: error: cannot write: no such file or directory\n"


def test_o_with_several_inputs_is_wrong_usage(neuron: Path, tmp_path: Path) -> None:
    result = invoke("forward", str(neuron), str(neuron), "-o", str(tmp_path / "x.json"))
    assert result.exit_code == 2
    assert "Error: -o FILE takes one input; use --out-dir DIR for several" in result.stderr
    assert not (tmp_path / "x.json").exists()


def test_o_and_out_dir_together_are_wrong_usage(neuron: Path, tmp_path: Path) -> None:
    result = invoke("forward", str(neuron), "-o", "x.json", "--out-dir", str(tmp_path))
    assert result.exit_code == 2
    assert "Error: use -o FILE or --out-dir DIR, not both" in result.stderr


# --- golden cases ----------------------------------------------------------------------


@pytest.mark.parametrize("case", INVALID_CASES, ids=lambda p: p.name)
def test_invalid_case_through_the_cli(case: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Each refused input: status 1, nothing on stdout, exactly its expected line."""
    monkeypatch.chdir(ROOT)
    result = invoke("backward", "--no-source", case.relative_to(ROOT).as_posix())
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr == case.with_suffix(".expected").read_text(encoding="utf-8")
