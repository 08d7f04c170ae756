"""The loader: bytes -> plain data, YAML or JSON by content, strict, every problem located."""

from __future__ import annotations

import itertools
import json
import math
import tracemalloc
from collections.abc import Iterator
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from gradpipe.documents import yaml_parser as document_text
from gradpipe.documents.locating import locate, locate_many
from gradpipe.documents.parsing import parse_data
from gradpipe.errors import GradpipeError, LoadError


@pytest.fixture(params=["libyaml", "pure"], autouse=True)
def yaml_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Run every test with libyaml's parser and with the pure-Python one."""
    if request.param == "pure":
        monkeypatch.setattr(document_text, "parser_class", lambda: document_text.PureParser)
    elif document_text.CParser is None:
        pytest.skip("PyYAML without libyaml")
    yield request.param


def error_of(text: str | bytes) -> str:
    """`LINE:COLUMN: MESSAGE` of the error that loading `text` raises."""
    raw = text.encode() if isinstance(text, str) else text
    with pytest.raises(LoadError) as caught:
        parse_data(raw, "spec.yaml")
    error = caught.value
    assert error.path == "spec.yaml"
    return f"{error.line}:{error.column}: {error.message}"


def test_yaml_and_json_give_the_same_data() -> None:
    yaml_text = "values: {x: 2.0, w: -3}\nnodes: {n: x*w}\n"
    json_text = '{"values": {"x": 2.0, "w": -3}, "nodes": {"n": "x*w"}}'
    expected = {"values": {"x": 2.0, "w": -3}, "nodes": {"n": "x*w"}}
    assert parse_data(yaml_text.encode(), "a.json") == expected
    assert parse_data(json_text.encode(), "a.yaml") == expected


def test_numbers_are_read_as_yaml_1_2() -> None:
    data = parse_data(
        b"a: [1e-3, 1E3, +1.5, .5, 1., -7, 007, 0x1F, 0o17, .inf, -.Inf, +.INF]\n"
        b"not_numbers: [1_000, 0b11, 1e, 0x, '1', \"2\", 1:30, .]\n",
        "-",
    )
    assert data["a"] == [0.001, 1000.0, 1.5, 0.5, 1.0, -7, 7, 31, 15, math.inf, -math.inf, math.inf]
    assert [type(number) for number in data["a"][:7]] == [float] * 5 + [int] * 2
    assert data["not_numbers"] == ["1_000", "0b11", "1e", "0x", "1", "2", "1:30", "."]
    assert math.isnan(parse_data(b"a: .nan", "-")["a"])


def test_booleans_and_nulls_are_the_core_schema_words_only() -> None:
    data = parse_data(b"a: [true, True, TRUE, false, FALSE, tRue, yes, no, on, off, y, n]\n", "-")
    assert data["a"] == [True, True, True, False, False, "tRue", "yes", "no", "on", "off", "y", "n"]
    data = parse_data(b"a: [null, Null, NULL, ~, nil, None, '']\nb:\n", "-")
    assert data == {"a": [None, None, None, None, "nil", "None", ""], "b": None}


