"""Reading a hand-made table (CSV or Markdown) and checking every filled-in row.

Rows are matched to layers in order: a row labelled only by a type ("Conv2D", "MaxPool", "BN")
is the next such layer after the previous row's. Layers without a row are reported as missing
(a Flatten or an activation has no parameters to miss). Total / Trainable / Non-trainable rows,
or Keras's "Total params: ..." lines under the table, are checked against the model's totals.
A mistake carried forward into later rows is named once, where it was made.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

import sympy

from ..errors import ParseError, SymcnnError
from ..io.files import read_bytes
from ..model import Model
from ..record import LayerRecord
from .core import check, check_value
from .diagnose import Context
from .entry import _parse, _read_shape, _symbol_table
from .find import find_layer
from .fmt import QUANTITIES
from .results import CheckResult, ValueCheck, report
from .totals import TOTAL_KINDS, check_totals, total_kind

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
    cell = re.sub(r"\s*\(\s*[\d.,]+\s*[KMGT]?i?B\s*\)\s*$", "", cell)  # Keras's "1,663,370 (6.35 MB)"
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
            _parse(sides[0], symbols)
            break
        except ParseError:
            sides.pop(0)
    return "=".join(sides).strip()


_TWO_WORDS = r"[A-Za-z]{2,}[,:]?\s+[A-Za-z]{2,}"
_PROSE_IN_BRACKETS = r"\((?=[^()]*" + _TWO_WORDS + r")[^()]*\)"




def _read(path: str | Path) -> tuple[list[dict[str, str]], list[dict[str, str]]]:
    """The table's rows, and Keras's "Total params: 1,663,370" lines written under it (as rows)."""
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
    lines = []
    if markdown:
        for line in text.splitlines():
            m = re.match(r"\s*[-*]?\s*((?:non[\s_-]*)?trainable|total)\s+param(?:eter)?s?\s*:\s*(.+)$", line, re.IGNORECASE)
            if m and not line.strip().startswith("|"):
                lines.append({"layer": f"{m.group(1)} params", "params": _clean(m.group(2), "params")})
    return out, lines


def read_table(path: str | Path) -> list[dict[str, str]]:
    """The rows of a CSV or Markdown table, each a mapping from 'layer', 'shape', 'params'... to its cell."""
    return _read(path)[0]


def _filled(row: Mapping[str, str]) -> dict[str, str]:
    return {q: v for q, v in row.items() if q != "layer" and v not in ("", "-", "—", "–")}


@dataclass
class TableReport:
    """A whole table checked: each row's result, the totals, the layers with no row, and the mistakes counted once."""

    file: str
    results: list[CheckResult]
    missing: list[LayerRecord] = field(default_factory=list)
    totals: CheckResult | None = None
    error: str | None = None  # the one-line reason a table (of a class) could not be read

    @property
    def checked(self) -> list[CheckResult]:
        """The layers' results, then the totals' (if the table has them)."""
        return [*self.results, *([self.totals] if self.totals else [])]

    @property
    def correct(self) -> bool:
        return self.error is None and all(r.correct for r in self.checked)

    def values(self) -> list[tuple[CheckResult, ValueCheck]]:
        return [(r, v) for r in self.checked for v in r.values]

    @property
    def mistakes(self) -> list[tuple[CheckResult, ValueCheck]]:
        """The wrong values that are mistakes of their own (not carried forward from an earlier row)."""
        return [(r, v) for r, v in self.values() if not v.correct and v.status != "carried forward"]

    @property
    def carried(self) -> list[tuple[CheckResult, ValueCheck]]:
        return [(r, v) for r, v in self.values() if v.status == "carried forward"]

    def summary(self) -> str:
        """'1 mistake, 3 values carried forward'."""
        if self.error is not None:
            return f"could not be read: {self.error}"
        n, c = len(self.mistakes), len(self.carried)
        text = f"{n} mistake{'' if n == 1 else 's'}"
        if c:
            text += f", {c} value{'' if c == 1 else 's'} carried forward"
        return text

    def missing_text(self) -> list[str]:
        out = []
        for rec in self.missing:
            why = "it has no parameters" if rec.params == 0 else f"its {rec.params} parameters are not checked"
            out.append(f"{rec.name} ({rec.type}: {why})")
        return out

    def report(self) -> str:
        """The text report: every row, the missing layers, and the closing count."""
        if self.error is not None:
            return self.summary()
        return report(self.checked, missing=self.missing_text(), summary=self.summary() if not self.correct else "")


