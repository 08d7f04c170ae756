"""The numeric side of gradient checking: no false mismatch, and every real one caught.

The false-mismatch cases are those of issue 14 (relu kinks, log stepped past 0, nodes
the output does not use, 2*x at 1e12, x*x at 1e9, exp next to overflow, 1/y at 2e-6);
the 200 random specs repeat its experiment with a seeded generator. The mutation tests
break one op's local derivative at a time (as a micrograd-style ``_backward`` closure
in place of the built-in one) and require the check to flag it on every example where
the broken derivative changes a leaf's gradient.
"""

from __future__ import annotations

import json
import math
import random
from collections import Counter
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from gradpipe.checking import LeafCheck, Tolerances, check_graph, gradcheck, gradcheck_report
from gradpipe.difference import Result
from gradpipe.documents import load_document
from gradpipe.documents.graph import Graph
from gradpipe.engine import Value, apply
from gradpipe.errors import GradcheckError, GradpipeError

EXAMPLES = Path(__file__).parent.parent / "examples"


def checked(spec: str, **tolerances: float) -> dict[str, LeafCheck]:
    graph = load_document(spec.encode(), "spec.yaml")
    return {c.leaf: c for c in check_graph(graph, Tolerances(**tolerances))}


# --- the false mismatches -------------------------------------------------------


@pytest.mark.parametrize(
    ("formula", "x"),
    [
        ("2*x", 1e12),  # a fixed eps of 1e-6 is below half an ulp of x
        ("x*x", 1e9),
        ("exp(x)", 709.78),  # x + 1e-3 overflows
        ("exp(x)", 709.7827),  # within 1e-5 of overflow
        ("1/x", 2e-6),  # curvature swamps a central difference of step 1e-6
        ("log(x)", 1e-7),  # log at x - 1e-6 < 0
        ("log(x)", 1e-300),
        ("x**0.5", 1e-9),
        ("1/(x - 1)", 1 + 1e-9),  # a pole within the step
        ("relu(x)", 1e-7),  # a kink within the step
        ("relu(x - 1) * 3", 1 + 1e-12),
        ("x + 1e10 - 1e10", 1.0),  # cancellation: f's rounding error is that of 1e10
        ("tanh(x)", 30.0),  # saturated: exactly 1, gradient 0
        ("sigmoid(x)", -800.0),
    ],
)
def test_no_false_mismatch(formula: str, x: float) -> None:
    (check,) = checked(f"values:\n  x: {x!r}\nnodes:\n  y: {formula}\n").values()
    assert check.result is Result.OK, check.verdict.explain()


@pytest.mark.parametrize(
    ("formula", "left", "right"),
    [("relu(x)", 0.0, 1.0), ("relu(x - 1) * 3", 0.0, 3.0), ("relu(x) + relu(-x)", -1.0, 1.0)],
)
def test_a_kink_at_x_is_not_differentiable_here(formula: str, left: float, right: float) -> None:
    x = 1.0 if "x - 1" in formula else 0.0
    (check,) = checked(f"values:\n  x: {x}\nnodes:\n  y: {formula}\n").values()
    assert check.result is Result.KINK
    assert check.verdict.estimate.left == pytest.approx(left, abs=1e-6)
    assert check.verdict.estimate.right == pytest.approx(right, abs=1e-6)
    assert "not differentiable here" in check.verdict.explain()
    assert "(relu) at its kink" in check.verdict.explain()


def test_a_kink_that_does_not_show_in_f_is_said_to_be_one() -> None:
    # relu(x) - relu(-x) is x, slope 1; backprop takes relu'(0) = 0 for both terms.
    (check,) = checked("values:\n  x: 0\nnodes:\n  y: relu(x) - relu(-x)\n").values()
    assert check.result is Result.KINK
    assert check.numeric == pytest.approx(1.0)
    assert "convention" in check.verdict.explain()


@pytest.mark.parametrize(("formula", "x"), [("x ** 1.5", 0.0), ("(x - 1) ** 2.5 * 4", 1.0)])
def test_a_one_sided_difference_is_said_to_be_one(formula: str, x: float) -> None:
    # f is defined at x and on its right only: the difference is forward.
    (check,) = checked(f"values:\n  x: {x}\nnodes:\n  y: {formula}\n").values()
    assert check.result is Result.OK, check.verdict.explain()
    assert check.verdict.estimate.method == "forward"
    assert "one-sided, forward: negative base" in check.verdict.explain()


