"""Text of a document: UTF-8 decoding, line and column of an offset, the YAML event parser.

What both reading (``parsing``) and locating (``locating``) a YAML or JSON file start from.
"""

from __future__ import annotations

import codecs
import re
from collections.abc import Callable
from typing import Any

import yaml

from gradpipe.errors import LoadError

CParser: Any

try:
    from yaml._yaml import CParser as CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    CParser = None

# libyaml's own limit; documents nested deeper than this are never legitimate specs.
MAX_DEPTH = 1000

Position = tuple[int, int]

Location = tuple[str | int, ...]

# What to locate: a location, whether its key is meant, an offset into a string value.
Request = tuple[Location, bool, "int | None"]


class PureParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """PyYAML's pure-Python event parser, used only where libyaml is missing."""

    def __init__(self, stream: str | bytes) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)


def parser_class() -> Callable[[str | bytes], Any]:
    """The fastest event parser available (tests monkeypatch this to force the pure one)."""
    return CParser if CParser is not None else PureParser


NOT_YAML_PRINTABLE = re.compile(
    "[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]"
)


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


def yaml_events(text: str, raw: bytes) -> Callable[[], Any]:
    """The next-event function of the fastest parser available."""
    chosen = parser_class()
    parser = chosen(raw if chosen is CParser else text)
    next_event: Callable[[], Any] = parser.get_event
    return next_event
