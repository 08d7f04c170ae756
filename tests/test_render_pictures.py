"""Pictures that teach at every size, held to their rules through the DOT they produce.

Edges under nodes, op bubbles on their results' lines, the direction, the compact records,
the named and focus views, local derivatives on edges, and the render command's formats
(from -o's extension, binary never on a terminal), Mermaid's limits and --backward.
"""

from __future__ import annotations

import json
import os
import pty
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from conftest import EXAMPLES, chain, invoke, nodes_of, run_gradpipe

from gradpipe import Value
from gradpipe.documents import load_document
from gradpipe.documents.graph import Graph, graph_from_value
from gradpipe.render import RenderError, render
from gradpipe.render.dot import Style, to_dot
from gradpipe.render.mermaid import to_mermaid
from gradpipe.render.plan import MIN_BAND_RANKS, WRAP_MIN_NODES, plan
from gradpipe.render.views import focus_view, local_derivatives, named_view

EDGE_LINE = re.compile(
    r'^\t("(?:[^"\\]|\\.)*") -> ("(?:[^"\\]|\\.)*")(?: \[(.*)\])?$', re.MULTILINE
)
NEURON = """\
values: {x1: 2.0, x2: 0.0, w1: -3.0, w2: 1.0, b: 6.8813735870195432}
nodes:
  n: x1*w1 + x2*w2 + b
  o: tanh(n)
"""


def example(name: str) -> Graph:
    """An example after backward."""
    path = EXAMPLES / f"{name}.yaml"
    graph = load_document(path.read_bytes(), str(path))
    graph.backward()
    return graph


def edges_of(dot: str) -> list[tuple[str, str, str]]:
    """(tail, head, attributes) of every edge statement."""
    return EDGE_LINE.findall(dot)


# --- the picture rules ---------------------------------------------------------------


@pytest.mark.parametrize("name", ["neuron", "micrograd_readme", "mlp"])
def test_edges_are_drawn_under_filled_nodes(name: str) -> None:
    dot = to_dot(example(name))
    head = dot.splitlines()[1]
    assert "outputorder=edgesfirst" in head
    # Every node is filled, so an edge passing under it is hidden.
    assert "style=filled fillcolor=white" in dot.splitlines()[2]
    for attrs in nodes_of(dot).values():
        style = re.search(r'style=("[^"]*"|\S+)', attrs)
        assert style is None or "filled" in style.group(1)


def test_each_op_bubble_is_tied_to_its_result() -> None:
    graph = example("micrograd_readme")
    dot = to_dot(graph)
    bubbles = [name for name in nodes_of(dot) if name.endswith('.op"')]
    assert len(bubbles) == sum(1 for v in graph.nodes if v._prev)
    ties = {(t, h): a for t, h, a in edges_of(dot) if t.endswith('.op"')}
    for bubble in bubbles:
        result = bubble[:-4] + '"'
        assert "weight=" in ties[(bubble, result)]
        assert int(re.search(r"weight=(\d+)", ties[(bubble, result)]).group(1)) > 1


def test_shared_node_has_one_statement_in_small_graphs() -> None:
    dot = to_dot(example("micrograd_readme"))
    nodes = nodes_of(dot)  # fails on a node stated twice
    assert not [name for name in nodes if "#" in name]
    assert "shared" not in dot
    assert sum(1 for t, _, _ in edges_of(dot) if t == '"b"') == 5


def test_direction_is_lr_for_small_graphs_and_chosen_for_big_ones() -> None:
    assert "rankdir=LR" in to_dot(example("neuron")).splitlines()[1]
    long_chain = graph_from_value(chain(150))  # 453 nodes, 900 ranks deep
    assert "rankdir=TB" in to_dot(long_chain).splitlines()[1]
    # A wide graph stays left to right.
    leaves = [Value(float(i), label=f"a{i}") for i in range(400)]
    wide = Value.sum([a * a for a in leaves])
    wide.backward()
    assert "rankdir=LR" in to_dot(graph_from_value(wide)).splitlines()[1]


@pytest.mark.parametrize("rankdir", ["LR", "TB"])
def test_rankdir_is_the_users_choice(rankdir: str) -> None:
    for graph in (example("neuron"), graph_from_value(chain(150))):
        assert f"rankdir={rankdir} " in to_dot(graph, Style(rankdir=rankdir)).splitlines()[1]


