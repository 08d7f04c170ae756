"""The HTML view and its backprop trace, without a browser: the trace is the engine's,
the page is self-contained, escaped and deterministic, the SVG is tagged node by node."""

from __future__ import annotations

import html
import json
import re
from pathlib import Path

import pytest
from conftest import invoke
from hypothesis import given, settings
from hypothesis import strategies as st

from gradpipe import Value
from gradpipe.documents import load_document
from gradpipe.documents.graph import Graph, graph_from_value
from gradpipe.engine import topological_order
from gradpipe.errors import RenderError
from gradpipe.render import render
from gradpipe.render.dot import Style
from gradpipe.render.frames import render_frames
from gradpipe.render.html import NodeMark, formula_texts, render_html, script_json
from gradpipe.render.trace import gradients_after, trace_backward

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
UNARY = ("neg", "tanh", "sigmoid", "exp", "relu")
BINARY = ("add", "sub", "mul", "div", "pow", "sum")


def example(name: str) -> Graph:
    path = EXAMPLES / f"{name}.yaml"
    return load_document(path.read_bytes(), str(path))


def page_data(page: bytes) -> dict:  # type: ignore[type-arg]
    text = page.decode()
    blob = re.search(r'<script type="application/json" id="gp-data">(.*?)</script>', text, re.S)
    assert blob is not None
    return json.loads(blob[1])  # type: ignore[no-any-return]


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_trace_ends_with_the_engines_gradients_bit_for_bit(path: Path) -> None:
    graph = load_document(path.read_bytes(), str(path))
    trace = trace_backward(graph)
    assert gradients_after(trace, len(trace.steps), len(graph)) == [
        None if v.is_constant else v.grad for v in graph.nodes
    ]
    last: dict[int, float] = {}
    for step in trace.steps:
        for c in step.contributions:
            last[c.child] = c.total
    for i, total in last.items():
        assert total == graph.nodes[i].grad


def test_trace_follows_the_engines_order_one_step_per_computed_node() -> None:
    graph = example("neuron")
    trace = trace_backward(graph)
    engine_order = [
        graph.index(graph.ids[graph.nodes.index(v)])
        for v in reversed(topological_order((graph.node(graph.output),)))
        if v._prev and v.requires_grad
    ]
    assert [s.node for s in trace.steps] == engine_order
    assert graph.ids[trace.steps[0].node] == "o"
    first = trace.steps[0]
    assert first.gradient == 1.0
    assert [(graph.ids[c.child], c.local) for c in first.contributions] == [
        ("n", 0.49999999999999994)  # fma(-o, o, 1), as torch's tanh backward computes it
    ]


def test_a_reused_node_sums_its_terms_one_by_one() -> None:
    a = Value(3.0, label="a")
    b = a * a
    b.label = "b"
    c = b + a
    c.label = "c"
    graph = graph_from_value(c)
    trace = trace_backward(graph)
    ia = graph.ids.index("a")
    terms = [(c_.term, c_.total) for s in trace.steps for c_ in s.contributions if c_.child == ia]
    assert terms == [(1.0, 1.0), (3.0, 4.0), (3.0, 7.0)]
    assert a.grad == 7.0
    # Before the last step, a's gradient is the sum so far.
    assert gradients_after(trace, 1, len(graph))[ia] == 1.0
    assert gradients_after(trace, 0, len(graph)) == [None] * len(graph)


def test_a_micrograd_style_op_is_traced_through_its_own_closure() -> None:
    x = Value(0.5, label="x")

    def cube(v: Value) -> Value:
        out = Value(v.data**3, (v,), "cube")

        def _backward() -> None:
            v.grad += 3 * v.data**2 * out.grad  # type: ignore[operator]

        out._backward = _backward
        return out

    y = cube(x) * 2.0
    graph = graph_from_value(y)
    trace = trace_backward(graph)
    assert x.grad == pytest.approx(1.5)
    cube_step = next(s for s in trace.steps if graph.nodes[s.node].operation == "cube")
    (term,) = cube_step.contributions
    assert term.local == pytest.approx(0.75)
    assert term.total == x.grad


