"""Formula strings (`x1*w1 + b`) -> trees, with Python's arithmetic syntax and nothing else.

The parser is shunting-yard over explicit stacks, so formulas of any length and nesting
depth parse without recursion (Python's own `ast` stops at 200 nested parentheses), and
nothing is ever passed to `eval`. Every refusal names the 0-based offset of the culprit.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterator
from typing import Literal

from gradpipe.documents.names import did_you_mean
from gradpipe.documents.numbers import is_python_number, number_text, read_float
from gradpipe.engine.ops import FUNCTION_NAMES, OP_ARITY
from gradpipe.errors import FormulaError

Kind = Literal["name", "number", "op"]

# Binding strength of each operator, as in Python: unary minus binds looser than `**` on
# its right (`-a**2` is `-(a**2)`) but may start an exponent (`a**-b`).
_BINARY = {"+": ("add", 1), "-": ("sub", 1), "*": ("mul", 2), "/": ("div", 2), "**": ("pow", 4)}
_UNARY_PRECEDENCE = 3
_PRECEDENCE = {"add": 1, "sub": 1, "mul": 2, "div": 2, "neg": 3, "pow": 4}
_SYMBOL = {"add": " + ", "sub": " - ", "mul": "*", "div": "/", "pow": "**"}


class Formula:
    """One node of a parsed formula; `start`/`end` delimit its text (without outer parentheses).

    `kind` is "name" (with `name`), "number" (with `value`) or "op" (with `op`, one of
    add sub mul div pow neg or a function name, and `args`). Equality compares structure,
    not offsets, and never recurses. Not changed once made. A plain class: a dataclass
    costs render's start-up about 4M instructions to create (README, figure 4).
    """

    __slots__ = ("args", "end", "kind", "name", "op", "start", "value")

    def __init__(
        self,
        kind: Kind,
        start: int,
        end: int,
        name: str = "",
        value: float = 0.0,
        op: str = "",
        args: tuple[Formula, ...] = (),
    ) -> None:
        self.kind = kind
        self.start = start
        self.end = end
        self.name = name
        self.value = value
        self.op = op
        self.args = args

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Formula):
            return NotImplemented
        pairs = [(self, other)]
        while pairs:
            left, right = pairs.pop()
            if (left.kind, left.name, left.value, left.op, len(left.args)) != (
                right.kind,
                right.name,
                right.value,
                right.op,
                len(right.args),
            ):
                return False
            pairs.extend(zip(left.args, right.args, strict=True))
        return True

    def __hash__(self) -> int:
        return hash((self.kind, self.name, self.value, self.op, len(self.args)))

    def __repr__(self) -> str:
        return f"Formula({format_formula(self)!r})"

    def postorder(self) -> Iterator[Formula]:
        """Every sub-formula, arguments before their users, left to right, without recursion."""
        stack: list[tuple[Formula, bool]] = [(self, False)]
        while stack:
            node, expanded = stack.pop()
            if expanded or not node.args:
                yield node
            else:
                stack.append((node, True))
                stack.extend((arg, False) for arg in reversed(node.args))


# --- tokens --------------------------------------------------------------------------------

# Anything that starts like a number, up to where it plainly ends, checked by _literal_value().
_NUMBER_TEXT = (
    r"(?:0[xXoObB][0-9a-fA-F_]*|(?:[0-9][0-9_]*(?:\.[0-9_]*)?|\.[0-9][0-9_]*)"
    r"(?:[eE][-+]?[0-9_]*)?)[A-Za-z0-9_]*"
)
_NAME_TEXT = r"[A-Za-z_][A-Za-z0-9_]*"
_OPERATOR_TEXT = r"\*\*|//|==|!=|<=|>=|<<|>>|:=|[-+*/(),]"  # with the refused pairs whole
_BLANK_TEXT = r"[ \t\n\r\f]*"
# The slow path's tokens, compiled on first use (by re's cache): the fast path's never need it.
_TOKEN = (
    rf"{_BLANK_TEXT}(?:(?P<number>{_NUMBER_TEXT})|(?P<name>{_NAME_TEXT})|(?P<op>{_OPERATOR_TEXT}))"
)
_PLAIN_TOKEN = re.compile(rf"({_BLANK_TEXT})({_NUMBER_TEXT}|{_NAME_TEXT}|{_OPERATOR_TEXT})").findall
_NUMBER_START = frozenset("0123456789.")
_NAME_START = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz_")
_PUNCTUATION_HINTS = {
    "//": "floor division '//' is not supported (only + - * / **)",
    "%": "'%' (modulo) is not supported (only + - * / **)",
    "@": "'@' (matrix multiplication) is not supported",
    "^": "'^' is not a power in Python: write '**'",
    "==": "comparisons are not supported",
    "!=": "comparisons are not supported",
    "<=": "comparisons are not supported",
    ">=": "comparisons are not supported",
    "<": "comparisons are not supported",
    ">": "comparisons are not supported",
    "<<": "bitwise operators are not supported",
    ">>": "bitwise operators are not supported",
    "&": "bitwise operators are not supported",
    "|": "bitwise operators are not supported",
    "~": "bitwise operators are not supported",
    ":=": "assignment expressions (':=') are not supported",
    "=": "'=' is not allowed in a formula (the node's name is its key in 'nodes')",
    ".": "attribute access ('.') is not allowed",
    "'": "strings are not allowed in a formula",
    '"': "strings are not allowed in a formula",
    "[": "lists and subscripts ('[') are not supported",
    "]": "lists and subscripts (']') are not supported",
    "{": "sets and dicts ('{') are not supported",
    "}": "sets and dicts ('}') are not supported",
    ";": "';' is not allowed: a formula is one expression",
    "#": "comments ('#') are not allowed in a formula",
    ":": "':' is not allowed in a formula",
}
_UNICODE_HINTS = {"−": "-", "–": "-", "×": "*", "·": "*", "÷": "/", "²": "**2", "³": "**3"}
_KEYWORD_HINTS = {
    "if": "conditional expressions ('if') are not supported",
    "else": "conditional expressions ('else') are not supported",
    "for": "comprehensions ('for') are not supported",
    "async": "comprehensions are not supported",
    "in": "comparisons ('in') are not supported",
    "is": "comparisons ('is') are not supported",
    "not": "boolean operators ('not') are not supported",
    "and": "boolean operators ('and') are not supported",
    "or": "boolean operators ('or') are not supported",
}
_PREFIX_KEYWORDS = {
    "lambda": "lambda expressions are not supported",
    "not": "boolean operators ('not') are not supported",
    "await": "'await' is not supported",
    "yield": "'yield' is not supported",
}
_FUNCTION_HINTS = {"ln": "log", "sqrt": "x**0.5", "abs": "relu(x) + relu(-x)", "pow": "a**b"}

# A token: kind ("number", "name", "op"), text, start offset, number value.
_Token = tuple[str, str, int, float]


def _tokens(text: str) -> list[_Token]:
    """Split a formula into tokens, refusing anything outside Python's arithmetic."""
    try:
        tokens = _plain_tokens(text)
    except FormulaError:
        tokens = None
    return _checked_tokens(text) if tokens is None else tokens


