"""What every drawing of a graph shows alike: each node's record, its kind, its numbers."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import accumulate, compress, count, repeat
from operator import attrgetter, gt, is_, sub
from typing import TYPE_CHECKING, NamedTuple

from gradpipe.engine.ops import LEAF
from gradpipe.engine.value import NO_GRAD, operation_name

if TYPE_CHECKING:
    from gradpipe.documents.graph import Graph
    from gradpipe.engine.value import Value

_grad = attrgetter("grad")
_data = attrgetter("data")
_label = attrgetter("label")
# What a writer reads of each node, a column at a time (DOT and Mermaid alike).
arguments_of = attrgetter("_prev")
operation_of = operation_name

# Control characters other than newlines (which break lines) shown as their Unicode pictures.
CONTROL: dict[int | str, str] = {c: chr(0x2400 + c) for c in range(0x20) if c != 0x0A}
CONTROL[0x7F] = "\u2421"


def kinds(nodes: Sequence[Value], ops: Sequence[str], output: Value | None) -> list[str]:
    """What tells each node apart in a drawing: "output", "leaf", "const", or "" (computed).

    ``ops`` is each node's ``operation``; a const is a literal or an op on literals only.
    """
    shown = [
        "leaf" if op == LEAF else "const" if grad is NO_GRAD else ""
        for op, grad in zip(ops, map(_grad, nodes), strict=True)
    ]
    if output is not None:
        for i in compress(count(), map(is_, nodes, repeat(output))):
            shown[i] = "output"
    return shown


def records(
    graph: Graph,
    escape: Callable[[list[str]], list[str]],
    between: str = " | ",
    space: str = " ",
) -> list[str]:
    """Each node's ``label | data 2.0000 | grad -1.5000``, the labels escaped by ``escape``.

    ``between`` separates the fields and ``space`` a field's name from its number (DOT's
    ``" | "`` and ``" "``; Mermaid's line break and unbreakable space). Made a column at a
    time (labels, numbers, then the records), as the JSON writer does.
    """
    nodes = graph.nodes
    labels = list(map(_label, nodes))
    if not all(labels):  # a node without a label is labelled with its id
        labels = [label or node_id for label, node_id in zip(labels, graph.ids, strict=True)]
    texts = escape(labels)
    data = micrograd_numbers(list(map(_data, nodes)))
    data_ = f"{between}data{space}"
    if not graph.has_gradients:
        return [f"{text}{data_}{x}" for text, x in zip(texts, data, strict=True)]
    raw = list(map(_grad, nodes))
    grads = micrograd_numbers(raw)
    grad_ = f"{between}grad{space}"
    fields = [
        f"{text}{data_}{x}{grad_}{grad}" for text, x, grad in zip(texts, data, grads, strict=True)
    ]
    for i in compress(count(), map(is_, raw, repeat(NO_GRAD))):  # a constant has no grad
        fields[i] = f"{texts[i]}{data_}{data[i]}"
    return fields


def edge_ends(counts: list[int]) -> list[str]:
    """What ends each edge's text, the edges of all nodes (``counts`` of them a node, in
    order) being made in one join and cut apart again: a NUL after each node's last edge.

    No drawn text holds a NUL (ids and labels show it escaped or as a picture).
    """
    ends = [""] * sum(counts)
    last = map(sub, compress(accumulate(counts), counts), repeat(1))
    list(map(ends.__setitem__, last, repeat("\0")))
    return ends


class NodeMark(NamedTuple):
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


# What ``.4f`` writes where ``micrograd_number`` may write an exponent instead: a non-zero
# number below 1e-4 rounds to one of these, one of 1e6 or more has 7 digits before the point.
_TINY_TEXTS = frozenset(("0.0000", "-0.0000", "0.0001", "-0.0001"))
_HUGE_TEXT = len("100000.0000")


def micrograd_numbers(numbers: list[float]) -> list[str]:
    """``micrograd_number`` of each number: ``.4f`` at C speed, the few others one by one."""
    if not numbers:
        return []
    texts = ("%.4f\n" * len(numbers) % tuple(numbers)).split("\n")
    texts.pop()  # after the last newline
    for i in compress(count(), map(gt, map(len, texts), repeat(_HUGE_TEXT))):
        texts[i] = micrograd_number(numbers[i])
    for i in compress(count(), map(_TINY_TEXTS.__contains__, texts)):
        texts[i] = micrograd_number(numbers[i])
    return texts


def encode(text: str) -> bytes:
    """UTF-8, with any lone surrogate (from a JSON escape) shown as a replacement mark."""
    return text.encode("utf-8", "replace")
