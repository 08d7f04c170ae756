"""Every file in examples/ loads and gives the values and gradients the notes give."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from click.testing import CliRunner

from gradpipe.cli import main
from gradpipe.documents import load_document

EXAMPLES = Path(__file__).resolve().parent.parent / "examples"
SPEC_KEYS = {"version", "name", "values", "nodes", "output"}

# Example stem -> (value of its output, gradient of the output by every leaf): the numbers
# the micrograd notes and README state, checked against PyTorch float64 autograd.
KNOWN: dict[str, tuple[float, dict[str, float]]] = {
    "parabola": (20.0, {"x": 14.0}),
    "ab_plus_c": (4.0, {"a": -3.0, "b": 2.0, "c": 1.0}),
    "chain_rule": (-8.0, {"a": 4.0, "b": -2.0, "c": 6.0, "d": -4.0}),
    "neuron": (
        0.7071067811865476,
        {"x1": -1.5, "x2": 0.5, "w1": 1.0, "w2": 0.0, "b": 0.5},
    ),
    "reuse": (6.0, {"a": 2.0}),
    "relu_kink": (0.75, {"x": 0.5, "w": 0.0, "b": 0.0, "c": 1.5}),
    "micrograd_readme": (
        24.70408163265306,
        {"a": 138.83381924198252, "b": 645.5772594752186},
    ),
    "mlp": (
        0.588608617424582,
        {
            "x1": 0.2527095835223689,
            "x2": -0.22681810328580568,
            "w11": 0.7960030393112345,
            "w12": -0.39800151965561725,
            "b1": 0.39800151965561725,
            "w21": -0.26854411847280124,
            "w22": 0.13427205923640062,
            "b2": -0.13427205923640062,
            "v1": 1.3584983141169324,
            "v2": -1.4353072567316074,
            "c": 1.5344166545297688,
            "y": -1.5344166545297688,
        },
    ),
}


def example_paths() -> list[Path]:
    """The examples as `make diagrams` sees them."""
    return sorted(EXAMPLES.glob("*.yaml"))


def read_spec(path: Path) -> dict[str, Any]:
    """The example as plain data (the examples use no YAML 1.1 pitfalls, so PyYAML suffices)."""
    spec = yaml.safe_load(path.read_text(encoding="utf-8"))
    assert isinstance(spec, dict)
    return spec


def test_every_example_has_known_values() -> None:
    assert sorted(p.stem for p in example_paths()) == sorted(KNOWN)


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_example_says_what_it_shows(path: Path) -> None:
    lines = path.read_text(encoding="utf-8").splitlines()
    assert lines[0] == "# yaml-language-server: $schema=../schemas/spec.schema.json"
    assert any(line.startswith("# Shows: ") for line in lines)
    spec = read_spec(path)
    assert set(spec) <= SPEC_KEYS
    assert spec["version"] == 1
    assert spec["name"] == path.stem


def test_examples_use_every_spec_style() -> None:
    entries = [entry for p in example_paths() for entry in read_spec(p)["nodes"].values()]
    assert any(isinstance(entry, str) for entry in entries), "a formula string"
    assert any(isinstance(entry, dict) and "op" in entry for entry in entries), "an op object"
    assert any(isinstance(entry, dict) and "expr" in entry for entry in entries), "{expr:, label:}"
    leaves = [leaf for p in example_paths() for leaf in read_spec(p)["values"].values()]
    assert any(isinstance(leaf, dict) and "label" in leaf for leaf in leaves), "a labelled leaf"


@pytest.mark.parametrize("path", example_paths(), ids=lambda p: p.stem)
def test_example_gradients(path: Path) -> None:
    output_value, gradients = KNOWN[path.stem]
    graph = load_document(path.read_bytes(), str(path))
    graph.backward()
    assert graph.name == path.stem
    assert graph.node(graph.output).data == pytest.approx(output_value, rel=1e-12)
    leaves = {node_id: v.grad for node_id, v in graph if v.operation == "value"}
    assert leaves == pytest.approx(gradients, rel=1e-12, abs=1e-12)


def test_every_example_passes_gradient_check() -> None:
    result = CliRunner().invoke(main, ["check", str(EXAMPLES)], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    assert result.stdout.count("gradients match") == len(KNOWN)
