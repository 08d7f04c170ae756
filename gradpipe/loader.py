"""Bytes of one YAML or JSON document -> plain data, strictly, with every problem located.

The format is told from the content (standard input has no extension). JSON goes through
`json.loads`; YAML through PyYAML's event stream (libyaml's C parser when installed), from
which plain data is built here, iteratively, with YAML 1.2 core-schema scalars, keys taken
as written, repeated keys refused, only standard tags, and aliases capped against bombs.
"""

from __future__ import annotations

import codecs
import json
import math
import re
import sys
from collections.abc import Callable, Sequence
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    DocumentStartEvent,
    Event,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from gradpipe.errors import GradpipeError

_CParser: Any
try:
    from yaml._yaml import CParser as _CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    _CParser = None

# libyaml's own limit; documents nested deeper than this are never legitimate specs.
MAX_DEPTH = 1000
# How many nodes aliases may add in total: a real spec needs few, a "billion laughs" needs 10^9.
MAX_ALIAS_NODES = 100_000

Position = tuple[int, int]
Location = tuple[str | int, ...]
# What to locate: a location, whether its key is meant, an offset into a string value.
Request = tuple[Location, bool, "int | None"]


class LoadError(GradpipeError):
    """A file that cannot be read as one YAML or JSON document of plain data."""


class _PureParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """PyYAML's pure-Python event parser, used only where libyaml is missing."""

    def __init__(self, stream: str | bytes) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)


def _parser_class() -> Callable[[str | bytes], Any]:
    """The fastest event parser available (tests monkeypatch this to force the pure one)."""
    return _CParser if _CParser is not None else _PureParser


def parse_data(raw: bytes, path: str) -> dict[str, Any]:
    """Bytes of one YAML or JSON document -> plain data (dict/list/str/int/float/bool/None)."""
    text, raw = _decode(raw, path)
    start = _first_content(text)
    if start is None:
        raise LoadError("empty document", path, 1, 1)
    if text[start] in "{[":
        data = _load_json_or_flow_yaml(text, raw, path, start)
    else:
        data = _load_yaml(text, raw, path)
    if not isinstance(data, dict):
        line, column = _position(text, start)
        if data is None:
            raise LoadError("empty document", path, line, column)
        line, column = locate(raw, ()) or (line, column)
        raise LoadError(
            f"expected a mapping at the top level, found {_kind(data)}", path, line, column
        )
    return data


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
        text, raw = _decode(raw, "")
    except LoadError:
        return results
    start = _first_content(text)
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


# --- text ----------------------------------------------------------------------------------