def test_a_curve_too_steep_for_any_step_is_uncertain_not_a_mismatch() -> None:
    # log(x - 1) at 1 + 1e-14: f bends within a few dozen ulps of x.
    (check,) = checked("values:\n  x: 1.00000000000001\nnodes:\n  y: log(x - 1)\n").values()
    assert check.result is Result.UNCERTAIN
    assert check.verdict.explain().startswith("uncertain (")


def test_nodes_the_output_does_not_use_are_not_evaluated() -> None:
    # u fails at x - h (log of a negative), but the output y does not use it.
    checks = checked("values:\n  x: 1e-7\n  z: 2\nnodes:\n  u: log(x)\n  y: z*z\noutput: y\n")
    assert checks["x"].result is Result.OK
    assert checks["x"].verdict.estimate.method == "exact"
    assert checks["z"].result is Result.OK


def test_uncertain_is_no_mismatch_and_says_how_uncertain() -> None:
    # f is 1e12 plus a term of size 1: its ulp (1.2e-4) hides the term's slope.
    spec = "values:\n  x: 2\n  big: 1e12\nnodes:\n  y: big + 1/sigmoid(x - 1)\n"
    check = checked(spec)["x"]
    assert check.result in (Result.OK, Result.UNCERTAIN)
    if check.result is Result.UNCERTAIN:
        assert "numeric error ±" in check.verdict.explain()


def test_each_leaf_is_checked_at_the_others_values() -> None:
    # Checking w1 first must leave no trace of its perturbed points in x2's check.
    graph = load_document((EXAMPLES / "neuron.yaml").read_bytes(), "neuron.yaml")
    checks = {c.leaf: c for c in check_graph(graph, Tolerances())}
    for leaf in ("x2", "b"):
        assert checks[leaf].numeric == pytest.approx(0.5, rel=1e-8)


def test_the_step_is_relative_to_x() -> None:
    # With eps 0.5 at x = 3 the first step is 1.5: x**2 is quadratic, exact at any step.
    check = checked("values:\n  x: 3\nnodes:\n  y: x**2\n", eps=0.5)["x"]
    assert check.numeric == 6.0
    assert check.verdict.estimate.step == 1.5


# --- the 200 random specs ---------------------------------------------------------------

SPECIAL = (0.0, 1e-7, -1e-7, 2e-6, 1e12, 1e9, 709.7, 0.5, -0.5, 1.0, -1.0)
OPS = ("add", "sub", "mul", "div", "pow", "exp", "log", "tanh", "relu", "sigmoid", "neg", "sum")


def random_spec(rng: random.Random, leaves: int = 4, nodes: int = 8) -> dict[str, Any]:
    """Leaves often at kinks, edges and extremes; every op; some nodes the output skips."""
    values = {
        f"x{i}": rng.choice(SPECIAL)
        if rng.random() < 0.3
        else round(rng.uniform(-3, 3), rng.choice([0, 1, 2, 6]))
        for i in range(leaves)
    }
    names = list(values)

    def arg() -> str:
        if rng.random() < 0.2:
            return repr(rng.choice([2, 3, 0.5, -1, 1e-6, 1.5]))
        return rng.choice(names)

    formulas = {}
    for i in range(nodes):
        op = rng.choice((*OPS, "relu", "log"))
        a, b = arg(), arg()
        if op in ("exp", "log", "tanh", "relu", "sigmoid"):
            formula = f"{op}({a})"
        elif op == "neg":
            formula = f"-{a}"
        elif op == "sum":
            formula = f"sum({a}, {b}, {arg()})"
        elif op == "pow":
            formula = f"{a} ** {rng.choice(['2', '3', '0.5', '-1', b])}"
        else:
            formula = f"{a} {dict(add='+', sub='-', mul='*', div='/')[op]} {b}"
        formulas[f"n{i}"] = formula
        names.append(f"n{i}")
    output = names[-1] if rng.random() < 0.5 else rng.choice(names[leaves:])
    return {"values": values, "nodes": formulas, "output": output}


def random_graphs(count: int, seed: int) -> list[Graph]:
    """``count`` random specs that load (forward and backward succeed at their point)."""
    rng = random.Random(seed)
    graphs: list[Graph] = []
    while len(graphs) < count:
        raw = json.dumps(random_spec(rng)).encode()
        try:
            graph = load_document(raw, "random.json")
            graph.backward()
        except GradpipeError:
            continue
        graphs.append(graph)
    return graphs


