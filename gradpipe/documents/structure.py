"""The structure of specs and graph documents in plain Python: fields, ops, a lean check.

``gradpipe.documents.models`` states the same structure as pydantic models, which explain what
is wrong and generate the schemas; importing them costs more than a small run of the
CLI. Valid input is recognised here without them, so only a refused document (or
``gradpipe schema``) loads pydantic's machinery.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from itertools import chain, compress, repeat
from operator import contains, is_not, itemgetter
from typing import Any, TypeAlias

from gradpipe.documents.graph import DOCUMENT_VERSION
from gradpipe.documents.names import is_name
from gradpipe.engine.ops import GRAPH_OPS, SPEC_OPS

# Tags of the models' unions (and pydantic's names of Argument's members): pydantic puts
# them in an error's location, and gradpipe.documents.refusals drops them from there again.
UNION_TAGS = frozenset({"number", "formula", "op", "expr", "object", "str", "float"})
# What a spec's node entry may be: the models' refusal of anything else, and of a boolean.
NODE_ENTRY = "a formula, a number, or an object with 'op' or 'expr'"
# Field names of each object, in the models' order: for "did you mean" hints on unknown
# fields (a test keeps them equal to the models' fields).
FIELDS: dict[str, tuple[str, ...]] = {
    "spec": ("version", "name", "values", "nodes", "output"),
    "graph": ("version", "name", "output", "nodes"),
    "object": ("value", "label"),
    "op": ("op", "args", "label"),
    "expr": ("expr", "label"),
    "graph node": ("id", "label", "op", "args", "value", "grad"),
}


# A graph document's node fields a column each: ids, labels, ops, args, values, grads.
Columns: TypeAlias = tuple[list[Any], ...]


class OpColumns:
    """A spec's nodes where every one is an op object with an op and args, as programs
    write big specs: the entries, their ops and their args a column each, and ``extra``,
    how many fields they hold beyond op and args (labels, or unknown fields)."""

    __slots__ = ("args", "entries", "extra", "ops")

    def __init__(self, entries: list[dict[str, Any]], ops: list[Any], args: list[Any]) -> None:
        self.entries = entries
        self.ops = ops
        self.args = args
        self.extra = sum(map(len, entries)) - 2 * len(entries)


def conforms(data: dict[str, Any], kind: str, columns: Columns | OpColumns | None = None) -> bool:
    """True only when ``data`` certainly passes the ``kind`` ("spec" or "graph") model.

    A lean check in plain Python for the common case, which costs a third of pydantic's
    time on a large graph; on False, pydantic validates and explains. It may refuse what
    pydantic accepts (ints are accepted as they are, not made floats), never the reverse.
    ``columns`` are a graph's ``plain_columns`` or a spec's ``op_columns``, where the
    caller read them for its plan too (at a million nodes, reading them is half a
    second); else they are read here.
    """
    fields = FIELDS[kind]
    if not data.keys() <= set(fields) or "nodes" not in data:
        return False
    version = data.get("version", DOCUMENT_VERSION)
    if type(version) is not int or version != DOCUMENT_VERSION:
        return False
    if any(k in data and type(data[k]) is not str for k in ("name", "output")):
        return False
    nodes = data["nodes"]
    if not nodes:
        return False
    if kind == "graph":
        if type(nodes) is not list:
            return False
        plain = plain_columns(nodes) if columns is None else columns
        return (
            isinstance(plain, tuple) and _graph_columns_conform(plain)
        ) or _each_graph_node_conforms(nodes)
    values = data.get("values", {})
    if type(values) is not dict or type(nodes) is not dict:
        return False
    ops = op_columns(nodes) if columns is None else columns
    return (
        _names_conform(values)
        and _names_conform(nodes)
        and _values_conform(values)
        and ((isinstance(ops, OpColumns) and _op_columns_conform(ops)) or _nodes_conform(nodes))
    )


_VALUE_FIELDS = frozenset(FIELDS["object"])
_OP_FIELDS = frozenset(FIELDS["op"])
_EXPR_FIELDS = frozenset(FIELDS["expr"])
_GRAPH_NODE_FIELDS = frozenset(FIELDS["graph node"])
_SPEC_OPS = frozenset(SPEC_OPS)
_GRAPH_OPS = frozenset(GRAPH_OPS)
_LARGEST_EXACT = 2**53  # beyond, pydantic decides whether an int fits a float


def _is_number(x: Any) -> bool:
    kind = type(x)
    if kind is float:
        return bool(x - x == 0.0)  # finite
    return kind is int and -_LARGEST_EXACT <= x <= _LARGEST_EXACT


def _names_conform(entries: Iterable[Any]) -> bool:
    names = list(entries)
    if names and _types(names) == {str} and "".join(names).isascii():
        # Of ASCII text, Python's identifiers are exactly the names: tested at C speed.
        return all(map(str.isidentifier, names))
    return all(type(name) is str and is_name(name) for name in names)


def _types(items: Iterable[Any]) -> set[type]:
    return set(map(type, items))


def _values_conform(values: dict[str, Any]) -> bool:
    for entry in values.values():
        if type(entry) is dict:
            if not entry.keys() <= _VALUE_FIELDS or not _is_number(entry.get("value")):
                return False
            if "label" in entry and type(entry["label"]) is not str:
                return False
        elif not _is_number(entry):
            return False
    return True


def _nodes_conform(nodes: dict[str, Any]) -> bool:
    for entry in nodes.values():
        kind = type(entry)
        if kind is str:
            continue
        if kind is dict:
            if "label" in entry and type(entry["label"]) is not str:
                return False
            if "expr" in entry:
                if not entry.keys() <= _EXPR_FIELDS or type(entry["expr"]) is not str:
                    return False
                continue
            op = entry.get("op")
            if not entry.keys() <= _OP_FIELDS or type(op) is not str or op not in _SPEC_OPS:
                return False
            args = entry.get("args")
            if type(args) is not list:
                return False
            for arg in args:
                if type(arg) is not str and not _is_number(arg):
                    return False
        elif not _is_number(entry):
            return False
    return True


_OP = itemgetter("op")
_ARGS = itemgetter("args")
_LABEL = itemgetter("label")


def op_columns(nodes: Any) -> OpColumns | None:
    """A spec's ``nodes`` as ``OpColumns``, where each is a dict with an op and args; else
    None (formulas, numbers, expr objects: those are checked and planned node by node)."""
    if type(nodes) is not dict or type(next(iter(nodes.values()), None)) is not dict:
        return None  # at once for a spec of formulas
    entries = list(nodes.values())
    try:  # a TypeError from an entry that is not a dict, a KeyError from one without them
        return OpColumns(entries, list(map(_OP, entries)), list(map(_ARGS, entries)))
    except (KeyError, TypeError):
        return None


def _op_columns_conform(columns: OpColumns) -> bool:
    """True when every op object conforms, checked a column at a time.

    Only a fast way to a True of ``_nodes_conform``; False says nothing.
    """
    entries = columns.entries
    if columns.extra:  # fields beyond op and args: only labels, each a string
        if not all(map(_OP_FIELDS.issuperset, entries)):
            return False
        labelled = compress(entries, map(contains, entries, repeat("label")))
        if not _types(map(_LABEL, labelled)) <= {str}:
            return False
    ops = columns.ops
    if _types(ops) != {str} or not _SPEC_OPS.issuperset(ops):
        return False
    if _types(columns.args) != {list}:
        return False
    arguments = list(chain.from_iterable(columns.args))
    kinds = _types(arguments)
    if kinds <= {str}:
        return True
    if not kinds <= {str, float, int}:
        return False
    numbers = compress(arguments, map(is_not, map(type, arguments), repeat(str)))
    return all(map(_is_number, numbers))


def plain_columns(nodes: list[Any]) -> Columns | None:
    """A graph's ``graph_columns`` where every node is a dict of its known fields with an
    id and an op (as gradpipe writes them), else None: those are checked node by node."""
    if _types(nodes) != {dict} or not all(map(_GRAPH_NODE_FIELDS.issuperset, nodes)):
        return None
    if not all(map(contains, nodes, repeat("id"))) or not all(map(contains, nodes, repeat("op"))):
        return None
    return graph_columns(nodes)


def _graph_columns_conform(columns: Columns) -> bool:
    """True when every node of a graph document conforms, checked a column at a time.

    Only a fast way to a True of ``_each_graph_node_conforms``; False says nothing.
    """
    ids, labels, ops, arguments, values, grads = columns
    if _types(ids) != {str} or not _names_conform(ids):
        return False
    if _types(ops) != {str} or not set(ops) <= _GRAPH_OPS:
        return False
    if not _types(labels) <= {str}:  # a node without a label has its id
        return False
    # A node without args has the default (); parsed data has lists, never tuples.
    if not _types(arguments) <= {list, tuple}:
        return False
    if not _types(chain.from_iterable(arguments)) <= {str}:
        return False
    for column in (values, grads):
        kinds = _types(column)
        if not kinds <= {float, int, type(None)}:
            return False
        if float in kinds and not all(map(math.isfinite, [x for x in column if type(x) is float])):
            return False
        if int in kinds and not all(map(_is_number, [x for x in column if type(x) is int])):
            return False
    return True


_GRAPH_FIELDS = itemgetter("id", "label", "op", "args", "value", "grad")


def graph_columns(nodes: list[dict[str, Any]]) -> tuple[list[Any], ...]:
    """Ids, labels (the id where none), ops, args, values and grads of a graph's nodes.

    Where every node has every field (as gradpipe writes them), one pass over the nodes
    reads them all: a million nodes' dicts are visited once, not once per field.
    """
    try:
        rows = list(map(_GRAPH_FIELDS, nodes))
    except KeyError:
        rows = []
    if rows:
        return tuple(map(list, zip(*rows, strict=True)))
    ids: list[str] = list(map(itemgetter("id"), nodes))
    return (
        ids,
        list(map(dict.get, nodes, repeat("label"), ids)),
        list(map(itemgetter("op"), nodes)),
        list(map(dict.get, nodes, repeat("args"), repeat(()))),
        list(map(dict.get, nodes, repeat("value"))),
        list(map(dict.get, nodes, repeat("grad"))),
    )


def _each_graph_node_conforms(nodes: list[Any]) -> bool:
    for node in nodes:
        if type(node) is not dict or not node.keys() <= _GRAPH_NODE_FIELDS:
            return False
        node_id = node.get("id")
        if type(node_id) is not str or not is_name(node_id):
            return False
        op = node.get("op")
        if type(op) is not str or op not in _GRAPH_OPS:
            return False
        if "label" in node and type(node["label"]) is not str:
            return False
        args = node.get("args", ())
        if type(args) is not list and args != ():
            return False
        if any(type(arg) is not str for arg in args):
            return False
        for key in ("value", "grad"):
            x = node.get(key)
            if x is not None and not _is_number(x):
                return False
    return True


def key_count(data: dict[str, Any], kind: str, columns: Any = None) -> int:
    """How many keys the mappings of ``data``, a document that ``conforms``, hold in all.

    Such a document has mappings only where its structure puts them (the top level, the
    values and nodes, their objects), so this counts without walking every value; a
    spec's ``OpColumns`` (``columns``) have counted its nodes' keys already.
    """
    if kind == "graph":
        return len(data) + sum(map(len, data["nodes"]))
    values: dict[str, Any] = data.get("values", {})
    nodes: dict[str, Any] = data["nodes"]
    objects = [e for e in values.values() if type(e) is dict]
    if isinstance(columns, OpColumns):
        node_keys = 2 * len(columns.entries) + columns.extra
    else:
        node_keys = sum(len(e) for e in nodes.values() if type(e) is dict)
    return len(data) + len(values) + len(nodes) + sum(map(len, objects)) + node_keys
