"""The pydantic models alone: what is structurally a spec or a graph document."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from gradpipe.documents.models import GRAPH_ADAPTER, SPEC_ADAPTER


def spec_error(document: Any) -> tuple[str, tuple[Any, ...]]:
    with pytest.raises(ValidationError) as caught:
        SPEC_ADAPTER.validate_python(document)
    first = caught.value.errors()[0]
    return first["type"], tuple(first["loc"])


def test_a_full_spec_validates_to_plain_data() -> None:
    spec = {
        "version": 1,
        "name": "neuron",
        "values": {"x": 2, "w": {"value": -3.0, "label": "w"}},
        "nodes": {"n": "x*w", "o": {"op": "tanh", "args": ["n"]}, "e": {"expr": "exp(n)"}, "c": 2},
        "output": "o",
    }
    validated = SPEC_ADAPTER.validate_python(spec)
    assert validated["values"]["x"] == 2.0
    assert isinstance(validated["values"]["x"], float)
    assert validated["nodes"]["o"] == {"op": "tanh", "args": ["n"]}
    assert list(validated["nodes"]) == ["n", "o", "e", "c"]


@pytest.mark.parametrize(
    ("document", "kind", "loc"),
    [
        ({"nodes": {"y": "x"}, "ouput": "y"}, "extra_forbidden", ("ouput",)),
        ({"nodes": {}}, "too_short", ("nodes",)),
        ({"values": {}}, "missing", ("nodes",)),
        ({"version": 2, "nodes": {"y": "x"}}, "version", ("version",)),
        ({"version": True, "nodes": {"y": "x"}}, "int_type", ("version",)),
        ({"version": 1.0, "nodes": {"y": "x"}}, "int_type", ("version",)),
        ({"values": {"x": True}, "nodes": {"y": "x"}}, "float_type", ("values", "x", "number")),
        ({"values": {"x": "1"}, "nodes": {"y": "x"}}, "float_type", ("values", "x", "number")),
        (
            {"values": {"x": float("nan")}, "nodes": {"y": "x"}},
            "finite_number",
            ("values", "x", "number"),
        ),
        ({"nodes": {"1x": "2*3"}}, "string_pattern_mismatch", ("nodes", "1x", "[key]")),
        ({"nodes": {"x-1": "2*3"}}, "string_pattern_mismatch", ("nodes", "x-1", "[key]")),
        ({"nodes": {"y": None}}, "node_entry", ("nodes", "y")),
        ({"nodes": {"y": {"op": "tahn", "args": []}}}, "literal_error", ("nodes", "y", "op", "op")),
        ({"nodes": {"y": {"op": "neg", "args": "x"}}}, "list_type", ("nodes", "y", "op", "args")),
        ({"nodes": {"y": {"expr": 3}}}, "string_type", ("nodes", "y", "expr", "expr")),
        (
            {"nodes": {"y": {"expr": "x", "label": 3}}},
            "string_type",
            ("nodes", "y", "expr", "label"),
        ),
    ],
)
def test_structural_errors(document: Any, kind: str, loc: tuple[Any, ...]) -> None:
    assert spec_error(document) == (kind, loc)


def test_python_keywords_are_names() -> None:
    SPEC_ADAPTER.validate_python({"values": {"lambda": 1}, "nodes": {"if": "lambda * 2"}})


def test_graph_nodes_need_id_and_op() -> None:
    GRAPH_ADAPTER.validate_python({"nodes": [{"id": "x", "op": "value", "value": 1}]})
    with pytest.raises(ValidationError) as caught:
        GRAPH_ADAPTER.validate_python({"nodes": [{"id": "x"}]})
    assert [(e["type"], e["loc"]) for e in caught.value.errors()] == [
        ("missing", ("nodes", 0, "op"))
    ]


def test_graph_nodes_accept_null_values_and_gradients() -> None:
    node = {"id": "y", "op": "neg", "args": ["x"], "value": None, "grad": None}
    assert GRAPH_ADAPTER.validate_python({"nodes": [node]})["nodes"][0] == node
