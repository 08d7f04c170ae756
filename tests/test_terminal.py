"""What a person at a terminal sees: colour, the progress bar, summaries, shell completion.

A real terminal where it matters: each command runs on a pseudo-terminal (python's pty
module), so gradpipe sees what it sees in a shell; the same commands through pipes show
that files and pipes get plain text.
"""

from __future__ import annotations

import os
import pty
import re
import select
import shutil
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path

import pytest
from conftest import run_gradpipe

from gradpipe.cli import terminal

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
BAD = "values:\n  x1: 2.0\nnodes:\n  n: x1*x3\n"
GOOD = "values:\n  x: 3\nnodes:\n  y: x*x\n"
RED = "\x1b[31m"
ESC = "\x1b["


def plain_env(**extra: str) -> dict[str, str]:
    """The environment without colour settings, with ``extra`` added."""
    env = {k: v for k, v in os.environ.items() if k not in ("NO_COLOR", "FORCE_COLOR")}
    env.update({"TERM": "xterm-256color", "COLUMNS": "100", **extra})
    return env


def spawn_on_terminal(
    args: Sequence[str], cwd: Path, env: dict[str, str] | None = None, piped_stdin: bool = False
) -> tuple[subprocess.Popen[bytes], int]:
    """Start with stdout and stderr (and stdin, unless piped) on a pseudo-terminal."""
    controller, terminal = pty.openpty()
    process = subprocess.Popen(
        list(args),
        stdin=subprocess.PIPE if piped_stdin else terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=cwd,
        env=env or plain_env(),
        close_fds=True,
    )
    os.close(terminal)
    return process, controller


def run_on_terminal(
    args: Sequence[str],
    cwd: Path,
    env: dict[str, str] | None = None,
    stdin: str | None = None,
    timeout: float = 60,
) -> tuple[int, str]:
    """Run on a pseudo-terminal; its exit status and all it showed there."""
    process, controller = spawn_on_terminal(args, cwd, env, piped_stdin=stdin is not None)
    if stdin is not None:
        assert process.stdin is not None
        process.stdin.write(stdin.encode())
        process.stdin.close()
    output = _read_all(controller, process, timeout)
    return process.wait(), output


def _read_all(controller: int, process: subprocess.Popen[bytes], timeout: float) -> str:
    chunks: list[bytes] = []
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.1)
        if ready:
            try:
                chunk = os.read(controller, 65536)
            except OSError:  # the terminal's other side has closed
                break
            if not chunk:
                break
            chunks.append(chunk)
        elif process.poll() is not None:
            break
    else:
        process.kill()
        pytest.fail("the command did not finish")
    os.close(controller)
    return b"".join(chunks).decode("utf-8", "replace")


def gradpipe_args(*args: str) -> list[str]:
    return [sys.executable, "-m", "gradpipe", *args]


