"""Timing, subprocesses and result rows: what every figure shares."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
import threading
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from time import perf_counter
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
BUILD = ROOT / "build" / "bench"
BIN = Path(sys.executable).parent


class Unavailable(Exception):
    """A figure cannot be measured here (a missing piece, a failing command): n/a."""


class TimedOut(Unavailable):
    """A command ran past its time limit: for a figure with a time target, a miss."""


@dataclass(frozen=True)
class Config:
    """Sizes and repeats of a run: the full suite, or ``--quick`` (smaller, fewer)."""

    quick: bool

    @property
    def engine_sizes(self) -> tuple[int, ...]:
        """Node counts of the engine figure."""
        return (10_000, 100_000) if self.quick else (10_000, 100_000, 1_000_000)

    @property
    def cli_sizes(self) -> tuple[int, ...]:
        """Node counts of the CLI figure."""
        return (100_000,) if self.quick else (100_000, 1_000_000)

    @property
    def cli_workloads(self) -> tuple[str, ...]:
        """Workloads of the CLI figure."""
        return ("mlp-sum",) if self.quick else ("mlp-sum", "chain")

    @property
    def yaml_nodes(self) -> int:
        """Node count of the YAML spec."""
        return 10_000 if self.quick else 30_000

    @property
    def render_nodes(self) -> int:
        """Node count of the dot/json/mermaid figure."""
        return 50_000 if self.quick else 1_000_000

    @property
    def startup_runs(self) -> int:
        """Runs of each start-up command (the median counts)."""
        return 5 if self.quick else 11

    @property
    def batch_files(self) -> int:
        """Files of the --jobs figures."""
        return 50 if self.quick else 200

    @property
    def invocation_files(self) -> int:
        """Files of the one-process-against-one-per-file figure."""
        return 50 if self.quick else 200

    def engine_turns(self, nodes: int) -> int:
        """Turns of each engine's process in the engine figure (each ``repeat`` runs)."""
        if nodes >= 1_000_000:
            return 1
        if nodes >= 100_000:
            return 1 if self.quick else 2
        return 2 if self.quick else 4

    def repeat(self, nodes: int) -> int:
        """Repeats of a measurement: more for small, quick ones (the best counts)."""
        if nodes >= 1_000_000:
            return 1 if self.quick else 2
        if nodes >= 100_000:
            return 2 if self.quick else 5
        return 7 if self.quick else 15  # runs of 10-30 ms: one preemption spoils one


@dataclass
class Row:
    """One line of the table: a figure, its measurement, its target and whether it is met."""

    figure: str
    measured: str
    target: str
    met: bool | None  # None: not applicable (n/a, or information only)
    ratio: float | None = None
    details: dict[str, Any] = field(default_factory=dict)

    @property
    def verdict(self) -> str:
        """yes / no / n/a / info, for the table."""
        if self.met is None:
            return "n/a" if self.measured.startswith("n/a") else "-"
        return "yes" if self.met else "NO"


def not_available(figure: str, target: str, reason: str) -> Row:
    """The row of a figure that could not be measured, with why."""
    short = reason if len(reason) <= 90 else reason[:89] + "…"
    return Row(figure, f"n/a ({short})", target, None, details={"reason": reason})


@dataclass
class Run:
    """A finished child process: wall time, peak RSS, status and its output."""

    seconds: float
    max_rss: int  # bytes
    cpu: float  # user + system seconds, the child's own and its waited-for children's
    returncode: int
    stdout: bytes
    stderr: bytes

    def check(self, what: str) -> Run:
        """This run, or Unavailable naming the failure (the last line of stderr)."""
        if self.returncode != 0:
            lines = self.stderr.decode(errors="replace").strip().splitlines()
            reason = lines[-1] if lines else "no message"
            raise Unavailable(f"{what} exited {self.returncode}: {reason[:160]}")
        return self


def environment(extra: dict[str, str] | None = None) -> dict[str, str]:
    """The environment of child processes: the venv's bin first, benchmarks importable."""
    env = dict(os.environ, **(extra or {}))
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PYTHONPATH"] = str(ROOT)
    env.pop("PYTHONTRACEMALLOC", None)
    # As installed, Python caches bytecode: without it every run would compile gradpipe anew.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def run(
    command: Sequence[str | Path],
    *,
    timeout: float = 600.0,
    stdin: Path | None = None,
    cwd: Path | None = None,
    env: dict[str, str] | None = None,
) -> Run:
    """Run ``command`` to its end; its own peak RSS comes from ``wait4``, not a shared max."""
    with tempfile.TemporaryFile() as out, tempfile.TemporaryFile() as err:
        source = open(stdin, "rb") if stdin else subprocess.DEVNULL  # noqa: SIM115
        try:
            start = perf_counter()
            proc = subprocess.Popen(
                [str(c) for c in command],
                stdin=source,
                stdout=out,
                stderr=err,
                cwd=cwd or ROOT,
                env=environment(env),
            )
            waited: list[tuple[int, int, Any]] = []
            waiter = threading.Thread(target=lambda: waited.append(os.wait4(proc.pid, 0)))
            waiter.start()
            waiter.join(timeout)
            if waiter.is_alive():
                proc.kill()
                waiter.join()
                proc.returncode = -9
                raise TimedOut(f"timed out after {timeout:.0f} s")
            seconds = perf_counter() - start
        finally:
            if stdin:
                source.close()  # type: ignore[union-attr]
        _, status, usage = waited[0]
        proc.returncode = os.waitstatus_to_exitcode(status)
        out.seek(0)
        err.seek(0)
        cpu = usage.ru_utime + usage.ru_stime
        return Run(seconds, usage.ru_maxrss * 1024, cpu, proc.returncode, out.read(), err.read())