def test_keys_are_taken_as_written() -> None:
    data = parse_data(b"on: 1\nno: 2\n1: 3\n1.50: 4\nnull: 5\n~: 6\ntrue: 7\n'x': 8\n", "-")
    assert list(data) == ["on", "no", "1", "1.50", "null", "~", "true", "x"]


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\na: 2\n", "2:1: duplicate key 'a' (first on line 1)"),
        (
            "nodes:\n  n: {op: tanh, args: [x], op: exp}\n",
            "2:28: duplicate key 'op' (first on line 2)",
        ),
        ("a:\n  - {b: 1}\n  - {c: 1,\n     c: 2}\n", "4:6: duplicate key 'c' (first on line 3)"),
        ('{"a": {"b": 1,\n       "b": 2}}', "2:8: duplicate key 'b' (first on line 1)"),
    ],
)
def test_a_repeated_key_is_an_error_at_any_level(text: str, expected: str) -> None:
    assert error_of(text) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        (b"", "1:1: empty document"),
        (b"  \n\n", "1:1: empty document"),
        (b"# only a comment\n", "1:1: empty document"),
        (b"---\n", "1:1: empty document"),
        (b"- 1\n- 2\n", "1:1: expected a mapping at the top level, found a list"),
        (b"[1, 2]", "1:1: expected a mapping at the top level, found a list"),
        (b"\n  hello\n", "2:3: expected a mapping at the top level, found a string"),
        (b"42", "1:1: expected a mapping at the top level, found a number"),
        (b"a: \xff\n", "1:4: not UTF-8 text: invalid byte 0xff at byte 4"),
        (b"a: \xc3\xa9\n\xc3\xa9\xc3", "2:2: not UTF-8 text: invalid byte 0xc3 at byte 9"),
        (b"\xff\xfea\x00", "1:1: not UTF-8 text: this file is UTF-16; save it as UTF-8"),
        (b"a: 1\nb: \x00\x01\x02", "2:4: not a text file: found a NUL byte"),
        (b"a: \x1b[31m\n", "1:4: character U+001B is not allowed in YAML"),
    ],
)
def test_empty_binary_and_wrong_top_level_input_is_refused(raw: bytes, expected: str) -> None:
    assert error_of(raw) == expected


def test_yaml_refuses_exactly_the_characters_outside_its_printable_set() -> None:
    from gradpipe.documents.yaml_reading import NOT_YAML_PRINTABLE

    printable = [(0x09, 0x0A), (0x0D, 0x0D), (0x20, 0x7E), (0x85, 0x85), (0xA0, 0xD7FF)]
    printable += [(0xE000, 0xFFFD), (0x10000, 0x10FFFF)]  # YAML 1.1, production [1]
    allowed = bytearray(0x110000)
    for first, last in printable:
        allowed[first : last + 1] = b"\x01" * (last + 1 - first)
    refused = [point for point, ok in enumerate(allowed) if not ok]
    every = "".join(map(chr, range(0x110000)))
    assert [ord(c) for c in NOT_YAML_PRINTABLE.findall(every)] == refused
    assert len(refused) == 2048 + (32 - 3) + 1 + (32 - 1) + 2  # surrogates, C0, DEL, C1, FFFE/F


def test_a_bom_is_fine() -> None:
    assert parse_data(b"\xef\xbb\xbfa: 1\n", "-") == {"a": 1}
    assert parse_data(b'\xef\xbb\xbf{"a": 1}', "-") == {"a": 1}


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a: 1\n---\nb: 2\n", "2:1: one document per file (found a second document)"),
        (
            "a: !!python/object/apply:os.system [ls]\n",
            "1:4: tag '!!python/object/apply:os.system' is not allowed"
            " (only !!str, !!int, !!float, !!bool, !!null, !!map and !!seq)",
        ),
        (
            "a: !!binary aGVsbG8=\n",
            "1:4: tag '!!binary' is not allowed"
            " (only !!str, !!int, !!float, !!bool, !!null, !!map and !!seq)",
        ),
        (
            "a: !custom 1\n",
            "1:4: tag '!custom' is not allowed"
            " (only !!str, !!int, !!float, !!bool, !!null, !!map and !!seq)",
        ),
        (
            "a: !!set {x, y}\n",
            "1:4: tag '!!set' is not allowed"
            " (only !!str, !!int, !!float, !!bool, !!null, !!map and !!seq)",
        ),
        ("a: !!int x1\n", "1:4: 'x1' is not a valid !!int"),
        ("a: &x [1, *x]\n", "1:11: alias '*x' refers to a node that contains it"),
        ("a: *nowhere\n", "1:4: unknown alias '*nowhere'"),
        ("<<: {a: 1}\n", "1:1: merge keys ('<<') are not supported: write each key out"),
        ("? [a, b]\n: 1\n", "1:3: a mapping key must be plain text, not a list"),
        ("a: 1" + "0" * 5000 + "\n", "1:4: number too long"),
    ],
)
def test_unsafe_or_malformed_yaml_is_refused(text: str, expected: str) -> None:
    assert error_of(text) == expected