def test_long_chains_run_straight_past_the_copies() -> None:
    dot = to_dot(graph_from_value(chain(150)))
    # Copies serve their users; the real argument's edge pulls harder, so no drift.
    into_products = [a for t, h, a in edges_of(dot) if "#" not in t and h.endswith('.op"')]
    assert any("weight=4" in a for a in into_products)


CLUSTER_LINE = re.compile(
    r'^\tsubgraph "cluster_band(\d+)" \{ graph \[peripheries=0\] (.*) \}$', re.M
)


def bands_of(dot: str) -> dict[str, int]:
    """Each drawn node's band (its cluster) in a wrapped picture."""
    found: dict[str, int] = {}
    for band, members in CLUSTER_LINE.findall(dot):
        for name in re.findall(r'"(?:[^"\\]|\\.)*"', members):
            assert name not in found, f"{name} in two bands"
            found[name] = int(band)
    return found


@pytest.mark.parametrize(("steps", "compact"), [(100, False), (333, False), (333, True)])
def test_long_chains_wrap_into_columns_joined_by_connectors(steps: int, compact: bool) -> None:
    graph = graph_from_value(chain(steps))  # 3 nodes a step
    dot = to_dot(graph, Style(compact=compact))
    assert "rankdir=TB" in dot.splitlines()[1]
    band = bands_of(dot)
    nodes = nodes_of(dot)
    # Every drawn node is in a band: records, bubbles, notes, and copies (stated together).
    assert set(nodes) <= set(band)
    assert {n for t, h, _ in edges_of(dot) for n in (t, h)} == set(band)
    assert len(set(band.values())) >= 4
    # Op bubbles stay with their results; an edge never runs from one band into another:
    # it leaves by a connector ("→ head") and comes in by one ("tail →").
    for tail, head, _ in edges_of(dot):
        assert band[tail] == band[head], (tail, head)
    leaving = {n: a for n, a in nodes.items() if ".to" in n}
    coming = {n: a for n, a in nodes.items() if ".from" in n}
    assert len(leaving) == len(coming) == len(set(band.values())) - 1
    for name, attrs in leaving.items():
        edge = name[:-1].rsplit(".to", 1)[1]
        head = re.search(r'label="→ ([^"]*)"', attrs)[1]  # type: ignore[index]
        (tail,) = [t for t, h, _ in edges_of(dot) if h == name]
        (note,) = [n for n in coming if n.endswith(f'.from{edge}"')]
        (target,) = [h for t, h, _ in edges_of(dot) if t == note]
        assert json.loads(target).removesuffix(".op") == head
        assert f'label="{json.loads(tail)} →"' in coming[note]
        assert band[note] == band[target] != band[name] == band[tail]
    # Each band a run of consecutive steps: the chain reads column after column.
    steps_at = [band[f'"{i}"'] for i in graph.ids if f'"{i}"' in band and graph.node(i)._prev]
    assert steps_at == sorted(steps_at)


def test_a_wrapped_chain_lays_out_near_a_screens_aspect() -> None:
    if shutil.which("dot") is None and shutil.which("graphviz-pure") is None:
        pytest.skip("no Graphviz layout program")
    for steps in (100, 333, 666):
        svg = render(graph_from_value(chain(steps)), "svg").decode()
        size = re.search(r'width="([\d.]+)pt" height="([\d.]+)pt"', svg)
        assert size is not None
        aspect = float(size[1]) / float(size[2])
        assert 1.0 <= aspect <= 2.5, (steps, aspect)


def test_wrapping_leaves_graphs_of_many_cross_edges_and_the_users_lr_alone() -> None:
    long_chain = graph_from_value(chain(333))
    assert "cluster_band" not in to_dot(long_chain, Style(rankdir="LR"))
    assert "cluster_band" not in to_dot(example("micrograd_readme"))
    # A long DAG whose every step also uses the one three steps back: cut into bands, several
    # edges would leave each band for the next.
    hs = [Value(0.1 * i, label=f"h{i}") for i in range(3)]
    for _ in range(400):
        hs.append((hs[-1] + hs[-3]).tanh())
    hs[-1].backward()
    skipping = graph_from_value(hs[-1])
    assert plan(skipping).rank_count > 100 * MIN_BAND_RANKS // 10  # long enough to wrap
    assert "cluster_band" not in to_dot(skipping, Style(rankdir="TB"))


