"""Issue 10, resource bounds: deep nesting, alias expansion, the node budget, endless input.

Each bound is exact and the same whichever parser reads the file: 1,000 levels of nesting
are read, 1,001 are refused, from JSON and YAML alike, however deep the caller's stack.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import Ran, assert_failed_cleanly

MAX_DEPTH = 1000
DEPTHS = list(range(900, 1101))


def json_lists(depth: int) -> str:
    """A spec whose unknown field holds lists nested so that the whole is ``depth`` deep."""
    inner = depth - 1
    return '{"values": {"x": 1}, "nodes": {"y": "x*2"}, "extra": ' + "[" * inner + "]" * inner + "}"


def json_objects(depth: int) -> str:
    inner = depth - 1
    return (
        '{"values": {"x": 1}, "nodes": {"y": "x*2"}, "extra": '
        + '{"a": ' * (inner - 1)
        + "{}"
        + "}" * (inner - 1)
        + "}"
    )


def yaml_block(depth: int) -> str:
    lines = ["values: {x: 1}", "nodes: {y: x*2}", "extra:"]
    lines += ["  " * level + "a:" for level in range(1, depth)]
    lines[-1] += " 1"
    return "\n".join(lines) + "\n"


def yaml_flow(depth: int) -> str:
    inner = depth - 1
    return "values: {x: 1}\nnodes: {y: x*2}\nextra: " + "[" * inner + "]" * inner + "\n"


def yaml_mixed(depth: int) -> str:
    """Block mappings, then flow lists inside: the two kinds of nesting add up."""
    half = (depth - 1) // 2
    lines = ["values: {x: 1}", "nodes: {y: x*2}", "extra:"]
    lines += ["  " * level + "a:" for level in range(1, half)]
    rest = depth - half
    lines[-1] += " " + "[" * rest + "]" * rest
    return "\n".join(lines) + "\n"


SHAPES: dict[str, Callable[[int], str]] = {
    "json-lists": json_lists,
    "json-objects": json_objects,
    "yaml-block": yaml_block,
    "yaml-flow": yaml_flow,
    "yaml-mixed": yaml_mixed,
}


def depth_of(data: object) -> int:
    """Nesting of plain data: the top mapping counts one."""
    deepest, todo = 0, [(data, 1)]
    while todo:
        item, level = todo.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, level)
            todo.extend(
                (child, level + 1) for child in (item.values() if isinstance(item, dict) else item)
            )
    return deepest


def test_the_shapes_are_as_deep_as_they_say() -> None:
    import yaml

    for name, shape in SHAPES.items():
        for depth in (5, 17):
            assert depth_of(yaml.safe_load(shape(depth))) == depth, name


def nested_calls(depth: int, function: Callable[[], object]) -> object:
    """``function()`` called ``depth`` Python frames deeper than here."""
    if depth == 0:
        return function()
    return nested_calls(depth - 1, function)


# Every depth where parsing is fast; around the limit where it is not (PyYAML's pure parser
# and libyaml's own limit, which hands a document 1,000 deep to the pure parser, take
# seconds on a document a thousand levels deep).
YAML_DEPTHS = [900, 950, 990, 995, 998, 999, 1000, 1001, 1002, 1010, 1050, 1100]
PURE_DEPTHS = [900, 999, 1000, 1001, 1100]


def depths_for(shape: str, parser: str) -> list[int]:
    if shape.startswith("json"):
        return DEPTHS if parser == "libyaml" else PURE_DEPTHS
    return YAML_DEPTHS if parser == "libyaml" else PURE_DEPTHS


@pytest.mark.parametrize("shape", list(SHAPES))
def test_nesting_up_to_the_limit_is_read_and_beyond_it_refused(
    shape: str, yaml_parser: str
) -> None:
    """Depths 900 to 1,100, from the top of the stack and from 300 frames down."""
    from gradpipe.documents.parsing import parse_data
    from gradpipe.errors import GradpipeError

    for depth in depths_for(shape, yaml_parser):
        raw = SHAPES[shape](depth).encode()
        for frames in (0, 300) if depth in (995, 1000, 1001) else (0,):
            try:
                data = nested_calls(frames, lambda raw=raw: parse_data(raw, "deep.txt"))
            except GradpipeError as error:
                assert depth > MAX_DEPTH, (shape, depth, frames, error.format())
                message = error.format()
                assert f"nesting deeper than {MAX_DEPTH} levels" in message, (shape, depth, message)
                assert message.startswith("deep.txt:"), message
            else:
                assert depth <= MAX_DEPTH, (shape, depth, frames, "accepted")
                assert depth_of(data) == depth


def test_nesting_is_refused_through_the_command_line_too(cli: Callable[..., Ran]) -> None:
    for depth in (990, 1000, 1001, 1100):
        for shape in SHAPES.values():
            line = assert_failed_cleanly(cli("validate", "-", stdin=shape(depth)))
            expected = "unknown field" if depth <= MAX_DEPTH else "nesting deeper"
            assert expected in line, (depth, line)


def test_deep_nesting_in_a_file_that_json_refuses_goes_to_yaml_cleanly(
    cli: Callable[..., Ran],
) -> None:
    for depth in (980, 1000, 1001):
        text = json_lists(depth)[:-1] + ", }"
        assert_failed_cleanly(cli("validate", "-", stdin=text))


def test_deep_nesting_in_a_known_field_is_refused_cleanly(cli: Callable[..., Ran]) -> None:
    for depth in (950, 999, 1000, 1001):
        inner = depth - 3
        text = '{"values": {"x": {"value": 1, "label": ' + "[" * inner + "]" * inner + "}}}"
        assert_failed_cleanly(cli("validate", "-", stdin=text))


HOSTILE_KEYS = ["[key]", "[0]", "0", "op", "expr", "float", "str", "number", "formula", "object"]


@pytest.mark.parametrize("key", HOSTILE_KEYS)
def test_keys_that_look_like_pydantic_locations_are_blamed_by_name(
    cli: Callable[..., Ran], key: str
) -> None:
    """An unknown key at any level is reported as itself, at its own place."""
    places = [
        {"values": {"x": 1}, "nodes": {"y": "x*2"}, key: 1},
        {"values": {"x": {"value": 1, key: 2}}, "nodes": {"y": "x*2"}},
        {"values": {"x": 1}, "nodes": {"y": {"op": "exp", "args": ["x"], key: 1}}},
        {"values": {"x": 1}, "nodes": {"y": {"expr": "exp(x)", key: 1}}},
        {"nodes": [{"id": "x", "op": "value", "value": 1, key: 2}]},
        {"version": 1, "nodes": [{"id": "x", "op": "value", "value": 1}], key: 2},
    ]
    for case in places:
        text = json.dumps(case, indent=1)
        node = case.get("nodes", {}).get("y") if isinstance(case.get("nodes"), dict) else None
        if isinstance(node, dict) and key in ("op", "expr"):  # that object's own field
            continue
        if key == "op" and isinstance(case.get("nodes"), list):
            continue
        line = assert_failed_cleanly(cli("validate", "-", stdin=text))
        assert f"unknown field {key!r}" in line, (case, line)
        row = next(i for i, t in enumerate(text.splitlines(), 1) if f'"{key}":' in t)
        assert line.startswith(f"<stdin>:{row}:"), (case, line)


@pytest.mark.parametrize("key", ["[key]", "a[key]", "[0]", "x.y"])
def test_names_that_look_like_pydantic_locations_are_refused_as_names(
    cli: Callable[..., Ran], key: str
) -> None:
    cases = [
        {"values": {key: 1, "x": 1}, "nodes": {"y": "x*2"}},
        {"values": {"x": 1}, "nodes": {key: "x*2"}},
    ]
    for case in cases:
        line = assert_failed_cleanly(cli("validate", "-", stdin=json.dumps(case, indent=1)))
        assert repr(key) in line, line


def alias_bomb(copies: int, size: int) -> str:
    """One big scalar, anchored once and aliased ``copies`` times."""
    lines = ["values:", "  x: 1", "nodes:", f"  n0: &big {'x+' * size}x"]
    lines += [f"  n{i}: *big" for i in range(1, copies)]
    return "\n".join(lines) + "\n"


def test_aliases_of_a_big_scalar_are_refused_fast(cli: Callable[..., Ran]) -> None:
    text = alias_bomb(20_000, 40_000)
    assert len(text) < 2_000_000
    started = time.monotonic()
    line = assert_failed_cleanly(cli("validate", "-", stdin=text))
    assert time.monotonic() - started < 10
    assert "aliases expand to more than 1000000 characters" in line, line


def test_alias_expansion_counts_characters_not_only_nodes(cli: Callable[..., Ran]) -> None:
    label = "&l " + "w" * 200_000
    lines = ["values:", f"  x0: {{value: 1, label: {label}}}"]
    lines += [f"  x{i}: {{value: 1, label: *l}}" for i in range(1, 200)]
    lines += ["nodes:", "  y: x0 * 2"]
    started = time.monotonic()
    line = assert_failed_cleanly(cli("validate", "-", stdin="\n".join(lines) + "\n"))
    assert time.monotonic() - started < 10
    assert "alias" in line, line


def test_a_few_aliases_are_fine(cli: Callable[..., Ran]) -> None:
    text = "values:\n  x: &one 1\n  w: *one\nnodes:\n  y: &f x * w\n  z: {expr: *f}\n"
    assert cli("forward", "-", stdin=text).status == 0


def chain(count: int) -> str:
    lines = ["values:", "  x0: 1", "nodes:"]
    lines += [f"  x{i}: x{i - 1} + 1" for i in range(1, count)]
    return "\n".join(lines) + "\n"


def test_the_node_budget_refuses_fast_and_names_its_option(cli: Callable[..., Ran]) -> None:
    text = chain(3000)
    line = assert_failed_cleanly(cli("forward", "--max-nodes", "1000", "-", stdin=text))
    assert "--max-nodes" in line and "1000" in line, line
    assert cli("forward", "--max-nodes", "10000", "-", stdin=text).status == 0
    formula = "values: {x: 1}\nnodes:\n  y: " + "+".join(["x"] * 5000) + "\n"
    line = assert_failed_cleanly(cli("backward", "--max-nodes", "1000", "-", stdin=formula))
    assert "--max-nodes" in line, line
    graph = cli("forward", "-", stdin=chain(3000)).out
    for command in (["validate"], ["render", "-f", "dot"], ["check"], ["backward", "-j", "2"]):
        line = assert_failed_cleanly(cli(*command, "--max-nodes", "100", "-", stdin=graph))
        assert "--max-nodes" in line, line


def test_the_node_budget_applies_in_python_too() -> None:
    from gradpipe import GradpipeError, load_document
    from gradpipe.documents.plan import DEFAULT_MAX_NODES, node_budget

    assert DEFAULT_MAX_NODES == 5_000_000
    with node_budget(10), pytest.raises(GradpipeError, match="--max-nodes"):
        load_document(chain(50).encode(), "chain.yaml")
    assert len(load_document(chain(50).encode(), "chain.yaml").nodes) > 10


def test_the_default_node_budget_is_documented() -> None:
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Reliability", 1)[1].split("\n## ", 1)[0]
    assert "--max-nodes" in section and "5,000,000" in section


def test_an_endless_input_is_refused_without_reading_it_all(shell: Callable[..., Ran]) -> None:
    for device in ("/dev/zero", "/dev/urandom"):
        if not Path(device).exists():
            continue
        ran = shell("validate", device, timeout=60)
        assert_failed_cleanly(ran)
        ran = shell("forward", stdin=None, timeout=60, preexec=lambda d=device: _stdin_from(d))
        assert_failed_cleanly(ran)


def _stdin_from(device: str) -> None:
    import os

    fd = os.open(device, os.O_RDONLY)
    os.dup2(fd, 0)


def test_memory_running_out_is_reported_for_the_input(shell: Callable[..., Ran]) -> None:
    if not sys.platform.startswith("linux"):
        pytest.skip("needs RLIMIT_AS")
    import resource

    def small_memory() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (600 << 20, 600 << 20))

    text = "values: {x: 1}\nnodes:\n  y: " + "+".join(["x"] * 3_000_000) + "\n"
    ran = shell("backward", "-", stdin=text.encode(), preexec=small_memory)
    line = assert_failed_cleanly(ran)
    assert "memory" in line, line
