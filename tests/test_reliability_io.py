"""Issue 10, the system: outputs never destroy inputs, odd destinations, signals, batches.

Devices are made in the test's own folder (mknod, as root) so that a regression can only
replace a copy, never the machine's /dev/full.
"""

from __future__ import annotations

import json
import os
import signal
import stat
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import GRADPIPE, Ran, assert_failed_cleanly, default_signals

SPEC = "values:\n  x: 2\n  w: -3\nnodes:\n  y: tanh(x * w + 1)\n"
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0


def assert_usage_error(ran: Ran, *words: str) -> None:
    assert b"Traceback" not in ran.err
    assert ran.status == 2, (ran.status, ran.err)
    text = ran.err.decode()
    for word in words:
        assert word in text, text


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    (folder / "model.json").write_text(json.dumps({"values": {"x": 1}, "nodes": {"y": "x*2"}}))
    (folder / "other.yaml").write_text(SPEC)
    return folder


def snapshot(folder: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(folder.iterdir()) if p.is_file()}


@pytest.mark.parametrize("command", [["forward"], ["backward"], ["render", "-f", "json"]])
def test_an_output_that_is_an_input_is_refused_before_any_work(
    cli: Callable[..., Ran], specs: Path, command: list[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    before = snapshot(specs)
    monkeypatch.chdir(specs)
    (specs / "link.json").symlink_to(specs / "model.json")
    os.link(specs / "other.yaml", specs / "hard.yaml")
    before = snapshot(specs)
    cases = [
        [*command, "model.json", "--out-dir", "."],
        [*command, str(specs), "--out-dir", str(specs)],
        [*command, "./model.json", "-o", "model.json"],
        [*command, "model.json", "-o", str(specs / "model.json")],
        [*command, "model.json", "-o", "link.json"],
        [*command, "link.json", "-o", "model.json"],
        [*command, "other.yaml", "-o", "hard.yaml"],
        [*command, "other.yaml", "model.json", "--out-dir", "../specs/"],
    ]
    for case in cases:
        ran = cli(*case)
        assert_usage_error(ran)
        assert ran.out == b""
        assert snapshot(specs) == before, case
    # A different file with the same name elsewhere is fine.
    assert cli(*command, "model.json", "--out-dir", str(specs.parent / "out")).status == 0


def test_the_refusal_comes_before_any_other_input_is_written(
    cli: Callable[..., Ran], specs: Path, tmp_path: Path
) -> None:
    out = tmp_path / "out"
    out.mkdir()
    (out / "model.json").write_text(SPEC.replace("2", "5"))
    ran = cli("forward", str(specs / "other.yaml"), str(out / "model.json"), "--out-dir", str(out))
    assert_usage_error(ran, "model.json")
    assert sorted(p.name for p in out.iterdir()) == ["model.json"]


def test_stdin_and_an_existing_output_are_fine(cli: Callable[..., Ran], tmp_path: Path) -> None:
    target = tmp_path / "out.json"
    target.write_text("old")
    assert cli("forward", "-o", str(target), stdin=SPEC).status == 0
    assert json.loads(target.read_text())["name"] == "stdin"


@pytest.mark.parametrize(
    "where", [["-o", "spec.yaml"], ["-", "-o", "./spec.yaml"], ["--out-dir", "."]]
)
def test_stdin_redirected_from_the_output_is_refused(tmp_path: Path, where: list[str]) -> None:
    # `-o spec.yaml < spec.yaml` replaced the spec with its graph document.
    spec = tmp_path / ("stdin.json" if "--out-dir" in where else "spec.yaml")
    spec.write_text(SPEC)
    with open(spec, "rb") as stdin:
        ran = subprocess.run(
            [*GRADPIPE, "forward", *where],
            stdin=stdin,
            capture_output=True,
            cwd=tmp_path,
            preexec_fn=default_signals,
            timeout=60,
        )
    assert ran.stdout == b""
    assert ran.returncode == 2, ran.stderr
    assert ran.stderr.decode().endswith(
        f"Error: the output {where[-1]}/stdin.json is the input <stdin>: writing it would"
        " destroy the input; choose another output\n"
        if "--out-dir" in where
        else f"Error: the output {where[-1]} is the input <stdin>: writing it would destroy"
        " the input; choose another output\n"
    )
    assert spec.read_text() == SPEC


def make_device(folder: Path, name: str, major: int, minor: int) -> Path:
    path = folder / name
    os.mknod(path, 0o666 | stat.S_IFCHR, os.makedev(major, minor))
    return path


@pytest.mark.skipif(not IS_ROOT, reason="mknod needs root")
def test_o_onto_a_character_device_writes_through(cli: Callable[..., Ran], tmp_path: Path) -> None:
    null = make_device(tmp_path, "null", 1, 3)
    assert cli("forward", "-o", str(null), stdin=SPEC).status == 0
    assert stat.S_ISCHR(null.lstat().st_mode)
    full = make_device(tmp_path, "full", 1, 7)
    line = assert_failed_cleanly(cli("forward", "-o", str(full), stdin=SPEC))
    assert line.startswith(f"{full}: error:") and "no space left" in line, line
    assert stat.S_ISCHR(full.lstat().st_mode)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["full", "null"]


def test_o_onto_a_fifo_writes_through(cli: Callable[..., Ran], tmp_path: Path) -> None:
    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    received: list[bytes] = []

    def reader() -> None:
        with open(fifo, "rb") as stream:
            received.append(stream.read())

    thread = threading.Thread(target=reader)
    thread.start()
    ran = cli("forward", "-o", str(fifo), stdin=SPEC)
    thread.join(30)
    assert ran.status == 0, ran.err
    assert stat.S_ISFIFO(fifo.lstat().st_mode)
    assert json.loads(received[0])["output"] == "y"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["pipe"]


def test_o_onto_a_symlink_replaces_its_target(cli: Callable[..., Ran], tmp_path: Path) -> None:
    real = tmp_path / "real" / "graph.json"
    real.parent.mkdir()
    real.write_text("old")
    link = tmp_path / "link.json"
    link.symlink_to(Path("real") / "graph.json")
    chain = tmp_path / "chain.json"
    chain.symlink_to(link)
    assert cli("forward", "-o", str(chain), stdin=SPEC).status == 0
    assert chain.is_symlink() and link.is_symlink()
    assert json.loads(real.read_text())["output"] == "y"
    assert sorted(p.name for p in real.parent.iterdir()) == ["graph.json"]
    dangling = tmp_path / "dangling.json"
    dangling.symlink_to(tmp_path / "real" / "new.json")
    assert cli("forward", "-o", str(dangling), stdin=SPEC).status == 0
    assert dangling.is_symlink() and (real.parent / "new.json").is_file()


@pytest.mark.skipif(not IS_ROOT, reason="makes its own /dev/stdout-like link to a device")
def test_o_onto_a_symlink_to_a_device_writes_through(
    cli: Callable[..., Ran], tmp_path: Path
) -> None:
    null = make_device(tmp_path, "null", 1, 3)
    link = tmp_path / "stdout"
    link.symlink_to(null)
    assert cli("forward", "-o", str(link), stdin=SPEC).status == 0
    assert link.is_symlink() and stat.S_ISCHR(null.lstat().st_mode)


def test_o_onto_a_link_to_this_process_stdout_writes_to_it(
    shell: Callable[..., Ran], tmp_path: Path
) -> None:
    """As ``-o /dev/stdout`` does: a link of our own, so a regression replaces only it."""
    if not Path("/proc/self/fd/1").exists():
        pytest.skip("no /proc/self/fd")
    link = tmp_path / "stdout"
    link.symlink_to("/proc/self/fd/1")
    ran = shell("forward", "-o", str(link), stdin=SPEC.encode(), cwd=tmp_path)
    assert ran.status == 0, ran.err
    assert json.loads(ran.out)["output"] == "y"
    assert link.is_symlink()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["stdout"]


def test_o_keeps_the_permissions_of_the_file_it_replaces(
    cli: Callable[..., Ran], tmp_path: Path
) -> None:
    for mode in (0o600, 0o640, 0o444, 0o755):
        target = tmp_path / f"out{mode:o}.json"
        target.write_text("old")
        target.chmod(mode)
        ran = cli("forward", "-o", str(target), stdin=SPEC)
        if mode & 0o200 or IS_ROOT:
            assert ran.status == 0, ran.err
            assert stat.S_IMODE(target.stat().st_mode) == mode
        else:
            assert_failed_cleanly(ran)
            assert target.read_text() == "old"


def test_what_cannot_be_written_safely_is_refused_clearly(
    cli: Callable[..., Ran], tmp_path: Path
) -> None:
    folder = tmp_path / "adir"
    folder.mkdir()
    ran = cli("forward", "-o", str(folder), stdin=SPEC)
    if ran.status == 2:  # click's own check of -o: wrong usage, naming the path
        assert_usage_error(ran, str(folder), "directory")
    else:
        assert assert_failed_cleanly(ran).startswith(f"{folder}: error:")
    line = assert_failed_cleanly(cli("forward", "-o", str(tmp_path / "no" / "x.json"), stdin=SPEC))
    assert line.startswith(f"{tmp_path / 'no' / 'x.json'}: error:"), line
    if not IS_ROOT:
        locked = tmp_path / "locked"
        locked.mkdir()
        (locked / "out.json").write_text("old")
        locked.chmod(0o555)
        try:
            assert_failed_cleanly(cli("forward", "-o", str(locked / "out.json"), stdin=SPEC))
            assert (locked / "out.json").read_text() == "old"
        finally:
            locked.chmod(0o755)


def test_every_error_has_a_path(shell: Callable[..., Ran], tmp_path: Path) -> None:
    for option in ("-o", "--out-dir"):
        ran = shell("forward", option, "", stdin=SPEC.encode(), cwd=tmp_path)
        assert ran.status in (1, 2), ran.err
        assert b"Traceback" not in ran.err
        if ran.status == 1:
            assert_failed_cleanly(ran)
        else:
            assert option.encode() in ran.err
    if Path("/dev/full").exists() and stat.S_ISCHR(os.stat("/dev/full").st_mode):
        with open("/dev/full", "wb") as full:
            done = subprocess.run(
                [*GRADPIPE, "forward"],
                input=SPEC.encode(),
                stdout=full,
                stderr=subprocess.PIPE,
                preexec_fn=default_signals,
                timeout=60,
            )
        ran = Ran(done.returncode, b"", done.stderr)
        assert assert_failed_cleanly(ran).startswith("<stdout>: error:")


@pytest.mark.skipif(
    not (Path("/dev/full").exists() and stat.S_ISCHR(os.stat("/dev/full").st_mode)),
    reason="no /dev/full",
)
@pytest.mark.parametrize(
    "args",
    [
        ["--help"],
        ["--version"],
        ["render", "--help"],
        ["--show-completion", "bash"],
        ["examples"],
        ["examples", "neuron"],
        ["init", "-"],
        ["schema", "--path"],
    ],
    ids=" ".join,
)
def test_a_full_standard_output_is_an_error_line_for_what_click_writes_too(
    args: list[str],
) -> None:
    """Help, the version, a completion script and the listings fail on /dev/full as a
    stage's output does: one '<stdout>: error:' line, exit 1, never a traceback."""
    with open("/dev/full", "wb") as full:
        done = subprocess.run(
            [*GRADPIPE, *args],
            stdin=subprocess.DEVNULL,
            stdout=full,
            stderr=subprocess.PIPE,
            preexec_fn=default_signals,
            timeout=60,
        )
    assert done.returncode == 1
    assert done.stderr == b"<stdout>: error: cannot write: no space left on device\n"


@pytest.mark.skipif(not hasattr(__import__("resource"), "RLIMIT_FSIZE"), reason="no RLIMIT_FSIZE")
def test_a_file_size_limit_is_reported_with_the_path(
    shell: Callable[..., Ran], tmp_path: Path
) -> None:
    import resource

    def small_files() -> None:
        resource.setrlimit(resource.RLIMIT_FSIZE, (512, 512))

    big = "values: {x: 1}\nnodes:\n" + "".join(f"  n{i}: x * {i}\n" for i in range(200))
    ran = shell("forward", "-o", "out.json", stdin=big.encode(), cwd=tmp_path, preexec=small_files)
    assert assert_failed_cleanly(ran).startswith("out.json: error:")
    assert sorted(p.name for p in tmp_path.iterdir()) == []
    with open(tmp_path / "stdout.json", "wb") as target:
        done = subprocess.run(
            [*GRADPIPE, "forward"],
            input=big.encode(),
            stdout=target,
            stderr=subprocess.PIPE,
            preexec_fn=lambda: (default_signals(), small_files()),
            timeout=60,
        )
    assert assert_failed_cleanly(Ran(done.returncode, b"", done.stderr)).startswith("<stdout>:")


def test_a_closed_stdout_is_an_error_not_a_traceback(tmp_path: Path) -> None:
    for command in (["forward"], ["schema"], ["render", "-f", "dot"], ["check"]):
        done = subprocess.run(
            [*GRADPIPE, *command],
            input=SPEC.encode(),
            stderr=subprocess.PIPE,
            stdout=subprocess.DEVNULL,
            preexec_fn=lambda: (default_signals(), os.close(1)),
            timeout=60,
        )
        ran = Ran(done.returncode, b"", done.stderr)
        assert assert_failed_cleanly(ran).startswith("<stdout>: error:"), command
    done = subprocess.run(
        [*GRADPIPE, "validate", "-"],
        input=SPEC.encode(),
        capture_output=True,
        preexec_fn=lambda: (default_signals(), os.close(1)),
        timeout=60,
    )
    assert done.returncode == 0 and done.stderr == b""


def unexpected_failure(monkeypatch: pytest.MonkeyPatch, marker: str) -> None:
    """Make the forward stage crash, as a bug would, on inputs holding ``marker``."""
    from gradpipe.cli import stages as module

    original = module.forward

    def forward(raw: bytes, path: str, **options: object) -> bytes:
        if marker.encode() in raw:
            raise RuntimeError("a bug\nwith a second line")
        return original(raw, path, **options)  # type: ignore[no-any-return]

    # Pickled by name for --jobs: the name must lead to this very function.
    forward.__module__, forward.__qualname__ = module.__name__, "forward"
    monkeypatch.setattr(module, "forward", forward)


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_an_unexpected_error_in_one_input_does_not_stop_the_batch(
    cli: Callable[..., Ran], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, jobs: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    for i in range(40):
        text = SPEC.replace("tanh", "exp") if i in (3, 17, 39) else SPEC
        (folder / f"s{i:02}.yaml").write_text(text)
    unexpected_failure(monkeypatch, "exp(")
    out = tmp_path / "out"
    ran = cli("forward", str(folder), "--out-dir", str(out), "--jobs", jobs)
    assert ran.status == 1
    assert b"Traceback" not in ran.err
    lines = [line for line in ran.errors if ": error: " in line]  # not the summary line
    assert [line.split(":")[0] for line in lines] == [
        str(folder / f"s{i:02}.yaml") for i in (3, 17, 39)
    ]
    for line in lines:
        assert "internal error" in line and "RuntimeError" in line, line
    assert len(list(out.iterdir())) == 37


def test_an_unexpected_error_in_one_input_alone_is_reported_with_its_path(
    cli: Callable[..., Ran], monkeypatch: pytest.MonkeyPatch
) -> None:
    unexpected_failure(monkeypatch, "exp(")
    line = assert_failed_cleanly(cli("forward", "-", stdin=SPEC.replace("tanh", "exp")))
    assert line.startswith("<stdin>: error: internal error"), line


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.rglob("*") if p.name.startswith(".") or ".tmp" in p.name)


def many_specs(folder: Path, count: int, size: int) -> Path:
    """``count`` specs of ``size`` nodes each in ``folder``."""
    folder.mkdir()
    spec = "values: {x: 1}\nnodes:\n" + "".join(f"  n{i}: x * {i}\n" for i in range(size))
    for i in range(count):
        (folder / f"s{i:02}.yaml").write_text(spec)
    return folder


def killed_while_writing(folder: Path, out: Path, delay: float) -> None:
    """Run ``forward FOLDER --out-dir OUT`` and SIGKILL it ``delay`` seconds in."""
    process = subprocess.Popen(
        [*GRADPIPE, "forward", str(folder), "--out-dir", str(out)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        preexec_fn=default_signals,
    )
    time.sleep(delay)
    process.kill()
    process.wait(60)


@pytest.mark.slow
def test_sigkill_while_writing_new_files_leaves_nothing_behind(tmp_path: Path) -> None:
    folder = many_specs(tmp_path / "in", 30, 3000)
    for trial in range(8):
        out = tmp_path / f"out{trial}"
        killed_while_writing(folder, out, 0.6 + 0.07 * trial)
        assert leftovers(out) == [], trial


@pytest.mark.slow
def test_a_name_left_by_sigkill_while_replacing_goes_with_the_next_run(tmp_path: Path) -> None:
    # Replacing a file takes a link and a rename; a SIGKILL between the two calls leaves
    # the hidden name, which the next write to that target removes.
    folder = many_specs(tmp_path / "in", 30, 3000)
    out = tmp_path / "out"
    for trial in range(8):
        killed_while_writing(folder, out, 0.6 + 0.07 * trial)
    stale = out / f".s00.json.{dead_pid()}.0.tmp"
    stale.write_bytes(b"left by a killed run")
    ran = subprocess.run(
        [*GRADPIPE, "forward", str(folder), "--out-dir", str(out)], capture_output=True
    )
    assert (ran.returncode, ran.stderr) == (0, b"")
    assert leftovers(out) == []
    assert len(list(out.iterdir())) == 30


def dead_pid() -> int:
    """The pid of a process that has exited (and, for this test's moment, is not reused)."""
    process = subprocess.Popen([sys.executable, "-c", ""])
    process.wait()
    return process.pid


@pytest.mark.slow
def test_workers_are_quiet_and_gone_when_their_parent_is_killed(tmp_path: Path) -> None:
    folder = many_specs(tmp_path / "in", 60, 2000)
    errors = tmp_path / "errors"
    with open(errors, "wb") as stream:
        process = subprocess.Popen(
            [*GRADPIPE, "forward", str(folder), "--out-dir", str(tmp_path / "out"), "-j", "2"],
            stdout=subprocess.DEVNULL,
            stderr=stream,
            preexec_fn=default_signals,
        )
        time.sleep(1.5)
        children = _children(process.pid)
        process.kill()
        process.wait(60)
        deadline = time.monotonic() + 20
        while any(_alive(pid) for pid in children) and time.monotonic() < deadline:
            time.sleep(0.1)
    assert not [pid for pid in children if _alive(pid)]
    assert errors.read_bytes() == b""


def _children(pid: int) -> list[int]:
    try:
        text = Path(f"/proc/{pid}/task/{pid}/children").read_text()
    except OSError:
        return []
    return [int(part) for part in text.split()]


def _alive(pid: int) -> bool:
    try:
        status = Path(f"/proc/{pid}/stat").read_text().split()[2]
    except OSError:
        return False
    return status != "Z"


def test_default_signals_undoes_an_ignored_sigint() -> None:
    """A run launched with SIGINT ignored still gets Ctrl-C in the processes it starts."""
    script = "import signal; print(signal.getsignal(signal.SIGINT) == signal.SIG_IGN)"

    def ignoring() -> None:
        signal.signal(signal.SIGINT, signal.SIG_IGN)

    ignored = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, preexec_fn=ignoring
    )
    assert ignored.stdout.strip() == b"True"
    fixed = subprocess.run(
        [sys.executable, "-c", script],
        capture_output=True,
        preexec_fn=lambda: (ignoring(), default_signals()),
    )
    assert fixed.stdout.strip() == b"False"
