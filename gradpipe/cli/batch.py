"""Running one stage over many inputs: each on its own, in order, serially or in processes.

``run_batch`` is what every command ends in: it lists the inputs, plans where each result
goes, runs the stage, writes each result and has the reporter report each failure.

A stage is a picklable function ``(raw bytes, display path) -> output bytes`` that raises
``GradpipeError`` for bad input. Every input becomes an ``Outcome`` (its bytes, or its
formatted diagnostic), produced in input order whether the work runs here or in
worker processes, so a parallel run writes the same bytes and messages as a serial one.
"""

from __future__ import annotations

import contextlib
import errno
import os
import stat
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import partial
from typing import TYPE_CHECKING, BinaryIO, NoReturn

import click

from gradpipe.cli.options import SOURCE_KEY
from gradpipe.cli.output import write_file, write_stream
from gradpipe.cli.report import Diagnostic, Reporter, colour_wanted, diagnostic
from gradpipe.cli.signals import closed_pipe_ends_the_command
from gradpipe.collector import paused_gc
from gradpipe.documents.names import file_stem
from gradpipe.documents.plan import node_budget
from gradpipe.errors import (
    GradpipeError,
    StageFailure,
    collect_warnings,
    escape_control,
    format_error,
    warn,
)

if TYPE_CHECKING:
    from multiprocessing.pool import Pool

STDIN = "-"
STDIN_PATH = "<stdin>"
STDIN_STEM = "stdin"
INPUT_SUFFIXES = (".yaml", ".yml", ".json")

Stage = Callable[[bytes, str], "bytes | Deferred"]


class Input:
    """One input: its display path and the stem its outputs are named after.

    ``problem`` is an error found while listing inputs; standard input's bytes are read
    in the parent process into ``raw`` (workers cannot share it). A plain class, as
    ``Outcome`` is.
    """

    __slots__ = ("from_stdin", "path", "problem", "raw", "stem")

    def __init__(
        self,
        path: str,
        stem: str,
        problem: str | None = None,
        from_stdin: bool = False,
        raw: bytes | None = None,
    ) -> None:
        self.path = path
        self.stem = stem
        self.problem = problem
        self.from_stdin = from_stdin
        self.raw = raw


class Outcome:
    """What one input gave: bytes to write (or None), its error (None on success), and
    the warnings shown before it."""

    __slots__ = ("data", "error", "warnings")

    def __init__(
        self, data: bytes | None, error: Diagnostic | None, warnings: tuple[Diagnostic, ...] = ()
    ) -> None:
        self.data = data
        self.error = error
        self.warnings = warnings


class Deferred:
    """A stage's output, made once the input's bytes are let go (``process_input``).

    A graph document's text is about as big as its file, and the two held at once were
    ``backward``'s peak memory (README, figure 2). The bytes are needed while the stage
    runs, to place its errors; making the text cannot fail on the input.
    """

    __slots__ = ("make",)

    def __init__(self, make: Callable[[], bytes]) -> None:
        self.make = make


class Warned(bytes):
    """A stage's output with a warning for standard error (a sweep's failed points)."""

    warning: str

    def __new__(cls, data: bytes, warning: str) -> Warned:
        out = super().__new__(cls, data)
        out.warning = warning
        return out

    def __reduce__(self) -> tuple[type[Warned], tuple[bytes, str]]:
        return (Warned, (bytes(self), self.warning))


def expand_inputs(arguments: Sequence[str]) -> list[Input]:
    """Files as given, directories as their sorted ``*.yaml *.yml *.json``, ``-`` as stdin.

    No argument means standard input. A directory that cannot be listed or holds no
    input becomes an input with a ``problem``, reported in its turn like any bad file.
    """
    inputs: list[Input] = []
    for argument in arguments or [STDIN]:
        if argument == STDIN:
            inputs.append(Input(STDIN_PATH, STDIN_STEM, from_stdin=True))
        elif os.path.isdir(argument):
            inputs.extend(_directory_inputs(argument))
        else:
            inputs.append(Input(argument, file_stem(argument)))
    return inputs


def is_batch(arguments: Sequence[str]) -> bool:
    """Several inputs, or a directory (however many files it holds today)."""
    return len(arguments) > 1 or any(os.path.isdir(argument) for argument in arguments)