@pytest.mark.parametrize(
    ("text", "place", "libyaml_message"),
    [
        (
            "a: b: c\n",
            "1:5",
            "a ':' followed by a blank inside a value: put the value in quotes"
            " (write 'a: \"b: c\"')",
        ),
        (
            "a: [1, 2\n",
            "2:1",
            "did not find expected ',' or ']'"
            " (while parsing a flow sequence that starts at line 1, column 4)",
        ),
        (  # no final newline: the end of the file is on its last line, not one after it
            "a: [1, 2",
            "1:9",
            "did not find expected ',' or ']'"
            " (while parsing a flow sequence that starts at line 1, column 4)",
        ),
        (
            "a: 1\nb: {c: 1",
            "2:9",
            "did not find expected ',' or '}'"
            " (while parsing a flow mapping that starts at line 2, column 4)",
        ),
    ],
)
def test_yaml_syntax_errors_are_located(
    text: str, place: str, libyaml_message: str, yaml_parser: str
) -> None:
    message = error_of(text)
    assert message.startswith(f"{place}: invalid YAML: ")
    if yaml_parser == "libyaml":  # the pure-Python parser words some problems differently
        assert message == f"{place}: invalid YAML: {libyaml_message}"


def test_standard_tags_are_accepted() -> None:
    data = parse_data(b"a: !!str 12\nb: !!int '12'\nc: !!float 1\nd: !!bool 'true'\ne: ! 1\n", "-")
    assert data == {"a": "12", "b": 12, "c": 1.0, "d": True, "e": "1"}


def test_small_aliases_work() -> None:
    data = parse_data(b"base: &b {value: 1.0}\nx: *b\ny: *b\n", "-")
    assert data == {"base": {"value": 1.0}, "x": {"value": 1.0}, "y": {"value": 1.0}}


def billion_laughs(levels: int) -> bytes:
    lines = ['a: &a ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    names = "abcdefghijklmnop"
    for previous, name in itertools.pairwise(names[:levels]):
        lines.append(f"{name}: &{name} [{', '.join([f'*{previous}'] * 9)}]")
    return "\n".join(lines).encode() + b"\n"


def test_an_alias_bomb_fails_fast() -> None:
    # The sixth line refers nine times to a node of 9**5 entries: far past the cap.
    assert error_of(billion_laughs(9)) == (
        "6:8: aliases expand to more than 100000 nodes (an alias bomb?)"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ('{"a": 1,, }', "1:9: invalid JSON: expecting property name enclosed in double quotes"),
        ('{"a": NaN}', "1:7: NaN is not a number in JSON"),
        ('{"a": [1, -Infinity]}', "1:11: -Infinity is not a number in JSON"),
        ('{"a": 1}\n{"b": 2}', "2:1: invalid JSON: extra data"),
        ('{"a": 1 "b": 2}', "1:9: invalid JSON: expecting ',' delimiter"),
        ('{"a": "x', "1:7: invalid JSON: unterminated string"),
        ('{"a": "x\x01"}', "1:9: invalid JSON: invalid control character"),
        ('{"a": "\\q"}', "1:8: invalid JSON: invalid \\escape"),
        ('{"a": 1' + "0" * 5000 + "}", "1:7: number too long"),
    ],
)
def test_malformed_json_is_refused(text: str, expected: str) -> None:
    assert error_of(text) == expected


def test_a_flow_mapping_that_is_not_json_is_read_as_yaml() -> None:
    assert parse_data(b"{a: 1, b: [x, y]}", "-") == {"a": 1, "b": ["x", "y"]}
    assert parse_data(b'# a comment\n{"a": 1}', "-") == {"a": 1}


def test_text_that_starts_like_json_is_held_to_json() -> None:
    """A quoted first key is JSON: what only YAML would read is refused, with JSON's error."""
    assert error_of('{"a": 1, b: 2}') == (
        "1:10: invalid JSON: expecting property name enclosed in double quotes"
    )
    assert error_of('{"a": "x\n  y"}').startswith("1:9: invalid JSON: invalid control character")
    assert error_of('{"a": [1, 2,]}') == (
        "1:12: invalid JSON: trailing comma before ']' (JSON allows none: remove it)"
    )


@pytest.mark.parametrize(
    "text",
    ["[" * 3000, '{"a":' * 3000, "".join(f"{' ' * i}-\n" for i in range(3000)), "a: " + "[" * 3000],
)
def test_deep_nesting_is_refused_without_crashing(text: str) -> None:
    assert error_of(text).endswith(": nesting deeper than 1000 levels")


