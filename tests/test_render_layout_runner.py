"""How the layout program is run: spawned over pipes (``os.posix_spawnp``), or by
``subprocess`` where the system lacks it; both ways give the same bytes and errors."""

from __future__ import annotations

import os
import shutil
import signal
import stat
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from gradpipe.errors import RenderError
from gradpipe.render.layout import aspect_kept, run_program, which

needs_spawn = pytest.mark.skipif(not hasattr(os, "posix_spawnp"), reason="no posix_spawnp")
PYTHON = [sys.executable, "-c"]


@pytest.fixture(params=["spawned", "subprocess"])
def runner(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[str]:
    """Each test twice: the spawned way, and the fallback of systems without posix_spawnp."""
    if request.param == "spawned" and not hasattr(os, "posix_spawnp"):
        pytest.skip("no posix_spawnp")
    if request.param == "subprocess":
        monkeypatch.delattr(os, "posix_spawnp", raising=False)
    yield request.param


@pytest.mark.usefixtures("runner")
def test_megabytes_in_and_out_both_ways_do_not_deadlock() -> None:
    # Writes a megabyte to each pipe before reading its input: with either pipe full and
    # the input not yet read, a runner that writes all first and reads after would hang.
    echo = (
        "import sys; sys.stdout.buffer.write(b'o' * 2**20); sys.stderr.buffer.write(b'e' * 2**20);"
        "sys.stdout.flush(); sys.stderr.flush(); data = sys.stdin.buffer.read();"
        "sys.stdout.buffer.write(data[::-1])"
    )
    data = bytes(range(256)) * (4 * 2**12)  # 4 MiB
    assert run_program([*PYTHON, echo], data) == b"o" * 2**20 + data[::-1]


@pytest.mark.usefixtures("runner")
def test_empty_input_and_a_program_that_reads_none() -> None:
    assert run_program([*PYTHON, "print('hi')"], b"") == b"hi\n"
    # It exits without reading a byte of its input: the broken pipe is not an error.
    assert run_program([*PYTHON, "print('hi')"], b"x" * 2**22) == b"hi\n"


@pytest.mark.usefixtures("runner")
def test_a_nonzero_exit_says_its_status_and_standard_error() -> None:
    failing = "import sys; sys.stderr.write('  bad graph\\n'); sys.exit(3)"
    with pytest.raises(RenderError, match=r"^python\S* failed \(exit status 3\): bad graph$"):
        run_program([*PYTHON, failing], b"digraph {}")


@pytest.mark.usefixtures("runner")
def test_no_output_is_a_failure_unless_the_program_writes_files() -> None:
    with pytest.raises(RenderError, match=r"^python\S* failed \(exit status 0\): no output$"):
        run_program([*PYTHON, "pass"], b"")
    assert run_program([*PYTHON, "pass"], b"", output=False) == b""


@pytest.mark.usefixtures("runner")
def test_a_program_killed_by_a_signal_is_named_so() -> None:
    crash = "import os, signal; os.kill(os.getpid(), signal.SIGSEGV)"
    with pytest.raises(RenderError, match=r"^python\S* failed \(killed by SIGSEGV\): no output$"):
        run_program([*PYTHON, crash], b"")


@pytest.mark.usefixtures("runner")
def test_a_missing_program_cannot_run(tmp_path: Path) -> None:
    missing = tmp_path / "no-such-dot"
    with pytest.raises(RenderError, match=rf"^cannot run {missing}: No such file or directory$"):
        run_program([str(missing), "-Tsvg"], b"digraph {}")
    plain = tmp_path / "not-executable"
    plain.write_text("#!/bin/sh\n")
    with pytest.raises(RenderError, match=rf"^cannot run {plain}: Permission denied$"):
        run_program([str(plain)], b"")


@pytest.mark.usefixtures("runner")
def test_the_environment_is_the_one_given_else_this_process_s(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    show = "import os; print(os.environ.get('GRADPIPE_PROBE'))"
    monkeypatch.setenv("GRADPIPE_PROBE", "inherited")
    assert run_program([*PYTHON, show], b"") == b"inherited\n"
    env = {**os.environ, "GRADPIPE_PROBE": "given"}
    assert run_program([*PYTHON, show], b"", env) == b"given\n"


@pytest.mark.usefixtures("runner")
@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="no /proc")
def test_sigpipe_is_not_ignored_in_the_program() -> None:
    # Python ignores SIGPIPE, and an ignored signal stays so across exec; a program it
    # starts must have the default back (subprocess's restore_signals), as ``cat`` shows.
    status = run_program(["cat", "/proc/self/status"], b"").decode()
    ignored = int(next(line for line in status.splitlines() if line.startswith("SigIgn:"))[7:], 16)
    assert signal.SIGPIPE == 13
    assert not ignored & (1 << (signal.SIGPIPE - 1))


@needs_spawn
@pytest.mark.skipif(not hasattr(signal, "setitimer"), reason="no interval timer")
@pytest.mark.parametrize("closes_its_output", [False, True])
def test_an_interrupted_run_kills_the_program(tmp_path: Path, closes_its_output: bool) -> None:
    # Ctrl-C (or SIGTERM, which unwinds as Ctrl-C does) while the program runs: the
    # program is killed and reaped, as subprocess.run does, not left running; also when
    # it has closed its output already, so that the interrupt comes while it is awaited.
    pid_file = tmp_path / "pid"
    sleeper = f"import os, time\nopen({str(pid_file)!r}, 'w').write(str(os.getpid()))\n"
    sleeper += "os.close(1); os.close(2)\n" if closes_its_output else ""
    sleeper += "time.sleep(60)"

    def interrupt(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGALRM, interrupt)
    signal.setitimer(signal.ITIMER_REAL, 2.0)
    started = time.monotonic()
    try:
        with pytest.raises(KeyboardInterrupt):
            run_program([*PYTHON, sleeper], b"")
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)
    assert time.monotonic() - started < 30
    with pytest.raises(ChildProcessError):  # reaped: no longer this process's child
        os.waitpid(int(pid_file.read_text()), os.WNOHANG)