_NOT_YAML_PRINTABLE = re.compile(
    "[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


def _decode(raw: bytes, path: str) -> tuple[str, bytes]:
    """UTF-8 text (a BOM dropped) and the bytes it came from, or a located LoadError."""
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    if bom:
        raw = raw[bom:]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise LoadError("not UTF-8 text: this file is UTF-16; save it as UTF-8", path, 1, 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        line = raw.count(b"\n", 0, error.start) + 1
        line_start = raw.rfind(b"\n", 0, error.start) + 1
        column = len(raw[line_start : error.start].decode("utf-8")) + 1
        byte = raw[error.start]
        raise LoadError(
            f"not UTF-8 text: invalid byte 0x{byte:02x} at byte {bom + error.start + 1}",
            path,
            line,
            column,
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        line, column = _position(text, nul)
        raise LoadError("not a text file: found a NUL byte", path, line, column)
    return text, raw


def _first_content(text: str) -> int | None:
    """Offset of the first character that is not whitespace or part of a YAML comment."""
    offset = 0
    length = len(text)
    while offset < length:
        char = text[offset]
        if char in " \t\r\n":
            offset += 1
        elif char == "#":
            end = text.find("\n", offset)
            if end < 0:
                return None
            offset = end + 1
        else:
            return offset
    return None


def _position(text: str, offset: int) -> Position:
    """1-based line and column (in characters) of an offset into text."""
    line = text.count("\n", 0, offset) + 1
    return line, offset - text.rfind("\n", 0, offset)


def _kind(value: object) -> str:
    """How a value is named in messages."""
    if isinstance(value, dict):
        return "a mapping"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, bool):
        return "a boolean"
    if value is None:
        return "null"
    return "a number"


# --- JSON ----------------------------------------------------------------------------------


class _DuplicateKey(Exception):
    """Raised by the JSON object hook; located afterwards by a scan of the text."""


class _BadConstant(Exception):
    """NaN or Infinity in JSON: not a number in strict JSON."""


def _json_object(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    """A JSON object as a dict, refusing a repeated key."""
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKey
    return result


def _json_constant(name: str) -> float:
    """Refuse the NaN and Infinity tokens that Python's json accepts by default."""
    raise _BadConstant(name)


def _load_json(text: str, path: str) -> Any:
    """Strict JSON: no repeated keys, no NaN or Infinity; errors located."""
    try:
        return json.loads(text, object_pairs_hook=_json_object, parse_constant=_json_constant)
    except (_DuplicateKey, _BadConstant, RecursionError, ValueError) as error:
        if isinstance(error, json.JSONDecodeError):
            problem = error.msg.removesuffix(" at").removesuffix(" starting")
            raise LoadError(
                f"invalid JSON: {problem[:1].lower()}{problem[1:]}",
                path,
                error.lineno,
                error.colno,
            ) from None
        message, offset = _json_problem(text, deep=isinstance(error, RecursionError))
        if offset is None:
            raise LoadError(f"invalid JSON: {error}", path) from None
        line, column = _position(text, offset)
        raise LoadError(message, path, line, column) from None


_YAML_RETRY_LIMIT = 1 << 20  # characters


def _load_json_or_flow_yaml(text: str, raw: bytes, path: str, start: int) -> Any:
    """JSON first, then YAML (whose flow style reads `{a: 1}`) where JSON fails.

    When both fail, text that JSON read past its opening bracket was meant as JSON, so
    the error shown is JSON's; otherwise YAML's. Big files meant as JSON are not retried.
    """
    try:
        return _load_json(text, path)
    except LoadError as error:
        if not error.message.startswith("invalid JSON"):
            raise
        json_error = error
    meant_as_json = (json_error.line or 0, json_error.column or 0) > _position(text, start + 1)
    if meant_as_json and len(text) > _YAML_RETRY_LIMIT:
        raise json_error  # a big machine-written file: not worth a second, slower parse
    try:
        return _load_yaml(text, raw, path)
    except LoadError:
        if meant_as_json:
            raise json_error from None
        raise


_JSON_TOKEN = re.compile(
    r"[ \t\n\r]*(?:(\")|([{}\[\],:])|(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"
    r"|(true|false|null)|(NaN|-?Infinity))"
)
_scanstring: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]


def _json_problem(text: str, deep: bool) -> tuple[str, int | None]:
    """Why json.loads failed, and where: a repeated key, NaN, a long integer, deep nesting."""
    # Python 3.11+ refuses to convert integers longer than this (0: no limit).
    digit_limit: int = getattr(sys, "get_int_max_str_digits", lambda: 0)()
    keys: list[dict[str, int] | None] = []
    expect_key = False
    offset = 0
    deepest = (0, 0)
    while True:
        match = _JSON_TOKEN.match(text, offset)
        if match is None:
            break
        start = match.end() - len(match.group(0).lstrip(" \t\n\r"))
        offset = match.end()
        if match.group(1):
            value, offset = _scanstring(text, offset)
            if expect_key:
                seen = keys[-1]
                assert seen is not None
                if value in seen:
                    first = _position(text, seen[value])[0]
                    return f"duplicate key {value!r} (first on line {first})", start
                seen[value] = start
                expect_key = False
        elif match.group(2):
            char = match.group(2)
            if char in "{[":
                keys.append({} if char == "{" else None)
                if len(keys) > MAX_DEPTH:
                    return f"nesting deeper than {MAX_DEPTH} levels", start
                deepest = max(deepest, (len(keys), -start))
                expect_key = char == "{"
            elif char in "}]":
                keys.pop()
            elif char == ",":
                expect_key = bool(keys) and keys[-1] is not None
        elif match.group(3):
            digits = match.group(3).lstrip("-")
            if digit_limit and digits.isdigit() and len(digits) > digit_limit:
                return "number too long", start
        elif match.group(5):
            return f"{match.group(5)} is not a number in JSON", start
    if deep and deepest[0] > 0:
        return f"nesting too deep ({deepest[0]} levels)", -deepest[1]
    return "invalid JSON", None


def _locate_json(
    text: str, start: int, loc: Location, key: bool, offset: int | None
) -> Position | None:
    """Walk `loc` through JSON text, skipping unrelated values at C speed; None if not JSON."""
    skip = json.JSONDecoder().raw_decode
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
                    name, cursor = _scanstring(text, cursor + 1)
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
                value, end = _scanstring(text, value_at + 1)
                inside = _source_index(text[value_at:end], value, offset, '"')
                return _position(text, value_at + (inside or 0))
    except (ValueError, IndexError, RecursionError):
        return None
    at = key_at if key and key_at is not None else value_at
    return _position(text, at)


# --- YAML ----------------------------------------------------------------------------------

_NO_KEY: Any = object()
_OPEN: Any = object()  # the entry of an anchor whose node is still being read
_TAG_PREFIX = "tag:yaml.org,2002:"
_STANDARD_TAGS = "!!str, !!int, !!float, !!bool, !!null, !!map and !!seq"
_WORDS: dict[str, Any] = {
    "": None,
    "~": None,
    "null": None,
    "Null": None,
    "NULL": None,
    "true": True,
    "True": True,
    "TRUE": True,
    "false": False,
    "False": False,
    "FALSE": False,
}
for _sign, _factor in (("", 1.0), ("+", 1.0), ("-", -1.0)):
    for _spelling in (".inf", ".Inf", ".INF"):
        _WORDS[_sign + _spelling] = _factor * math.inf
for _spelling in (".nan", ".NaN", ".NAN"):
    _WORDS[_spelling] = math.nan
_NUMBER = re.compile(
    r"([-+]?[0-9]+)|([-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)"
    r"|0x([0-9a-fA-F]+)|0o([0-7]+)"
).fullmatch


class _Refused(Exception):
    """A scalar or tag that the strict loader does not accept; located by the caller."""


def _plain(value: str) -> Any:
    """A plain (unquoted, untagged) scalar as the YAML 1.2 core schema reads it."""
    word = _WORDS.get(value, _NO_KEY)
    if word is not _NO_KEY:
        return word
    if value[0] in "0123456789+-.":
        match = _NUMBER(value)
        if match is not None:
            kind = match.lastindex
            if kind == 1:
                return int(value)
            if kind == 2:
                return float(value)
            return int(match.group(kind or 0), 16 if kind == 3 else 8)
    return value


def _show_tag(tag: str) -> str:
    """A tag as people write it: `!!int`, not `tag:yaml.org,2002:int`."""
    return "!!" + tag[len(_TAG_PREFIX) :] if tag.startswith(_TAG_PREFIX) else tag


def _tagged(tag: str, value: str) -> Any:
    """A scalar with an explicit tag: only the standard scalar tags, checked."""
    if tag == "!" or tag == _TAG_PREFIX + "str":
        return value
    name = tag[len(_TAG_PREFIX) :] if tag.startswith(_TAG_PREFIX) else ""
    if name in ("int", "float", "bool", "null"):
        result = _plain(value) if value else None
        if name == "null" and result is None:
            return None
        if name == "bool" and isinstance(result, bool):
            return result
        if isinstance(result, (int, float)) and not isinstance(result, bool):
            if name == "float":
                return float(result)
            if name == "int" and isinstance(result, int):
                return result
        raise _Refused(f"{value!r} is not a valid !!{name}")
    raise _Refused(f"tag {_show_tag(tag)!r} is not allowed (only {_STANDARD_TAGS})")


def _check_collection_tag(tag: str | None, standard: str) -> None:
    """A mapping may be tagged !!map and a sequence !!seq; nothing else."""
    if tag is not None and tag != "!" and tag != _TAG_PREFIX + standard:
        raise _Refused(f"tag {_show_tag(tag)!r} is not allowed (only {_STANDARD_TAGS})")


def _events(text: str, raw: bytes) -> Callable[[], Any]:
    """The next-event function of the fastest parser available."""
    parser_class = _parser_class()
    parser = parser_class(raw if parser_class is _CParser else text)
    next_event: Callable[[], Any] = parser.get_event
    return next_event


def _load_yaml(text: str, raw: bytes, path: str) -> Any:
    """Plain data from YAML text, or a LoadError located at the offending token."""
    bad = _NOT_YAML_PRINTABLE.search(text)
    if bad is not None:
        line, column = _position(text, bad.start())
        raise LoadError(
            f"character U+{ord(bad.group()):04X} is not allowed in YAML", path, line, column
        )
    if _parser_class() is _PureParser:
        _check_flow_depth(text, path)
    try:
        return _build(_events(text, raw), raw, path)
    except yaml.MarkedYAMLError as error:
        mark = error.problem_mark
        problem = error.problem or "syntax error"
        if "maximum nesting depth" in problem:
            message = f"nesting deeper than {MAX_DEPTH} levels"
        else:
            message = f"invalid YAML: {problem}"
            context_mark = error.context_mark
            if error.context and context_mark is not None:
                message += (
                    f" ({error.context} that starts at line {context_mark.line + 1},"
                    f" column {context_mark.column + 1})"
                )
        if mark is None:
            raise LoadError(message, path) from None
        raise LoadError(message, path, mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as error:
        raise LoadError(f"invalid YAML: {error}", path) from None


def _check_flow_depth(text: str, path: str) -> None:
    """Refuse deep bracket nesting up front: the pure-Python scanner is quadratic in it."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for bracket in _BRACKET.finditer(text):
        depth = depth + 1 if bracket.group() in "[{" else max(depth - 1, 0)
        if depth > MAX_DEPTH:
            line, column = _position(text, bracket.start())
            raise LoadError(f"nesting deeper than {MAX_DEPTH} levels", path, line, column)


_BRACKET = re.compile(r"[\[\]{}]")


def _build(next_event: Callable[[], Any], raw: bytes, path: str) -> Any:
    """Plain data from a YAML event stream, without recursion.

    Repeated keys, non-standard tags, several documents, recursive aliases and aliases
    that expand too much are refused at the event where they appear.
    """
    event = next_event()  # the stream start
    event = next_event()
    if event.__class__ is StreamEndEvent:
        return None
    root: list[Any] = []
    current: Any = root
    in_mapping = False
    key: Any = _NO_KEY
    # One frame per open collection: its parent, whether that is a mapping, the key the
    # collection sits under, its anchor and the node count when it opened.
    stack: list[tuple[Any, bool, Any, str | None, int]] = []
    anchors: dict[str, Any] = {}  # anchor -> (value, expanded node count) or _OPEN
    written: dict[str, str] = {}  # anchor -> text of an anchored scalar, for alias keys
    count = 0
    aliased = 0
    try:
        while True:
            event = next_event()
            kind = event.__class__
            if kind is ScalarEvent:
                count += 1
                tag = event.tag
                if in_mapping and key is _NO_KEY:
                    key = event.value
                    if tag is not None:
                        _tagged(tag, key)
                    _check_key(current, key, event, stack, raw, path)
                    if event.anchor is not None:
                        anchors[event.anchor] = (key, 1)
                        written[event.anchor] = key
                    continue
                if tag is None:
                    value = _plain(event.value) if event.implicit[0] else event.value
                else:
                    value = _tagged(tag, event.value)
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1)
                    written[event.anchor] = event.value
            elif kind is MappingStartEvent or kind is SequenceStartEvent:
                count += 1
                is_mapping = kind is MappingStartEvent
                if in_mapping and key is _NO_KEY:
                    found = "a mapping" if is_mapping else "a list"
                    raise _Refused(f"a mapping key must be plain text, not {found}")
                _check_collection_tag(event.tag, "map" if is_mapping else "seq")
                value = {} if is_mapping else []
                if in_mapping:
                    current[key] = value
                else:
                    current.append(value)
                anchor = event.anchor
                stack.append((current, in_mapping, key, anchor, count))
                if len(stack) > MAX_DEPTH:
                    raise _Refused(f"nesting deeper than {MAX_DEPTH} levels")
                if anchor is not None:
                    anchors[anchor] = _OPEN
                current, in_mapping, key = value, is_mapping, _NO_KEY
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                done = current
                current, in_mapping, key, anchor, opened = stack.pop()
                key = _NO_KEY
                if anchor is not None:
                    anchors[anchor] = (done, count - opened + 1)
                continue
            elif kind is AliasEvent:
                name = event.anchor
                entry = anchors.get(name)
                if entry is None:
                    raise _Refused(f"unknown alias '*{name}'")
                if entry is _OPEN:
                    raise _Refused(f"alias '*{name}' refers to a node that contains it")
                value, size = entry
                aliased += size
                count += size
                if aliased > MAX_ALIAS_NODES:
                    raise _Refused(
                        f"aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?)"
                    )
                if in_mapping and key is _NO_KEY:
                    if name not in written:
                        raise _Refused("a mapping key must be plain text")
                    key = written[name]
                    _check_key(current, key, event, stack, raw, path)
                    continue
            elif kind is DocumentEndEvent:
                break
            else:
                raise _Refused(f"unexpected YAML event {kind.__name__}")
            if in_mapping:
                current[key] = value
                key = _NO_KEY
            else:
                current.append(value)
        event = next_event()
        if event.__class__ is not StreamEndEvent:
            raise _Refused("one document per file (found a second document)")
    except _Refused as error:
        mark = event.start_mark
        raise LoadError(str(error), path, mark.line + 1, mark.column + 1) from None
    except ValueError:  # int() refuses more than sys.get_int_max_str_digits() digits
        mark = event.start_mark
        raise LoadError("number too long", path, mark.line + 1, mark.column + 1) from None
    return root[0]


def _check_key(
    mapping: dict[str, Any],
    key: str,
    event: Any,
    stack: list[tuple[Any, bool, Any, str | None, int]],
    raw: bytes,
    path: str,
) -> None:
    """Refuse a key repeated in one mapping (PyYAML would keep the last) and merge keys."""
    if key in mapping:
        where = tuple(
            parent_key if parent_is_mapping else len(parent) - 1
            for parent, parent_is_mapping, parent_key, _, _ in stack[1:]
        )
        first = locate(raw, (*where, key), key=True)
        mark = event.start_mark
        message = f"duplicate key {key!r}"
        if first is not None:
            message += f" (first on line {first[0]})"
        raise LoadError(message, path, mark.line + 1, mark.column + 1)
    if key == "<<" and event.__class__ is ScalarEvent and event.implicit[0]:
        raise _Refused("merge keys ('<<') are not supported: write each key out")


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
        next_event = _events(text, raw)
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
    index = _source_index(source, event.value, offset, event.style or "")
    return _position(text, start + (index or 0))


_ESCAPE_LENGTHS = {"x": 4, "u": 6, "U": 10}


def _source_index(source: str, value: str, offset: int, style: str) -> int | None:
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
