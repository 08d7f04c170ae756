"""Where a location of a document's data is written in its file: line and column.

``locate`` finds the value (or key) at a path such as ``("nodes", "n", "args", 0)``, and
a character inside a string value (a formula's offending part), in JSON or any YAML
style. It is the slow path, used only to report an error, and never fails: a place it
cannot find is None.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import Any, NamedTuple

import yaml
from yaml.events import (
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
)

from gradpipe.documents.text import (
    Location,
    Position,
    Request,
    decode,
    first_content,
    json_string_reader,
    position,
    yaml_events,
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
        places = _locate_yaml(text, raw, [requests[number] for number in in_yaml])
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


_COLLECTION_STARTS = (MappingStartEvent, SequenceStartEvent)

_COLLECTION_ENDS = (MappingEndEvent, SequenceEndEvent)


def _skip(next_event: Callable[[], Any], event: Event) -> None:
    """Consume the rest of the node that `event` starts."""
    depth = 1 if event.__class__ in _COLLECTION_STARTS else 0
    while depth:
        kind = next_event().__class__
        if kind in _COLLECTION_STARTS:
            depth += 1
        elif kind in _COLLECTION_ENDS:
            depth -= 1


class _Step:
    """A node of the trie of requested locations, and what the file has there."""

    __slots__ = ("by_index", "by_name", "ends", "event", "key_mark", "requests")

    def __init__(self) -> None:
        self.by_name: dict[str, _Step] = {}  # children under a mapping key
        self.by_index: dict[int, _Step] = {}  # children at a sequence index
        self.requests: list[int] = []  # the requests through or at this node
        self.ends: list[int] = []  # the requests that end here
        self.event: Any = None  # the value's event, once found
        self.key_mark: Any = None  # the mark of its key (or sequence item), once found


def _locate_yaml(text: str, raw: bytes, requests: Sequence[Request]) -> list[Position | None]:
    """Walk the YAML event stream once, descending only where a request leads."""
    root = _Step()
    for number, (loc, _, _) in enumerate(requests):
        step = root
        step.requests.append(number)
        for part in loc:
            table: dict[Any, _Step] = step.by_index if isinstance(part, int) else step.by_name
            step = table.setdefault(part, _Step())
            step.requests.append(number)
        step.ends.append(number)
    try:
        next_event = yaml_events(text, raw)
    except yaml.YAMLError:  # the pure-Python reader refuses unprintable text up front
        return [None] * len(requests)
    _walk_yaml(next_event, root, len(requests))
    results: list[Position | None] = []
    for loc, key, offset in requests:
        step = root
        for part in loc:
            found: dict[Any, _Step] = step.by_index if isinstance(part, int) else step.by_name
            child = found.get(part)
            if child is None or child.event is None:
                break
            step = child
        else:
            if offset is not None and step.event.__class__ is ScalarEvent:
                results.append(_place_in_scalar(text, step.event, offset))
                continue
        if step.event is None:
            results.append(None)
            continue
        mark = step.key_mark if key and step.key_mark is not None else step.event.start_mark
        results.append((mark.line + 1, mark.column + 1))
    return results


def _walk_yaml(next_event: Callable[[], Any], root: _Step, count: int) -> None:
    """Record in the trie the events found along the requested locations."""
    pending = set(range(count))
    # One frame per collection being searched: its step, whether a mapping, next index.
    frames: list[list[Any]] = []

    def enter(step: _Step, event: Any) -> None:
        step.event = event
        pending.difference_update(step.ends)
        if event.__class__ in _COLLECTION_STARTS and (step.by_name or step.by_index):
            frames.append([step, event.__class__ is MappingStartEvent, 0])
        else:
            _skip(next_event, event)
            pending.difference_update(step.requests)

    try:
        next_event()
        if next_event().__class__ is not DocumentStartEvent:
            return
        enter(root, next_event())
        while frames and pending:
            frame = frames[-1]
            step = frame[0]
            event = next_event()
            if event.__class__ in _COLLECTION_ENDS:
                frames.pop()
                pending.difference_update(step.requests)
                continue
            if frame[1]:
                name = event.value if event.__class__ is ScalarEvent else None
                _skip(next_event, event)
                value = next_event()
                child = step.by_name.get(name) if name is not None else None
            else:
                value = event
                child = step.by_index.get(frame[2])
                frame[2] += 1
            if child is None or child.event is not None:  # a repeated key: the first counts
                _skip(next_event, value)
                continue
            child.key_mark = event.start_mark
            enter(child, value)
    except yaml.YAMLError:
        return


def _place_in_scalar(text: str, event: Any, offset: int) -> Position:
    """Where character `offset` of a scalar's value is written, else where the scalar starts."""
    start = event.start_mark.index
    source = text[start : event.end_mark.index]
    index = source_index(source, event.value, offset, event.style or "")
    return position(text, start + (index or 0))


_ESCAPE_LENGTHS = {"x": 4, "u": 6, "U": 10}


def source_index(source: str, value: str, offset: int, style: str) -> int | None:
    """Index in `source` (a string as written) of character `offset` of its value.

    Walks both side by side: quotes, escapes, block indicators, line folding and
    indentation are written characters that the value does not hold as is.
    """
    if not 0 <= offset < len(value):
        return None
    at = 0  # in value
    cursor = 1 if style in ("'", '"') else 0  # in source
    indent = length = len(source)  # a flow scalar's line breaks drop all leading blanks
    if style in ("|", ">"):
        cursor = source.find("\n") + 1
        if cursor == 0:
            return None
        # A block scalar's lines lose only the indentation of its first line with content.
        content = re.search(r"^( *)[^ \r\n]", source[cursor:], re.MULTILINE)
        indent = len(content.group(1)) if content else 0
        cursor += min(indent, len(source) - cursor)
    while cursor < length:
        char = source[cursor]
        if char in "\r\n":
            cursor += 2 if source.startswith("\r\n", cursor) else 1
            line_start = cursor
            while cursor < length and source[cursor] in " \t" and cursor - line_start < indent:
                cursor += 1
            if value[at] in " \n":  # a folded or kept line break
                at += 1
        elif (style == '"' and char == "\\") or (style == "'" and source.startswith("''", cursor)):
            escaped = source[cursor + 1 : cursor + 2]
            if escaped in ("\r", "\n"):  # an escaped line break joins the lines
                cursor += 1
                continue
            if at == offset:
                return cursor
            cursor += _ESCAPE_LENGTHS.get(escaped, 2) if char == "\\" else 2
            at += 1
        else:
            if char == value[at]:
                if at == offset:
                    return cursor
                at += 1
            cursor += 1
        if at >= len(value):
            return None
    return None


# --- where a node is defined ---------------------------------------------------------

Loc = tuple[str | int, ...]

# Where a node is defined: a location in the file, and an offset into the formula found
# there, or one of these two markers.
WHOLE = -1  # the value at the location

KEY = -2  # the key at the location


class Where(NamedTuple):
    """The place of a node's definition in its file."""

    loc: Loc
    offset: int


def located_error(message: str, path: str, raw: bytes, where: Where) -> GradpipeError:
    position = place(raw, where)
    if position is None:
        return GradpipeError(message, path)
    return GradpipeError(message, path, *position)


def place(raw: bytes, where: Where) -> tuple[int, int] | None:
    """1-based line and column of ``where``; inside a formula, of its character."""
    loc, offset = where
    return locate(raw, loc, key=offset == KEY, offset=offset if offset >= 0 else None)
