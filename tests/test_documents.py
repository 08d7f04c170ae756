"""Loading specs and graph documents: SPEC sections 1 and 3, rule by rule."""

from __future__ import annotations

import json
from typing import Any

import pytest

from gradpipe.documents import build_graph, load_document, read_plan
from gradpipe.documents.build import locate_math_error
from gradpipe.documents.graph import Graph, dump_document
from gradpipe.documents.plan import LABEL_LIMIT
from gradpipe.engine import CONST, LEAF, Value
from gradpipe.errors import GradpipeError, MathError


def load(text: str, path: str = "test.yaml", **overrides: float) -> Graph:
    return load_document(text.encode(), path, overrides)


def error_of(text: str, path: str = "test.yaml") -> str:
    with pytest.raises(GradpipeError) as caught:
        load(text, path)
    return caught.value.format()


def nodes_of(graph: Graph) -> dict[str, dict[str, Any]]:
    return {node["id"]: node for node in graph.to_document()["nodes"]}


def test_each_sub_formula_is_a_node_labelled_with_its_text() -> None:
    graph = load("values: {x1: 2, w1: -3, x2: 0, w2: 1, b: 6.5}\nnodes: {n: x1*w1 + x2*w2 + b}")
    computed = [(n["label"], n["op"]) for n in graph.to_document()["nodes"] if n["args"]]
    assert computed == [
        ("x1*w1", "mul"),
        ("x2*w2", "mul"),
        ("x1*w1 + x2*w2", "add"),
        ("n", "add"),
    ]
    assert graph.node("n").data == 0.5


@pytest.mark.parametrize(
    "formula",
    [
        "x * -0",
        "-0 * x",
        "x * -(0)",
        "x * --0",
        "x * -0x0",
        "x * -0o0",
        "x * -0.0",
        "x * -0e0",
        "x * -(-0.0)",
        "x * ---0.",
        "-x * 0",
        "x + -0",
    ],
)
def test_a_literal_s_sign_is_python_s(formula: str) -> None:
    # Python's (and torch's) -0 is the integer 0: its product with a positive x is 0.0
    y = load(f"values: {{x: 3.0}}\nnodes: {{y: '{formula}'}}").node("y").data
    assert y.hex() == float(eval(formula, {"x": 3.0})).hex()


def test_long_labels_are_shortened_with_an_ellipsis() -> None:
    graph = load(
        "values: {alpha: 1, beta: 2}\nnodes: {y: (alpha + beta + alpha + beta + alpha) * 2}"
    )
    (label,) = [n["label"] for n in graph.to_document()["nodes"] if n["op"] == "add"][-1:]
    assert len(label) == LABEL_LIMIT
    assert label == "alpha + beta + alpha + …"


def test_minus_on_a_literal_folds_into_one_constant() -> None:
    graph = load("values: {x: -2}\nnodes: {y: x ** -1, z: --3 * x}")
    nodes = nodes_of(graph)
    constants = [n for n in nodes.values() if n["op"] == CONST]
    assert sorted((c["label"], c["value"]) for c in constants) == [("--3", 3.0), ("-1", -1.0)]
    assert nodes["y"]["value"] == -0.5
    assert not [n for n in nodes.values() if n["op"] == "neg"]


def test_minus_on_a_name_is_a_neg_node() -> None:
    graph = load("values: {x: 4}\nnodes: {y: -x ** 0.5}")
    assert graph.node("y").operation == "neg"
    assert graph.node("y").data == -2.0


def test_numbers_alone_are_named_constants() -> None:
    graph = load('values: {x: 1}\nnodes: {a: 3, b: "-2.5", c: "(4)", y: a * b * c * x}')
    nodes = nodes_of(graph)
    assert [(nodes[k]["op"], nodes[k]["value"]) for k in "abc"] == [
        (CONST, 3.0),
        (CONST, -2.5),
        (CONST, 4.0),
    ]
    graph.backward()
    assert graph.node("a").is_constant and graph.node("a").grad == 0.0
    assert graph.node("x").grad == -30.0


