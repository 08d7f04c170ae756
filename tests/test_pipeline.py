"""The command line as a shell runs it: real processes, pipes, signals and terminals."""

from __future__ import annotations

import contextlib
import json
import os
import pty
import re
import select
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import default_signals

ROOT = Path(__file__).resolve().parent.parent
GRADPIPE = [sys.executable, "-m", "gradpipe"]
EXAMPLES = sorted((ROOT / "examples").glob("*.yaml"))
INVALID = ROOT / "tests" / "cases" / "invalid"
VALID = ROOT / "tests" / "cases" / "valid"
SMALL = "values:\n  x: 2\n  w: -3\nnodes:\n  y: tanh(x * w + 1)\n"
BAD = "values:\n  x: 1\nnodes:\n  y: x * q\n"


def run(
    *args: str, stdin: bytes = b"", cwd: Path = ROOT, timeout: float = 120
) -> subprocess.CompletedProcess[bytes]:
    """One gradpipe process, its standard streams captured."""
    return subprocess.run(
        [*GRADPIPE, *args], input=stdin, capture_output=True, cwd=cwd, timeout=timeout
    )


def pipeline(*stages: Sequence[str], cwd: Path = ROOT) -> tuple[bytes, list[int], list[bytes]]:
    """``gradpipe A | gradpipe B | ...``: the last stdout, every exit status and stderr."""
    processes: list[subprocess.Popen[bytes]] = []
    with contextlib.ExitStack() as stack:
        errors = [stack.enter_context(tempfile.TemporaryFile()) for _ in stages]
        previous = None
        for stage, error in zip(stages, errors, strict=True):
            process = subprocess.Popen(
                [*GRADPIPE, *stage], stdin=previous, stdout=subprocess.PIPE, stderr=error, cwd=cwd
            )
            if previous is not None:
                previous.close()  # the next stage owns the read end now
            previous = process.stdout
            processes.append(process)
        out = processes[-1].communicate(timeout=120)[0]
        statuses = [p.wait(timeout=120) for p in processes]
        messages = []
        for error in errors:
            error.seek(0)
            messages.append(error.read())
    return out, statuses, messages


def chain_spec(length: int) -> str:
    """A spec of ``length`` tanh steps: big enough to take a moment."""
    lines = ["values:", "  x: 0.5", "  w: 0.9", "  b: 0.1", "nodes:", "  h0: tanh(x * w + b)"]
    lines += [f"  h{i}: tanh(h{i - 1} * w + b)" for i in range(1, length)]
    return "\n".join(lines) + "\n"


@pytest.mark.slow
@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_forward_backward_render_pipeline(example: Path) -> None:
    relative = str(example.relative_to(ROOT))
    svg, statuses, errors = pipeline(["forward", relative], ["backward"], ["render", "-f", "svg"])
    assert statuses == [0, 0, 0]
    assert errors == [b"", b"", b""]
    backward = run("backward", relative).stdout
    assert run("forward", relative).stdout != backward
    assert svg == run("render", "-f", "svg", stdin=backward).stdout
    assert svg.lstrip().startswith((b"<?xml", b"<svg"))


@pytest.mark.slow
def test_pipeline_stages_pass_the_graph_document_along(tmp_path: Path) -> None:
    (tmp_path / "small.yaml").write_text(SMALL)
    out, statuses, errors = pipeline(
        ["forward", "small.yaml", "--set", "x=1"],
        ["backward"],
        ["render", "-f", "json"],
        cwd=tmp_path,
    )
    assert statuses == [0, 0, 0]
    assert errors == [b"", b"", b""]
    assert out == run("backward", "small.yaml", "--set", "x=1", cwd=tmp_path).stdout
    doc = json.loads(out)
    assert doc["name"] == "small"
    assert {n["id"]: n["value"] for n in doc["nodes"]}["x"] == 1.0


@pytest.mark.slow
def test_a_failed_stage_leaves_the_next_stage_nothing(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD)
    out, statuses, errors = pipeline(["forward", "bad.yaml"], ["backward"], cwd=tmp_path)
    assert statuses == [1, 1]
    assert errors[0].decode().startswith("bad.yaml:4:")
    assert errors[1].startswith(b"<stdin>:")
    assert b"error: empty document" in errors[1]
    assert out == b""


