"""Helpers shared by the test files (import them: ``from conftest import invoke``)."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
from hypothesis import settings

from gradpipe import Value
from gradpipe.cli import main

ROOT = Path(__file__).resolve().parent.parent
EXAMPLES = ROOT / "examples"
GRADPIPE = [sys.executable, "-m", "gradpipe"]
# `PATH:LINE:COLUMN: error: MESSAGE` or `PATH: error: MESSAGE`, PATH never empty.
ERROR_LINE = re.compile(r"[^\n]+?(?::[0-9]+:[0-9]+)?: error: [^\n]+")
SOURCE_LINE = re.compile(r" (?:[0-9]+| +) \| [^\n]*")
# What an error line must never hold raw: C0 and C1 controls, DEL, line separators.
RAW_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]")


@dataclass(frozen=True)
class Ran:
    """One run of gradpipe: its exit status and its two output streams."""

    status: int
    out: bytes
    err: bytes

    @property
    def errors(self) -> list[str]:
        """Standard error's lines, decoded as a terminal would show them."""
        return self.err.decode("utf-8", "backslashreplace").splitlines()


def default_signals() -> None:
    """Undo what a test run launched in the background (SIGINT ignored) hands its children."""
    for name in ("SIGINT", "SIGTERM", "SIGPIPE", "SIGHUP"):
        number = getattr(signal, name, None)
        if number is not None:
            signal.signal(number, signal.SIG_DFL)


def run_process(
    *args: str,
    stdin: bytes | None = b"",
    cwd: Path | str = ROOT,
    env: Mapping[str, str] | None = None,
    timeout: float = 120,
    preexec: Callable[[], None] | None = None,
) -> Ran:
    """gradpipe as a shell runs it, with default signal dispositions."""

    def prepare() -> None:
        default_signals()
        if preexec is not None:
            preexec()

    done = subprocess.run(
        [*GRADPIPE, *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        env={**os.environ, **(env or {})},
        timeout=timeout,
        preexec_fn=prepare,
    )
    return Ran(done.returncode, done.stdout, done.stderr)


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


def run_in_process(*args: str, stdin: bytes | str | None = None) -> Ran:
    """``invoke``, its result as a ``Ran`` (status and the two streams' bytes)."""
    result = invoke(*args, stdin=stdin)
    return Ran(result.exit_code, result.stdout_bytes, result.stderr_bytes)


def assert_failed_cleanly(ran: Ran, status: int = 1) -> str:
    """A refusal: the status, nothing on stdout, a located first line, no raw control text."""
    assert b"Traceback" not in ran.err, ran.err.decode(errors="replace")
    assert ran.status == status, (ran.status, ran.err)
    lines = ran.errors
    assert lines, "no diagnostic"
    assert ERROR_LINE.fullmatch(lines[0]), lines[0]
    # Then, at most, the source line and its caret (` 4 | text`, `   | ^`), escaped too.
    assert len(lines) in (1, 3), lines
    assert all(SOURCE_LINE.fullmatch(line) for line in lines[1:]), lines
    for line in lines:
        assert not RAW_CONTROL.search(line), line
    return lines[0]


@pytest.fixture
def cli() -> Callable[..., Ran]:
    """Run gradpipe in process."""
    return run_in_process


@pytest.fixture
def shell() -> Callable[..., Ran]:
    """Run gradpipe as a separate process."""
    return run_process


@pytest.fixture
def pure_yaml(monkeypatch: pytest.MonkeyPatch) -> None:
    """Read YAML with PyYAML's pure-Python parser, as where libyaml is missing."""
    from gradpipe.documents import yaml_parser as parsers

    monkeypatch.setattr(parsers, "parser_class", lambda: parsers.PureParser)


@pytest.fixture(params=["libyaml", "pure"])
def yaml_parser(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> str:
    """Each YAML parser in turn: libyaml's, then PyYAML's pure-Python one."""
    if request.param == "pure":
        from gradpipe.documents import yaml_parser as parsers

        monkeypatch.setattr(parsers, "parser_class", lambda: parsers.PureParser)
    return str(request.param)
