"""Text of a document: UTF-8 decoding, line and column of an offset, where a string's
character is written.

What both reading (``parsing``) and locating (``locating``) a YAML or JSON file start from.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable

from gradpipe.errors import LoadError

# libyaml's own limit; documents nested deeper than this are never legitimate specs.
MAX_DEPTH = 1000

Position = tuple[int, int]

Location = tuple[str | int, ...]

# What to locate: a location, whether its key is meant, an offset into a string value.
Request = tuple[Location, bool, "int | None"]


def decode(raw: bytes, path: str) -> tuple[str, bytes]:
    """UTF-8 text (a BOM dropped) and the bytes it came from, or a located LoadError."""
    bom = len(codecs.BOM_UTF8) if raw.startswith(codecs.BOM_UTF8) else 0
    if bom:
        raw = raw[bom:]
    elif raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        raise LoadError("not UTF-8 text: this file is UTF-16; save it as UTF-8", path, 1, 1)
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as error:
        before = raw[: error.start].decode("utf-8")
        line, column = position(before, len(before))
        byte = raw[error.start]
        raise LoadError(
            f"not UTF-8 text: invalid byte 0x{byte:02x} at byte {bom + error.start + 1}",
            path,
            line,
            column,
        ) from None
    nul = text.find("\x00")
    if nul >= 0:
        line, column = position(text, nul)
        raise LoadError("not a text file: found a NUL byte", path, line, column)
    return text, raw


def first_content(text: str) -> int | None:
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


def position(text: str, offset: int) -> Position:
    """1-based line and column (in characters) of an offset into text.

    Lines end at LF, CRLF or a lone CR (old Mac files), as YAML parsers count them.
    """
    line = text.count("\n", 0, offset) + 1
    line_start = text.rfind("\n", 0, offset)
    if "\r" in text:
        line += text.count("\r", 0, offset) - text.count("\r\n", 0, offset)
        line_start = max(line_start, text.rfind("\r", 0, offset))
    return line, offset - line_start


def json_string_reader() -> Callable[[str, int], tuple[str, int]]:
    """The standard library's reader of the JSON string after a quote at an offset.

    Imported on first use: reading YAML never needs the json modules (README, figure 4).
    """
    import json.decoder

    reader: Callable[[str, int], tuple[str, int]] = json.decoder.scanstring  # type: ignore[attr-defined]
    return reader


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
