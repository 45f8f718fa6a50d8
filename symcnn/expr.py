"""A small, safe parser for arithmetic as people write it.

It accepts numbers (``3``, ``0.75`` read exactly as 3/4, ``36,928``), symbol names, the operators
+ - * / ^ ** x × · ÷ ( ), superscript digits (3²), floors and ceilings written ``⌊x⌋`` and ``⌈x⌉``, and
the functions of :data:`FUNCTIONS`: ``floor``, ``ceil``, ``round`` (half up: ``int(x + 0.5)``, as the
papers' reference code rounds), ``min``, ``max`` and ``make_divisible(v, divisor[, min_value])``
(Keras's ``_make_divisible``). It builds SymPy objects directly: no text ever reaches ``eval``,
``exec``, ``sympify`` or ``parse_expr``. Any other name called like a function (``int(3)``) is
refused, and so is a symbol named like a function the printed formulas use (``floor``, ``ceiling``).

>>> parse("(3² × 64 × 1) + 64")
640
>>> parse("(K^2*C+1)*F")
F*(C*K**2 + 1)
>>> parse("make_divisible(32 * 0.35, 8)"), parse("round(5/2)"), parse("max(2, 3x4)")
(16, 3, 12)
"""

from __future__ import annotations

import keyword
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

import sympy

from .errors import ArgumentError, LimitError, ParseError
from .formulas import make_divisible, round_half_up

MAX_LENGTH = 2000
MAX_DEPTH = 64
MAX_EXPONENT = 64
MAX_RESULT_BITS = 4096  # every number met while parsing, numerator and denominator (Python prints ints to 4,300 digits)
MAX_NAME = 64
MAX_DIGITS = MAX_RESULT_BITS * 3 // 10  # a literal of more digits than this is over MAX_RESULT_BITS

_SUPERSCRIPTS = str.maketrans("⁰¹²³⁴⁵⁶⁷⁸⁹", "0123456789")
_SUPER_CHARS = "⁰¹²³⁴⁵⁶⁷⁸⁹"
_OPERATOR_ALIASES = {
    "×": "*", "·": "*", "⋅": "*", "∗": "*", "✕": "*",
    "÷": "/", "−": "-", "–": "-", "**": "^",
    "[": "(", "]": ")",
}
_TOKEN = re.compile(
    r"""
    (?P<space>\s+)
  | (?P<sci>(?:\d+(?:\.\d*)?|\.\d+)[eE][-+]?\d+(?![A-Za-z_]))
  | (?P<number>\d{1,3}(?:,\d{3})+(?![\d,])(?:\.\d+)?|\d+(?:\.\d+)?|\.\d+)
  | (?P<name>[A-Za-z_][A-Za-z0-9_]*)
  | (?P<sup>[⁰¹²³⁴⁵⁶⁷⁸⁹]+)
  | (?P<op>\*\*|[-+*/^(),×·⋅∗✕÷−–\[\]⌊⌋⌈⌉])
    """,
    re.VERBOSE,
)

SymbolResolver = Callable[[str], sympy.Expr]


def _min(*args: sympy.Expr) -> sympy.Expr:
    return sympy.Min(*args)


def _max(*args: sympy.Expr) -> sympy.Expr:
    return sympy.Max(*args)


# name -> (fewest arguments, most arguments, the SymPy function); printed forms are SymPy's (ceiling, Min, Max)
FUNCTIONS: dict[str, tuple[int, int, Callable[..., sympy.Expr]]] = {
    "floor": (1, 1, sympy.floor),
    "ceil": (1, 1, sympy.ceiling),
    "round": (1, 1, round_half_up),
    "min": (2, 16, _min),
    "max": (2, 16, _max),
    "make_divisible": (2, 3, make_divisible),
}
_BRACKETS = {"⌊": ("floor", "⌋"), "⌈": ("ceil", "⌉")}
# Names a symbol may not take: the parser's functions, and the functions SymPy prints in symcnn's formulas
# (the JSON contract's text is read back with sympify, where a symbol named floor would shadow the function).
RESERVED_NAMES = frozenset({
    *FUNCTIONS, "ceiling", "Min", "Max", "Piecewise", "Mod", "Abs", "sign", "Eq", "Ne", "Lt", "Le", "Gt", "Ge",
    "And", "Or", "Not", "ITE", "true", "false", "Integer", "Rational", "Symbol", "Function", "oo", "zoo", "nan",
})