def test_constant_subgraphs_take_no_gradient() -> None:
    graph = load("values: {x: -8}\nnodes: {y: x ** (2 ** 1)}")
    graph.backward()
    assert graph.node("x").grad == -16.0
    assert all(v.is_constant for node_id, v in graph if node_id not in ("x", "y"))
    assert all(v["grad"] is None for v in graph.to_document()["nodes"] if v["id"] not in "xy")


@pytest.mark.parametrize("formula", ["x", "(x)", "+x", "((+x))"])
def test_a_formula_that_is_only_a_name_is_refused(formula: str) -> None:
    message = error_of(f'values: {{x: 1}}\nnodes: {{y: "{formula}"}}')
    assert "node 'y' must compute something" in message


def test_python_keywords_and_yaml_11_booleans_are_names() -> None:
    graph = load("values: {lambda: 2, on: 3, no: 4}\nnodes: {if: lambda * on - no}")
    assert graph.node("if").data == 2.0
    assert graph.node("on").operation == LEAF


def test_anonymous_ids_never_take_a_users_name() -> None:
    graph = load("values: {_1: 1, _3: 2}\nnodes: {y: _1 * _3 + _1}")
    assert graph.ids == ["_1", "_3", "_2", "y"]


def test_ids_are_stable_from_run_to_run() -> None:
    text = "values: {a: 1, b: 2}\nnodes: {c: a*b + b*a, d: exp(c) - c * 2}"
    assert dump_document(load(text).to_document()) == dump_document(load(text).to_document())


def test_order_is_topological_output_first_then_declaration_order() -> None:
    graph = load("values: {a: 1, b: 2, unused: 3}\nnodes: {side: b * 2, out: a + 1}\noutput: out")
    assert graph.ids[:3] == ["a", "_1", "out"]
    assert graph.ids[3:] == ["b", "unused", "_2", "side"]


def test_output_defaults_to_the_last_node() -> None:
    assert load("values: {a: 1}\nnodes: {b: a * 2, c: a * 3}").output == "c"


@pytest.mark.parametrize(
    ("path", "name"),
    [("examples/neuron.yaml", "neuron"), ("<stdin>", "stdin"), ("dir/x.spec.json", "x.spec")],
)
def test_name_defaults_to_the_files_stem(path: str, name: str) -> None:
    assert load("nodes: {y: 2 * 3}", path).name == name
    assert load("name: given\nnodes: {y: 2 * 3}", path).name == "given"


def test_overrides_set_leaves_and_named_constants() -> None:
    text = "values: {x: 1}\nnodes: {k: 2, y: x * k}"
    assert load(text, x=5.0).node("y").data == 10.0
    assert load(text, k=-1.0).node("y").data == -1.0
    assert load(text).node("y").data == 2.0


def test_overrides_leave_the_document_unchanged() -> None:
    plan = read_plan(b"values: {x: 1}\nnodes: {y: x * 2}", "t.yaml")
    assert build_graph(plan, {"x": 4.0}).node("y").data == 8.0
    assert build_graph(plan).node("y").data == 2.0


def test_override_of_an_unknown_name_is_an_error_with_a_hint() -> None:
    with pytest.raises(GradpipeError) as caught:
        load("values: {weight: 1}\nnodes: {y: weight * 2}", "t.yaml", wieght=2.0)
    assert caught.value.format() == (
        "t.yaml: error: --set wieght: unknown value (did you mean 'weight'?)"
    )


def test_override_of_a_computed_node_is_an_error() -> None:
    with pytest.raises(GradpipeError, match="'y' is computed \\(mul\\), not a value"):
        load("values: {x: 1}\nnodes: {y: x * 2}", "t.yaml", y=2.0)


def test_reading_does_not_compute() -> None:
    text = b"values: {x: 0}\nnodes: {y: log(x)}"
    plan = read_plan(text, "t.yaml")
    assert plan.kind == "spec"
    with pytest.raises(MathError) as caught:
        build_graph(plan)
    assert caught.value.format() == "t.yaml:2:9: error: log of 0.0 at node 'y' (log)"


def test_math_errors_point_at_the_sub_formula() -> None:
    text = "values:\n  x: 0\nnodes:\n  y: 2 + 1 / x\n"
    with pytest.raises(MathError) as caught:
        load(text, "t.yaml")
    assert caught.value.format() == "t.yaml:4:10: error: division by zero at node '1 / x' (div)"


