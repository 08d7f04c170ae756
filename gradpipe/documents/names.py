"""Names in documents: what a user may call a node, and "did you mean" for a misspelt one.

"Did you mean" ranks names by an edit distance where changing a letter's case costs half
an edit and swapping two neighbours one, much as Python's own NameError suggestions
measure it; a name is close enough within about a third of the two words' lengths. Among
equally close names the more plausible wins: the same length as the word, then the
longer shared prefix. Names still tied are all given, in source order (that of the
candidates), so ``wl`` beside ``w1`` and ``w2`` gives both.
"""

from __future__ import annotations

import os
from collections.abc import Iterable

from gradpipe.engine.ops import FUNCTION_NAMES

__all__ = ["FUNCTION_NAMES", "NAME_PATTERN", "did_you_mean", "is_name", "is_valid_name"]

# What a name is spelt of, as a pattern: the schemas' (pydantic's models). gradpipe itself
# tests names with ``is_name``, at C speed and with no pattern to compile (README, figure 4).
NAME_PATTERN = r"[A-Za-z_][A-Za-z0-9_]*\Z"
NAME_RULE = "use letters, digits and _, not starting with a digit"
HINT_POOL = 5000  # "did you mean" compares with at most this many names
MOVE = 2  # the cost of inserting, deleting, replacing or swapping characters
CASE = 1  # the cost of replacing a character by itself in another case
MOST_LISTED = 3  # names listed when that many tie


def file_stem(path: str) -> str:
    """A file's name without its last suffix: a document's default name, and what
    ``--out-dir`` names its results after (by ``os.path``: ``pathlib`` alone would add a
    twentieth to an installed ``gradpipe render``'s start-up, README figure 4)."""
    name = os.path.basename(path.rstrip("/" + os.sep)) or path
    stem, _ = os.path.splitext(name)
    return stem or name


def is_name(text: str) -> bool:
    """Whether ``text`` is spelt as ``NAME_PATTERN`` says: of ASCII text, Python's
    identifiers are exactly the names."""
    return text.isascii() and text.isidentifier()


def is_valid_name(name: str) -> bool:
    """A user's name: an identifier (keywords allowed) that is not an op's function name."""
    return is_name(name) and name not in FUNCTION_NAMES


def closest_names(word: str, candidates: Iterable[str]) -> list[str]:
    """The most plausible names for ``word``, in source order; empty when none is close."""
    best: tuple[int, int, int] | None = None
    found: list[str] = []
    seen: set[str] = set()
    for name in candidates:
        if name == word or name in seen:
            continue
        seen.add(name)
        limit = (len(word) + len(name) + 3) * MOVE // 6
        cost = distance(word, name, limit)
        if cost > limit:
            continue
        rank = (cost, len(name) != len(word), -_shared_prefix(word, name))
        if best is None or rank < best:
            best, found = rank, [name]
        elif rank == best:
            found.append(name)
    return found[:MOST_LISTED]


def did_you_mean(word: str, candidates: Iterable[object], *, slack: int | None = 3) -> str:
    """`` (did you mean 'x2'?)``, `` (did you mean 'w1' or 'w2'?)`` on a tie, or nothing.

    ``slack`` keeps only candidates whose length is within that many characters of
    ``word`` (and at most HINT_POOL of them): cheap on a graph of a million names; None
    compares with every candidate.
    """
    pool = [c for c in candidates if isinstance(c, str)]
    if slack is not None:
        pool = [c for c in pool if abs(len(c) - len(word)) <= slack][:HINT_POOL]
    names = closest_names(word, pool)
    if not names:
        return ""
    quoted = [f"'{name}'" for name in names]
    listed = quoted[0] if len(quoted) == 1 else ", ".join(quoted[:-1]) + " or " + quoted[-1]
    return f" (did you mean {listed}?)"


def distance(a: str, b: str, limit: int) -> int:
    """Edit distance of ``a`` and ``b``, more than ``limit`` as soon as it must be.

    MOVE per inserted, deleted or replaced character and per swap of two neighbours
    (``epxr`` is one swap from ``expr``), CASE per change of case.
    """
    if abs(len(a) - len(b)) * MOVE > limit:
        return limit + 1
    before: list[int] = []
    previous = list(range(0, (len(b) + 1) * MOVE, MOVE))
    for i, char in enumerate(a, 1):
        current = [i * MOVE]
        for j, other in enumerate(b, 1):
            if char == other:
                change = 0
            elif char.lower() == other.lower():
                change = CASE
            else:
                change = MOVE
            cost = min(previous[j] + MOVE, current[j - 1] + MOVE, previous[j - 1] + change)
            if i > 1 and j > 1 and char == b[j - 2] and a[i - 2] == other and char != other:
                cost = min(cost, before[j - 2] + MOVE)
            current.append(cost)
        if min(current) > limit:
            return limit + 1
        before, previous = previous, current
    return previous[-1]


def _shared_prefix(a: str, b: str) -> int:
    count = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        count += 1
    return count
