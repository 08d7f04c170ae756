"""Where a location is in a YAML file: the YAML half of ``locating``, imported only for YAML.

One walk of PyYAML's event stream, descending only where a requested location leads.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

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

from gradpipe.documents.text import Position, Request, position, source_index
from gradpipe.documents.yaml_parser import yaml_events

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


def locate_yaml(text: str, raw: bytes, requests: Sequence[Request]) -> list[Position | None]:
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
