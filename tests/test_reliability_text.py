"""Issue 10, user text: whatever a label, name, key or value holds, no crash and no escape.

Lone surrogates cannot be written as UTF-8: they are refused where they are read, by every
command alike. Control characters in any user text are shown escaped in error lines, and
pictures stay well-formed for any graph name or label, however long.
"""

from __future__ import annotations

import copy
import json
import re
import shutil
import xml.dom.minidom
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from conftest import RAW_CONTROL, Ran, assert_failed_cleanly

SPEC: dict[str, Any] = {
    "version": 1,
    "name": "spec",
    "values": {"x": {"value": 2.0, "label": "ex"}, "w": -3.0},
    "nodes": {
        "n": {"expr": "x*w + 1", "label": "en"},
        "o": {"op": "tanh", "args": ["n", 0.5], "label": "oh"},
        "p": "o * 2",
    },
    "output": "p",
}
GRAPH: dict[str, Any] = {
    "version": 1,
    "name": "graph",
    "output": "y",
    "nodes": [
        {"id": "x", "label": "ex", "op": "value", "args": [], "value": 2.0, "grad": None},
        {"id": "y", "label": "why", "op": "exp", "args": ["x"], "value": 0.0, "grad": None},
    ],
}
COMMANDS = [
    ["validate"],
    ["forward"],
    ["backward"],
    ["check"],
    *(["render", "-f", fmt] for fmt in ("json", "dot", "svg", "mermaid")),
]


def string_places(data: Any, path: tuple[Any, ...] = ()) -> Iterator[tuple[tuple[Any, ...], bool]]:
    """Every string of a document, as (path, is_a_key): keys and values alike."""
    if isinstance(data, dict):
        for key, value in data.items():
            yield (*path, key), True
            yield from string_places(value, (*path, key))
    elif isinstance(data, list):
        for index, value in enumerate(data):
            yield from string_places(value, (*path, index))
    elif isinstance(data, str):
        yield path, False


def with_text(document: dict[str, Any], place: tuple[Any, ...], is_key: bool, text: str) -> Any:
    """A copy of ``document`` where the key or string value at ``place`` gets ``text`` added."""
    result = copy.deepcopy(document)
    parent = result
    for step in place[:-1]:
        parent = parent[step]
    last = place[-1]
    if is_key:
        parent[last + text] = parent.pop(last)
    else:
        parent[last] = parent[last] + text
    return result


def hostile_documents(text: str) -> Iterator[tuple[str, bytes]]:
    """The spec and the graph document with ``text`` in each key and each string value."""
    for document in (SPEC, GRAPH):
        for place, is_key in string_places(document):
            changed = with_text(document, place, is_key, text)
            what = "key" if is_key else "value"
            yield (
                f"{document['name']}-{what}-{'.'.join(map(str, place))}",
                json.dumps(changed).encode(),
            )


SURROGATE_CASES = list(hostile_documents("\ud800"))


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_a_lone_surrogate_anywhere_is_refused_by_every_command(
    cli: Callable[..., Ran], command: list[str]
) -> None:
    for name, raw in SURROGATE_CASES:
        ran = cli(*command, "-", stdin=raw)
        line = assert_failed_cleanly(ran)
        assert line.startswith("<stdin>:1:"), (name, line)
        assert "surrogate" in line, (name, line)
        assert ran.out == b"", name


@pytest.mark.parametrize("surrogate", ["\\udfff", "\\uDC80", "\\ud83d"])
def test_a_lone_surrogate_is_refused_in_yaml_too(
    cli: Callable[..., Ran], surrogate: str, pure_yaml: None
) -> None:
    spec = f'values:\n  x: {{value: 1, label: "a{surrogate}"}}\nnodes:\n  y: x * 2\n'
    for command in COMMANDS:
        line = assert_failed_cleanly(cli(*command, "-", stdin=spec))
        assert line.startswith("<stdin>:2:"), line


def test_a_surrogate_pair_is_one_character_and_fine(cli: Callable[..., Ran]) -> None:
    spec = json.dumps({"values": {"x": {"value": 1, "label": "\U0001f600"}}, "nodes": {"y": "x*2"}})
    assert '"\\ud83d\\ude00"' in spec
    ran = cli("forward", "-", stdin=spec)
    assert ran.status == 0
    assert json.loads(ran.out)["nodes"][0]["label"] == "\U0001f600"


CONTROLS = ["\n", "\r", "\x1b]0;pwned\x07", "\x1b[2J", "\x00", "\x7f", "\x85", "\u2028", "\t"]