@needs_spawn
def test_a_closed_standard_stream_runs_by_subprocess() -> None:
    # With standard input closed, a pipe takes descriptor 0; the fallback moves it aside.
    program = (
        "import os, sys; os.close(0)\n"
        "from gradpipe.render import layout\n"
        "fallback, taken = layout._run_by_subprocess, []\n"
        "layout._run_by_subprocess = lambda *args: taken.append(1) or fallback(*args)\n"
        "reverse = 'import sys; print(sys.stdin.read()[::-1])'\n"
        "out = layout.run_program([sys.executable, '-c', reverse], b'abc')\n"
        "sys.stdout.buffer.write(out + b'by subprocess' * len(taken))\n"
    )
    done = subprocess.run([*PYTHON, program], capture_output=True, check=False)
    assert (done.returncode, done.stdout, done.stderr) == (0, b"cba\nby subprocess", b"")


def test_every_descriptor_is_closed_after_a_run(runner: str) -> None:
    if not Path("/proc/self/fd").is_dir():
        pytest.skip("no /proc")
    before = set(os.listdir("/proc/self/fd"))
    run_program([*PYTHON, "print(1)"], b"x")
    with pytest.raises(RenderError):
        run_program([*PYTHON, "import sys; sys.exit(1)"], b"x")
    with pytest.raises(RenderError):
        run_program(["/no/such/program"], b"x")
    assert set(os.listdir("/proc/self/fd")) <= before


