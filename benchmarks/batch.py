"""Figure 6: batches: ``--jobs 2`` against ``--jobs 1``, one process against many."""

from __future__ import annotations

import multiprocessing
import shutil
from pathlib import Path

from benchmarks.measure import (
    BUILD,
    ROOT,
    Config,
    Row,
    Unavailable,
    best_run,
    gradpipe_command,
    not_available,
    ratio_row,
    run,
    timed,
)
from benchmarks.specs import TINY_SPEC, cache_dir, spec_text, write_atomically
from benchmarks.workloads import WORKLOADS, make_spec

JOBS_TARGET = 1.6  # --jobs 2 at least this many times faster than --jobs 1
PROCESS_TARGET = 10.0  # one process at least this many times faster than one per file
MEDIUM_SIZES = (200, 500, 1000, 2000)


def example_files(count: int) -> Path:
    """A folder of ``count`` copies of examples/*.yaml (the tiny neuron if there are none)."""
    folder = BUILD / f"batch-examples-{count}"
    sources = sorted((ROOT / "examples").glob("*.yaml"))
    texts = [(p.stem, p.read_text(encoding="utf-8")) for p in sources] or [("neuron", TINY_SPEC)]
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    for i in range(count):
        stem, text = texts[i % len(texts)]
        (folder / f"{i:03d}-{stem}.yaml").write_text(text, encoding="utf-8")
    return folder


def medium_files(count: int) -> Path:
    """A folder of ``count`` YAML specs of 200 to 2,000 nodes, every workload in turn."""
    folder = cache_dir() / f"batch-medium-{count}"
    if not folder.exists():
        names = list(WORKLOADS)
        partial = folder.with_name(folder.name + ".partial")
        shutil.rmtree(partial, ignore_errors=True)
        for i in range(count):
            workload = names[i % len(names)]
            nodes = MEDIUM_SIZES[(i // len(names)) % len(MEDIUM_SIZES)]
            text = spec_text(make_spec(workload, nodes, seed=i), "yaml")
            write_atomically(partial / f"{i:03d}-{workload}.yaml", text)
        partial.rename(folder)
    return folder


def spin(steps: int) -> int:
    """Pure Python busy work: what one core does when nothing else wants it."""
    total = 0
    for i in range(steps):
        total += i
    return total


def parallel_row() -> Row:
    """How much faster two busy processes finish than one: the most ``--jobs 2`` can gain.

    On a machine whose other work takes a core, this is near 1 and no --jobs target can
    be met; the row makes such a run readable.
    """
    steps = 5_000_000
    serial = timed(lambda: [spin(steps) for _ in range(4)])
    with multiprocessing.get_context("fork").Pool(2) as pool:
        pool.map(spin, [1, 1])  # workers started before the clock
        parallel = timed(lambda: pool.map(spin, [steps] * 4, chunksize=1))
    row = ratio_row(
        "6 batch machine: 2 busy processes vs 1 (calibration)",
        parallel,
        serial,
        at_least=0.0,
        names=("2 processes", "1 process"),
    )
    row.target, row.met = "- (2 idle cores: ~2x)", None
    return row


def rows(config: Config) -> list[Row]:
    """The --jobs rows on example copies and on medium specs, and the one-process row."""
    count = config.batch_files
    table = [parallel_row()]
    try:
        examples = example_files(count)
    except OSError as error:
        return [*table, not_available("6 batch", "-", str(error))]
    for label, folder in (
        (f"{count} example files", examples),
        (f"{count} files of 200-2,000 nodes", medium_files(count)),
    ):
        table.append(jobs_row(label, folder, 2 if config.quick else 3))
    table.append(process_row(config.invocation_files))
    return table


def jobs_row(label: str, folder: Path, repeat: int) -> Row:
    """``backward DIR --out-dir OUT --jobs 2`` against ``--jobs 1``."""
    figure = f"6 batch --jobs 2 vs --jobs 1, {label}"
    out = BUILD / "out" / f"batch-{folder.name}"
    command = [*gradpipe_command(), "backward", folder, "--out-dir", out, "--jobs"]
    try:
        one = best_run([*command, "1"], repeat, "backward --jobs 1")
        two = best_run([*command, "2"], repeat, "backward --jobs 2")
    except Unavailable as error:
        return not_available(figure, f">= {JOBS_TARGET:g}x faster", str(error))
    row = ratio_row(
        figure, two.seconds, one.seconds, at_least=JOBS_TARGET, names=("jobs 2", "jobs 1")
    )
    # On a busy machine a second process finds no idle core: CPU time tells them apart.
    row.measured += f"; CPU {two.cpu:.2f} s vs {one.cpu:.2f} s"
    row.details.update(cpu_jobs_2=two.cpu, cpu_jobs_1=one.cpu)
    return row


def process_row(count: int) -> Row:
    """One ``backward DIR --out-dir`` against one ``backward FILE -o`` per file."""
    figure = f"6 batch one process vs {count} invocations, example files"
    out = BUILD / "out" / "batch-separate"
    out.mkdir(parents=True, exist_ok=True)
    try:
        folder = example_files(count)
        one = best_run(
            [*gradpipe_command(), "backward", folder, "--out-dir", out], 3, "backward DIR"
        )
        separate = separate_cpu = 0.0
        for path in sorted(folder.glob("*.yaml")):
            command = [*gradpipe_command(), "backward", path, "-o", out / f"{path.stem}.json"]
            done = run(command).check("backward FILE")
            separate += done.seconds
            separate_cpu += done.cpu
    except Unavailable as error:
        return not_available(figure, f">= {PROCESS_TARGET:g}x faster", str(error))
    return ratio_row(
        figure,
        one.seconds,
        separate,
        at_least=PROCESS_TARGET,
        names=("one process", "separate"),
        cpu=(one.cpu, separate_cpu),
    )
