"""A named graph of Values, and its graph document: what the stages pass along.

The engine knows only Values; a ``Graph`` adds what files need: an id for every node
(its name from the spec, or a stable ``_N`` for anonymous ones), a topological order
that includes nodes the output does not depend on, and the output's id.
"""

from __future__ import annotations

import io
import re
from collections.abc import Callable, Iterator
from collections.abc import Set as AbstractSet
from itertools import repeat
from operator import attrgetter
from typing import Any

from gradpipe.collector import paused_gc
from gradpipe.documents.json_codec import (
    FAST_NODES,
    json_quoter,
    number_texts,
    stdlib_json,
    string_texts,
)
from gradpipe.documents.names import is_valid_name
from gradpipe.engine.ops import GRAPH_OPS, MICROGRAD_OPS, OP_ARITY, OP_SYMBOLS
from gradpipe.engine.value import (
    NO_GRAD,
    Value,
    backward_over,
    operation_name,
    topological_order,
)
from gradpipe.errors import MathError

DOCUMENT_VERSION = 1


class Graph:
    """Nodes in topological order with their ids; gradients are meaningful once computed.

    Equal to another Graph of the same name, ids, nodes, output and ``has_gradients``. A
    plain class: a dataclass costs render's start-up about 4M instructions to create
    (README, figure 4).
    """

    def __init__(
        self,
        name: str,
        ids: list[str],
        nodes: list[Value],
        output: str,
        has_gradients: bool = False,
        locator: Callable[[Graph, MathError], MathError] | None = None,
        naming: Callable[[Graph], AbstractSet[str]] | None = None,
    ) -> None:
        self.name = name
        self.ids = ids
        self.nodes = nodes
        self.output = output
        self.has_gradients = has_gradients
        # Places a math error of backprop in the graph's file (set when built from one).
        self.locator = locator
        # The ids the user named (see ``named_ids``), computed when first asked for.
        self.naming = naming
        self._index: dict[str, int] = {}
        self._looked_up = False

    def _compared(self) -> tuple[str, list[str], list[Value], str, bool]:
        return self.name, self.ids, self.nodes, self.output, self.has_gradients

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Graph):
            return NotImplemented
        return self._compared() == other._compared()

    def __repr__(self) -> str:
        name, ids, nodes, output, has_gradients = self._compared()
        return (
            f"Graph(name={name!r}, ids={ids!r}, nodes={nodes!r}, output={output!r}, "
            f"has_gradients={has_gradients!r})"
        )

    def named_ids(self) -> AbstractSet[str]:
        """The ids of the nodes the user named, whatever they look like.

        A spec's ``values`` and ``nodes`` keys; from the API, the labelled Values; in a
        graph document, every id but those gradpipe gives anonymous nodes (``_N`` with a
        label that is not the id: their formula). A Graph built by hand: every id.
        """
        if self.naming is None:
            return set(self.ids)
        return self.naming(self)

    def index(self, node_id: str) -> int:
        """Position of ``node_id`` in the topological order (KeyError when unknown)."""
        if not self._index:
            if self.ids and self.ids[-1] == node_id:  # the output, where it usually is
                return len(self.ids) - 1
            if not self._looked_up:  # one look-up (another node's) needs no index
                self._looked_up = True
                try:
                    return self.ids.index(node_id)
                except ValueError:
                    raise KeyError(node_id) from None
            self._index = dict(zip(self.ids, range(len(self.ids)), strict=True))
        return self._index[node_id]

    def node(self, node_id: str) -> Value:
        """The Value with this id."""
        return self.nodes[self.index(node_id)]

    def __iter__(self) -> Iterator[tuple[str, Value]]:
        return zip(self.ids, self.nodes, strict=True)

    def __len__(self) -> int:
        return len(self.nodes)

    def backward(self, output: str | None = None) -> None:
        """Gradients of ``output`` (default: the graph's output) with respect to every node.

        Nodes the output does not depend on get 0; constants keep 0.0 (``null`` in
        documents). A MathError is located at its node's definition when the graph was
        built from a file.
        """
        with paused_gc():
            try:
                # Built from a document, the nodes are in creation order: no walk, no sort.
                backward_over(self.node(self.output if output is None else output), self.nodes)
            except MathError as error:
                if self.locator is None:
                    raise
                raise self.locator(self, error) from None
        self.has_gradients = True

    def to_document(self) -> dict[str, Any]:
        """The graph document as plain data (see SPEC section 3)."""
        return {**self._head(), "nodes": self._node_dicts(0, len(self.nodes), self._positions())}

    def _head(self) -> dict[str, Any]:
        return {"version": DOCUMENT_VERSION, "name": self.name, "output": self.output}

    def _positions(self) -> Callable[[Value], str]:
        """The id of a node of this graph."""
        return dict(zip(self.nodes, self.ids, strict=True)).__getitem__  # Values hash by identity

    def _node_dicts(self, start: int, stop: int, id_of: Callable[[Value], str]) -> list[Any]:
        gradients = self.has_gradients
        with paused_gc():
            return [
                {
                    "id": node_id,
                    "label": v.label or node_id,
                    "op": document_op(v, operation_name(v)),
                    "args": list(map(id_of, v._prev)),
                    "value": v.data,
                    "grad": v.grad if gradients and v.grad is not NO_GRAD else None,
                }
                for node_id, v in zip(self.ids[start:stop], self.nodes[start:stop], strict=True)
            ]


