"""``gradpipe.draw_dot``: micrograd's name and signature, gradpipe's picture, no Graphviz needed.

The Digraph it returns shows inline in Jupyter (``_repr_mimebundle_``), ``pipe()``s and
``render()``s svg and png with Graphviz's ``dot`` on PATH or, without it, with the
embedded ``graphviz-pure``. A picture too big to lay out quickly is refused at once.
"""

from __future__ import annotations

import enum
import json
import shutil
import time
from pathlib import Path
from typing import Any

import graphviz  # type: ignore[import-untyped]
import pytest

import gradpipe
from gradpipe import RenderError, Value, draw_dot
from gradpipe.render.formats import DEFAULT_LAYOUT_LIMIT
from gradpipe.render.layout import GRAPHVIZ_ENV

PNG = b"\x89PNG\r\n\x1a\n"


def neuron() -> Value:
    x1, w1 = Value(2.0, label="x1"), Value(-3.0, label="w1")
    b = Value(6.8813735870195432, label="b")
    n = x1 * w1 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


@pytest.fixture(params=["native", "no graphviz"])
def graphviz_setup(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Graphviz's dot on PATH (where installed), or no Graphviz at all on PATH."""
    monkeypatch.delenv(GRAPHVIZ_ENV, raising=False)
    if request.param == "native":
        if shutil.which("dot") is None:
            pytest.skip("Graphviz's dot is not installed")
    else:
        monkeypatch.setenv("PATH", "/nonexistent")
    return str(request.param)


def test_draw_dot_is_micrograds_function_drawing_gradpipes_picture() -> None:
    dot = draw_dot(neuron())
    assert isinstance(dot, graphviz.Digraph) and dot.format == "svg"
    assert "rankdir=LR" in dot.source
    assert '"{ o | data 0.7071 | grad 1.0000 }"' in dot.source
    assert draw_dot(neuron(), format="png", rankdir="TB").format == "png"
    assert dot.source.replace("\t", "") == neuron().render_graph().source.replace("\t", "")
    with pytest.raises(ValueError, match="rankdir must be 'LR' or 'TB'"):
        draw_dot(neuron(), rankdir="RL")


def test_render_graph_takes_the_same_options() -> None:
    dot = neuron().render_graph(format="png", rankdir="TB")
    assert dot.format == "png" and "\tgraph [rankdir=TB " in dot.source


def test_pictures_without_graphviz_installed(graphviz_setup: str, tmp_path: Path) -> None:
    dot = draw_dot(neuron())
    svg = dot.pipe()
    assert isinstance(svg, bytes) and svg.startswith(b"<?xml") and b"0.7071" in svg
    assert dot.pipe(encoding="utf-8").startswith("<?xml")
    assert dot.pipe(format="png").startswith(PNG)
    bundle = dot._repr_mimebundle_()
    assert bundle["image/svg+xml"].startswith("<?xml")
    written = dot.render(tmp_path / "neuron")
    assert written == str(tmp_path / "neuron.svg")
    assert Path(written).read_bytes().startswith(b"<?xml")
    assert (tmp_path / "neuron").read_text().startswith("digraph")
    png = draw_dot(neuron(), format="png", rankdir="TB").render(tmp_path / "tall", cleanup=True)
    assert Path(png).read_bytes().startswith(PNG) and not (tmp_path / "tall").exists()
    out = dot.render(outfile=tmp_path / "picture.png")
    assert out == str(tmp_path / "picture.png") and Path(out).read_bytes().startswith(PNG)


def test_a_picture_too_big_to_lay_out_is_refused_at_once() -> None:
    x = Value(0.5, label="x")
    for _ in range(3000):
        x = (x * 0.9 + 0.1).tanh()
    start = time.perf_counter()
    limit = DEFAULT_LAYOUT_LIMIT
    with pytest.raises(RenderError, match=rf"15001 nodes, more than layout_limit={limit}"):
        draw_dot(x)
    with pytest.raises(RenderError, match="layout_limit=None"):
        x.render_graph()
    assert time.perf_counter() - start < 5.0
    assert len(draw_dot(x, layout_limit=None).body) > 9000  # its source, never laid out
    assert draw_dot(x, layout_limit=20_000).format == "svg"


def test_draw_dot_is_in_the_public_api() -> None:
    assert "draw_dot" in gradpipe.__all__ and gradpipe.draw_dot is draw_dot


def drawn_nodes(source: str) -> set[str]:
    """The node statements' names of a DOT source."""
    return {
        line.split(" [")[0].strip().strip('"')
        for line in source.splitlines()
        if line.startswith('\t"') and "->" not in line
    }


def test_draw_dot_takes_the_clis_views() -> None:
    o = neuron()
    whole = drawn_nodes(draw_dot(o).source)
    assert {"x1", "w1", "_1", "b", "n", "o"} <= whole  # _1: the unlabelled product
    named = drawn_nodes(draw_dot(o, view="named").source)
    assert {"x1", "w1", "b", "n", "o"} <= named and "_1" not in named  # folded into n
    near = drawn_nodes(draw_dot(o, focus="n", depth=1).source)  # a label names the node
    assert {"n", "_1", "b", "o"} <= near and "x1" not in near and "_1.in" in near  # a stub
    compact = drawn_nodes(draw_dot(o, compact=True).source)
    assert not any(name.endswith(".op") for name in compact)
    labelled = draw_dot(o, edge_grads=True).source
    assert '"x1" -> "_1.op" [label="∂ -3.0000"' in labelled  # ∂(x1·w1)/∂x1 = w1
    assert "∂" not in draw_dot(o).source


def test_draw_dot_refuses_unknown_options() -> None:
    with pytest.raises(ValueError, match="view must be one of 'all', 'named', not 'nope'"):
        draw_dot(neuron(), view="nope")
    with pytest.raises(RenderError, match="no node 'zz'"):
        draw_dot(neuron(), focus="zz")


def test_show_takes_the_same_views() -> None:
    o = neuron()
    whole, named = o.show()._repr_html_(), o.show(view="named")._repr_html_()
    assert "_1" in whole and "_1" not in named


def test_show_takes_every_option_of_draw_dot_and_its_layout_limit() -> None:
    o = neuron()
    assert "∂ &#45;3.0000" in o.show(edge_grads=True).page.decode()  # ∂(x1·w1)/∂x1 = w1
    assert "∂ &#45;3.0000" not in o.show().page.decode()
    # Refused in the API's words (a keyword to pass), never the CLI's (--layout-limit).
    refusal = r"6 nodes, more than layout_limit=5: .*layout_limit=None"
    with pytest.raises(RenderError, match=refusal):
        o.show(layout_limit=5)
    x = Value(0.5, label="x")
    for _ in range(DEFAULT_LAYOUT_LIMIT):
        x = x * 0.9
    limit = DEFAULT_LAYOUT_LIMIT
    with pytest.raises(RenderError, match=rf"more than layout_limit={limit}: ") as refused:
        gradpipe.show(gradpipe.graph_from_value(x))
    assert "--" not in str(refused.value)
    assert "iframe" in o.show(layout_limit=None)._repr_html_()
    assert "iframe" in o.show(view="named", layout_limit=5)._repr_html_()  # 5 drawn nodes


def test_a_wrapped_pictures_connectors_name_nodes_as_their_records_do() -> None:
    x = Value(0.5, label="x")
    for i in range(150):
        p = x * 0.9
        p.label = f"p[{i}]"  # not a valid id: each node's id is an anonymous _N
        s = p + 0.1
        s.label = f"s[{i}]"
        x = s.tanh()
        x.label = f"h[{i}]"
    x.backward()
    connectors = [
        line for line in draw_dot(x).source.splitlines() if "→" in line and "label=" in line
    ]
    assert connectors  # the chain is long enough to wrap into columns
    assert all("[" in line.split("label=")[1].split('"')[1] for line in connectors), connectors[:2]


class NotesOp(enum.Enum):
    """The notes' own op type: an Enum, named in words by ``str``."""

    NONE = 0
    ADD = 1
    MUL = 3

    def __str__(self) -> str:
        return {NotesOp.NONE: "none", NotesOp.ADD: "addition", NotesOp.MUL: "multiplication"}[self]


class NotesValue(Value):
    """The notes' class body pasted into a subclass: ``value``, ``children``, an Enum op."""

    def __init__(
        self,
        value: float,
        children: Any = frozenset(),
        operation: NotesOp = NotesOp.NONE,
        label: str = "",
        gradient: float = 0.0,
    ) -> None:
        self.value = value
        self.children = children
        self.operation = operation
        self.label = label
        self.gradient = gradient

    def __add__(self, other: Any) -> NotesValue:
        return NotesValue(self.value + other.value, {self, other}, NotesOp.ADD)

    def __mul__(self, other: Any) -> NotesValue:
        return NotesValue(self.value * other.value, {self, other}, NotesOp.MUL)


def test_a_users_op_that_is_no_string_is_drawn_and_written_by_its_name() -> None:
    a, b, c = NotesValue(2.0, label="a"), NotesValue(-3.0, label="b"), NotesValue(10.0, label="c")
    total = a * b + c
    total.label = "L"
    assert total.operation is NotesOp.ADD and a.operation is NotesOp.NONE  # as the user set them
    source = draw_dot(total).source
    assert '"L.op" [label="addition"' in source and "multiplication" in source
    assert '"a.op"' not in source and "none" not in source  # a node without children is a leaf
    document = json.loads(gradpipe.encode_document(gradpipe.graph_from_value(total)))
    ops = {node["id"]: node["op"] for node in document["nodes"]}
    leaves = {"a": "value", "b": "value", "c": "value"}
    assert ops == {**leaves, "_1": "multiplication", "L": "addition"}
    assert "addition" in total.show().page.decode()


def test_draw_dot_takes_a_loaded_graph_as_gradpipe_show_does() -> None:
    graph = gradpipe.load_file(str(Path(__file__).parent.parent / "examples" / "neuron.yaml"))
    graph.backward()
    source = draw_dot(graph).source  # the spec's names as ids, as render draws them
    assert source == draw_dot(graph, rankdir="LR").source
    assert '"x1" [label="{ x1 | data 2.0000 | grad -1.5000 }"' in source
    named = drawn_nodes(draw_dot(graph, view="named").source)
    assert {"x1", "w1", "n", "o"} <= named and not any(i.startswith("_") for i in named)
