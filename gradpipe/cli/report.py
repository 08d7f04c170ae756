"""The one reporter: every diagnostic on standard error, and the exit status it implies.

Each diagnostic is a line in the one format of ``gradpipe.errors.format_error``
(``PATH:LINE:COL: error: MESSAGE``), which stays first and unchanged for tools that parse
it, then, unless turned off, its source line with a caret under the column. On a terminal
the reporter colours them (``NO_COLOR`` and ``FORCE_COLOR`` honoured), shows a progress
bar for a long batch, kept clear of them, and ends a batch with a summary line (also
without a terminal when an input failed). Exit status: 0 success, 1 when anything failed,
2 wrong usage (click's). Everything beyond plain lines is imported only when it is used.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO, TYPE_CHECKING

import click

from gradpipe.errors import GradpipeError, escape_control, format_error

if TYPE_CHECKING:
    from gradpipe.cli.terminal import Progress

# Batches this long show a progress bar (on a terminal only): shorter ones finish too soon.
PROGRESS_MIN_INPUTS = 10


class Diagnostic:
    """One formatted line for standard error, and the source line and caret it points at.

    A plain class (as ``batch.Outcome``): a NamedTuple costs a start-up 0.9M instructions
    to create (README, figure 4).
    """

    __slots__ = ("excerpt", "line", "severity")

    def __init__(self, line: str, severity: str = "error", excerpt: tuple[str, ...] = ()) -> None:
        self.line = line
        self.severity = severity
        self.excerpt = excerpt


def diagnostic(error: GradpipeError, raw: bytes | None = None) -> Diagnostic:
    """The error's line and, when ``raw`` is the file it points into, its source excerpt."""
    excerpt: tuple[str, ...] = ()
    if raw is not None and error.line is not None:
        from gradpipe.cli.terminal import source_excerpt

        excerpt = tuple(source_excerpt(raw, error.line, error.column))
    return Diagnostic(error.format(), error.severity, excerpt)


def colour_wanted(stream: IO[str]) -> bool:
    """Colour on a terminal; never with NO_COLOR or TERM=dumb; FORCE_COLOR anywhere."""
    if stream is None or not (stream.isatty() or os.environ.get("FORCE_COLOR")):
        return False  # the common case, a pipe or a file, imports nothing more
    from gradpipe.cli.terminal import colour_allowed

    return colour_allowed(stream)


class Reporter:
    """Diagnostics on standard error, kept clear of the progress bar when one is shown.

    ``show_source`` says whether an error's source line and caret follow it.
    """

    def __init__(self, show_source: bool = True) -> None:
        self.show_source = show_source
        self.colour = colour_wanted(sys.stderr)
        self.failed = False
        self.bar: Progress | None = None

    @contextmanager
    def progress(self, total: int, label: str) -> Iterator[None]:
        """A progress bar while the block runs, for a long batch on a terminal.

        Not on TERM=dumb (Emacs' shell, an IDE's console): it cannot erase a line, so the
        bar's ``\r ESC[K`` would show there as text.
        """
        if (
            total < PROGRESS_MIN_INPUTS
            or sys.stderr is None
            or not sys.stderr.isatty()
            or os.environ.get("TERM") == "dumb"
        ):
            yield
            return
        from gradpipe.cli.terminal import Progress

        self.bar = Progress(total, label, sys.stderr)
        try:
            yield
            self.bar.finish()
        finally:
            self.bar.clear()
            self.bar = None

    def working_on(self, path: str) -> None:
        """The input whose outcome is awaited now (the bar names it)."""
        if self.bar is not None:
            self.bar.working_on(path)

    def show(self, diagnostic: Diagnostic) -> None:
        """A diagnostic: its line, then its source line and caret unless turned off."""
        if diagnostic.severity == "error":
            self.failed = True
        lines = [diagnostic.line]
        excerpt = list(diagnostic.excerpt) if self.show_source else []
        if self.colour:
            from gradpipe.cli.terminal import paint_diagnostic, paint_excerpt

            lines = [paint_diagnostic(diagnostic.line)]
            excerpt = paint_excerpt(excerpt, diagnostic.severity)
        self._echo("\n".join(lines + excerpt))

    def report(self, message: str, path: str | None = None) -> None:
        """One diagnostic line with no source to show, ``PATH: error: MESSAGE`` with a path."""
        self.show(Diagnostic(format_error(message, path)))

    def warn(self, text: str) -> None:
        """A line that reports no failure: a formatted warning (``PATH: warning: MESSAGE``),
        or ``render --watch``'s "wrote FILE"; the status stays 0. Control characters (in a
        FILE) are escaped, as in every error line."""
        self._echo(escape_control(text))

    def summary(self, total: int, failed: int, succeeded: str) -> None:
        """The batch's last line: ``200 inputs: 197 written, 3 failed``."""
        inputs = "input" if total == 1 else "inputs"
        line = f"{total} {inputs}: {total - failed} {succeeded}"
        self._echo(line + (f", {failed} failed" if failed else ""))

    def aside(self) -> None:
        """Take the bar off its line before standard output writes there: on one terminal
        a table (check's) would otherwise start behind the bar. The next input redraws it."""
        if self.bar is not None:
            self.bar.clear()
            self.bar.stream.flush()

    def advance(self) -> None:
        """One more input done."""
        if self.bar is not None:
            self.bar.advance()

    @property
    def status(self) -> int:
        """The exit status: 1 when anything failed, else 0."""
        return 1 if self.failed else 0

    def _echo(self, text: str) -> None:
        if self.bar is not None:
            self.bar.clear()
        click.echo(text, err=True, color=True if self.colour else None)
        if self.bar is not None:
            self.bar.redraw()