@pytest.mark.parametrize("control", CONTROLS, ids=repr)
def test_control_characters_in_user_text_are_escaped_in_every_error_line(
    cli: Callable[..., Ran], control: str
) -> None:
    """Keys, names, values and formulas: whatever is echoed comes back escaped."""
    cases = [
        {"values": {"x": 1}, "nodes": {"y": "x*2"}, f"ouput{control}": 1},
        {"values": {f"x{control}": 1}, "nodes": {"y": "x*2"}},
        {"values": {"x": 1}, "nodes": {"y": "x*2"}, "output": f"q{control}"},
        {"values": {"x": 1}, "nodes": {"y": {"op": f"ex{control}p", "args": ["x"]}}},
        {"values": {"x": 1}, "nodes": {"y": {"op": "exp", "args": [f"z{control}"]}}},
        {"values": {"x": f"1{control}"}, "nodes": {"y": "x*2"}},
        {"values": {"x": 1}, "nodes": {"y": f"x * q{control}"}},
        {"nodes": [{"id": f"a{control}", "op": "value", "value": 1}]},
        {"nodes": [{"id": "a", "op": "value", "value": 1, "args": [f"b{control}"]}]},
    ]
    for case in cases:
        ran = cli("forward", "-", stdin=json.dumps(case))
        assert_failed_cleanly(ran)


def test_a_control_character_in_a_path_is_escaped(cli: Callable[..., Ran], tmp_path: Path) -> None:
    bad = tmp_path / "a\x1b[2Jb\nc.yaml"
    bad.write_text("values: {x: 1}\nnodes: {y: x * q}\n")
    line = assert_failed_cleanly(cli("forward", str(bad)))
    assert "\\x1b[2Jb\\nc.yaml" in line
    missing = tmp_path / "gone\r.yaml"
    assert_failed_cleanly(cli("forward", str(missing)))


def test_every_refusal_about_a_value_names_it(cli: Callable[..., Ran]) -> None:
    cases = {
        "x": {"values": {"x": True}, "nodes": {"y": "x*2"}},
        "x ": {"values": {"x": {"value": "3"}}, "nodes": {"y": "x*2"}},
        "w": {"values": {"x": 1, "w": None}, "nodes": {"y": "x*2"}},
        "y": {"values": {"x": 1}, "nodes": {"y": {"op": "exp", "args": ["x", "x"]}}},
        "z": {"values": {"x": 1}, "nodes": {"z": {"op": "add", "args": ["x"]}}},
        "q": {"values": {"x": 1}, "nodes": {"q": {"op": "tanh", "args": [True]}}},
        "r": {"values": {"x": 1}, "nodes": {"r": "log(x, x)"}},
        "a": {"nodes": [{"id": "a", "op": "value", "value": False}]},
        "b": {"nodes": [{"id": "b", "op": "const", "value": "1"}]},
    }
    for name, case in cases.items():
        line = assert_failed_cleanly(cli("forward", "-", stdin=json.dumps(case)))
        assert f"'{name.strip()}'" in line, line
    nan = "values:\n  x: .nan\n  v: {value: .inf}\nnodes:\n  y: x * 2\n"
    line = assert_failed_cleanly(cli("forward", "-", stdin=nan))
    assert "'x'" in line, line


def test_a_math_error_at_an_unlabelled_node_names_its_arguments() -> None:
    from gradpipe import Value
    from gradpipe.errors import MathError

    with pytest.raises(MathError) as caught:
        Value(0.0, label="q").log()
    assert "'q'" in str(caught.value)
    with pytest.raises(MathError) as caught:
        Value(1.0, label="num") / Value(0.0, label="den")
    assert "'num'" in str(caught.value) and "'den'" in str(caught.value)


def test_cr_only_line_endings_give_the_right_positions(cli: Callable[..., Ran]) -> None:
    yaml_text = "values:\r  x: 1\rnodes:\r  y: x * q\r"
    assert assert_failed_cleanly(cli("forward", "-", stdin=yaml_text)).startswith("<stdin>:4:")
    json_text = '{"values": {"x": 1},\r "nodes": {"y": "x * q"}}'
    assert assert_failed_cleanly(cli("forward", "-", stdin=json_text)).startswith("<stdin>:2:")
    json_bad = '{"values": {"x": 1},\r\r "nodes": {"y": "x * 2" "z": 1}}'
    assert assert_failed_cleanly(cli("forward", "-", stdin=json_bad)).startswith("<stdin>:3:")
    mixed = "values:\r\n  x: 1\r  w: 2\nnodes:\r  y: x * q\n"
    assert assert_failed_cleanly(cli("forward", "-", stdin=mixed)).startswith("<stdin>:5:")


