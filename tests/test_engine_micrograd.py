"""Code written for micrograd's Value runs unchanged on gradpipe's, with the same numbers.

micrograd 0.1.0's own ``nn.py`` is run twice from its source, once over each engine, and
trains the demo's 2-16-16-1 MLP on a small two-moons set with the demo's loss.
"""

from __future__ import annotations

import importlib.util
import json
import math
import random
import types
from pathlib import Path
from typing import Any

import pytest

from gradpipe import Value

pytest.importorskip("micrograd")
from micrograd.engine import Value as MicrogradValue


def nn_over(value_class: type) -> types.ModuleType:
    """micrograd's nn.py, executed afresh with ``Value`` bound to ``value_class``."""
    spec = importlib.util.find_spec("micrograd.nn")
    assert spec is not None and spec.loader is not None and spec.origin is not None
    source = spec.loader.get_source("micrograd.nn")  # type: ignore[attr-defined]
    module = types.ModuleType(f"micrograd_nn_over_{value_class.__module__}")
    exec(compile(source, spec.origin, "exec"), module.__dict__)
    module.Value = value_class  # type: ignore[attr-defined]
    return module


def moons(n: int, seed: int = 0) -> tuple[list[tuple[float, float]], list[float]]:
    """Two interleaving half circles with a little noise, labels -1 and 1 (like sklearn's)."""
    rng = random.Random(seed)
    xs, ys = [], []
    for i in range(n):
        t = math.pi * rng.random()
        if i % 2:
            x, y, label = math.cos(t), math.sin(t), 1.0
        else:
            x, y, label = 1 - math.cos(t), 0.5 - math.sin(t), -1.0
        xs.append((x + rng.gauss(0, 0.1), y + rng.gauss(0, 0.1)))
        ys.append(label)
    return xs, ys


def train(value_class: type, steps: int, samples: int) -> list[tuple[float, float]]:
    """micrograd's demo loop: max-margin loss with L2, SGD; the loss and accuracy per step."""
    nn = nn_over(value_class)
    random.seed(1337)
    model: Any = nn.MLP(2, [16, 16, 1])
    xs, ys = moons(samples)
    history = []
    for k in range(steps):
        inputs = [list(map(value_class, row)) for row in xs]
        scores = list(map(model, inputs))
        losses = [(1 + -yi * si).relu() for yi, si in zip(ys, scores, strict=True)]
        data_loss = sum(losses) * (1.0 / len(losses))
        reg_loss = 1e-4 * sum(p * p for p in model.parameters())
        total = data_loss + reg_loss
        accuracy = sum((yi > 0) == (si.data > 0) for yi, si in zip(ys, scores, strict=True)) / len(
            ys
        )
        model.zero_grad()
        total.backward()
        learning_rate = 1.0 - 0.9 * k / steps
        for p in model.parameters():
            p.data -= learning_rate * p.grad
        history.append((total.data, accuracy))
    return history


@pytest.mark.slow
def test_micrograd_nn_trains_the_same_step_by_step() -> None:
    theirs = train(MicrogradValue, steps=8, samples=12)
    ours = train(Value, steps=8, samples=12)
    assert [a for _, a in ours] == [a for _, a in theirs]
    assert [loss for loss, _ in ours] == pytest.approx([loss for loss, _ in theirs], abs=1e-9)
    assert ours[-1][0] < ours[0][0]  # it learns


def test_nn_over_our_engine_really_uses_it() -> None:
    nn = nn_over(Value)
    neuron = nn.Neuron(3)
    assert all(isinstance(p, Value) for p in neuron.parameters())
    out = neuron([Value(1.0), Value(2.0), Value(3.0)])
    assert isinstance(out, Value) and out.operation in ("relu", "add")
    assert nn_over(MicrogradValue).Value is MicrogradValue


def test_micrograd_readme_expression_on_both_engines() -> None:
    def readme(value_class: type) -> tuple[float, float, float]:
        a = value_class(-4.0)
        b = value_class(2.0)
        c = a + b
        d = a * b + b**3
        c += c + 1
        c += 1 + c + (-a)
        d += d * 2 + (b + a).relu()
        d += 3 * d + (b - a).relu()
        e = c - d
        f = e**2
        g = f / 2.0
        g += 10.0 / f
        g.backward()
        return g.data, a.grad, b.grad

    ours = readme(Value)
    assert "{:.4f} {:.4f} {:.4f}".format(*ours) == "24.7041 138.8338 645.5773"
    assert ours == pytest.approx(readme(MicrogradValue), rel=1e-15)


def test_ops_added_in_micrograds_style_backpropagate_through_their_closure() -> None:
    """The lecture adds tanh as `Value(t, (self,), 'tanh')` with an `_backward` closure."""

    def lecture_tanh(self: Value) -> Value:
        x = self.data
        t = (math.exp(2 * x) - 1) / (math.exp(2 * x) + 1)
        out = Value(t, (self,), "lecture_tanh")

        def _backward() -> None:
            self.grad += (1 - t**2) * out.grad  # type: ignore[operator]

        out._backward = _backward
        return out

    x = Value(0.8813735870195432, label="x")
    o = lecture_tanh(x * 2)
    o.backward()
    assert o.operation == "lecture_tanh"
    assert o.children[0].operation == "mul"
    assert x.grad == pytest.approx(2 * (1 - o.data**2), rel=1e-15)


def test_micrograds_constructor_arguments_are_accepted() -> None:
    leaf = Value(1.0, (), "")
    assert (leaf.operation, leaf.children, leaf.grad) == ("value", (), 0.0)
    assert Value(2.0, "a").label == Value(2.0, label="a").label == "a"
    op = Value(3.0, (leaf, leaf), "+")
    op.backward()  # no closure was given: nothing flows back
    assert leaf.grad == 0.0


GOLDEN_DEMO = Path(__file__).parent / "golden" / "micrograd_demo.json"


def test_the_demos_100_training_steps_give_micrograds_losses() -> None:
    """micrograd's demo loop, 100 SGD steps, against the losses micrograd 0.1.0 printed.

    The golden file holds micrograd's own run of ``train`` (its engine, its nn.py), so this
    test runs only gradpipe; ``python tests/test_engine_micrograd.py`` writes it afresh.
    """
    golden = json.loads(GOLDEN_DEMO.read_text())
    ours = train(Value, steps=golden["steps"], samples=golden["samples"])
    assert [a for _, a in ours] == golden["accuracy"]
    assert [loss for loss, _ in ours] == pytest.approx(golden["losses"], rel=1e-12)


if __name__ == "__main__":  # regenerate the golden file from micrograd itself
    losses = train(MicrogradValue, steps=100, samples=6)
    document = {
        "steps": 100,
        "samples": 6,
        "losses": [loss for loss, _ in losses],
        "accuracy": [a for _, a in losses],
    }
    GOLDEN_DEMO.write_text(json.dumps(document, indent=1) + "\n")