def formula_chain(steps: int) -> str:
    """A spec naming each step of x -> tanh(x*w + b): its named view runs as long."""
    lines = ["values: {x: 0.5, w: 0.9, b: 0.1}", "nodes:"]
    previous = "x"
    for k in range(1, steps + 1):
        lines.append(f"  h{k}: tanh({previous}*w + b)")
        previous = f"h{k}"
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("steps", [100, 400])
def test_a_named_view_of_a_long_chain_wraps_into_columns(tmp_path: Path, steps: int) -> None:
    spec = tmp_path / "chain.yaml"
    spec.write_text(formula_chain(steps))
    result = invoke("render", "--backward", "--view", "named", str(spec), "-f", "dot")
    assert result.exit_code == 0, result.output
    dot = result.stdout
    band = bands_of(dot)
    assert len(set(band.values())) >= 4
    assert "concentrate" not in dot  # merged edges are for fans, not columns
    # Each step's formula bubble is in its result's column; the steps read column after column.
    for k in range(1, steps + 1):
        assert band[f'"h{k}.op"'] == band[f'"h{k}"']
    steps_at = [band[f'"h{k}"'] for k in range(1, steps + 1)]
    assert steps_at == sorted(steps_at)
    strip = invoke(
        "render", "--backward", "--view", "named", "--rankdir", "LR", str(spec), "-f", "dot"
    )
    assert "cluster_band" not in strip.stdout  # the strip asked for


def test_a_view_wraps_where_the_whole_graph_would_though_it_has_fewer_nodes() -> None:
    # 90 named steps of literals only: the view has 91 nodes (under the 100 a whole graph
    # needs to wrap), the chain itself 451; both wrap, neither is a strip.
    lines = ["values: {x: 0.5}", "nodes:"]
    previous = "x"
    for k in range(1, 91):
        lines.append(f"  h{k}: tanh({previous}*0.9 + 0.1)")
        previous = f"h{k}"
    graph = load_document("\n".join(lines).encode(), "chain.yaml")
    graph.backward()
    view = named_view(graph)
    assert len(view.graph) < WRAP_MIN_NODES <= len(graph)
    assert "cluster_band" in to_dot(graph)
    band = bands_of(to_dot(view.graph, Style(view="named"), view))
    assert len(set(band.values())) >= 3
    # A small graph stays micrograd's strip, whole or viewed.
    small = load_document(NEURON.encode(), "neuron.yaml")
    small.backward()
    assert "cluster_band" not in to_dot(small, Style(view="named"), named_view(small))


@pytest.mark.parametrize("fmt", ["svg", "png", "pdf"])
def test_a_picture_left_a_strip_is_said_on_standard_error(tmp_path: Path, fmt: str) -> None:
    # 90 steps with w and b in each: its named view has the two leaves' edges across any
    # cut, so it cannot wrap; drawn, it is a strip hundreds of times longer than high.
    spec = tmp_path / "chain.yaml"
    spec.write_text(formula_chain(90))
    env = {**os.environ, "GRADPIPE_GRAPHVIZ": "embedded"}
    out = tmp_path / f"chain.{fmt}"
    done = run_gradpipe(
        "render",
        "--backward",
        "--view",
        "named",
        "chain.yaml",
        "-o",
        out.name,
        cwd=tmp_path,
        env=env,
    )
    assert done.returncode == 0, done.stderr
    assert out.stat().st_size > 0  # drawn all the same
    warning = re.fullmatch(
        r"chain\.yaml: warning: the picture is ([\d,]+) x ([\d,]+) (px|pt) \(([\d,]+) : 1\), "
        r"a strip too long to read whole: draw a part with --focus NODE\n",
        done.stderr,
    )
    assert warning is not None, done.stderr
    width, height = (float(warning[k].replace(",", "")) for k in (1, 2))
    assert width / height > 6
    # Pictures within bounds, wrapped ones and small graphs' (micrograd's strips) say nothing.
    (tmp_path / "lit.yaml").write_text(formula_chain(90).replace("*w + b", "*0.9 + 0.1"))
    for args in (
        ["lit.yaml"],
        ["--view", "named", "lit.yaml"],
        [str(EXAMPLES / "micrograd_readme.yaml")],
    ):
        quiet = run_gradpipe("render", "--backward", *args, "-o", out.name, cwd=tmp_path, env=env)
        assert (quiet.returncode, quiet.stderr) == (0, "")