def plan_destinations(
    arguments: Sequence[str],
    inputs: Sequence[Input],
    out_file: str | None,
    out_dir: str | None,
    suffix: str,
) -> list[str | None]:
    """Where each input's result goes (None: standard output), or a UsageError up front.

    A batch needs ``--out-dir``; two inputs that would write the same file are refused
    before any work is done.
    """
    if out_file is not None and out_dir is not None:
        raise click.UsageError("use -o FILE or --out-dir DIR, not both")
    if out_dir is None:
        if is_batch(arguments):
            if out_file is not None:
                raise click.UsageError("-o FILE takes one input; use --out-dir DIR for several")
            raise click.UsageError("several inputs (or a directory) need --out-dir DIR")
        destination = None if out_file == STDIN else out_file
        return _refuse_inputs_as_outputs(inputs, [destination] * len(inputs))
    destinations: list[str | None] = []
    claimed: dict[str, str] = {}
    for item in inputs:
        if item.problem is not None:
            destinations.append(None)
            continue
        target = os.path.join(out_dir, item.stem + suffix)
        if target in claimed:
            raise click.UsageError(
                f"inputs {claimed[target]} and {item.path} would both write {target};"
                " rename one or run them separately"
            )
        claimed[target] = item.path
        destinations.append(target)
    return _refuse_inputs_as_outputs(inputs, destinations)


def _refuse_inputs_as_outputs(
    inputs: Sequence[Input], destinations: list[str | None]
) -> list[str | None]:
    """Refuse, before any work, an output that is one of the inputs: the same file, not name.

    Files are compared by device and inode, so a symlink, a hard link or another spelling
    of an input's path is caught too, and so is standard input redirected from the output
    (``gradpipe forward -o spec.yaml < spec.yaml``).
    """
    files: dict[tuple[int, int], str] = {}
    for item in inputs:
        if item.problem is None:
            found = _stdin_file() if item.from_stdin else _regular_file(item.path)
            if found is not None:
                files.setdefault(found, item.path)
    for destination in destinations:
        if destination is None or not files:
            continue
        found = _regular_file(destination)
        if found is not None and found in files:
            raise click.UsageError(
                f"the output {escape_control(destination)} is the input"
                f" {escape_control(files[found])}: writing it would destroy the input;"
                " choose another output"
            )
    return destinations


def _stdin_file() -> tuple[int, int] | None:
    """(device, inode) of the regular file standard input reads, if it reads one."""
    try:
        found = os.fstat(0)
    except OSError:
        return None
    return (found.st_dev, found.st_ino) if stat.S_ISREG(found.st_mode) else None


def _regular_file(path: str) -> tuple[int, int] | None:
    """(device, inode) of the regular file at ``path`` (through symlinks), else None."""
    try:
        found = os.stat(path)
    except (OSError, ValueError):
        return None
    return (found.st_dev, found.st_ino) if stat.S_ISREG(found.st_mode) else None


