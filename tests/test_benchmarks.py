"""The benchmark workloads build what they say, and engines agree on them (no timing)."""

from __future__ import annotations

import json
import math
import shutil
import sys
from typing import Any

import pytest

from benchmarks import engine, floors, specs, workloads
from benchmarks.measure import Config, instructions
from gradpipe.engine import topological_order

NAMES = sorted(workloads.WORKLOADS)


def recording(engine: workloads.Engine) -> tuple[workloads.Engine, list[Any]]:
    """The engine, and the list its leaves are appended to in the order a program makes them."""
    leaves: list[Any] = []

    def leaf(data: float, name: str) -> Any:
        node = engine.leaf(data, name)
        leaves.append(node)
        return node

    return workloads.Engine(engine.name, leaf, engine.nary_sum), leaves


@pytest.mark.parametrize("name", NAMES)
@pytest.mark.parametrize("nodes", [1_000, 5_000])
def test_workload_has_about_the_requested_size(name: str, nodes: int) -> None:
    root = workloads.build(name, workloads.gradpipe_engine(), nodes)
    count = len(topological_order([root]))
    # mlp-add needs about 1,700 nodes for its weights and one sample.
    assert abs(count - nodes) <= max(0.25 * nodes, 700 if name == "mlp-add" else 0)
    assert workloads.count_nodes(root) == count


@pytest.mark.parametrize("name", NAMES)
def test_spec_describes_the_same_graph(name: str) -> None:
    builder = workloads.SpecBuilder()
    workloads.build(name, builder.engine(), 2_000, seed=3)
    root = workloads.build(name, workloads.gradpipe_engine(), 2_000, seed=3)
    assert builder.node_count() == workloads.count_nodes(root)
    spec = workloads.make_spec(name, 2_000, seed=3)
    document = floors.document_of(json.loads(specs.spec_text(spec, "json")))
    assert len(document["nodes"]) == builder.node_count()
    assert spec["output"] == document["nodes"][-1]["id"]


def test_workloads_are_seeded() -> None:
    assert workloads.make_spec("tree", 500, seed=1) == workloads.make_spec("tree", 500, seed=1)
    assert workloads.make_spec("tree", 500, seed=1) != workloads.make_spec("tree", 500, seed=2)


def backpropagated(
    engine: workloads.Engine, name: str, nodes: int, seed: int
) -> tuple[Any, list[Any]]:
    """A workload's output on ``engine`` after backward, and its leaves as made."""
    recorded, leaves = recording(engine)
    root = workloads.build(name, recorded, nodes, seed=seed)
    root.backward()
    return root, leaves


@pytest.mark.parametrize("name", NAMES)
def test_gradpipe_and_micrograd_agree(name: str) -> None:
    a, our_leaves = backpropagated(workloads.gradpipe_engine(), name, 600, seed=7)
    b, their_leaves = backpropagated(workloads.micrograd_engine(), name, 600, seed=7)
    assert a.data == pytest.approx(b.data, rel=1e-12, abs=1e-12)
    assert len(our_leaves) == len(their_leaves)
    for x, y in zip(our_leaves, their_leaves, strict=True):
        assert math.isfinite(x.grad)
        assert x.grad == pytest.approx(y.grad, rel=1e-9, abs=1e-12)


def test_engines_run_in_turns_and_their_repeats_are_gathered(monkeypatch: Any) -> None:
    """The engine figure rotates who goes first, so load falls on every engine alike."""
    calls: list[str] = []

    def fake_run(name: str, workload: str, nodes: int, repeat: int) -> dict[str, Any]:
        calls.append(name)
        turn = len(calls)
        return {
            "nodes": nodes,
            "memory": turn,
            "output": 1.0,
            "seconds": [turn] * repeat,
            "cpu": [-turn] * repeat,
        }

    monkeypatch.setattr(engine, "engine_run", fake_run)
    config = Config(quick=False)
    runs = engine.engine_turns("chain", 10_000, config)
    turns = config.engine_turns(10_000)
    rotations = [engine.ENGINES[k:] + engine.ENGINES[:k] for k in range(len(engine.ENGINES))]
    assert calls == [name for t in range(turns) for name in rotations[t % len(rotations)]]
    for name, run in runs.items():
        mine = [i + 1 for i, called in enumerate(calls) if called == name]
        assert len(run["seconds"]) == len(run["cpu"]) == turns * config.repeat(10_000)
        assert sorted(set(run["seconds"])) == mine
        assert run["memory"] == max(mine)


@pytest.mark.parametrize("name", NAMES)
def test_the_lean_engine_does_gradpipe_s_arithmetic(name: str) -> None:
    """The engine figure's floor computes the very numbers gradpipe does, bit for bit."""
    root, our_leaves = backpropagated(workloads.gradpipe_engine(), name, 2_000, seed=5)
    lean_root, lean_leaves = backpropagated(workloads.lean_engine(), name, 2_000, seed=5)
    assert lean_root.data.hex() == root.data.hex()
    assert [v.grad.hex() for v in lean_leaves] == [v.grad.hex() for v in our_leaves]


@pytest.mark.skipif(shutil.which("valgrind") is None, reason="valgrind is not installed")
def test_instruction_counts_are_the_same_every_run_and_grow_with_the_work() -> None:
    small = [sys.executable, "-c", "pass"]
    bigger = [sys.executable, "-c", "sum(range(10**5))"]
    assert instructions(small) == instructions(small)
    assert instructions(bigger) > instructions(small) + 10**6