def test_a_named_view_of_a_long_chain_keeps_a_screens_aspect(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("GRADPIPE_GRAPHVIZ", "embedded")
    spec = tmp_path / "chain.yaml"
    spec.write_text(formula_chain(140))
    out = tmp_path / "chain.png"
    result = invoke("render", "--backward", "--view", "named", str(spec), "-o", str(out))
    assert result.exit_code == 0, result.output
    head = out.read_bytes()[:24]
    width, height = int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")
    assert 1 / 3 <= width / height <= 3, (width, height)


def test_a_wrapped_chains_page_and_frames_tag_every_node() -> None:
    from gradpipe.render.html import render_html

    graph = graph_from_value(chain(100))
    page = render_html(graph).decode()
    tagged = set(re.findall(r'data-i="(\d+)" data-id="[^"]*" data-k="v"', page))
    assert len(tagged) == len(graph)


def test_wide_sums_stand_their_terms_over_several_ranks() -> None:
    leaves = [Value(float(i), label=f"a{i}") for i in range(300)]
    total = Value.sum([a * a for a in leaves])
    total.label = "total"
    total.backward()
    dot = to_dot(graph_from_value(total))
    lengths = {
        re.search(r"minlen=(\d+)", a).group(1)  # type: ignore[union-attr]
        for t, h, a in edges_of(dot)
        if h == '"total.op"'
    }
    assert len(lengths) > 1


def test_compact_style_puts_the_op_in_the_record_and_halves_the_nodes() -> None:
    graph = example("neuron")
    full, compact = to_dot(graph), to_dot(graph, Style(compact=True))
    assert len(nodes_of(compact)) == len(graph)
    assert len(nodes_of(full)) == len(graph) + sum(1 for v in graph.nodes if v._prev)
    assert ".op" not in compact
    assert 'label="{ tanh | tanh(n) | data 0.7071 | grad 1.0000 }"' in nodes_of(compact)['"o"']
    assert ('"n"', '"o"', "") in edges_of(compact)


# --- views ---------------------------------------------------------------------------


def test_named_view_keeps_named_nodes_and_shows_their_formulas() -> None:
    graph = example("neuron")
    view = named_view(graph)
    assert view.graph.ids == ["x1", "w1", "x2", "w2", "b", "n", "o"]
    dot = to_dot(view.graph, view=view)
    nodes = nodes_of(dot)
    assert nodes['"n.op"'].startswith('label="x1*w1 + x2*w2 + b"')
    assert nodes['"o.op"'].startswith('label="tanh(n)"')
    assert {t for t, h, _ in edges_of(dot) if h == '"n.op"'} == {
        '"x1"',
        '"w1"',
        '"x2"',
        '"w2"',
        '"b"',
    }
    # The values and gradients are the original's.
    assert "grad -1.5000" in nodes['"x1"']


@pytest.mark.parametrize(
    ("formula", "shown"),
    [
        ("(a + b)*c", "(a + b)*c"),
        ("a - (b - c)", "a - (b - c)"),
        ("a - b - c", "a - b - c"),
        ("a/(b*c)", "a/(b*c)"),
        ("-a**2", "-a**2"),
        ("(-a)**2", "(-a)**2"),
        ("a**b**c", "a**b**c"),
        ("(a**b)**c", "(a**b)**c"),
        ("exp(a*b) + 2", "exp(a*b) + 2"),
        ("sum(a, b*c, 0.5)", "sum(a, b*c, 0.5)"),
        ("relu(a) * -1", "relu(a)*-1"),
    ],
)
def test_folded_formulas_read_as_written(formula: str, shown: str) -> None:
    spec = f"values: {{a: 0.5, b: 1.5, c: 2.0}}\nnodes:\n  y: {formula}\n"
    graph = load_document(spec.encode(), "f.yaml")
    view = named_view(graph)
    assert view.bubbles[id(view.graph.node("y"))] == shown


def test_named_view_of_api_values_keeps_labelled_ones() -> None:
    a, b = Value(2.0, label="a"), Value(-3.0, label="b")
    e = a * b
    e.label = "e"
    d = e + 10
    d.backward()
    view = named_view(graph_from_value(d), labelled=True)
    assert [v.label for v in view.graph.nodes] == ["a", "b", "e", ""]
    assert view.bubbles[id(view.graph.nodes[-1])] == "e + 10"


def test_named_view_through_the_cli(tmp_path: Path) -> None:
    spec = tmp_path / "neuron.yaml"
    spec.write_text(NEURON)
    result = invoke("render", "--backward", "--view", "named", str(spec), "-f", "dot")
    assert result.exit_code == 0, result.output
    assert '"n.op" [label="x1*w1 + x2*w2 + b"' in result.stdout
    assert '"_1"' not in result.stdout


# Names a user may give that look like the ids gradpipe makes for anonymous nodes.
LOOKALIKES = """\
values: {x: 2.0, w: -3.0, _1: 1.0}
nodes:
  _3: x*w + _1
  n3: tanh(_3)*2
  _7: {expr: "n3 + x", label: "the sum"}
  loss: _7**2
"""
KEPT = {"x", "w", "_1", "_3", "n3", "_7", "loss"}


def value_nodes(dot: str) -> set[str]:
    """The ids drawn as value records (not op bubbles or stubs)."""
    return {
        json.loads(name)
        for name in nodes_of(dot)
        if not json.loads(name).endswith((".op", ".in", ".out"))
    }


def test_named_view_keeps_what_the_spec_names_whatever_it_looks_like() -> None:
    graph = load_document(LOOKALIKES.encode(), "l.yaml")
    assert len(graph) > len(KEPT)  # the anonymous x*w, tanh(_3), 2 and n3 + x exist
    view = named_view(graph)
    assert set(view.graph.ids) == KEPT
    bubbles = {graph_id: view.bubbles.get(id(v)) for graph_id, v in view.graph}
    assert bubbles["_3"] == "x*w + _1"
    assert bubbles["n3"] == "tanh(_3)*2"
    assert bubbles["_7"] == "n3 + x" and bubbles["loss"] == "_7**2"
    assert value_nodes(to_dot(view.graph, view=view)) == KEPT


def test_named_view_of_a_piped_graph_document_keeps_the_same_nodes(tmp_path: Path) -> None:
    spec = tmp_path / "l.yaml"
    spec.write_text(LOOKALIKES)
    document = invoke("backward", str(spec)).stdout_bytes
    result = invoke("render", "--view", "named", "-f", "dot", "-", stdin=document)
    assert result.exit_code == 0, result.stderr
    # A graph document does not say what its spec named: an _N id labelled otherwise than
    # by itself is gradpipe's anonymous node; the spec's _7 has a label of its own.
    assert value_nodes(result.stdout) == KEPT - {"_7"}
    assert '"_3.op" [label="x*w + _1"' in result.stdout


def test_named_view_of_api_values_keeps_labels_that_look_generated() -> None:
    x, w = Value(2.0, label="x"), Value(-3.0, label="_4")
    p = x * w
    p.label = "_2"
    q = p + 1.0  # unlabelled: folded
    r = q.tanh()
    r.label = "n3"
    r.backward()
    graph = graph_from_value(r)
    dot = render(graph, "dot", style=Style(view="named")).decode()
    assert value_nodes(dot) == {"x", "_4", "_2", "n3"}
    assert '"n3.op" [label="tanh(_2 + 1)"' in dot


def dot_stubs(dot: str) -> set[tuple[str, str, str]]:
    """(node id, "in" or "out", the stub's text) of each cut-edge stub of a DOT picture."""
    found = set()
    for name, attrs in nodes_of(dot).items():
        node_id = json.loads(name)
        if node_id.endswith((".in", ".out")):
            base, _, side = node_id.rpartition(".")
            found.add((base, side, re.match(r'label="([^"]*)"', attrs)[1]))  # type: ignore[index]
    return found


def mermaid_stubs(text: str, ids: list[str]) -> set[tuple[str, str, str]]:
    found = set()
    for k, side, label in re.findall(r'^\tn(\d+)(in|out)\["([^"]*)"\]:::stub$', text, re.M):
        found.add((ids[int(k)], side, label))
        edge = f"\tn{k}in -.-> n{k}op" if side == "in" else f"\tn{k} -.-> n{k}out"
        assert edge in text
    return found


@pytest.mark.parametrize(
    ("name", "focus", "depth"),
    [("neuron", "_3", 1), ("neuron", "x1", 1), ("micrograd_readme", "d2", 1), ("mlp", "h1", 2)],
)
def test_mermaid_focus_marks_cut_edges_as_dot_does(name: str, focus: str, depth: int) -> None:
    graph = example(name)
    style = Style(focus=focus, depth=depth)
    view = focus_view(graph, focus, depth)
    dot = to_dot(view.graph, style, view)
    text = render(graph, "mermaid", style=style).decode()
    stubs = mermaid_stubs(text, view.graph.ids)
    assert stubs and stubs == dot_stubs(dot)
    focus_at = view.graph.ids.index(focus)
    assert text.endswith(f"\tclass n{focus_at} focus\n")
    assert "classDef focus stroke:#c0392b" in text
    assert ":::stub" not in render(graph, "mermaid").decode()  # the whole graph: no stubs


@pytest.mark.parametrize("view", ["--view named", "--focus n", "--focus n --depth 1"])
def test_json_of_a_view_is_refused_as_wrong_usage(tmp_path: Path, view: str) -> None:
    # A view's nodes fold formulas (n = x1*w1 + x2*w2 + b: an add of five arguments) or
    # lack their cut inputs: as a graph document, backward would refuse it.
    args = view.split()
    part = " ".join(args[:2]) if args[0] == "--view" else "--focus"
    (tmp_path / "neuron.yaml").write_text(NEURON)
    spec = tmp_path / "neuron.yaml"
    for out in (["-f", "json"], ["-o", str(tmp_path / "view.json")]):
        result = run_gradpipe("render", "--backward", *args, str(spec), *out, cwd=tmp_path)
        assert result.returncode == 2
        assert result.stdout == ""
        assert result.stderr.splitlines()[-1] == (
            f"Error: -f json writes the whole graph document; {part} draws a part of it that "
            f"no graph document holds: drop {part}, or draw it with -f svg, png, pdf, dot, "
            "mermaid or html"
        )
        assert "Traceback" not in result.stderr
    assert not (tmp_path / "view.json").exists()
    # The whole graph's document is what json writes, and backward reads it back.
    whole = run_gradpipe("render", "--backward", str(spec), "-f", "json", cwd=tmp_path)
    assert whole.returncode == 0
    again = run_gradpipe("backward", "-", cwd=tmp_path, stdin=whole.stdout)
    assert again.returncode == 0, again.stderr
    # From the API, the same refusal: no invalid document is ever written.
    graph = load_document(NEURON.encode(), "neuron.yaml")
    graph.backward()
    for style in (Style(view="named"), Style(focus="n")):
        with pytest.raises(RenderError, match="json is the whole graph document"):
            render(graph, "json", style=style)


def test_focus_draws_a_neighbourhood_and_marks_cut_edges() -> None:
    graph = example("micrograd_readme")
    view = focus_view(graph, "d2", depth=1)
    assert set(view.graph.ids) == {"d1", "_14", "d2", "_16", "d3"}
    dot = to_dot(view.graph, view=view)
    nodes = nodes_of(dot)
    assert 'color="#c0392b" penwidth=3' in nodes['"d2"']
    assert nodes['"_16.in"'].startswith('label="1 more input"')
    assert nodes['"d1.out"'].startswith('label="used by 1 more"')
    assert ('"d1"', '"d1.out"', 'style=dashed color="#aaaaaa"') in edges_of(dot)
    # A node whose inputs are all cut still shows its op, fed by the stub.
    assert '"_14.op"' in nodes
    assert ('"_14.in"', '"_14.op"', 'style=dashed color="#aaaaaa"') in edges_of(dot)
    # The output is not in the view: nothing is styled as the output.
    assert "penwidth=2" not in dot


def test_focus_depth_zero_is_the_node_alone() -> None:
    view = focus_view(example("neuron"), "n", depth=0)
    assert view.graph.ids == ["n"]


def test_focus_on_an_unknown_node_is_an_error(tmp_path: Path) -> None:
    spec = tmp_path / "neuron.yaml"
    spec.write_text(NEURON)
    result = invoke("render", str(spec), "--focus", "nn", "-f", "dot")
    assert result.exit_code == 1
    assert "--focus: no node 'nn' in the graph (did you mean 'n'?)" in result.stderr


@pytest.mark.parametrize(
    "args",
    [["--depth", "2"], ["--focus", "n", "--view", "named"]],
)
def test_focus_options_misused_are_wrong_usage(tmp_path: Path, args: list[str]) -> None:
    spec = tmp_path / "neuron.yaml"
    spec.write_text(NEURON)
    assert invoke("render", str(spec), "-f", "dot", *args).exit_code == 2


def test_view_limits_apply_to_what_is_drawn() -> None:
    graph = example("micrograd_readme")
    svg = render(graph, "svg", layout_limit=10, style=Style(focus="d2", depth=1))
    assert svg.rstrip().endswith(b"</svg>")


# --- derivatives on edges ------------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "expected"),
    [
        ("a*b", [1.5, 0.5]),
        ("a + b", [1.0, 1.0]),
        ("a - b", [1.0, -1.0]),
        ("a/b", [1 / 1.5, -0.5 / 1.5**2]),
        ("a**b", [1.5 * 0.5**0.5, 0.5**1.5 * -0.6931471805599453]),
        ("tanh(a)", [1 - 0.46211715726000974**2]),
        ("relu(a)", [1.0]),
        ("exp(a)", [1.6487212707001282]),
        ("log(a)", [2.0]),
        ("-a", [-1.0]),
    ],
)
def test_local_derivatives_follow_the_op_table(formula: str, expected: list[float]) -> None:
    spec = f"values: {{a: 0.5, b: 1.5}}\nnodes:\n  y: {formula}\n"
    graph = load_document(spec.encode(), "f.yaml")
    assert local_derivatives(graph.node("y")) == pytest.approx(expected)


