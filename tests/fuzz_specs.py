"""A grammar-based fuzzer of gradpipe: valid specs with known gradients, and mutated ones.

Valid specs are drawn from the spec grammar (leaves, formulas and op objects over the op
table, any labels), their values and gradients computed here independently, by forward-mode
dual numbers. Mutated specs are those texts with bytes cut, repeated or inserted. Every run
goes through the command line in process and must hold the contract: no traceback, exit
status 0, 1 or 2, a one-line located error on failure, strict JSON and well-formed DOT,
SVG and Mermaid on success.

``make fuzz`` runs it for minutes (``python tests/fuzz_specs.py --seconds 600``), counting
executions and findings; ``tests/test_reliability_fuzz.py`` runs it for seconds.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import sys
import time
import traceback
import xml.dom.minidom
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from hypothesis import strategies as st

ERROR_LINE = re.compile(r"[^\n]+?(?::[0-9]+:[0-9]+)?: error: [^\n]+")
SOURCE_LINE = re.compile(r" (?:[0-9]+| +) \| [^\n]*")
RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")
UNARY = ("exp", "log", "tanh", "relu", "sigmoid")
BINARY = {"+": "add", "-": "sub", "*": "mul", "/": "div"}
NAMES = ("x", "w1", "b", "lambda", "_h", "x2", "on", "no", "if", "Z9")


# --- dual numbers: the independent oracle ----------------------------------------------


class Fail(Exception):
    """The math leaves the finite floats: gradpipe must refuse the spec."""


@dataclass
class Dual:
    """A value and its partial derivatives by each leaf."""

    value: float
    partials: dict[str, float] = field(default_factory=dict)

    def check(self) -> Dual:
        numbers = [self.value, *self.partials.values()]
        if not all(math.isfinite(n) and abs(n) < 1e100 for n in numbers):
            raise Fail
        return self


def combine(a: Dual, b: Dual, value: float, da: float, db: float) -> Dual:
    keys = set(a.partials) | set(b.partials)
    partials = {k: da * a.partials.get(k, 0.0) + db * b.partials.get(k, 0.0) for k in keys}
    return Dual(value, partials).check()


def scale(a: Dual, value: float, derivative: float) -> Dual:
    return Dual(value, {k: derivative * v for k, v in a.partials.items()}).check()


def apply(op: str, args: list[Dual]) -> Dual:
    try:
        if op == "sum":
            total = args[0]
            for arg in args[1:]:
                total = combine(total, arg, total.value + arg.value, 1.0, 1.0)
            return Dual(total.value, total.partials).check()
        if len(args) == 2:
            a, b = args
            if op == "add":
                return combine(a, b, a.value + b.value, 1.0, 1.0)
            if op == "sub":
                return combine(a, b, a.value - b.value, 1.0, -1.0)
            if op == "mul":
                return combine(a, b, a.value * b.value, b.value, a.value)
            if op == "div":
                return combine(a, b, a.value / b.value, 1 / b.value, -a.value / b.value**2)
            if op == "pow":  # b is a constant exponent here
                return scale(a, a.value**b.value, b.value * a.value ** (b.value - 1))
        (a,) = args
        if op == "neg":
            return scale(a, -a.value, -1.0)
        if op == "exp":
            e = math.exp(a.value)
            return scale(a, e, e)
        if op == "log":
            return scale(a, math.log(a.value), 1 / a.value)
        if op == "tanh":
            t = math.tanh(a.value)
            return scale(a, t, 1 - t * t)
        if op == "relu":
            return scale(a, max(0.0, a.value), 1.0 if a.value > 0 else 0.0)
        if op == "sigmoid":
            s = (
                1 / (1 + math.exp(-a.value))
                if a.value >= 0
                else math.exp(a.value) / (1 + math.exp(a.value))
            )
            return scale(a, s, s * (1 - s))
    except (ZeroDivisionError, ValueError, OverflowError):
        raise Fail from None
    raise AssertionError(op)


# --- the grammar ---------------------------------------------------------------------------

numbers = st.one_of(
    st.just(0.0),
    st.floats(min_value=1e-3, max_value=3.0),
    st.floats(min_value=-3.0, max_value=-1e-3),
    st.integers(min_value=-3, max_value=3).map(float),
)
labels = st.one_of(
    st.none(), st.text(max_size=12), st.sampled_from(["<b>", '"q"', "{|}", "\\", "a\nb"])
)


def expression(draw: Any, env: dict[str, Dual], depth: int) -> tuple[str, Dual]:
    """Text and dual of a random formula over the names of ``env``."""
    choice = draw(st.integers(0, 9)) if depth > 0 else draw(st.integers(0, 1))
    if choice == 0:
        name = draw(st.sampled_from(sorted(env)))
        return name, env[name]
    if choice == 1:
        number = draw(numbers)
        text = repr(abs(number)) if number >= 0 else f"({number!r})"
        return text, Dual(number)
    if choice <= 4:
        symbol = draw(st.sampled_from(sorted(BINARY)))
        left, a = expression(draw, env, depth - 1)
        right, b = expression(draw, env, depth - 1)
        blank = draw(st.sampled_from(["", " ", "  "]))
        return f"({left}{blank}{symbol}{blank}{right})", apply(BINARY[symbol], [a, b])
    if choice <= 7:
        op = draw(st.sampled_from(UNARY))
        inner, a = expression(draw, env, depth - 1)
        return f"{op}({inner})", apply(op, [a])
    if choice == 8:
        inner, a = expression(draw, env, depth - 1)
        exponent = draw(st.sampled_from([2, 3]))
        return f"({inner})**{exponent}", apply("pow", [a, Dual(float(exponent))])
    count = draw(st.integers(1, 3))
    parts = [expression(draw, env, depth - 1) for _ in range(count)]
    return f"sum({', '.join(p[0] for p in parts)})", apply("sum", [p[1] for p in parts])


@dataclass
class Case:
    """A spec as data, its gradients by leaf (None when the math must fail), and a format."""

    spec: dict[str, Any]
    gradients: dict[str, float] | None
    yaml: bool


def yaml_string(value: Any) -> str:
    """A YAML double-quoted scalar: JSON's escapes, but astral characters as themselves."""
    text = json.dumps(value, ensure_ascii=False)
    return re.sub(
        "[\x7f-\x9f\ud800-\udfff\ufffe\uffff]", lambda m: f"\\u{ord(m.group()):04x}", text
    )