YAML_SPEC = """\
version: 1
values:
  x: 2.0
  w: {value: -3.0, label: "wé"}
nodes:
  n: x*w
  o:
    op: tanh
    args: [n, 2]
"""


@pytest.mark.parametrize(
    ("loc", "key", "expected"),
    [
        ((), False, (1, 1)),
        (("values", "x"), False, (3, 6)),
        (("values", "x"), True, (3, 3)),
        (("values", "w", "label"), False, (4, 27)),
        (("nodes", "o", "args", 1), False, (9, 15)),
        (("nodes", "o", "args", 1), True, (9, 15)),
        (("nodes", "o", "op"), True, (8, 5)),
        (("nodes", "o", "missing"), False, (8, 5)),
        (("nodes", "o", "missing"), True, (7, 3)),
        (("nodes", "n", "str", 0), False, (6, 6)),
        (("nowhere",), False, (1, 1)),
    ],
)
def test_locate_finds_values_and_keys_in_yaml(
    loc: tuple[str | int, ...], key: bool, expected: tuple[int, int]
) -> None:
    assert locate(YAML_SPEC.encode(), loc, key=key) == expected


JSON_SPEC = """\
{"version": 1,
 "values": {"x": 2.0, "w": {"value": -3.0, "label": "wé"}},
 "nodes": {"n": "x*w",
           "o": {"op": "tanh", "args": ["n", 2]}}}
"""


@pytest.mark.parametrize(
    ("loc", "key", "expected"),
    [
        ((), False, (1, 1)),
        (("values", "x"), False, (2, 18)),
        (("values", "x"), True, (2, 13)),
        (("values", "w", "label"), False, (2, 53)),
        (("values", "w", "label"), True, (2, 44)),
        (("nodes", "o", "args", 1), False, (4, 46)),
        (("nodes", "o", "op"), True, (4, 18)),
        (("nodes", "o", "missing"), True, (4, 12)),
        (("nodes", "n", "str", 0), False, (3, 17)),
    ],
)
def test_locate_finds_values_and_keys_in_json(
    loc: tuple[str | int, ...], key: bool, expected: tuple[int, int]
) -> None:
    assert locate(JSON_SPEC.encode(), loc, key=key) == expected


def test_locate_gives_none_for_unreadable_input() -> None:
    assert locate(b"\xff", ("a",)) is None
    assert locate(b"", ("a",)) is None
    assert locate(b"a: [", ("a", 0)) == (1, 4)  # as far as the file can be read
    assert locate(b"a: \x01", ("a",)) in (None, (1, 4))  # libyaml reads on to the culprit


def test_load_error_is_a_gradpipe_error() -> None:
    assert issubclass(LoadError, GradpipeError)


def paths(data: Any) -> Iterator[tuple[tuple[str | int, ...], Any]]:
    """Every (location, value) in plain data, parents first."""
    stack: list[tuple[tuple[str | int, ...], Any]] = [((), data)]
    while stack:
        loc, value = stack.pop()
        yield loc, value
        if isinstance(value, dict):
            stack.extend(((*loc, key), item) for key, item in value.items())
        elif isinstance(value, list):
            stack.extend(((*loc, index), item) for index, item in enumerate(value))


KEYS = st.text(alphabet="abcxyz_é", min_size=1, max_size=4)
SCALARS = st.one_of(
    st.integers(min_value=-(10**6), max_value=10**6),
    st.text(alphabet="abcé w", min_size=1, max_size=6).filter(lambda text: text.strip() == text),
)
DOCUMENTS = st.dictionaries(
    KEYS,
    st.recursive(
        SCALARS,
        lambda children: st.one_of(
            st.lists(children, max_size=3), st.dictionaries(KEYS, children, max_size=3)
        ),
        max_leaves=10,
    ),
    min_size=1,
    max_size=4,
)


def at(text: str, place: tuple[int, int] | None) -> str:
    """The text from a 1-based (line, column) on."""
    assert place is not None
    line, column = place
    return text.splitlines()[line - 1][column - 1 :]