def instructions(command: Sequence[str | Path]) -> int:
    """Instructions ``command`` runs, counted by callgrind: the same however busy the machine.

    Only the process itself is counted, not the programs it starts. Unavailable without
    valgrind. ``PYTHONHASHSEED`` is fixed, so dictionaries are laid out alike every run.
    """
    valgrind = shutil.which("valgrind")
    if valgrind is None:
        raise Unavailable("no valgrind for instruction counts")
    counting = [valgrind, "--tool=callgrind", "--callgrind-out-file=/dev/null", *command]
    done = run(counting, env={"PYTHONHASHSEED": "0"}).check("callgrind")
    found = re.search(rb"Collected : (\d+)", done.stderr)
    if found is None:
        raise Unavailable("callgrind printed no count")
    return int(found.group(1))


def python(module: str, *args: str | Path, timeout: float = 600.0) -> Run:
    """Run ``python -m benchmarks.<module> args`` in a fresh interpreter."""
    return run([sys.executable, "-m", f"benchmarks.{module}", *args], timeout=timeout)


# The floor processes of benchmarks/floors.py.
FLOOR = [sys.executable, "-m", "benchmarks.floors"]


def best_run(
    command: Sequence[str | Path],
    repeat: int,
    what: str,
    timeout: float = 900.0,
    env: dict[str, str] | None = None,
) -> Run:
    """The fastest of ``repeat`` runs of ``command``; Unavailable if one fails."""
    runs = [run(command, timeout=timeout, env=env).check(what) for _ in range(max(1, repeat))]
    return min(runs, key=lambda r: r.seconds)


def interleaved(
    commands: dict[str, Sequence[str | Path]],
    rounds: int,
    timeout: float = 900.0,
) -> dict[str, Run]:
    """Each command's best of ``rounds`` runs, taken in turns (A B C, B C A, C A B, ...).

    Commands compared with each other then see the same load: a busy minute slows a run
    of each, not all the runs of one. A result's ``seconds`` is its best wall time, its
    ``cpu`` its least CPU time (a separate run's, perhaps), its ``max_rss`` its largest.
    """
    names = list(commands)
    runs: dict[str, list[Run]] = {name: [] for name in names}
    for turn in range(max(1, rounds)):
        for name in names[turn % len(names) :] + names[: turn % len(names)]:
            runs[name].append(run(commands[name], timeout=timeout).check(name))
    best: dict[str, Run] = {}
    for name, done in runs.items():
        fastest = min(done, key=lambda r: r.seconds)
        best[name] = Run(
            fastest.seconds,
            max(r.max_rss for r in done),
            min(r.cpu for r in done),
            fastest.returncode,
            fastest.stdout,
            fastest.stderr,
        )
    return best


def gradpipe_command() -> list[str]:
    """How a user runs the CLI: the console script beside this Python, else ``-m``."""
    script = BIN / "gradpipe"
    return [str(script)] if script.exists() else [sys.executable, "-m", "gradpipe"]


def timed(action: Callable[[], object]) -> float:
    """Seconds that ``action`` takes."""
    start = perf_counter()
    action()
    return perf_counter() - start


def size(nodes: int) -> str:
    """A node count for people: 1e5 for powers of ten, else the number."""
    exponent = len(str(nodes)) - 1
    return f"1e{exponent}" if nodes == 10**exponent else f"{nodes:,}"


def seconds(x: float) -> str:
    """A duration for people."""
    return f"{x * 1000:.0f} ms" if x < 1 else f"{x:.2f} s"


def ratio_row(
    figure: str,
    ours: float,
    baseline: float,
    *,
    at_most: float | None = None,
    at_least: float | None = None,
    names: tuple[str, str] = ("gradpipe", "baseline"),
    cpu: tuple[float, float] | None = None,
) -> Row:
    """A row comparing two times: a slowdown (``at_most``) or a speed-up (``at_least``).

    ``cpu`` (user + system seconds of each) adds their ratio: on a busy machine it is
    steadier than wall time, which is what the target is judged on.
    """
    if at_least is not None:
        value = baseline / ours
        target = f">= {at_least:g}x faster"
        met = value >= at_least
        shown = f"{value:.2f}x faster"
    else:
        assert at_most is not None
        value = ours / baseline
        target = f"<= {at_most:g}x"
        met = value <= at_most
        shown = f"{value:.2f}x"
    measured = f"{shown} ({names[0]} {seconds(ours)}, {names[1]} {seconds(baseline)})"
    details: dict[str, Any] = {names[0]: ours, names[1]: baseline}
    if cpu is not None and min(cpu) > 0:
        cpu_value = cpu[1] / cpu[0] if at_least is not None else cpu[0] / cpu[1]
        measured += f"; CPU {cpu_value:.2f}x"
        details["cpu"] = {names[0]: cpu[0], names[1]: cpu[1]}
    return Row(figure, measured, target, met, value, details)
