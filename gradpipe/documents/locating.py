"""Where a location of a document's data is written in its file: line and column.

``locate`` finds the value (or key) at a path such as ``("nodes", "n", "args", 0)``, and
a character inside a string value (a formula's offending part), in JSON or any YAML
style. It is the slow path, used only to report an error, and never fails: a place it
cannot find is None.
"""

from __future__ import annotations

import re
from collections.abc import Sequence

from gradpipe.documents.text import (
    Location,
    Position,
    Request,
    decode,
    first_content,
    json_string_reader,
    position,
    source_index,
)
from gradpipe.errors import GradpipeError, LoadError


def locate(
    raw: bytes, loc: Location, *, key: bool = False, offset: int | None = None
) -> Position | None:
    """1-based (line, column) of the value at `loc`, or of its mapping key when `key`.

    With `offset`, the place of that character (0-based) of the string value at `loc`, e.g.
    of a formula's offending part, in whatever style the string is written (quoted, with
    escapes, folded, block). Where `loc` goes deeper than the data, the nearest existing
    ancestor's place is given; None if the document cannot be read at all. Slow path: only
    used to report an error.
    """
    return locate_many(raw, [(loc, key, offset)])[0]


def locate_many(raw: bytes, requests: Sequence[Request]) -> list[Position | None]:
    """`locate` for several `(loc, key, offset)` requests in one pass over the file."""
    results: list[Position | None] = [None] * len(requests)
    try:
        text, raw = decode(raw, "")
    except LoadError:
        return results
    start = first_content(text)
    if start is None:
        return results
    in_yaml = list(range(len(requests)))
    if text[start] in "{[":
        for number, (loc, key, offset) in enumerate(requests):
            results[number] = _locate_json(text, start, loc, key, offset)
        in_yaml = [number for number, place in enumerate(results) if place is None]
    if in_yaml:
        from gradpipe.documents.yaml_locating import locate_yaml  # JSON needs no PyYAML

        places = locate_yaml(text, raw, [requests[number] for number in in_yaml])
        for number, place in zip(in_yaml, places, strict=True):
            results[number] = place
    return results


def _locate_json(
    text: str, start: int, loc: Location, key: bool, offset: int | None
) -> Position | None:
    """Walk `loc` through JSON text, skipping unrelated values at C speed; None if not JSON."""
    import json  # YAML's places never need it

    skip = json.JSONDecoder().raw_decode
    scanstring = json_string_reader()
    blank = re.compile(r"[ \t\n\r]*").match

    def after_blank(cursor: int) -> int:
        return blank(text, cursor).end()  # type: ignore[union-attr]

    value_at = start
    key_at: int | None = None
    try:
        for step in loc:
            char = text[value_at]
            found = False
            cursor = after_blank(value_at + 1)
            if char == "{" and text[cursor] != "}":
                while True:
                    if text[cursor] != '"':
                        return None
                    name_at = cursor
                    name, cursor = scanstring(text, cursor + 1)
                    cursor = after_blank(cursor)
                    if text[cursor] != ":":
                        return None
                    cursor = after_blank(cursor + 1)
                    if name == step:
                        key_at, value_at, found = name_at, cursor, True
                        break
                    cursor = after_blank(skip(text, cursor)[1])
                    if text[cursor] != ",":
                        break
                    cursor = after_blank(cursor + 1)
            elif char == "[" and isinstance(step, int) and text[cursor] != "]":
                index = 0
                while True:
                    if index == step:
                        key_at, value_at, found = cursor, cursor, True
                        break
                    cursor = after_blank(skip(text, cursor)[1])
                    if text[cursor] != ",":
                        break
                    cursor = after_blank(cursor + 1)
                    index += 1
            if not found:
                break
        else:
            if offset is not None and text[value_at] == '"':
                value, end = scanstring(text, value_at + 1)
                inside = source_index(text[value_at:end], value, offset, '"')
                return position(text, value_at + (inside or 0))
    except (ValueError, IndexError, RecursionError):
        return None
    at = key_at if key and key_at is not None else value_at
    return position(text, at)


# --- where a node is defined ---------------------------------------------------------

Loc = tuple[str | int, ...]

# Where a node is defined: a location in the file, and an offset into the formula found
# there, or one of these two markers.
WHOLE = -1  # the value at the location

KEY = -2  # the key at the location


class Where:
    """The place of a node's definition in its file.

    A plain class: a NamedTuple costs a start-up 0.9M instructions to create (README,
    figure 4).
    """

    __slots__ = ("loc", "offset")

    def __init__(self, loc: Loc, offset: int) -> None:
        self.loc = loc
        self.offset = offset


def located_error(message: str, path: str, raw: bytes, where: Where) -> GradpipeError:
    position = place(raw, where)
    if position is None:
        return GradpipeError(message, path)
    return GradpipeError(message, path, *position)


def place(raw: bytes, where: Where) -> tuple[int, int] | None:
    """1-based line and column of ``where``; inside a formula, of its character."""
    offset = where.offset
    return locate(raw, where.loc, key=offset == KEY, offset=offset if offset >= 0 else None)
