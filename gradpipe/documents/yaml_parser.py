"""PyYAML's event parsers: libyaml's C parser where PyYAML was built with it, else its own.

Imported only where YAML is read or located: a JSON document never loads PyYAML (about
1.5 MB of a process, and 15 ms of its start-up; README, figure 2).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import yaml

CParser: Any

try:
    from yaml._yaml import CParser as CParser
except ImportError:  # pragma: no cover - PyYAML built without libyaml
    CParser = None


class PureParser(yaml.reader.Reader, yaml.scanner.Scanner, yaml.parser.Parser):
    """PyYAML's pure-Python event parser, used only where libyaml is missing."""

    def __init__(self, stream: str | bytes) -> None:
        yaml.reader.Reader.__init__(self, stream)
        yaml.scanner.Scanner.__init__(self)
        yaml.parser.Parser.__init__(self)


def parser_class() -> Callable[[str | bytes], Any]:
    """The fastest event parser available (tests monkeypatch this to force the pure one)."""
    return CParser if CParser is not None else PureParser


def yaml_events(text: str, raw: bytes) -> Callable[[], Any]:
    """The next-event function of the fastest parser available."""
    chosen = parser_class()
    parser = chosen(raw if chosen is CParser else text)
    next_event: Callable[[], Any] = parser.get_event
    return next_event
