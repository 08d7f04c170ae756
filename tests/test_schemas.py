"""schemas/*.json are the models' JSON Schemas, and every example and case agrees with them."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from gradpipe.documents import load_document
from gradpipe.documents.parsing import parse_data
from gradpipe.documents.schemas import json_schema

ROOT = Path(__file__).resolve().parent.parent
KINDS = ("spec", "graph")
INPUTS = (".yaml", ".yml", ".json")


def validator(kind: str) -> Any:
    """A jsonschema validator of the committed schema (jsonschema is a dev dependency only)."""
    jsonschema = pytest.importorskip("jsonschema")
    schema = json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8"))
    jsonschema.Draft202012Validator.check_schema(schema)
    return jsonschema.Draft202012Validator(schema)


def documents(folder: Path) -> list[Path]:
    """The specs and graph documents of a folder, expected outputs included."""
    return sorted(p for p in folder.glob("*") if p.suffix in INPUTS) if folder.is_dir() else []


def kind_of(data: Any) -> str:
    return "graph" if isinstance(data.get("nodes"), list) else "spec"


@pytest.mark.parametrize("kind", KINDS)
def test_committed_schema_is_generated(kind: str) -> None:
    """Fails when the models change and `make schemas` was not run."""
    committed = (ROOT / "schemas" / f"{kind}.schema.json").read_text(encoding="utf-8")
    assert committed == json_schema(kind)


@pytest.mark.parametrize("kind", KINDS)
def test_schema_is_deterministic_json_for_editors(kind: str) -> None:
    text = json_schema(kind)
    assert text == json_schema(kind)
    assert text.endswith("}\n")
    schema = json.loads(text)
    assert schema["$schema"] == "https://json-schema.org/draft/2020-12/schema"
    assert schema["title"].startswith("gradpipe")
    assert schema["description"]
    assert schema["additionalProperties"] is False


def test_unknown_kind_is_refused() -> None:
    with pytest.raises(KeyError):
        json_schema("yaml")


@pytest.mark.parametrize(
    "path",
    documents(ROOT / "examples") + documents(ROOT / "tests" / "cases" / "valid"),
    ids=lambda p: p.name,
)
def test_valid_documents_satisfy_their_schema(path: Path) -> None:
    raw = path.read_bytes()
    data = parse_data(raw, str(path))
    errors = list(validator(kind_of(data)).iter_errors(data))
    assert errors == []
    load_document(raw, str(path))


@pytest.mark.parametrize(
    ("kind", "document"),
    [
        ("spec", {"nodes": {}}),
        ("spec", {"nodes": {"y": "2*3"}, "ouput": "y"}),
        ("spec", {"nodes": {"y": "2*3"}, "version": 2}),
        ("spec", {"nodes": {"x-1": "2*3"}}),
        ("spec", {"nodes": {"exp": "2*3"}}),
        ("spec", {"values": {"x": True}, "nodes": {"y": "x*3"}}),
        ("spec", {"values": {"x": "1"}, "nodes": {"y": "x*3"}}),
        ("spec", {"nodes": {"y": {"op": "tahn", "args": ["x"]}}}),
        ("spec", {"nodes": {"y": {"expr": "x", "op": "neg"}}}),
        ("spec", {"nodes": {"y": None}}),
        ("graph", {"nodes": []}),
        ("graph", {"nodes": [{"id": "x", "op": "value", "value": 1, "grads": None}]}),
        ("graph", {"nodes": [{"id": "x", "op": "square", "args": []}]}),
        ("graph", {"nodes": [{"id": "2x", "op": "value", "value": 1}]}),
    ],
)
def test_schema_refuses_what_gradpipe_refuses(kind: str, document: Any) -> None:
    assert list(validator(kind).iter_errors(document))
