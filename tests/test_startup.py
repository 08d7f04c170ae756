"""Start-up: valid input runs without pydantic's models, graphviz or process pools.

Start-up dominates Makefile builds of many small diagrams (issue 6, target 4), so what
a command imports is checked here, in fresh interpreters; its time is measured by
``make bench``, never asserted.
"""

from __future__ import annotations

import json
import os
import site
import subprocess
import sys
from pathlib import Path

import pytest

from gradpipe.documents import models
from gradpipe.documents.structure import FIELDS

ROOT = Path(__file__).resolve().parent.parent
CASES = ROOT / "tests" / "cases"
# Modules that valid input must not bring in: the models (and the parts of pydantic
# that only they use), render's drawing, and what only --jobs > 1 needs.
HEAVY = (
    "gradpipe.documents.models",
    "pydantic.main",
    "pydantic.type_adapter",
    "graphviz",
    "gradpipe.render",
    "multiprocessing",
    "concurrent.futures",
)
PROBE = """
import sys
import gradpipe.cli
sys.argv = ["gradpipe", *sys.argv[1:]]
try:
    gradpipe.cli.main()
except SystemExit as exit:
    code = exit.code
modules = sorted(sys.modules)
import json
print(json.dumps({"code": code, "modules": modules}))
"""


def modules_after(*args: str) -> tuple[int, set[str]]:
    """The exit status of ``gradpipe ARGS`` in a fresh interpreter, and what it imported.

    The interpreter starts as an installed gradpipe's does: ``-S`` skips the ``.pth`` files
    of this checkout's editable install, whose finder would load modules (``pathlib``
    among them) that a wheel's user never pays for before gradpipe asks for them.
    """
    paths = [str(ROOT), *site.getsitepackages()]
    probe = f"import sys\nsys.path[:0] = {paths!r}\n{PROBE}"
    done = subprocess.run(
        [sys.executable, "-S", "-c", probe, *args], capture_output=True, check=True, text=True
    )
    found = json.loads(done.stdout.splitlines()[-1])
    return found["code"], set(found["modules"])


# All the CLI needs of render before a picture is asked for: the one table of formats
# (gradpipe.render itself only imports it, drawing nothing until render() is called).
LIGHT = ("gradpipe.render", "gradpipe.render.formats")


def heavy(modules: set[str]) -> list[str]:
    return sorted(m for m in modules if m.startswith(HEAVY) and m not in LIGHT)


@pytest.mark.parametrize("command", ["forward", "backward", "validate"])
@pytest.mark.parametrize("case", ["neuron.yaml", "graph_document.json"])
def test_valid_input_imports_nothing_heavy(command: str, case: str, tmp_path: Path) -> None:
    """A valid spec or graph document passes the lean check: pydantic's models never load."""
    args = [command, str(CASES / "valid" / case)]
    if command != "validate":
        args += ["-o", str(tmp_path / "out.json")]
    code, modules = modules_after(*args)
    assert code == 0
    assert heavy(modules) == []


def test_refused_input_loads_the_models_to_explain(tmp_path: Path) -> None:
    """The models are loaded where they are needed: to say what is wrong."""
    spec = tmp_path / "typo.yaml"
    spec.write_text("values: {x: 1}\nnodes: {y: x*x}\nouput: y\n", encoding="utf-8")
    code, modules = modules_after("backward", str(spec))
    assert code == 1
    assert "gradpipe.documents.models" in modules
    assert (
        heavy(modules - {"gradpipe.documents.models", "pydantic.main", "pydantic.type_adapter"})
        == []
    )


@pytest.mark.parametrize(
    ("kind", "model"),
    [
        ("spec", models.SpecDocument),
        ("graph", models.GraphDocument),
        ("object", models.ValueObject),
        ("op", models.OpObject),
        ("expr", models.ExprObject),
        ("graph node", models.GraphNode),
    ],
)
def test_lean_fields_are_the_models_fields(kind: str, model: type) -> None:
    """The plain-Python field lists (for the lean check and hints) follow the models."""
    assert FIELDS[kind] == tuple(model.__annotations__)


def test_rendering_a_small_file_loads_neither_the_checker_nor_orjson(tmp_path: Path) -> None:
    """``gradpipe render tiny.yaml`` in a Makefile loads what it draws with, not the rest:
    the gradient checker and sweeps' library load with their commands, did-you-mean's
    difflib on a refusal, orjson only for big documents (importing it costs more than it
    saves on a small one)."""
    code, modules = modules_after(
        "render", "-f", "dot", str(CASES / "valid" / "neuron.yaml"), "-o", str(tmp_path / "n.dot")
    )
    assert code == 0
    unwanted = ("gradpipe.check", "gradpipe.checking", "gradpipe.difference", "orjson")
    assert sorted(m for m in modules if m.startswith(unwanted)) == []


def test_drawing_an_svg_loads_only_what_it_draws_with(tmp_path: Path) -> None:
    """``render tiny.yaml`` as SVG (README, figure 4): the layout program is spawned
    without subprocess, shutil or tempfile, a YAML spec needs no json, the whole graph no
    views, no record of the drawing is a dataclass (each costs a compilation), and file
    names need no pathlib (with the urllib.parse and ipaddress it loads, 16M instructions),
    and signals are handled without the signal module's enums."""
    code, modules = modules_after(
        "render", str(CASES / "valid" / "neuron.yaml"), "-o", str(tmp_path / "n.svg")
    )
    assert code == 0
    assert (tmp_path / "n.svg").read_bytes().startswith(b"<?xml")
    unwanted = {"shutil", "tempfile", "json", "dataclasses", "pathlib", "signal"}
    unwanted.add("gradpipe.render.views")
    if hasattr(os, "posix_spawnp"):  # elsewhere subprocess starts the layout program
        unwanted.add("subprocess")
    assert sorted(unwanted & modules) == []


