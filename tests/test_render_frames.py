"""``render --frames``: one picture per backprop step, on one frozen layout."""

from __future__ import annotations

import html
import re
import shutil
import struct
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
from conftest import invoke

from gradpipe.documents import load_document
from gradpipe.render.frames import pack_frames, render_frames, unpack_frames, write_frames
from gradpipe.render.trace import trace_backward

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
GRAD_TEXT = re.compile(r'class="gp-grad" data-i="(\d+)">([^<]*)<')
# Every coordinate of the drawing: what must not move between frames.
GEOMETRY = re.compile(r'\b(?:points|d|cx|cy|rx|ry|x|y)="[^"]*"')


def neuron_frames(fmt: str = "svg") -> list[str]:
    path = EXAMPLES / "neuron.yaml"
    frames = render_frames(load_document(path.read_bytes(), str(path)), fmt)
    return [f.data.decode() for f in frames] if fmt == "svg" else [f.name for f in frames]


def test_one_frame_per_step_from_forward_to_backwards_result() -> None:
    frames = neuron_frames()
    assert len(frames) == 6  # step 0 and the neuron's five computed nodes
    blank = [text for _, text in GRAD_TEXT.findall(frames[0])]
    assert blank == ["grad"] * 10
    last = dict(GRAD_TEXT.findall(frames[-1]))
    path = EXAMPLES / "neuron.yaml"
    graph = load_document(path.read_bytes(), str(path))
    assert last[str(graph.ids.index("x1"))] == "grad -1.5000"
    assert last[str(graph.ids.index("w2"))] == "grad 0.0000"
    # Step 1: the output passes 1 on to n; nothing else has a gradient yet.
    filled = {i: t for i, t in GRAD_TEXT.findall(frames[1]) if t != "grad"}
    assert filled == {
        str(graph.ids.index("o")): "grad 1.0000",
        str(graph.ids.index("n")): "grad 0.5000",
    }
    assert re.search(
        f'class="node gp-current" data-i="{graph.ids.index("o")}" data-id="o"', frames[1]
    )
    assert "step 1 of 5: o passes its gradient 1.0000 on to n" in frames[1]
    assert "backward&#x27;s result" in frames[-1] or "backward's result" in frames[-1]


def test_no_node_moves_between_frames() -> None:
    frames = neuron_frames()
    geometry = [GEOMETRY.findall(text) for text in frames]
    assert all(g == geometry[0] for g in geometry)


def test_frames_are_well_formed_and_deterministic() -> None:
    assert neuron_frames() == neuron_frames()
    spec = (
        '{"values": {"x": {"value": 2.0, "label": "</text><!-- & \\u0007 \\"q\\""}},'
        ' "nodes": {"_y": {"expr": "x*x", "label": "a]]>b"}}}'
    )
    frames = render_frames(load_document(spec.encode(), "h.json"))
    for frame in frames:
        ET.fromstring(frame.data)


def test_a_reused_node_shows_its_partial_sum() -> None:
    path = EXAMPLES / "micrograd_readme.yaml"
    graph = load_document(path.read_bytes(), str(path))
    trace = trace_backward(graph)
    frames = render_frames(load_document(path.read_bytes(), str(path)))
    arrivals: dict[int, list[int]] = {}
    for k, step in enumerate(trace.steps, start=1):
        for c in step.contributions:
            arrivals.setdefault(c.child, []).append(k)
    node, when = next((i, ks) for i, ks in arrivals.items() if len(set(ks)) > 1)
    text = frames[when[0]].data.decode()
    assert re.search(rf'class="node gp-recv gp-partial" data-i="{node}" ', text)


CAPTION_LINE = re.compile(
    r'<text x="[^"]*" y="[^"]*" font-family="Helvetica,sans-Serif" '
    r'font-size="13.00" fill="#222222">([^<]*)</text>'
)


def caption_width(text: str) -> float:
    """How wide a caption line draws, in points: measured in Helvetica's metric twin
    (Liberation Sans, what librsvg and browsers take for it) where fc-match finds it."""
    found = shutil.which("fc-match")
    font = None
    if found:
        import subprocess

        path = subprocess.run(
            [found, "-f", "%{file}", "Helvetica"], capture_output=True, text=True
        ).stdout
        if path.endswith(".ttf"):
            pil = pytest.importorskip("PIL.ImageFont")
            font = pil.truetype(path, 13)
    if font is None:
        return 13 * 0.6 * len(text)
    return float(font.getlength(text))


