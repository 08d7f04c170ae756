"""The structure of specs and graph documents in plain Python: fields, ops, a lean check.

``gradpipe.documents.models`` states the same structure as pydantic models, which explain what
is wrong and generate the schemas; importing them costs more than a small run of the
CLI. Valid input is recognised here without them, so only a refused document (or
``gradpipe schema``) loads pydantic's machinery.
"""

from __future__ import annotations

from typing import Any

from gradpipe.documents.graph import DOCUMENT_VERSION
from gradpipe.documents.names import NAME_PATTERN
from gradpipe.engine.ops import GRAPH_OPS, SPEC_OPS

# Tags of the models' unions (and pydantic's names of Argument's members): pydantic puts
# them in an error's location, and gradpipe.documents.refusals drops them from there again.
UNION_TAGS = frozenset({"number", "formula", "op", "expr", "object", "str", "float"})
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


def conforms(data: dict[str, Any], kind: str) -> bool:
    """True only when ``data`` certainly passes the ``kind`` ("spec" or "graph") model.

    A lean check in plain Python for the common case, which costs a third of pydantic's
    time on a large graph; on False, pydantic validates and explains. It may refuse what
    pydantic accepts (ints are accepted as they are, not made floats), never the reverse.
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
        return type(nodes) is list and _graph_nodes_conform(nodes)
    values = data.get("values", {})
    return (
        type(values) is dict
        and type(nodes) is dict
        and _names_conform(values)
        and _names_conform(nodes)
        and _values_conform(values)
        and _nodes_conform(nodes)
    )


_NAME_MATCH = NAME_PATTERN.match
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


def _names_conform(entries: dict[Any, Any]) -> bool:
    return all(type(name) is str and _NAME_MATCH(name) for name in entries)


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


def _graph_nodes_conform(nodes: list[Any]) -> bool:
    for node in nodes:
        if type(node) is not dict or not node.keys() <= _GRAPH_NODE_FIELDS:
            return False
        node_id = node.get("id")
        if type(node_id) is not str or not _NAME_MATCH(node_id):
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