def _plain_tokens(text: str) -> list[_Token] | None:
    """The fast path: tokens of a formula made only of valid tokens, else None."""
    tokens: list[_Token] = []
    position = 0
    for blank, word in _PLAIN_TOKEN(text):
        start = position + len(blank)
        position = start + len(word)
        first = word[0]
        if first in _NUMBER_START:
            tokens.append(("number", word, start, _literal_value(word, start)))
        elif first in _NAME_START:
            tokens.append(("name", word, start, 0.0))
        elif word in _PUNCTUATION_HINTS:
            return None
        else:
            tokens.append(("op", word, start, 0.0))
    # Characters that no token matched were skipped, leaving text past `position`.
    if text[position:].strip(" \t\n\r\f"):
        return None
    return tokens


def _checked_tokens(text: str) -> list[_Token]:
    """The slow path: tokens one by one, raising at the first one that is not valid."""
    tokens: list[_Token] = []
    offset = 0
    length = len(text)
    match_token = re.compile(_TOKEN).match
    while True:
        match = match_token(text, offset)
        if match is None or match.lastgroup is None:
            offset = _skip_blank(text, offset)
            if offset >= length:
                return tokens
            message, culprit = _character_problem(text, offset, tokens)
            raise FormulaError(message, culprit)
        kind = match.lastgroup
        start = match.start(kind)
        word = match.group(kind)
        offset = match.end()
        if kind == "op" and word in _PUNCTUATION_HINTS:
            raise FormulaError(_PUNCTUATION_HINTS[word], start)
        tokens.append((kind, word, start, _literal_value(word, start) if kind == "number" else 0.0))


