"""Explaining a refused document: pydantic's errors as one located, plain message.

Valid input never gets here (``gradpipe.documents.structure`` recognises it); the models,
and pydantic with them, are loaded only to say what is wrong.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

from gradpipe.documents.locating import KEY, WHOLE, Loc, Where, place
from gradpipe.documents.names import NAME_RULE, did_you_mean
from gradpipe.documents.structure import FIELDS, NODE_ENTRY, UNION_TAGS
from gradpipe.engine.ops import GRAPH_OPS, SPEC_OPS
from gradpipe.errors import GradpipeError

if TYPE_CHECKING:
    from pydantic import ValidationError


# A node object is an expr object when it has 'expr', else an op object: so a typo in
# 'expr' is reported in an op object, and the hint must consider both objects' fields.
_NODE_OBJECT_FIELDS = tuple(dict.fromkeys((*FIELDS["op"], *FIELDS["expr"])))


def validate_with_models(data: dict[str, Any], kind: str, path: str, raw: bytes) -> Any:
    """The document as pydantic validates it, or its first problem as a located error."""
    from pydantic import ValidationError

    from gradpipe.documents import models  # loaded only here: valid input passes the lean check

    adapter: Any = models.GRAPH_ADAPTER if kind == "graph" else models.SPEC_ADAPTER
    try:
        return adapter.validate_python(data)
    except ValidationError as err:
        raise _validation_error(err, kind, path, raw, data) from None


def _validation_error(
    err: ValidationError, kind: str, path: str, raw: bytes, data: Mapping[str, Any]
) -> GradpipeError:
    """The first problem pydantic found, in file order, as a located error."""
    found = err.errors(include_url=False)[:50]
    # A typo in a field name also makes the field missing: the typo is the news.
    typos = {tuple(p["loc"][:-1]) for p in found if p["type"] == "extra_forbidden"}
    problems = []
    for problem in found:
        if problem["type"] == "missing" and tuple(problem["loc"][:-1]) in typos:
            continue
        if _is_argument(problem["loc"], "str"):  # the number branch's error says it all
            continue
        message, where = _explain(problem, kind)
        if kind == "spec" and where.loc:
            from gradpipe.documents.hints import flow_comma_hint

            message += flow_comma_hint(data, where.loc, raw)
        if problem["type"] not in ("extra_forbidden", "missing") and where.offset == WHOLE:
            subject = _subject(where.loc, kind, data)  # a value's refusal names its entry
            message = f"{subject}: {message}" if subject else message
        position = place(raw, where)
        problems.append((position or (0, 0), message, position))
    problems.sort(key=lambda p: p[0])
    _, message, position = problems[0]
    if position is None:
        return GradpipeError(message, path)
    return GradpipeError(message, path, *position)


def _subject(loc: Loc, kind: str, data: Mapping[str, Any]) -> str:
    """``value 'x'``, ``node 'y'``: the entry a refusal inside it is about, or nothing."""
    if len(loc) < 2 or loc[0] not in ("values", "nodes"):
        return ""
    if kind == "spec":
        what = "value" if loc[0] == "values" else "node"
        return f"{what} {_short_quote(loc[1])}"
    nodes = data.get("nodes")
    index = loc[1]
    if isinstance(nodes, list) and isinstance(index, int) and index < len(nodes):
        node = nodes[index]
        node_id = node.get("id") if isinstance(node, dict) else None
        if isinstance(node_id, str):
            return f"node {_short_quote(node_id)}"
        return f"node {index + 1} of 'nodes'"
    return ""


def _explain(problem: Mapping[str, Any], kind: str) -> tuple[str, Where]:
    """A message for one of pydantic's errors, and where it points."""
    from gradpipe.documents import hints  # what was probably meant: loaded with a refusal

    raw_loc: Loc = tuple(problem["loc"])
    kind_of_error: str = problem["type"]
    # pydantic marks a dict key's error by a last part "[key]", which a user's key can
    # also be: an unknown field named "[key]" is extra_forbidden, never a key error.
    key_error = bool(raw_loc) and raw_loc[-1] == "[key]" and kind_of_error != "extra_forbidden"
    loc, model = _strip_tags(raw_loc[:-1] if key_error else raw_loc, kind)
    value = problem["input"]
    if kind_of_error == "extra_forbidden":
        name = str(loc[-1])
        fields = _NODE_OBJECT_FIELDS if model in ("op", "expr") else FIELDS[model]
        hint = hints.field_hint(loc, name) if kind == "spec" else ""
        return f"unknown field '{name}'{hint or did_you_mean(name, fields)}", Where(loc, KEY)
    if kind_of_error == "missing":
        if loc == ("nodes",) and kind == "spec" and isinstance(value, dict):
            first = hints.first_formula_value(value)
            if first is not None:  # point where the 'nodes:' line was forgotten
                forgotten = f"missing field 'nodes'{hints.missing_nodes_hint(value)}"
                return forgotten, Where(("values", first), KEY)
        return f"missing field '{loc[-1]}'", Where(loc[:-1], WHOLE)
    if key_error:
        what = "id" if kind == "graph" else "name"
        return f"invalid {what} {_short_quote(loc[-1])}: {NAME_RULE}", Where(loc, KEY)
    where = Where(loc, WHOLE)
    if kind_of_error == "too_short":
        return f"'{loc[-1]}' is empty: at least one node is needed", where
    if kind_of_error == "literal_error":
        return (
            f"unknown op {_short_quote(value)}{did_you_mean(str(value), _ops(kind))}",
            where,
        )
    if kind_of_error == "string_pattern_mismatch":
        return (
            f"invalid id {_short_quote(value)}: {NAME_RULE}",
            where,
        )
    if kind_of_error in ("float_type", "finite_number"):
        if isinstance(value, float) and math.isnan(value):
            return "NaN is not allowed: numbers must be finite", where
        if isinstance(value, float):
            return "infinity is not allowed: numbers must be finite", where
        if isinstance(value, int) and not isinstance(value, bool):
            return f"number {_short_repr(value)} is too large", where
        if _is_argument(raw_loc, "float"):
            number = "a name or a number"
        elif kind == "spec" and len(loc) == 2 and loc[0] == "nodes":
            number = NODE_ENTRY  # a boolean, which pydantic takes for the number branch
        else:
            number = "a number"
        hint = hints.value_hint(loc, value) if kind == "spec" else ""
        return f"expected {number}, not {_describe_value(value)}{hint}", where
    if kind_of_error == "dict_type" and loc in (("values",), ("nodes",)):
        return (
            f"'{loc[0]}' maps names to {loc[0]}: expected a mapping, not {_describe_value(value)}"
            + hints.entry_hint(value),
            where,
        )
    expected = {
        "int_type": "an integer",
        "string_type": "a string",
        "dict_type": "a mapping",
        "list_type": "a list",
    }.get(kind_of_error)
    if expected is not None:
        # A top-level field ('name', 'version') is in no entry that would name it.
        field = f"field {_short_quote(loc[0])}: " if len(loc) == 1 else ""
        return f"{field}expected {expected}, not {_describe_value(value)}", where
    message: str = problem["msg"]
    return message[:1].lower() + message[1:], where


