"""The one number grammar: a number as YAML 1.2 (core schema) and JSON write it.

Documents' plain scalars, ``--set NAME=NUMBER`` and formulas' literals all read numbers
here. A formula reads the subset that Python reads alike: no sign (``-`` is an operator
there) and no integer with leading zeros (``007``).
"""

from __future__ import annotations

import math
import re

# The grammar: an integer, a decimal (with an exponent or not), hex and octal. Compiled
# only for the numbers that ``_kind`` leaves to it (README, figure 4).
_NUMBER = (
    r"([-+]?[0-9]+)|([-+]?(?:\.[0-9]+|[0-9]+(?:\.[0-9]*)?)(?:[eE][-+]?[0-9]+)?)"
    r"|0x([0-9a-fA-F]+)|0o([0-7]+)"
)


def _kind(text: str) -> tuple[int, str] | None:
    """Which of ``_NUMBER``'s groups ``text`` is (1 an integer, 2 a decimal, 3 hex, 4
    octal) and that group's text; None when it is not a number.

    A signed or unsigned run of digits with at most one point, the numbers documents
    write, is told apart by string methods; the pattern reads the rest.
    """
    whole, point, fraction = (text[1:] if text[:1] in ("+", "-") else text).partition(".")
    digits = whole + fraction
    if digits.isascii() and digits.isdigit():
        return (2 if point else 1), text
    match = re.fullmatch(_NUMBER, text)
    if match is None:
        return None
    kind = match.lastindex or 0
    return kind, match.group(kind)


def read_number(text: str) -> int | float | None:
    """The int or float ``text`` writes, None when it is not a number (NaN is not one).

    ValueError for an integer longer than Python converts (``sys.get_int_max_str_digits``).
    """
    found = _kind(text)
    if found is None:
        return None
    kind, group = found
    if kind == 1:
        return int(text)
    if kind == 2:
        return float(text)
    return int(group, 16 if kind == 3 else 8)


def read_float(text: str) -> float | None:
    """The number ``text`` writes as a float (infinite when too large), None if not one."""
    found = _kind(text)
    if found is None:
        return None
    kind, group = found
    if kind == 1:  # an integer: any length of digits, too large is infinite; -0 is 0
        return float(text) or 0.0
    if kind == 2:
        return float(text)  # reads any length of digits: too large is infinite
    try:
        return float(int(group, 16 if kind == 3 else 8))
    except OverflowError:
        return math.inf


def is_python_number(text: str) -> bool:
    """Whether a literal of the grammar reads the same in Python: unsigned, no ``007``."""
    return text[:1] not in ("+", "-") and not _leading_zeros(text)


def _leading_zeros(text: str) -> bool:
    """Whether ``text`` is an integer written with leading zeros (``007``; ``00`` is not)."""
    return text[:1] == "0" and text.isascii() and text.isdigit() and text.strip("0") != ""


def number_text(x: float) -> str:
    """A number as it would be written: ``2`` rather than ``2.0``, exact digits otherwise."""
    return str(int(x)) if x.is_integer() and abs(x) < 1e16 else repr(x)
