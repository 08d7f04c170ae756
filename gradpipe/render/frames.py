"""``render --frames``: one picture per backprop step, on one frozen layout, for slides.

Graphviz lays the graph out once; each frame is that SVG with its grad texts and marks
restyled for the step (``gradpipe.render.steps``), so no node moves between frames.
Frame 0 is the forward pass alone, the last is backward's result, and a caption on top
says what each step does. PNG and PDF frames are the SVG frames converted by librsvg's
``rsvg-convert`` (or CairoSVG when installed).
"""

from __future__ import annotations

import html
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gradpipe.documents.graph import Graph
from gradpipe.errors import RenderError
from gradpipe.render.labels import micrograd_number
from gradpipe.render.steps import (
    FRAME_STYLE,
    SteppedSvg,
    StepState,
    slot_values,
    step_states,
    stepped_svg,
)
from gradpipe.render.trace import BackpropTrace

if TYPE_CHECKING:
    from gradpipe.render.dot import Style

FRAME_FORMATS = ("svg", "png", "pdf")
CAPTION_HEIGHT = 24.0  # points added above the picture for a caption of one line
CAPTION_LEADING = 16.0  # and for each further line of a caption wrapped to the width
CAPTION_FONT = 13.0  # the caption's font size, in points
CAPTION_MARGIN = 6.0  # points left of the caption, and kept free right of it
CAPTION_ARGS = 8  # arguments a caption names; more are counted
# PNG frames are drawn at twice the SVG's size: sharp on a projector.
PNG_ZOOM = 2
PNG_MAX_PIXELS = 32_000  # a side's pixels at most: librsvg refuses more than 32,767
_SVG_SIZE = re.compile(r'<svg width="([\d.]+)pt" height="([\d.]+)pt"\s+viewBox="([^"]*)"')
_CONTROL = {c: 0x2400 + c for c in range(0x20)} | {0x7F: 0x2421}


@dataclass(frozen=True)
class Frame:
    """One picture: its file name (``step-003.svg``) and bytes."""

    name: str
    data: bytes


def render_frames(
    graph: Graph,
    fmt: str = "svg",
    *,
    layout_limit: int | None = None,
    style: Style | None = None,
) -> list[Frame]:
    """Every step's picture of ``graph`` (its gradients computed here), in order.

    ``style`` as ``render``'s: a view's frames step through its drawn nodes only.
    """
    from gradpipe.render.html import stepped_picture

    if fmt not in FRAME_FORMATS:
        raise RenderError(f"frames are svg, png or pdf, not {fmt!r}")
    drawn, trace, svg, _ = stepped_picture(graph, style=style, layout_limit=layout_limit)
    pictures = frame_svgs(drawn, trace, svg)
    width = max(3, len(str(len(pictures) - 1)))
    convert = _converter(fmt)
    return [
        Frame(f"step-{k:0{width}d}.{fmt}", convert(text.encode("utf-8", "replace")))
        for k, text in enumerate(pictures)
    ]


def frame_svgs(graph: Graph, trace: BackpropTrace, svg: str) -> list[str]:
    """The SVG text of each frame: the laid-out ``svg`` restyled step by step."""
    stepped = stepped_svg(svg, graph)
    states = step_states(graph, trace)
    total = len(states) - 1
    # Each caption wrapped to the picture's width; every frame gets the band of the
    # longest, so all frames keep one size.
    room = max(_drawing_width(stepped) - 2 * CAPTION_MARGIN, 1.0)
    captions = [
        _wrapped(_caption(graph, trace, state, total).translate(_CONTROL), room) for state in states
    ]
    lines = max(map(len, captions), default=1)
    picture = _with_caption_room(stepped, lines)
    frames = []
    for state, caption in zip(states, captions, strict=True):
        text = picture.fill(slot_values(picture, state))
        for k in range(lines):
            line = html.escape(caption[k]) if k < len(caption) else ""
            text = text.replace(_caption_slot(k), line, 1)
        frames.append(text)
    return frames


