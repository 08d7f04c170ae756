"""What the reporter shows a person: colour, source lines with a caret, the progress bar.

Colour only on a terminal (or with ``FORCE_COLOR``), never with ``NO_COLOR`` or
``TERM=dumb``. ``gradpipe.cli.report`` imports this module only when it needs it, so a run
that succeeds on a pipe never loads it.
"""

from __future__ import annotations

import os
import sys
import time
import unicodedata
from typing import IO

from gradpipe.errors import escape_control

# SGR sequences: the colours of compilers (gcc, rustc): red errors, magenta warnings.
_STYLES = {
    "error": "\x1b[31m\x1b[1m",
    "warning": "\x1b[35m\x1b[1m",
    "mismatch": "\x1b[31m\x1b[1m",
    "ok": "\x1b[32m",
    "note": "\x1b[33m",
    "place": "\x1b[1m",
    "gutter": "\x1b[34m\x1b[1m",
}
_RESET = "\x1b[0m"
_CLEAR_LINE = "\r\x1b[K"
# A source line is shown in at most this many terminal cells, a window around its column.
SOURCE_WIDTH = 100
_BEFORE_COLUMN = 40
_TAB_STOP = 4


def colour_allowed(stream: IO[str]) -> bool:
    """Whether to colour ``stream``: NO_COLOR wins, then FORCE_COLOR, then TERM and a tty."""
    if os.environ.get("NO_COLOR"):
        return False
    forced = os.environ.get("FORCE_COLOR")
    if forced:
        return forced != "0"
    if os.environ.get("TERM") == "dumb":
        return False
    try:
        return stream.isatty()
    except (AttributeError, ValueError):
        return False


def paint(text: str, role: str) -> str:
    """``text`` in the colour of ``role`` (error, warning, mismatch, ok, place, gutter)."""
    return f"{_STYLES[role]}{text}{_RESET}" if text else text


def paint_diagnostic(line: str) -> str:
    """``PATH:LINE:COL: error: MESSAGE`` with its place bold and its severity coloured."""
    for severity in ("error", "warning"):
        marker = f": {severity}: "
        at = line.find(marker)
        if at >= 0 or line.startswith(f"{severity}: "):
            place = line[:at] if at >= 0 else ""
            rest = line[at + len(marker) :] if at >= 0 else line[len(severity) + 2 :]
            head = f"{paint(place, 'place')}: " if place else ""
            return f"{head}{paint(severity + ':', severity)} {rest}"
    return line


def paint_check_report(text: str) -> str:
    """A check table with its result column coloured: ok green, MISMATCH red, others yellow.

    The result column is the last, where the header line says ``result``.
    """
    lines = text.split("\n")
    column: int | None = None
    for number, line in enumerate(lines):
        if line.rstrip().endswith("  result") and line.startswith("  "):
            column = len(line.rstrip()) - len("result")
            continue
        if column is None or not line.startswith("  ") or len(line) <= column:
            column = None if not line.startswith("  ") else column
            continue
        verdict = line[column:]
        if line[column - 2 : column] != "  " or not verdict.strip():
            continue
        role = "ok" if verdict == "ok" else "mismatch" if verdict.startswith("MISMATCH") else "note"
        lines[number] = line[:column] + paint(verdict, role)
    return "\n".join(lines)


def source_excerpt(raw: bytes, line: int, column: int | None) -> list[str]:
    """The source line ``line`` of ``raw`` and a caret under ``column``, as rustc shows them.

    Control characters are escaped, tabs expanded and wide characters counted as two
    cells, so the caret stands under its character; a long line shows a window around
    it. Empty when the line is not in the file.
    """
    if line < 1:
        return []
    text = _line_of(raw, line)
    if text is None:
        return []
    cells: list[str] = []  # what each character shows as
    shown_width = 0  # the cells' width so far: where a tab stops (one pass, for long lines)
    for char in text:
        cell = _shown(char, shown_width)
        cells.append(cell)
        shown_width += _width(cell)
    index = max(0, min((column or 1) - 1, len(cells)))
    before = "".join(cells[:index])
    after = "".join(cells[index:])
    caret_at = _width(before)
    if caret_at + _width(after) > SOURCE_WIDTH:
        before, after, caret_at = _window(cells, index)
    number = str(line)
    gutter = " " * len(number)
    shown = (before + after).rstrip()
    return [f" {number} | {shown}", f" {gutter} | {' ' * caret_at}^"]


def paint_excerpt(excerpt: list[str], severity: str) -> list[str]:
    """The excerpt's gutter blue and its caret in the colour of the severity."""
    if not excerpt:
        return excerpt
    painted = []
    for number, row in enumerate(excerpt):
        bar = row.index("| ") + 1
        body = row[bar + 1 :]
        if number == len(excerpt) - 1:
            body = body.replace("^", paint("^", severity))
        painted.append(paint(row[:bar], "gutter") + " " + body)
    return painted