def test_constants_and_unused_nodes() -> None:
    graph = load_document(
        b"values: {x: 2.0, z: 1.0}\nnodes: {u: z*3, y: x**2 + 1}\noutput: y\n", "s.yaml"
    )
    trace = trace_backward(graph)
    grads = dict(zip(graph.ids, trace.gradients, strict=True))
    assert grads["u"] == 0.0 and grads["z"] == 0.0  # not used by the output
    step_of_pow = next(s for s in trace.steps if graph.nodes[s.node].operation == "pow")
    # The exponent is a constant: it gets no term.
    assert [graph.nodes[c.child].operation for c in step_of_pow.contributions] == ["value"]


@st.composite
def random_graphs(draw: st.DrawFn) -> Value:
    nodes = [Value(draw(st.floats(-2.0, 2.0))) for _ in range(draw(st.integers(1, 4)))]
    for _ in range(draw(st.integers(1, 15))):
        op = draw(st.sampled_from(UNARY + BINARY))
        a = nodes[draw(st.integers(0, len(nodes) - 1))]
        b = nodes[draw(st.integers(0, len(nodes) - 1))]
        if op in UNARY:
            v = {"neg": -a, "tanh": a.tanh(), "sigmoid": a.sigmoid(), "relu": a.relu()}.get(
                op
            ) or a.tanh().exp()
        elif op == "div":
            v = a / (b * b + 1)
        elif op == "pow":
            v = (a * a + 1) ** b.tanh()
        elif op == "sum":
            v = Value.sum([a, b, a, 2.0])
        else:
            v = {"add": a + b, "sub": a - b, "mul": a * b}[op]
        nodes.append(v.tanh() if abs(v.data) > 4 else v)
    return Value.sum(nodes)


@settings(max_examples=80, deadline=None)
@given(random_graphs())
def test_trace_agrees_with_backward_on_random_graphs(root: Value) -> None:
    graph = graph_from_value(root)
    trace = trace_backward(graph)
    assert list(trace.gradients) == [None if v.is_constant else v.grad for v in graph.nodes]
    assert gradients_after(trace, len(trace.steps), len(graph)) == [
        None if v.is_constant else v.grad for v in graph.nodes
    ]
    sums: dict[int, float] = {}
    for s in trace.steps:
        # A node passes its gradient on only once it is complete.
        assert s.gradient == graph.nodes[s.node].grad
        for c in s.contributions:
            sums[c.child] = sums.get(c.child, 0.0) + c.term
            assert sums[c.child] == c.total
    for i, total in sums.items():
        assert total == graph.nodes[i].grad


def test_formulas_stand_for_the_written_expression() -> None:
    graph = example("neuron")
    texts = dict(zip(graph.ids, formula_texts(graph), strict=True))
    assert texts["n"] == "x1*w1 + x2*w2 + b"
    assert texts["o"] == "tanh(n)"
    spec = (
        b"values: {a: 1.5, b: 2.0, c: 0.5}\n"
        b"nodes:\n  p: -a**2\n  q: (a + b)*c\n  r: a**b**c\n  s: (a**b)**c\n"
        b"  t: a - (b - c)\n  u: (-a)**2\n  v: a/(b*c)\n  w: sum(a, b*c, 2)\n  z: p+q+r+s+t+u+v+w\n"
    )
    graph = load_document(spec, "f.yaml")
    texts = dict(zip(graph.ids, formula_texts(graph), strict=True))
    assert texts["p"] == "-a**2"
    assert texts["q"] == "(a + b)*c"
    assert texts["r"] == "a**b**c"
    assert texts["s"] == "(a**b)**c"
    assert texts["t"] == "a - (b - c)"
    assert texts["u"] == "(-a)**2"
    assert texts["v"] == "a/(b*c)"
    assert texts["w"] == "sum(a, b*c, 2)"
    assert texts["z"] == "p + q + r + s + t + u + v + w"


def test_long_formulas_are_cut_and_linear() -> None:
    terms = " + ".join(f"x*{k}" for k in range(3000))
    graph = load_document(f"values: {{x: 1.0}}\nnodes: {{y: {terms}}}\n".encode(), "l.yaml")
    texts = formula_texts(graph)
    assert max(map(len, texts)) <= 120