def backward_error(raw: bytes, path: str) -> str:
    """The error of backpropagating through the document ``raw``: the graph locates it."""
    graph = load_document(raw, path)
    with pytest.raises(MathError) as caught:
        graph.backward()
    return caught.value.format()


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            'values: {w: 3}\nnodes:\n  y: "(-8)**w"\n',
            "t.yaml:3:3: error: gradient of node 'w' (value) needs ln of -8.0 at node 'y' (pow)",
        ),
        (
            "values: {x: 0}\nnodes:\n  y: 1 + x**0.5\n",
            "t.yaml:3:10: error: gradient of node 'x' (value) is infinite at node 'x**0.5' (pow)",
        ),
    ],
)
def test_backward_math_errors_point_at_the_node_as_forward_ones_do(
    text: str, expected: str
) -> None:
    assert backward_error(text.encode(), "t.yaml") == expected


def test_backward_math_errors_point_at_the_node_of_a_graph_document() -> None:
    raw = b"""{"nodes": [
  {"id": "x", "op": "value", "value": 0},
  {"id": "half", "op": "const", "value": 0.5},
  {"id": "r", "op": "pow", "args": ["x", "half"]},
  {"id": "y", "op": "add", "args": ["r", "half"]}
]}
"""
    assert backward_error(raw, "g.json") == (
        "g.json:4:3: error: gradient of node 'x' (value) is infinite at node 'r' (pow)"
    )


def test_a_math_error_of_another_graph_keeps_its_message() -> None:
    raw = b"values: {x: 1}\nnodes:\n  y: x * 2\n"
    stranger = MathError("value of node 'z' (value) is NaN", Value(1.0, "z"))
    located = locate_math_error(raw, "t.yaml", load_document(raw, "t.yaml"), stranger)
    assert located.format() == "t.yaml: error: value of node 'z' (value) is NaN"


@pytest.mark.parametrize(
    ("text", "column"),
    [
        ("nodes:\n  y: 2 * $\n", 10),
        ("nodes:\n  y: '2 * $'\n", 11),
        ('nodes:\n  y: "2 * $"\n', 11),
        ('nodes:\n  y: {expr: "2 * $"}\n', 18),
        ('{"nodes": {"y": "2 * $"}}', 22),
    ],
)
def test_formula_errors_point_at_the_character(text: str, column: int) -> None:
    message = error_of(text)
    line = text.count("\n", 0, text.index("$")) + 1
    assert message.startswith(f"test.yaml:{line}:{column}: error: ")


def test_formula_errors_in_block_scalars_point_at_their_line() -> None:
    message = error_of("nodes:\n  y: >\n    2 * 3\n    + $\n")
    assert message.startswith("test.yaml:4:7: error: ")


def test_cycles_are_reported_with_their_path() -> None:
    message = error_of("values: {x: 1}\nnodes:\n  a: x + c\n  b: a * 2\n  c: tanh(b)\n")
    assert message == "test.yaml:3:3: error: cycle: a -> c -> b -> a"


def test_unknown_names_get_the_closest_name() -> None:
    message = error_of("values:\n  x1: 2\n  x2: 0\nnodes:\n  n: x1 * x3\n")
    assert message == (
        "test.yaml:5:11: error: unknown name 'x3' in node 'n' (did you mean 'x1' or 'x2'?)"
    )


def test_graph_document_in_any_order_keeps_ids_and_leaf_values() -> None:
    document = {
        "output": "y",
        "nodes": [
            {"id": "y", "label": "the output", "op": "mul", "args": ["k", "x"], "value": 99},
            {"id": "k", "op": "const", "value": 3, "grad": 7},
            {"id": "x", "op": "value", "value": 2, "grad": 5},
        ],
    }
    graph = load(json.dumps(document), "g.json")
    assert graph.ids == ["k", "x", "y"]
    assert graph.output == "y"
    assert graph.node("y").data == 6.0
    assert graph.node("y").label == "the output"
    assert graph.node("k").is_constant
    assert not graph.has_gradients