def _skip_blank(text: str, offset: int) -> int:
    """Offset of the next character that is not ASCII blank space."""
    while offset < len(text) and text[offset] in " \t\n\r\f":
        offset += 1
    return offset


def _character_problem(text: str, offset: int, tokens: list[_Token]) -> tuple[str, int]:
    """Why the character at `offset` cannot start a token, and where the culprit starts."""
    char = text[offset]
    if char == "=":
        inside_call = any(token[1] == "(" for token in tokens)
        if tokens and tokens[-1][0] == "name" and inside_call:
            return "keyword arguments are not supported", tokens[-1][2]
    if char == ":":
        for token in tokens:
            if token[1] == "lambda":
                return _PREFIX_KEYWORDS["lambda"], token[2]
    hint = _PUNCTUATION_HINTS.get(char)
    if hint is not None:
        return hint, offset
    return _odd_character(char), offset


def _odd_character(char: str) -> str:
    """A message for a character that no part of a formula uses."""
    import unicodedata  # only a refused formula's message names its character

    code = f"U+{ord(char):04X}"
    name = unicodedata.name(char, "")
    described = f"{char!r} ({code} {name})" if name else f"{char!r} ({code})"
    if char in _UNICODE_HINTS:
        return f"unexpected character {described}: write {_UNICODE_HINTS[char]!r}"
    if char.isspace():
        return f"unexpected space character {described}: use a plain space"
    if char.isalpha() or char.isdigit():
        return f"unexpected character {described}: names use ASCII letters, digits and '_'"
    return f"unexpected character {described}"


def _literal_value(word: str, start: int) -> float:
    """The value of a numeric literal, accepting what both Python and YAML 1.2 read alike."""
    value = read_float(word) if is_python_number(word) else None
    if value is None:
        raise FormulaError(_number_problem(word), start)
    if value in (math.inf, -math.inf):
        raise FormulaError(f"number too large: {word!r}", start)
    return value


def _is_literal(word: str) -> bool:
    return is_python_number(word) and read_float(word) is not None


def _number_problem(word: str) -> str:
    """Why a token that starts like a number is not one."""
    if "_" in word:
        return f"digit separators ('_') are not accepted in numbers: {word!r}"
    if word[:2] in ("0b", "0B"):
        return f"binary numbers are not accepted: {word!r}"
    if word[:2] in ("0X", "0O"):
        return f"write the prefix of {word!r} in lowercase ({word[:2].lower()})"
    decimal = word[:-1]
    if word[-1] in "jJ" and decimal[:2] not in ("0x", "0o") and _is_literal(decimal):
        return f"complex numbers are not accepted: {word!r}"
    if re.fullmatch(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)[eE][-+]?", word):
        return f"invalid number {word!r} (an exponent needs digits)"
    if re.fullmatch(r"0[0-9]+", word):
        return f"leading zeros are not allowed in {word!r} (as in Python)"
    digits = re.match(r"(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:[eE][-+]?[0-9]+)?", word)
    if digits is not None and digits.end() < len(word) and word[digits.end()].isalpha():
        number, rest = word[: digits.end()], word[digits.end() :]
        return f"invalid number {word!r} (missing '*' in {number}*{rest}?)"
    return f"invalid number {word!r}"