_HEAD_END = ',\n "nodes": [\n '
_NODES_END = "\n ]}\n"


def dump_document(document: dict[str, Any]) -> str:
    """Strict, deterministic JSON: one node per line, a trailing newline, no NaN tokens."""
    head = {k: v for k, v in document.items() if k != "nodes"}
    return stdlib_json()(head)[:-1] + _HEAD_END + _encode_nodes(document["nodes"]) + _NODES_END


def encode_document(graph: Graph, chunk: int = FAST_NODES) -> bytes:
    """``dump_document(graph.to_document())`` as UTF-8, faster and in little memory.

    Nodes become text a chunk at a time: a million-node graph never holds several copies
    of its text at once. A chunk is as small as orjson still formats (``FAST_NODES``),
    so the text of the chunk in hand adds little to the peak memory. Each node's line is
    formatted directly, with no dict in between, from columns of its fields' JSON texts
    (made by orjson where it is installed).
    """
    quoted_ids = string_texts(graph.ids)
    quoted_id_of = dict(zip(graph.nodes, quoted_ids, strict=True)).__getitem__
    # A BytesIO grows in place and hands over its buffer uncopied: the text is in memory
    # once, where joining the chunks would hold it twice.
    out = io.BytesIO()
    out.write((stdlib_json()(graph._head())[:-1] + _HEAD_END).encode())
    for start in range(0, len(graph.nodes), chunk):
        text = _node_lines(graph, start, start + chunk, quoted_ids, quoted_id_of)
        out.write((",\n " + text if start else text).encode())
    out.write(_NODES_END.encode())
    return out.getvalue()


_data = attrgetter("data")
_grad = attrgetter("grad")
_label = attrgetter("label")
_prev = attrgetter("_prev")


def _node_lines(
    graph: Graph,
    start: int,
    stop: int,
    quoted_ids: list[str],
    quoted_id_of: Callable[[Value], str],
) -> str:
    """The lines ``_encode_nodes`` writes for these nodes, a column of each field at a time.

    Numbers are written as the standard library writes them, which refuses NaN and
    infinities (``number_texts``). The lines are one join of the fields and the texts
    between them (``_LINE_TEXTS``), not a formatting per node.
    """
    nodes = graph.nodes[start:stop]
    labels = list(map(_label, nodes))
    if not all(labels):  # a node without a label is labelled with its id
        labels = [
            label or node_id for label, node_id in zip(labels, graph.ids[start:stop], strict=False)
        ]
    ops = list(map(operation_name, nodes))
    if not _GRAPH_OPS.issuperset(ops):  # a user's op: named as gradpipe's where it is one
        ops = list(map(document_op, nodes, ops))
    quoted_op = {op: json_quoter()(op) for op in set(ops)}
    grads = (
        number_texts([None if g is NO_GRAD else g for g in map(_grad, nodes)])
        if graph.has_gradients
        else ["null"] * len(nodes)
    )
    columns = (
        quoted_ids[start:stop],
        string_texts(labels),
        list(map(quoted_op.__getitem__, ops)),
        list(map(", ".join, map(map, repeat(quoted_id_of), map(_prev, nodes)))),
        number_texts(list(map(_data, nodes))),
        grads,
    )
    # Each line: a text, a column's field, a text, ..., the last text (the separator).
    width = len(_LINE_TEXTS) + len(columns)
    parts: list[str] = [""] * (width * len(nodes))
    for i, text in enumerate(_LINE_TEXTS):
        parts[2 * i :: width] = repeat(text, len(nodes))
    for i, column in enumerate(columns):
        parts[2 * i + 1 :: width] = column
    parts[-1] = "}"  # the last line has no separator after it
    return "".join(parts)


