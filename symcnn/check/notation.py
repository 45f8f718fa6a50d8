"""What people type, translated to the syntax of :func:`symcnn.expr.parse`.

A student's entry may be LaTeX copied from a notebook (``3 \\times 3 \\cdot 64``,
``\\frac{62 - 2}{2} + 1``, ``3^{2}``, ``\\left( ... \\right)``), a number grouped with spaces,
thin spaces or underscores (``1 605 760``, ``36_928``), a whole number in scientific
notation (``6.4e2``), a bullet for a product (``3 ∙ 3``), or a number followed by its unit
("640 params", "128 channels"). :func:`translate` rewrites these, token by token, into the
parser's own syntax; nothing is evaluated here and anything else is left for the parser
to refuse in one line.

>>> translate(r"\\left(3^{2} \\times 64\\right) + \\frac{128}{2}")
'(3^(2) * 64) + ((128)/(2))'
>>> translate("1 605 760 params", units=PARAM_UNITS)
'1605760'
>>> translate("6.4e2")
'640'
"""

from __future__ import annotations

import re

import sympy

from ..errors import LimitError, ParseError
from ..expr import MAX_LENGTH

MAX_SCI_EXPONENT = 64

PARAM_UNITS = r"(?:(?:non[\s_-]*)?trainable\s+)?(?:params?|parameters?|weights?)"
MAC_UNITS = r"(?:MACs?|mult[\s-]*adds?|multiply[\s-]*(?:adds?|accumulates?)|multiply[\s-]*accumulate\s+operations)"
SHAPE_UNITS = r"(?:channels?|units?|features?|filters?|neurons?|values?|outputs?)"

# LaTeX commands and what they become in the parser's syntax
_COMMANDS = {
    "times": "*", "cdot": "*", "ast": "*", "div": "/", "lfloor": "⌊", "rfloor": "⌋", "lceil": "⌈", "rceil": "⌉",
    "left": "", "right": "", "big": "", "Big": "", "bigg": "", "Bigg": "", "bigl": "", "bigr": "", "Bigl": "",
    "Bigr": "", "biggl": "", "biggr": "", "quad": " ", "qquad": " ", "displaystyle": "", "lbrack": "(",
    "rbrack": ")", "lbrace": "(", "rbrace": ")", "cdotp": "*", "bullet": "*",
}
_FRACTIONS = ("frac", "dfrac", "tfrac", "cfrac")
_WRAPPERS = ("text", "mathrm", "textrm", "operatorname", "mathit", "mathbf", "boldsymbol", "mathsf", "textbf", "mbox")
_SPACES = {",": " ", ";": " ", ":": " ", "!": "", " ": " ", "{": "(", "}": ")", "|": "|"}
_PRODUCT_SIGNS = str.maketrans({"∙": "*", "•": "*", "⨯": "*", "⋆": "*"})
_GROUP_SEPARATORS = " \u00a0\u2009\u202f\u2007_'"
_DELIMITERS = (("$$", "$$"), ("$", "$"), ("\\(", "\\)"), ("\\[", "\\]"))


def translate(text: str, *, units: str | None = None, times: str = "*", group: bool = True) -> str:
    """The entry in the parser's syntax: LaTeX, digit grouping, whole-number 6.4e2 and a trailing unit word resolved.

    ``units`` is a regular expression of unit words that may follow the value (PARAM_UNITS,
    MAC_UNITS or SHAPE_UNITS); they are dropped. ``times`` is what ``\\times`` becomes ("×"
    in a shape, where it may separate axes). ``group=False`` leaves "1 024" as two numbers
    (a shape written "256 256 3" lists axes).
    """
    if len(text) > MAX_LENGTH:
        raise LimitError(f"expression is {len(text)} characters long; the limit is {MAX_LENGTH}")
    out = text.strip()
    for start, end in _DELIMITERS:
        if len(out) > len(start) + len(end) and out.startswith(start) and out.endswith(end):
            out = out[len(start) : -len(end)].strip()
            break
    if "\\" in out or "{" in out or "}" in out:
        if len(re.findall(r"(?<!\\)\{", out)) != len(re.findall(r"(?<!\\)\}", out)):
            raise ParseError(f"unbalanced braces in {text!r}")
        out = _latex(out, text, times)
    out = out.translate(_PRODUCT_SIGNS)
    if units:
        out = re.sub(rf"\s*\(?\b{units}\)?\.?\s*$", "", out, flags=re.IGNORECASE).strip() or out
    if group:
        out = _ungroup_digits(out)
    return _whole_scientific(out, text)


