"""The micrograd lecture's cells, kept as data in tests/lecture/, run unchanged on gradpipe.

Each file of tests/lecture/ is a notebook in the "percent" format: cells separated by
``# %%`` lines, what a cell prints under it as ``# out:`` lines. A ``# %% [lecture]``
cell defines the lecture's own classes (its ``Value``), a ``# %% [torch]`` cell needs
PyTorch. Every notebook runs three times, cell by cell, each run in one namespace:

- ``lecture``: as written, on the lecture's own ``Value``: the reference, which must
  print the ``# out:`` lines (the lecture's numbers);
- ``gradpipe``: the ``[lecture]`` cells replaced by gradpipe's ``Value``; every other cell
  as written, the lecture's ``draw_dot`` and manual ``_backward`` calls included;
- ``subclass``: the ``[lecture]`` cells as written but with gradpipe's ``Value`` as their
  base class (``class Value(gradpipe.Value)``), as a learner pasting the lecture's class
  body into a subclass would do (``self._prev = set(_children)``, closures and all).

After every cell, the runs must agree: what the cell printed (numbers to 1e-9), every
``Value`` the namespace holds (data and grad), and every drawing (the lecture's
``draw_dot`` pictures, compared by their record labels and edges, not by ``id()``).
"""

from __future__ import annotations

import contextlib
import importlib.util
import io
import math
import re
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import gradpipe
from gradpipe import Value

HERE = Path(__file__).resolve().parent / "lecture"
NOTEBOOKS = sorted(HERE.glob("*.py"))
CELL = re.compile(r"^# %%(?: \[(\w+)\])?[ \t]*$", re.M)
NUMBER = re.compile(r"-?\d+(?:\.\d+)?(?:e[-+]?\d+)?")
NODE_LABEL = re.compile(r'^\t(\S+) \[label=(?:"(.*?)"|([^ \]]+))[ \]]')


@dataclass(frozen=True)
class Cell:
    """One cell: its tag (``lecture``, ``torch`` or none), source, line and printed lines."""

    tag: str
    source: str
    line: int
    expected: tuple[str, ...]


def cells(path: Path) -> list[Cell]:
    """The cells of one notebook file, in order."""
    text = path.read_text(encoding="utf-8")
    marks = list(CELL.finditer(text))
    out = []
    for i, mark in enumerate(marks):
        end = marks[i + 1].start() if i + 1 < len(marks) else len(text)
        source = text[mark.end() : end]
        expected = tuple(
            line.removeprefix("# out:").strip()
            for line in source.splitlines()
            if line.startswith("# out:")
        )
        line = text.count("\n", 0, mark.start()) + 1
        out.append(Cell(mark.group(1) or "", source, line, expected))
    return out


def value_classes(namespace: dict[str, Any]) -> tuple[type, ...]:
    """The Value classes a run's namespace holds (the lecture's, gradpipe's, a subclass)."""
    found: list[type] = [Value]
    candidate = namespace.get("Value")
    if isinstance(candidate, type):
        found.append(candidate)
    return tuple(found)


def numbers(v: Any) -> tuple[Any, Any]:
    """A Value's data and grad, under micrograd's names or the notes' (value, gradient)."""
    if hasattr(v, "data"):
        return v.data, v.grad
    return v.value, v.gradient


def snapshot(namespace: dict[str, Any]) -> dict[str, Any]:
    """What a cell left behind, comparable across runs: Values, lists of them, pictures."""
    classes = value_classes(namespace)
    out: dict[str, Any] = {}
    for name, obj in namespace.items():
        if name.startswith("_"):
            continue
        if isinstance(obj, classes):
            out[name] = numbers(obj)
        elif isinstance(obj, list) and obj and all(isinstance(v, classes) for v in obj):
            # sorted: a list the lecture builds from its sets (topo) has no fixed order
            out[name] = sorted(numbers(v) for v in obj)
        elif type(obj).__name__ == "Digraph":
            out[name] = picture(obj)
    return out


@dataclass(frozen=True)
class Picture:
    """A drawing without ``id()`` names: its records, op bubbles and edges, by label."""

    records: tuple[str, ...]
    ops: tuple[str, ...]
    edges: tuple[tuple[str, str], ...]

    def named(self) -> tuple[str, ...]:
        """The records of labelled nodes (``{ a | data ... }``), which both engines draw."""
        return tuple(r for r in self.records if not UNLABELLED.match(r))

    def shape(self) -> Picture:
        """Unlabelled records by their data alone: the lecture's wrapped numbers are leaves
        that take gradients, gradpipe's are constants, whose grad stays 0 (as in torch)."""

        def data_only(record: str) -> str:
            return UNLABELLED.sub(r"{ \1 }", record)

        return Picture(
            tuple(sorted(map(data_only, self.records))),
            self.ops,
            tuple(sorted((data_only(a), data_only(b)) for a, b in self.edges)),
        )


# Ops the lecture's Value and gradpipe's both make as one node; with '-', '/' or a
# negation the lecture makes other nodes (a + (-b), a * b**-1), so only the labelled
# records can be the same.
UNLABELLED = re.compile(r"^\{ (?: \| )?(data [^|]*?) \| grad [^}]*\}$")
SHARED_OPS = re.compile(r"^(\+|\*|tanh|exp|ReLU|\*\*-?[\d.]+)$")