def test_a_cut_formula_shows_what_the_picture_shows_never_a_made_up_id() -> None:
    # A neuron's sum of 12 products: past 120 characters the formula fell back to its
    # arguments' ids, "_21 + _22", ids the picture and the spec show nowhere.
    terms = " + ".join(f"weight_{k}*input_{k}" for k in range(12))
    names = ", ".join(f"weight_{k}: 0.5, input_{k}: 2.0" for k in range(12))
    graph = load_document(f"values: {{{names}}}\nnodes: {{y: tanh({terms})}}\n".encode(), "n.yaml")
    texts = dict(zip(graph.ids, formula_texts(graph), strict=True))
    for node_id, text in texts.items():
        assert not re.search(r"(?<![A-Za-z0-9])_[0-9]+", text), (node_id, text)
        assert len(text) <= 120
    assert texts["y"].startswith("tanh(weight_0*input_0 + ") and "…" in texts["y"]
    last = graph.node("y")._prev[0]  # the last sum: what it adds is written out
    (position,) = [i for i, v in enumerate(graph.nodes) if v is last]
    assert formula_texts(graph)[position].endswith(" + weight_11*input_11")


def test_script_json_cannot_end_the_script() -> None:
    hostile = "</script><!-- \u2028\u2029 <script>&amp;"
    text = script_json({"label": hostile})
    assert "<" not in text and ">" not in text and "&" not in text
    assert "\u2028" not in text and "\u2029" not in text
    assert json.loads(text) == {"label": hostile}


def hostile_graph() -> Graph:
    spec = {
        "values": {
            "x": {"value": 2.0, "label": "</script><script>window.pwned=1</script>"},
            # No lone surrogate: documents refuse them where they are read (issue 10).
            "y": {"value": 3.0, "label": "<!-- \u2028 & \"q\" 'a' {r|s} \\ \x07 \U0001f600"},
        },
        "nodes": {"z": {"expr": "x*y", "label": "]]></text></svg><b>bold"}},
    }
    return load_document(json.dumps(spec).encode(), "h.json")


def test_labels_of_any_text_stay_text_in_the_page() -> None:
    page = render_html(hostile_graph())
    text = page.decode()
    assert text.count("<script") == 2  # the data and the view's own script
    assert "window.pwned=1</script>" not in text
    assert "<b>bold" not in text
    labels = [n["label"] for n in page_data(page)["nodes"]]
    assert "</script><script>window.pwned=1</script>" in labels


def test_page_is_self_contained_and_deterministic() -> None:
    first = render_html(example("micrograd_readme"))
    assert first == render_html(example("micrograd_readme"))
    text = first.decode()
    assert not re.search(r"""(?:src|href)=["']?(?:https?:)?//""", text)
    assert "http://" not in text.replace('xmlns="http://www.w3.org/2000/svg"', "").replace(
        'xmlns:xlink="http://www.w3.org/1999/xlink"', ""
    )
    assert text.startswith("<!DOCTYPE html>") and text.endswith("</html>\n")


def test_every_drawn_node_and_edge_is_tagged_with_its_graph_node() -> None:
    graph = example("neuron")
    page = render_html(graph).decode()
    tagged = re.findall(r'class="node[^"]*" data-i="(\d+)" data-id="([^"]*)" data-k="v"', page)
    value_groups = [i for i, _ in tagged]
    # Each drawn node carries its graph node's id.
    assert all(graph.ids[int(i)] == node_id for i, node_id in tagged)
    op_groups = re.findall(r'class="node[^"]*" data-i="(\d+)" data-id="[^"]*" data-k="o"', page)
    assert sorted(map(int, value_groups)) == list(range(len(graph)))
    computed = [i for i, v in enumerate(graph.nodes) if v._prev]
    assert sorted(map(int, op_groups)) == computed
    edges = re.findall(r'class="edge[^"]*" data-t="(\d+)" data-h="(\d+)"', page)
    expected = sorted(
        [(graph.nodes.index(c), i) for i in computed for c in graph.nodes[i]._prev]
        + [(i, i) for i in computed]
    )
    assert sorted((int(t), int(h)) for t, h in edges) == expected
    grad_texts = re.findall(r'class="gp-grad" data-i="(\d+)">grad ([^<]*)<', page)
    assert len(grad_texts) == len(graph)  # no constants in the neuron
    assert "<title>" not in page.split("<svg", 1)[1]


def test_page_data_holds_steps_locals_and_marks() -> None:
    graph = example("neuron")
    page = render_html(graph, marks={"w2": NodeMark("mismatch", "#e74c3c", "relative error 0.3")})
    data = page_data(page)
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes["w2"]["mark"] == {
        "status": "mismatch",
        "colour": "#e74c3c",
        "note": "relative error 0.3",
    }
    assert nodes["o"]["locals"] == [["1 - o²", "0.49999999999999994"]]  # fma(-o, o, 1), as torch
    assert nodes["_1"]["locals"] == [["w1", "-3.0"], ["x1", "2.0"]]
    assert nodes["x1"]["grad"] == "-1.4999999999999998"
    assert [data["nodes"][s["node"]]["id"] for s in data["steps"]] == ["o", "n", "_3", "_2", "_1"]


