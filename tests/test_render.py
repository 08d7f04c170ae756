"""The drawing: micrograd's draw_dot as DOT and Mermaid, deterministic, styled and escaped.

Set GRADPIPE_REGENERATE_GOLDENS=1 to rewrite tests/golden/ from what gradpipe draws now,
then review the diff.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
from conftest import chain, nodes_of

from gradpipe import Value
from gradpipe.documents import load_document
from gradpipe.documents.graph import Graph, dump_document, graph_from_value
from gradpipe.engine import topological_order
from gradpipe.engine.ops import OP_SYMBOLS
from gradpipe.render import RenderError, render
from gradpipe.render.dot import FAST_LAYOUT_ATTRS, to_dot
from gradpipe.render.layout import embedded_program
from gradpipe.render.mermaid import to_mermaid

GOLDEN = Path(__file__).resolve().parent / "golden"
EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
REGENERATE = os.environ.get("GRADPIPE_REGENERATE_GOLDENS") == "1"
EDGE_LINE = re.compile(r'^\t("(?:[^"\\]|\\.)*") -> ("(?:[^"\\]|\\.)*")(?: \[.*\])?$', re.MULTILINE)


def neuron() -> Value:
    """The notes' neuron after backward: o = tanh(x1*w1 + x2*w2 + b) = 0.7071."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w₂")
    b = Value(6.8813735870195432, label="b")
    x1w1 = x1 * w1
    x1w1.label = "x1*w1"
    x2w2 = x2 * w2
    x2w2.label = "x2*w2"
    n = x1w1 + x2w2 + b
    n.label = "n"
    o = n.tanh()
    o.label = "o"
    o.backward()
    return o


def check_golden(name: str, actual: str) -> None:
    """Compare with tests/golden/NAME, or rewrite it when regenerating."""
    path = GOLDEN / name
    if REGENERATE:
        path.parent.mkdir(exist_ok=True)
        path.write_text(actual, encoding="utf-8", newline="\n")
    assert actual == path.read_text(encoding="utf-8")


def edges_of(dot: str) -> list[tuple[str, str]]:
    """Every edge statement as (tail, head), quoted names."""
    return EDGE_LINE.findall(dot)


def test_dot_is_deterministic_and_matches_golden() -> None:
    first = to_dot(graph_from_value(neuron(), name="neuron"))
    second = to_dot(graph_from_value(neuron(), name="neuron"))
    assert first == second
    check_golden("neuron.dot", first)


def test_render_graph_source_is_deterministic_and_matches_golden() -> None:
    graphviz = pytest.importorskip("graphviz")
    drawing = neuron().render_graph()
    assert isinstance(drawing, graphviz.Digraph)
    assert drawing.source == neuron().render_graph().source
    assert drawing.source == to_dot(graph_from_value(neuron()))
    check_golden("neuron_render_graph.dot", drawing.source)


def test_render_dot_is_to_dot_as_utf8() -> None:
    graph = graph_from_value(neuron(), name="neuron")
    assert render(graph, "dot") == to_dot(graph).encode("utf-8")
    assert "w₂".encode() in render(graph, "dot")


def test_records_are_drawn_like_draw_dot() -> None:
    dot = to_dot(graph_from_value(neuron(), name="neuron"))
    assert dot.startswith('digraph "neuron" {\n')
    assert "rankdir=LR" in dot
    assert "shape=record" in dot
    nodes = nodes_of(dot)
    assert 'label="{ x1 | data 2.0000 | grad -1.5000 }"' in nodes['"x1"']
    assert 'label="{ o | data 0.7071 | grad 1.0000 }"' in nodes['"o"']
    # The op node sits between the arguments and the result.
    edges = edges_of(dot)
    assert ('"n"', '"o.op"') in edges
    assert ('"o.op"', '"o"') in edges
    assert 'label="tanh"' in nodes['"o.op"']


def test_no_grad_part_before_backward() -> None:
    graph = graph_from_value(neuron(), name="neuron", gradients=False)
    dot = to_dot(graph)
    assert "grad" not in dot
    assert 'label="{ x1 | data 2.0000 }"' in nodes_of(dot)['"x1"']


def test_constants_have_no_grad_part() -> None:
    x = Value(3.0, label="x")
    y = x * 2
    y.label = "y"
    y.backward()
    nodes = nodes_of(to_dot(graph_from_value(y)))
    constant = next(attrs for attrs in nodes.values() if "data 2.0000" in attrs)
    assert "grad" not in constant
    assert "grad 2.0000" in nodes['"x"']


