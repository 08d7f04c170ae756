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
    one file system), which ``os.replace`` then puts in place. One ``try`` covers it all,
    creation included, so that Ctrl-C arriving just as the file is created removes it too.
    """
    directory, name = os.path.split(path)
    prefix = os.path.join(directory, f".{name}.{os.getpid()}.")
    attempt = 0
    temporary = f"{prefix}{attempt}.tmp"
    try:
        while True:
            try:
                fd = os.open(temporary, _CREATE, 0o666)  # mode as for any new file (umask)
                break
            except FileExistsError:  # left by a dead process that had our pid
                attempt += 1
                temporary = f"{prefix}{attempt}.tmp"
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