def _known_functions() -> str:
    return ", ".join(f"{name}()" for name in FUNCTIONS)


@dataclass(frozen=True)
class _Tok:
    kind: str  # number | name | sup | op
    text: str
    pos: int


def is_identifier(name: str) -> bool:
    """True for a plain ASCII identifier that is not a Python keyword nor a reserved function name."""
    return (
        len(name) <= MAX_NAME
        and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) is not None
        and not keyword.iskeyword(name)
        and name not in RESERVED_NAMES
    )


def _check_name(name: str) -> None:
    if name in RESERVED_NAMES:
        raise ParseError(
            f"{name!r} cannot be a symbol name: it is the name of a function that formulas use "
            f"({', '.join(sorted(RESERVED_NAMES, key=str.lower)[:8])}, ...); choose another name"
        )
    if not is_identifier(name):
        raise ParseError(f"{name!r} is not a valid symbol name (letters, digits and _ only, up to {MAX_NAME})")


def dim_symbol(name: str) -> sympy.Symbol:
    """The symbol symcnn makes for a size: a positive integer.

    >>> dim_symbol("H").is_integer
    True
    """
    _check_name(name)
    return sympy.Symbol(name, integer=True, positive=True)


def multiplier_symbol(name: str) -> sympy.Symbol:
    """The symbol symcnn makes for a multiplier such as MobileNet's width ``alpha``: a positive rational.

    >>> a = multiplier_symbol("alpha"); (a.is_integer, parse("floor(32*alpha)", {"alpha": a}))
    (None, floor(32*alpha))
    """
    _check_name(name)
    return sympy.Symbol(name, rational=True, positive=True)


def exact_number(value: Any, what: str = "value") -> sympy.Rational:
    """A number as an exact SymPy rational: a float is read from its shortest repr (0.75 → 3/4, 0.1 → 1/10).

    >>> exact_number(0.75), exact_number(1e-05), exact_number("3/4")
    (3/4, 1/100000, 3/4)
    """
    if isinstance(value, bool):
        raise ArgumentError(f"{what} must be a number, got {value!r}")
    if isinstance(value, int):
        out = sympy.Integer(_bounded_int(value, what))
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ArgumentError(f"{what} must be a finite number, got {value!r}")
        out = sympy.Rational(repr(value))
    elif isinstance(value, Fraction):
        out = sympy.Rational(_bounded_int(value.numerator, what), _bounded_int(value.denominator, what))
    elif isinstance(value, sympy.Basic) and value.is_Rational:
        out = value
    elif isinstance(value, str):
        out = parse(value, {}, allow_new=False)
        if not out.is_Rational:
            raise ArgumentError(f"{what} must be a number, got {value!r}")
    else:
        raise ArgumentError(f"{what} must be a number, got {value!r}")
    _check_bits(out, what)
    return out


def _bounded_int(value: int, what: str) -> int:
    if value.bit_length() > MAX_RESULT_BITS:
        raise LimitError(f"{what} is a number of {value.bit_length():,} bits; the limit is {MAX_RESULT_BITS:,} bits")
    return value


def _check_bits(value: sympy.Expr, where: str) -> None:
    """Refuse a number (or a formula holding one) beyond MAX_RESULT_BITS, before anything prints it."""
    numbers = [value] if value.is_Rational else value.atoms(sympy.Rational) if isinstance(value, sympy.Basic) else []
    for n in numbers:
        if max(abs(n.p).bit_length(), n.q.bit_length()) > MAX_RESULT_BITS:
            raise LimitError(f"a number in {where} is over {MAX_RESULT_BITS:,} bits, the limit")


