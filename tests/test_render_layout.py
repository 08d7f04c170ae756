"""Pictures: SVG through the embedded graphviz-pure always, through native dot when present;
PNG's missing-dot message; the layout limit; layout failures as RenderError."""

from __future__ import annotations

import html
import re
import shutil

import pytest

from gradpipe import Value
from gradpipe.documents.graph import Graph, graph_from_value
from gradpipe.engine import topological_order
from gradpipe.render import RenderError, render
from gradpipe.render.diagram import Diagram
from gradpipe.render.dot import Style, to_dot
from gradpipe.render.layout import GRAPHVIZ_ENV, embedded_program, layout

HAS_DOT = shutil.which("dot") is not None
needs_dot = pytest.mark.skipif(not HAS_DOT, reason="Graphviz's dot is not installed")
HOSTILE = ["{a}|<b>", 'q"u\\o\\"te\\', "&amp; &lt;x&gt; <b>bold</b>", "\\N \\G", "w₂ ∂L/∂w"]


def neuron() -> Graph:
    """o = tanh(x1*w1 + x2*w2 + b) after backward."""
    x1, x2 = Value(2.0, label="x1"), Value(0.0, label="x2")
    w1, w2 = Value(-3.0, label="w1"), Value(1.0, label="w₂")
    b = Value(6.8813735870195432, label="b")
    o = (x1 * w1 + x2 * w2 + b).tanh()
    o.label = "o"
    o.backward()
    return graph_from_value(o, name="neuron")


def hostile() -> Graph:
    """Leaves labelled with Graphviz's and HTML's special characters, and two lines."""
    leaves = [Value(float(i), label=text) for i, text in enumerate([*HOSTILE, "two\nlines"])]
    out = Value.sum(leaves)
    out.label = "out"
    out.backward()
    nodes = topological_order([out])
    return Graph("hostile", [f"v{i}" for i in range(len(nodes))], nodes, f"v{len(nodes) - 1}")


def svg_texts(svg: bytes) -> list[str]:
    """The text of every <text> element, entities decoded."""
    return [html.unescape(t) for t in re.findall(r"<text[^>]*>(.*?)</text>", svg.decode())]


@pytest.fixture
def embedded(monkeypatch: pytest.MonkeyPatch) -> None:
    """Force the embedded graphviz-pure, whatever is installed."""
    monkeypatch.setenv(GRAPHVIZ_ENV, "embedded")


@pytest.fixture
def native(monkeypatch: pytest.MonkeyPatch) -> None:
    """Force Graphviz's own dot."""
    monkeypatch.setenv(GRAPHVIZ_ENV, "native")


@pytest.fixture
def no_path(monkeypatch: pytest.MonkeyPatch) -> None:
    """A machine without Graphviz: nothing on PATH."""
    monkeypatch.setenv("PATH", "")
    monkeypatch.delenv(GRAPHVIZ_ENV, raising=False)


@pytest.mark.usefixtures("embedded")
def test_svg_through_embedded_graphviz_is_deterministic() -> None:
    svg = render(neuron(), "svg")
    assert svg.startswith(b"<?xml")
    assert b"graphviz-pure" in svg
    assert svg.rstrip().endswith(b"</svg>")
    texts = svg_texts(svg)
    assert texts[:3] == ["x1", "data 2.0000", "grad -1.5000"]
    assert "w₂" in texts
    assert render(neuron(), "svg") == svg


@needs_dot
@pytest.mark.usefixtures("native")
def test_svg_through_native_dot_is_deterministic() -> None:
    svg = render(neuron(), "svg")
    assert svg.startswith(b"<?xml")
    assert b"graphviz-pure" not in svg
    assert "grad -1.5000" in svg_texts(svg)
    assert render(neuron(), "svg") == svg


@pytest.mark.usefixtures("no_path")
def test_svg_works_without_graphviz_on_path() -> None:
    assert embedded_program() is not None
    svg = render(neuron(), "svg")
    assert b"graphviz-pure" in svg


@pytest.mark.parametrize("program", ["embedded", pytest.param("native", marks=needs_dot)])
def test_hostile_labels_lay_out_and_read_as_written(
    program: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(GRAPHVIZ_ENV, program)
    texts = svg_texts(render(hostile(), "svg"))
    for label in HOSTILE:
        assert label in texts
    assert texts[texts.index("two") + 1] == "lines"


@pytest.mark.usefixtures("embedded")
def test_dot_keywords_as_ids_lay_out() -> None:
    a, b = Value(1.0, label="a"), Value(2.0, label="b")
    c = a * b
    graph = Graph('say "hi" \\', ["node", "graph", "edge"], [a, b, c], "edge", False)
    svg = render(graph, "svg")
    assert "data 2.0000" in svg_texts(svg)


@pytest.mark.usefixtures("no_path")
def test_png_without_dot_comes_from_the_embedded_graphviz() -> None:
    assert render(neuron(), "png").startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.usefixtures("embedded")
def test_png_with_embedded_forced() -> None:
    assert render(neuron(), "png").startswith(b"\x89PNG\r\n\x1a\n")


@needs_dot
@pytest.mark.usefixtures("native")
def test_pdf_through_native_dot() -> None:
    assert render(neuron(), "pdf").startswith(b"%PDF-")


@needs_dot
@pytest.mark.usefixtures("native")
def test_pdf_through_native_dot_carries_a_fixed_date() -> None:
    # dot's cairo stamps the time of the run (same bytes only within one second without this)
    pdf = render(neuron(), "pdf")
    dates = re.findall(rb"/(?:CreationDate|ModDate) \((D:\d+)", pdf)
    assert dates and set(dates) == {b"D:19700101000000"}


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="rsvg-convert is not installed")
@pytest.mark.usefixtures("embedded")
def test_pdf_without_dot_is_the_embedded_svg_converted_by_librsvg() -> None:
    assert render(neuron(), "pdf").startswith(b"%PDF-")