# --- parser --------------------------------------------------------------------------------

# An operand on the stack: its node and its outer span (parentheses included).
_Operand = tuple[Formula, int, int]
# An operator on the stack: op name ("(" for a parenthesis, a function name for a call),
# precedence (0 for parentheses and calls), start offset, operand count when it opened.
_Operator = tuple[str, int, int, int]


def parse_formula(text: str) -> Formula:
    """Parse one formula; raise FormulaError with the offset of the first problem."""
    tokens = _tokens(text)
    if not tokens:
        raise FormulaError("empty formula", 0)
    operands: list[_Operand] = []
    operators: list[_Operator] = []
    expect_operand = True
    count = len(tokens)
    index = 0
    while index < count:
        kind, word, start, value = tokens[index]
        index += 1
        end = start + len(word)
        if expect_operand:
            if kind == "number":
                operands.append((Formula("number", start, end, value=value), start, end))
                expect_operand = False
            elif kind == "name":
                if index < count and tokens[index][1] == "(":
                    _check_function(word, start)
                    operators.append((word, 0, start, len(operands)))
                    index += 1
                elif word in FUNCTION_NAMES:
                    raise FormulaError(f"{word!r} is a function: call it as {word}(...)", start)
                else:
                    operands.append((Formula("name", start, end, name=word), start, end))
                    expect_operand = False
            elif word == "(":
                operators.append(("(", 0, start, len(operands)))
            elif word in "+-":
                operators.append(("neg" if word == "-" else "pos", _UNARY_PRECEDENCE, start, 0))
            elif word == ")" and index >= 2 and tokens[index - 2][1] in "(,":
                if operators[-1][0] == "(":
                    raise FormulaError("empty parentheses", tokens[index - 2][2])
                # A call without arguments (which says how many it takes), or a trailing
                # comma as Python allows: f(a,).
                _close(operands, operators, end)
                expect_operand = False
            else:
                raise FormulaError(f"expected a number, a name or '(' before {word!r}", start)
        elif kind == "op" and word in _BINARY:
            op, precedence = _BINARY[word]
            right_associative = op == "pow"
            while operators and (
                operators[-1][1] > precedence
                or (operators[-1][1] == precedence and not right_associative)
            ):
                _reduce(operands, operators)
            operators.append((op, precedence, start, 0))
            expect_operand = True
        elif word == ")":
            while operators and operators[-1][1] > 0:
                _reduce(operands, operators)
            if not operators:
                raise FormulaError("unmatched ')'", start)
            _close(operands, operators, end)
        elif word == ",":
            while operators and operators[-1][1] > 0:
                _reduce(operands, operators)
            if not operators or operators[-1][0] == "(":
                raise FormulaError("',' outside a function call (tuples are not supported)", start)
            expect_operand = True
        else:
            raise _missing_operator(tokens, index - 1)
    if expect_operand:
        _, last, last_start, _ = tokens[-1]
        raise FormulaError(
            f"the formula ends after {last!r}: a number, a name or '(' should follow", last_start
        )
    while operators:
        op, precedence, start, _ = operators[-1]
        if precedence == 0:
            parenthesis = start if op == "(" else start + len(op)
            raise FormulaError("'(' was never closed", parenthesis)
        _reduce(operands, operators)
    return operands[0][0]


def _check_function(name: str, start: int) -> None:
    """Refuse a call of anything but the op table's functions, suggesting a close one."""
    if name in FUNCTION_NAMES:
        return
    hint = did_you_mean(name, sorted(FUNCTION_NAMES), slack=None)
    if not hint and name in _FUNCTION_HINTS:
        hint = f" (write {_FUNCTION_HINTS[name]})"
    elif not hint:
        hint = f" (the functions are {', '.join(sorted(FUNCTION_NAMES))})"
    raise FormulaError(f"unknown function {name!r}{hint}", start)


