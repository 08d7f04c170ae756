"""Bytes of one YAML or JSON document -> plain data, strictly, with every problem located.

The format is told from the content (standard input has no extension). JSON goes through
`json.loads`; YAML through PyYAML's event stream (libyaml's C parser when installed), from
which plain data is built here, iteratively, with YAML 1.2 core-schema scalars, keys taken
as written, repeated keys refused, only standard tags, and aliases capped against bombs.
"""

from __future__ import annotations

import math
import re
import sys
from collections.abc import Callable
from typing import Any

import yaml
from yaml.events import (
    AliasEvent,
    DocumentEndEvent,
    MappingEndEvent,
    MappingStartEvent,
    ScalarEvent,
    SequenceEndEvent,
    SequenceStartEvent,
    StreamEndEvent,
)

from gradpipe.documents import text as document_text
from gradpipe.documents.locating import locate
from gradpipe.documents.numbers import read_number
from gradpipe.documents.text import (
    MAX_DEPTH,
    NOT_YAML_PRINTABLE,
    Location,
    PureParser,
    decode,
    first_content,
    json_string_reader,
    position,
    yaml_events,
)
from gradpipe.errors import LoadError, warn

# How many nodes aliases may add in total: a real spec needs few, a "billion laughs" needs 10^9.
MAX_ALIAS_NODES = 100_000
# How much text aliases may add in total: one big scalar aliased 20,000 times is 30 GB.
MAX_ALIAS_CHARACTERS = 1_000_000


def parse_data(raw: bytes, path: str) -> dict[str, Any]:
    """Bytes of one YAML or JSON document -> plain data (dict/list/str/int/float/bool/None)."""
    text, raw = decode(raw, path)
    start = first_content(text)
    if start is None:
        raise LoadError("empty document", path, 1, 1)
    not_json: LoadError | None = None
    if text[start] in "{[":
        data, not_json = _load_json_or_flow_yaml(text, raw, path, start)
    else:
        data = _load_yaml(text, raw, path)
        if path.lower().endswith(".json"):
            line, column = position(text, start)
            not_json = LoadError("it does not start with '{' or '['", path, line, column)
    if _SURROGATE_ESCAPE.search(text) is not None:
        _refuse_surrogates(data, raw, path)
    if not isinstance(data, dict):
        line, column = position(text, start)
        if data is None:
            raise LoadError("empty document", path, line, column)
        line, column = locate(raw, ()) or (line, column)
        raise LoadError(
            f"expected a mapping at the top level, found {_kind(data)}", path, line, column
        )
    if not_json is not None and path.lower().endswith(".json"):
        # Other tools will refuse it: say so, and why, though YAML reads it.
        reason = not_json.message.removeprefix("invalid JSON: ")
        warn(f"not valid JSON ({reason}): read as YAML", path, not_json.line, not_json.column)
    return data


# A lone surrogate can only come from an escape (UTF-8 text cannot hold one): JSON's
# \ud800, or \ud800 and \U0000d800 in a YAML double-quoted scalar (pure-Python parser).
_SURROGATE_ESCAPE = re.compile(r"\\(?:u|U0000)[dD][89a-fA-F][0-9a-fA-F]{2}")
_SURROGATE = "[\ud800-\udfff]"  # compiled when an escape above is found


def _refuse_surrogates(data: Any, raw: bytes, path: str) -> None:
    """Refuse text holding a lone surrogate: it is no Unicode character and cannot be written.

    Checked here, once, so that every command refuses it alike (validate included),
    at the first key or string that holds one, in file order.
    """
    surrogate = re.compile(_SURROGATE)
    todo: list[tuple[Location, Any]] = [((), data)]
    while todo:
        loc, item = todo.pop()
        found: tuple[Location, bool, str] | None = None
        if isinstance(item, dict):
            children = []
            for key, value in item.items():
                if surrogate.search(key):
                    found = ((*loc, key), True, key)
                    break
                children.append(((*loc, key), value))
            todo.extend(reversed(children))
        elif isinstance(item, list):
            todo.extend(reversed([((*loc, i), value) for i, value in enumerate(item)]))
        elif isinstance(item, str) and surrogate.search(item):
            found = (loc, False, item)
        if found is not None:
            where, is_key, text = found
            char = surrogate.search(text).group()  # type: ignore[union-attr]
            what = "a key" if is_key else "a string"
            line, column = locate(raw, where, key=is_key) or (None, None)
            raise LoadError(
                f"{what} holds a lone surrogate (\\u{ord(char):04x}), which is not a Unicode"
                " character: write the character itself, or both halves of its pair",
                path,
                line,
                column,
            )


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