def yaml_text(spec: dict[str, Any]) -> str:
    """A spec in YAML, every string double-quoted (valid YAML 1.2)."""
    lines = []
    for key, value in spec.items():
        if isinstance(value, dict):
            lines.append(f"{key}:")
            lines += [f"  {yaml_string(k)}: {yaml_string(v)}" for k, v in value.items()]
        else:
            lines.append(f"{key}: {yaml_string(value)}")
    return "\n".join(lines) + "\n"


@st.composite
def valid_cases(draw: Any) -> Case:
    leaves = draw(st.lists(st.sampled_from(NAMES), min_size=1, max_size=4, unique=True))
    env: dict[str, Dual] = {}
    values: dict[str, Any] = {}
    for name in leaves:
        number = draw(numbers)
        env[name] = Dual(number, {name: 1.0})
        label = draw(labels)
        values[name] = number if label is None else {"value": number, "label": label}
    nodes: dict[str, Any] = {}
    failed = False
    for index in range(draw(st.integers(1, 3))):
        name = f"n{index}"
        try:
            style = draw(st.integers(0, 2))
            if style == 2:
                op = draw(st.sampled_from(UNARY))
                arg = draw(st.sampled_from(sorted(env)))
                dual = apply(op, [env[arg]])
                nodes[name] = {"op": op, "args": [arg]}
            else:
                text, dual = expression(draw, env, draw(st.integers(1, 3)))
                if text in env or re.fullmatch(r"\(*[A-Za-z_0-9]+\)*", text):
                    text = f"{text} * 1"
                    dual = apply("mul", [dual, Dual(1.0)])
                label = draw(labels)
                nodes[name] = text if label is None else {"expr": text, "label": label}
        except Fail:
            failed = True
            text, dual = "x * 0", Dual(0.0)
            nodes[name] = "1 / 0"
        env[name] = dual
    output = f"n{len(nodes) - 1}"
    spec: dict[str, Any] = {"values": values, "nodes": nodes, "output": output}
    if draw(st.booleans()):
        spec["name"] = draw(st.text(max_size=10))
    gradients = None if failed else {leaf: env[output].partials.get(leaf, 0.0) for leaf in leaves}
    return Case(spec, gradients, draw(st.booleans()))