def _missing_operator(tokens: list[_Token], index: int) -> FormulaError:
    """Why an operand (or a keyword) stands where an operator was expected."""
    kind, word, start, _ = tokens[index]
    if kind == "name" and word in _KEYWORD_HINTS:
        return FormulaError(_KEYWORD_HINTS[word], start)
    _, before, before_start, _ = tokens[index - 1]
    if tokens[index - 1][0] == "name" and before in _PREFIX_KEYWORDS:
        return FormulaError(_PREFIX_KEYWORDS[before], before_start)
    if word == "(" and tokens[index - 1][0] != "op":
        return FormulaError(f"{before!r} is not a function: write an operator before '('", start)
    return FormulaError(f"expected an operator (+ - * / **) before {word!r}", start)


def _reduce(operands: list[_Operand], operators: list[_Operator]) -> None:
    """Apply the operator on top of the stack to its operands."""
    op, _, start, _ = operators.pop()
    if op == "pos":
        node, _, outer_end = operands.pop()
        operands.append((node, start, outer_end))
    elif op == "neg":
        arg, _, outer_end = operands.pop()
        operands.append((Formula("op", start, outer_end, op="neg", args=(arg,)), start, outer_end))
    else:
        right, _, right_end = operands.pop()
        left, left_start, _ = operands.pop()
        node = Formula("op", left_start, right_end, op=op, args=(left, right))
        operands.append((node, left_start, right_end))


def _close(operands: list[_Operand], operators: list[_Operator], end: int) -> None:
    """Close the parenthesis or call on top of the operator stack at a ')' ending at `end`."""
    op, _, start, base = operators.pop()
    if op == "(":
        node, _, _ = operands.pop()
        operands.append((node, start, end))
        return
    args = tuple(operand[0] for operand in operands[base:])
    del operands[base:]
    arity = OP_ARITY[op]
    if arity is None and not args:
        raise FormulaError(f"{op}() takes at least one argument", start)
    if arity is not None and len(args) != arity:
        raise FormulaError(
            f"{op}() takes exactly {arity} argument{'s' * (arity != 1)} ({len(args)} given)",
            start,
        )
    operands.append((Formula("op", start, end, op=op, args=args), start, end))


# --- printer -------------------------------------------------------------------------------


def format_formula(formula: Formula) -> str:
    """The formula as text with the fewest parentheses that parse back to the same tree."""
    pieces: list[str] = []
    stack: list[Formula | str] = [formula]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            pieces.append(item)
        elif item.kind == "name":
            pieces.append(item.name)
        elif item.kind == "number":
            pieces.append(number_text(item.value))
        elif item.op == "neg":
            stack.extend(_wrapped(item.args[0], _PRECEDENCE[item.op] > _strength(item.args[0])))
            stack.append("-")
        elif item.op in _SYMBOL:
            left, right = item.args
            strength = _PRECEDENCE[item.op]
            if item.op == "pow":
                left_parens = _strength(left) <= strength
                right_parens = _strength(right) < _UNARY_PRECEDENCE
            else:
                left_parens = _strength(left) < strength
                right_parens = _strength(right) <= strength
            stack.extend(_wrapped(right, right_parens))
            stack.append(_SYMBOL[item.op])
            stack.extend(_wrapped(left, left_parens))
        else:
            stack.append(")")
            for position, arg in enumerate(reversed(item.args)):
                stack.append(arg)
                if position < len(item.args) - 1:
                    stack.append(", ")
            stack.append(f"{item.op}(")
    return "".join(pieces)


def _strength(formula: Formula) -> int:
    """How tightly a sub-formula binds: atoms and calls bind tightest."""
    return _PRECEDENCE.get(formula.op, 5) if formula.kind == "op" else 5


def _wrapped(formula: Formula, parens: bool) -> list[Formula | str]:
    """Stack items (in reverse) printing a sub-formula, in parentheses when needed."""
    return [")", formula, "("] if parens else [formula]
