"""Property tests: printed formulas load as the graph they print, and bad input only ever
raises the project's error."""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from typing import Any

import pytest
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st

from gradpipe.documents import load_document
from gradpipe.documents.graph import dump_document
from gradpipe.documents.models import GRAPH_ADAPTER, SPEC_ADAPTER
from gradpipe.documents.structure import (
    _nodes_conform,
    _op_columns_conform,
    conforms,
    op_columns,
)
from gradpipe.engine import Value, apply, topological_order
from gradpipe.errors import GradpipeError, MathError

LEAVES = {"x": 0.75, "lambda": -1.5, "on": 2.0}
BINARY = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
UNARY = ("exp", "log", "tanh", "relu", "sigmoid")


@dataclass(frozen=True)
class Tree:
    """An expression: a leaf's name, a literal, or an op over sub-expressions."""

    op: str
    args: tuple[Tree, ...] = ()
    name: str = ""
    number: float = 0.0


def trees() -> st.SearchStrategy[Tree]:
    leaf = st.sampled_from(sorted(LEAVES)).map(lambda n: Tree("value", name=n))
    literal = st.floats(-4, 4, allow_nan=False).map(lambda x: Tree("const", number=x))

    def extend(inner: st.SearchStrategy[Tree]) -> st.SearchStrategy[Tree]:
        binary = st.tuples(st.sampled_from(sorted(BINARY)), inner, inner).map(
            lambda t: Tree(t[0], (t[1], t[2]))
        )
        unary = st.tuples(st.sampled_from(UNARY), inner).map(lambda t: Tree(t[0], (t[1],)))
        # `-` on a literal folds into it, so neg only ever applies to computed sub-trees.
        neg = inner.filter(lambda t: t.op != "const").map(lambda t: Tree("neg", (t,)))
        total = st.lists(inner, min_size=1, max_size=4).map(lambda a: Tree("sum", tuple(a)))
        return st.one_of(binary, unary, neg, total)

    return st.recursive(st.one_of(leaf, literal), extend, max_leaves=12).filter(
        lambda t: t.op not in ("value", "const")
    )


def printed(tree: Tree, spaces: str) -> str:
    """The formula of ``tree``, every operation in parentheses, walking with a stack."""
    out: list[str] = []
    stack: list[Tree | str] = [tree]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif item.op == "value":
            out.append(item.name)
        elif item.op == "const":
            out.append(f"({item.number!r})" if item.number < 0 else repr(item.number))
        elif item.op == "neg":
            stack.extend([")", item.args[0], "(-"])
        elif item.op in BINARY:
            left, right = item.args
            stack.extend([")", right, f"{spaces}{BINARY[item.op]}{spaces}", left, "("])
        else:
            parts: list[Tree | str] = [f"{item.op}("]
            for i, arg in enumerate(item.args):
                parts += [f",{spaces}"] if i else []
                parts.append(arg)
            stack.extend(reversed([*parts, ")"]))
    return "".join(out)


def built(tree: Tree, leaves: dict[str, Value]) -> Value:
    """The same expression built with the engine directly, bottom up without recursion."""
    done: dict[int, Value] = {}
    stack: list[tuple[Tree, bool]] = [(tree, False)]
    while stack:
        item, expanded = stack.pop()
        if item.op == "value":
            done[id(item)] = leaves[item.name]
        elif item.op == "const":
            done[id(item)] = Value.constant(item.number)
        elif not expanded:
            stack.append((item, True))
            stack.extend((a, False) for a in item.args)
        else:
            done[id(item)] = apply(item.op, [done[id(a)] for a in item.args])
    return done[id(tree)]


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(trees(), st.sampled_from(["", " ", "  "]))
def test_printed_formulas_load_as_the_graph_they_print(tree: Tree, spaces: str) -> None:
    leaves = {name: Value(x, name) for name, x in LEAVES.items()}
    try:
        expected = built(tree, leaves)
    except MathError:
        assume(False)
    values = json.dumps(LEAVES)
    spec = f'{{"values": {values}, "nodes": {{"y": {json.dumps(printed(tree, spaces))}}}}}'
    graph = load_document(spec.encode(), "prop.json")
    y = graph.node("y")
    assert y.data == expected.data or (math.isnan(y.data) and math.isnan(expected.data))
    shape = [(v.operation, v.data) for v in topological_order([y])]
    assert shape == [(v.operation, v.data) for v in topological_order([expected])]


@settings(max_examples=300, deadline=None)
@given(st.binary(max_size=200))
def test_random_bytes_raise_only_gradpipe_errors(raw: bytes) -> None:
    try:
        load_document(raw, "random.yaml")
    except GradpipeError as err:
        assert err.format().startswith("random.yaml")


json_values: st.SearchStrategy[Any] = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(["x", "x * 2", "tanh", "(", "nodes", "op", "args", "value", "id"]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(
            st.sampled_from(["nodes", "values", "op", "args", "expr", "label", "x", "id", "value"]),
            inner,
            max_size=4,
        )
    ),
    max_leaves=15,
)