def mutate(draw: Any, raw: bytes) -> bytes:
    """A few random edits: cut, repeat or insert bytes (hostile ones among them)."""
    hostile = [
        b"\x00",
        b"\x1b[2J",
        b"\\ud800",
        b"\n",
        b"\r",
        b"[",
        b"{",
        b"&a",
        b"*a",
        b"!!",
        b'"',
        b"\xff",
        b"\t",
        b"1e999",
    ]
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(raw)))
        kind = draw(st.integers(0, 3))
        if kind == 0:
            raw = raw[:at] + raw[at + draw(st.integers(1, 8)) :]
        elif kind == 1:
            raw = raw[:at] + raw[at : at + 20] + raw[at:]
        elif kind == 2:
            raw = raw[:at] + draw(st.sampled_from(hostile)) + raw[at:]
        else:
            raw = raw[:at] + draw(st.binary(max_size=4)) + raw[at:]
    return raw


COMMANDS = [
    ["validate"],
    ["forward"],
    ["backward"],
    ["check"],
    ["render", "-f", "json"],
    ["render", "-f", "dot"],
    ["render", "-f", "mermaid"],
]


def run(args: list[str], raw: bytes) -> tuple[int, bytes, bytes]:
    from click.testing import CliRunner

    from gradpipe.cli import main

    result = CliRunner().invoke(main, args, input=raw, catch_exceptions=False)
    return result.exit_code, result.stdout_bytes, result.stderr_bytes


def strict_json(data: bytes) -> Any:
    def refuse(name: str) -> None:
        raise AssertionError(f"{name} in JSON output")

    return json.loads(data, parse_constant=refuse)


def check_output(command: list[str], out: bytes) -> None:
    """What a successful run wrote is well-formed for its format."""
    if command[0] in ("forward", "backward") or command[-1] == "json":
        strict_json(out)
    elif command[-1] == "dot":
        text = out.decode("utf-8")
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text), "control character in DOT"
        outside = re.sub(r'"(?:[^"\\]|\\.)*"', "", text, flags=re.DOTALL)
        assert '"' not in outside, "unbalanced quote in DOT"
        assert text.startswith("digraph") and text.rstrip().endswith("}")
    elif command[-1] == "mermaid":
        text = out.decode("utf-8")
        assert not re.search("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", text), (
            "control character in Mermaid"
        )
        for label in re.findall(r'\["(.*?)"\]', text):
            assert '"' not in label
    elif command[-1] == "svg":
        xml.dom.minidom.parseString(out)


