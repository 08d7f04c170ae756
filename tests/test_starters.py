"""Starters and shipped files: init, examples, schemas for editors, the version, the wheel.

What someone who ran ``pip install gradpipe`` (or ``pipx install .``) has, with no checkout.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import zipfile
from pathlib import Path
from typing import Any
from urllib.parse import unquote, urlparse

import pytest
from conftest import run_gradpipe

from gradpipe import __version__

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))


def gradpipe(
    *args: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return run_gradpipe(*args, cwd=cwd, stdin=stdin, env=env)


# --- init ------------------------------------------------------------------------------


def test_init_writes_a_commented_starter_that_runs(tmp_path: Path) -> None:
    result = gradpipe("init", "neuron", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    starter = (tmp_path / "neuron.yaml").read_text(encoding="utf-8")
    assert starter.count("\n#") + starter.startswith("#") >= 5, "a commented starter"
    assert "name: neuron" in starter
    assert "neuron.yaml" in result.stderr  # says what it wrote
    assert gradpipe("validate", "neuron.yaml", cwd=tmp_path).returncode == 0
    backward = gradpipe("backward", "neuron.yaml", cwd=tmp_path)
    assert backward.returncode == 0, backward.stderr
    assert backward.stderr == ""


def test_init_without_a_name_writes_spec_yaml(tmp_path: Path) -> None:
    assert gradpipe("init", cwd=tmp_path).returncode == 0
    assert (tmp_path / "spec.yaml").is_file()


def test_init_keeps_a_given_suffix_and_folder(tmp_path: Path) -> None:
    (tmp_path / "specs").mkdir()
    assert gradpipe("init", "specs/model.yml", cwd=tmp_path).returncode == 0
    assert "name: model" in (tmp_path / "specs" / "model.yml").read_text()


def test_init_refuses_to_overwrite(tmp_path: Path) -> None:
    (tmp_path / "mine.yaml").write_text("values: {x: 1}\nnodes: {y: x*2}\n")
    result = gradpipe("init", "mine", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stderr.startswith("mine.yaml: error: ")
    assert "exists" in result.stderr
    assert (tmp_path / "mine.yaml").read_text() == "values: {x: 1}\nnodes: {y: x*2}\n"


def test_init_beside_a_folder_of_the_same_name_writes_name_yaml(tmp_path: Path) -> None:
    # The check is of the file written, d.yaml, not of NAME: a folder d is no obstacle.
    (tmp_path / "d").mkdir()
    result = gradpipe("init", "d", cwd=tmp_path)
    assert (result.returncode, result.stderr) == (
        0,
        "wrote d.yaml; try: gradpipe backward d.yaml\n",
    )
    assert "name: d" in (tmp_path / "d.yaml").read_text()


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("", "'' names no file: give a path"),
        ("e", "File 'e.yaml' is a directory."),
        ("e.yaml", "File 'e.yaml' is a directory."),
        ("d/", "'d/' names a folder: give a file NAME"),
    ],
)
def test_init_of_a_name_that_makes_no_file_is_wrong_usage(
    tmp_path: Path, name: str, message: str
) -> None:
    (tmp_path / "d").mkdir()
    (tmp_path / "e.yaml").mkdir()
    result = gradpipe("init", name, cwd=tmp_path)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines()[-1] == f"Error: Invalid value for '[NAME]': {message}"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["d", "e.yaml"]


@pytest.mark.parametrize(
    ("name", "hint"),
    [
        ("a b", "wrote a b.yaml; try: gradpipe backward 'a b.yaml'"),
        ("it's", "wrote it's.yaml; try: gradpipe backward 'it'\"'\"'s.yaml'"),
        ("plain", "wrote plain.yaml; try: gradpipe backward plain.yaml"),
    ],
)
def test_init_hints_a_command_that_pastes_into_a_shell(
    tmp_path: Path, name: str, hint: str
) -> None:
    result = gradpipe("init", name, cwd=tmp_path)
    assert (result.returncode, result.stderr) == (0, hint + "\n")


def test_init_to_standard_output(tmp_path: Path) -> None:
    result = gradpipe("init", "-", cwd=tmp_path)
    assert result.returncode == 0
    assert "nodes:" in result.stdout
    assert list(tmp_path.iterdir()) == []


# --- examples --------------------------------------------------------------------------


def test_examples_lists_every_bundled_example_with_what_it_shows(tmp_path: Path) -> None:
    result = gradpipe("examples", cwd=tmp_path)
    assert result.returncode == 0
    listed = [line.split()[0] for line in result.stdout.splitlines() if line.strip()]
    assert listed == [path.stem for path in EXAMPLES]
    assert all(len(line.split()) > 2 for line in result.stdout.splitlines())


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.stem)
def test_examples_prints_the_example_with_its_modeline_at_the_installed_schema(
    tmp_path: Path, example: Path
) -> None:
    result = gradpipe("examples", example.stem, cwd=tmp_path)
    assert result.returncode == 0
    first, rest = result.stdout.split("\n", 1)
    assert rest == example.read_text(encoding="utf-8").split("\n", 1)[1]
    schema = first.removeprefix("# yaml-language-server: $schema=")
    assert schema.startswith("file://") and Path(unquote(urlparse(schema).path)).is_file()


def test_examples_pipe_into_the_stages(tmp_path: Path) -> None:
    text = gradpipe("examples", "neuron", cwd=tmp_path).stdout
    result = gradpipe("backward", cwd=tmp_path, stdin=text)
    assert result.returncode == 0
    assert '"name": "stdin"' in result.stdout or '"name": "neuron"' in result.stdout


def test_an_unknown_example_is_wrong_usage_with_a_hint(tmp_path: Path) -> None:
    result = gradpipe("examples", "nueron", cwd=tmp_path)
    assert result.returncode == 2
    assert "'neuron'" in result.stderr


def test_the_help_examples_name_only_files_that_examples_provides(tmp_path: Path) -> None:
    result = gradpipe("--help", cwd=tmp_path)
    assert "gradpipe examples" in result.stdout
    assert "gradpipe init" in result.stdout


# --- schemas ---------------------------------------------------------------------------


def _fields(schema: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """Every property of every object in a schema, by a dotted name."""
    found: list[tuple[str, dict[str, Any]]] = []
    todo: list[tuple[str, Any]] = [("", schema)]
    while todo:
        where, item = todo.pop()
        if isinstance(item, dict):
            for name, entry in item.get("properties", {}).items():
                found.append((f"{where}.{name}", entry))
            todo.extend((f"{where}/{key}", value) for key, value in item.items())
        elif isinstance(item, list):
            todo.extend((where, value) for value in item)
    return found


@pytest.mark.parametrize("kind", ["spec", "graph"])
def test_schemas_have_an_id_and_help_for_every_field(kind: str) -> None:
    schema = json.loads((ROOT / "schemas" / f"{kind}.schema.json").read_text())
    assert schema["$id"] == f"urn:gradpipe:schema:1:{kind}"
    assert schema.get("title") and schema.get("description")
    fields = _fields(schema)
    assert len(fields) >= 5
    for name, entry in fields:
        assert entry.get("title"), f"{name} has no title"
        assert entry.get("description"), f"{name} has no description"


def test_the_readme_says_how_editors_find_the_installed_schemas() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "yaml-language-server" in readme
    assert "JetBrains" in readme
    assert "gradpipe schema --path" in readme or "gradpipe schema --where" in readme


def test_schema_path_names_a_shipped_file_equal_to_the_schema(tmp_path: Path) -> None:
    for kind in ("spec", "graph"):
        result = gradpipe("schema", "--path", kind, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        shipped = Path(result.stdout.strip())
        assert shipped.is_file()
        assert shipped.read_bytes() == (ROOT / "schemas" / f"{kind}.schema.json").read_bytes()


# --- one program, however it is started ------------------------------------------------


@pytest.mark.parametrize(
    "args",
    [["--help"], ["--version"], ["forward", "--help"], ["examples"], ["forward", "nope.yaml"]],
)
def test_python_m_gradpipe_is_the_installed_gradpipe(tmp_path: Path, args: list[str]) -> None:
    module = gradpipe(*args, cwd=tmp_path)
    script = subprocess.run(
        [str(BIN / "gradpipe"), *args], capture_output=True, text=True, cwd=tmp_path, check=False
    )
    assert (module.returncode, module.stdout, module.stderr) == (
        script.returncode,
        script.stdout,
        script.stderr,
    )


def test_version_names_the_graphviz_it_will_use(tmp_path: Path) -> None:
    result = gradpipe("--version", cwd=tmp_path)
    assert result.returncode == 0
    lines = result.stdout.splitlines()
    assert lines[0] == f"gradpipe, version {__version__}"
    text = result.stdout
    assert "graphviz-pure" in text
    if shutil.which("dot"):
        assert "dot" in text and "native" in text
    embedded = gradpipe(
        "--version", cwd=tmp_path, env={**os.environ, "GRADPIPE_GRAPHVIZ": "embedded"}
    )
    # graphviz-pure writes png as well as svg: png needs no native dot
    assert "svg and png use embedded graphviz-pure" in embedded.stdout
    assert "needs native dot" not in embedded.stdout


# --- the wheel -------------------------------------------------------------------------


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    source = tmp_path_factory.mktemp("src") / "gradpipe"
    # A clean copy of the tracked files, as pipx and pip see a checkout.
    tracked = subprocess.run(
        ["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True
    ).stdout.split(b"\0")
    for name in filter(None, tracked):
        target = source / name.decode()
        target.parent.mkdir(parents=True, exist_ok=True)
        origin = ROOT / name.decode()
        if origin.is_symlink():
            target.symlink_to(os.readlink(origin))
        elif origin.is_file():
            shutil.copy2(origin, target)
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "-q",
            "-w",
            str(out),
            str(source),
        ],
        check=True,
        capture_output=True,
    )
    (built,) = out.glob("gradpipe-*.whl")
    return built


@pytest.mark.slow
def test_the_wheel_ships_the_examples_and_schemas(wheel: Path) -> None:
    names = zipfile.ZipFile(wheel).namelist()
    for example in EXAMPLES:
        assert any(name.endswith(f"/examples/{example.name}") for name in names), example
    for kind in ("spec", "graph"):
        assert any(name.endswith(f"/schemas/{kind}.schema.json") for name in names)
    entry_points = next(name for name in names if name.endswith("entry_points.txt"))
    assert "gradpipe =" in zipfile.ZipFile(wheel).read(entry_points).decode()


@pytest.mark.slow
def test_the_installed_wheel_works_away_from_the_checkout(wheel: Path, tmp_path: Path) -> None:
    site = tmp_path / "site"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "-q",
            "--no-deps",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        capture_output=True,
    )
    away = tmp_path / "elsewhere"
    away.mkdir()
    deps = [p for p in sys.path if p.endswith("site-packages")]
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(site), *deps])}
    env.pop("PYTHONSAFEPATH", None)

    def away_from_the_checkout(*args: str) -> subprocess.CompletedProcess[str]:
        command = [sys.executable, "-P", *args]
        return subprocess.run(
            command, capture_output=True, text=True, cwd=away, env=env, check=False
        )

    run = away_from_the_checkout("-m", "gradpipe", "examples", "neuron")
    assert run.returncode == 0, run.stderr
    assert (
        run.stdout.split("\n", 1)[1]
        == (ROOT / "examples" / "neuron.yaml").read_text(encoding="utf-8").split("\n", 1)[1]
    )
    assert f"$schema={site.resolve().as_uri()}" in run.stdout.split("\n", 1)[0]
    starter = away_from_the_checkout("-m", "gradpipe", "init", "-")
    assert starter.returncode == 0, starter.stderr
    assert f"$schema={site.resolve().as_uri()}" in starter.stdout
    where = away_from_the_checkout("-c", "import gradpipe; print(gradpipe.__file__)")
    assert where.stdout.startswith(str(site))
    schema_path = away_from_the_checkout("-m", "gradpipe", "schema", "--path", "spec")
    assert schema_path.stdout.strip().startswith(str(site))