NAMES = ["\x00", "a\x01b", "\x1b[2J", "<&>\"'", "]]>", "a\nb", "\x7f\x85", "\ufffe", "{|}"]


def svg_is_well_formed(data: bytes) -> None:
    xml.dom.minidom.parseString(data)


@pytest.mark.parametrize("name", NAMES, ids=repr)
def test_any_graph_name_or_label_gives_valid_dot_svg_and_mermaid(
    cli: Callable[..., Ran], name: str
) -> None:
    spec = {
        "name": name,
        "values": {"x": {"value": 1, "label": name}},
        "nodes": {"y": {"expr": "x*2", "label": name + name}},
    }
    raw = json.dumps(spec)
    for fmt in ("dot", "svg", "mermaid", "json"):
        ran = cli("render", "-f", fmt, "-", stdin=raw)
        assert ran.status == 0, ran.err
        if fmt == "svg":
            svg_is_well_formed(ran.out)
        if fmt == "json":
            assert json.loads(ran.out)["name"] == name
        if fmt in ("dot", "mermaid"):
            assert not re.search(rb"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", ran.out), ran.out
    if shutil.which("dot"):
        dot = cli("render", "-f", "dot", "-", stdin=raw).out
        import subprocess

        done = subprocess.run(["dot", "-Tsvg"], input=dot, capture_output=True, timeout=60)
        assert done.returncode == 0, done.stderr
        svg_is_well_formed(done.stdout)


@pytest.mark.parametrize("length", [16_384, 16_385, 40_000])
def test_very_long_labels_and_names_give_valid_pictures_or_a_clear_refusal(
    cli: Callable[..., Ran], length: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    long = "<" + "a" * (length - 2) + ">"
    name = "n" + "a" * length  # ids too: two that differ only past any cut stay two nodes
    spec = {
        "name": long,
        "values": {"x": {"value": 1, "label": long}, name: 2, name + "b": 3},
        "nodes": {"y": {"expr": f"x*2 + {name} * {name}b", "label": long}},
    }
    raw = json.dumps(spec)
    layouts = ["embedded", "native"] if shutil.which("dot") else ["embedded"]
    for layout in layouts:
        monkeypatch.setenv("GRADPIPE_GRAPHVIZ", layout)
        ran = cli("render", "-f", "svg", "-", stdin=raw)
        if ran.status == 0:
            svg_is_well_formed(ran.out)
            assert ran.out.count(b'class="node"') >= 8  # 3 leaves, 1 literal, 4 results
        else:
            assert_failed_cleanly(ran)
    for fmt in ("dot", "mermaid", "json"):
        assert cli("render", "-f", fmt, "-", stdin=raw).status == 0


def test_raw_control_pattern_sees_what_a_terminal_would_obey() -> None:
    assert RAW_CONTROL.search("a\x1bb") and RAW_CONTROL.search("\u2028")
    assert not RAW_CONTROL.search("plain text é ₂")


@pytest.mark.parametrize(
    ("args", "expected"),
    [
        (
            ["forward", "--set", "x\x1b[2J=1", "-"],
            "Error: Invalid value for '--set': 'x\\x1b[2J' is not a leaf name (in 'x\\x1b[2J=1')",
        ),
        (
            ["sweep", "--vary", "x\x9b=0:1:0.5", "-"],
            "Error: Invalid value for '--vary': 'x\\x9b' is not a leaf name (in 'x\\x9b=0:1:0.5')",
        ),
        (
            ["examples", "ne\x1b]0;pwned\x07"],
            "Error: Invalid value for NAME: no example 'ne\\x1b]0;pwned\\x07';"
            " `gradpipe examples` lists them",
        ),
    ],
    ids=["--set", "--vary", "examples"],
)
def test_a_control_character_in_an_argument_is_escaped_in_its_usage_error(
    cli: Callable[..., Ran], args: list[str], expected: str
) -> None:
    """Wrong usage echoes the argument as typed: escaped, as every error line is."""
    ran = cli(*args, stdin="values: {x: 1}\nnodes: {y: x*2}\n")
    assert ran.status == 2
    assert ran.out == b""
    assert ran.errors[-1] == expected
    assert not any(RAW_CONTROL.search(line) for line in ran.errors)


def test_init_names_the_file_it_wrote_with_control_characters_escaped(
    cli: Callable[..., Ran], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    ran = cli("init", "a\x1b[7mb")
    assert ran.status == 0
    assert (tmp_path / "a\x1b[7mb.yaml").is_file()
    assert ran.errors == ["wrote a\\x1b[7mb.yaml; try: gradpipe backward 'a\\x1b[7mb.yaml'"]