def test_edge_grads_label_every_edge_with_its_local_derivative() -> None:
    dot = to_dot(example("neuron"), Style(edge_grads=True))
    labels = {(t, h): a for t, h, a in edges_of(dot)}
    assert 'label="∂ -3.0000"' in labels[('"x1"', '"_1.op"')]
    assert 'label="∂ 2.0000"' in labels[('"w1"', '"_1.op"')]
    assert 'label="∂ 0.5000"' in labels[('"n"', '"o.op"')]
    assert "\tn0 -->|∂ -3.0000| n2op\n" in to_mermaid(example("neuron"), Style(edge_grads=True))


def test_edge_grads_are_written_in_the_pictures_font() -> None:
    # Edge labels took Graphviz's default, Times, beside Helvetica everywhere else.
    svg = render(example("neuron"), "svg", style=Style(edge_grads=True)).decode()
    fonts = set(re.findall(r'font-family="([^"]*)"', svg))
    assert fonts == {"Helvetica,sans-Serif"}, fonts


def test_edge_grads_in_the_named_view_go_through_the_folded_formula() -> None:
    spec = "values: {a: 2.0, b: 3.0}\nnodes:\n  y: a*a*b + b\n"
    graph = load_document(spec.encode(), "f.yaml")
    graph.backward()
    view = named_view(graph, derivatives=True)
    y = view.graph.node("y")
    assert view.derivatives[id(y)] == pytest.approx([2 * 2.0 * 3.0, 2.0**2 + 1])
    dot = to_dot(view.graph, Style(edge_grads=True), view)
    assert '"a" -> "y.op" [label="∂ 12.0000"' in dot