def check_run(command: list[str], raw: bytes) -> tuple[int, bytes]:
    """Run one command and hold it to the contract; returns its status and stdout."""
    status, out, err = run([*command, "-"], raw)
    assert status in (0, 1, 2), status
    text = err.decode("utf-8", "backslashreplace")
    assert "Traceback" not in text
    if status == 0:
        assert command[0] == "check" or not text, text
        if command[0] != "validate":
            check_output(command, out)
    else:
        lines = text.splitlines()
        assert lines, "a failure with no diagnostic"
        if command[0] != "check":
            # The error line, then at most its source line and caret.
            assert len(lines) in (1, 3), lines
            assert all(SOURCE_LINE.fullmatch(line) for line in lines[1:]), lines
            assert out == b"", "output for a failed input"
        if command[0] == "check":  # its table's verdict, then the error (and its source)
            assert any(ERROR_LINE.fullmatch(line) for line in lines), lines
        else:
            assert ERROR_LINE.fullmatch(lines[0]), lines
        for line in lines:
            assert not RAW_CONTROL.search(line), line
    return status, out


def check_valid(case: Case, render_svg: bool = False) -> None:
    """A valid spec: backward's gradients are the oracle's, every command holds the contract."""
    raw = (yaml_text(case.spec) if case.yaml else json.dumps(case.spec)).encode()
    status, out = check_run(["backward"], raw)
    if case.gradients is None:
        assert status == 1, "math that must fail was accepted"
    else:
        assert status == 0, "a valid spec was refused"
        nodes = {node["id"]: node for node in strict_json(out)["nodes"]}
        for leaf, expected in case.gradients.items():
            got = nodes[leaf]["grad"]
            assert math.isclose(got, expected, rel_tol=1e-6, abs_tol=1e-9), (leaf, got, expected)
    for command in COMMANDS + ([["render", "-f", "svg"]] if render_svg else []):
        check_run(command, raw)


def check_mutant(raw: bytes, command: list[str]) -> None:
    check_run(command, raw)


mutants = st.tuples(valid_cases(), st.data(), st.sampled_from(COMMANDS))


# --- make fuzz -----------------------------------------------------------------------------


def fuzz(seconds: float, findings_dir: Path) -> int:
    """Feed random bytes to both properties until time is up; print executions and findings."""
    from hypothesis import HealthCheck, given, settings

    found: list[str] = []

    @settings(database=None, suppress_health_check=list(HealthCheck), deadline=None)
    @given(valid_cases(), st.booleans())
    def valid(case: Case, svg: bool) -> None:
        check_valid(case, render_svg=svg and time.monotonic() % 20 < 1)

    @settings(database=None, suppress_health_check=list(HealthCheck), deadline=None)
    @given(mutants)
    def mutated(args: tuple[Case, Any, list[str]]) -> None:
        case, data, command = args
        raw = (yaml_text(case.spec) if case.yaml else json.dumps(case.spec)).encode()
        check_mutant(mutate(data.draw, raw), command)

    deadline = time.monotonic() + seconds
    executions = 0
    findings_dir.mkdir(parents=True, exist_ok=True)
    next_report = time.monotonic() + 30
    while time.monotonic() < deadline:
        target = valid if executions % 2 == 0 else mutated
        buffer = os.urandom(2048)
        try:
            target.hypothesis.fuzz_one_input(buffer)  # type: ignore[attr-defined]
        except Exception:
            report = traceback.format_exc()
            key = report.strip().splitlines()[-1][:200]
            if key not in found:
                found.append(key)
                path = findings_dir / f"finding-{len(found)}.bin"
                path.write_bytes(buffer)
                print(
                    f"FINDING {len(found)} ({target.__name__}): {key}\n  input: {path}", flush=True
                )
                print(report, file=sys.stderr, flush=True)
        executions += 1
        if time.monotonic() > next_report:
            print(f"{executions} executions, {len(found)} findings", flush=True)
            next_report += 30
    print(f"fuzz: {executions} executions in {seconds:.0f} s, {len(found)} findings")
    return 1 if found else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=600)
    parser.add_argument("--findings", type=Path, default=Path("build/fuzz"))
    options = parser.parse_args()
    return fuzz(options.seconds, options.findings)


if __name__ == "__main__":
    sys.exit(main())
