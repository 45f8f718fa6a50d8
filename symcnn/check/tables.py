"""Reading a hand-made table (CSV or Markdown) and checking every filled-in row."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from pathlib import Path

import sympy

from ..errors import ParseError, SymcnnError
from ..expr import parse
from ..io.files import read_bytes
from ..model import Model
from .core import check
from .entry import _symbol_table
from .find import find_layer
from .fmt import QUANTITIES
from .results import CheckResult

MAX_TABLE_BYTES = 1024 * 1024
MAX_TABLE_ROWS = 2000


_HEADERS: list[tuple[str, str]] = [  # (quantity, pattern), tried in order on each header
    ("non_trainable", r"non[\s_-]*trainable"),
    ("trainable", r"^\s*trainable"),
    ("macs", r"\bmacs?\b|multiply|flops"),
    ("shape", r"shape|o/p|output"),
    ("params", r"param"),
    ("layer", r"layer|name"),
]


def _columns(headers: Sequence[str]) -> dict[str, int]:
    """Which column holds what: 'layer', 'shape', 'params' (...), from headers like the tutorial's."""
    found: dict[str, int] = {}
    for i, h in enumerate(headers):
        low = h.lower()
        if re.search(r"input", low) and "param" in low:
            continue  # the tutorial's "Input parameters" column describes the input
        for q, pattern in _HEADERS:
            if re.search(pattern, low):
                if q == "params" and "params" in found and not re.search(r"total|#|count", low):
                    break
                found[q] = i
                break
    if "layer" not in found:
        found["layer"] = 0
    if not set(found) & set(QUANTITIES):
        raise ParseError(f"no column to check among {list(headers)}: name one 'output shape' or 'params'")
    return found


def _rows(text: str, markdown: bool) -> list[list[str]]:
    if markdown:
        rows = []
        for line in text.splitlines():
            line = line.strip()
            if not line.startswith("|"):
                continue
            cells = [c.strip() for c in re.split(r"(?<!\\)\|", line.strip("|"))]
            if all(re.fullmatch(r":?-{2,}:?", c) for c in cells if c):
                continue
            rows.append([c.replace("\\|", "|") for c in cells])
        return rows
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=",;\t")
        reader = csv.reader(io.StringIO(text), dialect)
    except csv.Error:
        reader = csv.reader(io.StringIO(text))
    try:
        return [row for row in reader if any(c.strip() for c in row)]
    except csv.Error as exc:
        raise ParseError(f"malformed CSV: {exc}") from None


def _clean(cell: str, quantity: str) -> str:
    cell = re.sub(r"<br\s*/?>", " ", cell)
    cell = cell.strip().strip("`").strip()
    cell = re.sub(r"^\*\*(.*)\*\*$", r"\1", cell)
    cell = re.sub(r"\*\*(\d[\d,]*)\*\*", r"\1", cell)  # bold numbers inside: "= **640**"
    if quantity == "shape":
        cell = _leading_group(cell)
        cell = re.sub(r"\s+(channels?|units?|features?|filters?|neurons?|values?)\b.*$", "", cell, flags=re.IGNORECASE)
    # prose around the arithmetic, as the tutorial writes it: "Thus, total parameters = [...] = 640",
    # "0 (the max pooling layer only reduces the dimensions)", "36928 params"
    cell = re.sub(_PROSE_IN_BRACKETS + r"\s*$", "", cell)
    cell = re.sub(r"\s+(params|parameters|weights|MACs)\.?\s*$", "", cell, flags=re.IGNORECASE)
    sides = cell.split("=")
    while len(sides) > 1 and re.search(_TWO_WORDS, sides[0]):
        sides.pop(0)
    return "=".join(sides).strip()


def _leading_group(cell: str) -> str:
    """ "(62, 62, 64) number of filters: 64" -> "(62, 62, 64)": a bracketed shape followed by prose."""
    if not cell.startswith(("(", "[")):
        return cell
    depth = 0
    for i, ch in enumerate(cell):
        if ch in "([":
            depth += 1
        elif ch in ")]":
            depth -= 1
        if depth == 0:
            group, rest = cell[: i + 1], cell[i + 1 :].strip()
            return group if "," in group and re.match(r"[A-Za-z]", rest) else cell
    return cell


def _drop_prose_sides(text: str, symbols: Mapping[str, sympy.Symbol]) -> str:
    """In a table cell "total = 9*C*F + F", drop the leading sides of '=' that are words, not arithmetic."""
    sides = text.split("=")
    while len(sides) > 1:
        try:
            parse(sides[0], symbols, allow_new=False)
            break
        except ParseError:
            sides.pop(0)
    return "=".join(sides).strip()


_TWO_WORDS = r"[A-Za-z]{2,}[,:]?\s+[A-Za-z]{2,}"
_PROSE_IN_BRACKETS = r"\((?=[^()]*" + _TWO_WORDS + r")[^()]*\)"


def read_table(path: str | Path) -> list[dict[str, str]]:
    """The rows of a CSV or Markdown table, each a mapping from 'layer', 'shape', 'params'... to its cell."""
    text = read_bytes(path, MAX_TABLE_BYTES).decode("utf-8-sig", errors="replace")
    markdown = Path(path).suffix.lower() in (".md", ".markdown") or text.lstrip().startswith("|")
    rows = _rows(text, markdown)
    if len(rows) < 2:
        raise ParseError("a table needs a header row and at least one row", file=str(path))
    if len(rows) > MAX_TABLE_ROWS + 1:
        raise ParseError(f"table has {len(rows) - 1} rows; the limit is {MAX_TABLE_ROWS}", file=str(path))
    try:
        cols = _columns(rows[0])
    except SymcnnError as exc:
        raise exc.within(file=str(path)) from None
    out = []
    for row in rows[1:]:
        out.append({q: _clean(row[i], q) if i < len(row) else "" for q, i in cols.items()})
    return out


def check_table(model: Model, path: str | Path, *, convention: str = "torchinfo") -> list[CheckResult]:
    """Check every filled-in row of a hand-made table (CSV or Markdown: layer, output shape, params)."""
    results = []
    for position, row in enumerate(read_table(path), start=1):
        label = row.get("layer", "")
        entries = {q: v for q, v in row.items() if q != "layer" and v not in ("", "-", "—", "–")}
        if not entries:
            continue
        try:
            rec = find_layer(model, label, position=position)
            symbols = _symbol_table(model, rec)
            entries = {q: v if q == "shape" else _drop_prose_sides(v, symbols) for q, v in entries.items()}
            results.append(check(model, rec, convention=convention, **entries))
        except SymcnnError as exc:
            raise exc.within(file=str(path), layer=label) from None
    if not results:
        raise ParseError("the table has no filled-in values to check", file=str(path))
    return results