def test_leaves_constants_and_output_are_told_apart_by_style() -> None:
    x = Value(3.0, label="x")
    y = x * 2 + x
    y.label = "y"
    y.backward()
    graph = graph_from_value(y)
    nodes = nodes_of(to_dot(graph))
    constant = next(attrs for attrs in nodes.values() if "data 2.0000" in attrs)
    middle = next(attrs for attrs in nodes.values() if "data 6.0000" in attrs)
    assert 'style=filled fillcolor="#d6eaf8"' in nodes['"x"']
    assert 'style="filled,dashed"' in constant
    assert 'style="filled,bold"' in nodes['"y"']
    assert "penwidth=2" in nodes['"y"']
    assert "style" not in middle
    assert "shape=ellipse" in nodes['"y.op"']


def test_ops_on_literals_only_are_styled_as_constants() -> None:
    x = Value(3.0, label="x")
    eight = Value.constant(2.0, label="two") ** Value.constant(3.0, label="three")
    eight.label = "eight"
    y = x * eight
    y.label = "y"
    y.backward()
    dot = to_dot(graph_from_value(y))
    nodes = nodes_of(dot)
    assert eight.is_constant
    assert nodes['"eight"'].startswith('label="{ eight | data 8.0000 }" style="filled,dashed"')
    assert nodes['"two"'].startswith('label="{ two | data 2.0000 }" style="filled,dashed"')
    assert ('"eight.op"', '"eight"') in edges_of(dot)
    assert '\tn3["eight<br>data\u00a08.0000"]:::const\n' in to_mermaid(graph_from_value(y))


def test_shared_node_is_drawn_once_with_an_edge_per_use() -> None:
    a = Value(3.0, label="a")
    b = a + a
    b.label = "b"
    b.backward()
    dot = to_dot(graph_from_value(b))
    assert list(nodes_of(dot)) == ['"a"', '"b"', '"b.op"']
    assert edges_of(dot).count(('"a"', '"b.op"')) == 2
    assert "grad 2.0000" in nodes_of(dot)['"a"']


def parsed(dot: str) -> tuple[dict[str, dict[str, str]], list[tuple[str, str]]]:
    """Nodes (name -> effective attributes) and edges as the embedded Graphviz reads the DOT."""
    program = embedded_program()
    assert program is not None
    done = subprocess.run(
        [program, "-Tdot_json"], input=dot.encode(), capture_output=True, check=True
    )
    objects = json.loads(done.stdout)["objects"]
    names = {o["_gvid"]: o["name"] for o in objects}
    nodes = {o["name"]: o for o in objects if "nodes" not in o}
    edges = [(names[e["tail"]], names[e["head"]]) for e in json.loads(done.stdout)["edges"]]
    return nodes, edges


def test_widely_shared_leaf_is_drawn_once_per_use_and_marked() -> None:
    # 150 steps: w and b each have 150 edges across up to 600 ranks, past the budget.
    steps = 150
    nodes, edges = parsed(to_dot(graph_from_value(chain(steps))))
    copies = [name for name in nodes if name.startswith("w#")]
    assert copies, "w should be drawn once per use"
    assert len(copies) == steps - 1  # the node itself serves its nearest use
    drawn = ["w", *copies]
    assert {nodes[name]["fillcolor"] for name in drawn} == {nodes["w"]["fillcolor"]}
    assert {nodes[name]["label"] for name in drawn} == {nodes["w"]["label"]}
    assert nodes["w"]["label"].startswith("{ w | data 0.9000 | grad ")
    assert nodes["w"]["label"].endswith(f" | shared ×{steps} }}")
    for name in drawn:  # one edge each
        assert len([head for tail, head in edges if tail == name]) == 1
    # x is used once: drawn once, as a plain leaf.
    assert nodes["x"]["fillcolor"] == "#d6eaf8"


def test_small_graphs_draw_every_shared_node_once() -> None:
    # 50 steps: w and b used 50 times each, 200 ranks apart at most; still fast to lay out.
    dot = to_dot(graph_from_value(chain(50)))
    nodes = nodes_of(dot)
    assert '"w"' in nodes
    assert "shared" not in dot
    assert "#" not in "".join(nodes)
    assert edges_of(dot).count(('"w"', '"_1.op"')) == 1
    assert len([e for e in edges_of(dot) if e[0] == '"w"']) == 50


