"""YAML text -> plain data, strictly: the YAML half of ``parsing``, imported only for YAML.

Plain data is built here from PyYAML's event stream (libyaml's C parser when installed),
iteratively, with YAML 1.2 core-schema scalars, keys taken as written, repeated keys
refused, only standard tags, and aliases capped against bombs. A JSON document never
loads this module or PyYAML (README, figure 2).
"""

from __future__ import annotations

import math
import re
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

from gradpipe.documents import yaml_parser
from gradpipe.documents.locating import locate
from gradpipe.documents.numbers import read_number
from gradpipe.documents.text import MAX_DEPTH, position
from gradpipe.documents.yaml_parser import PureParser, yaml_events
from gradpipe.errors import LoadError

# How many nodes aliases may add in total: a real spec needs few, a "billion laughs" needs 10^9.
MAX_ALIAS_NODES = 100_000
# How much text aliases may add in total: one big scalar aliased 20,000 times is 30 GB.
MAX_ALIAS_CHARACTERS = 1_000_000

# The characters YAML 1.1 leaves out of its printable set: PyYAML's own pattern, which
# importing yaml has compiled already (a copy of it cost every YAML command 5 ms to compile).
NOT_YAML_PRINTABLE = yaml.reader.Reader.NON_PRINTABLE

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


def load_yaml(text: str, raw: bytes, path: str) -> Any:
    """Plain data from YAML text, or a LoadError located at the offending token."""
    bad = NOT_YAML_PRINTABLE.search(text)
    if bad is not None:
        line, column = position(text, bad.start())
        raise LoadError(
            f"character U+{ord(bad.group()):04X} is not allowed in YAML", path, line, column
        )
    pure = yaml_parser.parser_class() is PureParser
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
        # libyaml places the end of a file with no final newline on a line after it.
        line, column = min((mark.line + 1, mark.column + 1), position(text, len(text)))
        explained = explain_yaml_error(
            text,
            problem,
            line,
            column,
            None if context_mark is None else context_mark.line + 1,
        )
        if explained is not None:
            message = f"invalid YAML: {explained.message}"
            raise LoadError(message, path, explained.line, explained.column) from None
        raise LoadError(message, path, line, column) from None
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
