"""The Makefile's diagrams rule: only what changed, safe under -j, nothing half-written.

The rule runs in a copy of the Makefile with a stand-in `gradpipe` whose render writes its
output non-atomically, so these tests hold the Makefile itself to the promise (pipefail and
.DELETE_ON_ERROR), whatever the real CLI does.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

pytestmark = pytest.mark.skipif(shutil.which("make") is None, reason="needs GNU make")

# render --backward copies its input to the file after -o, in place, as a careless tool
# would (and fails on one that says so, after writing part of it).
FAKE_GRADPIPE = """#!/usr/bin/env bash
set -e
case "$1" in
render)
    shift
    while [ $# -gt 0 ]; do
        case "$1" in -o) out=$2; shift 2 ;; --backward) shift ;; *) input=$1; shift ;; esac
    done
    head -c 10 "$input" > "$out"
    if grep -q FAIL "$input"; then echo "$input: error: bad input" >&2; exit 1; fi
    tail -c +11 "$input" >> "$out" ;;
*)
    exit 2 ;;
esac
"""


def make_project(root: Path, examples: dict[str, str]) -> Path:
    """A copy of the Makefile with these examples and an installed-looking fake .venv."""
    root.mkdir()
    shutil.copy(ROOT / "Makefile", root / "Makefile")
    shutil.copy(ROOT / "pyproject.toml", root / "pyproject.toml")
    (root / "examples").mkdir()
    for name, text in examples.items():
        (root / "examples" / f"{name}.yaml").write_text(text)
    gradpipe = root / ".venv" / "bin" / "gradpipe"
    gradpipe.parent.mkdir(parents=True)
    gradpipe.write_text(FAKE_GRADPIPE)
    gradpipe.chmod(0o755)
    stamp = root / ".venv" / ".installed"
    stamp.touch()
    os.utime(stamp, (2e9, 2e9))  # newer than pyproject.toml: the venv is up to date
    return root


def make(root: Path, *args: str) -> subprocess.CompletedProcess[str]:
    """Run make in ``root``, as a user would, with no standard input."""
    # Not the flags of a make that runs these tests (`make -j4 test` passes its jobserver).
    env = {k: v for k, v in os.environ.items() if k not in {"MAKEFLAGS", "MFLAGS", "MAKELEVEL"}}
    return subprocess.run(
        ["make", "--no-print-directory", "-C", str(root), *args],
        capture_output=True,
        text=True,
        stdin=subprocess.DEVNULL,
        env=env,
        check=False,
    )


def diagrams(root: Path) -> dict[str, bytes]:
    """The rendered diagrams by file name."""
    return {p.name: p.read_bytes() for p in sorted((root / "build" / "diagrams").glob("*"))}


EXAMPLES = {f"example{i}": f"name: example{i}  # padding past ten bytes\n" for i in range(6)}


def test_diagrams_renders_every_example_once(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", EXAMPLES)
    first = make(root, "diagrams")
    assert first.returncode == 0, first.stderr
    assert sorted(diagrams(root)) == [f"{name}.svg" for name in sorted(EXAMPLES)]
    assert diagrams(root)["example3.svg"] == EXAMPLES["example3"].encode()
    assert make(root, "-q", "diagrams").returncode == 0, "up to date after one run"
    second = make(root, "diagrams")
    assert second.returncode == 0
    assert "gradpipe" not in second.stdout


def test_diagrams_rebuilds_only_what_changed(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", EXAMPLES)
    assert make(root, "diagrams").returncode == 0
    changed = root / "examples" / "example2.yaml"
    changed.write_text("name: example2  # changed since the last run\n")
    os.utime(changed, (3e9, 3e9))
    dry_run = make(root, "-n", "diagrams").stdout
    assert re.findall(r"gradpipe render --backward (\S+)", dry_run) == ["examples/example2.yaml"]
    assert make(root, "diagrams").returncode == 0
    assert diagrams(root)["example2.svg"] == changed.read_bytes()


def test_failed_render_fails_the_rule_and_leaves_no_target(tmp_path: Path) -> None:
    examples = {**EXAMPLES, "broken": "name: broken  # FAIL here\n"}
    root = make_project(tmp_path / "p", examples)
    result = make(root, "-k", "diagrams")
    assert result.returncode != 0
    assert "examples/broken.yaml: error: bad input" in result.stderr
    assert sorted(diagrams(root)) == [f"{name}.svg" for name in sorted(EXAMPLES)]
    assert make(root, "-q", "diagrams").returncode != 0, "the failed one is retried"


def test_parallel_diagrams_equal_serial(tmp_path: Path) -> None:
    serial = make_project(tmp_path / "serial", EXAMPLES)
    parallel = make_project(tmp_path / "parallel", EXAMPLES)
    assert make(serial, "diagrams").returncode == 0
    result = make(parallel, "-j4", "diagrams")
    assert result.returncode == 0, result.stderr
    assert diagrams(parallel) == diagrams(serial)


def test_the_folders_are_made_once_a_run_not_by_each_picture(tmp_path: Path) -> None:
    # One process less a diagram: under make -j2 a mkdir each was 4% of the run.
    root = make_project(tmp_path / "p", EXAMPLES)
    for target, folder in (("diagrams", "build/diagrams"), ("views", "build/views")):
        dry_run = make(root, "-n", target).stdout
        assert re.findall(r"^mkdir.*$", dry_run, re.M) == [f"mkdir -p {folder}"], dry_run
        assert dry_run.count("gradpipe render") == len(EXAMPLES)


def test_demo_says_where_the_diagrams_are(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", EXAMPLES)
    result = make(root, "demo")
    assert result.returncode == 0, result.stderr
    assert f"{root}/build/diagrams/" in result.stdout


@pytest.mark.parametrize("target", ["test", "lint", "demo", "schemas", "bench", "docs"])
def test_targets_build_a_missing_venv_first(tmp_path: Path, target: str) -> None:
    root = make_project(tmp_path / "p", {**EXAMPLES, "neuron": "name: neuron\n"})
    shutil.rmtree(root / ".venv")
    dry_run = make(root, "-n", target, f"PYTHON={sys.executable}").stdout
    assert f"{sys.executable} -m venv .venv" in dry_run


def test_stale_venv_is_rebuilt(tmp_path: Path) -> None:
    root = make_project(tmp_path / "p", EXAMPLES)
    os.utime(root / "pyproject.toml", (3e9, 3e9))
    assert "pip install -qq -e '.[dev]'" in make(root, "-n", "test").stdout


@pytest.mark.slow
def test_real_diagrams_parallel_equal_serial(tmp_path: Path) -> None:
    # The real CLI on the real examples: what a newcomer's `make demo` renders.
    bin_dir = f"BIN={Path(sys.executable).parent}"
    examples = {p.stem: p.read_text() for p in (ROOT / "examples").glob("*.yaml")}
    serial = make_project(tmp_path / "serial", examples)
    parallel = make_project(tmp_path / "parallel", examples)
    result = make(serial, "diagrams", bin_dir)
    assert result.returncode == 0, result.stderr
    result = make(parallel, "-j4", "diagrams", bin_dir)
    assert result.returncode == 0, result.stderr
    assert diagrams(parallel) == diagrams(serial)
    assert sorted(diagrams(serial)) == sorted(f"{stem}.svg" for stem in examples)
    assert all(b"</svg>" in svg and b"grad " in svg for svg in diagrams(serial).values())
    assert make(serial, "-q", "diagrams", bin_dir).returncode == 0, "up to date after one run"