def test_200_random_specs_give_no_false_mismatch() -> None:
    results: Counter[Result] = Counter()
    for graph in random_graphs(200, seed=14):
        for check in check_graph(graph, Tolerances()):
            results[check.result] += 1
            assert not check.failed, (graph.to_document(), check)
    assert results[Result.OK] > 0.95 * sum(results.values())
    assert results[Result.MISMATCH] == 0


# --- mutations: one broken derivative at a time ----------------------------------------

# The correct local derivatives d(out)/d(arg), in terms of the node's value and its
# arguments' values; a mutant breaks them and adds them up as a closure would.
LOCAL: dict[str, Callable[..., Sequence[float]]] = {
    "add": lambda out, a, b: (1.0, 1.0),
    "sub": lambda out, a, b: (1.0, -1.0),
    "mul": lambda out, a, b: (b, a),
    "div": lambda out, a, b: (1 / b, -a / b / b),
    "neg": lambda out, a: (-1.0,),
    "pow": lambda out, a, b: (b * a ** (b - 1), out * math.log(a) if a > 0 else 0.0),
    "exp": lambda out, a: (out,),
    "log": lambda out, a: (1 / a,),
    "tanh": lambda out, a: (1 - out * out,),
    "relu": lambda out, a: (float(a > 0),),
    "sigmoid": lambda out, a: (out * (1 - out),),
    "sum": lambda out, *terms: (1.0,) * len(terms),
}
# How a learner gets a derivative wrong.
BREAKS: dict[str, Callable[[float, float], float]] = {
    "scaled": lambda local, g: 1.5 * local * g,
    "sign": lambda local, g: -local * g,
    "no chain rule": lambda local, g: local,
}


class Mutant(Value):
    """A node whose backward is a closure, as a user's op in micrograd's style is."""

    __slots__ = ("original",)

    @property
    def operation(self) -> str:
        return self.original


def mutated(graph: Graph, op: str, wrong: Callable[[float, float], float]) -> Graph:
    """A copy of ``graph`` where every live ``op`` node has the broken derivative."""
    copies: dict[Value, Value] = {}
    for v in graph.nodes:  # in topological order
        kids = tuple(copies[c] for c in v._prev)
        if v.operation == op and v.requires_grad:
            node: Value = object.__new__(Mutant)
            node.original = op  # type: ignore[attr-defined]
            node.data, node.grad, node.label, node._prev = v.data, v.grad, v.label, kids
            node._op = f"mutant {op}"
            node._backward = _broken(node, kids, op, wrong)
        elif not kids:
            node = (
                Value.constant(v.data, v.label) if v.is_constant else Value(v.data, label=v.label)
            )
        else:
            node = apply(v.operation, kids)
            node.label = v.label
        copies[v] = node
    return Graph(graph.name, list(graph.ids), [copies[v] for v in graph.nodes], graph.output)


def _broken(
    node: Value, kids: tuple[Value, ...], op: str, wrong: Callable[[float, float], float]
) -> Callable[[], None]:
    def backward() -> None:
        g = node.grad
        assert g is not None
        for kid, local in zip(kids, LOCAL[op](node.data, *(k.data for k in kids)), strict=True):
            if kid.grad is not None:
                kid.grad += wrong(local, g)

    return backward


def gradients(graph: Graph) -> dict[str, float]:
    graph.backward()
    return {i: v.grad or 0.0 for i, v in graph if v.operation == "value"}


MUTATION_SPECS = {
    "exp_log_sigmoid_sum": (
        "values:\n  x: 0.7\n  y: -1.3\n  z: 2.5\n"
        "nodes:\n  s: sum(exp(x), log(z) * y, sigmoid(x * y))\n  out: s * s\n"
    ),
    "div_neg_pow": ("values:\n  p: 1.5\n  q: -0.8\nnodes:\n  out: -(p / q) + p ** q + q ** 3\n"),
}


def mutation_graphs() -> list[tuple[str, Graph]]:
    graphs = [
        (path.name, load_document(path.read_bytes(), str(path)))
        for path in sorted(EXAMPLES.glob("*.yaml"))
    ]
    graphs += [(name, load_document(text.encode(), name)) for name, text in MUTATION_SPECS.items()]
    return graphs


