"""Where results go: a stream, or a file replaced in one step so it is never half-written.

``write_file`` decides by what is at the path: a regular file (or nothing) is replaced
atomically, keeping the old file's permissions; a symlink's target is replaced, the link
kept; a device, FIFO or terminal is written through, as a shell's ``>`` would.
On Linux the new file is written unnamed (``O_TMPFILE``) and named only once whole: a new
target is linked under its own name, so a process killed even by SIGKILL leaves nothing
behind; an old one is replaced through a hidden ``.NAME.PID.N.tmp`` name, which a SIGKILL
between the link and the rename (two system calls) can leave. Elsewhere (or where the
file system has no ``O_TMPFILE``) that hidden file holds the bytes from the start. A
hidden name left by a killed process is removed by the next write to that target.
"""

from __future__ import annotations

import contextlib
import errno
import os
import re
import stat
from typing import BinaryIO

# Created with O_EXCL so two runs writing the same target never share a temporary file.
_CREATE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
_O_TMPFILE = getattr(os, "O_TMPFILE", 0)
_PROC_FD = "/proc/self/fd"


def write_file(path: str, data: bytes) -> None:
    """Write ``data`` to ``path``, whatever is there: see the module's docstring."""
    try:
        found: os.stat_result | None = os.stat(path)  # through symlinks
    except FileNotFoundError:
        found = None
    if found is not None and stat.S_ISDIR(found.st_mode):
        raise IsADirectoryError(errno.EISDIR, os.strerror(errno.EISDIR), path)
    if found is not None and not stat.S_ISREG(found.st_mode):
        fd = os.open(path, os.O_WRONLY | getattr(os, "O_BINARY", 0))
        with os.fdopen(fd, "wb") as stream:
            write_stream(stream, data)
        return
    target = os.path.realpath(path) if os.path.islink(path) else path
    write_atomic(target, data, like=found)


def write_atomic(path: str, data: bytes, like: os.stat_result | None = None) -> None:
    """Replace ``path`` with ``data``: a failed or interrupted run leaves the old file as it was.

    ``like`` is the file being replaced: the new one gets its permissions (and, where
    allowed, its owner). The bytes go to a file in the same directory (so the rename stays
    on one file system), which ``os.replace`` then puts in place.
    """
    directory = os.path.dirname(path) or "."
    if _O_TMPFILE and os.path.isdir(_PROC_FD):
        try:
            fd = os.open(directory, _O_TMPFILE | os.O_WRONLY, 0o666)
        except OSError as error:  # a file system without O_TMPFILE
            if error.errno not in (errno.EOPNOTSUPP, errno.EISDIR, errno.EINVAL):
                raise
        else:
            _write_unnamed(fd, path, data, like)
            return
    _write_named(path, data, like)


def _write_unnamed(fd: int, path: str, data: bytes, like: os.stat_result | None) -> None:
    """Fill an O_TMPFILE file, then give it ``path`` as its name, or a name renamed over it.

    Only a file that replaces another has a second name, and only between the link and
    the rename (two system calls) does it exist for a SIGKILL to leave behind.
    """
    stream = os.fdopen(fd, "wb")
    try:
        stream.write(data)
        stream.flush()
        _keep_permissions(stream.fileno(), like)
        # linkat(AT_SYMLINK_FOLLOW): Python passes that flag only when given a dir_fd.
        proc = os.open(_PROC_FD, os.O_RDONLY | getattr(os, "O_DIRECTORY", 0))
        try:
            if like is None and _link(stream.fileno(), path, proc):
                return
            _remove_stale(path)
            temporary = _free_name(path)
            # One handler for both calls: Ctrl-C right after the link still removes the name.
            try:
                os.link(str(stream.fileno()), temporary, src_dir_fd=proc, follow_symlinks=True)
                os.replace(temporary, path)
            except BaseException:
                with contextlib.suppress(OSError):
                    os.unlink(temporary)
                raise
        finally:
            os.close(proc)
    finally:
        stream.close()


def _link(fd: int, path: str, proc: int) -> bool:
    """Name the unnamed file ``fd`` ``path``; False if something has that name already."""
    try:
        os.link(str(fd), path, src_dir_fd=proc, follow_symlinks=True)
    except FileExistsError:
        return False
    return True


def _write_named(path: str, data: bytes, like: os.stat_result | None) -> None:
    """The portable way: a hidden temporary file, renamed over ``path``.

    One ``try`` covers it all, creation included, so that Ctrl-C arriving just as the file
    is created removes it too.
    """
    _remove_stale(path)
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
            stream.flush()
            _keep_permissions(stream.fileno(), like)
        os.replace(temporary, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(temporary)
        raise


def _free_name(path: str) -> str:
    """A name beside ``path`` that nothing has: where a finished file is linked first."""
    directory, name = os.path.split(path)
    for attempt in range(1000):
        candidate = os.path.join(directory, f".{name}.{os.getpid()}.{attempt}.tmp")
        if not os.path.lexists(candidate):
            return candidate
    raise FileExistsError(errno.EEXIST, "no free temporary name", path)


def _keep_permissions(fd: int, like: os.stat_result | None) -> None:
    """The replaced file's mode, and its owner where we may set it (root, or the same)."""
    if like is None:
        return
    os.fchmod(fd, stat.S_IMODE(like.st_mode))
    if hasattr(os, "fchown") and (like.st_uid, like.st_gid) != (os.getuid(), os.getgid()):
        with contextlib.suppress(OSError):
            os.fchown(fd, like.st_uid, like.st_gid)
            os.fchmod(fd, stat.S_IMODE(like.st_mode))  # chown clears set-id bits


def _remove_stale(path: str) -> None:
    """Remove ``.NAME.PID.N.tmp`` files beside ``path`` left by processes no longer alive.

    A folder is listed once a process, at its first write there: a batch writes thousands
    of files into one folder, and a name a killed process left is older than this one.
    """
    directory, name = os.path.split(path)
    stale = _stale_names.get(directory)
    if stale is None:
        stale = _stale_names[directory] = _list_stale(directory)
    for entry in stale.pop(name, ()):
        with contextlib.suppress(OSError):
            os.unlink(os.path.join(directory, entry))


# Each folder written to: the hidden names in it of dead processes, by the target's name.
_stale_names: dict[str, dict[str, list[str]]] = {}
_HIDDEN_NAME = r"\.(.+)\.([0-9]+)\.[0-9]+\.tmp\Z"


def _list_stale(directory: str) -> dict[str, list[str]]:
    try:
        entries = os.listdir(directory or ".")
    except OSError:
        return {}
    stale: dict[str, list[str]] = {}
    candidates = [entry for entry in entries if entry[:1] == "." and entry.endswith(".tmp")]
    if not candidates:  # the pattern is compiled only for a folder that holds such a name
        return stale
    hidden = re.compile(_HIDDEN_NAME, re.DOTALL)
    for entry in candidates:
        match = hidden.match(entry)
        if match is not None and not _alive(int(match.group(2))):
            stale.setdefault(match.group(1), []).append(entry)
    return stale


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # another user's process: alive
        return True
    return True


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
