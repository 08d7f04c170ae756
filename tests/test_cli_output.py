"""Writing results: whole files replaced in one step, streams written to the last byte."""

from __future__ import annotations

import io
import os
import stat
import subprocess
import sys
from pathlib import Path

import pytest

from gradpipe.cli import output
from gradpipe.cli.output import write_atomic, write_stream

UNNAMED = bool(output._O_TMPFILE) and os.path.isdir("/proc/self/fd")


class TrickleStream(io.RawIOBase):
    """An unbuffered stream that takes at most three bytes per write, as a busy pipe may."""

    def __init__(self) -> None:
        self.received = bytearray()
        self.flushed = False

    def writable(self) -> bool:
        return True

    def write(self, data: object) -> int:
        chunk = bytes(data[:3])  # type: ignore[index]
        self.received += chunk
        return len(chunk)

    def flush(self) -> None:
        self.flushed = True


def test_write_stream_finishes_partial_writes() -> None:
    stream = TrickleStream()
    write_stream(stream, b"0123456789" * 5)  # type: ignore[arg-type]
    assert bytes(stream.received) == b"0123456789" * 5
    assert stream.flushed


def test_write_atomic_creates_a_file_like_any_other(tmp_path: Path) -> None:
    target = tmp_path / "new.json"
    umask = os.umask(0o022)
    try:
        write_atomic(str(target), b"{}\n")
    finally:
        os.umask(umask)
    assert target.read_bytes() == b"{}\n"
    assert stat.S_IMODE(target.stat().st_mode) == 0o644
    assert os.listdir(tmp_path) == ["new.json"]


def test_write_atomic_replaces_an_old_file(tmp_path: Path) -> None:
    target = tmp_path / "out.svg"
    target.write_bytes(b"old")
    write_atomic(str(target), b"new")
    assert target.read_bytes() == b"new"
    assert os.listdir(tmp_path) == ["out.svg"]


@pytest.mark.parametrize(
    "interruption", [OSError(28, "No space left on device"), KeyboardInterrupt()]
)
def test_a_failed_write_leaves_the_old_file_and_no_temporary_one(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, interruption: BaseException
) -> None:
    target = tmp_path / "out.json"
    target.write_bytes(b"old")

    class Failing(io.BytesIO):
        def write(self, data: object) -> int:
            raise interruption

    real_fdopen = os.fdopen

    def fdopen(fd: int, mode: str) -> io.BytesIO:
        real_fdopen(fd, mode).close()
        return Failing()

    monkeypatch.setattr(os, "fdopen", fdopen)
    with pytest.raises(type(interruption)):
        write_atomic(str(target), b"new")
    assert target.read_bytes() == b"old"
    assert os.listdir(tmp_path) == ["out.json"]


def test_a_stale_temporary_name_is_skipped(tmp_path: Path) -> None:
    stale = tmp_path / f".out.json.{os.getpid()}.0.tmp"
    stale.write_bytes(b"someone else's")
    write_atomic(str(tmp_path / "out.json"), b"mine")
    assert (tmp_path / "out.json").read_bytes() == b"mine"
    assert stale.read_bytes() == b"someone else's"


@pytest.mark.skipif(not UNNAMED, reason="needs O_TMPFILE and /proc/self/fd (Linux)")
def test_a_new_file_is_named_once_whole_with_no_second_name(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # No rename means no moment when a SIGKILL could leave a hidden name behind.
    def no_rename(source: str, target: str) -> None:
        raise AssertionError(f"renamed {source} to {target}")

    monkeypatch.setattr(os, "replace", no_rename)
    write_atomic(str(tmp_path / "new.json"), b"{}")
    assert (tmp_path / "new.json").read_bytes() == b"{}"
    assert os.listdir(tmp_path) == ["new.json"]


@pytest.mark.parametrize("unnamed", [UNNAMED, False], ids=["o_tmpfile", "portable"])
def test_a_hidden_name_left_by_a_dead_process_goes_with_the_next_write(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, unnamed: bool
) -> None:
    if not unnamed:
        monkeypatch.setattr(output, "_O_TMPFILE", 0)
    process = subprocess.Popen([sys.executable, "-c", ""])
    process.wait()
    (tmp_path / "out.json").write_bytes(b"old")
    (tmp_path / f".out.json.{process.pid}.0.tmp").write_bytes(b"left by a killed run")
    (tmp_path / f".other.json.{process.pid}.0.tmp").write_bytes(b"another target's")
    write_atomic(str(tmp_path / "out.json"), b"new")
    assert (tmp_path / "out.json").read_bytes() == b"new"
    assert sorted(os.listdir(tmp_path)) == [f".other.json.{process.pid}.0.tmp", "out.json"]
