"""Hints for the usual mistakes of a spec's author: things put under the wrong key.

A formula under ``values``, a leaf object under ``nodes``, a forgotten ``nodes:`` line, an
entry whose ':' is missing, a formula that a comma inside ``{...}`` cut short: each refusal
gets a sentence saying what was probably meant. Loaded only to explain a refusal. (A plain
number under ``nodes`` is valid, a named constant, and gets its warning from
``plan.warn_number_nodes``.)
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

_ENTRY = re.compile(r"([A-Za-z_][A-Za-z0-9_]*)\s+(\S.*)\Z", re.DOTALL)
_UNDER_NODES = " (did you mean to put it under nodes?)"
_UNDER_VALUES = " (did you mean to put it under values?)"


def looks_like_formula(text: object) -> bool:
    """Whether ``text`` parses as a formula that computes something (an op or a call)."""
    from gradpipe.documents.formula import parse_formula
    from gradpipe.errors import FormulaError

    if not isinstance(text, str) or not any(char in text for char in "+-*/()"):
        return False
    try:
        parse_formula(text)
    except FormulaError:
        return False
    return True


def value_hint(loc: tuple[Any, ...], value: object) -> str:
    """For a value refused under ``values``: a formula there belongs under nodes."""
    if len(loc) >= 2 and loc[0] == "values":
        formula = value.get("value") if isinstance(value, dict) else value
        if looks_like_formula(formula):
            return _UNDER_NODES
    return ""


def field_hint(loc: tuple[Any, ...], field: str) -> str:
    """For an unknown field: ``value`` in a node object belongs to a leaf, under values."""
    if len(loc) >= 2 and loc[0] == "nodes" and field == "value":
        return _UNDER_VALUES
    if len(loc) >= 2 and loc[0] == "values" and field in ("op", "args", "expr"):
        return _UNDER_NODES
    return ""


def missing_nodes_hint(document: Mapping[str, Any]) -> str:
    """For a spec without ``nodes``: which of its values look like formulas."""
    values = document.get("values")
    if not isinstance(values, dict):
        return ""
    formulas = [name for name, value in values.items() if looks_like_formula(value)]
    if not formulas:
        return ""
    quoted = [f"'{name}'" for name in formulas[:5]]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " and " + quoted[-1]
    more = f" (and {len(formulas) - 5} more)" if len(formulas) > 5 else ""
    them = "it" if len(formulas) == 1 else "them"
    look = "looks" if len(formulas) == 1 else "look"
    return (
        f": values {listed}{more} {look} like formulas; did you mean to put {them} under"
        " a 'nodes:' line?"
    )


def first_formula_value(document: Mapping[str, Any]) -> str | None:
    """The name of the first value that looks like a formula, where 'nodes:' probably goes."""
    values = document.get("values")
    if isinstance(values, dict):
        for name, value in values.items():
            if looks_like_formula(value):
                return str(name)
    return None


def entry_hint(value: object) -> str:
    """For ``nodes: y x1*2`` (one entry, its ':' missing): the colon to add."""
    if isinstance(value, str):
        match = _ENTRY.match(value.strip())
        if match:
            key, rest = match.groups()
            return f" (missing ':' after '{key}'? write '{key}: {rest}')"
    return ""


def flow_comma_hint(document: Mapping[str, Any], loc: tuple[Any, ...], raw: bytes) -> str:
    """For ``nodes: {y: sum(a, b)}``: inside ``{...}`` the comma ended y's entry at 'sum(a'.

    YAML then reads ``b)`` as the next key, which is refused as a name; the refusal is the
    symptom, so it says where the formula was cut. ``loc`` is the refused key's or entry's.
    """
    parent: Any = document
    for part in loc[:-1]:
        parent = parent.get(part) if isinstance(parent, dict) else None
    if not isinstance(parent, dict) or loc[-1] not in parent:
        return ""
    for key, text in parent.items():
        if key == loc[-1]:
            break
        cut = isinstance(text, str) and text.count("(") > text.count(")")
        if cut and (text + ",").encode("utf-8") in raw:  # a plain scalar, cut at its comma
            what = "the formula" if key == "expr" else f"the formula of {key!r}"
            return (
                f" (inside {{...}} a comma ends an entry, so {what} ended at {text!r}:"
                " put a formula with commas in quotes)"
            )
    return ""