def test_micrograd_readme_draws_a_and_b_once() -> None:
    graph = load_document((EXAMPLES / "micrograd_readme.yaml").read_bytes(), "readme.yaml")
    graph.backward()
    graph.has_gradients = True
    dot = to_dot(graph)
    nodes = nodes_of(dot)
    assert "shared" not in dot
    assert 'label="{ a | data -4.0000 | grad 138.8338 }"' in nodes['"a"']
    assert len([tail for tail, _ in edges_of(dot) if tail == '"a"']) == 5


def test_split_is_chosen_from_the_layout_estimate_not_a_use_count() -> None:
    from gradpipe.render.plan import LAYOUT_BUDGET, plan

    # Used by every step of a chain: fine at 50 steps, too costly at 150.
    small, big = plan(graph_from_value(chain(50))), plan(graph_from_value(chain(150)))
    assert not small.split
    assert small.estimate <= LAYOUT_BUDGET
    assert big.split
    assert big.estimate <= LAYOUT_BUDGET
    # A wide sum of 500 leaves used twice each, side by side: short edges, never split.
    leaves = [Value(float(i), label=f"a{i}") for i in range(500)]
    wide = Value.sum([a * a for a in leaves])
    assert not plan(graph_from_value(wide)).split


def test_node_names_come_from_ids_never_from_object_ids() -> None:
    graph = graph_from_value(neuron(), name="neuron")
    names = set(nodes_of(to_dot(graph)))
    ops = {f'"{node_id}.op"' for node_id, v in graph if v.children}
    assert names == {f'"{node_id}"' for node_id in graph.ids} | ops


def test_dot_keywords_and_hostile_names_are_quoted() -> None:
    a, b = Value(1.0), Value(2.0)
    c = a * b
    graph = Graph('say "hi" \\', ["node", "graph", "edge"], [a, b, c], "edge", False)
    dot = to_dot(graph)
    assert dot.startswith('digraph "say \\"hi\\" \\\\" {\n')
    assert ('"node"', '"edge.op"') in edges_of(dot)


@pytest.mark.parametrize(
    ("op", "symbol"),
    [("add", "+"), ("sub", "-"), ("mul", "*"), ("div", "/"), ("pow", "**"), ("neg", "-")]
    + [(name, name) for name in ("exp", "log", "tanh", "relu", "sigmoid", "sum")],
)
def test_op_nodes_show_the_op_symbol(op: str, symbol: str) -> None:
    assert OP_SYMBOLS[op] == symbol
    x, y = Value(2.0, label="x"), Value(3.0, label="y")
    results = {
        "add": x + y,
        "sub": x - y,
        "mul": x * y,
        "div": x / y,
        "pow": x**y,
        "neg": -x,
        "exp": x.exp(),
        "log": x.log(),
        "tanh": x.tanh(),
        "relu": x.relu(),
        "sigmoid": x.sigmoid(),
        "sum": Value.sum([x, y]),
    }
    out = results[op]
    out.label = "out"
    assert f'label="{symbol}"' in nodes_of(to_dot(graph_from_value(out)))['"out.op"']


@pytest.mark.parametrize(
    ("value", "shown"),
    [
        (0.0, "0.0000"),
        (-1.5, "-1.5000"),
        (123456.78912, "123456.7891"),
        (1e10, "1.0000e+10"),
        (-2.5e-7, "-2.5000e-07"),
    ],
)
def test_numbers_show_four_decimals_or_an_exponent(value: float, shown: str) -> None:
    graph = graph_from_value(Value(value, label="v"), gradients=False)
    assert f"data {shown} }}" in to_dot(graph)


def test_big_graphs_get_the_fast_layout_settings() -> None:
    small = to_dot(graph_from_value(chain(3)))
    big = to_dot(graph_from_value(chain(150)))
    assert FAST_LAYOUT_ATTRS not in small
    assert FAST_LAYOUT_ATTRS in big.splitlines()[1]


def test_long_edges_to_shared_nodes_get_the_limited_layout_settings() -> None:
    from gradpipe.render.dot import LIMITED_ESTIMATE, LIMITED_LAYOUT_ATTRS
    from gradpipe.render.plan import plan

    # 27 steps (82 nodes) whose w and b, drawn once, reach into every step: Graphviz 2.43
    # took 15 s on it with splines and its default limits.
    graph = graph_from_value(chain(27))
    assert len(graph) < 300 and not plan(graph).split
    assert plan(graph).estimate > LIMITED_ESTIMATE
    head = to_dot(graph).splitlines()[1]
    assert LIMITED_LAYOUT_ATTRS in head and "nodesep" not in head
    assert "splines=line" in head
    assert LIMITED_LAYOUT_ATTRS not in to_dot(graph_from_value(chain(10)))