def through_pipes(
    *args: str, cwd: Path, env: dict[str, str] | None = None, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    return run_gradpipe(*args, cwd=cwd, stdin=stdin, env=env or plain_env())


@pytest.fixture
def specs(tmp_path: Path) -> Path:
    (tmp_path / "bad.yaml").write_text(BAD)
    (tmp_path / "good.yaml").write_text(GOOD)
    return tmp_path


# --- colour ----------------------------------------------------------------------------


def test_an_error_is_red_on_a_terminal(specs: Path) -> None:
    status, shown = run_on_terminal(gradpipe_args("forward", "bad.yaml"), specs)
    assert status == 1
    assert RED in shown
    assert re.sub(r"\x1b\[[0-9;]*m", "", shown).startswith("bad.yaml:4:9: error: unknown name")


def test_no_colour_in_pipes_or_files(specs: Path) -> None:
    result = through_pipes("forward", "bad.yaml", cwd=specs)
    assert result.returncode == 1
    assert ESC not in result.stderr


def test_no_color_turns_colour_off_on_a_terminal(specs: Path) -> None:
    _, shown = run_on_terminal(
        gradpipe_args("forward", "bad.yaml"), specs, env=plain_env(NO_COLOR="1")
    )
    assert ESC not in shown
    assert "bad.yaml:4:9: error: unknown name" in shown


def test_force_color_turns_colour_on_in_a_pipe(specs: Path) -> None:
    result = through_pipes("forward", "bad.yaml", cwd=specs, env=plain_env(FORCE_COLOR="1"))
    assert RED in result.stderr


def test_check_colours_ok_and_mismatch_on_a_terminal(specs: Path) -> None:
    status, shown = run_on_terminal(gradpipe_args("check", "good.yaml"), specs)
    assert status == 0
    assert "\x1b[32mok" in shown
    piped = through_pipes("check", "good.yaml", cwd=specs)
    assert ESC not in piped.stdout
    (specs / "kink.yaml").write_text("values:\n  x: 1e-7\nnodes:\n  y: relu(x)*1e9\n")
    # A mismatch, whatever check says of kinks, shows red where it is reported.
    status, shown = run_on_terminal(gradpipe_args("check", "kink.yaml", "--eps", "1e-3"), specs)
    if "MISMATCH" in re.sub(r"\x1b\[[0-9;]*m", "", shown):
        assert re.search(r"\x1b\[31m(\x1b\[1m)?MISMATCH", shown)


def test_a_warning_is_coloured_apart_from_an_error(specs: Path) -> None:
    (specs / "flow.json").write_text("{values: {x: 1}, nodes: {y: x*2}}\n")
    _, shown = run_on_terminal(gradpipe_args("forward", "flow.json", "-o", "out.json"), specs)
    assert "warning:" in re.sub(r"\x1b\[[0-9;]*m", "", shown)
    assert "\x1b[35m" in shown or "\x1b[33m" in shown


def test_one_ctrl_d_ends_a_spec_typed_on_the_terminal(specs: Path) -> None:
    """As with cat: Ctrl-D at the start of a line ends standard input. Read in chunks, the
    typed lines came back as a short chunk and a second Ctrl-D was needed."""
    process, controller = spawn_on_terminal(gradpipe_args("forward", "-"), specs)
    try:
        os.write(controller, b"values: {x: 3}\nnodes: {y: x*x}\n")
        time.sleep(0.5)  # the lines are read before Ctrl-D is typed, as a person types them
        os.write(controller, b"\x04")
        shown = _read_until(controller, '"output"', 20)
        assert process.wait(timeout=20) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        os.close(controller)
    assert '"value": 9' in shown


# --- progress and summaries ------------------------------------------------------------


@pytest.fixture
def batch(tmp_path: Path) -> Path:
    folder = tmp_path / "specs"
    folder.mkdir()
    for number in range(12):
        (folder / f"s{number:02}.yaml").write_text(GOOD)
    (folder / "s05.yaml").write_text(BAD)
    return tmp_path


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_the_progress_bar_shows_n_of_total_and_the_file(batch: Path, jobs: str) -> None:
    status, shown = run_on_terminal(
        gradpipe_args("forward", "specs", "--out-dir", "out", "--jobs", jobs), batch
    )
    assert status == 1
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", shown)
    assert re.search(r"\b12/12\b", text), text
    assert re.search(r"specs/s\d\d\.yaml", text.replace("specs/s05.yaml:4:9", ""))
    assert "specs/s05.yaml:4:9: error: unknown name 'x3'" in text
    assert text.rstrip().splitlines()[-1].strip() == "12 inputs: 11 written, 1 failed"


def test_a_dumb_terminal_gets_no_progress_bar_only_plain_lines(batch: Path) -> None:
    """TERM=dumb (Emacs' shell, an editor's console) cannot erase a line: the bar's
    \r ESC[K would show there as text, so it gets the plain lines a pipe gets."""
    status, shown = run_on_terminal(
        gradpipe_args("forward", "specs", "--out-dir", "out"), batch, env=plain_env(TERM="dumb")
    )
    assert status == 1
    assert shown.replace("\r\n", "\n").splitlines() == [
        "specs/s05.yaml:4:9: error: unknown name 'x3' in node 'n' (did you mean 'x1'?)",
        " 4 |   n: x1*x3",
        "   |         ^",
        "12 inputs: 11 written, 1 failed",
    ]


@pytest.mark.parametrize("jobs", ["1", "2"])
def test_a_table_on_the_same_terminal_starts_on_a_line_of_its_own(batch: Path, jobs: str) -> None:
    """check's tables go to standard output, the bar to standard error, both one terminal:
    the bar is taken off its line before a table is written, not left in front of it."""
    (batch / "specs" / "s05.yaml").write_text(GOOD)
    status, shown = run_on_terminal(gradpipe_args("check", "specs", "--jobs", jobs), batch)
    assert status == 0
    tables = list(re.finditer(r"specs/s\d\d\.yaml: gradients of", shown))
    assert len(tables) == 12
    for table in tables:
        before = shown[: table.start()]
        assert before == "" or before.endswith(("\n", "\r\x1b[K")), repr(before[-120:])
    text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", shown)
    assert text.rstrip().splitlines()[-1].strip() == "12 inputs: 12 passed"


def test_a_batch_without_a_terminal_sums_up_only_when_one_failed(batch: Path) -> None:
    result = through_pipes("forward", "specs", "--out-dir", "out", cwd=batch)
    assert result.returncode == 1
    lines = result.stderr.splitlines()
    assert (
        lines[0] == "specs/s05.yaml:4:9: error: unknown name 'x3' in node 'n' (did you mean 'x1'?)"
    )
    assert lines[-1] == "12 inputs: 11 written, 1 failed"
    (batch / "specs" / "s05.yaml").write_text(GOOD)
    result = through_pipes("forward", "specs", "--out-dir", "out", cwd=batch)
    assert result.returncode == 0
    assert result.stderr == ""


def test_validate_and_check_sum_up_in_their_own_words(batch: Path) -> None:
    assert through_pipes("validate", "specs", cwd=batch).stderr.splitlines()[-1] == (
        "12 inputs: 11 valid, 1 failed"
    )
    assert through_pipes("check", "specs", cwd=batch).stderr.splitlines()[-1] == (
        "12 inputs: 11 passed, 1 failed"
    )


# --- completion ------------------------------------------------------------------------


def complete(shell: str, words: str, cword: int, cwd: Path) -> list[str]:
    """Click's completion protocol, as the installed shell script calls it."""
    env = plain_env(
        _GRADPIPE_COMPLETE=f"{shell}_complete",
        COMP_WORDS=words,
        COMP_CWORD=str(cword),
    )
    done = subprocess.run(
        [str(BIN / "gradpipe")], capture_output=True, text=True, cwd=cwd, env=env, check=False
    )
    return done.stdout.splitlines()


@pytest.mark.parametrize(
    ("words", "cword"),
    [
        ("gradpipe forward go", 2),
        ("gradpipe render -o go", 3),
        ("gradpipe backward bad.yaml go", 3),
        ("gradpipe check go", 2),
    ],
)
def test_completion_asks_the_shell_for_file_names_for_input_and_out(
    specs: Path, words: str, cword: int
) -> None:
    assert complete("bash", words, cword, specs) == ["file,go"]


@pytest.mark.parametrize(
    ("words", "offered"),
    [("gradpipe render --rankdir ", ["LR", "TB"]), ("gradpipe render --rankdir t", ["TB"])],
)
def test_completion_offers_rankdir_as_written(specs: Path, words: str, offered: list[str]) -> None:
    assert complete("bash", words, 3, specs) == [f"plain,{choice}" for choice in offered]


@pytest.mark.parametrize(
    ("words", "cword", "offered"),
    [
        ("gradpipe backward good.yaml --set ", 4, ["x="]),
        ("gradpipe check good.yaml bad.yaml --set x", 5, ["x=", "x1="]),
        ("gradpipe backward good.yaml --output ", 4, ["x", "y"]),
        ("gradpipe render bad.yaml --focus n", 4, ["n"]),
        ("gradpipe sweep good.yaml --vary ", 4, ["x="]),
        ("gradpipe sweep bad.yaml --wrt ", 4, ["x1"]),
        ("gradpipe backward good.yaml --set x=1 --output y", 6, ["y"]),
        ("gradpipe backward --set ", 3, []),  # no input typed yet: nothing to offer
        ("gradpipe examples neu", 2, ["neuron"]),
    ],
)
def test_completion_offers_the_names_of_the_inputs_typed_so_far(
    specs: Path, words: str, cword: int, offered: list[str]
) -> None:
    """--set and --vary offer the leaves as NAME=, --output and --focus the named nodes,
    --wrt the leaves, of the input files on the line; examples NAME the bundled ones."""
    shown = [line for line in complete("bash", words, cword, specs) if line]
    assert shown == [f"plain,{name}" for name in offered]


def test_show_completion_prints_each_shells_script(tmp_path: Path) -> None:
    markers = (("bash", "complete -o"), ("zsh", "compdef"), ("fish", "--command gradpipe"))
    for shell, marker in markers:
        result = through_pipes("--show-completion", shell, cwd=tmp_path)
        assert result.returncode == 0, result.stderr
        assert marker in result.stdout
        assert "_GRADPIPE_COMPLETE" in result.stdout


def test_install_completion_writes_where_each_shell_looks(tmp_path: Path) -> None:
    home = tmp_path / "home"
    home.mkdir()
    env = plain_env(HOME=str(home), XDG_CONFIG_HOME="", XDG_DATA_HOME="")
    for shell in ("bash", "zsh", "fish"):
        result = through_pipes("--install-completion", shell, cwd=tmp_path, env=env)
        assert result.returncode == 0, result.stderr
    fish = home / ".config" / "fish" / "completions" / "gradpipe.fish"
    assert "--command gradpipe" in fish.read_text()
    bashrc = (home / ".bashrc").read_text()
    zshrc = (home / ".zshrc").read_text()
    # Installing twice adds nothing more.
    through_pipes("--install-completion", "bash", cwd=tmp_path, env=env)
    assert (home / ".bashrc").read_text() == bashrc
    assert "gradpipe" in bashrc and "gradpipe" in zshrc


@pytest.mark.skipif(shutil.which("bash") is None, reason="bash is not installed")
def test_bash_completes_an_input_file_name_on_a_terminal(specs: Path) -> None:
    """Tab in a real interactive bash: the completion script sourced, then 'go' + Tab."""
    (specs / "goodbye.json").write_text("{}")
    (specs / "gone").mkdir()
    script = through_pipes("--show-completion", "bash", cwd=specs).stdout
    (specs / "completion.bash").write_text(script)
    env = plain_env(PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", PS1="$ ")
    process, controller = spawn_on_terminal(["bash", "--norc", "--noprofile", "-i"], specs, env)
    try:
        os.write(controller, b"bind 'set show-all-if-ambiguous on'\n. ./completion.bash\n")
        os.write(controller, b"gradpipe forward good.y\t")
        shown = _read_until(controller, "good.yaml ", 20)
        os.write(controller, b"\x15gradpipe render -o go\t")
        shown += _read_until(controller, "goodbye.json", 20)
    finally:
        os.write(controller, b"\x15exit\n")
        process.wait(timeout=10)
        os.close(controller)
    assert "gradpipe forward good.yaml " in shown
    assert "good.yaml" in shown and "goodbye.json" in shown and "gone/" in shown


def _read_until(controller: int, wanted: str, timeout: float) -> str:
    seen = ""
    deadline = time.monotonic() + timeout
    while wanted not in seen and time.monotonic() < deadline:
        ready, _, _ = select.select([controller], [], [], 0.2)
        if ready:
            seen += os.read(controller, 65536).decode("utf-8", "replace")
    return seen


def test_the_estimate_is_wall_time_per_finished_input_so_under_jobs_too() -> None:
    """Two workers finish inputs twice as fast: the estimate follows the throughput seen."""
    import io

    from gradpipe.cli.terminal import Progress

    bar = Progress(20, "gradpipe forward", io.StringIO())
    started = bar.started
    assert bar.eta(started + 1.0) is None
    for _ in range(5):  # 5 inputs done in 10 s, whether by one worker or by several
        bar.advance()
    assert bar.eta(started + 10.0) == pytest.approx(30.0)
    bar.working_on("specs/s06.yaml")
    line = bar.line(started + 10.0)
    assert " 5/20 " in line and "ETA 0:30" in line and line.endswith("specs/s06.yaml")


def test_a_long_line_is_measured_once(monkeypatch: pytest.MonkeyPatch) -> None:
    """A minified JSON file is one long line: its excerpt measures each character once, not
    every character before it again (that took 48 s for a 23 KB line)."""
    calls = 0
    width = terminal._width

    def counted(text: str) -> int:
        nonlocal calls
        calls += 1
        return width(text)

    monkeypatch.setattr(terminal, "_width", counted)
    line = "\t".join(f'"x{i}": {i}.0' for i in range(2_000))
    excerpt = terminal.source_excerpt(line.encode(), 1, len(line) - 3)
    assert calls < 2 * len(line)
    assert excerpt[0].endswith("1999.0") and excerpt[1].endswith("^")


def test_the_bar_shows_a_file_name_escaped_and_within_the_terminal(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """A file name is user text: a control character in it is shown escaped (raw, ESC would
    command the terminal and a newline break the bar in two), and a wide name is cut to the
    terminal's cells, not characters, so the bar never wraps onto a line \\r cannot clear."""
    import io

    from gradpipe.cli.terminal import Progress

    monkeypatch.setenv("COLUMNS", "80")
    shown = io.StringIO()
    bar = Progress(20, "gradpipe forward", shown)
    bar.working_on("specs/a\x1b[2Jb\nc.yaml")
    drawn = shown.getvalue().removeprefix("\r\x1b[K")
    start = "gradpipe forward [------------------------] 0/20   0%  "
    assert drawn == start + "specs/a\\x1b[2Jb\\nc.yaml"
    shown.truncate(0)
    bar.working_on("模型/很长很长很长很长很长很长很长很长.yaml")
    bar.redraw()  # drawn at once, not 0.1 s after the last time
    drawn = shown.getvalue().split("\r\x1b[K")[-1]
    assert drawn == start + "模型/很长很长很长很长很"
    assert terminal._width(drawn) == 78  # 79 cells at most; a wide character more is 80


@pytest.mark.skipif(shutil.which("fish") is None, reason="fish is not installed")
def test_fish_shows_a_whole_description_and_a_value_with_a_comma(specs: Path) -> None:
    """click's fish script split each answer at every comma, not the first: a command's
    help was cut at its first comma ('render  Draw the graph: svg')."""
    script = through_pipes("--show-completion", "fish", cwd=specs).stdout
    (specs / "completion.fish").write_text(script)
    env = plain_env(PATH=f"{BIN}{os.pathsep}{os.environ.get('PATH', '')}", HOME=str(specs))
    done = subprocess.run(
        ["fish", "--no-config", "-c", 'source completion.fish; complete -C "gradpipe exa"'],
        capture_output=True,
        text=True,
        cwd=specs,
        env=env,
        check=False,
        timeout=60,
    )
    assert done.stdout == "examples\tList the bundled examples, or print...\n"  # as zsh shows it
