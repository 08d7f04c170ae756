"""The formula parser: Python's arithmetic and nothing else, iterative, every refusal located."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from gradpipe.documents.formula import Formula, format_formula, parse_formula
from gradpipe.errors import FormulaError


def tree(text: str) -> str:
    """A parsed formula in prefix notation, to compare shapes at a glance."""
    out: list[str] = []
    stack: list[Formula | str] = [parse_formula(text)]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            out.append(item)
        elif item.kind == "name":
            out.append(item.name)
        elif item.kind == "number":
            out.append(repr(item.value))
        else:
            stack.append(")")
            for index, arg in enumerate(reversed(item.args)):
                stack.append(arg)
                if index < len(item.args) - 1:
                    stack.append(" ")
            stack.append(f"({item.op} ")
    return "".join(out)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("x1*w1 + x2*w2 + b", "(add (add (mul x1 w1) (mul x2 w2)) b)"),
        ("a - b - c", "(sub (sub a b) c)"),
        ("a / b * c", "(mul (div a b) c)"),
        ("-a**2", "(neg (pow a 2.0))"),
        ("-2**2", "(neg (pow 2.0 2.0))"),
        ("a**b**c", "(pow a (pow b c))"),
        ("(a**b)**c", "(pow (pow a b) c)"),
        ("2**-1", "(pow 2.0 (neg 1.0))"),
        ("a**-b*c", "(mul (pow a (neg b)) c)"),
        ("a ** -b ** c", "(pow a (neg (pow b c)))"),
        ("-a*b", "(mul (neg a) b)"),
        ("--a", "(neg (neg a))"),
        ("+x", "x"),
        ("(x)", "x"),
        ("a - -b", "(sub a (neg b))"),
        ("x * -1", "(mul x (neg 1.0))"),
        ("tanh(x1*w1 + b)", "(tanh (add (mul x1 w1) b))"),
        ("sum(a, b*c, 2)", "(sum a (mul b c) 2.0)"),
        ("sum(a,)", "(sum a)"),
        ("exp(2*n) / (1 + exp(-n))", "(div (exp (mul 2.0 n)) (add 1.0 (exp (neg n))))"),
        ("lambda * w + if_", "(add (mul lambda w) if_)"),
        ("None + True", "(add None True)"),
        (
            "1e-3 + 1E3 + .5 + 1. + 0x1F + 0o17 + 007.5",
            "(add (add (add (add (add (add 0.001 1000.0) 0.5) 1.0) 31.0) 15.0) 7.5)",
        ),
        ("\ta\n*\r\fb ", "(mul a b)"),
    ],
)
def test_python_syntax_and_precedence(text: str, expected: str) -> None:
    assert tree(text) == expected


def test_offsets_delimit_each_sub_formula_without_its_outer_parentheses() -> None:
    text = "(x1*w1 + b) * tanh( n )"
    labels = [text[node.start : node.end] for node in parse_formula(text).postorder()]
    assert labels == [
        "x1", "w1", "x1*w1", "b", "x1*w1 + b", "n", "tanh( n )", "(x1*w1 + b) * tanh( n )"
    ]  # fmt: skip


@pytest.mark.parametrize(
    ("text", "offset", "message"),
    [
        ("", 0, "empty formula"),
        ("   ", 0, "empty formula"),
        ("a.b", 1, "attribute access ('.') is not allowed"),
        ("tan(x)", 0, "unknown function 'tan' (did you mean 'tanh'?)"),
        ("x + sigmod(x)", 4, "unknown function 'sigmod' (did you mean 'sigmoid'?)"),
        ("sqrt(x)", 0, "unknown function 'sqrt' (write x**0.5)"),
        ("f(x)", 0, "unknown function 'f' (the functions are exp, log, relu, sigmoid, sum, tanh)"),
        ("exp + 1", 0, "'exp' is a function: call it as exp(...)"),
        ("tanh(a, b)", 0, "tanh() takes exactly 1 argument (2 given)"),
        ("2 * exp()", 4, "exp() takes exactly 1 argument (0 given)"),
        ("sum()", 0, "sum() takes at least one argument"),
        ("'a' + b", 0, "strings are not allowed in a formula"),
        ('a + "b"', 4, "strings are not allowed in a formula"),
        ("a // b", 2, "floor division '//' is not supported (only + - * / **)"),
        ("a % b", 2, "'%' (modulo) is not supported (only + - * / **)"),
        ("a @ b", 2, "'@' (matrix multiplication) is not supported"),
        ("a ^ 2", 2, "'^' is not a power in Python: write '**'"),
        ("a < b", 2, "comparisons are not supported"),
        ("a == b", 2, "comparisons are not supported"),
        ("a != b", 2, "comparisons are not supported"),
        ("a & b", 2, "bitwise operators are not supported"),
        ("~a", 0, "bitwise operators are not supported"),
        ("lambda x: x", 0, "lambda expressions are not supported"),
        ("lambda: 1", 0, "lambda expressions are not supported"),
        ("[x for x in y]", 0, "lists and subscripts ('[') are not supported"),
        ("a[0]", 1, "lists and subscripts ('[') are not supported"),
        ("{a}", 0, "sets and dicts ('{') are not supported"),
        ("(x for x in y)", 3, "comprehensions ('for') are not supported"),
        ("a if b else c", 2, "conditional expressions ('if') are not supported"),
        ("not a", 0, "boolean operators ('not') are not supported"),
        ("a and b", 2, "boolean operators ('and') are not supported"),
        ("a in b", 2, "comparisons ('in') are not supported"),
        ("exp(x=1)", 4, "keyword arguments are not supported"),
        ("y = x", 2, "'=' is not allowed in a formula (the node's name is its key in 'nodes')"),
        ("(y := x)", 3, "assignment expressions (':=') are not supported"),
        ("a; b", 1, "';' is not allowed: a formula is one expression"),
        ("a # note", 2, "comments ('#') are not allowed in a formula"),
        ("(a + b", 0, "'(' was never closed"),
        ("exp(a + b", 3, "'(' was never closed"),
        ("a + b)", 5, "unmatched ')'"),
        ("()", 0, "empty parentheses"),
        ("(a, b)", 2, "',' outside a function call (tuples are not supported)"),
        ("a b", 2, "expected an operator (+ - * / **) before 'b'"),
        ("a + b c", 6, "expected an operator (+ - * / **) before 'c'"),
        ("2(3)", 1, "'2' is not a function: write an operator before '('"),
        ("exp(x)(y)", 6, "expected an operator (+ - * / **) before '('"),
        ("a + ", 2, "the formula ends after '+': a number, a name or '(' should follow"),
        ("exp(", 3, "the formula ends after '(': a number, a name or '(' should follow"),
        ("-", 0, "the formula ends after '-': a number, a name or '(' should follow"),
        ("* a", 0, "expected a number, a name or '(' before '*'"),
        ("a * * b", 4, "expected a number, a name or '(' before '*'"),
        ("a ***b", 4, "expected a number, a name or '(' before '*'"),
        ("1_000 * x", 0, "digit separators ('_') are not accepted in numbers: '1_000'"),
        ("0b101", 0, "binary numbers are not accepted: '0b101'"),
        ("0X1F", 0, "write the prefix of '0X1F' in lowercase (0x)"),
        ("1j", 0, "complex numbers are not accepted: '1j'"),
        ("x + 007", 4, "leading zeros are not allowed in '007' (as in Python)"),
        ("2x", 0, "invalid number '2x' (missing '*' in 2*x?)"),
        ("1e", 0, "invalid number '1e' (an exponent needs digits)"),
        ("1.5e+ x", 0, "invalid number '1.5e+' (an exponent needs digits)"),
        ("1e400", 0, "number too large: '1e400'"),
        ("a − b", 2, "unexpected character '−' (U+2212 MINUS SIGN): write '-'"),
        ("a × b", 2, "unexpected character '×' (U+00D7 MULTIPLICATION SIGN): write '*'"),
        ("x²", 1, "unexpected character '²' (U+00B2 SUPERSCRIPT TWO): write '**2'"),
        (
            "α + 1",
            0,
            "unexpected character 'α' (U+03B1 GREEK SMALL LETTER ALPHA):"
            " names use ASCII letters, digits and '_'",
        ),
        (
            "a\u00a0+ b",
            1,
            "unexpected space character '\\xa0' (U+00A0 NO-BREAK SPACE): use a plain space",
        ),
        ("a + b\\\n", 5, "unexpected character '\\\\' (U+005C REVERSE SOLIDUS)"),
        ("a\x00", 1, "unexpected character '\\x00' (U+0000)"),
    ],
)
def test_anything_else_is_refused_with_its_offset(text: str, offset: int, message: str) -> None:
    with pytest.raises(FormulaError) as caught:
        parse_formula(text)
    assert (caught.value.offset, caught.value.message) == (offset, message)


@pytest.mark.slow
def test_long_formulas_parse_without_recursion() -> None:
    terms = 100_000
    text = " + ".join(f"x{i}*w{i}" for i in range(terms))
    formula = parse_formula(text)
    assert (formula.op, formula.start, formula.end) == ("add", 0, len(text))
    assert sum(1 for node in formula.postorder() if node.op == "add") == terms - 1


DEPTH = 20_000  # far past Python's recursion limit (1000) and ast's nesting limit (200)


@pytest.mark.parametrize(
    "text",
    [
        "(" * 100_000 + "x" + ")" * 100_000,
        "-" * DEPTH + "x",
        "x" + "**x" * DEPTH,
        "exp(" * DEPTH + "x" + ")" * DEPTH,
        "x" + " - (x" * DEPTH + ")" * DEPTH,
    ],
)
def test_deep_formulas_parse_print_and_compare_without_recursion(text: str) -> None:
    formula = parse_formula(text)
    again = parse_formula(format_formula(formula))
    assert again == formula
    assert hash(again) == hash(formula)
    assert repr(formula).startswith("Formula(")


@pytest.mark.parametrize(
    ("text", "printed"),
    [
        ("x1 * w1+b", "x1*w1 + b"),
        ("a - (b - c)", "a - (b - c)"),
        ("(a - b) - c", "a - b - c"),
        ("a + (b + c)", "a + (b + c)"),
        ("a / (b * c)", "a/(b*c)"),
        ("(-a)**2", "(-a)**2"),
        ("-(a**2)", "-a**2"),
        ("-(a*b)", "-(a*b)"),
        ("a**(-b)", "a**-b"),
        ("(a**b)**c", "(a**b)**c"),
        ("a**(b**c)", "a**b**c"),
        ("a**(b*c)", "a**(b*c)"),
        ("sum((a), b + c)", "sum(a, b + c)"),
        ("1e-3 * 2.50 + 1e16 + 0x10", "0.001*2.5 + 1e+16 + 16"),
    ],
)
def test_the_printer_uses_the_fewest_parentheses(text: str, printed: str) -> None:
    assert format_formula(parse_formula(text)) == printed


def test_equality_is_structural_and_ignores_offsets() -> None:
    assert parse_formula("a*b") == parse_formula(" ( a * b ) ")
    assert parse_formula("a*b") != parse_formula("b*a")
    assert parse_formula("2") == parse_formula("2.0")
    assert parse_formula("a") != "a"


NAMES = st.sampled_from(["x", "w1", "b_2", "lambda", "if_", "None", "_"])
NUMBERS = st.one_of(
    st.integers(min_value=0, max_value=10**20).map(float),
    st.floats(min_value=0, allow_nan=False, allow_infinity=False),
)


def formulas() -> st.SearchStrategy[Formula]:
    """Random formula trees of every shape the parser can produce (offsets are not compared)."""
    leaves = st.one_of(
        NAMES.map(lambda name: Formula("name", 0, 0, name=name)),
        NUMBERS.map(lambda value: Formula("number", 0, 0, value=value)),
    )

    def ops(children: st.SearchStrategy[Formula]) -> st.SearchStrategy[Formula]:
        binary = st.tuples(st.sampled_from(["add", "sub", "mul", "div", "pow"]), children, children)
        unary = st.tuples(
            st.sampled_from(["neg", "exp", "log", "tanh", "relu", "sigmoid"]), children
        )
        total = st.tuples(st.just("sum"), st.lists(children, min_size=1, max_size=4))
        return st.one_of(
            binary.map(lambda t: Formula("op", 0, 0, op=t[0], args=(t[1], t[2]))),
            unary.map(lambda t: Formula("op", 0, 0, op=t[0], args=(t[1],))),
            total.map(lambda t: Formula("op", 0, 0, op="sum", args=tuple(t[1]))),
        )

    return st.recursive(leaves, ops, max_leaves=30)


@given(formulas())
def test_printed_formulas_parse_back_to_the_same_tree(formula: Formula) -> None:
    text = format_formula(formula)
    assert parse_formula(text) == formula
    assert format_formula(parse_formula(text)) == text


FORMULA_CHARACTERS = "ab1290.e+-*/(),_ xoj\t'\"[]=<>!%^&|~@:;#\\−×²α\u00a0\n"


@given(st.one_of(st.text(), st.text(alphabet=FORMULA_CHARACTERS)))
@settings(max_examples=300)
def test_random_text_raises_nothing_but_formula_error(text: str) -> None:
    try:
        formula = parse_formula(text)
    except FormulaError as error:
        assert 0 <= error.offset <= len(text)
        assert error.message
    else:
        for node in formula.postorder():
            assert 0 <= node.start < node.end <= len(text)
            assert text[node.start : node.end].strip() == text[node.start : node.end]