@contextmanager
def run_stage(
    stage: Stage, inputs: Sequence[Input], jobs: int, read_stdin: Callable[[], bytes]
) -> Iterator[Iterator[Outcome]]:
    """Outcomes in input order: computed here when ``jobs`` is 1, else by ``jobs`` processes.

    Leaving the context stops any worker still running (after an interrupt, a closed
    pipe), so no worker outlives the command.
    """
    inputs = [_read_stdin(item, read_stdin) if item.from_stdin else item for item in inputs]
    process = partial(process_input, stage)
    if jobs <= 1 or len(inputs) <= 1:
        yield map(process, inputs)
        return
    jobs = min(jobs, len(inputs))
    with _pool(jobs) as pool:
        yield pool.imap(process, inputs, chunksize=max(1, len(inputs) // (jobs * 8)))


def _read_stdin(item: Input, read_stdin: Callable[[], bytes]) -> Input:
    """Standard input read into ``item``, or the reason it could not be, as its problem."""
    try:
        raw = read_stdin()
    except OSError as error:
        return Input(item.path, item.stem, f"cannot read: {describe_os_error(error)}", True)
    except MemoryError:
        return Input(item.path, item.stem, OUT_OF_MEMORY, True)
    return Input(item.path, item.stem, from_stdin=True, raw=raw)


def process_input(stage: Stage, item: Input) -> Outcome:
    """Read and run one input; bad input becomes a formatted diagnostic, never a traceback.

    Errors and warnings that point into the input carry its source line for the reporter.
    """
    if item.problem is not None:
        return Outcome(None, Diagnostic(format_error(item.problem, item.path)))
    raw = item.raw
    noted: list[Diagnostic] = []
    with collect_warnings() as warnings:
        try:
            if raw is None:
                raw = read_input(item.path)
            with paused_gc():  # graphs hold no cycles: a collection would only rescan their nodes
                data = stage(raw, item.path)
                if isinstance(data, Deferred):  # the input's bytes go before the text comes
                    noted += (_diagnostic(warning, item.path, raw) for warning in warnings)
                    del warnings[:]
                    raw = None
                    data = data.make()
            if isinstance(data, Warned):  # a warning of the stage's own (a sweep's gaps)
                warn(data.warning, item.path)
                data = bytes(data)
            outcome = Outcome(data, None)
        except StageFailure as failure:
            outcome = Outcome(failure.report, _diagnostic(failure, item.path, raw))
        except GradpipeError as error:
            outcome = Outcome(None, _diagnostic(error, item.path, raw))
        except MemoryError:
            outcome = Outcome(None, Diagnostic(format_error(OUT_OF_MEMORY, item.path)))
        except Exception as error:  # a bug: reported for this input, and the batch goes on
            outcome = Outcome(None, Diagnostic(format_error(internal_error(error), item.path)))
    noted += (_diagnostic(warning, item.path, raw) for warning in warnings)
    if noted:
        outcome = Outcome(outcome.data, outcome.error, tuple(noted))
    return outcome


def _diagnostic(error: GradpipeError, path: str, raw: bytes | None) -> Diagnostic:
    """The error with the input's path when the library set none, and its source line."""
    error = _located(error, path)
    return diagnostic(error, raw if error.path == path else None)


OUT_OF_MEMORY = "out of memory: this input needs more memory than the machine gives"


def internal_error(error: BaseException) -> str:
    """The one line that reports a bug in gradpipe, naming the exception."""
    detail = " ".join(str(error).split())
    if len(detail) > 200:
        detail = detail[:199] + "…"
    name = type(error).__name__
    return f"internal error ({name}{': ' + detail if detail else ''}); please report it"


def read_input(path: str) -> bytes:
    """The file's bytes, or a GradpipeError saying why they cannot be read."""
    try:
        with open(path, "rb") as stream:
            return read_text_stream(stream)
    except OSError as error:
        raise GradpipeError(f"cannot read: {describe_os_error(error)}", path) from None


_CHUNK = 1 << 20


def read_text_stream(stream: BinaryIO | None) -> bytes:
    """All of a stream's bytes, stopping after a NUL byte, which no text file holds.

    So an endless binary stream (``/dev/zero``, a device) ends at once, and the loader
    reports the NUL at its place; UTF-16 text (NULs after a BOM) is still recognised.
    """
    if stream is None:  # the shell closed it (<&-)
        raise OSError(errno.EBADF, "standard input is closed")
    chunks: list[bytes] = []
    # On a terminal a short chunk is Ctrl-D: a buffered read returns short only at an end
    # of input, and reading on would need a second Ctrl-D, where cat needs one.
    terminal = stream.isatty()
    while True:
        chunk = stream.read(_CHUNK)
        if not chunk:
            return b"".join(chunks)
        nul = chunk.find(b"\0")
        if nul >= 0:
            chunks.append(chunk[: nul + 1])
            return b"".join(chunks)
        chunks.append(chunk)
        if terminal and len(chunk) < _CHUNK:
            return b"".join(chunks)


def describe_os_error(error: OSError) -> str:
    """The system's reason in the house style (lower case, no errno)."""
    reason = error.strerror or str(error)
    return reason[:1].lower() + reason[1:]


def _located(error: GradpipeError, path: str) -> GradpipeError:
    """The error with the input's path when the library did not set one."""
    if error.path is None:
        error.path = path
    return error


def _directory_inputs(directory: str) -> list[Input]:
    """A directory's inputs, sorted by name; hidden files (editor and temporary) skipped.

    A dangling link is an input (whose reading fails, reported): its file was lost.
    """
    try:
        names = sorted(os.listdir(directory))
    except OSError as error:
        return [Input(directory, "", problem=f"cannot list: {describe_os_error(error)}")]
    inputs = [
        Input(os.path.join(directory, name), file_stem(name))
        for name in names
        if name.endswith(INPUT_SUFFIXES)
        and not name.startswith(".")
        and _file_or_dangling_link(os.path.join(directory, name))
    ]
    if not inputs:
        problem = "no *.yaml, *.yml or *.json files in this directory"
        return [Input(directory, "", problem=problem)]
    return inputs


def _file_or_dangling_link(path: str) -> bool:
    return os.path.isfile(path) or (os.path.islink(path) and not os.path.exists(path))


def _pool(jobs: int) -> Pool:
    """A process pool, forked on Linux: workers start at once with gradpipe loaded.

    Elsewhere the platform's default (spawn) is safer; its workers import gradpipe anew.
    """
    import multiprocessing  # only parallel runs pay for it

    method = "fork" if sys.platform.startswith("linux") else None
    return multiprocessing.get_context(method).Pool(jobs, initializer=_start_worker)


def _start_worker() -> None:
    """A worker that is quiet and short-lived whatever happens to its parent.

    Ctrl-C is left to the parent, which stops the pool. Every input's diagnostics travel
    back as outcomes, so a worker has nothing to say on standard error: it goes to the null
    device, and a parent killed by SIGKILL leaves no BrokenPipe tracebacks behind. On
    Linux the kernel also ends the worker when its parent dies (PR_SET_PDEATHSIG).
    """
    import signal

    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 2)
    os.close(devnull)
    if sys.platform.startswith("linux"):
        import ctypes

        with contextlib.suppress(OSError, AttributeError):
            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGKILL)  # PR_SET_PDEATHSIG