@pytest.mark.slow
def test_batch_with_a_bad_file_in_the_middle(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for name, text in [("a.yaml", SMALL), ("b.yaml", BAD), ("c.yaml", SMALL)]:
        (folder / name).write_text(text)
    result = run("backward", "in", "--out-dir", "out", cwd=tmp_path)
    assert result.returncode == 1
    assert result.stdout == b""
    assert result.stderr.decode().startswith(f"{os.path.join('in', 'b.yaml')}:4:")
    assert result.stderr.decode().splitlines()[1:] == ["3 inputs: 2 written, 1 failed"]
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == ["a.json", "c.json"]
    single = run("backward", "in/c.yaml", cwd=tmp_path).stdout
    assert (tmp_path / "out" / "c.json").read_bytes() == single


@pytest.mark.slow
def test_jobs_2_writes_what_a_serial_run_writes(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(30):
        (folder / f"s{i:02}.yaml").write_text(BAD if i % 7 == 3 else SMALL.replace("2", str(i)))
    serial = run("backward", "in", "--out-dir", "serial", cwd=tmp_path)
    parallel = run("backward", "in", "--out-dir", "parallel", "--jobs", "2", cwd=tmp_path)
    assert serial.returncode == parallel.returncode == 1
    assert serial.stderr == parallel.stderr
    assert serial.stderr.count(b"\n") == 5  # s03, s10, s17, s24, then the summary
    names = sorted(p.name for p in (tmp_path / "serial").iterdir())
    assert len(names) == 26
    assert names == sorted(p.name for p in (tmp_path / "parallel").iterdir())
    for name in names:
        assert (tmp_path / "parallel" / name).read_bytes() == (
            tmp_path / "serial" / name
        ).read_bytes()
    checks = [run("check", "in", *jobs, cwd=tmp_path) for jobs in ([], ["--jobs", "2"])]
    assert checks[0].stdout == checks[1].stdout
    assert checks[0].stderr == checks[1].stderr


@pytest.mark.slow
def test_o_keeps_the_old_file_when_its_run_fails(tmp_path: Path) -> None:
    (tmp_path / "bad.yaml").write_text(BAD)
    (tmp_path / "out.svg").write_text("old picture")
    result = run("render", "bad.yaml", "-o", "out.svg", cwd=tmp_path)
    assert result.returncode == 1
    assert (tmp_path / "out.svg").read_text() == "old picture"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["bad.yaml", "out.svg"]


@pytest.mark.slow
@pytest.mark.parametrize("jobs", ["1", "2"])
def test_ctrl_c_mid_batch_leaves_whole_files_and_no_temporary_ones(
    tmp_path: Path, jobs: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    spec = chain_spec(1500)
    for i in range(200):
        (folder / f"s{i:03}.yaml").write_text(spec)
    out = tmp_path / "out"
    out.mkdir()
    (out / "s199.json").write_text("old")
    process = subprocess.Popen(
        [*GRADPIPE, "backward", "in", "--out-dir", "out", "--jobs", jobs],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=default_signals,  # a test run started with SIGINT ignored must not pass it on
    )
    deadline = time.monotonic() + 60
    while not (out / "s000.json").exists() and time.monotonic() < deadline:
        time.sleep(0.01)
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=60)
    assert process.returncode == 130
    assert b"Traceback" not in stderr
    assert stderr.strip() == b""
    assert stdout == b""
    written = sorted(p.name for p in out.iterdir())
    assert all(name.endswith(".json") and not name.startswith(".") for name in written), written
    assert (out / "s199.json").read_text() == "old"
    expected = run("backward", "in/s000.yaml", cwd=tmp_path).stdout
    for name in written[:-1]:
        assert (out / name).read_bytes() == expected.replace(b'"s000"', f'"{name[:-5]}"'.encode())


@pytest.mark.slow
def test_sigterm_mid_write_leaves_no_temporary_file(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_text(chain_spec(60000))
    (tmp_path / "out.json").write_text("old")
    process = subprocess.Popen(
        [*GRADPIPE, "backward", "big.yaml", "-o", "out.json"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=default_signals,
    )
    time.sleep(0.5)
    process.send_signal(signal.SIGTERM)
    _, stderr = process.communicate(timeout=60)
    assert b"Traceback" not in stderr
    assert sorted(p.name for p in tmp_path.iterdir()) == ["big.yaml", "out.json"]
    if process.returncode in (143, -signal.SIGTERM):  # -15: still starting up
        assert (tmp_path / "out.json").read_text() == "old"
    else:  # it finished first: then the file is whole
        assert process.returncode == 0
        json.loads((tmp_path / "out.json").read_text())


@pytest.mark.slow
def test_a_closed_pipe_ends_quietly(tmp_path: Path) -> None:
    (tmp_path / "big.yaml").write_text(chain_spec(5000))
    producer = subprocess.Popen(
        [*GRADPIPE, "forward", "big.yaml"],
        cwd=tmp_path,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        preexec_fn=default_signals,
    )
    head = subprocess.run(["head", "-1"], stdin=producer.stdout, capture_output=True, timeout=60)
    assert producer.stdout is not None
    producer.stdout.close()
    _, stderr = producer.communicate(timeout=60)
    assert head.stdout.startswith(b'{"version": 1')
    assert stderr == b""
    assert producer.returncode == -signal.SIGPIPE


@pytest.mark.parametrize(
    "args",
    [
        ["examples"],
        ["--help"],
        ["forward", "--help"],
        ["--version"],
        ["schema", "spec", "--path"],
        ["--show-completion", "bash"],
        ["examples", "neuron"],
    ],
    ids=" ".join,
)
def test_a_pipe_closed_before_any_output_ends_quietly(args: list[str]) -> None:
    # click's own closed-pipe handler exits 1 where click writes (help, the listing):
    # a `set -o pipefail` script takes `gradpipe examples | head -1` for a failure.
    reader, writer = os.pipe()
    os.close(reader)
    try:
        process = subprocess.run(
            [*GRADPIPE, *args],
            stdout=writer,
            stderr=subprocess.PIPE,
            stdin=subprocess.DEVNULL,
            preexec_fn=default_signals,
            timeout=60,
        )
    finally:
        os.close(writer)
    assert process.stderr == b""
    assert process.returncode == -signal.SIGPIPE


def on_terminal(*args: str, cwd: Path, stdin_tty: bool = False) -> tuple[int, bytes, bytes]:
    """Run gradpipe with standard error (and maybe input) on a pseudo-terminal."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        [*GRADPIPE, *args],
        cwd=cwd,
        stdin=terminal if stdin_tty else subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=terminal,
        env={**os.environ, "TERM": "xterm"},
    )
    os.close(terminal)
    seen = b""
    while True:
        ready, _, _ = select.select([controller], [], [], 60)
        if not ready:
            break
        try:
            chunk = os.read(controller, 4096)
        except OSError:  # the terminal is gone: the process has ended
            break
        if not chunk:
            break
        seen += chunk
    os.close(controller)
    stdout = process.stdout.read() if process.stdout else b""
    if process.stdout:
        process.stdout.close()
    return process.wait(timeout=60), stdout, seen


@pytest.mark.slow
def test_a_long_batch_shows_a_progress_bar_on_a_terminal(tmp_path: Path) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(12):
        (folder / f"s{i:02}.yaml").write_text(BAD if i == 5 else SMALL)
    status, stdout, terminal = on_terminal("forward", "in", "--out-dir", "out", cwd=tmp_path)
    assert status == 1
    assert stdout == b""
    assert b"gradpipe forward" in terminal
    assert b"100%" in terminal
    plain = re.sub(rb"\x1b\[[0-9;]*m", b"", terminal)  # colour codes, if any
    assert b"\r\x1b[Kin/s05.yaml:4:" in plain  # the bar's line cleared first


@pytest.mark.slow
def test_a_short_batch_shows_no_progress_bar(tmp_path: Path) -> None:
    for i in range(3):
        (tmp_path / f"s{i}.yaml").write_text(SMALL)
    status, _, terminal = on_terminal("forward", ".", "--out-dir", "out", cwd=tmp_path)
    assert (status, terminal) == (0, b"3 inputs: 3 written\r\n")  # the summary alone


@pytest.mark.slow
def test_no_input_and_a_terminal_for_standard_input_is_wrong_usage(tmp_path: Path) -> None:
    status, stdout, terminal = on_terminal("forward", cwd=tmp_path, stdin_tty=True)
    assert status == 2
    assert stdout == b""
    assert b"no INPUT given and standard input is a terminal" in terminal


@pytest.mark.slow
def test_every_invalid_case_gives_its_expected_message(tmp_path: Path) -> None:
    """One batch over tests/cases/invalid: each case's line, in order, and status 1."""
    cases = sorted(p for p in INVALID.iterdir() if p.suffix in (".yaml", ".yml", ".json"))
    result = run("forward", str(INVALID.relative_to(ROOT)), "--out-dir", str(tmp_path))
    assert result.returncode == 1
    assert result.stdout == b""
    expected = "".join(p.with_suffix(".expected").read_text(encoding="utf-8") for p in cases)
    summary = f"{len(cases)} inputs: 0 written, {len(cases)} failed\n"
    assert result.stderr.decode() == expected + summary
    assert list(tmp_path.iterdir()) == []


@pytest.mark.slow
def test_every_valid_case_writes_its_expected_document(tmp_path: Path) -> None:
    result = run("forward", str(VALID.relative_to(ROOT)), "--out-dir", str(tmp_path))
    assert (result.returncode, result.stderr) == (0, b"")
    for case in sorted(VALID.iterdir()):
        if case.name.endswith(".expected.json") or case.suffix not in (".yaml", ".yml", ".json"):
            continue
        expected = case.with_name(case.stem + ".expected.json").read_bytes()
        assert (tmp_path / f"{case.stem}.json").read_bytes() == expected, case.name


@pytest.mark.slow
@pytest.mark.parametrize("graphviz", ["embedded", "native"])
def test_render_svg_through_either_graphviz(tmp_path: Path, graphviz: str) -> None:
    if graphviz == "native" and shutil.which("dot") is None:
        pytest.skip("Graphviz's dot is not installed")
    (tmp_path / "small.yaml").write_text(SMALL)
    env = {**os.environ, "GRADPIPE_GRAPHVIZ": graphviz}
    result = subprocess.run(
        [*GRADPIPE, "render", "small.yaml", "-o", "small.svg"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        timeout=120,
    )
    assert (result.returncode, result.stdout, result.stderr) == (0, b"", b"")
    assert b"<svg" in (tmp_path / "small.svg").read_bytes()


@pytest.mark.slow
def test_render_png_without_dot_comes_from_the_embedded_graphviz(tmp_path: Path) -> None:
    (tmp_path / "small.yaml").write_text(SMALL)
    result = subprocess.run(
        [*GRADPIPE, "render", "small.yaml", "-o", "small.png"],
        cwd=tmp_path,
        env={**os.environ, "PATH": str(tmp_path)},
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "small.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


@pytest.mark.slow
def test_render_pdf_without_graphviz_or_librsvg_says_how_to_get_it(tmp_path: Path) -> None:
    (tmp_path / "small.yaml").write_text(SMALL)
    (tmp_path / "old.pdf").write_bytes(b"old")
    result = subprocess.run(
        [*GRADPIPE, "render", "small.yaml", "-f", "pdf", "-o", "old.pdf"],
        cwd=tmp_path,
        env={**os.environ, "PATH": str(tmp_path)},
        capture_output=True,
        timeout=120,
    )
    assert result.returncode == 1
    assert result.stdout == b""
    assert result.stderr.startswith(
        b"small.yaml: error: pdf needs Graphviz's dot program or librsvg's rsvg-convert"
    )
    assert result.stderr.count(b"\n") == 1
    assert (tmp_path / "old.pdf").read_bytes() == b"old"


@pytest.mark.slow
@pytest.mark.parametrize("fmt", ["json", "dot", "svg", "mermaid"])
def test_same_input_same_bytes_across_processes(fmt: str) -> None:
    """Hash seeds differ from process to process; the output must not."""
    example = str((ROOT / "examples" / "mlp.yaml").relative_to(ROOT))
    outputs = set()
    for seed in ["1", "2"]:
        env = {**os.environ, "PYTHONHASHSEED": seed}
        backward = subprocess.run(
            [*GRADPIPE, "backward", example], cwd=ROOT, env=env, capture_output=True, timeout=120
        )
        drawn = subprocess.run(
            [*GRADPIPE, "render", "-f", fmt],
            input=backward.stdout,
            cwd=ROOT,
            env=env,
            capture_output=True,
            timeout=120,
        )
        assert (drawn.returncode, drawn.stderr) == (0, b"")
        outputs.add((backward.stdout, drawn.stdout))
    assert len(outputs) == 1