HOSTILE = [
    "{a}|<b>",
    'q"u\\o\\"te\\',
    "two\nlines",
    "&amp; &lt;x&gt; <b>bold</b>",
    "\\N \\G \\n",
    "w₂ ∂L/∂w",
    "\\",
]


def hostile_graph() -> Graph:
    """Leaves labelled with every character that means something to Graphviz or HTML."""
    leaves = [Value(float(i), label=text) for i, text in enumerate(HOSTILE)]
    out = Value.sum(leaves)
    out.label = "out"
    out.backward()
    nodes = topological_order([out])
    ids = [f"v{i}" for i in range(len(nodes) - 1)] + ["out"]
    return Graph("hostile", ids, nodes, "out", True)


def test_hostile_labels_are_escaped_in_dot() -> None:
    nodes = nodes_of(to_dot(hostile_graph()))
    assert nodes['"v0"'].startswith('label="{ \\{a\\}\\|\\<b\\> | data')
    assert nodes['"v1"'].startswith('label="{ q\\"u\\\\o\\\\\\"te\\\\ | data')
    assert nodes['"v2"'].startswith('label="{ two\\nlines | data')
    assert nodes['"v3"'].startswith(
        'label="{ &amp;amp; &amp;lt;x&amp;gt; \\<b\\>bold\\</b\\> | data'
    )
    assert nodes['"v4"'].startswith('label="{ \\\\N \\\\G \\\\n | data')


def test_control_characters_and_space_runs_stay_visible() -> None:
    leaf = Value(1.0, label="tab\there  two")
    nodes = nodes_of(to_dot(graph_from_value(leaf, gradients=False)))
    (attrs,) = nodes.values()
    assert attrs.startswith('label="{ tab␉here \\ two | data')


@pytest.mark.parametrize("separator", ["\u2028", "\u2029"], ids=repr)
def test_unicode_line_separators_break_lines_as_newlines_do(separator: str) -> None:
    # Graphviz's dot sized the record for the line break while the SVG drew one line, so
    # the label ran out of its field over the data beside it.
    leaf = Value(1.0, label=f"first half{separator}second half")
    graph = graph_from_value(leaf, gradients=False)
    (attrs,) = nodes_of(to_dot(graph)).values()
    assert attrs.startswith('label="{ first half\\nsecond half | data')
    texts = re.findall(r"<text[^>]*>([^<]*)</text>", render(graph, "svg").decode())
    assert "first half" in texts and "second half" in texts


def test_json_is_the_graph_document() -> None:
    graph = graph_from_value(neuron(), name="neuron")
    assert render(graph, "json") == dump_document(graph.to_document()).encode()


def test_unknown_format_is_an_error() -> None:
    with pytest.raises(RenderError, match="unknown format 'gif'"):
        render(graph_from_value(neuron()), "gif")


def test_mermaid_matches_golden_and_is_deterministic() -> None:
    first = to_mermaid(graph_from_value(neuron(), name="neuron"))
    assert first == to_mermaid(graph_from_value(neuron(), name="neuron"))
    assert first.startswith("flowchart LR\n")
    check_golden("neuron.mmd", first)
    assert render(graph_from_value(neuron(), name="neuron"), "mermaid") == first.encode()


def test_mermaid_styles_and_shared_node_once() -> None:
    a = Value(3.0, label="a")
    b = a + a * 2
    b.label = "b"
    b.backward()
    text = to_mermaid(graph_from_value(b))
    # One field per line, never wrapped inside: a no-break space within each field.
    assert '\tn0["a<br>data\u00a03.0000<br>grad\u00a03.0000"]:::leaf\n' in text
    assert '\tn1["_1<br>data\u00a02.0000"]:::const\n' in text
    assert '\tn3["b<br>data\u00a09.0000<br>grad\u00a01.0000"]:::output\n' in text
    assert '\tn3op(("+")):::op\n' in text
    assert text.count("\tn0 --> ") == 2
    assert text.count('\tn0["') == 1


def test_mermaid_escapes_hostile_labels() -> None:
    text = to_mermaid(hostile_graph())
    labels = re.findall(r'^\tn\d+\["(.*)"\]', text, re.MULTILINE)
    labels = [label.replace("\u00a0", " ") for label in labels]
    assert labels[0].startswith("{a}|#lt;b#gt;<br>data")
    assert labels[1].startswith("q#quot;u\\o\\#quot;te\\<br>data")
    assert labels[2].startswith("two<br>lines<br>data")
    assert labels[3].startswith("#amp;amp; #amp;lt;x#amp;gt; #lt;b#gt;bold#lt;/b#gt;<br>data")
    for label in labels:
        assert '"' not in label
        assert "<" not in label.replace("<br>", "")
    # Mermaid keywords as ids are harmless: ids are positions.
    assert set(re.findall(r"^\t(n\d+(?:op)?)[\[(]", text, re.MULTILINE)) <= {
        f"n{i}" for i in range(len(HOSTILE) + 1)
    } | {f"n{len(HOSTILE)}op"}