def _json_loads(text: str) -> Any:
    """The one call of the JSON parser: the depth probes must go through it too."""
    import json  # a YAML spec never needs it

    return json.loads(text, object_pairs_hook=_json_object, parse_constant=_json_constant)


# Recursion limits that give json.loads exactly MAX_DEPTH levels, by the caller's depth.
_JSON_LIMITS: dict[int, int] = {}


def _json_recursion_limit() -> int:
    """The recursion limit at which ``_load_json``'s call parses exactly MAX_DEPTH levels.

    Python's C parser counts each nested array or object against the recursion limit,
    from wherever it is called, so the deepest document it reads depends on the caller's
    stack. Measured by probes from one frame deeper than ``_load_json`` (hence the -1),
    once per stack depth, so every caller gets the same limit, exactly.
    """
    depth = 0
    frame = sys._getframe(1)
    while frame is not None:
        depth += 1
        frame = frame.f_back  # type: ignore[assignment]
    limit = _JSON_LIMITS.get(depth)
    if limit is not None:
        return limit
    trial = depth + 2 * MAX_DEPTH + 50  # room for the probes, whatever the C frames use
    previous = sys.getrecursionlimit()
    sys.setrecursionlimit(trial)
    try:
        low, high = 0, 4 * MAX_DEPTH
        while low < high:  # the deepest nesting that parses at `trial`
            middle = (low + high + 1) // 2
            try:
                _json_loads("[" * middle + "]" * middle)
                low = middle
            except RecursionError:
                high = middle - 1
    finally:
        sys.setrecursionlimit(previous)
    limit = trial - low + MAX_DEPTH - 1
    _JSON_LIMITS[depth] = limit
    return limit


def _load_json(text: str, path: str) -> Any:
    """Strict JSON: no repeated keys, no NaN or Infinity, MAX_DEPTH levels; errors located."""
    previous = sys.getrecursionlimit()
    # Nesting is at most the count of brackets: a few can never reach any limit.
    limit = _json_recursion_limit() if text.count("[") + text.count("{") > 50 else 0
    try:
        if limit:
            sys.setrecursionlimit(limit)
        try:
            return _json_loads(text)
        except RecursionError:
            if not limit or _json_problem(text, deep=False)[0].startswith("nesting deeper"):
                raise
            # An object at the limit: its object hook, a Python function, takes one frame.
            sys.setrecursionlimit(limit + 2)
            return _json_loads(text)
    except (_DuplicateKey, _BadConstant, RecursionError, ValueError) as error:
        import json  # imported already, by _json_loads

        sys.setrecursionlimit(previous)
        if isinstance(error, json.JSONDecodeError):
            comma = _trailing_comma(text, error.pos)
            if comma is not None:
                line, column = position(text, comma)
                raise LoadError(
                    f"invalid JSON: trailing comma before '{text[error.pos]}' (JSON allows"
                    " none: remove it)",
                    path,
                    line,
                    column,
                ) from None
            problem = error.msg.removesuffix(" at").removesuffix(" starting")
            line, column = position(text, error.pos)
            raise LoadError(
                f"invalid JSON: {problem[:1].lower()}{problem[1:]}", path, line, column
            ) from None
        message, offset = _json_problem(text, deep=isinstance(error, RecursionError))
        if offset is None:
            raise LoadError(f"invalid JSON: {error}", path) from None
        line, column = position(text, offset)
        raise LoadError(message, path, line, column) from None
    finally:
        sys.setrecursionlimit(previous)