def _drawing_width(picture: SteppedSvg) -> float:
    """The picture's width in its own units (its viewBox's), where the caption is drawn."""
    m = _SVG_SIZE.search(picture.parts[0])
    box = m[3].split() if m else []
    return float(box[2]) if len(box) == 4 else picture.width


def _caption_slot(k: int) -> str:
    return "<!--gp-caption-->" if k == 0 else f"<!--gp-caption-{k}-->"


def _text_width(text: str) -> float:
    """A generous width of ``text`` in the caption's font, in points (no font is read)."""
    ems = 0.0
    for c in text:
        if c in " .,:;'!|()[]ijlft":
            ems += 0.4
        elif c in "mwMW@%" or not c.isascii():
            ems += 1.0
        elif c.isupper():
            ems += 0.75
        else:
            ems += 0.6
    return ems * CAPTION_FONT


def _wrapped(caption: str, room: float) -> list[str]:
    """``caption`` in lines that each fit ``room`` points, broken at spaces where it can."""
    lines: list[str] = []
    line = ""
    for word in caption.split(" "):
        joined = f"{line} {word}" if line else word
        if _text_width(joined) <= room:
            line = joined
            continue
        if line:
            lines.append(line)
        line = ""
        for c in word:  # a word wider than a line is broken where it must be
            if line and _text_width(line + c) > room:
                lines.append(line)
                line = ""
            line += c
    lines.append(line)
    return lines


def _with_caption_room(picture: SteppedSvg, lines: int = 1) -> SteppedSvg:
    """The picture with a band on top for a caption of ``lines`` (its layout untouched)."""
    head = picture.parts[0]
    m = _SVG_SIZE.search(head)
    if m is None:
        return picture
    width, height = float(m[1]), float(m[2])
    box = m[3].split()
    x0, y0, w, h = (float(v) for v in box) if len(box) == 4 else (0.0, 0.0, width, height)
    band = CAPTION_HEIGHT + (lines - 1) * CAPTION_LEADING
    new_size = (
        f'<svg width="{width:g}pt" height="{height + band:g}pt"\n'
        f' viewBox="{x0:.2f} {y0 - band:.2f} {w:.2f} {h + band:.2f}"'
    )
    open_end = head.index(">", m.end()) + 1
    caption = (
        f"{FRAME_STYLE}\n"
        f'<rect x="{x0:.2f}" y="{y0 - band:.2f}" width="{w:.2f}" height="{band:.2f}" '
        'fill="white"/>\n'
        + "".join(
            f'<text x="{x0 + CAPTION_MARGIN:.2f}" y="{y0 - band + 16.5 + k * CAPTION_LEADING:.2f}" '
            'font-family="Helvetica,sans-Serif" '
            f'font-size="13.00" fill="#222222">{_caption_slot(k)}</text>\n'
            for k in range(lines)
        )
    )
    head = (
        head[: m.start()] + new_size + head[m.end() : open_end] + "\n" + caption + head[open_end:]
    )
    return SteppedSvg((head, *picture.parts[1:]), picture.slots, width, height + band)


def _caption(graph: Graph, trace: BackpropTrace, state: StepState, total: int) -> str:
    name = graph.name if len(graph.name) <= 60 else graph.name[:59] + "…"
    if state.count == 0:
        if total == 0:
            return f"{name}: no backprop steps (the output depends on no computed node)"
        return f"{name}: step 0 of {total}, the forward pass: every value, no gradient yet"
    step = trace.steps[state.count - 1]
    node = _name(graph, step.node)
    names = list(dict.fromkeys(_name(graph, c.child) for c in step.contributions))
    args = ", ".join(names[:CAPTION_ARGS])
    if len(names) > CAPTION_ARGS:  # a wide sum's caption stays a few lines
        args += f" and {len(names) - CAPTION_ARGS} more"
    gradient = micrograd_number(step.gradient)
    text = f"{name}: step {state.count} of {total}: {node} passes its gradient {gradient}"
    text += f" on to {args}" if args else ""
    if state.count == total:
        text += "; backward's result"
    return text


