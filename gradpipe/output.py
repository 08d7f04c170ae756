"""Where results go: a stream, or a file replaced in one step so it is never half-written."""

from __future__ import annotations

import contextlib
import os
from typing import BinaryIO

# Created with O_EXCL so two runs writing the same target never share a temporary file.
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)


def write_atomic(path: str, data: bytes) -> None:
    """Replace ``path`` with ``data``: a failed or interrupted run leaves the old file as it was.

    The bytes go to a hidden temporary file in the same directory (so the rename stays on
    one file system), which ``os.replace`` then puts in place; any failure, Ctrl-C
    included, removes the temporary file.
    """
    directory, name = os.path.split(path)
    temporary, fd = _create_temporary(directory, name)
    try:
        with os.fdopen(fd, "wb") as stream:
            stream.write(data)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def write_stream(stream: BinaryIO, data: bytes) -> None:
    """Write all of ``data`` and flush, so a pipe's reader sees each result as it is done.

    Unbuffered streams (``PYTHONUNBUFFERED``, ``python -u``) may write only part of a
    large buffer, notably to a pipe whose reader has gone; the loop finishes the job or
    meets that reader's absence as BrokenPipeError.
    """
    view = memoryview(data)
    while view:
        view = view[stream.write(view) :]
    stream.flush()


def _create_temporary(directory: str, name: str) -> tuple[str, int]:
    """A new hidden file next to the target, named after it; mode as for any new file."""
    attempt = 0
    while True:
        temporary = os.path.join(directory, f".{name}.{os.getpid()}.{attempt}.tmp")
        try:
            return temporary, os.open(temporary, _CREATE, 0o666)
        except FileExistsError:
            attempt += 1
