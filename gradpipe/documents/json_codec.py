"""JSON at C speed through orjson where it is installed, with the standard library's bytes.

orjson reads a big document in about half the time of ``json.loads`` and formats numbers
and strings ten to forty times faster than Python does, but it is not the standard
library: it keeps the last of repeated keys, writes ``0.00001`` where Python writes
``1e-05``, and is missing on a few platforms. So it is only ever a faster way to the same
result: the reader's data is used only where the caller proves it equal (see
``gradpipe.documents.plan``), the writers' text is Python's text, token for token, and
without orjson (or for small inputs, where importing it would cost more than it saves)
everything goes through the standard library.
"""

from __future__ import annotations

import codecs
from collections.abc import Callable, Sequence
from functools import cache
from itertools import compress, count, repeat
from operator import contains
from types import ModuleType
from typing import Any

# Inputs and graphs below these sizes stay with the standard library: importing orjson
# costs a few milliseconds, more than it saves on them.
FAST_BYTES = 1 << 16
FAST_NODES = 2_000


@cache
def stdlib_json() -> Callable[[Any], str]:
    """The standard library's strict encoder (``json.dumps(ensure_ascii=False,
    allow_nan=False)``), imported on first use: reading a spec and drawing it write none."""
    import json

    return json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode


@cache
def json_quoter() -> Callable[[str], str]:
    """How ``stdlib_json`` quotes a string (C's ``encode_basestring``), imported on first use."""
    import json.encoder

    return json.encoder.encode_basestring


# None: not yet imported; False: not installed (or disabled, as tests do).
_orjson: ModuleType | bool | None = None


def orjson() -> ModuleType | None:
    """The orjson module, imported on first use; None where it is not installed."""
    global _orjson
    if _orjson is None:
        try:
            import orjson as module
        except ImportError:
            _orjson = False
        else:
            _orjson = module
    return _orjson if isinstance(_orjson, ModuleType) else None


def read_object(raw: bytes) -> tuple[dict[str, Any], int] | None:
    """orjson's reading of a big JSON object and the number of ``:`` bytes in it, or None.

    None where orjson is missing, the input is small, or orjson refuses it (not JSON, a
    number Python reads and orjson does not, a lone surrogate...): the standard library's
    reading, with its located errors, is then the only one. The count of ``:`` lets the
    caller prove there was no repeated key, which orjson would silently merge: every
    key of a JSON object is followed by one ``:``, and any other ``:`` is inside a string.
    """
    if len(raw) < FAST_BYTES:
        return None
    module = orjson()
    if module is None:
        return None
    if raw.startswith(codecs.BOM_UTF8):
        raw = raw[len(codecs.BOM_UTF8) :]
    try:
        data = module.loads(raw)
    except (module.JSONDecodeError, RecursionError):
        return None
    if type(data) is not dict:
        return None
    return data, raw.count(b":")


def number_texts(numbers: Sequence[float | int | None]) -> list[str]:
    """Each number as ``json.dumps`` writes it (``null`` for None); ValueError for NaN or inf.

    orjson writes the same shortest round-trip digits as Python's ``repr`` and the same
    text, except below 1e-4: a one-digit exponent where Python writes two (``1e-7`` for
    ``1e-07``), padded in the whole text at once, and no exponent from 1e-5 to 1e-4
    (``0.00001`` for ``1e-05``), those tokens rewritten one by one (``_python_text``).
    """
    module = orjson() if len(numbers) >= FAST_NODES else None
    if module is None:
        return stdlib_json()(list(numbers))[1:-1].split(", ") if numbers else []
    try:
        text: str = module.dumps(numbers).decode()[1:-1]
    except TypeError:  # an integer beyond 64 bits
        return stdlib_json()(list(numbers))[1:-1].split(", ")
    if "null" in text and text.count("null") != list(numbers).count(None):
        stdlib_json()(list(numbers))  # orjson writes NaN and inf as null: raise as Python does
    if "e-" in text:
        text = _padded_exponents(text)
    tokens = text.split(",") if text else []
    if "0.0000" in text:
        for i in compress(count(), map(contains, tokens, repeat("0.0000"))):
            tokens[i] = _python_text(tokens[i]) or repr(numbers[i])
    return tokens


def _padded_exponents(text: str) -> str:
    """orjson's numbers, comma separated, with each one-digit exponent ``e-N`` as ``e-0N``.

    A ``str.replace`` per digit over the whole text, not a step per number: a long
    chain's gradients shrink below 1e-4 at nearly every node, and only a few of them
    (below 1e-5 and above 1e-10) need the zero. An exponent ends where its number does,
    at a comma (one is added after the last number).
    """
    text += ","
    for digit in "123456789":
        text = text.replace(f"e-{digit},", f"e-0{digit},")
    return text[:-1]


def _python_text(token: str) -> str | None:
    """orjson's text of a number from 1e-5 to 1e-4 as ``repr`` writes it; None if not one.

    The digits are the same (both shortest round-trip); only the form differs: Python
    writes ``1.5e-05`` where orjson writes ``0.000015``.
    """
    sign = "-" if token.startswith("-") else ""
    if not token.startswith("0.0000", len(sign)):
        return None  # 10.00001 and the like: written as Python writes them already
    fraction = token[len(sign) + 2 :]
    digits = fraction.lstrip("0")
    zeros = len(fraction) - len(digits)
    point = "." if len(digits) > 1 else ""
    return f"{sign}{digits[0]}{point}{digits[1:]}e-{zeros + 1:02d}"


def string_texts(strings: Sequence[str]) -> list[str]:
    """Each string quoted as ``json.dumps(ensure_ascii=False)`` writes it.

    orjson escapes exactly the characters Python does, the same way (checked for every
    code point); a lone surrogate, which orjson refuses, goes through Python's quoting.
    Its output is split at ``","``: a quote inside a string is always escaped, so where
    a string holds a quote the split could go wrong, and Python quotes them instead.
    """
    module = orjson() if len(strings) >= FAST_NODES else None
    if module is None or not strings:
        return list(map(json_quoter(), strings))
    try:
        text: str = module.dumps(strings).decode()
    except TypeError:  # a lone surrogate
        return list(map(json_quoter(), strings))
    if '\\"' in text:
        return list(map(json_quoter(), strings))
    if text.count(",") == len(strings) - 1:  # no string holds a comma: each one is a token
        return text[1:-1].split(",")
    return ['"' + s + '"' for s in text[2:-2].split('","')]