def _is_argument(loc: Sequence[Any], member: str) -> bool:
    """Whether ``loc`` is pydantic's for the ``member`` branch of an op object's argument."""
    # Under "args" only: a graph node's own key "str" (an unknown field) is no branch.
    return len(loc) >= 3 and loc[-1] == member and isinstance(loc[-2], int) and loc[-3] == "args"


def _ops(kind: str) -> tuple[str, ...]:
    return SPEC_OPS if kind == "spec" else GRAPH_OPS


def _strip_tags(loc: Loc, kind: str) -> tuple[Loc, str]:
    """Drop the union tags pydantic puts in a location; name the object it ends in."""
    kept: list[str | int] = []
    model = kind
    for i, part in enumerate(loc):
        after_entry = i == 2 and loc[0] in ("values", "nodes") and kind == "spec"
        after_index = i > 0 and isinstance(loc[i - 1], int) and kind == "spec"
        if isinstance(part, str) and part in UNION_TAGS and (after_entry or after_index):
            model = part if after_entry else model
            continue
        kept.append(part)
    if kind == "graph" and len(kept) >= 2:
        model = "graph node"
    return tuple(kept), model if model in FIELDS else kind


def _describe_value(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return f"the boolean {'true' if value else 'false'}"
    if isinstance(value, str):
        return f"the string {_short_quote(value)}"
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    return _short_repr(value)


def _short_quote(value: Any) -> str:
    text = str(value)
    return repr(text if len(text) <= 40 else text[:39] + "…")


def _short_repr(value: Any) -> str:
    if isinstance(value, int) and value.bit_length() > 10_000:  # repr refuses 4,300 digits
        return f"<an integer of {value.bit_length()} bits>"
    text = repr(value)
    return text if len(text) <= 40 else text[:39] + "…"