@given(DOCUMENTS, st.sampled_from([None, 1, 2]))
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_json_loads_back_and_locate_points_at_every_value_and_key(
    data: dict[str, Any], indent: int | None
) -> None:
    text = json.dumps(data, indent=indent, ensure_ascii=False)
    raw = text.encode()
    assert parse_data(raw, "-") == data
    for loc, value in paths(data):
        assert at(text, locate(raw, loc)).startswith(json.dumps(value, ensure_ascii=False)[:1])
        if loc and isinstance(loc[-1], str):
            assert at(text, locate(raw, loc, key=True)).startswith(
                json.dumps(loc[-1], ensure_ascii=False)[:-1]
            )


@given(DOCUMENTS, st.booleans())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_yaml_loads_back_and_locate_points_at_every_key(data: dict[str, Any], flow: bool) -> None:
    text = yaml.safe_dump(data, allow_unicode=True, default_flow_style=flow, width=10**6)
    raw = text.encode()
    assert parse_data(raw, "-") == data
    for loc, value in paths(data):
        if loc and isinstance(loc[-1], str):
            assert at(text, locate(raw, loc, key=True)).startswith(loc[-1])
        if isinstance(value, int):
            assert at(text, locate(raw, loc)).startswith(str(value))


YAMLISH = "ab: -[]{},&*!|>'\"#%@`\n\t 01.e~?\\\x00\xff"