@pytest.mark.parametrize("op", sorted(LOCAL))
@pytest.mark.parametrize("kind", sorted(BREAKS))
def test_check_catches_a_broken_derivative_on_every_example(op: str, kind: str) -> None:
    tolerances = Tolerances()
    killable = 0
    for name, graph in mutation_graphs():
        if not any(v.operation == op and v.grad is not None for v in graph.nodes):
            continue
        right = gradients(graph)
        mutant = mutated(graph, op, BREAKS[kind])
        wrong = gradients(mutant)
        changed = [
            leaf
            for leaf in right
            if abs(right[leaf] - wrong[leaf]) > tolerances.accepted(right[leaf])
        ]
        checks = {c.leaf: c for c in check_graph(mutant, tolerances)}
        # At a kink backprop's value is a convention, so no verdict is given there.
        changed = [leaf for leaf in changed if checks[leaf].result is not Result.KINK]
        if not changed:  # the break changes no gradient here (g = 1, or a local of 0)
            continue
        killable += 1
        flagged = [leaf for leaf, c in checks.items() if c.failed]
        assert flagged, f"{kind} {op} not caught on {name}"
        assert set(flagged) == set(changed), name
    assert killable, f"no example shows a {kind} {op}"


def test_mutants_of_random_specs_are_caught() -> None:
    """A scaled derivative in any op of 60 random specs: caught wherever it shows."""
    tolerances = Tolerances()
    caught = missed = 0
    for graph in random_graphs(60, seed=140):
        for op in {v.operation for v in graph.nodes if v._prev and v.grad is not None}:
            right = gradients(graph)
            mutant = mutated(graph, op, BREAKS["scaled"])
            try:
                wrong = gradients(mutant)
            except GradpipeError:  # 1.5 times a huge gradient overflows
                continue
            changed = {
                leaf
                for leaf in right
                if abs(right[leaf] - wrong[leaf]) > 10 * tolerances.accepted(right[leaf])
            }
            checks = {c.leaf: c for c in check_graph(mutant, tolerances)}
            for leaf in changed:
                if checks[leaf].result is Result.KINK:
                    continue  # backprop's value at a kink is a convention: no verdict
                if checks[leaf].failed:
                    caught += 1
                else:
                    missed += 1
    assert caught > 50
    assert missed <= caught // 50  # at most a 2% rate of uncertain estimates


# --- gradcheck: the Python API ---------------------------------------------------------


def test_gradcheck_is_true_when_every_gradient_matches() -> None:
    assert gradcheck(lambda a, b: (a * b + b.exp()).tanh(), [0.3, -1.2]) is True
    assert gradcheck(lambda x: x.log(), (1e-7,)) is True
    assert gradcheck(lambda x: x.relu(), [0.0]) is True  # not differentiable: no mismatch


def test_gradcheck_takes_values_and_leaves_them_alone() -> None:
    a = Value(2.0, label="a")
    assert gradcheck(lambda x: x * x, [a]) is True
    assert a.grad == 0.0 and a.data == 2.0


def my_tanh(x: Value, chain_rule: bool = True) -> Value:
    """The lecture's own op: a value and a ``_backward`` closure (here under its own name)."""
    t = math.tanh(x.data)
    out = Value(t, (x,), "my_tanh")

    def _backward() -> None:
        assert out.grad is not None and x.grad is not None
        x.grad += (1 - t**2) * (out.grad if chain_rule else 1.0)

    out._backward = _backward
    return out


def test_gradcheck_checks_a_users_own_op() -> None:
    assert gradcheck(lambda x, w: my_tanh(x * w) * 3, [0.5, -1.5]) is True
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, w: my_tanh(x * w, chain_rule=False) * 3, [0.5, -1.5])
    message = str(caught.value)
    assert message.startswith("gradient of inputs[0] (= 0.5) differs: backprop ")
    report = caught.value.report
    rows = {c.leaf: c for c in report.checks}  # type: ignore[attr-defined]
    assert rows["inputs[0]"].failed and rows["inputs[1]"].failed
    assert repr(rows["inputs[0]"].analytic) in message
    assert repr(rows["inputs[0]"].numeric) in message


def test_gradcheck_returns_false_when_asked_not_to_raise() -> None:
    f = lambda x: my_tanh(x, chain_rule=False) * 2  # noqa: E731
    assert gradcheck(f, [0.2], raise_exception=False) is False


def test_gradcheck_names_labelled_inputs() -> None:
    f = lambda x: my_tanh(x, chain_rule=False) * 2  # noqa: E731
    with pytest.raises(GradcheckError, match=r"gradient of x \(= 0.2\) differs"):
        gradcheck(f, [Value(0.2, label="x")])


def test_gradcheck_error_is_a_runtime_error_as_torchs_is() -> None:
    assert issubclass(GradcheckError, RuntimeError) and issubclass(GradcheckError, GradpipeError)
    f = lambda x: my_tanh(x, chain_rule=False) * 2  # noqa: E731
    with pytest.raises(RuntimeError, match=r"^gradient of inputs\[0\] \(= 0.2\) differs"):
        gradcheck(f, [0.2])


