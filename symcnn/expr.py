"""A small, safe parser for arithmetic as people write it.

It accepts numbers, symbol names and the operators + - * / ^ ** x × · ÷ ( ),
plus superscript digits (3²) and floors and ceilings written ``floor(x)``,
``ceil(x)``, ``⌊x⌋`` or ``⌈x⌉``. It builds SymPy objects directly: no text ever
reaches ``eval``, ``exec``, ``sympify`` or ``parse_expr``.

>>> parse("(3² × 64 × 1) + 64")
640
>>> parse("(K^2*C+1)*F")
F*(C*K**2 + 1)
"""

from __future__ import annotations

import keyword
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass

import sympy

from .errors import LimitError, ParseError

MAX_LENGTH = 2000
MAX_DEPTH = 64
MAX_EXPONENT = 64
MAX_RESULT_BITS = 4096
MAX_NAME = 64

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
  | (?P<op>\*\*|[-+*/^()×·⋅∗✕÷−–\[\]⌊⌋⌈⌉])
    """,
    re.VERBOSE,
)

SymbolResolver = Callable[[str], sympy.Expr]
_FUNCTIONS: dict[str, Callable[[sympy.Expr], sympy.Expr]] = {"floor": sympy.floor, "ceil": sympy.ceiling}
_BRACKETS = {"⌊": ("floor", "⌋"), "⌈": ("ceil", "⌉")}


@dataclass(frozen=True)
class _Tok:
    kind: str  # number | name | sup | op
    text: str
    pos: int


def is_identifier(name: str) -> bool:
    """True for a plain ASCII identifier that is not a Python keyword."""
    return (
        len(name) <= MAX_NAME
        and re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name) is not None
        and not keyword.iskeyword(name)
    )


def dim_symbol(name: str) -> sympy.Symbol:
    """The symbol symcnn makes for a size: a positive integer."""
    if not is_identifier(name):
        raise ParseError(f"{name!r} is not a valid symbol name (letters, digits and _ only)")
    return sympy.Symbol(name, integer=True, positive=True)


def _tokenize(text: str) -> list[_Tok]:
    if len(text) > MAX_LENGTH:
        raise LimitError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    tokens: list[_Tok] = []
    pos = 0
    while pos < len(text):
        m = _TOKEN.match(text, pos)
        if m is None:
            raise ParseError(f"unexpected character {text[pos]!r} at position {pos + 1} in {text!r}")
        kind = m.lastgroup or ""
        chunk = m.group()
        if kind == "sci":
            raise ParseError(f"write {chunk!r} out in full: scientific notation is not accepted, in {text!r}")
        if kind != "space":
            if kind == "op":
                chunk = _OPERATOR_ALIASES.get(chunk, chunk)
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
    def __init__(self, text: str, resolve: SymbolResolver) -> None:
        self.text = text
        self.tokens = _tokenize(text)
        self.i = 0
        self.depth = 0
        self.resolve = resolve

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
            value = value + rhs if tok.text == "+" else value - rhs
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
            return self._pow(base, sympy.Integer(int(tok.text.translate(_SUPERSCRIPTS))))
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
        return base**exponent

    def atom(self) -> sympy.Expr:
        tok = self.take()
        if tok.kind == "number":
            digits = tok.text.replace(",", "")
            return sympy.Rational(digits) if "." in digits else sympy.Integer(digits)
        if tok.kind == "name" and tok.text in _FUNCTIONS and (nxt := self.peek()) is not None and nxt.text == "(":
            self.take()
            return _FUNCTIONS[tok.text](self.group(")"))
        if tok.text in _BRACKETS:
            return _FUNCTIONS[_BRACKETS[tok.text][0]](self.group(_BRACKETS[tok.text][1]))
        if tok.kind == "name":
            if not is_identifier(tok.text):
                raise self.error(f"{tok.text!r} is not a usable name")
            return self.resolve(tok.text)
        if tok.text == "(":
            return self.group(")")
        raise self.error(f"unexpected {tok.text!r} at position {tok.pos + 1}")

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

    >>> parse("3x3x64x64 + 64")
    36928
    >>> parse("36,928")
    36928
    """
    if not isinstance(text, str):
        raise ParseError(f"expected text, got {type(text).__name__}")
    known = dict(symbols or {})

    def resolve(name: str) -> sympy.Expr:
        if name in known:
            return known[name]
        if not allow_new:
            choices = ", ".join(sorted(known)) or "none"
            raise ParseError(f"unknown name {name!r} in {text!r} (known symbols: {choices})")
        known[name] = dim_symbol(name)
        return known[name]

    return _Parser(text, resolve).parse()


def parse_dims(text: str, symbols: Mapping[str, sympy.Expr] | None = None) -> list[sympy.Expr | None]:
    """Parse a comma-separated shape such as ``"H,W,3"``; ``None`` or ``?`` is an unknown axis.

    >>> parse_dims("64, 64, 1")
    [64, 64, 1]
    """
    dims: list[sympy.Expr | None] = []
    stripped = text.strip().strip("()[]")
    if not stripped:
        raise ParseError(f"empty shape {text!r}")
    for part in stripped.split(","):
        part = part.strip()
        if part in ("None", "?", "null"):
            dims.append(None)
        else:
            dims.append(parse(part, symbols))
    return dims