def test_the_command_line_leaves_its_objects_out_of_the_collectors_passes_at_exit() -> None:
    """A process that ran gradpipe's command line ends with its objects frozen, out of the
    cycle collector's passes at exit; a caller that passes the arguments keeps its own."""
    probe = (
        "import atexit, gc, sys\n"
        "atexit.register(lambda: print('frozen at exit:', gc.get_freeze_count() > 0))\n"
        "from gradpipe.cli import main\n"
        "try:\n    main(sys.argv[1:])\nexcept SystemExit:\n    pass\n"
        "sys.argv = ['gradpipe', *sys.argv[1:]]\n"
        "print('after a call with arguments:', gc.get_freeze_count(), gc.isenabled())\n"
        "main()\n"
    )
    spec = str(CASES / "valid" / "neuron.yaml")
    done = subprocess.run(
        [sys.executable, "-c", probe, "validate", spec], capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    assert done.stdout.splitlines()[-2:] == [
        "after a call with arguments: 0 True",
        "frozen at exit: True",
    ]


def test_the_collector_runs_again_after_the_imports() -> None:
    """The collector, paused while the command line and a command's modules are imported,
    runs again after them; one a caller had paused stays paused."""
    probe = (
        "import gc, sys\n"
        "from gradpipe.cli import main\n"
        "print(gc.isenabled(), main.commands['render'].name, gc.isenabled())\n"
        "gc.disable()\n"
        "print(main.commands['check'].name, gc.isenabled())\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True, text=True)
    assert done.stdout.split() == ["True", "render", "True", "check", "False"]


def test_sigterm_during_a_command_exits_143_and_gives_back_the_callers_handler() -> None:
    """SIGTERM unwinds a command as Ctrl-C does (exit status 143), by signal's C half, and
    the handler the caller had is back afterwards."""
    probe = (
        "import os, signal, sys\n"
        "import gradpipe.render.layout as layout\n"
        "from gradpipe.cli import main\n"
        "def mine(signum, frame): pass\n"
        "signal.signal(signal.SIGTERM, mine)\n"
        "layout.describe_graphviz = lambda: os.kill(os.getpid(), signal.SIGTERM)\n"
        "try:\n    main(['--version'])\nexcept SystemExit as exit:\n    print(exit.code)\n"
        "print(signal.getsignal(signal.SIGTERM) is mine)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True, text=True)
    assert done.stdout.split() == ["143", "True"]


def test_a_command_loads_only_its_own_module(tmp_path: Path) -> None:
    """Commands are imported when they run: ``render`` loads neither ``check``'s,
    ``sweep``'s nor the stages' command code."""
    code, modules = modules_after(
        "render", "-f", "dot", str(CASES / "valid" / "neuron.yaml"), "-o", str(tmp_path / "n.dot")
    )
    assert code == 0
    unwanted = {
        "gradpipe.cli.check",
        "gradpipe.cli.sweep",
        "gradpipe.cli.stages",
        "gradpipe.cli.schema",
        "gradpipe.sweep",
        "gradpipe.replay",
    }
    assert sorted(unwanted & modules) == []


def test_the_commands_read_as_a_plain_mapping() -> None:
    """``main.commands`` lists every command (loading each) and looks one up by name."""
    from gradpipe.cli import COMMANDS, main

    assert sorted(main.commands) == sorted(COMMANDS)
    assert main.commands.get("nosuch") is None
    assert main.commands["render"].name == "render"
    assert "check" in main.commands
    assert len(main.commands) == len(dict(main.commands.items()))


def test_the_api_loads_each_part_when_first_used() -> None:
    """``import gradpipe`` is cheap; every name of its API is there when asked for."""
    probe = (
        "import sys, gradpipe\n"
        "before = 'gradpipe.check' in sys.modules or 'gradpipe.documents' in sys.modules\n"
        "names = [getattr(gradpipe, name) for name in gradpipe.__all__]\n"
        "print(before, all(n is not None for n in names), 'gradpipe.check' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True, text=True)
    assert done.stdout.split() == ["False", "True", "True"]


def test_the_engine_alone_loads_no_document_machinery() -> None:
    """``from gradpipe import Value`` (a notebook's import) stays as light as micrograd's:
    the cycle collector scans every object of the heap during a build."""
    probe = (
        "import sys\nfrom gradpipe import Value\n"
        "print(sorted(m for m in sys.modules if m.startswith('gradpipe')))"
    )
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, check=True, text=True)
    loaded = json.loads(done.stdout.replace("'", '"'))
    assert loaded == [
        "gradpipe",
        "gradpipe.engine",
        "gradpipe.engine.kernels",
        "gradpipe.engine.ops",
        "gradpipe.engine.value",
        "gradpipe.errors",
    ]


@pytest.mark.parametrize("command", ["forward", "backward", "validate", "render"])
def test_json_input_loads_no_pyyaml(command: str, tmp_path: Path) -> None:
    """PyYAML's reading and locating load only for YAML: JSON's start-up and memory skip
    them (README, figure 2)."""
    args = [command, str(CASES / "valid" / "graph_document.json")]
    if command != "validate":
        args += ["-o", str(tmp_path / ("out.dot" if command == "render" else "out.json"))]
    code, modules = modules_after(*args)
    assert code == 0
    assert sorted(m for m in modules if m == "yaml" or m.startswith(("yaml.", "_yaml"))) == []
    assert sorted(m for m in modules if m.startswith("gradpipe.documents.yaml_")) == []