@pytest.mark.parametrize(
    ("spec", "rankdir"),
    [
        ((EXAMPLES / "neuron.yaml").read_bytes(), "TB"),
        (
            b"values: {"
            + b", ".join(b"longer_name_%d: %d" % (i, i) for i in range(30))
            + b"}\nnodes: {o: 'sum("
            + b", ".join(b"longer_name_%d" % i for i in range(30))
            + b")'}\n",
            "LR",
        ),
    ],
    ids=["neuron TB", "sum of 30"],
)
def test_every_caption_fits_its_frame(spec: bytes, rankdir: str) -> None:
    # A caption was one line as long as its words: a narrow picture (the neuron top to
    # bottom) or a node of many arguments cut it off at the frame's edge.
    from gradpipe.render.dot import Style

    graph = load_document(spec, "c.yaml")
    frames = [f.data.decode() for f in render_frames(graph, style=Style(rankdir=rankdir))]
    sizes = {re.search(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"', f).groups() for f in frames}  # type: ignore[union-attr]
    assert len(sizes) == 1
    ((width, _),) = sizes
    for frame in frames:
        lines = [html.unescape(line) for line in CAPTION_LINE.findall(frame)]
        assert lines and all(caption_width(line) + 6 <= float(width) for line in lines), lines
    first = " ".join(html.unescape(t) for t in CAPTION_LINE.findall(frames[0]) if t)
    assert first.endswith("the forward pass: every value, no gradient yet")
    last = " ".join(html.unescape(t) for t in CAPTION_LINE.findall(frames[-1]) if t)
    assert last.endswith("backward's result")


def test_pack_and_unpack_keep_every_frame() -> None:
    frames = render_frames(load_document((EXAMPLES / "reuse.yaml").read_bytes(), "reuse.yaml"))
    assert unpack_frames(pack_frames(frames)) == frames


def test_cli_writes_frames_into_out_dir_and_a_folder_per_input_on_a_batch(tmp_path: Path) -> None:
    single = tmp_path / "single"
    result = invoke("render", "--frames", str(EXAMPLES / "neuron.yaml"), "--out-dir", str(single))
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in single.iterdir()) == [f"step-00{k}.svg" for k in range(6)]
    # A second run with fewer steps replaces the frames, leaving no stale one.
    (single / "notes.txt").write_text("mine")
    result = invoke("render", "--frames", str(EXAMPLES / "reuse.yaml"), "--out-dir", str(single))
    assert result.exit_code == 0
    assert sorted(p.name for p in single.iterdir()) == ["notes.txt", "step-000.svg", "step-001.svg"]
    batch = tmp_path / "batch"
    inputs = [str(EXAMPLES / "neuron.yaml"), str(EXAMPLES / "reuse.yaml")]
    result = invoke("render", "--frames", *inputs, "--out-dir", str(batch))
    assert result.exit_code == 0, result.stderr
    assert sorted(p.name for p in batch.iterdir()) == ["neuron", "reuse"]
    assert len(list((batch / "neuron").iterdir())) == 6
    assert not list(batch.glob("**/.frames-*"))


def test_cli_frames_of_bad_input_are_located_errors_and_write_nothing(tmp_path: Path) -> None:
    bad = tmp_path / "bad.yaml"
    bad.write_text("values: {x: 1.0}\nnodes:\n  y: x * z\n")
    out = tmp_path / "out"
    result = invoke("render", "--frames", str(bad), "--out-dir", str(out))
    assert result.exit_code == 1
    assert re.match(rf"{re.escape(str(bad))}:3:\d+: error: .*'z'", result.stderr)
    assert not out.exists() or not list(out.iterdir())
    result = invoke(
        "render", "--frames", str(bad), str(EXAMPLES / "reuse.yaml"), "--out-dir", str(out)
    )
    assert result.exit_code == 1
    assert sorted(p.name for p in out.iterdir()) == ["reuse"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--frames", "-o", "x.svg"], "--out-dir"),
        (["--frames"], "--out-dir"),
        (["--frames", "-f", "json", "--out-dir", "d"], "svg, png or pdf"),
    ],
)
def test_cli_frames_usage_errors(args: list[str], message: str, tmp_path: Path) -> None:
    result = invoke("render", *args, str(EXAMPLES / "neuron.yaml"))
    assert result.exit_code == 2
    assert message in result.stderr


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="no rsvg-convert (librsvg2-bin)")
def test_png_frames_have_one_size(tmp_path: Path) -> None:
    path = EXAMPLES / "neuron.yaml"
    frames = render_frames(load_document(path.read_bytes(), str(path)), "png")
    sizes = set()
    for frame in frames:
        assert frame.data.startswith(b"\x89PNG\r\n\x1a\n")
        sizes.add(struct.unpack(">II", frame.data[16:24]))
    assert len(sizes) == 1
    write_frames(str(tmp_path), frames)
    assert len(list(tmp_path.glob("step-*.png"))) == 6


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="no rsvg-convert (librsvg2-bin)")
def test_png_frames_of_a_picture_too_big_to_double_are_drawn_smaller() -> None:
    # Three records of 1,000-character labels: 34,513 pt wide. Drawn at twice the size,
    # librsvg refused it (over 32,767 pixels) and the frames failed.
    label = "W" * 1000
    spec = (
        f"values: {{x: {{value: 1.0, label: {label}}}}}\n"
        f"nodes:\n  y: {{expr: x*2, label: {label}}}\n  z: {{expr: y*3, label: {label}}}\n"
    )
    frames = render_frames(load_document(spec.encode(), "wide.yaml"), "png")
    sizes = {struct.unpack(">II", frame.data[16:24]) for frame in frames}
    assert len(frames) == 3 and len(sizes) == 1
    ((width, height),) = sizes
    assert 30_000 <= width <= 32_767 and height > 100


@pytest.mark.skipif(shutil.which("rsvg-convert") is None, reason="no rsvg-convert (librsvg2-bin)")
def test_pdf_frames_are_deterministic() -> None:
    path = EXAMPLES / "reuse.yaml"
    first = render_frames(load_document(path.read_bytes(), str(path)), "pdf")
    again = render_frames(load_document(path.read_bytes(), str(path)), "pdf")
    assert [f.name for f in first] == ["step-000.pdf", "step-001.pdf"]
    assert all(f.data.startswith(b"%PDF-") for f in first)
    assert first == again


def test_help_names_every_frame_format() -> None:
    help_text = " ".join(invoke("render", "--help").output.split())
    assert "One picture per backprop step (svg, png or pdf)" in help_text