def picture(dot: Any) -> Picture:
    """A drawing as sorted record labels, op labels and edges between labels."""
    labels: dict[str, str] = {}
    edges: list[tuple[str, str]] = []
    for line in dot.body:
        if " -> " in line:
            a, b = line.strip().split(" -> ")
            edges.append((a, b.split(" ")[0]))
            continue
        match = NODE_LABEL.match(line)
        if match:
            labels[match.group(1)] = (
                match.group(2) if match.group(2) is not None else match.group(3)
            )
    records = sorted(v for v in labels.values() if v.startswith("{"))
    ops = sorted(v for v in labels.values() if not v.startswith("{"))
    edge_labels = sorted((labels.get(a, a), labels.get(b, b)) for a, b in edges)
    return Picture(tuple(records), tuple(ops), tuple(edge_labels))


def same_picture(ours: Picture, theirs: Picture) -> bool:
    """The same labelled records; the same whole picture where the ops are shared ones."""
    if not close(list(ours.named()), list(theirs.named())):
        return False
    if all(SHARED_OPS.match(op) for op in (*ours.ops, *theirs.ops)):
        ours, theirs = ours.shape(), theirs.shape()
        return (
            close(list(ours.records), list(theirs.records))
            and ours.ops == theirs.ops
            and close(list(ours.edges), list(theirs.edges))
        )
    return True


def normalise(text: str) -> str:
    """micrograd's repr shows grad too; the lecture's only data."""
    return re.sub(r"(Value\(data=[^,)]*), grad=[^)]*\)", r"\1)", text)


def same_numbers(ours: str, theirs: str) -> bool:
    """Printed text equal but for the last bits of its numbers (rel 1e-9, abs 1e-12)."""
    if NUMBER.sub("#", ours) != NUMBER.sub("#", theirs):
        return False
    return all(
        math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-12)
        for a, b in zip(NUMBER.findall(ours), NUMBER.findall(theirs), strict=True)
    )


def close(a: Any, b: Any) -> bool:
    """Snapshot entries equal, numbers to 1e-9 (tanh's last bits differ by design)."""
    if isinstance(a, Picture) and isinstance(b, Picture):
        return same_picture(a, b)
    if isinstance(a, float | int) and isinstance(b, float | int):
        return math.isclose(a, b, rel_tol=1e-9, abs_tol=1e-12)
    if isinstance(a, tuple | list) and isinstance(b, tuple | list):
        return len(a) == len(b) and all(close(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, str) and isinstance(b, str):
        return same_numbers(a, b)
    return bool(a == b)


def available(cell: Cell) -> bool:
    """A [torch] cell runs only where PyTorch is installed."""
    return cell.tag != "torch" or importlib.util.find_spec("torch") is not None


def needs(notebook: list[Cell]) -> list[str]:
    """Modules the lecture's own cells import that may be missing (micrograd)."""
    return [
        name
        for name in ("micrograd",)
        if any(f"from {name}" in c.source for c in notebook if c.tag == "lecture")
    ]


def run(notebook: list[Cell], flavour: str) -> list[tuple[str, dict[str, Any]]]:
    """Run a notebook's cells in one namespace: each cell's output and what it left."""
    namespace: dict[str, Any] = {"__name__": "__lecture__"}
    if flavour != "lecture":
        namespace["Value"] = Value
    results = []
    for cell in notebook:
        if not available(cell):
            results.append(("", {}))
            continue
        source = cell.source
        if cell.tag == "lecture":
            if flavour == "gradpipe":
                results.append(("", {}))
                continue
            if flavour == "subclass":
                namespace["_GradpipeValue"] = gradpipe.Value
                source = source.replace("class Value:", "class Value(_GradpipeValue):")
        code = compile("\n" * (cell.line) + source, str(notebook_path(cell)), "exec")
        stdout = io.StringIO()
        with contextlib.redirect_stdout(stdout), warnings.catch_warnings():
            warnings.simplefilter("ignore")  # torch warns when numpy is missing
            exec(code, namespace)
        results.append((stdout.getvalue(), snapshot(namespace)))
    return results


_PATHS: dict[int, Path] = {}


def notebook_path(cell: Cell) -> Path:
    return _PATHS.get(id(cell), HERE)


def load(path: Path) -> list[Cell]:
    notebook = cells(path)
    for c in notebook:
        _PATHS[id(c)] = path
    for name in needs(notebook):
        pytest.importorskip(name)
    return notebook


@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_the_lecture_prints_the_lectures_numbers(path: Path) -> None:
    notebook = load(path)
    for cell, (printed, _) in zip(notebook, run(notebook, "lecture"), strict=True):
        if cell.expected and available(cell):
            assert tuple(printed.splitlines()) == cell.expected, f"{path.name}:{cell.line}"


@pytest.mark.parametrize("flavour", ["gradpipe", "subclass"])
@pytest.mark.parametrize("path", NOTEBOOKS, ids=[p.stem for p in NOTEBOOKS])
def test_every_cell_runs_unchanged_on_gradpipe_with_the_lectures_results(
    path: Path, flavour: str
) -> None:
    notebook = load(path)
    theirs = run(notebook, "lecture")
    ours = run(notebook, flavour)
    for cell, (their_out, their_names), (our_out, our_names) in zip(
        notebook, theirs, ours, strict=True
    ):
        if cell.tag == "lecture":
            continue
        where = f"{path.name}:{cell.line}"
        assert same_numbers(normalise(our_out), normalise(their_out)), (where, our_out, their_out)
        for name, theirs_then in their_names.items():
            if name in ("Value", "Op", "node"):  # node: the last of a loop over a set's order
                continue
            assert name in our_names, (where, name)
            assert close(our_names[name], theirs_then), (where, name, our_names[name], theirs_then)