def _load_json_or_flow_yaml(
    text: str, raw: bytes, path: str, start: int
) -> tuple[Any, LoadError | None]:
    """JSON first, then YAML (whose flow style reads `{a: 1}`) where JSON fails at once.

    Text that JSON read past its opening bracket (a quoted key, a number) starts like
    JSON and is held to JSON: its error is shown, even where YAML would read it (a
    trailing comma). Otherwise the data is YAML's, with JSON's error for a warning.
    """
    try:
        return _load_json(text, path), None
    except LoadError as error:
        if not error.message.startswith("invalid JSON"):
            raise
        json_error = error
    if (json_error.line or 0, json_error.column or 0) > position(text, start + 1):
        raise json_error
    return _load_yaml(text, raw, path), json_error


def _trailing_comma(text: str, offset: int) -> int | None:
    """The offset of a ',' right before the '}' or ']' at ``offset``, if there is one."""
    if not 0 <= offset < len(text) or text[offset] not in "}]":
        return None
    before = offset - 1
    while before >= 0 and text[before] in " \t\r\n":
        before -= 1
    return before if before >= 0 and text[before] == "," else None


# Compiled on first use (by re's cache): only a document JSON refused needs it.
_JSON_TOKEN = (
    r"[ \t\n\r]*(?:(\")|([{}\[\],:])|(-?(?:0|[1-9][0-9]*)(?:\.[0-9]+)?(?:[eE][-+]?[0-9]+)?)"
    r"|(true|false|null)|(NaN|-?Infinity))"
)


def _json_problem(text: str, deep: bool) -> tuple[str, int | None]:
    """Why json.loads failed, and where: a repeated key, NaN, a long integer, deep nesting."""
    # Python 3.11+ refuses to convert integers longer than this (0: no limit).
    digit_limit: int = getattr(sys, "get_int_max_str_digits", lambda: 0)()
    keys: list[dict[str, int] | None] = []
    expect_key = False
    offset = 0
    deepest = (0, 0)
    match_token = re.compile(_JSON_TOKEN).match
    scanstring = json_string_reader()
    while True:
        match = match_token(text, offset)
        if match is None:
            break
        start = match.end() - len(match.group(0).lstrip(" \t\n\r"))
        offset = match.end()
        if match.group(1):
            value, offset = scanstring(text, offset)
            if expect_key:
                seen = keys[-1]
                assert seen is not None
                if value in seen:
                    first = position(text, seen[value])[0]
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
    if deep and deepest[0] > 0:  # Python's own limit, met below MAX_DEPTH: not expected
        return f"nesting too deep for this Python ({deepest[0]} levels)", -deepest[1]
    return "invalid JSON", None


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


class _Refused(Exception):
    """A scalar or tag that the strict loader does not accept; located by the caller."""


def _plain(value: str) -> Any:
    """A plain (unquoted, untagged) scalar as the YAML 1.2 core schema reads it."""
    word = _WORDS.get(value, _NO_KEY)
    if word is not _NO_KEY:
        return word
    if value[0] in "0123456789+-.":
        number = read_number(value)
        if number is not None:
            return number
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


def _load_yaml(text: str, raw: bytes, path: str) -> Any:
    """Plain data from YAML text, or a LoadError located at the offending token."""
    bad = NOT_YAML_PRINTABLE.search(text)
    if bad is not None:
        line, column = position(text, bad.start())
        raise LoadError(
            f"character U+{ord(bad.group()):04X} is not allowed in YAML", path, line, column
        )
    pure = document_text.parser_class() is PureParser
    if pure:
        _check_flow_depth(text, path)
    try:
        try:
            return _build(yaml_events(text, raw), raw, path)
        except yaml.MarkedYAMLError as error:
            # libyaml stops at 1,000 levels of its own counting (block mappings count one
            # more): the pure parser, with our exact count, decides.
            if pure or "maximum nesting depth" not in (error.problem or ""):
                raise
            _check_flow_depth(text, path)
            return _build(PureParser(text).get_event, raw, path)
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
        from gradpipe.documents.yaml_messages import explain_yaml_error  # only on a refusal

        context_mark = error.context_mark
        explained = explain_yaml_error(
            text,
            problem,
            mark.line + 1,
            mark.column + 1,
            None if context_mark is None else context_mark.line + 1,
        )
        if explained is not None:
            message = f"invalid YAML: {explained.message}"
            raise LoadError(message, path, explained.line, explained.column) from None
        raise LoadError(message, path, mark.line + 1, mark.column + 1) from None
    except yaml.YAMLError as error:
        raise LoadError(f"invalid YAML: {error}", path) from None


