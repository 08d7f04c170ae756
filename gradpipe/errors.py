"""The project's error types: one base the CLI catches, each carrying what it needs to report."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from gradpipe.engine import Value


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

    def __str__(self) -> str:
        return self.format()

    def format(self) -> str:
        """Render as `PATH:LINE:COLUMN: error: MESSAGE`, dropping the parts that are unknown."""
        place = self.path or ""
        if place and self.line is not None:
            place += f":{self.line}"
            if self.column is not None:
                place += f":{self.column}"
        return f"{place}: error: {self.message}" if place else self.message


class MathError(GradpipeError, ArithmeticError):
    """A value or gradient that would be NaN or infinite; names the node where it arises."""

    def __init__(self, message: str, node: Value) -> None:
        super().__init__(message)
        self.node = node


class GradcheckError(GradpipeError):
    """``gradcheck`` found a gradient that differs; ``report`` is the whole table."""

    def __init__(self, message: str, report: object) -> None:
        super().__init__(message)
        self.report = report