def test_graph_document_round_trip_is_byte_stable() -> None:
    spec = "values: {a: 1.5, b: -2}\nnodes: {c: a * b + exp(a) - 1, d: {op: sum, args: [c, a, 2]}}"
    first = dump_document(load(spec).to_document())
    graph = load(first, "again.json")
    graph.has_gradients = False
    assert dump_document(graph.to_document()) == first


def test_gradients_in_a_graph_document_are_recomputed() -> None:
    spec = load("values: {a: 3}\nnodes: {b: a * a}")
    spec.backward()
    written = dump_document(spec.to_document())
    graph = load(written, "g.json")
    graph.backward()
    assert dump_document(graph.to_document()) == written


def test_deep_formulas_do_not_recurse() -> None:
    depth = 5000
    formula = "(" * depth + "x" + " + 1)" * depth
    graph = load(f'values: {{x: 0}}\nnodes: {{y: "{formula}"}}')
    assert graph.node("y").data == depth
    graph.backward()
    assert graph.node("x").grad == 1.0


def test_a_document_is_loaded_from_its_bytes_and_a_str_is_told_what_to_pass() -> None:
    text = "values: {x: 1}\nnodes: {y: x*2}\n"
    for raw in (text.encode(), bytearray(text.encode()), memoryview(text.encode())):
        assert load_document(raw, "a.yaml").node("y").data == 2.0  # type: ignore[arg-type]
    told = (
        "a document is read from its bytes, not from str: pass text.encode() for a"
        " document's text, or use gradpipe.load_file(path) to read a file"
    )
    for read in (load_document, read_plan):
        with pytest.raises(TypeError) as caught:
            read(text, "a.yaml")  # type: ignore[operator]
        assert str(caught.value) == told
    with pytest.raises(TypeError, match=r"^a document is read from its bytes, not from int$"):
        load_document(3, "a.yaml")  # type: ignore[arg-type]


def test_long_chains_load() -> None:
    steps = 20000
    nodes = {f"t{i}": {"op": "tanh", "args": [f"t{i - 1}" if i else "x"]} for i in range(steps)}
    graph = load(json.dumps({"values": {"x": 0.5}, "nodes": nodes}), "chain.json")
    assert len(graph) == steps + 1
    graph.backward()
    assert graph.node("x").requires_grad


@pytest.mark.slow
def test_a_graph_document_of_a_million_nodes_loads() -> None:
    count = 1_000_000
    lines = ['{"id": "x", "op": "value", "value": 0.5}']
    lines += [
        f'{{"id": "n{i}", "op": "neg", "args": ["{"n" + str(i - 1) if i else "x"}"]}}'
        for i in range(count - 1)
    ]
    raw = ('{"version": 1, "nodes": [' + ",\n".join(lines) + "]}").encode()
    graph = load_document(raw, "big.json")
    assert len(graph) == count
    assert graph.output == f"n{count - 2}"
    graph.backward()
    assert graph.node("x").grad == (-1.0) ** (count - 1)


def test_values_built_by_hand_agree_with_a_loaded_spec() -> None:
    a, b = Value(1.5, "a"), Value(-2.0, "b")
    expected = (a * b + a.exp()).tanh()
    graph = load("values: {a: 1.5, b: -2}\nnodes: {y: tanh(a * b + exp(a))}")
    assert graph.node("y").data == expected.data


def test_long_cycles_are_shortened_in_the_message() -> None:
    nodes = {f"n{i}": {"op": "neg", "args": [f"n{(i + 1) % 30}"]} for i in range(30)}
    message = error_of(json.dumps({"nodes": nodes}), "c.json")
    assert message.startswith("c.json:1:")
    shown = "n28 -> n29 -> n0 -> n1 -> n2 -> … -> n23 -> n24 -> n25 -> n26 -> n27 -> n28"
    assert message.endswith(f"error: cycle: {shown}")


def test_overrides_must_be_finite() -> None:
    with pytest.raises(GradpipeError, match="--set x: inf is not a finite number"):
        load("values: {x: 1}\nnodes: {y: x * 2}", "t.yaml", x=float("inf"))


