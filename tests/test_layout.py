"""The layering rules of the package (README "Architecture"), checked on its source.

Only gradpipe/cli imports click, and no module imports one that (directly or not) imports
it back, except the lazy import of the renderer in ``Value.render_graph``. ``make lint``
runs this file too.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parent.parent / "gradpipe"
# The one import circle allowed: engine -> render, inside Value.render_graph, for SPEC's
# micrograd-style drawing of a Value (the renderer needs the engine).
ALLOWED_LAZY = {("gradpipe.engine.value", "gradpipe.render.diagram")}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in sorted(PACKAGE.rglob("*.py"))}


def is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING"
    )


def imports(name: str) -> list[tuple[str, bool]]:
    """The modules ``name`` imports at run time, each with whether it is inside a function."""
    tree = ast.parse(MODULES[name].read_text(encoding="utf-8"))
    found: list[tuple[str, bool]] = []

    def visit(node: ast.AST, lazy: bool) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and is_type_checking(child):
                for other in child.orelse:
                    visit(other, lazy)
                continue
            inner = lazy or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef))
            if isinstance(child, ast.Import):
                found.extend((alias.name, inner) for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and not child.level:
                for alias in child.names:
                    target = f"{child.module}.{alias.name}"
                    found.append((target if target in MODULES else child.module, inner))
            visit(child, inner)

    visit(tree, False)
    return found


def test_only_the_cli_imports_click() -> None:
    offenders = [
        name
        for name in MODULES
        if not name.startswith("gradpipe.cli")
        and any(target.split(".")[0] == "click" for target, _ in imports(name))
    ]
    assert offenders == []


def test_there_are_no_import_circles() -> None:
    graph = {
        name: {
            target
            for target, lazy in imports(name)
            if target in MODULES and target != name and (name, target) not in ALLOWED_LAZY
        }
        for name in MODULES
    }
    circles = []
    for start in graph:
        # Every module reachable from `start`: a circle when `start` is among them.
        seen: set[str] = set()
        todo = list(graph[start])
        while todo:
            name = todo.pop()
            if name not in seen:
                seen.add(name)
                todo.extend(graph[name])
        if start in seen:
            circles.append(start)
    assert circles == []


def test_the_allowed_lazy_import_is_still_lazy_and_still_needed() -> None:
    """The exception stays one: render_graph imports the renderer inside the method."""
    for name, target in ALLOWED_LAZY:
        assert (target, True) in imports(name)
        assert (target, False) not in imports(name)


def test_the_checker_sees_circles_and_click() -> None:
    """The checks above would fail on a bad layout (guards against a checker that sees nothing)."""
    assert ("click", False) in imports("gradpipe.cli.app")
    assert ("gradpipe.engine.value", False) in imports("gradpipe.documents.graph")
    assert ("gradpipe.errors", False) in imports("gradpipe.engine.value")