_GRAPH_OPS = frozenset(GRAPH_OPS)
# gradpipe's op of each symbol and arity a user's op may be named by, micrograd's way
# ("+" of two arguments, "ReLU") or gradpipe's ("-" of one argument is neg); None: any.
_NAMED_OPS: dict[tuple[str, int | None], str] = {
    (symbol, OP_ARITY[name]): name
    for symbols in (OP_SYMBOLS, MICROGRAD_OPS)
    for name, symbol in symbols.items()
    if name in OP_ARITY
}


def document_op(v: Value, op: str) -> str:
    """The op a graph document names for ``v``, whose ``operation_name`` is ``op``.

    A user's op named as micrograd names one of gradpipe's (the lecture's ``+`` of two
    arguments, ``*``, ``ReLU``; ``+`` of more is sum) is that op, so that every command
    reads the document; any other name is written as it is.
    """
    if op in _GRAPH_OPS:
        return op
    arguments = len(v._prev)
    return _NAMED_OPS.get((op, arguments)) or _NAMED_OPS.get((op, None), op)


# The texts before, between and after the fields of a node's line, with the separator
# that follows each line.
_LINE_TEXTS = (
    '{"id": ',
    ', "label": ',
    ', "op": ',
    ', "args": [',
    '], "value": ',
    ', "grad": ',
    "},\n ",
)


def _encode_nodes(nodes: list[Any]) -> str:
    """The nodes, comma and line separated: one C-speed encoding, then a line break before
    each node, where ``{"id": `` stands (a brace and an unescaped quote: never in a string)."""
    return stdlib_json()(nodes)[1:-1].replace('}, {"id": ', '},\n {"id": ')


# The ids that ``anonymous_ids`` makes (compiled on first use, by re's cache).
ANONYMOUS_ID = r"_[1-9][0-9]*\Z"


def document_names(graph: Graph) -> set[str]:
    """The named ids of a graph document: all but gradpipe's anonymous ones.

    A graph document does not say which nodes its spec named; gradpipe writes an
    anonymous node as ``_N`` labelled with its formula, a named one with its name as its
    label unless the spec gave one. So ``_N`` counts as anonymous only when labelled
    otherwise (a spec's own ``_3`` stays named, unless it also had a label).
    """
    match = re.compile(ANONYMOUS_ID).match
    return {i for i, v in zip(graph.ids, graph.nodes, strict=True) if v.label == i or not match(i)}


def labelled_names(graph: Graph) -> set[str]:
    """The named ids of a graph of Values from the API: its labelled Values."""
    return {i for i, v in zip(graph.ids, graph.nodes, strict=True) if v.label}


def anonymous_ids(taken: set[str]) -> Iterator[str]:
    """``_1``, ``_2``, ... skipping any id already taken: stable, never a user's name."""
    n = 0
    while True:
        n += 1
        candidate = f"_{n}"
        if candidate not in taken:
            yield candidate


def graph_from_value(root: Value, name: str = "expression", gradients: bool = True) -> Graph:
    """A Graph of everything ``root`` depends on, ids taken from labels where they are names.

    ``gradients`` says whether the Values' gradients are to be written (after ``backward``).
    """
    nodes = topological_order((root,))
    named: dict[int, str] = {}
    seen: dict[str, int] = {}
    for i, v in enumerate(nodes):
        if is_valid_name(v.label):
            seen[v.label] = seen.get(v.label, 0) + 1
            named[i] = v.label
    taken = {label for label, count in seen.items() if count == 1}
    fresh = anonymous_ids(taken)
    ids = [named[i] if named.get(i) in taken else next(fresh) for i in range(len(nodes))]
    return Graph(
        name=name,
        ids=ids,
        nodes=nodes,
        output=ids[-1],
        has_gradients=gradients,
        naming=labelled_names,
    )