@pytest.mark.parametrize(
    ("number", "shown"),
    [
        (10**400, "an integer too large for a float"),
        (10**5000, "an integer too large for a float"),
        ("3", "'3'"),
        (None, "None"),
    ],
    ids=["10**400", "10**5000", "str", "None"],
)
def test_an_override_that_is_no_float_is_refused_as_such(number: object, shown: str) -> None:
    # math.isfinite raised OverflowError (10**400) or TypeError ('3') out of load_document.
    with pytest.raises(GradpipeError, match=f"^t.yaml: error: --set x: {shown} is not a finite"):
        load("values: {x: 1}\nnodes: {y: x * 2}", "t.yaml", x=number)  # type: ignore[arg-type]


def test_labels_of_a_long_formula_read_only_its_start() -> None:
    terms = [f"v{i}" for i in range(3000)]
    spec = "values: {" + ", ".join(f"{t}: 1" for t in terms) + "}\nnodes:\n  s: "
    graph = load_document((spec + " + ".join(terms) + "\n").encode(), "long.yaml")
    labels = [v.label for node_id, v in graph if node_id.startswith("_")]
    assert labels[:2] == ["v0 + v1", "v0 + v1 + v2"]
    assert all(len(label) <= LABEL_LIMIT for label in labels)
    assert labels[-1] == "v0 + v1 + v2 + v3 + v4 …"
    assert graph.node("s").data == 3000.0


# Every character of the first two planes alone, first and after a letter, and texts of
# digits: what names and numbers are tested on without their patterns (README, figure 4).
SPELLINGS = [
    *(chr(c) for c in range(0x20000) if not 0xD800 <= c <= 0xDFFF),
    *(f"a{chr(c)}" for c in range(0x3000) if not 0xD800 <= c <= 0xDFFF),
    *(f"{chr(c)}a" for c in range(0x3000) if not 0xD800 <= c <= 0xDFFF),
    *("", "_", "_1", "1a", "a b", "if", "x1", "é", "007", "00", "0", "0700", "07.5", "0x1"),
    *("+007", "0\u0663", "\u0660\u0663", "0 7", "7", "70", "000", "00007"),
]


def test_a_name_is_what_the_schemas_pattern_says() -> None:
    """``is_name`` tests at C speed what NAME_PATTERN, the schemas' pattern, says."""
    import re

    from gradpipe.documents.names import NAME_PATTERN, is_name

    pattern = re.compile(NAME_PATTERN)
    assert [t for t in SPELLINGS if is_name(t) != bool(pattern.match(t))] == []


def test_leading_zeros_are_what_python_refuses() -> None:
    """A formula's integer with leading zeros (``007``), as the pattern 0+[1-9][0-9]* found."""
    import re

    from gradpipe.documents.numbers import is_python_number

    refused = re.compile(r"0+[1-9][0-9]*")
    expected = [t[:1] not in ("+", "-") and not refused.fullmatch(t) for t in SPELLINGS]
    assert list(map(is_python_number, SPELLINGS)) == expected


NUMBERS = [
    *SPELLINGS,
    *("1", "-1", "+1", "-0", "1.", ".5", "-.5", "+.5", ".", "-", "+", "+-1", "--1", "1..2"),
    *("1.2.3", "1e5", "1E-5", "-1.5e+3", ".5e1", "1.e2", "0x1F", "0o17", "0b1", "1_000"),
    *("12345678901234567890", "9" * 400, "1" + "0" * 400 + ".5", "inf", "nan", " 1", "1 "),
]


def test_numbers_read_as_the_grammar_says() -> None:
    """Plain decimals are told apart by string methods, without the pattern (README,
    figure 4): every text reads as the grammar's pattern reads it."""
    import math
    import re

    from gradpipe.documents.numbers import _NUMBER, read_float, read_number

    pattern = re.compile(_NUMBER)

    def expected(text: str, as_float: bool) -> object:
        match = pattern.fullmatch(text)
        if match is None:
            return None
        kind = match.lastindex
        if kind in (1, 2):
            value = float(text) if as_float or kind == 2 else int(text)
            return value or 0.0 if as_float and kind == 1 else value
        integer = int(match.group(kind or 0), 16 if kind == 3 else 8)
        return (float(integer) if integer < 2**1024 else math.inf) if as_float else integer

    assert [t for t in NUMBERS if repr(read_number(t)) != repr(expected(t, False))] == []
    assert [t for t in NUMBERS if repr(read_float(t)) != repr(expected(t, True))] == []
