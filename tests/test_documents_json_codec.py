"""orjson is only a faster way to the standard library's result: same data, same bytes.

Each test runs with orjson (where installed) and with it disabled, the fallback every
platform without it takes; the sizes below which the standard library is used anyway
are set to 0 so small inputs take the fast path too.
"""

from __future__ import annotations

import json
import math
import random
import struct
import types
from collections.abc import Iterator
from pathlib import Path

import pytest

from gradpipe.documents import build, json_codec, plan
from gradpipe.documents.graph import Graph, dump_document, encode_document
from gradpipe.engine.value import Value
from gradpipe.errors import GradpipeError

ROOT = Path(__file__).resolve().parent.parent
CASES = sorted(
    p
    for p in (ROOT / "tests" / "cases").rglob("*")
    if p.suffix in (".yaml", ".yml", ".json") and not p.name.endswith(".expected.json")
)
PATHS = ["orjson", "stdlib"]


@pytest.fixture(params=PATHS)
def codec(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """orjson for every size, or no orjson at all."""
    if request.param == "orjson":
        if json_codec.orjson() is None:
            pytest.skip("orjson is not installed here")
        monkeypatch.setattr(json_codec, "FAST_BYTES", 0)
        monkeypatch.setattr(json_codec, "FAST_NODES", 0)
    else:
        monkeypatch.setattr(json_codec, "_orjson", False)
    yield request.param


def stdlib_numbers(numbers: list[float | None]) -> list[str]:
    return [json.dumps(x) for x in numbers]


def awkward_floats(count: int, seed: int) -> list[float]:
    """Floats of every magnitude: random bit patterns, powers of ten, small and tiny ones."""
    rng = random.Random(seed)
    floats: list[float] = []
    while len(floats) < count:
        x = struct.unpack("<d", struct.pack("<Q", rng.getrandbits(64)))[0]
        if math.isfinite(x):
            floats.append(x)
        floats.append(rng.gauss(0, 1) * 10.0 ** rng.randint(-12, 20))
    floats += [0.0, -0.0, 1e-4, 1e-5, 1e16, 1e15, 5e-324, 1.7976931348623157e308, 2.0, 1e22]
    return floats


@pytest.mark.parametrize("seed", range(3))
def test_numbers_are_written_as_the_standard_library_writes_them(codec: str, seed: int) -> None:
    numbers: list[float | None] = [*awkward_floats(5000, seed), None, 3, -7]
    random.Random(seed).shuffle(numbers)
    assert json_codec.number_texts(numbers) == stdlib_numbers(numbers)


@pytest.mark.parametrize("bad", [math.nan, math.inf, -math.inf])
def test_numbers_refuse_nan_and_infinities(codec: str, bad: float) -> None:
    with pytest.raises(ValueError):
        json_codec.number_texts([1.0, None, bad, 2.0])


def test_integers_beyond_64_bits_are_written_too(codec: str) -> None:
    numbers: list[float | None] = [2.0, 2**70, -(2**65), None]
    assert json_codec.number_texts(numbers) == stdlib_numbers(numbers)


def test_strings_are_quoted_as_the_standard_library_quotes_them(codec: str) -> None:
    everything = [chr(c) for c in range(0x3000)] + ["\U0001f600", "\u2028", "\ufeff"]
    tricky = ['","', 'a"b', "a\\", "\\", 'x\\",', "a,b", "a:b", "", "tab\there", "é"]
    for strings in (everything, tricky, tricky * 50, ["plain", "names", "only"] * 900):
        assert json_codec.string_texts(strings) == list(map(json_codec.json_quoter(), strings))


def test_a_lone_surrogate_is_quoted_as_python_quotes_it(codec: str) -> None:
    strings = ["a", "\ud800", "b"] * 1000
    assert json_codec.string_texts(strings) == list(map(json_codec.json_quoter(), strings))


def random_graph(count: int, seed: int, gradients: bool = True) -> Graph:
    """A graph of awkward numbers and labels, some nodes constant (grad None)."""
    rng = random.Random(seed)
    numbers = awkward_floats(4 * count + 4, seed)
    labels = ["", "x", 'q"', "a,b", "c:d", "back\\", "ünï", "\x01", "sum(a, b)", "w"]
    nodes = [Value(1.0, "a"), Value(2.0, "b")]
    for _ in range(count):
        left, right = rng.sample(nodes[-40:], 2)
        product = left * right
        nodes += [product, product.tanh()]  # bounded values, then given awkward ones
    for i, v in enumerate(nodes[2:]):
        v.data = numbers[2 * i]
        v.grad = numbers[2 * i + 1] if rng.random() < 0.9 else None
        v.label = rng.choice(labels) if rng.random() < 0.3 else f"n{i}"
    ids = [f"_{i}" if i % 3 else f"name_{i}" for i in range(len(nodes))]
    return Graph("gráph", ids, nodes, ids[-1], has_gradients=gradients)


@pytest.mark.parametrize(("count", "gradients"), [(0, True), (7, False), (12_345, True)])
def test_encode_document_writes_dump_documents_bytes(
    codec: str, count: int, gradients: bool
) -> None:
    graph = random_graph(count, seed=count, gradients=gradients)
    assert encode_document(graph) == dump_document(graph.to_document()).encode()


def test_both_paths_write_the_same_bytes(monkeypatch: pytest.MonkeyPatch) -> None:
    graph = random_graph(9_000, seed=4)
    fast = encode_document(graph)
    monkeypatch.setattr(json_codec, "_orjson", False)
    assert encode_document(graph) == fast


def outcome(path: Path, raw: bytes) -> tuple[object, ...]:
    """Everything a read plan holds, or the error it raised with its place."""
    try:
        read = plan.read_plan(raw, str(path))
    except GradpipeError as error:
        return ("error", type(error).__name__, str(error), error.line, error.column)
    fields = ("kind", "name", "output", "ids", "labels", "ops", "args", "values", "order")
    origins = {k: (where.loc, where.offset) for k, where in read.origins.items()}
    return (*tuple(repr(getattr(read, f)) for f in fields), repr(origins), read.gradients)


def stdlib_outcome(path: Path, raw: bytes, monkeypatch: pytest.MonkeyPatch) -> tuple[object, ...]:
    with monkeypatch.context() as patch:
        patch.setattr(json_codec, "_orjson", False)
        return outcome(path, raw)


@pytest.mark.parametrize("path", CASES, ids=lambda p: p.name)
def test_every_golden_case_reads_the_same_through_orjson(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if json_codec.orjson() is None:
        pytest.skip("orjson is not installed here")
    raw = path.read_bytes()
    expected = stdlib_outcome(path, raw, monkeypatch)
    monkeypatch.setattr(json_codec, "FAST_BYTES", 0)
    assert outcome(path, raw) == expected


SPEC = {
    "values": {"x": 2.0, "w": {"value": -3.0, "label": "weight"}},
    "nodes": {
        "p": {"op": "mul", "args": ["x", "w"]},
        "q": {"op": "add", "args": ["p", 1.5]},
        "r": "tanh(q) * p",
        "o": {"op": "sum", "args": ["p", "q", "r"], "label": "out"},
    },
}


def padded(text: str) -> bytes:
    """JSON big enough for the fast path at its default size (trailing blanks)."""
    return (text + " " * json_codec.FAST_BYTES).encode()


@pytest.mark.parametrize(
    "text",
    [
        json.dumps(SPEC),
        # A repeated key, which orjson would merge: at the top, in values, in a node.
        json.dumps(SPEC)[:-1] + ', "nodes": {"z": "x*2"}}',
        json.dumps(SPEC).replace('"x": 2.0', '"x": 2.0, "x": 5.0'),
        json.dumps(SPEC).replace('{"op": "mul",', '{"op": "add", "op": "mul",'),
        # A colon in a label or formula: read the standard library's way, same result.
        json.dumps(SPEC).replace('"weight"', '"w: a weight"'),
        # Numbers orjson reads differently or not at all, escapes, a BOM.
        json.dumps(SPEC).replace("2.0", "18446744073709551616"),
        json.dumps(SPEC).replace("2.0", "1e400"),
        json.dumps(SPEC).replace("2.0", "NaN"),
        json.dumps(SPEC).replace('"weight"', '"\\ud800"'),
        json.dumps(SPEC).replace('"weight"', '"w\\u003a"'),
        "\ufeff" + json.dumps(SPEC),
        json.dumps(SPEC)[:-1] + ",}",
        json.dumps({**SPEC, "ouput": "o"}),
        json.dumps({"version": 1, "nodes": [{"id": "a", "op": "value", "value": 1}] * 2}),
    ],
)
def test_big_json_reads_the_same_through_orjson(text: str, monkeypatch: pytest.MonkeyPatch) -> None:
    raw = padded(text)
    path = Path("spec.json")
    expected = stdlib_outcome(path, raw, monkeypatch)
    assert outcome(path, raw) == expected


def test_a_repeated_key_is_refused_on_the_fast_path_too() -> None:
    raw = padded(json.dumps(SPEC).replace('"x": 2.0', '"x": 2.0, "x": 5.0'))
    with pytest.raises(GradpipeError, match="x"):
        plan.read_plan(raw, "spec.json")


def test_big_json_goes_through_orjson_where_it_is_installed(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    module = json_codec.orjson()
    if module is None:
        pytest.skip("orjson is not installed here")
    calls: list[int] = []

    def loads(raw: bytes) -> object:
        calls.append(len(raw))
        return module.loads(raw)

    counting = types.ModuleType("counting_orjson")
    counting.JSONDecodeError = module.JSONDecodeError
    counting.loads = loads
    monkeypatch.setattr(json_codec, "_orjson", counting)
    graph = build.load_document(padded(json.dumps(SPEC)), "spec.json")
    assert calls and graph.output == "o"
    assert json_codec.read_object(json.dumps(SPEC).encode()) is None  # small: the stdlib's


@pytest.mark.parametrize(
    ("orjson_text", "python_text"),
    [
        ("0.00001", "1e-05"),
        ("-0.000015", "-1.5e-05"),
        ("0.00009999", "9.999e-05"),
        ("10.00001", None),  # Python's own text already: repr writes it
    ],
)
def test_orjsons_small_numbers_are_rewritten_as_repr_writes_them(
    orjson_text: str, python_text: str | None
) -> None:
    assert json_codec._python_text(orjson_text) == python_text
    if python_text is not None:
        assert repr(float(orjson_text)) == python_text


def test_orjsons_one_digit_exponents_are_padded_as_repr_writes_them() -> None:
    text = "1e-7,-1.5e-7,2.5e-300,5e-324,1e-10,3.5e-9,1e+16,-4e-6"
    padded = "1e-07,-1.5e-07,2.5e-300,5e-324,1e-10,3.5e-09,1e+16,-4e-06"
    assert json_codec._padded_exponents(text) == padded
    assert padded.split(",") == [repr(float(t)) for t in text.split(",")]


def test_shrinking_gradients_are_written_as_the_standard_library_writes_them() -> None:
    pytest.importorskip("orjson")
    rng = random.Random(7)
    numbers = [rng.choice([-1, 1]) * 10 ** rng.uniform(-320, -3) for _ in range(5_000)]
    numbers += [10.00001, -100.000001, 1e-4, 0.99e-4]
    assert json_codec.number_texts(numbers) == [json.dumps(x) for x in numbers]