@pytest.mark.usefixtures("no_path")
def test_pdf_without_dot_or_librsvg_says_what_to_install() -> None:
    with pytest.raises(RenderError) as raised:
        render(neuron(), "pdf")
    assert raised.value.message.startswith(
        "pdf needs Graphviz's dot program or librsvg's rsvg-convert, and neither is on PATH: "
        "install Graphviz"
    )
    assert raised.value.message.endswith("or use -f svg or -f png")


@needs_dot
def test_png_through_native_dot() -> None:
    assert render(neuron(), "png").startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.usefixtures("no_path")
def test_forcing_native_without_dot_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(GRAPHVIZ_ENV, "native")
    with pytest.raises(RenderError, match=f"{GRAPHVIZ_ENV}=native but Graphviz's dot"):
        render(neuron(), "svg")


def test_unknown_graphviz_choice_is_an_error(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(GRAPHVIZ_ENV, "wasm")
    with pytest.raises(RenderError, match="GRADPIPE_GRAPHVIZ='wasm' is not one of auto, native"):
        render(neuron(), "svg")


@pytest.mark.usefixtures("embedded")
def test_layout_failure_is_a_render_error() -> None:
    with pytest.raises(RenderError, match=r"graphviz-pure failed \(exit status [1-9]"):
        layout(b"digraph { a -> }", "svg")


def test_too_big_a_graph_is_refused_before_any_layout(monkeypatch: pytest.MonkeyPatch) -> None:
    def no_program(*args: object, **kwargs: object) -> None:
        raise AssertionError("layout started")

    monkeypatch.setattr("gradpipe.render.layout._run", no_program)
    graph = neuron()
    for fmt in ("svg", "png", "pdf"):
        with pytest.raises(RenderError) as raised:
            render(graph, fmt, layout_limit=5)
        assert raised.value.message == (
            "graph 'neuron' has 10 nodes, more than --layout-limit 5; raise --layout-limit, "
            "draw a part (--view named or --focus NODE), or use -f dot/json/mermaid"
        )
    named = Style(view="named")
    with pytest.raises(RenderError, match=r"draw a part \(--focus NODE\)"):
        render(graph, "svg", layout_limit=5, style=named)  # the named part has 7 nodes
    near = Style(focus="o", depth=3)
    with pytest.raises(RenderError, match=r"draw a part \(a smaller --depth than 3\)"):
        render(graph, "svg", layout_limit=2, style=near)
    for part in (named, near):  # json is never a view's (see test_render_pictures)
        with pytest.raises(RenderError, match=r"or use -f dot/mermaid$"):
            render(graph, "svg", layout_limit=2, style=part)
    # Text formats need no layout: no limit.
    for fmt in ("dot", "json", "mermaid"):
        assert render(graph, fmt, layout_limit=5)


@pytest.mark.usefixtures("no_path")
def test_jupyter_svg_works_without_graphviz_on_path() -> None:
    a = Value(2.0, label="a")
    b = a * a
    b.label = "b"
    drawing = b.render_graph()
    assert isinstance(drawing, Diagram)
    svg = drawing._repr_image_svg_xml()
    assert svg.startswith("<?xml")
    assert "data 4.0000" in svg_texts(svg.encode())
    assert drawing.source == to_dot(graph_from_value(b))


# --- the aspect a big picture keeps ----------------------------------------------------

SVG_SIZE = re.compile(r'width="([\d.]+)pt" height="([\d.]+)pt"')


def svg_size(svg: bytes) -> tuple[float, float]:
    """The width and height of an SVG, in points."""
    found = SVG_SIZE.search(svg.decode())
    assert found is not None
    return float(found[1]), float(found[2])


def polygon_widths(svg: bytes) -> list[float]:
    """The width of each record's outline (unfilled; arrowheads are filled), in order."""
    widths = []
    for points in re.findall(r'<polygon fill="none" stroke="[^"]*" points="([^"]*)"', svg.decode()):
        xs = [float(p.split(",")[0]) for p in points.split()]
        widths.append(round(max(xs) - min(xs), 1))
    assert widths
    return widths


def fan_dot(rows: int, rankdir: str) -> bytes:
    """``rows`` records on one rank, each into one sum: tall drawn LR, wide drawn TB."""
    records = "".join(
        f'\t"a{i}" [label="{{ a{i} | data 1.0000 | grad 1.0000 }}"]\n\t"a{i}" -> "s"\n'
        for i in range(rows)
    )
    return (
        f"digraph fan {{\n\tgraph [rankdir={rankdir}]\n\tnode [shape=record]\n{records}}}\n"
    ).encode()


@pytest.mark.parametrize("program", ["embedded", pytest.param("native", marks=needs_dot)])
@pytest.mark.parametrize(("rows", "rankdir"), [(24, "LR"), (6, "TB")])
def test_a_layout_past_one_to_three_is_stretched_to_it_nodes_unchanged(
    program: str, rows: int, rankdir: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(GRAPHVIZ_ENV, program)
    dot = fan_dot(rows, rankdir)
    plain = layout(dot, "svg")
    width, height = svg_size(plain)
    long_side, short_side = max(width, height), min(width, height)
    assert 3 < long_side / short_side < 6  # past the bound, not a strip
    kept = layout(dot, "svg", keep_aspect=True)
    new_width, new_height = svg_size(kept)
    assert max(new_width, new_height) == pytest.approx(long_side, abs=2)  # the long side stays
    # The layout's box (the SVG less Graphviz's 4 pt pad all round) is 3 : 1 or 1 : 3.
    inner = (new_width - 8) / (new_height - 8)
    assert max(inner, 1 / inner) == pytest.approx(3, rel=0.01)
    assert polygon_widths(kept) == polygon_widths(plain)  # positions spread, not the nodes
    assert svg_texts(kept) == svg_texts(plain)


@pytest.mark.parametrize("program", ["embedded", pytest.param("native", marks=needs_dot)])
def test_labelled_edges_past_the_bound_are_drawn_stretched_or_as_laid_out(
    program: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Graphviz 2.43's neato -n2 with a ratio crashes on any edge label (--edge-grads):
    # the picture is then the one laid out, never an error.
    monkeypatch.setenv(GRAPHVIZ_ENV, program)
    dot = fan_dot(24, "LR").replace(b'-> "s"', b'-> "s" [label="1.0000"]')
    plain = layout(dot, "svg")
    kept = layout(dot, "svg", keep_aspect=True)
    assert svg_texts(kept) == svg_texts(plain)
    assert kept == plain or svg_size(kept) != svg_size(plain)


def test_a_redrawing_that_fails_leaves_the_picture_as_laid_out(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gradpipe.render.layout as layout_module

    monkeypatch.setenv(GRAPHVIZ_ENV, "embedded")
    real = layout_module.run_program

    def crashing(command: list[str], data: bytes, *args: object, **options: bool) -> bytes:
        if "-n2" in command:
            raise RenderError("dot failed (killed by SIGSEGV): no output")
        return real(command, data, *args, **options)  # type: ignore[arg-type]

    dot = fan_dot(24, "LR")
    plain = layout(dot, "svg")
    monkeypatch.setattr(layout_module, "run_program", crashing)
    assert layout(dot, "svg", keep_aspect=True) == plain


@pytest.mark.parametrize("program", ["embedded", pytest.param("native", marks=needs_dot)])
def test_layouts_within_the_bound_or_strips_are_drawn_as_laid_out(
    program: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(GRAPHVIZ_ENV, program)
    strip = to_dot(graph_from_value(chain_of(30)), Style(rankdir="LR")).encode()
    width, height = svg_size(layout(strip, "svg"))
    assert width / height > 6  # stretching it would only add empty space
    for dot in (strip, to_dot(neuron()).encode(), fan_dot(8, "LR")):
        assert layout(dot, "svg", keep_aspect=True) == layout(dot, "svg")


def chain_of(steps: int) -> Value:
    h = Value(0.5, label="x")
    for k in range(steps):
        h = (h * Value(0.9, label=f"w{k}")).tanh()
    h.backward()
    return h


def test_big_pictures_keep_their_aspect_small_ones_stay_as_micrograd_draws(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    import gradpipe.render.layout as layout_module
    from gradpipe.render.plan import KEEP_ASPECT_NODES

    asked: list[bool] = []
    monkeypatch.setattr(
        layout_module, "layout", lambda dot, fmt, keep_aspect=False: asked.append(keep_aspect)
    )
    big = graph_from_value(chain_of(KEEP_ASPECT_NODES // 3 + 1))
    assert len(big) >= KEEP_ASPECT_NODES
    for graph in (neuron(), big):
        render(graph, "svg")
    assert asked == [False, True]


@pytest.mark.parametrize(
    ("width", "height", "ratio"),
    [(100, 367, 3.0), (367, 100, 1 / 3), (100, 300, None), (280, 100, None), (100, 700, None)],
)
def test_stretch_ratio_brings_a_layout_to_the_bound(
    width: float, height: float, ratio: float | None
) -> None:
    from gradpipe.render.plan import stretch_ratio

    assert stretch_ratio(width, height) == ratio