def run_batch(
    stage: Stage,
    arguments: Sequence[str],
    jobs: int,
    *,
    out_file: str | None = None,
    out_dir: str | None = None,
    suffix: str | None = None,
    write: Callable[[str, bytes], None] = write_file,
    folders: bool = False,
    succeeded: str = "written",
    paint: Callable[[str], str] | None = None,
) -> NoReturn:
    """Run ``stage`` over every input, write each result, report each failure, and exit.

    Each input stands alone: a failure is reported in its turn and the others still
    run. Exits 1 when any failed, else 0. ``write`` puts a result at its destination;
    with ``folders`` one input writes into ``--out-dir`` itself, a batch into a folder
    per input. A batch ends with a summary line, ``N inputs: K <succeeded>, M failed``,
    on a terminal or when any input failed; ``paint`` colours what goes to standard
    output when it is a terminal (a check's table).
    """
    stdin = sys.stdin.buffer if sys.stdin is not None else None
    if not arguments and stdin is not None and stdin.isatty():
        raise click.UsageError("no INPUT given and standard input is a terminal")
    for option, value in (("-o", out_file), ("--out-dir", out_dir)):
        if value == "":
            raise click.BadOptionUsage(option, f"{option} '' names no file: give a path")
    inputs = expand_inputs(arguments)
    batch = is_batch(arguments)
    if suffix is None:
        destinations: list[str | None] = [None] * len(inputs)
    else:
        destinations = plan_destinations(arguments, inputs, out_file, out_dir, suffix)
        if folders and not batch:
            destinations = [out_dir] * len(inputs)
    context = click.get_current_context()
    source = context.meta.get(SOURCE_KEY)
    if source is None:
        source = not batch or (
            sys.stderr is not None and sys.stderr.isatty()
        )  # a batch's log keeps one line per error
    reporter = Reporter(show_source=source)
    budget = context.meta.get("gradpipe.max_nodes")
    if budget is not None:
        stage = partial(_within_budget, stage, budget)
    if out_dir is not None:
        try:
            os.makedirs(out_dir, exist_ok=True)
        except OSError as error:
            problem = f"cannot create the directory: {describe_os_error(error)}"
            reporter.report(problem, out_dir)
            context.exit(1)
    stdout = sys.stdout.buffer if sys.stdout is not None else None
    if paint is not None and (sys.stdout is None or not colour_wanted(sys.stdout)):
        paint = None
    jobs = jobs or os.cpu_count() or 1
    failed = 0
    with (
        closed_pipe_ends_the_command(),
        run_stage(stage, inputs, jobs, partial(read_text_stream, stdin)) as outcomes,
        reporter.progress(len(inputs), f"gradpipe {context.info_name}"),
    ):
        for item, destination in zip(inputs, destinations, strict=True):
            reporter.working_on(item.path)
            outcome = next(outcomes)
            for warning in outcome.warnings:
                reporter.show(warning)
            data = outcome.data
            done = outcome.error is None
            if data is not None and (data or destination is not None):
                if paint is not None and destination is None:
                    data = paint(data.decode("utf-8")).encode("utf-8")
                try:
                    if destination is None:
                        reporter.aside()
                        write_stream(open_stdout(stdout), data)
                    else:
                        write(destination, data)
                except BrokenPipeError:
                    raise  # the reader has gone: not this input's failure
                except OSError as error:
                    if destination is None:
                        discard_stdout()
                    where = STDOUT_PATH if destination is None else destination
                    reporter.report(f"cannot write: {describe_os_error(error)}", where)
                    done = False
            if outcome.error is not None:
                reporter.show(outcome.error)
            failed += not done
            reporter.advance()
    if batch and (failed or sys.stderr.isatty()):
        reporter.summary(len(inputs), failed, succeeded)
    context.exit(reporter.status)


STDOUT_PATH = "<stdout>"


def open_stdout(stdout: BinaryIO | None) -> BinaryIO:
    """Standard output, or an OSError when the shell closed it (``>&-``)."""
    if stdout is None:
        raise OSError(errno.EBADF, "standard output is closed")
    return stdout


def discard_stdout() -> None:
    """After a failed write, point standard output at the null device.

    Python's final flush of what is still buffered must not fail again (and print a
    traceback at exit).
    """
    if sys.stdout is None:
        return
    with contextlib.suppress(OSError, ValueError):
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)


def _within_budget(stage: Stage, budget: int, raw: bytes, path: str) -> bytes | Deferred:
    """``stage`` with ``--max-nodes``'s budget (a module-level function, so it pickles)."""
    with node_budget(budget):
        return stage(raw, path)
