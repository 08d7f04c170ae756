"""Graph documents as text: deterministic, strict JSON, one node per line."""

from __future__ import annotations

import json

import pytest

from gradpipe.documents import load_document
from gradpipe.documents.graph import dump_document, encode_document, graph_from_value
from gradpipe.engine import Value


def test_one_node_per_line_with_a_trailing_newline() -> None:
    a = Value(2.0, "a")
    text = dump_document(graph_from_value((a * a).tanh(), name="t").to_document())
    lines = text.split("\n")
    assert lines[0] == '{"version": 1, "name": "t", "output": "_2",'
    assert lines[1] == ' "nodes": ['
    assert lines[2].startswith(' {"id": "a", ')
    assert lines[-2] == " ]}"
    assert lines[-1] == ""
    assert len(lines) == 3 + 3 + 1


def test_labels_that_look_like_json_stay_on_their_line() -> None:
    a = Value(1.0, '}, {"id": "x"')
    text = dump_document(graph_from_value(a + 1, name="t").to_document())
    assert json.loads(text)["nodes"][0]["label"] == '}, {"id": "x"'
    assert text.count("\n") == 3 + 3


def test_unicode_is_written_as_is() -> None:
    text = dump_document(graph_from_value(Value(1.0, "w₂") * 2, name="λ").to_document())
    assert '"name": "λ"' in text
    assert '"label": "w₂"' in text


def test_gradients_are_null_until_computed() -> None:
    out = Value(3.0, "a") * 2
    graph = graph_from_value(out, gradients=False)
    assert {n["grad"] for n in graph.to_document()["nodes"]} == {None}
    graph.backward()
    assert [n["grad"] for n in graph.to_document()["nodes"]] == [2.0, None, 1.0]


@pytest.mark.parametrize("chunk", [1, 2, 3, 50_000])
def test_encoding_in_chunks_writes_the_same_bytes(chunk: int) -> None:
    a, b = Value(2.0, "a"), Value(-1.5, "b")
    graph = graph_from_value((a * b + a).tanh() * Value(3.0, "λ"), name="chunks")
    graph.backward()
    expected = dump_document(graph.to_document()).encode()
    assert encode_document(graph, chunk) == expected


@pytest.mark.parametrize("chunk", [1, 2, 4, 100])
def test_arguments_of_every_count_are_written_in_chunks_of_leaves_and_sums(chunk: int) -> None:
    """A chunk may hold only leaves (no arguments at all), a sum many and a repeated one."""
    a, b, c, d = (Value(float(i), name) for i, name in enumerate("abcd", 1))
    total = Value.sum([a, b, c, a, 2.0, d])
    graph = graph_from_value((total * total).sigmoid() - Value.sum([d]), name="sums")
    graph.backward()
    expected = dump_document(graph.to_document()).encode()
    assert encode_document(graph, chunk) == expected


@pytest.mark.parametrize("gradients", [False, True])
def test_encoding_directly_writes_what_the_dicts_write(gradients: bool) -> None:
    """Labels needing escapes, empty labels, constants, shared args, with and without grads."""
    a, b = Value(2.0, 'q"\\\n\t☃'), Value(-1.5, "")
    c = Value.constant(3)
    out = ((a * b + a) / c).sigmoid() + Value(1e-300, '}, {"id": "x"') * 1e300
    out.label = ""
    graph = graph_from_value(out, name='"λ"', gradients=False)
    if gradients:
        graph.backward()
    assert encode_document(graph, 2) == dump_document(graph.to_document()).encode()


def test_a_specs_named_ids_are_its_keys_not_the_ids_made_up_for_formulas() -> None:
    from gradpipe.documents.build import load_document

    spec = b"values: {_1: 2.0, x: 3.0}\nnodes: {_3: _1*x + 1, y: exp(_3) * 2}\n"
    graph = load_document(spec, "s.yaml")
    made_up = set(graph.ids) - {"_1", "x", "_3", "y"}
    assert made_up and all(i.startswith("_") for i in made_up)  # the formulas' own nodes
    assert set(graph.named_ids()) == {"_1", "x", "_3", "y"}
    assert set(load_document(b"values: {a: 1.0}\nnodes: {b: a + a}\n", "t").named_ids()) == {
        "a",
        "b",
    }


class LectureValue(Value):
    """The lecture's class, pasted into a subclass: its ops named micrograd's way."""

    def __init__(self, data, _children=(), _op="", label=""):  # type: ignore[no-untyped-def]
        self.data = data
        self.grad = 0.0
        self._backward = lambda: None
        self._prev = set(_children)
        self._op = _op
        self.label = label

    def __add__(self, other):  # type: ignore[no-untyped-def]
        out = LectureValue(self.data + other.data, (self, other), "+")

        def _backward() -> None:
            self.grad += out.grad
            other.grad += out.grad

        out._backward = _backward
        return out

    def __mul__(self, other):  # type: ignore[no-untyped-def]
        out = LectureValue(self.data * other.data, (self, other), "*")

        def _backward() -> None:
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad

        out._backward = _backward
        return out

    def relu(self):  # type: ignore[no-untyped-def]
        out = LectureValue(max(self.data, 0.0), (self,), "ReLU")

        def _backward() -> None:
            self.grad += (out.data > 0) * out.grad

        out._backward = _backward
        return out


def test_ops_named_the_micrograd_way_are_written_as_gradpipes() -> None:
    # A graph of the lecture's own class is a graph document every command reads: its
    # "+", "*" and "ReLU" are add, mul and relu; an op gradpipe has not stays as named.
    x, w = LectureValue(2.0, label="x"), LectureValue(-3.0, label="w")
    b = LectureValue(7.0, label="b")
    y = (x * w + b).relu()
    taken = Value.__mul__(x, 2.0)  # a built-in node whose closure a user took over: _op "*"
    taken._backward = lambda: None
    out = Value.sum([y, taken, Value(1.0, (x,), "cube")])
    out.label = "out"
    out.backward()
    document = json.loads(encode_document(graph_from_value(out)))
    ops = [node["op"] for node in document["nodes"] if node["args"]]
    assert ops == ["mul", "add", "relu", "mul", "cube", "sum"]
    known = load_document(encode_document(graph_from_value(y)), "y.json")
    known.backward()
    assert [known.node(name).grad for name in "xwb"] == [x.grad, w.grad, b.grad] == [-3, 2, 1]