# --- formats ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "magic"),
    [
        ("n.svg", b"<?xml"),
        ("n.png", b"\x89PNG"),
        ("n.dot", b"digraph"),
        ("n.gv", b"digraph"),
        ("n.json", b"{"),
        ("n.mmd", b"flowchart"),
        ("n", b"<?xml"),
    ],
)
def test_format_comes_from_the_extension(tmp_path: Path, name: str, magic: bytes) -> None:
    spec = tmp_path / "neuron.yaml"
    spec.write_text(NEURON)
    out = tmp_path / name
    result = invoke("render", str(spec), "-o", str(out))
    assert result.exit_code == 0, result.output
    assert out.read_bytes().startswith(magic)


@pytest.mark.skipif(
    shutil.which("dot") is None and shutil.which("rsvg-convert") is None,
    reason="pdf needs Graphviz's dot or rsvg-convert",
)
def test_pdf_from_the_extension(tmp_path: Path) -> None:
    spec = tmp_path / "neuron.yaml"
    spec.write_text(NEURON)
    assert invoke("render", str(spec), "-o", str(tmp_path / "n.pdf")).exit_code == 0
    assert (tmp_path / "n.pdf").read_bytes().startswith(b"%PDF-")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["-f", "svg", "-o", "n.png"], "-f svg contradicts -o n.png (a .png file)"),
        (["-f", "dot", "-o", "n.json"], "-f dot contradicts -o n.json (a .json file)"),
        (["-f", "json", "-o", "n.gv"], "-f json contradicts -o n.gv (a .gv file)"),
    ],
)
def test_format_and_extension_at_odds_is_wrong_usage(
    tmp_path: Path, args: list[str], message: str
) -> None:
    spec = tmp_path / "neuron.yaml"
    spec.write_text(NEURON)
    os.chdir(tmp_path)
    result = invoke("render", str(spec), *args)
    assert result.exit_code == 2
    assert message in result.stderr
    assert not list(tmp_path.glob("n.*"))


