"""Names in documents: what a user may call a node, and "did you mean" for a misspelt one."""

from __future__ import annotations

import re
from collections.abc import Iterable

from gradpipe.engine.ops import FUNCTION_NAMES

__all__ = ["FUNCTION_NAMES", "NAME_PATTERN", "did_you_mean", "is_valid_name"]

NAME_PATTERN = re.compile(r"[A-Za-z_][A-Za-z0-9_]*\Z")
NAME_RULE = "use letters, digits and _, not starting with a digit"
HINT_POOL = 5000  # "did you mean" compares with at most this many names


def is_valid_name(name: str) -> bool:
    """A user's name: an identifier (keywords allowed) that is not an op's function name."""
    return bool(NAME_PATTERN.match(name)) and name not in FUNCTION_NAMES


def did_you_mean(
    word: str, candidates: Iterable[object], *, cutoff: float = 0.5, slack: int | None = 3
) -> str:
    """`` (did you mean 'x2'?)`` for the closest candidate, or nothing.

    ``slack`` keeps only candidates whose length is within that many characters of
    ``word`` (and at most HINT_POOL of them): cheap on a graph of a million names; None
    compares with every candidate.
    """
    pool = [c for c in candidates if isinstance(c, str)]
    if slack is not None:
        pool = [c for c in pool if abs(len(c) - len(word)) <= slack][:HINT_POOL]
    import difflib  # only a refusal needs it

    close = difflib.get_close_matches(word, pool, n=1, cutoff=cutoff)
    return f" (did you mean '{close[0]}'?)" if close else ""