@given(st.one_of(st.binary(), st.text(alphabet=YAMLISH).map(str.encode)))
@settings(max_examples=300, suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_random_bytes_raise_nothing_but_gradpipe_error(raw: bytes) -> None:
    try:
        data = parse_data(raw, "-")
    except GradpipeError as error:
        assert error.message
        assert error.line is None or error.line >= 1
        assert error.column is None or error.column >= 1
        locate(raw, ("a", 0, "b"), offset=1)  # never raises either
    else:
        assert isinstance(data, dict)
        for loc, _ in paths(data):
            assert locate(raw, loc) is not None


FORMULAS_YAML = """\
nodes:
  n: x1*w1 + tan(b)
  m: "x1*w1 + tan(b)"
  e: {expr: 'exp(2*n) // 3'}
  q: "tab\\t+ tan(b)"
  f: x1*w1
    + tan(b)
  s: 'it''s + tan(b)'
  l: |
    x1*w1
    + tan(b)
  g: "x1*w1 \\u00e9 \\
     + tan(b)"
"""


@pytest.mark.parametrize(
    ("loc", "offset", "expected"),
    [
        (("nodes", "n"), 8, (2, 14)),  # plain: the 't' of tan
        (("nodes", "m"), 8, (3, 15)),  # quoted: one column for the quote
        (("nodes", "e", "expr"), 9, (4, 23)),  # the '//'
        (("nodes", "q"), 6, (5, 14)),  # after an escape
        (("nodes", "f"), 8, (7, 7)),  # folded over two lines
        (("nodes", "s"), 7, (8, 15)),  # after a quote written twice
        (("nodes", "l"), 8, (11, 7)),  # in a block scalar
        (("nodes", "g"), 10, (13, 8)),  # after a unicode escape and an escaped line break
        (("nodes", "n"), 99, (2, 6)),  # past the end: the string's own place
    ],
)
def test_locate_finds_a_place_inside_a_yaml_string(
    loc: tuple[str | int, ...], offset: int, expected: tuple[int, int]
) -> None:
    assert locate(FORMULAS_YAML.encode(), loc, offset=offset) == expected


def test_locate_finds_a_place_inside_a_json_string() -> None:
    raw = b'{"nodes": {"n": "x1*w1 + tan(b)",\n "q": "\\tx + \\u00e9 + tan(b)"}}'
    assert locate(raw, ("nodes", "n"), offset=8) == (1, 26)
    assert locate(raw, ("nodes", "q"), offset=9) == (2, 23)


def test_columns_count_characters_and_lines_end_in_crlf_too() -> None:
    raw = "a: 'ééé'\r\nb: [ü, x]\r\n\tc: 1\r\n".encode()
    assert locate(raw[: raw.index(b"\t")], ("b", 1)) == (2, 8)
    assert error_of(raw).startswith("3:1: invalid YAML: a tab in the indentation")
    raw = '{"a": "ééé",\r\n "b": ["ü", "x"]}'.encode()
    assert locate(raw, ("b", 1)) == (2, 13)


def test_the_top_level_error_points_at_the_document() -> None:
    assert error_of("# a list\n---\n- 1\n") == (
        "3:1: expected a mapping at the top level, found a list"
    )


def generated_spec(entries: int) -> str:
    """A spec in the block style people write: leaves, formulas and op objects."""
    lines = ["version: 1", "values:"]
    for index in range(entries):
        if index % 3 == 0:
            lines.append(f'  x{index}: {{value: {index * 0.25}, label: "x_{index}"}}')
        else:
            lines.append(f"  x{index}: {index - entries // 2}")
    lines.append("nodes:")
    for index in range(1, entries):
        if index % 2:
            lines.append(f"  n{index}: x{index}*x{index - 1} + 2.5")
        else:
            lines.append(f"  n{index}:\n    op: tanh\n    args: [x{index}]")
    return "\n".join(lines) + "\n"


def test_plain_yaml_reads_as_pyyaml_reads_it() -> None:
    text = generated_spec(500)
    assert parse_data(text.encode(), "-") == yaml.load(text, Loader=yaml.SafeLoader)


def test_the_pure_python_parser_is_used_where_libyaml_is_missing(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(document_text, "CParser", None)
    assert document_text.parser_class() is document_text.PureParser
    assert parse_data(b"a: [1, 1e-3]\n", "-") == {"a": [1, 0.001]}


def test_an_alias_bomb_fails_in_little_memory() -> None:
    tracemalloc.start()
    try:
        error_of(billion_laughs(12))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert peak < 20 * 2**20


FORMULA_TEXT = st.text(alphabet="ab1 +*()'\"\\\té\n", min_size=1, max_size=30)


def char_at(text: str, place: tuple[int, int] | None) -> str:
    """The character at a 1-based (line, column)."""
    assert place is not None
    return text.splitlines()[place[0] - 1][place[1] - 1]


@given(FORMULA_TEXT, st.booleans(), st.data())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_locate_offset_finds_each_character_of_a_json_string(
    value: str, ascii_only: bool, data: st.DataObject
) -> None:
    text = json.dumps({"nodes": {"n": value}}, ensure_ascii=ascii_only)
    offset = data.draw(st.integers(min_value=0, max_value=len(value) - 1))
    found = char_at(text, locate(text.encode(), ("nodes", "n"), offset=offset))
    assert found == value[offset] or found == "\\"


@given(FORMULA_TEXT, st.sampled_from([None, '"', "'", "|", ">"]), st.data())
@settings(suppress_health_check=[HealthCheck.function_scoped_fixture])
def test_locate_offset_finds_each_character_of_a_yaml_string(
    value: str, style: str | None, data: st.DataObject
) -> None:
    text = yaml.safe_dump({"nodes": {"n": value}}, default_style=style, allow_unicode=True)
    raw = text.encode()
    assert parse_data(raw, "-")["nodes"]["n"] == value
    offset = data.draw(st.integers(min_value=0, max_value=len(value) - 1))
    if value[offset] in " \n\t":
        return  # folded or escaped blanks have no character of their own
    if style in ("|", ">") and value[0] in " \n":
        return  # an explicit indentation indicator: the string's own place is given
    found = char_at(text, locate(raw, ("nodes", "n"), offset=offset))
    assert found == value[offset] or found in "\\'"


def test_locate_many_answers_like_locate_in_one_pass() -> None:
    requests: list[tuple[tuple[str | int, ...], bool, int | None]] = [
        (("nodes", "o", "args", 1), False, None),
        (("values", "w", "label"), True, None),
        (("nodes", "n"), False, 2),
        (("nodes", "o", "missing"), True, None),
        (("nowhere", 3), False, None),
        ((), False, None),
    ]
    for text in (YAML_SPEC, JSON_SPEC):
        raw = text.encode()
        expected = [locate(raw, loc, key=key, offset=offset) for loc, key, offset in requests]
        assert locate_many(raw, requests) == expected
        assert None not in expected
