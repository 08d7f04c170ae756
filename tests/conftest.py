"""Helpers shared by the test files (import them: ``from conftest import invoke``)."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

from click.testing import CliRunner, Result
from hypothesis import settings

from gradpipe import Value
from gradpipe.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"

# Property tests are judged by their examples, not their speed: on a machine shared by
# many jobs one example can take 300 ms, and hypothesis's default 200 ms deadline fails it.
settings.register_profile("shared-machine", deadline=None)
settings.load_profile("shared-machine")


def invoke(*args: str, stdin: str | bytes | None = None) -> Result:
    """Run the CLI in process; a crash shows its traceback instead of an exit status."""
    return CliRunner().invoke(main, list(args), input=stdin, catch_exceptions=False)


def run_gradpipe(
    *args: str, cwd: Path, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """``python -m gradpipe ARGS`` in a subprocess, standard streams pipes, text out."""
    return subprocess.run(
        [sys.executable, "-m", "gradpipe", *args],
        input=stdin,
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env if env is not None else dict(os.environ),
        check=False,
    )


def chain(steps: int) -> Value:
    """x -> tanh(x*w + b) repeated, w and b shared by every step, after backward."""
    x, w, b = Value(0.5, label="x"), Value(0.9, label="w"), Value(0.1, label="b")
    h = x
    for _ in range(steps):
        h = (h * w + b).tanh()
    h.backward()
    return h


# A node statement of gradpipe's DOT: its quoted name and its attribute list.
NODE_LINE = re.compile(r'^\t("(?:[^"\\]|\\.)*") \[(.*)\]$', re.MULTILINE)


def nodes_of(dot: str) -> dict[str, str]:
    """Node name (quoted) -> its attribute list, for every node statement; none twice."""
    found: dict[str, str] = {}
    for name, attrs in NODE_LINE.findall(dot):
        assert name not in found, f"{name} drawn twice"
        found[name] = attrs
    return found