def executable(path: Path) -> Path:
    path.write_text("#!/bin/sh\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


@pytest.mark.skipif(os.name != "posix", reason="POSIX's search; elsewhere shutil's own")
@pytest.mark.parametrize(
    "path",
    ["{bin}", "{plain}:{bin}", "{folder}:{bin}", "", ":", "{bin}:{bin}", "::{bin}", None],
)
def test_which_finds_what_shutil_which_finds(
    path: str | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir, plain_dir, folder_dir = (tmp_path / name for name in ("bin", "plain", "folder"))
    for folder in (bin_dir, plain_dir, folder_dir / "prog"):
        folder.mkdir(parents=True)
    executable(bin_dir / "prog")
    (plain_dir / "prog").write_text("not executable")
    monkeypatch.chdir(bin_dir)  # an empty entry is the current folder
    if path is None:
        monkeypatch.delenv("PATH")
    else:
        monkeypatch.setenv("PATH", path.format(bin=bin_dir, plain=plain_dir, folder=folder_dir))
    for name in ("prog", "sh", "no-such-program"):
        assert which(name) == shutil.which(name)


@pytest.mark.skipif(os.name != "posix", reason="a shell script as the layout program")
def test_a_layout_program_that_writes_nothing_is_a_render_error(tmp_path: Path) -> None:
    # A big picture is laid out into files (to keep its aspect): a program that exits 0
    # without writing them is a broken install, said so, not an internal error.
    program = executable(tmp_path / "dot")
    with pytest.raises(RenderError, match=r"^dot failed: it wrote no picture$"):
        aspect_kept(str(program), b"digraph { a -> b }", "svg")


@needs_spawn
def test_a_program_started_ahead_is_the_one_the_layout_feeds(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gradpipe.render import layout as layout_module

    dot = b'digraph { a -> b [label="&"] }'
    expected = layout_module.layout(dot, "svg")
    spawned: list[list[str]] = []
    real_spawn = os.posix_spawnp

    def spawn(path: str, argv: list[str], *args: object, **kwargs: object) -> int:
        spawned.append(list(argv))
        return real_spawn(path, argv, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(os, "posix_spawnp", spawn)
    with layout_module.started_ahead("svg"):
        assert len(spawned) == 1  # started before any DOT exists
        assert layout_module.layout(dot, "svg") == expected
        assert layout_module.layout(dot, "svg") == expected  # a second one starts anew
    assert len(spawned) == 2
    assert spawned[0] == spawned[1]


@needs_spawn
@pytest.mark.parametrize("fmt", ["svg", "png"])
def test_a_program_started_ahead_and_not_taken_is_killed_and_reaped(fmt: str) -> None:
    from gradpipe.render import layout as layout_module

    with layout_module.started_ahead(fmt):
        assert layout_module._ahead is not None
        pid = layout_module._ahead[1][0]
        # Another command (a big picture's layout writes files) does not take it.
        assert layout_module.run_program([*PYTHON, "print(1)"], b"") == b"1\n"
        assert layout_module._ahead is not None
    assert layout_module._ahead is None
    with pytest.raises(ChildProcessError):
        os.waitpid(pid, os.WNOHANG)  # reaped already: no zombie left
    assert not os.path.exists(f"/proc/{pid}")


def test_a_program_that_cannot_be_found_is_not_started_ahead(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gradpipe.render import layout as layout_module

    monkeypatch.setenv("GRADPIPE_GRAPHVIZ", "nonsense")
    with layout_module.started_ahead("svg"):
        assert layout_module._ahead is None
        with pytest.raises(RenderError, match="GRADPIPE_GRAPHVIZ='nonsense'"):
            layout_module.layout(b"digraph {}", "svg")  # reported in its turn


@needs_spawn
@pytest.mark.parametrize("fmt", ["svg", "png", "pdf", "html"])
def test_render_of_bad_input_leaves_no_layout_program_behind(
    fmt: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from conftest import invoke

    spawned: list[int] = []
    real_spawn = os.posix_spawnp

    def spawn(*args: object, **kwargs: object) -> int:
        spawned.append(real_spawn(*args, **kwargs))  # type: ignore[arg-type]
        return spawned[-1]

    monkeypatch.setattr(os, "posix_spawnp", spawn)
    result = invoke("render", "-f", fmt, "-", stdin="values: {x: 1}\nnodes: {y: 'x +'}\n")
    assert result.exit_code == 1, result.stderr
    assert "<stdin>:2:" in result.stderr
    assert len(spawned) == 1  # started ahead, then killed and reaped
    with pytest.raises(ChildProcessError):
        os.waitpid(spawned[0], os.WNOHANG)
