"""``render --frames`` and ``render --watch``: the render command's two step-by-step modes.

``--frames`` writes a folder of pictures per input, through the batch runner like every
command. ``--watch`` renders one input again each time it changes: it polls the file's
modification time and size (no dependency, works on every file system), reports a bad
edit as any error is reported and keeps the last good output, and for an HTML page also
writes the side file that the open page polls to reload itself.
"""

from __future__ import annotations

import os
import sys
import time
from collections.abc import Callable, Mapping
from functools import partial
from typing import Any, NoReturn

import click

from gradpipe.cli.batch import (
    STDIN,
    describe_os_error,
    is_batch,
    read_input,
    run_batch,
)
from gradpipe.cli.output import write_atomic
from gradpipe.cli.report import Reporter
from gradpipe.errors import GradpipeError

# How often --watch looks at the input; GRADPIPE_WATCH_INTERVAL (seconds) changes it.
WATCH_INTERVAL = 0.3
WATCH_SUFFIX = ".watch.js"


def render_steps_or_watch(
    params: Mapping[str, Any], stages: tuple[Callable[..., bytes], Callable[..., bytes]]
) -> NoReturn:
    """Run ``render --frames`` and/or ``--watch``, after checking their usage.

    ``params`` are the render command's options (click's), ``stages`` its stage
    functions, (picture, frames): gradpipe.cli.render's.
    """
    from gradpipe.render.frames import FRAME_FORMATS

    inputs, out_file, out_dir = params["inputs"], params["out_file"], params["out_dir"]
    fmt, frames, watch = params["fmt"], params["frames"], params["watch"]
    if frames:
        if fmt not in FRAME_FORMATS:
            raise click.UsageError(f"--frames draws svg, png or pdf, not {fmt}")
        if out_file is not None or out_dir is None:
            raise click.UsageError("--frames writes a folder of pictures: give --out-dir DIR")
    stage = partial(
        stages[1] if frames else stages[0],
        overrides=params["overrides"],
        fmt=fmt,
        layout_limit=params["layout_limit"],
        style=params.get("style"),
    )
    if not watch:
        run_batch(
            stage,
            inputs,
            params["jobs"],
            out_dir=out_dir,
            suffix="",
            write=write_packed_frames,
            folders=True,
        )
    if len(inputs) != 1 or inputs[0] == STDIN or is_batch(inputs):
        raise click.UsageError("--watch takes one input file")
    if not frames:  # the picture as render draws it, --backward too
        stage = partial(stage, backprop=params.get("backprop", False))
    destination = out_dir if frames else out_file
    if destination is None or destination == STDIN:
        raise click.UsageError("--watch rewrites a file: give -o FILE")
    (path,) = inputs
    if os.path.abspath(destination) == os.path.abspath(path):
        raise click.UsageError(f"-o {destination} is the input; choose another file")
    sidecar = None
    if fmt == "html" and not frames:
        sidecar = destination + WATCH_SUFFIX
        stage = partial(stage, watch=os.path.basename(sidecar))
    write = write_packed_frames if frames else write_atomic
    interval = float(os.environ.get("GRADPIPE_WATCH_INTERVAL", WATCH_INTERVAL))
    watch_file(path, destination, stage, write, sidecar, interval)


def write_packed_frames(folder: str, packed: bytes) -> None:
    """The batch runner's writer for --frames: the input's frames into its folder."""
    from gradpipe.render.frames import unpack_frames, write_frames

    write_frames(folder, unpack_frames(packed))


def watch_file(
    path: str,
    destination: str,
    stage: Callable[[bytes, str], bytes],
    write: Callable[[str, bytes], None],
    sidecar: str | None,
    interval: float,
    rounds: int | None = None,
) -> NoReturn:
    """Render ``path`` to ``destination`` now and after every change, until interrupted.

    A failed render is reported on standard error and leaves the last good output; the
    HTML page's ``sidecar`` then carries the error, which the open page shows.
    """
    from gradpipe.render.html import page_token, watch_script

    reporter = Reporter()
    seen: object = object()  # never a stamp: the first round renders
    token = ""
    count = 0
    while rounds is None or count < rounds:
        count += 1
        stamp = _stamp(path)
        if stamp != seen:
            # An editor may still be writing: render once the file has held still for
            # one interval, so a half-saved file is not reported as an error.
            time.sleep(interval)
            if _stamp(path) != stamp:
                continue
            seen = stamp
            try:
                data = stage(read_input(path), path)
                write(destination, data)
            except GradpipeError as error:
                if error.path is None:
                    error.path = path
                reporter.report(error.format())
                if sidecar is not None:
                    _write_quietly(sidecar, watch_script(token, error.format()), reporter)
            except OSError as error:
                reporter.report(f"cannot write: {describe_os_error(error)}", destination)
            else:
                if sidecar is not None:
                    token = page_token(data) or ""
                    _write_quietly(sidecar, watch_script(token), reporter)
                reporter.warn(f"gradpipe render: wrote {destination}")
            sys.stderr.flush()
        time.sleep(interval)
    raise SystemExit(0)


def _stamp(path: str) -> tuple[int, int] | None:
    """What tells a changed file: its modification time and size (None: missing)."""
    try:
        info = os.stat(path)
    except OSError:
        return None
    return info.st_mtime_ns, info.st_size


def _write_quietly(path: str, data: bytes, reporter: Reporter) -> None:
    try:
        write_atomic(path, data)
    except OSError as error:
        reporter.report(f"cannot write: {describe_os_error(error)}", path)
