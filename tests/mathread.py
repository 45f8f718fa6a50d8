"""Read back the LaTeX and the MathML that symcnn's pages show, as SymPy values.

A reader for the small subset symcnn's printers write (numbers with ``{,}`` separators,
symbols with subscripts and primes, ``+ - × ⋅ =``, brackets, floors and ceilings,
fractions, powers, ``\\max``/``\\min``, ``\\text``, ``\\mathbf``, shapes ``(None, 62, 64)``),
written independently of the printers so that a test can check that what a page shows
is the expression it was printed from. It never evaluates text as code.

>>> H, W = sympy.symbols("H W")
>>> read_latex(r"(H - 2) \\times (W - 2)", {"H": H, "W": W}).expand()
H*W - 2*H - 2*W + 4
>>> read_mathml('<math><mn>1</mn><mo rspace="0">,</mo><mn>605</mn></math>', {})
[1605]
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import sympy

NONE = "None"


@dataclass(frozen=True)
class Tok:
    kind: str  # num, sym, op, open, close, frac, func, none, pow, cases
    value: Any = None


class ReadError(ValueError):
    pass


# ---- LaTeX -------------------------------------------------------------------------------

_OPEN = {r"\left(": "(", "(": "(", r"\left\lfloor": "floor", r"\lfloor": "floor", r"\left\lceil": "ceil",
         r"\lceil": "ceil"}
_CLOSE = {r"\right)": "(", ")": "(", r"\right\rfloor": "floor", r"\rfloor": "floor", r"\right\rceil": "ceil",
          r"\rceil": "ceil"}
_OPS = {"+": "+", "-": "-", r"\times": "*", r"\cdot": "*", "=": "=", ",": ","}


def _group(text: str, i: int) -> tuple[str, int]:
    """The text of the {...} group starting at text[i] == '{', and the index after it."""
    if text[i] != "{":
        raise ReadError(f"expected '{{' at {i} in {text!r}")
    depth = 0
    for j in range(i, len(text)):
        depth += {"{": 1, "}": -1}.get(text[j], 0)
        if depth == 0:
            return text[i + 1:j], j + 1
    raise ReadError(f"unbalanced braces in {text!r}")


def _name_tex(text: str) -> str:
    """The name inside a subscript: ``\\text{in}`` -> ``in``, ``h`` -> ``h``."""
    text = text.strip()
    m = re.fullmatch(r"\\text\{([^{}]*)\}", text)
    return m[1] if m else text


def latex_tokens(tex: str) -> list[Tok]:
    out: list[Tok] = []
    i = 0
    while i < len(tex):
        ch = tex[i]
        if ch.isspace():
            i += 1
            continue
        if tex.startswith("{}", i):
            i += 2
            continue
        space = next((k for k in (r"\displaystyle", r"\,", r"\;", r"\quad", "\\ ") if tex.startswith(k, i)), None)
        if space:
            i += len(space)
            continue
        for key in sorted((*_OPEN, *_CLOSE), key=len, reverse=True):
            if tex.startswith(key, i) and (not key[-1].isalpha() or not tex[i + len(key):i + len(key) + 1].isalpha()):
                out.append(Tok("open", _OPEN[key]) if key in _OPEN else Tok("close", _CLOSE[key]))
                i += len(key)
                break
        else:
            if ch.isdigit():
                m = re.match(r"\d+(?:\{,\}\d{3})*", tex[i:])
                assert m is not None
                out.append(Tok("num", int(m[0].replace("{,}", ""))))
                i += len(m[0])
                continue
            if tex.startswith(r"\frac", i):
                num, j = _group(tex, i + 5)
                den, j = _group(tex, j)
                out.append(Tok("frac", (latex_tokens(num), latex_tokens(den))))
                i = j
                continue
            if tex.startswith(r"\mathbf", i):
                inner, i = _group(tex, i + 7)
                out += latex_tokens(inner)
                continue
            if tex.startswith(r"\text", i):
                inner, i = _group(tex, i + 5)
                out.append(Tok("none") if inner == NONE else Tok("sym", inner))
                i = _suffixes(tex, i, out)
                continue
            if tex.startswith(r"\max", i) or tex.startswith(r"\min", i):
                out.append(Tok("func", tex[i + 1:i + 4]))
                i += 4
                continue
            if tex.startswith(r"\begin{cases}", i):
                end = tex.index(r"\end{cases}", i)
                out.append(Tok("cases", _cases(tex[i + len(r"\begin{cases}"):end])))
                i = end + len(r"\end{cases}")
                continue
            matched = next((k for k in sorted(_OPS, key=len, reverse=True) if tex.startswith(k, i)), None)
            if matched:
                out.append(Tok("op", _OPS[matched]))
                i += len(matched)
                continue
            if ch.isalpha():
                out.append(Tok("sym", ch))
                i = _suffixes(tex, i + 1, out)
                continue
            if ch == "^":
                body, i = _group(tex, i + 1) if tex[i + 1] == "{" else (tex[i + 1], i + 2)
                out.append(Tok("pow", latex_tokens(body)))
                continue
            rel = next((k for k in (r"\geq", r"\leq", ">", "<") if tex.startswith(k, i)), None)
            if rel:
                out.append(Tok("op", {r"\geq": ">=", r"\leq": "<=", ">": ">", "<": "<"}[rel]))
                i += len(rel)
                continue
            raise ReadError(f"cannot read {tex[i:i + 20]!r} in {tex!r}")
    return out


def _suffixes(tex: str, i: int, out: list[Tok]) -> int:
    """Subscripts and primes belong to the symbol just read: H_{\\text{in}} -> H_in, k' -> k'."""
    while i < len(tex) and tex[i] in "_'":
        if tex[i] == "'":
            out[-1] = Tok("sym", out[-1].value + "'")
            i += 1
            continue
        if tex[i + 1] == "{":
            sub, i = _group(tex, i + 1)
        else:
            sub, i = tex[i + 1], i + 2
        out[-1] = Tok("sym", f"{out[-1].value}_{_name_tex(sub)}")
    return i


def _cases(body: str) -> list[tuple[list[Tok], list[Tok] | None]]:
    rows = []
    for row in body.split(r"\\"):
        value, cond = row.split("&")
        cond = cond.strip()
        if cond == r"\text{otherwise}":
            rows.append((latex_tokens(value), None))
        else:
            rows.append((latex_tokens(value), latex_tokens(cond.replace(r"\text{if }", ""))))
    return rows


# ---- MathML ------------------------------------------------------------------------------

_BOLD_DIGITS = {chr(0x1D7CE + d): str(d) for d in range(10)}
_MO = {"+": "+", "−": "-", "-": "-", "×": "*", "⋅": "*", "=": "=", ",": ",", "≥": ">=", "≤": "<=", ">": ">",
       "<": "<"}
_RELATIONS = {">=": sympy.Ge, "<=": sympy.Le, ">": sympy.Gt, "<": sympy.Lt}
_MO_OPEN = {"(": "(", "⌊": "floor", "⌈": "ceil"}
_MO_CLOSE = {")": "(", "⌋": "floor", "⌉": "ceil"}


def _plain_text(el: ET.Element) -> str:
    return "".join(el.itertext()).translate(str.maketrans({**_BOLD_DIGITS, "\xa0": " "}))


def mathml_tokens(el: ET.Element) -> list[Tok]:
    tag = el.tag.split("}")[-1]
    kids = list(el)
    if tag in ("math", "mrow", "mstyle", "mpadded"):
        out: list[Tok] = []
        for k in kids:
            out += mathml_tokens(k)
        return _join_numbers(out)
    if tag == "mspace":
        return []
    if tag == "mn" or (tag == "mi" and _plain_text(el).isdigit()):
        return [Tok("num", int(_plain_text(el)))]
    if tag == "mi":
        text = _plain_text(el)
        if text in ("max", "min"):
            return [Tok("func", text)]
        return [Tok("sym", text)]
    if tag == "mtext":
        text = _plain_text(el)
        return [Tok("none")] if text == NONE else [Tok("sym", text)]
    if tag == "mo":
        text = (el.text or "").strip()
        if text in ("\u2061", "\u2063", "", "{"):  # invisible operators; the brace of cases
            return []
        if text in _MO_OPEN:
            return [Tok("open", _MO_OPEN[text])]
        if text in _MO_CLOSE:
            return [Tok("close", _MO_CLOSE[text])]
        if text == "," and el.get("rspace") == "0":
            return [Tok("group")]
        if text in _MO:
            return [Tok("op", _MO[text])]
        raise ReadError(f"unknown operator {text!r}")
    if tag == "mtable":  # \begin{cases}: rows of (value, condition)
        rows = []
        for tr in kids:
            value, cond = (mathml_tokens(td) for td in list(tr))
            if cond and cond[0].kind == "sym" and cond[0].value.strip() == "otherwise":
                rows.append((value, None))
            else:
                rows.append((value, [t for t in cond if not (t.kind == "sym" and t.value.strip() == "if")]))
        return [Tok("cases", rows)]
    if tag in ("mtr", "mtd"):
        out = []
        for k in kids:
            out += mathml_tokens(k)
        return out
    if tag == "mfrac":
        return [Tok("frac", (mathml_tokens(kids[0]), mathml_tokens(kids[1])))]
    if tag in ("msub", "msup", "msubsup"):
        base = mathml_tokens(kids[0])
        rest = kids[1:]
        if tag in ("msub", "msubsup"):
            if len(base) != 1 or base[0].kind != "sym":
                raise ReadError("a subscript on something that is not a symbol")
            base = [Tok("sym", f"{base[0].value}_{_plain_text(rest[0])}")]
            rest = rest[1:]
        if rest:
            sup = rest[0]
            if sup.tag.split("}")[-1] == "mo" and (sup.text or "") in ("′", "″", "‴"):
                base = [Tok("sym", base[0].value + "'" * " ′″‴".index(sup.text or ""))]
            else:
                base = [Tok("open", "("), *base, Tok("close", "("), Tok("pow", mathml_tokens(sup))]
        return base
    raise ReadError(f"unknown MathML element <{tag}>")


def _join_numbers(toks: list[Tok]) -> list[Tok]:
    """1 , 605 , 760 with grouping commas -> 1605760."""
    out: list[Tok] = []
    i = 0
    while i < len(toks):
        t = toks[i]
        if t.kind == "group":
            if not out or out[-1].kind != "num" or i + 1 >= len(toks) or toks[i + 1].kind != "num":
                out.append(Tok("op", ","))  # a comma at the end of a piece: a separator
                i += 1
                continue
            nxt = toks[i + 1].value
            out[-1] = Tok("num", out[-1].value * 1000 + nxt)
            i += 2
            continue
        out.append(t)
        i += 1
    return out


# ---- the expression grammar ---------------------------------------------------------------


class _Parser:
    def __init__(self, toks: list[Tok], symbols: Mapping[str, Any]) -> None:
        self.toks = toks
        self.i = 0
        self.symbols = symbols

    def peek(self) -> Tok | None:
        return self.toks[self.i] if self.i < len(self.toks) else None

    def take(self) -> Tok:
        t = self.peek()
        if t is None:
            raise ReadError("unexpected end")
        self.i += 1
        return t

    def chain(self) -> list[Any]:
        values = [self.expr()]
        while (t := self.peek()) is not None and t == Tok("op", "="):
            self.take()
            values.append(self.expr())
        if self.peek() is not None:
            raise ReadError(f"left over: {self.toks[self.i:]}")
        return values

    def expr(self) -> Any:
        sign = 1
        if self.peek() == Tok("op", "-"):
            self.take()
            sign = -1
        first = self.term()
        if isinstance(first, tuple) or first is None:
            return first  # a shape
        total = sign * first
        while (t := self.peek()) is not None and t.kind == "op" and t.value in "+-":
            self.take()
            total += (1 if t.value == "+" else -1) * self.term()
        return total

    def term(self) -> Any:
        value = self.factor()
        while (t := self.peek()) is not None and t == Tok("op", "*"):
            self.take()
            value = value * self.factor()
        return value

    def factor(self) -> Any:
        value = self.atom()
        while (t := self.peek()) is not None and t.kind == "pow":
            self.take()
            value = value ** _Parser(t.value, self.symbols).whole()
        return value

    def whole(self) -> Any:
        (value,) = self.chain()
        return value

    def atom(self) -> Any:
        t = self.take()
        if t.kind == "num":
            return sympy.Integer(t.value)
        if t.kind == "none":
            return None
        if t.kind == "sym":
            if t.value not in self.symbols:
                raise ReadError(f"unknown symbol {t.value!r} (known: {sorted(self.symbols)})")
            return self.symbols[t.value]
        if t.kind == "frac":
            num, den = t.value
            return _Parser(num, self.symbols).whole() / _Parser(den, self.symbols).whole()
        if t.kind == "func":
            if self.take() != Tok("open", "("):
                raise ReadError("expected ( after a function")
            args = [self.expr()]
            while self.peek() == Tok("op", ","):
                self.take()
                args.append(self.expr())
            self.close("(")
            return (sympy.Max if t.value == "max" else sympy.Min)(*args)
        if t.kind == "cases":
            pieces = []
            for value, cond in t.value:
                v = _Parser(value, self.symbols).whole()
                if cond is None:
                    pieces.append((v, True))
                else:
                    op = next(t for t in cond if t.kind == "op" and t.value in _RELATIONS)
                    a, b = (_Parser(x, self.symbols).whole() for x in _split(cond, op))
                    pieces.append((v, _RELATIONS[op.value](a, b)))
            return sympy.Piecewise(*pieces)
        if t.kind == "open":
            items = [self.item()]
            while t.value == "(" and self.peek() == Tok("op", ","):
                self.take()
                items.append(self.item())
            self.close(t.value)
            if len(items) > 1:
                return tuple(items)
            inner = items[0]
            return sympy.floor(inner) if t.value == "floor" else sympy.ceiling(inner) if t.value == "ceil" else inner
        raise ReadError(f"unexpected {t}")

    def item(self) -> Any:
        if self.peek() == Tok("none"):
            self.take()
            return None
        return self.expr()

    def close(self, kind: str) -> None:
        t = self.take()
        if t != Tok("close", kind):
            raise ReadError(f"expected a closing {kind}, got {t}")


def _split(toks: list[Tok], at: Tok) -> tuple[list[Tok], list[Tok]]:
    i = toks.index(at)
    return toks[:i], toks[i + 1:]


def read_tokens(toks: list[Tok], symbols: Mapping[str, Any]) -> list[Any]:
    """The values of a chain ``a = b = c`` (one value without '=')."""
    return _Parser(toks, symbols).chain()


def read_latex(tex: str, symbols: Mapping[str, Any]) -> Any:
    """The value of one LaTeX formula (no '=')."""
    (value,) = read_tokens(latex_tokens(tex), symbols)
    return value


def read_mathml(markup: str, symbols: Mapping[str, Any]) -> list[Any]:
    """The values of a chain in one or more ``<math>`` elements, read as one formula."""
    toks: list[Tok] = []
    for m in re.findall(r"<math\b.*?</math>", markup, re.DOTALL):
        m = m.replace("&ApplyFunction;", "\u2061")
        toks += mathml_tokens(ET.fromstring(m))
    return read_tokens(_join_numbers(toks), symbols)


def symbol_name(tex: str) -> str:
    """The reader's name for a symbol's LaTeX: ``H_{\\text{in}}`` -> ``H_in``."""
    toks = latex_tokens(tex)
    if len(toks) != 1 or toks[0].kind != "sym":
        raise ReadError(f"not a symbol: {tex!r}")
    return str(toks[0].value)


def equal(a: Any, b: Any) -> bool:
    """Equal as values, tuples element by element; floors compared at many integer points."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        return isinstance(a, tuple) and isinstance(b, tuple) and len(a) == len(b) and all(
            equal(x, y) for x, y in zip(a, b))
    if a is None or b is None:
        return a is b
    diff = sympy.sympify(a) - sympy.sympify(b)
    if diff == 0 or sympy.expand(diff) == 0:
        return True
    free = sorted(diff.free_symbols, key=lambda s: s.name)
    if not free:
        return bool(sympy.simplify(diff) == 0)
    for base in (3, 7, 16, 31, 64, 97, 128, 225, 1000):
        point = {s: base + 5 * i for i, s in enumerate(free)}
        if diff.xreplace(point) != 0:
            return False
    return True
