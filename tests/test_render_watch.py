"""``render --watch``: render again on every change, keep the last good output on a bad edit."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import default_signals

from gradpipe.cli import main
from gradpipe.render.html import page_token

GOOD = "values: {a: 2.0, b: -3.0}\nnodes:\n  c: a*b\n"
BETTER = "values: {a: 4.0, b: -3.0}\nnodes:\n  c: a*b\n"
BAD = "values: {a: 2.0, b: -3.0}\nnodes:\n  c: a*q\n"


def wait_for(condition: Callable[[], bool], timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError("timed out")
        time.sleep(0.05)


def rewrite(path: Path, text: str) -> None:
    """Write ``text`` with a modification time surely later than the last one."""
    before = path.stat().st_mtime_ns if path.exists() else 0
    path.write_text(text)
    os.utime(path, ns=(before + 10**9, before + 10**9))


class Watcher:
    def __init__(self, tmp_path: Path, *args: str) -> None:
        self.stderr_path = tmp_path / "stderr.txt"
        env = {**os.environ, "GRADPIPE_WATCH_INTERVAL": "0.05"}
        with open(self.stderr_path, "wb") as stderr:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gradpipe", "render", "--watch", *args],
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=stderr,
                env=env,
                preexec_fn=default_signals,  # a run started with SIGINT ignored: stop() works
            )

    def stderr(self) -> str:
        return self.stderr_path.read_text()

    def stop(self) -> int:
        self.process.send_signal(signal.SIGINT)
        return self.process.wait(timeout=20)


@pytest.fixture
def spec(tmp_path: Path) -> Path:
    path = tmp_path / "ab.yaml"
    path.write_text(GOOD)
    return path


@pytest.fixture
def watcher(tmp_path: Path, spec: Path) -> Iterator[Callable[..., Watcher]]:
    started: list[Watcher] = []

    def start(*args: str) -> Watcher:
        started.append(Watcher(tmp_path, *args))
        return started[-1]

    yield start
    for w in started:
        if w.process.poll() is None:
            w.process.kill()
            w.process.wait()


@pytest.mark.slow
def test_watch_renders_on_change_and_keeps_the_last_good_output(
    tmp_path: Path, spec: Path, watcher: Callable[..., Watcher]
) -> None:
    out = tmp_path / "ab.svg"
    w = watcher(str(spec), "-o", str(out))
    wait_for(lambda: out.exists() and "wrote" in w.stderr())
    first = out.read_bytes()
    assert b"data 2.0000" in first
    rewrite(spec, BETTER)
    wait_for(lambda: b"data 4.0000" in out.read_bytes())
    good = out.read_bytes()
    rewrite(spec, BAD)
    wait_for(lambda: "'q'" in w.stderr())
    assert f"{spec}:3:" in w.stderr()
    time.sleep(0.3)
    assert out.read_bytes() == good  # the bad edit leaves the last good picture
    rewrite(spec, GOOD)
    wait_for(lambda: out.read_bytes() == first)
    assert w.stop() == 130
    assert not [p for p in tmp_path.iterdir() if p.name.endswith(".tmp")]


@pytest.mark.slow
def test_watch_html_writes_the_side_file_its_page_polls(
    tmp_path: Path, spec: Path, watcher: Callable[..., Watcher]
) -> None:
    out = tmp_path / "ab.html"
    side = tmp_path / "ab.html.watch.js"
    w = watcher(str(spec), "-f", "html", "-o", str(out))
    wait_for(lambda: side.exists() and out.exists())
    page = out.read_bytes()
    token = page_token(page)
    assert token and b'"file":"ab.html.watch.js"' in page
    assert side.read_text() == f'gradpipeWatch("{token}", null);\n'
    rewrite(spec, BETTER)
    wait_for(lambda: page_token(out.read_bytes()) != token and token not in side.read_text())
    new_token = page_token(out.read_bytes())
    assert side.read_text() == f'gradpipeWatch("{new_token}", null);\n'
    rewrite(spec, BAD)
    wait_for(lambda: "'q'" in side.read_text())
    assert new_token in side.read_text() and page_token(out.read_bytes()) == new_token
    w.stop()


@pytest.mark.parametrize(
    "args",
    [
        ["--watch", "IN"],  # no -o
        ["--watch", "IN", "IN2", "--out-dir", "d"],
        ["--watch", "-", "-o", "x.svg"],
        ["--watch", "IN", "-o", "IN"],
    ],
)
def test_watch_usage_errors(args: list[str], spec: Path) -> None:
    args = [
        str(spec) if a == "IN" else str(spec.with_name("two.yaml")) if a == "IN2" else a
        for a in args
    ]
    spec.with_name("two.yaml").write_text(GOOD)
    result = CliRunner().invoke(main, ["render", *args], catch_exceptions=False)
    assert result.exit_code == 2, result.stderr
    assert spec.read_text() == GOOD


@pytest.mark.slow
def test_watch_draws_with_renders_options(
    tmp_path: Path, spec: Path, watcher: Callable[..., Watcher]
) -> None:
    out = tmp_path / "ab.dot"
    w = watcher(str(spec), "--backward", "-o", str(out))
    wait_for(lambda: out.exists() and "wrote" in w.stderr())
    assert b"grad -3.0000" in out.read_bytes()  # dc/da = b, drawn as --backward asks
    w.stop()


@pytest.mark.slow
def test_watch_names_the_file_it_wrote_with_control_characters_escaped(
    tmp_path: Path, spec: Path, watcher: Callable[..., Watcher]
) -> None:
    """'wrote FILE' is a line of stderr as an error is: -o's control characters escaped."""
    out = tmp_path / "a\x1b[2Jb.svg"
    w = watcher(str(spec), "-o", str(out))
    wait_for(lambda: out.exists() and "wrote" in w.stderr())
    assert w.stop() == 130
    shown = w.stderr().splitlines()
    assert shown[0] == f"gradpipe render: wrote {tmp_path}/a\\x1b[2Jb.svg"
