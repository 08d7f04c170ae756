"""What a Unix tool owes its shell: Ctrl-C, SIGTERM and a closed pipe end quietly.

No traceback and no half-written file: SIGTERM unwinds as Ctrl-C does (so temporary files
are removed and workers stopped), and a reader that went away (``| head``) ends the
command as SIGPIPE would.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING, Any, NoReturn

if TYPE_CHECKING:
    import signal
else:  # signal's C half: the same functions, without the enums that signal builds on
    # import (3.3M instructions of render's start-up, README figure 4); handlers are
    # called with plain numbers either way
    import _signal as signal

# Ctrl-C's exit status, as a shell gives it.
INTERRUPTED = 128 + signal.SIGINT


class ClosedPipe(Exception):
    """Standard output's reader has gone (``| head``): the command ends quietly.

    Not an OSError, so that click, which would exit 1, leaves it to ``UnixGroup.main``.
    """


@contextmanager
def closed_pipe_ends_the_command() -> Iterator[None]:
    """A BrokenPipeError, once workers are stopped and files closed, becomes ClosedPipe."""
    try:
        yield
    except BrokenPipeError:
        raise ClosedPipe from None


def handle_sigterm(handler: Any) -> Any:
    """Install ``handler`` for SIGTERM where signals can be handled (the main thread)."""
    try:
        return signal.signal(signal.SIGTERM, handler)
    except ValueError:
        return None


def exit_on_signal(signum: int, frame: object) -> NoReturn:
    """Unwind like Ctrl-C does, so temporary files are removed and workers stopped."""
    sys.exit(128 + signum)


def end_on_closed_pipe() -> NoReturn:
    """End as a Unix tool does when its reader goes away: silently, by SIGPIPE."""
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, sys.stdout.fileno())  # Python's final flush must not fail again
    sigpipe = getattr(signal, "SIGPIPE", None)
    if sigpipe is not None:
        signal.signal(sigpipe, signal.SIG_DFL)
        os.kill(os.getpid(), sigpipe)
    sys.exit(1)
