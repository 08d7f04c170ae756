"""PyYAML's syntax errors in words a spec's author can act on, at the line of the mistake.

PyYAML reports where its scanner gave up, which is often the line after the mistake (a
missing ':' makes ``x1 2.0`` the start of a multi-line key), in its own terms ("found
character that cannot start any token" for a tab). ``explain_yaml_error`` looks at the
text around that place and names the usual mistakes: a tab, a missing colon, a key that
does not line up, a ':' inside a value.
"""

from __future__ import annotations

from typing import NamedTuple


class Explained(NamedTuple):
    """A translated message and its 1-based place."""

    message: str
    line: int
    column: int


def explain_yaml_error(
    text: str,
    problem: str,
    line: int,
    column: int,
    context_line: int | None = None,
) -> Explained | None:
    """The usual mistake behind PyYAML's ``problem`` at ``line``:``column``, or None."""
    lines = text.split("\n")
    tab = _tab_in_indentation(lines, [line, context_line])
    if tab is not None or "tab" in problem or _char_at(lines, line, column) == "\t":
        where = tab or (line, column)
        return Explained(
            "a tab in the indentation: YAML indents with spaces only; use spaces instead",
            *where,
        )
    if "could not find expected ':'" in problem and context_line is not None:
        missing = _long_key(lines, context_line) or _missing_colon(lines, context_line)
        if missing is not None:
            return missing
    if "mapping values are not allowed" in problem:
        return _long_key(lines, line) or _mapping_value_here(lines, line, column)
    if (
        "did not find expected key" in problem
        or "expected <block end>" in problem
        or "did not find expected '-'" in problem
    ):
        return _bad_indentation(lines, line) or Explained(
            f"{problem} (check the indentation: the keys of one mapping line up)",
            line,
            column,
        )
    return None


def _char_at(lines: list[str], line: int, column: int) -> str:
    if 1 <= line <= len(lines) and 1 <= column <= len(lines[line - 1]):
        return lines[line - 1][column - 1]
    return ""


def _tab_in_indentation(lines: list[str], candidates: list[int | None]) -> tuple[int, int] | None:
    """The first tab among the leading blanks of the candidate lines."""
    for number in candidates:
        if number is None or not 1 <= number <= len(lines):
            continue
        text = lines[number - 1]
        blanks = len(text) - len(text.lstrip(" \t"))
        tab = text.find("\t", 0, blanks)
        if tab >= 0:
            return number, tab + 1
    return None


def _indent(text: str) -> int:
    return len(text) - len(text.lstrip(" "))


def _is_content(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and not stripped.startswith("#")


def _has_key(text: str) -> bool:
    """Whether a line holds a ``key:`` (a colon ending the line or followed by a blank)."""
    body = text.split(" #", 1)[0].rstrip()
    return body.endswith(":") or ": " in body or ":\t" in body


# YAML's longest key written without '?': PyYAML gives up on a longer one mid-line.
_LONGEST_KEY = 1024


def _long_key(lines: list[str], number: int) -> Explained | None:
    """A key on line ``number`` longer than YAML allows, said so (not as a misplaced ':')."""
    if not 1 <= number <= len(lines):
        return None
    text = lines[number - 1].rstrip("\r")
    start = _indent(text)
    key = text[start:].split(": ", 1)[0].split(":\t", 1)[0].removesuffix(":")
    if len(key) <= _LONGEST_KEY:
        return None
    return Explained(
        f"the key '{key[:39]}…' is {len(key)} characters long: YAML allows at most"
        f" {_LONGEST_KEY} in a key; use a shorter name",
        number,
        start + 1,
    )


def _missing_colon(lines: list[str], number: int) -> Explained | None:
    """``x1 2.0`` on line ``number``: the ':' goes after the first word."""
    text = lines[number - 1].rstrip("\r")
    start = _indent(text)
    body = text[start:].lstrip("- ") if text[start:].startswith("- ") else text[start:]
    start = len(text) - len(body)
    words = body.split(None, 1)
    if len(words) != 2 or not words[0].replace("_", "a").isalnum():
        return None
    key, rest = words
    return Explained(
        f"missing ':' after '{key}' (write '{key}: {rest.strip()}')", number, start + len(key) + 1
    )


def _previous_content(lines: list[str], number: int) -> int | None:
    """The nearest line above ``number`` that is neither blank nor a comment."""
    for above in range(number - 1, 0, -1):
        if _is_content(lines[above - 1]):
            return above
    return None


def _mapping_value_here(lines: list[str], line: int, column: int) -> Explained | None:
    """A ':' PyYAML did not expect: a missing colon above, an indented key, or ': ' in a value."""
    if not 1 <= line <= len(lines):
        return None
    text = lines[line - 1].rstrip("\r")
    if _has_key(text[: max(column - 1, 0)]):
        key = text[: column - 1].split(":", 1)[0].strip()
        value = text[len(text[: column - 1].split(":", 1)[0]) + 1 :].strip()
        return Explained(
            "a ':' followed by a blank inside a value: put the value in quotes"
            f" (write '{key}: \"{value}\"')",
            line,
            column,
        )
    above = _previous_content(lines, line)
    if above is None:
        return None
    here, there = _indent(text), _indent(lines[above - 1])
    if here == there and not _has_key(lines[above - 1]):
        top = above  # the multi-line key that swallowed this line starts at the top of its run
        while True:
            higher = _previous_content(lines, top)
            if higher is None or _indent(lines[higher - 1]) != here or _has_key(lines[higher - 1]):
                break
            top = higher
        return _missing_colon(lines, top)
    if here > there:
        key = text.strip().split(":", 1)[0]
        return Explained(
            f"bad indentation: '{key}' is indented {_spaces(here)}, more than the line above"
            f" ({there}); the keys of one mapping line up",
            line,
            here + 1,
        )
    return None


def _bad_indentation(lines: list[str], line: int) -> Explained | None:
    """A key that lines up with no key above it."""
    if not 1 <= line <= len(lines) or not _is_content(lines[line - 1]):
        return None
    text = lines[line - 1]
    here = _indent(text)
    above = _previous_content(lines, line)
    there = _indent(lines[above - 1]) if above is not None else 0
    if here == there or text.strip().startswith("-"):
        return None  # lined up: not an indentation problem
    levels = sorted({_indent(lines[n]) for n in range(line - 1) if _is_content(lines[n])} - {here})
    key = text.strip().split(":", 1)[0]
    nearest = ", ".join(str(level) for level in levels) or "0"
    return Explained(
        f"bad indentation: '{key}' is indented {_spaces(here)}, the line above {there};"
        f" the keys of one mapping line up (indentations used above: {nearest})",
        line,
        here + 1,
    )


def _spaces(count: int) -> str:
    return "1 space" if count == 1 else f"{count} spaces"