# The DOT writer works a column at a time; each column must say what the one-node rule says.
TRICKY_NUMBERS = [
    0.0,
    -0.0,
    1e-4,
    -1e-4,
    9.9999e-5,
    5e-5,
    4.9e-5,
    -0.00009,
    1e-300,
    5e-324,
    999999.99996,
    -999999.99996,
    1e6,
    -1e6,
    123456.78905,
    1.5,
    -2.25,
    3,
    1e300,
    float("inf"),
    float("-inf"),
    float("nan"),
]


def test_numbers_of_a_column_are_those_of_one_number() -> None:
    from gradpipe.render.labels import micrograd_number, micrograd_numbers

    assert micrograd_numbers(TRICKY_NUMBERS) == list(map(micrograd_number, TRICKY_NUMBERS))
    assert micrograd_numbers([]) == []


@pytest.mark.parametrize(
    "texts",
    [
        ["a", "b c", "x_1"],
        ["a ", " b"],  # a run of spaces only across the join: none in the texts
        ["a  b", "c"],
        ['q"', "{x}", "a|b", "<p>", "&", "\\", "t\tab", "nl\nx", "\x7f", "\ufffe"],
        ["L" * 1001, "short"],
        [],
    ],
)
def test_labels_of_a_column_are_escaped_as_one_label(texts: list[str]) -> None:
    from gradpipe.render.dot import _escape, _escape_all

    assert _escape_all(list(texts)) == list(map(_escape, texts))


@pytest.mark.parametrize("ids", [["a", "b"], ["node", "x y"], ['q"', "n\x00"], ["n" * 1500, "m"]])
def test_ids_of_a_column_are_those_of_one_id(ids: list[str]) -> None:
    from gradpipe.render.dot import _node_id, _node_ids

    assert _node_ids(ids) == [_node_id(node_id, i) for i, node_id in enumerate(ids)]


# Every character of the first two planes, alone, beside a space and between two, and the
# texts the fast tests could get wrong: runs of spaces, a special character among
# printable ones, a separator or a non-character among them.
CHARACTERS = [chr(c) for c in range(0x20000) if not 0xD800 <= c <= 0xDFFF]
TEXTS = [
    *CHARACTERS,
    *(f"a {c}" for c in CHARACTERS[:0x3000]),
    *(f" {c} " for c in CHARACTERS[:0x3000]),
    "  ",
    "a  b",
    "a b",
    "x1*w1 + x2*w2 + b",
    "a\u2028b",
    "tanh(q) | 2",
    "w\ufffe",
    'say "hi"',
]


def test_the_fast_tests_of_special_characters_find_what_the_patterns_find() -> None:
    """Printable text is tested at C speed, without compiling the patterns (README,
    figure 4): with the same answer as the patterns, for every character."""
    from gradpipe.render.dot import (
        _LABEL_SPECIAL,
        _QUOTE_SPECIAL,
        _label_special,
        _quoting_special,
    )

    label, quote = re.compile(_LABEL_SPECIAL), re.compile(_QUOTE_SPECIAL)
    assert [t for t in TEXTS if _label_special(t) != bool(label.search(t))] == []
    assert [t for t in TEXTS if _quoting_special(t) != bool(quote.search(t))] == []


def test_copies_of_shared_leaves_are_numbered_in_order_of_use() -> None:
    """Past the layout budget a shared leaf is drawn once per use: its nearest use takes
    the leaf, every other a copy numbered in order, and an op beside a copy holds its
    real argument harder."""
    w, b = Value(0.5, "w"), Value(0.1, "b")
    x = Value(1.0, "x")
    for _ in range(150):
        x = (x * w + b).tanh()
    graph = graph_from_value(x)
    x.backward()
    from gradpipe.render.dot import dot_lines

    text = "".join(dot_lines(graph))
    copies = [int(k) for k in re.findall(r'"w#(\d+)" -> ', text)]
    assert copies == list(range(1, 150))
    assert len(re.findall(r'\t"w" -> ', text)) == 1
    assert text.count("shared ×150") == 4  # w and b: the record, and its copies
    assert re.search(r'"_\d+" -> "_\d+\.op" \[weight=4\]', text)