def _line_of(raw: bytes, line: int) -> str | None:
    start = 0
    for _ in range(line - 1):
        start = raw.find(b"\n", start) + 1
        if start == 0:
            return None
    end = raw.find(b"\n", start)
    chunk = raw[start:] if end < 0 else raw[start:end]
    if start >= len(raw) and line > 1:
        return None
    if line == 1 and chunk.startswith(b"\xef\xbb\xbf"):
        chunk = chunk[3:]
    return chunk.rstrip(b"\r").decode("utf-8", "replace")


def _shown(char: str, at: int) -> str:
    """How one source character is shown: a tab as spaces, a control as an escape."""
    if char == "\t":
        return " " * (_TAB_STOP - at % _TAB_STOP)
    code = ord(char)
    if code < 0x20 or 0x7F <= code < 0xA0:
        return f"\\x{code:02x}"
    category = unicodedata.category(char)
    if category in ("Cf", "Cs", "Co", "Zl", "Zp") and char != "\u200d":
        return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"
    return char


def _width(text: str) -> int:
    """Terminal cells of text: wide East Asian characters take two, combining marks none."""
    cells = 0
    for char in text:
        if unicodedata.combining(char):
            continue
        cells += 2 if unicodedata.east_asian_width(char) in ("W", "F") else 1
    return cells


def _window(cells: list[str], index: int) -> tuple[str, str, int]:
    """A window of about SOURCE_WIDTH cells around ``index``, cut ends marked with …."""
    start = index
    used = 0
    while start > 0 and used + _width(cells[start - 1]) <= _BEFORE_COLUMN:
        start -= 1
        used += _width(cells[start])
    end = index
    room = SOURCE_WIDTH - used
    while end < len(cells) and room - _width(cells[end]) >= 0:
        room -= _width(cells[end])
        end += 1
    before = ("…" if start > 0 else "") + "".join(cells[start:index])
    after = "".join(cells[index:end]) + ("…" if end < len(cells) else "")
    return before, after, _width(before)


class Progress:
    """A one-line bar on standard error: ``label [###---] n/N  p%  ETA m:ss  current-file``.

    The estimate is the wall time per finished input so far times the inputs left, so it
    holds for parallel runs (``--jobs``) as for serial ones.
    """

    def __init__(self, total: int, label: str, stream: IO[str] | None = None) -> None:
        self.total = total
        self.label = label
        self.stream = stream or sys.stderr
        self.done = 0
        self.current = ""
        self.started = time.monotonic()
        self._drawn_at = 0.0
        self._shown = False

    def working_on(self, path: str) -> None:
        """The input now awaited."""
        self.current = path
        self._draw()

    def advance(self) -> None:
        """One more input finished (drawn with the next input, or at the end)."""
        self.done += 1
        if self.done == self.total:
            self._draw(force=True)

    def eta(self, now: float | None = None) -> float | None:
        """Seconds left, from the throughput so far; None before the first input is done."""
        if self.done == 0:
            return None
        elapsed = (time.monotonic() if now is None else now) - self.started
        return elapsed / self.done * (self.total - self.done)

    def line(self, now: float | None = None) -> str:
        """The bar as it is drawn now."""
        width = 24
        filled = width * self.done // max(self.total, 1)
        left = self.eta(now)
        # Rounded, not cut: 29.9999 s (a clock's float sum) is 0:30 left, not 0:29.
        eta = "" if left is None else "  ETA {}:{:02}".format(*divmod(round(left), 60))
        # A file name is user text: escaped, ESC cannot command the terminal nor \n split the bar.
        shown = escape_control(self.current)
        current = f"  {shown}" if self.current and self.done < self.total else ""
        percent = 100 * self.done // max(self.total, 1)
        return (
            f"{self.label} [{'#' * filled}{'-' * (width - filled)}]"
            f" {self.done}/{self.total} {percent:3}%{eta}{current}"
        )

    def clear(self) -> None:
        """Take the bar off its line, so a diagnostic can be printed there."""
        if self._shown:
            self.stream.write(_CLEAR_LINE)
            self._shown = False

    def redraw(self) -> None:
        """Draw the bar again after a diagnostic."""
        self._draw(force=True)

    def finish(self) -> None:
        """The bar's last state stays visible until the summary replaces it."""
        self._draw(force=True)
        self.clear()
        self.stream.flush()

    def _draw(self, force: bool = False) -> None:
        now = time.monotonic()
        if not force and now - self._drawn_at < 0.1:
            return
        self._drawn_at = now
        self.stream.write(_CLEAR_LINE + _cut(self.line(now), _columns() - 1))
        self.stream.flush()
        self._shown = True


def _cut(text: str, cells: int) -> str:
    """``text`` cut to ``cells`` terminal cells: a wider bar would wrap, and \r clears one line."""
    used = 0
    for index, char in enumerate(text):
        used += _width(char)
        if used > cells:
            return text[:index]
    return text


def _columns() -> int:
    """The terminal's width: COLUMNS, else what the terminal says, else 80 (0 is unknown)."""
    try:
        columns = int(os.environ.get("COLUMNS", ""))
    except ValueError:
        try:
            columns = os.get_terminal_size(sys.stderr.fileno()).columns
        except (OSError, ValueError, AttributeError):
            columns = 0
    return max(columns, 20) if columns > 0 else 80