def test_cli_renders_html_with_gradients_from_a_spec(tmp_path: Path) -> None:
    out = tmp_path / "neuron.html"
    result = invoke("render", "-f", "html", str(EXAMPLES / "neuron.yaml"), "-o", str(out))
    assert result.exit_code == 0, result.stderr
    assert page_data(out.read_bytes())["nodes"][0]["grad"] == "-1.4999999999999998"
    stdout = invoke("render", "-f", "html", str(EXAMPLES / "neuron.yaml")).stdout_bytes
    assert stdout == out.read_bytes()


def test_cli_html_of_bad_input_is_a_located_error_and_writes_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("values: {x: 0.0}\nnodes:\n  y: log(x)\n")
    out = tmp_path / "bad.html"
    result = invoke("render", "-f", "html", str(bad), "-o", str(out))
    assert result.exit_code == 1
    assert re.match(rf"{re.escape(str(bad))}:3:\d+: error: ", result.stderr)
    assert not out.exists()
    # A math error that only backward meets is located too.
    bad.write_text("values: {x: -8.0, y: 0.5}\nnodes:\n  z: x**y\n")
    result = invoke("render", "-f", "html", str(bad), "-o", str(out))
    assert result.exit_code == 1 and "error:" in result.stderr and not out.exists()


def test_cli_html_refuses_graphs_over_the_layout_limit() -> None:
    result = invoke("render", "-f", "html", "--layout-limit", "3", str(EXAMPLES / "neuron.yaml"))
    assert result.exit_code == 1
    assert "--layout-limit" in result.stderr
    assert result.stdout == ""


