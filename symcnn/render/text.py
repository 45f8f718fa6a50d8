"""Plain-text printing of symcnn's expressions: SymPy's own syntax, so the command line prints a formula
exactly as ``str()`` of the API's expression does (``floor(H/4 + 1/2)`` in both), and the text parses
back with ``sympy.sympify`` to the same expression, which the JSON output relies on.
"""

from __future__ import annotations

from typing import Any

import sympy
from sympy.printing.str import StrPrinter

from ..errors import visible

__all__ = ["expr_text", "md_escape", "number_text", "shape_text", "visible"]


class _Printer(StrPrinter):
    """SymPy's str printer: floors and ceilings as ``str()`` shows them, never rewritten."""

    def _print_Equality(self, expr: sympy.Equality) -> str:  # a model's requirement: "H = 224", not "Eq(H, 224)"
        return f"{self._print(expr.lhs)} = {self._print(expr.rhs)}"


_PRINTER = _Printer()


def expr_text(value: Any) -> str:
    """A count or size as text: ``1643844`` or ``9*C*F + F``."""
    if value is None:
        return "None"
    if isinstance(value, int) or (isinstance(value, sympy.Basic) and value.is_Integer):
        return str(int(value))
    return _PRINTER.doprint(value)


def number_text(value: Any) -> str:
    """Like expr_text, with thousands separators for plain numbers: ``1,643,844``."""
    if isinstance(value, int) or (isinstance(value, sympy.Basic) and value.is_Integer):
        return f"{int(value):,}"
    return expr_text(value)


def shape_text(shape: Any) -> str:
    return "(" + ", ".join(expr_text(d) for d in shape) + ")"


_MD_SPECIAL = set("\\`*_{}[]()#+-.!|<>&$~\"':^=@")


def md_escape(text: Any) -> str:
    """Escape user text for Markdown *and* HTML: every ASCII punctuation mark becomes an entity.

    Runs of whitespace (newlines too) become one space, as in prose; every other character that
    is not printable is shown as its escape (:func:`visible`): ESC reads ``\\x1b``.

    >>> md_escape("<script>alert(1)</script>")
    '&#60;script&#62;alert&#40;1&#41;&#60;&#47;script&#62;'
    """
    out = []
    for ch in visible(" ".join(str(text).split())):
        out.append(f"&#{ord(ch)};" if ch in _MD_SPECIAL or ch == "/" else ch)
    return "".join(out)