def _tokenize(text: str) -> list[_Tok]:
    if len(text) > MAX_LENGTH:
        raise LimitError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    tokens: list[_Tok] = []
    calls: list[bool] = []  # for each open bracket: is it a function call's (where commas separate arguments)?
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ParseError(f"unexpected character {text[pos]!r} at position {pos + 1} in {text!r}")
        kind = m.lastgroup or ""
        chunk = m.group()
        if kind == "sci":
            raise ParseError(f"write {chunk!r} out in full: scientific notation is not accepted, in {text!r}")
        if kind == "number" and "," in chunk and calls and calls[-1]:
            for i, part in enumerate(chunk.split(",")):  # min(64,128): two arguments, not 64,128
                if i:
                    tokens.append(_Tok("op", ",", pos))
                tokens.append(_Tok("number", part, pos))
                pos += len(part) + 1
            pos = m.end()
            continue
        if kind != "space":
            if kind == "op":
                chunk = _OPERATOR_ALIASES.get(chunk, chunk)
                if chunk in ("(", "⌊", "⌈"):
                    calls.append(bool(tokens) and tokens[-1].kind == "name")
                elif chunk in (")", "⌋", "⌉") and calls:
                    calls.pop()
            elif kind == "name" and chunk in ("x", "X") and tokens and _is_operand_end(tokens[-1]):
                kind, chunk = "op", "*"
            elif kind == "name" and re.match(r"[xX]\d", chunk) and tokens and _is_operand_end(tokens[-1]):
                # "3x3x64": the tokenizer sees "x3x64" as a name; its "x" is a times sign, the rest is read again
                tokens.append(_Tok("op", "*", pos))
                pos += 1
                continue
            tokens.append(_Tok(kind, chunk, pos))
        pos = m.end()
    return tokens


def _is_operand_end(tok: _Tok) -> bool:
    return tok.kind in ("number", "name", "sup") or tok.text == ")"