def grade_table(model: Model, path: str | Path, *, convention: str = "torchinfo") -> TableReport:
    """Check a whole table: every row in order, the totals, what is missing, and the mistakes carried forward.

    >>> import symcnn
    >>> graded = grade_table(symcnn.load("examples/seed.yaml"), "tests/fixtures/check/seed_mistakes.md")
    >>> graded.summary()
    '2 mistakes, 2 values carried forward'
    """
    rows, lines = _read(path)
    records = model.records
    position_of = {id(r): i for i, r in enumerate(records)}
    matched: list[tuple[LayerRecord, dict[str, str], str]] = []
    totals: list[tuple[str, str]] = []
    after: int | None = None
    for position, row in enumerate([*rows, *lines], start=1):
        label = row.get("layer", "")
        entries = _filled(row)
        kind = total_kind(label)
        if kind is not None:
            totals += _total_entries(kind, label, entries)
            continue
        if not entries:
            continue
        try:
            rec = find_layer(model, label, position=position, after=after)
        except SymcnnError as exc:
            raise exc.within(file=str(path), layer=label) from None
        after = position_of[id(rec)]
        matched.append((rec, entries, label))
    if not matched and not totals:
        raise ParseError("the table has no filled-in values to check", file=str(path))
    context = _context(model, matched, convention, path)
    results = []
    for rec, entries, label in matched:
        try:
            symbols = _symbol_table(model, rec)
            entries = {q: v if q == "shape" else _drop_prose_sides(v, symbols) for q, v in entries.items()}
            results.append(check(model, rec, convention=convention, context=context, **entries))
        except SymcnnError as exc:
            raise exc.within(file=str(path), layer=label) from None
    _mark_carried(results)
    seen = {id(rec) for rec, _, _ in matched}
    missing = [r for r in records if r.type != "InputLayer" and id(r) not in seen] if matched else []
    graded = TableReport(str(path), results, missing)
    if totals:
        try:
            graded.totals = check_totals(model, totals, results, missing)
        except SymcnnError as exc:
            raise exc.within(file=str(path), layer="totals") from None
    return graded


def check_table(model: Model, path: str | Path, *, convention: str = "torchinfo") -> list[CheckResult]:
    """Check every filled-in row of a hand-made table (CSV or Markdown: layer, output shape, params)."""
    return grade_table(model, path, convention=convention).checked


def _total_entries(kind: str, label: str, entries: Mapping[str, str]) -> list[tuple[str, str]]:
    """A totals row's values: "Total params: 1,663,370" in the label, or the row's parameter cells."""
    inline = re.sub(r"^.*?:\s*", "", label) if ":" in label else ""
    if inline.strip():
        return [(kind, _clean(inline, "params"))]
    out = []
    if "params" in entries:
        out.append((kind, entries["params"]))
    for q in TOTAL_KINDS:
        if q in entries and q != "params" and kind == "params":
            out.append((q, entries[q]))
    return out


def _context(
    model: Model, matched: Sequence[tuple[LayerRecord, Mapping[str, str], str]], convention: str, path: str | Path
) -> Context:
    """The student's output shapes, by layer, and which of them are wrong."""
    context = Context({}, set())
    for rec, entries, label in matched:
        if "shape" not in entries:
            continue
        try:
            symbols = _symbol_table(model, rec)
            context.shapes[rec.name] = _read_shape(entries["shape"], symbols, len(rec.output_shape) - 1)  # type: ignore[index]
            if not check_value(model, rec, "shape", entries["shape"], convention=convention, diagnose=False).correct:
                context.wrong.add(rec.name)
        except SymcnnError as exc:
            raise exc.within(file=str(path), layer=label) from None
    return context


def _mark_carried(results: list[CheckResult]) -> None:
    """A wrong value whose mistake the student's own earlier row shows is carried forward, not a new mistake.

    It is traced back to the row where the mistake was made (a row carried forward itself points further up).
    """
    origin: dict[str, str] = {}
    made: dict[str, str] = {}  # layer -> the mistake its own (not carried) output shape shows
    for r in results:
        for v in r.values:
            d = v.diagnoses[0] if v.diagnoses else None
            if not v.correct and d is not None and d.confirmed and d.origin is not None:
                source = origin.get(d.origin, d.origin)
                v.status = "carried forward"
                v.carried_from = f"{source}'s output shape"
                if source != d.origin and source in made:
                    text = f"{d.text} (the mistake was made at {source}: {made[source]})"
                    v.diagnoses[0] = replace(d, text=text)
                if v.quantity == "shape":
                    origin[r.layer] = source
            elif not v.correct and v.quantity == "shape" and v.mistake:
                made[r.layer] = v.mistake
