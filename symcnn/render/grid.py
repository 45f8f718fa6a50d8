"""One table, many formats: aligned text, Markdown, CSV, JSON values and a booktabs LaTeX tabular.

Cells are text, numbers or SymPy expressions (or :class:`Percent`); each format prints them its own way:
thousands separators for people, none for CSV, math for LaTeX. Numbers are right-aligned everywhere.

>>> t = Table(["Model", "Params"], [["vgg16", 138357544]])
>>> print(text(t))
 Model        Params
 -----   -----------
 vgg16   138,357,544
>>> print(latex(t).splitlines()[4])
vgg16 & 138,357,544 \\\\
"""

from __future__ import annotations

import csv as _csv
import io
from dataclasses import dataclass, field
from typing import Any

import sympy

from .latex import latex as latex_expr
from .text import expr_text, md_escape, number_text, visible


@dataclass(frozen=True)
class Percent:
    """A share, printed as a percentage with two decimals (``74.59%``); None prints as a dash."""

    value: Any

    def digits(self) -> str | None:
        if self.value is None:
            return None
        value = sympy.Rational(self.value) if not isinstance(self.value, sympy.Basic) else self.value
        if not value.is_number:
            return None
        return f"{float(value) * 100:.2f}"


@dataclass
class Table:
    """Headers, rows of cells, and an optional title (printed above the text and Markdown forms)."""

    headers: list[str]
    rows: list[list[Any]]
    title: str | None = None
    footer: list[str] = field(default_factory=list)

    def numeric(self, column: int) -> bool:
        """A column whose every filled cell is a number or a percentage: right-aligned."""
        cells = [row[column] for row in self.rows if row[column] is not None]
        return bool(cells) and all(not isinstance(c, str) for c in cells)


def json_value(value: Any) -> Any:
    """A count for JSON: an int when it is a whole number, else SymPy's syntax as text; None stays None."""
    if value is None:
        return None
    if isinstance(value, Percent):
        digits = value.digits()
        return None if digits is None else float(digits)
    if isinstance(value, int) or (isinstance(value, sympy.Basic) and value.is_Integer):
        return int(value)
    return expr_text(value)


def _human(value: Any) -> str:
    if value is None:
        return "-"
    if isinstance(value, Percent):
        digits = value.digits()
        return "-" if digits is None else f"{digits}%"
    if isinstance(value, str):
        return value
    return number_text(value)


def text(table: Table) -> str:
    """Aligned columns, numbers right-aligned, a rule under the headers."""
    cells = [[_human(c) for c in row] for row in table.rows]
    widths = [max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(table.headers)]
    right = [table.numeric(i) for i in range(len(table.headers))]

    def line(items: list[str]) -> str:
        return " " + "   ".join(s.rjust(w) if r else s.ljust(w) for s, w, r in zip(items, widths, right)).rstrip()

    out = [table.title] if table.title else []
    out += [line(table.headers), line(["-" * w for w in widths])]
    out += [line(r) for r in cells]
    out += table.footer
    return "\n".join(out)


def markdown(table: Table) -> str:
    """A Markdown table; user text escaped, numbers right-aligned."""
    out = [f"**{md_escape(table.title)}**", ""] if table.title else []
    out.append("| " + " | ".join(md_escape(h) for h in table.headers) + " |")
    out.append("|" + "|".join("---:" if table.numeric(i) else "---" for i in range(len(table.headers))) + "|")
    for row in table.rows:
        out.append("| " + " | ".join(md_escape(_human(c)) for c in row) + " |")
    if table.footer:
        out += [""] + [md_escape(f) + "  " for f in table.footer]
    return "\n".join(out)


def _raw(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, Percent):
        return value.digits() or ""
    if isinstance(value, str):
        return value
    return expr_text(value)


def csv(table: Table) -> str:
    """CSV with a header row; numbers without separators, symbolic values in SymPy's syntax."""
    buffer = io.StringIO()
    writer = _csv.writer(buffer, lineterminator="\n")
    writer.writerow(table.headers)
    for row in table.rows:
        writer.writerow([_raw(c) for c in row])
    return buffer.getvalue().rstrip("\n")


_TEX_SPECIAL = {"\\": r"\textbackslash{}", "_": r"\_", "&": r"\&", "%": r"\%", "#": r"\#", "$": r"\$",
                "{": r"\{", "}": r"\}", "^": r"\^{}", "~": r"\~{}", "×": r"$\times$"}


def tex_text(value: str) -> str:
    """Text safe inside a LaTeX document: the ten special characters escaped.

    >>> tex_text("conv2_block1 & 50%")
    'conv2\\\\_block1 \\\\& 50\\\\%'
    """
    return "".join(_TEX_SPECIAL.get(ch, ch) for ch in visible(value))


def _tex(value: Any) -> str:
    if value is None:
        return "--"
    if isinstance(value, Percent):
        digits = value.digits()
        return "--" if digits is None else rf"{digits}\,\%"
    if isinstance(value, str):
        return tex_text(value)
    if isinstance(value, int) or (isinstance(value, sympy.Basic) and value.is_Integer):
        return f"{int(value):,}"
    return f"${latex_expr(value)}$"


def latex(table: Table, headers: list[str] | None = None) -> str:
    """A booktabs tabular: numbers right-aligned with thousands separators, symbolic values as math.

    ``headers`` may give headers already in LaTeX (e.g. ``$\\alpha$``); otherwise they are escaped.
    """
    spec = "".join("r" if table.numeric(i) else "l" for i in range(len(table.headers)))
    heads = headers if headers is not None else [tex_text(h) for h in table.headers]
    out = [rf"\begin{{tabular}}{{{spec}}}", r"\toprule", " & ".join(heads) + r" \\", r"\midrule"]
    out += [" & ".join(_tex(c) for c in row) + r" \\" for row in table.rows]
    out += [r"\bottomrule", r"\end{tabular}"]
    return "\n".join(out)