class _Parser:
    def __init__(self, text: str, resolve: SymbolResolver, known: Callable[[str], bool]) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.resolve = resolve
        self.known = known

    def error(self, problem: str) -> ParseError:
        return ParseError(f"{problem} in {self.text!r}")

    def peek(self) -> _Tok | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self) -> _Tok:
        tok = self.peek()
        if tok is None:
            raise self.error("unexpected end of expression")
        self.i += 1
        return tok

    def enter(self) -> None:
        self.depth += 1
        if self.depth > MAX_DEPTH:
            raise LimitError(f"expression nested more than {MAX_DEPTH} deep")

    def bounded(self, value: sympy.Expr) -> sympy.Expr:
        _check_bits(value, repr(self.text))
        return value

    def parse(self) -> sympy.Expr:
        if not self.tokens:
            raise self.error("empty expression")
        value = self.sum()
        tok = self.peek()
        if tok is not None:
            raise self.error(f"unexpected {tok.text!r} at position {tok.pos + 1}")
        return value

    def sum(self) -> sympy.Expr:
        value = self.product()
        while (tok := self.peek()) is not None and tok.text in ("+", "-"):
            self.take()
            rhs = self.product()
            value = self.bounded(value + rhs if tok.text == "+" else value - rhs)
        return value

    def product(self) -> sympy.Expr:
        value = self.unary()
        while (tok := self.peek()) is not None:
            if tok.text in ("*", "/"):
                self.take()
                rhs = self.unary()
                if tok.text == "*":
                    value = value * rhs
                else:
                    if rhs == 0:
                        raise self.error("division by zero")
                    value = value / rhs
            elif tok.kind == "name" or tok.text in ("(", "⌊", "⌈"):
                value = value * self.unary()  # implicit product: 2F, 2(3+1); never two numbers ("36 928")
            else:
                break
            value = self.bounded(value)  # each product at most doubles the bits: checked before the next one
        return value

    def unary(self) -> sympy.Expr:
        tok = self.peek()
        if tok is not None and tok.text in ("+", "-"):
            self.take()
            self.enter()
            operand = self.unary()
            self.depth -= 1
            return -operand if tok.text == "-" else operand
        return self.power()

    def power(self) -> sympy.Expr:
        base = self.atom()
        tok = self.peek()
        if tok is not None and tok.kind == "sup":
            self.take()
            return self._pow(base, sympy.Integer(int(tok.text.translate(_SUPERSCRIPTS)[:4])))
        if tok is not None and tok.text == "^":
            self.take()
            self.enter()
            exponent = self.unary()  # right-associative: 9^9^9 = 9^(9^9)
            self.depth -= 1
            return self._pow(base, exponent)
        return base

    def _pow(self, base: sympy.Expr, exponent: sympy.Expr) -> sympy.Expr:
        if not (exponent.is_Integer and abs(int(exponent)) <= MAX_EXPONENT):
            raise LimitError(
                f"exponent {exponent} is not an integer between -{MAX_EXPONENT} and {MAX_EXPONENT} in {self.text!r}"
            )
        if base.is_Number and base != 0:
            bits = abs(int(exponent)) * max(abs(sympy.Rational(base)).p.bit_length(), abs(sympy.Rational(base)).q.bit_length())
            if bits > MAX_RESULT_BITS:
                raise LimitError(f"power {base}^{exponent} is too large to compute in {self.text!r}")
        if base == 0 and exponent < 0:
            raise self.error("division by zero")
        powers = [r for r in base.atoms(sympy.Rational) if r != 0] if not base.is_Number else []
        for r in powers:  # (10^64*H)^64: the coefficient's power is bounded as the plain number's is
            if abs(int(exponent)) * max(abs(r.p).bit_length(), r.q.bit_length()) > MAX_RESULT_BITS:
                raise LimitError(f"power ({base})^{exponent} is too large to compute in {self.text!r}")
        return self.bounded(base**exponent)

    def atom(self) -> sympy.Expr:
        tok = self.take()
        if tok.kind == "number":
            digits = tok.text.replace(",", "")
            if len(digits) > MAX_DIGITS:
                raise LimitError(f"a number of {len(digits):,} digits in an expression; the limit is {MAX_DIGITS:,} digits")
            return sympy.Rational(digits) if "." in digits else sympy.Integer(digits)
        nxt = self.peek()
        if tok.kind == "name" and nxt is not None and nxt.text == "(":
            if tok.text in FUNCTIONS:
                self.take()
                return self.call(tok.text)
            if not self.known(tok.text):
                raise self.error(
                    f"unknown function {tok.text!r}: the functions symcnn knows are {_known_functions()} "
                    f"(to multiply, write {tok.text}*(...))"
                )
        if tok.text in _BRACKETS:
            name, closing = _BRACKETS[tok.text]
            return self.bounded(FUNCTIONS[name][2](self.group(closing)))  # floor and ceiling: SymPy values
        if tok.kind == "name":
            if tok.text in FUNCTIONS:
                raise self.error(f"{tok.text!r} is a function: write {tok.text}(...)")
            if not is_identifier(tok.text):
                raise self.error(f"{tok.text!r} is not a usable name")
            return self.resolve(tok.text)
        if tok.text == "(":
            return self.group(")")
        raise self.error(f"unexpected {tok.text!r} at position {tok.pos + 1}")

    def call(self, name: str) -> sympy.Expr:
        """The arguments of ``name(`` (just taken) up to its ``)``, and the function applied to them."""
        low, high, function = FUNCTIONS[name]
        self.enter()
        args = [self.sum()]
        while (tok := self.peek()) is not None and tok.text == ",":
            self.take()
            args.append(self.sum())
        self.depth -= 1
        close = self.take()
        if close.text != ")":
            raise self.error(f"expected ',' or ')' at position {close.pos + 1}")
        if not low <= len(args) <= high:
            want = str(low) if low == high else f"{low} to {high}"
            raise self.error(f"{name}() takes {want} argument(s), got {len(args)}")
        value = function(*args)
        return self.bounded(sympy.Integer(value) if isinstance(value, int) else value)

    def group(self, closing: str) -> sympy.Expr:
        """The inside of a bracket whose opening was just taken, up to ``closing``."""
        self.enter()
        value = self.sum()
        self.depth -= 1
        close = self.take()
        if close.text != closing:
            raise self.error(f"expected {closing!r} at position {close.pos + 1}")
        return value


