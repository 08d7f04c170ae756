"""What every drawing of a graph shows alike: each node's record, its kind, its numbers."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import TYPE_CHECKING

from gradpipe.engine.ops import LEAF

if TYPE_CHECKING:
    from gradpipe.documents.graph import Graph
    from gradpipe.engine.value import Value

# Control characters other than newlines (which break lines) shown as their Unicode pictures.
CONTROL: dict[int | str, str] = {c: chr(0x2400 + c) for c in range(0x20) if c != 0x0A}
CONTROL[0x7F] = "\u2421"


def kind(v: Value, output: Value | None) -> str:
    """What tells a node apart in a drawing: "output", "leaf", "const", or "" (computed)."""
    if v is output:
        return "output"
    if v.operation == LEAF:
        return "leaf"
    if v.is_constant:  # a literal, or an op on literals only
        return "const"
    return ""


def records(graph: Graph, escape: Callable[[str], str]) -> Iterator[str]:
    """Each node's ``label | data 2.0000 | grad -1.5000``, the label escaped by ``escape``."""
    grads = graph.has_gradients
    for node_id, v in graph:
        text = escape(v.label or node_id)
        grad = v.grad
        if not grads or v.is_constant:
            yield f"{text} | data {micrograd_number(v.data)}"
        else:
            yield f"{text} | data {micrograd_number(v.data)} | grad {micrograd_number(grad)}"


@dataclass(frozen=True)
class NodeMark:
    """How a picture marks one node: a status word, a fill colour and a note.

    Filled by whoever knows something about the node, e.g. a gradient check:
    ``NodeMark("mismatch", "#f5b7b1", "MISMATCH: relative error 0.3")``. The HTML view
    shows the note as a tooltip, DOT (and so SVG and PNG) as one more field of the record.
    """

    status: str
    colour: str = ""
    note: str = ""


def micrograd_number(x: float) -> str:
    """Four decimals as micrograd shows them; exponent form where that would hide the value."""
    if x == 0.0 or 1e-4 <= abs(x) < 1e6:
        return f"{x:.4f}"
    return f"{x:.4e}"


def encode(text: str) -> bytes:
    """UTF-8, with any lone surrogate (from a JSON escape) shown as a replacement mark."""
    return text.encode("utf-8", "replace")