def test_gradcheck_checks_every_output_of_a_tuple_against_every_input() -> None:
    # As torch.autograd.gradcheck: f may return a tuple (or a list) of outputs.
    assert gradcheck(lambda x, w: (x * w, (x + w).tanh()), [0.5, -1.5]) is True
    assert gradcheck(lambda x: [x.exp(), 2.0, x], [0.3]) is True  # a number, an input itself
    report = gradcheck_report(
        lambda x, w: (x * w, my_tanh(x * w, chain_rule=False) * 3), [0.5, -1.5]
    )
    assert not report
    rows = [(c.name, c.failed) for c in report.checks]
    assert rows == [
        ("inputs[0] (outputs[0])", False),
        ("inputs[1] (outputs[0])", False),
        ("inputs[0] (outputs[1])", True),
        ("inputs[1] (outputs[1])", True),
    ]
    assert [line.split()[0:2] for line in str(report).splitlines()[2:6]] == [
        ["inputs[0]", "(outputs[0])"],
        ["inputs[1]", "(outputs[0])"],
        ["inputs[0]", "(outputs[1])"],
        ["inputs[1]", "(outputs[1])"],
    ]
    assert "inputs[1] (outputs[1])" in report._repr_html_()
    with pytest.raises(GradcheckError) as caught:
        gradcheck(lambda x, w: (x * w, my_tanh(x * w, chain_rule=False) * 3), [0.5, -1.5])
    assert str(caught.value).startswith(
        "gradient of outputs[1] with respect to inputs[0] (= 0.5) differs: backprop "
    )


def test_gradcheck_names_labelled_outputs_and_keeps_one_outputs_rows() -> None:
    def f(x: Value) -> tuple[Value, Value]:
        y = my_tanh(x, chain_rule=False) * 2
        y.label = "y"
        return x * 3, y

    names = [c.name for c in gradcheck_report(f, [Value(0.2, label="x")]).checks]
    assert names == ["x (outputs[0])", "x (y)"]
    # One output, in a tuple or not, is named as a lone Value's always was.
    one = gradcheck_report(lambda x: (x * 3,), [0.2])
    assert [c.name for c in one.checks] == ["inputs[0]"] and one.checks[0].output is None
    assert str(one) == str(gradcheck_report(lambda x: x * 3, [0.2]))
    with pytest.raises(ValueError, match="no outputs"):
        gradcheck(lambda x: (), [0.2])


def test_gradcheck_refuses_a_function_whose_number_of_outputs_changes() -> None:
    """f's outputs changing in number between the point and a step away is f's mistake,
    said as such: fewer outputs there were an IndexError from inside gradcheck, more were
    taken silently."""

    def fewer(x: Value) -> Value | tuple[Value, Value]:
        return (x * 2, x * 3) if x.data == 0.5 else x * 2

    def more(x: Value) -> Value | tuple[Value, Value]:
        return x * 2 if x.data == 0.5 else (x * 2, x * 3)

    for f, counts in (
        (fewer, "2 output(s) at the inputs but 1"),
        (more, "1 output(s) at the inputs but 2"),
    ):
        with pytest.raises(TypeError) as raised:
            gradcheck(f, [0.5])
        assert str(raised.value).startswith(f"gradcheck: f returned {counts} with inputs[0] = ")


def test_gradcheck_report_is_a_table_in_a_notebook() -> None:
    report = gradcheck_report(lambda x, y: (x / y).relu(), [0.0, 2.0])
    assert report
    text = repr(report)
    assert text.splitlines()[0] == "gradcheck: eps 1e-06, rtol 0.001, atol 1e-05"
    assert "not differentiable here" in text
    page = report._repr_html_()
    assert page.startswith("<div>") and "<table>" in page and "not differentiable here" in page
    wrong = gradcheck_report(lambda x: my_tanh(x, chain_rule=False) * 2, [Value(0.2, "a<b")])
    assert not wrong
    assert "MISMATCH" in wrong._repr_html_() and "a&lt;b" in wrong._repr_html_()


def test_gradcheck_tolerates_math_errors_beside_x() -> None:
    # f fails for x <= 0 (the user's own math.log): the step stays on the defined side.
    def f(x: Value) -> Value:
        out = Value(math.log(x.data), (x,), "my_log")

        def _backward() -> None:
            assert out.grad is not None and x.grad is not None
            x.grad += out.grad / x.data

        out._backward = _backward
        return out

    assert gradcheck(f, [1e-8]) is True