def parse(
    text: str,
    symbols: Mapping[str, sympy.Expr] | None = None,
    *,
    allow_new: bool = True,
) -> sympy.Expr:
    """Parse arithmetic into a SymPy expression, safely.

    Names found in ``symbols`` map to their value there; other names become new
    positive-integer symbols when ``allow_new`` is true, and an error otherwise.
    A name of ``symbols`` directly before a bracket multiplies it (``F(C+1)``);
    any other name before a bracket must be one of :data:`FUNCTIONS`.

    >>> parse("3x3x64x64 + 64")
    36928
    >>> parse("36,928"), parse("0.75"), parse("ceil(224/32)")
    (36928, 3/4, 7)
    """
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    given = dict(symbols or {})
    known = dict(given)

    def resolve(name: str) -> sympy.Expr:
        if name in known:
            return known[name]
        if not allow_new:
            choices = ", ".join(sorted(known)) or "none"
            raise ParseError(f"unknown name {name!r} in {text!r} (known symbols: {choices})")
        known[name] = dim_symbol(name)
        return known[name]

    return _Parser(text, resolve, given.__contains__).parse()


_COMPARISONS = {
    "==": lambda a, b: a == b, "!=": lambda a, b: a != b, "<=": lambda a, b: a <= b,
    ">=": lambda a, b: a >= b, "<": lambda a, b: a < b, ">": lambda a, b: a > b,
}
_COMPARISON = re.compile(r"==|!=|<=|>=|<|>")


def parse_condition(
    text: str,
    symbols: Mapping[str, sympy.Expr],
    flags: Mapping[str, bool],
    evaluate: Callable[[sympy.Expr], sympy.Expr],
) -> bool:
    """A condition such as ``strides == 1 and not skip``: comparisons of arithmetic, ``and``, ``or``, ``not``.

    Each side of a comparison is parsed as arithmetic in ``symbols`` and made a number by ``evaluate``;
    a bare name of ``flags`` is its true/false value. ``and`` binds tighter than ``or``; no brackets.

    >>> parse_condition("s == 1 and not skip", {"s": sympy.Integer(1)}, {"skip": False}, lambda e: e)
    True
    """
    if not isinstance(text, str) or len(text) > MAX_LENGTH:
        raise ParseError(f"a condition must be text of up to {MAX_LENGTH} characters")

    def term(part: str) -> bool:
        words = part.split()
        if words[:1] == ["not"]:
            return not term(part.strip()[3:])
        if len(words) == 1 and words[0] in flags:
            return bool(flags[words[0]])
        pieces = _COMPARISON.split(part)
        ops = _COMPARISON.findall(part)
        if len(ops) != 1:
            raise ParseError(f"expected one comparison (==, !=, <, <=, >, >=) or a true/false argument in {part.strip()!r}")
        a, b = (evaluate(parse(x, symbols, allow_new=False)) for x in pieces)
        if not (a.is_number and b.is_number):
            raise ParseError(f"the condition {part.strip()!r} does not come out as numbers")
        return bool(_COMPARISONS[ops[0]](a, b))

    return any(all(term(p) for p in re.split(r"\s+and\s+", alt)) for alt in re.split(r"\s+or\s+", text.strip()))


def split_top_level(text: str, sep: str = ",") -> list[str]:
    """Split at ``sep`` outside brackets: ``"make_divisible(H, 8), W"`` → two parts.

    >>> split_top_level("max(H, 8), W, 3")
    ['max(H, 8)', ' W', ' 3']
    """
    parts, depth, start = [], 0, 0
    for i, ch in enumerate(text):
        if ch in "([⌊⌈":
            depth += 1
        elif ch in ")]⌋⌉":
            depth -= 1
        elif ch == sep and depth == 0:
            parts.append(text[start:i])
            start = i + 1
    parts.append(text[start:])
    return parts


def parse_dims(text: str, symbols: Mapping[str, sympy.Expr] | None = None) -> list[sympy.Expr | None]:
    """Parse a comma-separated shape such as ``"H,W,3"``; ``None`` or ``?`` is an unknown axis.

    >>> parse_dims("64, 64, 1")
    [64, 64, 1]
    """
    dims: list[sympy.Expr | None] = []
    stripped = text.strip()
    if stripped[:1] in "([" and stripped[-1:] in ")]" and len(split_top_level(stripped[1:-1])) > 1:
        stripped = stripped[1:-1]  # "(64, 64, 1)" and "[H, W, 3]" as well as "64, 64, 1"
    if not stripped.strip():
        raise ParseError(f"empty shape {text!r}")
    for part in split_top_level(stripped):
        part = part.strip()
        if part in ("None", "?", "null"):
            dims.append(None)
        else:
            dims.append(parse(part, symbols))
    return dims