def _latex(text: str, original: str, times: str = "*") -> str:
    """LaTeX commands and braces in the parser's syntax; \\frac{a}{b} becomes ((a)/(b))."""
    out: list[str] = []
    i = 0
    while i < len(text):
        ch = text[i]
        if ch == "\\":
            m = re.match(r"\\([A-Za-z]+)", text[i:])
            if m is None:
                nxt = text[i + 1 : i + 2]
                if nxt in _SPACES:
                    out.append(_SPACES[nxt])
                    i += 2
                    continue
                raise ParseError(f"unexpected {text[i:i + 2]!r} in {original!r}")
            name = m.group(1)
            i += m.end()
            if name in _FRACTIONS:
                num, i = _argument(text, i, original)
                den, i = _argument(text, i, original)
                out.append(f"(({_latex(num, original, times)})/({_latex(den, original, times)}))")
            elif name in _WRAPPERS:
                inner, i = _argument(text, i, original)
                out.append(f" {_latex(inner, original, times)} ")
            elif name in _COMMANDS:
                out.append(times if name == "times" else _COMMANDS[name])
                if name in ("left", "right") and text[i : i + 1] == ".":
                    i += 1  # \left. and \right. : an invisible delimiter
            else:
                raise ParseError(f"unknown LaTeX command \\{name} in {original!r}")
        elif ch == "{":
            out.append("(")
            i += 1
        elif ch == "}":
            out.append(")")
            i += 1
        elif ch == "~":
            out.append(" ")
            i += 1
        else:
            out.append(ch)
            i += 1
    return "".join(out)


def _argument(text: str, i: int, original: str) -> tuple[str, int]:
    """One argument of a LaTeX command at ``i``: a braced group (matched) or a single character."""
    while i < len(text) and text[i].isspace():
        i += 1
    if i >= len(text):
        raise ParseError(f"a LaTeX command is missing its argument in {original!r}")
    if text[i] != "{":
        if text[i] == "\\":
            m = re.match(r"\\[A-Za-z]+", text[i:])
            if m:
                return text[i : i + m.end()], i + m.end()
        return text[i], i + 1
    depth = 0
    for j in range(i, len(text)):
        if text[j] == "{" and (j == 0 or text[j - 1] != "\\"):
            depth += 1
        elif text[j] == "}" and text[j - 1] != "\\":
            depth -= 1
            if depth == 0:
                return text[i + 1 : j], j + 1
    raise ParseError(f"unbalanced braces in {original!r}")


_GROUPED = re.compile(r"(?<![\w.])(\d{1,3})((?:([" + re.escape(_GROUP_SEPARATORS) + r"])\d{3})(?:\3\d{3})*)(?![\w.])")


def _ungroup_digits(text: str) -> str:
    """'1 605 760', '1\u2009605\u2009760', '36_928' -> one number (each group after the first of three digits)."""
    return _GROUPED.sub(lambda m: m.group(1) + re.sub(r"\D", "", m.group(2)), text)


_SCI = re.compile(r"(?<![\w.])((?:\d+(?:\.\d*)?|\.\d+)[eE]([-+]?\d+))(?![\w.])")


def _whole_scientific(text: str, original: str) -> str:
    def whole(m: re.Match[str]) -> str:
        chunk = m.group(1)
        if abs(int(m.group(2))) > MAX_SCI_EXPONENT:
            raise LimitError(f"exponent of {chunk} is beyond ±{MAX_SCI_EXPONENT} in {original!r}")
        mantissa, exponent = re.split(r"[eE]", chunk)
        value = sympy.Rational(mantissa) * sympy.Integer(10) ** int(exponent)
        if not value.is_Integer:
            raise ParseError(f"{chunk} is not a whole number, in {original!r}")
        return str(value)

    return _SCI.sub(whole, text)
