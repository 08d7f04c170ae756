"""The one reporter: every diagnostic on standard error, and the exit status it implies.

Each line is in the one format of ``gradpipe.errors.format_error`` (``PATH:LINE:COL:
error: MESSAGE``); a long batch on a terminal shows a progress bar, kept clear of them.
Exit status: 0 success, 1 when anything was reported, 2 wrong usage (click's).
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

import click

from gradpipe.errors import format_error

if TYPE_CHECKING:
    from click._termui_impl import ProgressBar

# Batches this long show a progress bar (on a terminal only): shorter ones finish too soon.
PROGRESS_MIN_INPUTS = 10
_CLEAR_LINE = "\r\x1b[K"


class Reporter:
    """Diagnostics on standard error, kept clear of the progress bar when one is shown."""

    def __init__(self, bar: ProgressBar[int] | None = None) -> None:
        self.bar = bar
        self.failed = False

    @classmethod
    @contextmanager
    def for_batch(cls, total: int, label: str) -> Iterator[Reporter]:
        """With a progress bar for a long batch on a terminal, else plain."""
        if total < PROGRESS_MIN_INPUTS or not sys.stderr.isatty():
            yield cls()
            return
        with click.progressbar(length=total, file=sys.stderr, label=label) as bar:
            yield cls(bar)

    def report(self, message: str, path: str | None = None) -> None:
        """One diagnostic line, ``PATH: error: MESSAGE`` when ``path`` is given."""
        self.failed = True
        text = format_error(message, path)
        click.echo(text if self.bar is None else _CLEAR_LINE + text, err=True)

    def warn(self, text: str) -> None:
        """A line that reports no failure: a formatted warning (``PATH: warning: MESSAGE``),
        or ``render --watch``'s "wrote FILE"; the status stays 0."""
        click.echo(text if self.bar is None else _CLEAR_LINE + text, err=True)

    def advance(self) -> None:
        """One more input done."""
        if self.bar is not None:
            self.bar.update(1)

    @property
    def status(self) -> int:
        """The exit status: 1 when anything was reported, else 0."""
        return 1 if self.failed else 0