def test_an_extension_that_names_no_format_takes_f_or_svg(tmp_path: Path) -> None:
    spec = tmp_path / "neuron.yaml"
    spec.write_text(NEURON)
    out = tmp_path / "n.txt"
    assert invoke("render", str(spec), "-f", "dot", "-o", str(out)).exit_code == 0
    assert out.read_bytes().startswith(b"digraph")
    assert invoke("render", str(spec), "-o", str(out)).exit_code == 0
    assert out.read_bytes().startswith(b"<?xml")


@pytest.mark.parametrize(
    ("fmt", "args"),
    [("png", ["-f", "png"]), ("pdf", ["-f", "pdf"]), ("png", ["-o", "-", "-f", "png"])],
)
def test_binary_formats_are_refused_on_a_terminal(
    tmp_path: Path, fmt: str, args: list[str]
) -> None:
    spec = tmp_path / "neuron.yaml"
    spec.write_text(NEURON)
    leader, follower = pty.openpty()
    try:
        done = subprocess.run(
            [sys.executable, "-m", "gradpipe", "render", str(spec), *args],
            stdout=follower,
            stderr=subprocess.PIPE,
            timeout=60,
            check=False,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2
    assert f"-f {fmt} is binary: write it with -o FILE or into a pipe".encode() in done.stderr


@pytest.mark.parametrize("command", [["render"], ["sweep", "--vary", "x1=0:1:1"]])
def test_binary_formats_are_refused_for_an_output_file_that_is_a_terminal(
    tmp_path: Path, command: list[str]
) -> None:
    spec = tmp_path / "neuron.yaml"
    spec.write_text(NEURON)
    leader, follower = pty.openpty()
    args = [*command, "-f", "png", "-o", os.ttyname(follower)]
    try:
        done = subprocess.run(
            [sys.executable, "-m", "gradpipe", args[0], str(spec), *args[1:]],
            capture_output=True,
            timeout=60,
            check=False,
        )
    finally:
        os.close(follower)
        os.close(leader)
    assert done.returncode == 2, done.stderr
    assert b"-f png is binary: write it with -o FILE or into a pipe" in done.stderr


def test_binary_formats_go_to_a_pipe(tmp_path: Path) -> None:
    spec = tmp_path / "neuron.yaml"
    spec.write_text(NEURON)
    done = subprocess.run(
        [sys.executable, "-m", "gradpipe", "render", str(spec), "-f", "png"],
        capture_output=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith(b"\x89PNG")


def test_backward_computes_the_gradients_in_one_process(tmp_path: Path) -> None:
    spec = tmp_path / "neuron.yaml"
    spec.write_text(NEURON)
    plain = invoke("render", str(spec), "-f", "json")
    assert all(n["grad"] is None for n in json.loads(plain.stdout)["nodes"])
    drawn = invoke("render", "--backward", str(spec), "-f", "dot")
    assert '"x1" [label="{ x1 | data 2.0000 | grad -1.5000 }"' in drawn.stdout
    piped = invoke("backward", str(spec))
    assert invoke("render", "-f", "dot", stdin=piped.stdout).stdout == drawn.stdout


# --- Mermaid ---------------------------------------------------------------------------


def test_mermaid_has_one_field_per_line_unbroken() -> None:
    text = to_mermaid(example("neuron"))
    assert '\tn0["x1<br>data\u00a02.0000<br>grad\u00a0-1.5000"]:::leaf\n' in text


def test_mermaid_warns_past_500_edges(tmp_path: Path) -> None:
    terms = " + ".join(f"x*{i + 1}" for i in range(200))
    big = tmp_path / "big.yaml"
    big.write_text(f"values: {{x: 1.0}}\nnodes:\n  y: {terms}\n")
    result = invoke("render", str(big), "-f", "mermaid")
    assert result.exit_code == 0
    assert "warning:" in result.stderr
    assert "maxEdges" in result.stderr
    assert "--view named or --focus NODE" in result.stderr
    named = invoke("render", str(big), "-f", "mermaid", "--view", "named")
    assert "maxEdges" not in named.stderr  # y is one named node: folded, few edges
    wide = (
        " + ".join(f"x*{i + 1}" for i in range(200))
        + "\n"
        + "".join(f"  t{i}: x*{i + 1}\n" for i in range(300))
    )
    many = tmp_path / "many.yaml"
    total = " + ".join(f"t{i}" for i in range(300))
    many.write_text(f"values: {{x: 1.0}}\nnodes:\n  y: {wide}  z: {total}\n")
    named = invoke("render", str(many), "-f", "mermaid", "--view", "named")
    assert "maxEdges" in named.stderr and "draw a part with --focus NODE" in named.stderr
    small = tmp_path / "small.yaml"
    small.write_text(NEURON)
    assert invoke("render", str(small), "-f", "mermaid").stderr == ""