def _check_flow_depth(text: str, path: str) -> None:
    """Refuse deep bracket nesting up front: the pure-Python scanner is quadratic in it."""
    if text.count("[") + text.count("{") <= MAX_DEPTH:
        return
    depth = 0
    for bracket in re.finditer(_BRACKET, text):
        depth = depth + 1 if bracket.group() in "[{" else max(depth - 1, 0)
        if depth > MAX_DEPTH:
            line, column = position(text, bracket.start())
            raise LoadError(f"nesting deeper than {MAX_DEPTH} levels", path, line, column)


_BRACKET = r"[\[\]{}]"  # compiled on first use, by re's cache


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
    stack: list[tuple[Any, bool, Any, str | None, int, int]] = []
    anchors: dict[str, Any] = {}  # anchor -> (value, expanded node count) or _OPEN
    written: dict[str, str] = {}  # anchor -> text of an anchored scalar, for alias keys
    count = 0
    aliased = 0
    characters = 0  # of every scalar read so far, aliases expanded
    aliased_characters = 0
    try:
        while True:
            event = next_event()
            kind = event.__class__
            if kind is ScalarEvent:
                count += 1
                characters += len(event.value)
                tag = event.tag
                if in_mapping and key is _NO_KEY:
                    key = event.value
                    if tag is not None:
                        _tagged(tag, key)
                    _check_key(current, key, event, stack, raw, path)
                    if event.anchor is not None:
                        anchors[event.anchor] = (key, 1, len(key))
                        written[event.anchor] = key
                    continue
                if tag is None:
                    value = _plain(event.value) if event.implicit[0] else event.value
                else:
                    value = _tagged(tag, event.value)
                if event.anchor is not None:
                    anchors[event.anchor] = (value, 1, len(event.value))
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
                stack.append((current, in_mapping, key, anchor, count, characters))
                if len(stack) > MAX_DEPTH:
                    raise _Refused(f"nesting deeper than {MAX_DEPTH} levels")
                if anchor is not None:
                    anchors[anchor] = _OPEN
                current, in_mapping, key = value, is_mapping, _NO_KEY
                continue
            elif kind is MappingEndEvent or kind is SequenceEndEvent:
                done = current
                current, in_mapping, key, anchor, opened, text_before = stack.pop()
                key = _NO_KEY
                if anchor is not None:
                    anchors[anchor] = (done, count - opened + 1, characters - text_before)
                continue
            elif kind is AliasEvent:
                name = event.anchor
                entry = anchors.get(name)
                if entry is None:
                    raise _Refused(f"unknown alias '*{name}'")
                if entry is _OPEN:
                    raise _Refused(f"alias '*{name}' refers to a node that contains it")
                value, size, length = entry
                aliased += size
                count += size
                aliased_characters += length
                characters += length
                if aliased > MAX_ALIAS_NODES:
                    raise _Refused(
                        f"aliases expand to more than {MAX_ALIAS_NODES} nodes (an alias bomb?)"
                    )
                if aliased_characters > MAX_ALIAS_CHARACTERS:
                    raise _Refused(
                        f"aliases expand to more than {MAX_ALIAS_CHARACTERS} characters of"
                        " text (an alias bomb?): write the repeated text out"
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
    stack: list[tuple[Any, bool, Any, str | None, int, int]],
    raw: bytes,
    path: str,
) -> None:
    """Refuse a key repeated in one mapping (PyYAML would keep the last) and merge keys."""
    if key in mapping:
        where = tuple(
            parent_key if parent_is_mapping else len(parent) - 1
            for parent, parent_is_mapping, parent_key, _, _, _ in stack[1:]
        )
        first = locate(raw, (*where, key), key=True)
        mark = event.start_mark
        message = f"duplicate key {key!r}"
        if first is not None:
            message += f" (first on line {first[0]})"
        raise LoadError(message, path, mark.line + 1, mark.column + 1)
    if key == "<<" and event.__class__ is ScalarEvent and event.implicit[0]:
        raise _Refused("merge keys ('<<') are not supported: write each key out")
