"""Bytes of one YAML or JSON document -> plain data, strictly, with every problem located.

The format is told from the content (standard input has no extension). JSON goes through
`json.loads`; YAML through ``yaml_reading``, imported only when YAML is read.
"""

from __future__ import annotations

import re
import sys
from typing import Any

from gradpipe.documents.locating import locate
from gradpipe.documents.text import (
    MAX_DEPTH,
    Location,
    decode,
    first_content,
    json_string_reader,
    position,
)
from gradpipe.errors import LoadError, warn


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
        data = _yaml(text, raw, path)
        if path.lower().endswith(".json"):
            line, column = position(text, start)
            not_json = LoadError("it does not start with '{' or '['", path, line, column)
    if "\\" in text and re.search(_SURROGATE_ESCAPE, text) is not None:
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
# Compiled only for text with a backslash (README, figure 4).
_SURROGATE_ESCAPE = r"\\(?:u|U0000)[dD][89a-fA-F][0-9a-fA-F]{2}"
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
    return _yaml(text, raw, path), json_error


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


def _yaml(text: str, raw: bytes, path: str) -> Any:
    """``yaml_reading.load_yaml``, imported on first use: JSON needs none of PyYAML."""
    from gradpipe.documents.yaml_reading import load_yaml

    return load_yaml(text, raw, path)
