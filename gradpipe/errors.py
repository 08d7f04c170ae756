"""Every error type of gradpipe: one base the CLI catches, each carrying what it reports.

No module of gradpipe is imported here at run time, so every layer can raise these.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gradpipe.engine.value import Value


# What a terminal would obey or a log would split on: C0 and C1 controls, DEL, the Unicode
# line and paragraph separators, and lone surrogates (which cannot even be encoded).
# Compiled on first use, by re's cache: a run that reports nothing never pays for it.
_CONTROL = "[\x00-\x1f\x7f-\x9f\u2028\u2029\ud800-\udfff]"
_NAMED_ESCAPES = {"\n": "\\n", "\r": "\\r", "\t": "\\t"}


def escape_control(text: str) -> str:
    """``text`` with every control character shown as an escape (``\\n``, ``\\x1b``, ``\\u2028``).

    User text reaches error lines (keys, names, values, paths); escaped, it can neither
    split the one-line format nor send commands to a terminal.
    """
    control = re.compile(_CONTROL)
    if control.search(text) is None:
        return text
    return control.sub(_escape_one, text)


def _escape_one(match: re.Match[str]) -> str:
    char = match.group()
    named = _NAMED_ESCAPES.get(char)
    if named is not None:
        return named
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class GradpipeError(Exception):
    """Base of every error gradpipe reports to a user (never a traceback)."""

    def __init__(
        self,
        message: str,
        path: str | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        super().__init__(message)
        self.message = message
        self.path = path
        self.line = line
        self.column = column

    severity = "error"

    def __str__(self) -> str:
        return self.format()

    def format(self) -> str:
        """Render as `PATH:LINE:COLUMN: error: MESSAGE`, dropping the parts that are unknown."""
        return format_error(self.message, self.path, self.line, self.column, self.severity)


def format_error(
    message: str,
    path: str | None = None,
    line: int | None = None,
    column: int | None = None,
    severity: str = "error",
) -> str:
    """The one diagnostic format: `PATH:LINE:COLUMN: error: MESSAGE`, unknown parts dropped.

    One line whatever the path and message hold: control characters come out escaped.
    """
    place = escape_control(path or "")
    if place and line is not None:
        place += f":{line}"
        if column is not None:
            place += f":{column}"
    message = escape_control(message)
    return f"{place}: {severity}: {message}" if place else message


class GradpipeWarning(GradpipeError):
    """Something read, but probably not meant (a .json file that is YAML): reported, not raised.

    The library records warnings only inside ``collect_warnings``; elsewhere they are dropped,
    so a Python caller that does not ask never sees them.
    """

    severity = "warning"


_COLLECTED: ContextVar[list[GradpipeWarning] | None] = ContextVar("gradpipe_warnings", default=None)


def warn(
    message: str, path: str | None, line: int | None = None, column: int | None = None
) -> None:
    """Record a warning for the caller of ``collect_warnings``, if there is one."""
    collected = _COLLECTED.get()
    if collected is not None:
        collected.append(GradpipeWarning(message, path, line, column))


@contextmanager
def collect_warnings() -> Iterator[list[GradpipeWarning]]:
    """The warnings the library records while the block runs, in order."""
    collected: list[GradpipeWarning] = []
    token = _COLLECTED.set(collected)
    try:
        yield collected
    finally:
        _COLLECTED.reset(token)


class MathError(GradpipeError, ArithmeticError):
    """A value or gradient that would be NaN or infinite, at ``node``.

    ``op`` is the node's op and ``problem`` what went wrong there (``division by zero``);
    ``message`` adds which node it is.
    """

    def __init__(
        self, message: str, node: Value, op: str | None = None, problem: str | None = None
    ) -> None:
        super().__init__(message)
        self.node = node
        self.op = node.operation if op is None else op
        self.problem = message if problem is None else problem


class LoadError(GradpipeError):
    """A file that cannot be read as one YAML or JSON document of plain data."""


class RenderError(GradpipeError):
    """A picture that cannot be made: no layout program, a failed layout, a graph too big."""


class LayoutLimitError(RenderError):
    """A graph of more nodes than the layout limit, refused before any layout.

    Its message names the CLI's option; ``nodes`` and ``limit`` let the API say it in
    its own words (``limit_refusal``).
    """

    def __init__(self, message: str, nodes: int, limit: int) -> None:
        super().__init__(message)
        self.nodes = nodes
        self.limit = limit


class StageFailure(GradpipeError):
    """A failure that still has a report to write (a gradient check's table)."""

    def __init__(self, message: str, report: bytes, path: str | None = None) -> None:
        super().__init__(message, path)
        self.report = report


class FormulaError(Exception):
    """A formula that is not plain arithmetic; `offset` is 0-based into its text.

    Not a GradpipeError: the document that holds the formula locates it in its file.
    """

    def __init__(self, message: str, offset: int) -> None:
        super().__init__(message)
        self.message = message
        self.offset = offset


class GradcheckError(GradpipeError, RuntimeError):
    """``gradcheck`` found a gradient that differs; ``report`` is the whole table.

    A RuntimeError too, as ``torch.autograd.GradcheckError`` is.
    """

    def __init__(self, message: str, report: object) -> None:
        super().__init__(message)
        self.report = report