def _name(graph: Graph, i: int) -> str:
    node_id, label = graph.ids[i], graph.nodes[i].label
    text = label if node_id.startswith("_") and label else node_id
    return text if len(text) <= 40 else text[:39] + "…"


def _png_zoom(svg: bytes) -> float:
    """PNG_ZOOM, or less for a picture that would be too big at it: no side of a PNG
    may pass PNG_MAX_PIXELS (librsvg's limit, and cairo's), drawn at 96 pixels an inch."""
    m = _SVG_SIZE.search(svg.decode("utf-8", "replace"))
    if m is None:
        return PNG_ZOOM
    side = max(float(m[1]), float(m[2])) * 96 / 72  # pixels at zoom 1
    return min(PNG_ZOOM, PNG_MAX_PIXELS / side) if side else PNG_ZOOM


def _converter(fmt: str) -> Callable[[bytes], bytes]:
    """SVG bytes to ``fmt``: rsvg-convert where installed, else CairoSVG, else an error."""
    from gradpipe.render.layout import CONVERTER, convert_svg, which

    if fmt == "svg":
        return lambda data: data
    program = which(CONVERTER)
    if program is not None:
        if fmt == "pdf":
            return lambda data: convert_svg(program, data, fmt)
        return lambda data: convert_svg(program, data, fmt, _png_zoom(data))
    try:
        import cairosvg  # type: ignore[import-not-found]
    except ImportError:
        raise RenderError(
            f"{fmt} frames need librsvg's rsvg-convert (apt-get install librsvg2-bin, "
            "brew install librsvg) or CairoSVG (pip install cairosvg); or use -f svg"
        ) from None
    if fmt == "png":
        return lambda data: bytes(cairosvg.svg2png(bytestring=data, scale=_png_zoom(data)))
    return lambda data: bytes(cairosvg.svg2pdf(bytestring=data))


FRAME_NAME = re.compile(r"step-\d{3,}\.(?:svg|png|pdf)\Z")


def write_frames(folder: str, frames: Sequence[Frame]) -> None:
    """Put ``frames`` in ``folder`` (made if missing), replacing an earlier run's frames.

    Every frame is written to a temporary folder first; only when all are written do they
    move in, each by an atomic rename, and frames of an earlier run that this one does
    not have (it had more steps) are removed. A failure leaves ``folder`` as it was.
    """
    os.makedirs(folder, exist_ok=True)
    staging = tempfile.mkdtemp(prefix=".frames-", dir=folder)
    try:
        for frame in frames:
            with open(os.path.join(staging, frame.name), "wb") as stream:
                stream.write(frame.data)
        names = {frame.name for frame in frames}
        for name in sorted(os.listdir(folder)):
            if FRAME_NAME.match(name) and name not in names:
                os.remove(os.path.join(folder, name))
        for frame in frames:
            os.replace(os.path.join(staging, frame.name), os.path.join(folder, frame.name))
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def pack_frames(frames: Sequence[Frame]) -> bytes:
    """The frames as one byte string (what a batch worker hands back): name, size, bytes."""
    parts = []
    for frame in frames:
        parts.append(f"{frame.name}\0{len(frame.data)}\0".encode())
        parts.append(frame.data)
    return b"".join(parts)


def unpack_frames(packed: bytes) -> list[Frame]:
    """The frames that ``pack_frames`` packed."""
    frames = []
    at = 0
    while at < len(packed):
        name_end = packed.index(b"\0", at)
        size_end = packed.index(b"\0", name_end + 1)
        size = int(packed[name_end + 1 : size_end])
        start = size_end + 1
        frames.append(Frame(packed[at:name_end].decode(), packed[start : start + size]))
        at = start + size
    return frames