@settings(max_examples=300, deadline=None)
@given(json_values)
@pytest.mark.parametrize("wrap", [False, True])
def test_random_documents_raise_only_gradpipe_errors(wrap: bool, data: Any) -> None:
    document = {"values": {"x": 1.0}, "nodes": data} if wrap else data
    try:
        load_document(json.dumps(document).encode(), "random.json")
    except GradpipeError as err:
        assert err.format().startswith("random.json")


def mostly(good: st.SearchStrategy[Any], bad: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Good values nine times in ten: the lean check's acceptances get exercised."""
    return st.integers(0, 9).flatmap(lambda i: bad if i == 0 else good)


def with_typo(documents: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[Any]:
    return mostly(documents, documents.map(lambda d: {**d, "ouput": "y"}))


names = mostly(st.sampled_from(["x", "y", "_1", "lambda", "exp"]), st.sampled_from(["1x", ""]))
numbers = st.one_of(st.integers(-1000, 1000), st.floats(allow_nan=False, allow_infinity=False))
odd_scalars = st.one_of(
    st.integers(min_value=2**53, max_value=2**70),
    st.floats(),
    st.booleans(),
    st.none(),
    st.sampled_from(["x", "2*x"]),
)
scalars = mostly(numbers, odd_scalars)
labels = mostly(st.text(max_size=3), st.one_of(st.integers(), st.none()))
value_entries = mostly(
    scalars,
    st.fixed_dictionaries({"value": scalars}, optional={"label": labels}).map(
        lambda d: {**d, "lable": 1} if len(d) == 1 and d["value"] == 0 else d
    ),
)
node_entries = st.one_of(
    scalars,
    st.text(max_size=5),
    st.fixed_dictionaries(
        {
            "op": mostly(st.sampled_from(["mul", "tanh", "sum"]), st.sampled_from(["value", 3])),
            "args": mostly(st.lists(mostly(names, scalars), max_size=3), scalars),
        },
        optional={"label": labels},
    ),
    st.fixed_dictionaries(
        {"expr": mostly(st.text(max_size=5), scalars)}, optional={"label": labels}
    ),
)
specs = with_typo(
    st.fixed_dictionaries(
        {"nodes": mostly(st.dictionaries(names, node_entries, max_size=3), scalars)},
        optional={
            "version": mostly(st.just(1), st.sampled_from([2, True, 1.0, "1"])),
            "values": mostly(st.dictionaries(names, value_entries, max_size=3), scalars),
            "name": labels,
            "output": labels,
        },
    )
)
graph_nodes = st.fixed_dictionaries(
    {
        "id": mostly(names, st.integers()),
        "op": mostly(st.sampled_from(["value", "const", "mul", "neg"]), st.sampled_from(["x", 1])),
    },
    optional={
        "args": mostly(st.lists(mostly(names, scalars), max_size=2), scalars),
        "value": mostly(st.one_of(numbers, st.none()), odd_scalars),
        "grad": mostly(st.one_of(numbers, st.none()), odd_scalars),
        "label": labels,
    },
)
graphs = with_typo(
    st.fixed_dictionaries(
        {"nodes": mostly(st.lists(graph_nodes, max_size=3), scalars)},
        optional={"version": mostly(st.just(1), st.just(2)), "output": labels, "name": labels},
    )
)


@settings(max_examples=500, deadline=None)
@given(specs)
def test_the_lean_check_never_accepts_what_pydantic_refuses_in_specs(document: Any) -> None:
    if conforms(document, "spec"):
        SPEC_ADAPTER.validate_python(document)


@settings(max_examples=500, deadline=None)
@given(graphs)
def test_the_lean_check_never_accepts_what_pydantic_refuses_in_graphs(document: Any) -> None:
    if conforms(document, "graph"):
        GRAPH_ADAPTER.validate_python(document)


op_objects = st.fixed_dictionaries(
    {
        "op": mostly(st.sampled_from(["mul", "tanh", "sum"]), st.sampled_from(["value", 3])),
        "args": mostly(st.lists(mostly(names, scalars), max_size=3), scalars),
    },
    optional={"label": labels, "expr": st.just("x"), "lable": st.just("x")},
)


@settings(max_examples=500, deadline=None)
@given(st.dictionaries(names, op_objects, min_size=1, max_size=4))
def test_the_column_check_of_op_objects_is_the_node_by_node_check(nodes: Any) -> None:
    """Big specs of op objects are checked a column at a time: to the same verdict."""
    columns = op_columns(nodes)
    assert columns is not None
    assert _op_columns_conform(columns) == _nodes_conform(nodes)


@pytest.mark.parametrize("kind", ["spec", "graph"])
def test_the_lean_check_takes_plain_documents(kind: str) -> None:
    """The fast path is the common path: plain, valid documents take it."""
    spec = {"values": {"x": 1, "w": {"value": 2.5, "label": "w"}}, "nodes": {"y": "x*w", "z": 2}}
    spec["nodes"]["o"] = {"op": "sum", "args": ["y", 1.5], "label": "o"}
    document = (
        spec
        if kind == "spec"
        else json.loads(
            dump_document(load_document(json.dumps(spec).encode(), "s.json").to_document())
        )
    )
    assert conforms(document, kind)