@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_a_stepped_picture_past_the_layout_limit_is_refused_before_backprop(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Refused at once, as -f svg is: tracing backprop first took 75 s for 10^6 nodes.
    def traced(*args: object) -> None:
        raise AssertionError("backprop traced for a picture that is refused")

    monkeypatch.setattr("gradpipe.render.html.trace_backward", traced)
    with pytest.raises(RenderError, match="has 10 nodes, more than --layout-limit 3"):
        render(example("neuron"), "html", layout_limit=3)
    with pytest.raises(RenderError, match="has 10 nodes, more than --layout-limit 3"):
        render_frames(example("neuron"), fmt, layout_limit=3)


def test_value_show_is_the_interactive_view_and_changes_no_gradient() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    out = a * b
    a.grad = 5.0  # accumulated from an earlier pass, as in a training loop
    view = out.show()
    assert a.grad == 5.0 and b.grad == 0.0
    cell = view._repr_html_()
    assert (
        cell.startswith('<iframe srcdoc="&lt;!DOCTYPE html&gt;')
        and 'sandbox="allow-scripts"' in cell
    )
    data = page_data(view.page)
    assert {n["id"]: n["grad"] for n in data["nodes"]} == {"a": "-3.0", "b": "2.0", "_1": "1.0"}
    # The static picture stays what micrograd users see by default.
    diagram = out.render_graph()
    assert hasattr(diagram, "_repr_image_svg_xml") and not hasattr(diagram, "_repr_html_")
    assert not hasattr(out, "_repr_html_")


def test_the_graph_name_is_escaped_in_the_page_title() -> None:
    graph = example("neuron")
    graph.name = "</title><script>x()</script>"
    text = render_html(graph).decode()
    assert "<title>&lt;/title&gt;&lt;script&gt;x()&lt;/script&gt;: gradpipe</title>" in text
    assert text.count("<script") == 2


def test_gradpipe_show_takes_a_value_or_a_graph() -> None:
    import gradpipe

    graph = example("reuse")
    view = gradpipe.show(graph)
    assert page_data(view.page)["nodes"][0]["id"] == "a"
    a = Value(3.0, label="a")
    assert "iframe" in gradpipe.show(a * a)._repr_html_()


# ---- The page of a view: --view named, --focus, --compact, as the SVG draws them ----

VIEW_STYLES = {
    "named": Style(view="named"),
    "focus": Style(focus="_3", depth=1),
    "focus-leaf": Style(focus="x1", depth=1),
    "focus-deep": Style(focus="h1", depth=2),
    "compact": Style(compact=True),
    "named-compact": Style(view="named", compact=True),
    "tb": Style(rankdir="TB"),
}


def drawn_pieces(svg: str) -> tuple[list[tuple[str, str]], int, int]:
    """The (node id, "v" record or "o" bubble) of each drawn node, and the stub counts."""
    titles = [html.unescape(t) for t in re.findall(r'class="node">\s*<title>([^<]*)</title>', svg)]
    pieces = [(t[:-3], "o") if t.endswith(".op") else (t, "v") for t in titles]
    pieces = [p for p in pieces if not p[0].endswith((".in", ".out"))]
    return (
        sorted(pieces),
        svg.count(">1 more input") + svg.count(" more inputs<"),
        svg.count(">used by "),
    )


def page_pieces(page: str) -> tuple[list[tuple[str, str]], int, int]:
    found = re.findall(r'class="node[^"]*" data-i="\d+" data-id="([^"]*)" data-k="(v|o)"', page)
    pieces = sorted((html.unescape(i), k) for i, k in found)
    return (
        pieces,
        page.count(">1 more input") + page.count(" more inputs<"),
        page.count(">used by "),
    )


VIEW_CASES = [("neuron", name) for name in VIEW_STYLES if name != "focus-deep"] + [
    ("mlp", name) for name in VIEW_STYLES if name != "focus-leaf"
]


@pytest.mark.parametrize(("example_name", "name"), VIEW_CASES)
def test_the_page_draws_what_the_svg_draws_for_each_view(example_name: str, name: str) -> None:
    style = VIEW_STYLES[name]
    graph = example(example_name)
    graph.backward()
    graph.has_gradients = True
    svg = render(graph, "svg", style=style).decode()
    page = render_html(example(example_name), style=style).decode()
    assert page_pieces(page) == drawn_pieces(svg)
    if style.focus is not None or style.view == "named":
        assert len(page_data(page.encode())["nodes"]) < len(graph)
    if style.compact:
        assert 'data-k="o"' not in page


def test_a_focus_page_steps_through_its_drawn_nodes_with_the_engines_numbers() -> None:
    whole = example("neuron")
    trace = trace_backward(whole)
    data = page_data(render_html(example("neuron"), style=Style(focus="_1", depth=1)))
    ids = [n["id"] for n in data["nodes"]]
    assert sorted(ids) == ["_1", "_3", "w1", "x1"]
    assert data["outputName"] == "o"
    # The engine's steps of the drawn nodes, in its order, each term its own.
    assert [ids[s["node"]] for s in data["steps"]] == ["_3", "_1"]
    engine = {whole.ids[s.node]: s for s in trace.steps}
    for s in data["steps"]:
        own = engine[ids[s["node"]]]
        assert s["grad"] == repr(own.gradient)
        drawn_terms = [c for c in own.contributions if whole.ids[c.child] in ids]
        assert [(ids[t[1]], t[3], t[4]) for t in s["terms"]] == [
            (whole.ids[c.child], repr(c.term), repr(c.total)) for c in drawn_terms
        ]
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes["_3"]["cutInputs"] == 1 and nodes["_3"]["cutUsers"] == 1
    assert nodes["_3"]["hidden"] == 1  # n's term, n not drawn
    assert nodes["_3"]["formula"] == "x1*w1 + x2*w2"  # the whole graph's formula
    assert nodes["_1"]["locals"] == [["w1", "-3.0"], ["x1", "2.0"]]
    for n in data["nodes"]:
        assert n["grad"] == repr(whole.node(n["id"]).grad)


def test_a_focus_page_keeps_the_rule_of_each_drawn_argument() -> None:
    # x1*w1 with x1 drawn and w1 cut: x1's rule stays "w1", not the first rule.
    data = page_data(render_html(example("neuron"), style=Style(focus="x1", depth=1)))
    nodes = {n["id"]: n for n in data["nodes"]}
    assert nodes["_1"]["locals"] == [["w1", "-3.0"]]
    assert nodes["_1"]["cutInputs"] == 1


@pytest.mark.parametrize("path", sorted(EXAMPLES.glob("*.yaml")), ids=lambda p: p.stem)
def test_a_named_page_passes_gradients_through_folded_formulas(path: Path) -> None:
    whole = example(path.stem)
    whole.backward()
    data = page_data(render_html(example(path.stem), style=Style(view="named")))
    sums: dict[int, float] = {}
    for s in data["steps"]:
        for t in s["terms"]:
            sums[t[1]] = sums.get(t[1], 0.0) + float(t[3])
    for k, n in enumerate(data["nodes"]):
        assert n["grad"] is None or n["grad"] == repr(whole.node(n["id"]).grad)
        if k in sums:  # the chain rule over named nodes adds up to backward's gradient
            assert sums[k] == pytest.approx(whole.node(n["id"]).grad, rel=1e-9, abs=1e-12)
    stepped = [data["nodes"][s["node"]]["id"] for s in data["steps"]]
    assert all(not node_id.startswith("_") for node_id in stepped)


# Named nodes whose formulas reuse each other: folded chain rules whose sums, made in
# another order or association than the engine's, differ from backward's in the last digits.
FOLDED = """\
values: {v0: -1.463, v1: 1.39, v2: 1.055}
nodes:
  n0: v1*v0*1.041 + v1*v1*1.338 + v0*v0*1.027
  n1: n0*n0*1.254 + v0*n0*0.606 + v1*v0*1.813
  n2: v0*v0*0.148 + n1*v0*1.884 + n0*v1*1.941
  n3: n2*v0*1.102 + n0*n0*1.150 + v2*v1*1.386
"""


# A formula of leaves only (x*y in a) made before the named node whose formula adds to
# the same argument later (b): the engine's sums interleave the two formulas' terms.
INTERLEAVED = """\
values: {x: 2.0, y: 3.0}
nodes:
  a: x*y + y
  b: x*x + a*x
"""


@pytest.mark.parametrize(
    "text",
    [*(p.read_text() for p in sorted(EXAMPLES.glob("*.yaml"))), FOLDED, INTERLEAVED],
    ids=[*(p.stem for p in sorted(EXAMPLES.glob("*.yaml"))), "folded", "interleaved"],
)
def test_a_named_pages_running_totals_add_up_and_end_at_backwards_gradients(
    text: str,
) -> None:
    whole = load_document(text.encode(), "spec.yaml")
    whole.backward()
    data = page_data(
        render_html(load_document(text.encode(), "spec.yaml"), style=Style(view="named"))
    )
    last: dict[int, str] = {}
    for s in data["steps"]:
        for t in s["terms"]:
            term, total = float(t[3]), float(t[4])
            assert term == pytest.approx(float(s["grad"]) * float(t[2]), rel=1e-9, abs=1e-12)
            before = float(last.get(t[1], "-0.0"))
            assert total == pytest.approx(before + term, rel=1e-12, abs=1e-12), (before, t)
            last[t[1]] = t[4]  # the running total after this term
    assert last
    for k, total in last.items():
        node = data["nodes"][k]
        assert total == node["grad"] == repr(whole.node(node["id"]).grad), node["id"]


def test_an_interleaved_named_pages_totals_step_from_one_formula_to_the_next() -> None:
    page = render_html(load_document(INTERLEAVED.encode(), "s.yaml"), style=Style(view="named"))
    data = page_data(page)
    x = next(k for k, n in enumerate(data["nodes"]) if n["id"] == "x")
    shown = [(float(t[3]), float(t[4])) for s in data["steps"] for t in s["terms"] if t[1] == x]
    assert shown == [(13.0, 13.0), (6.0, 19.0)]  # b passes 2x + a = 13, then a (grad x = 2) y·2


def test_cli_html_and_frames_honour_the_view_options(tmp_path: Path) -> None:
    spec = str(EXAMPLES / "neuron.yaml")
    out = tmp_path / "n.html"
    for args, count in ((["--view", "named"], 7), (["--focus", "_1", "--depth", "1"], 4)):
        result = invoke("render", "-f", "html", spec, *args, "-o", str(out))
        assert result.exit_code == 0, result.stderr
        assert len(page_data(out.read_bytes())["nodes"]) == count
    result = invoke("render", "-f", "html", spec, "--compact", "-o", str(out))
    assert result.exit_code == 0 and 'data-k="o"' not in out.read_text()
    frames = tmp_path / "frames"
    result = invoke(
        "render", "--frames", spec, "--focus", "_1", "--depth", "1", "--out-dir", str(frames)
    )
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in frames.iterdir()) == [f"step-00{k}.svg" for k in range(3)]
    last = (frames / "step-002.svg").read_text()
    assert "1 more input" in last and "used by 1 more" in last and ">w2<" not in last
