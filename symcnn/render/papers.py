"""Published tables beside symcnn's counts: the papers' figures as printed, ours computed from examples/*.yaml.

``examples/tables/papers.yaml`` lists each table: its columns (a quantity and its unit) and its rows (a model
file, the symbol values of the row, the paper's figures as text). A paper's figure is matched when
symcnn's count, in the paper's unit, rounds to it (half up) at the paper's digits, or else truncates to
it: some papers cut their figures rather than round them, and the page says which.

>>> agreement(Fraction(4210088, 10**6), "4.2"), agreement(Fraction(3663761408, 10**9), "3.6")
('rounded', 'truncated')
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from fractions import Fraction
from pathlib import Path
from typing import Any

from ..errors import ParseError
from ..expr import parse
from ..io import load

# Weights that normalisation layers own: left out of the "weights" count (MobileNet's convention).
NORMALISATION_WEIGHTS = frozenset({"gamma", "beta", "moving_mean", "moving_variance", "mean", "variance", "count"})


def _weights(model: Any) -> int:
    return sum(int(w.size) for r in model.records if r.shared_with is None
               for w in r.weights if w.name not in NORMALISATION_WEIGHTS)


QUANTITIES: dict[str, tuple[str, Callable[[Any], int]]] = {
    "params": ("every parameter, moving statistics included", lambda m: int(m.total_params)),
    "trainable": ("trainable parameters", lambda m: int(m.trainable_params)),
    "weights": ("convolution and fully connected weights and biases, no normalisation", _weights),
    "macs": ("multiply-adds of convolutions and matrix products (fvcore's MACs)", lambda m: int(m.macs("fvcore"))),
}


@dataclass(frozen=True)
class Cell:
    quantity: str
    ours: int
    paper: str  # as printed
    unit: int

    @property
    def scaled(self) -> Fraction:
        return Fraction(self.ours, self.unit)

    @property
    def agreement(self) -> str | None:
        return agreement(self.scaled, self.paper)


@dataclass(frozen=True)
class Row:
    label: str
    file: str
    values: Mapping[str, str]
    cells: tuple[Cell, ...]
    note: str | None
    adjust: str | None  # how the paper's count differs from the file's network, as arithmetic (LeNet-5)


@dataclass(frozen=True)
class Table:
    title: str
    source: str
    headings: tuple[str, ...]
    quantities: tuple[str, ...]
    rows: tuple[Row, ...]


def agreement(ours: Fraction, paper: str) -> str | None:
    """'rounded' if ``ours`` rounds (half up) to the printed figure, 'truncated' if it truncates to it, else None."""
    printed = Decimal(paper)
    digits = max(0, -int(printed.as_tuple().exponent))  # type: ignore[operator]
    scale = 10**digits
    target = Fraction(printed) * scale
    if math.floor(ours * scale + Fraction(1, 2)) == target:
        return "rounded"
    if math.floor(ours * scale) == target:
        return "truncated"
    return None


def read_tables(path: str | Path, models: str | Path | None = None) -> list[Table]:
    """Every table of ``examples/tables/papers.yaml`` with symcnn's counts computed (models read once per file and values).

    Each row's ``file`` is read from the folder ``models`` (by default the tables file's own folder).
    """
    import yaml

    path = Path(path)
    raw = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(raw, list):
        raise ParseError("a list of tables is expected", file=str(path))
    cache: dict[tuple[str, tuple[tuple[str, str], ...]], Any] = {}
    folder = Path(models) if models is not None else path.parent
    return [_table(spec, folder, cache) for spec in raw]


def _table(spec: dict[str, Any], folder: Path, cache: dict[Any, Any]) -> Table:
    columns = spec["columns"]
    rows = []
    for row in spec["rows"]:
        values = {k: str(v) for k, v in (row.get("set") or {}).items()}
        key = (row["file"], tuple(sorted(values.items())))
        if key not in cache:
            cache[key] = _model(folder / row["file"], values)
        model = cache[key]
        cells = tuple(
            Cell(col["quantity"], QUANTITIES[col["quantity"]][1](model), str(paper), int(col["unit"]))
            for col, paper in zip(columns, row["paper"])
        )
        rows.append(Row(row["label"], row["file"], values, cells, row.get("note"), row.get("adjust")))
    return Table(spec["title"], spec.get("source", ""), tuple(c["heading"] for c in columns),
                 tuple(c["quantity"] for c in columns), tuple(rows))


def _model(path: Path, values: Mapping[str, str]) -> Any:
    exact = {k: parse(v) for k, v in values.items()}
    model = load(path, values=exact) if values else load(path)
    return model.subs({**{s.name: v for s, v in model.defaults.items()}, **exact})


def _figure(value: Fraction, paper: str, unit: int) -> str:
    if unit == 1:
        return f"{int(value):,}"
    digits = max(0, -int(Decimal(paper).as_tuple().exponent)) + 2  # type: ignore[operator]
    return f"{float(value):,.{digits}f}"


def markdown(tables: list[Table]) -> str:
    """The tables as Markdown: the paper's figure beside symcnn's, which rounds to it, is marked "(cut)" when
    it truncates to it, and "≠" when it does neither (the row's note says why)."""
    marks = {"rounded": "", "truncated": " (cut)", None: " **≠**"}
    out = []
    for table in tables:
        out.append(f"### {table.title}\n")
        files = sorted({row.file for row in table.rows})
        counted = "; ".join(f"{h}: {QUANTITIES[q][0]}" for h, q in zip(table.headings, table.quantities))
        shared = f" Model file: `examples/{files[0]}`." if len(files) == 1 else ""
        out.append((f"*{table.source}.* " if table.source else "") + f"Counted as {counted}.{shared}\n")
        with_file = len(files) > 1
        notes: list[str] = []
        for i, heading in enumerate(table.headings):  # one narrow table per quantity: it fits a phone
            out.append(f"| model | {heading}: paper | symcnn |")
            out.append("|---|--:|--:|")
            for row in table.rows:
                if i == 0 and row.note:
                    notes.append(row.note)
                mark = f" [{notes.index(row.note) + 1}]" if row.note else ""
                # the file and the symbols' values go under the model's name
                detail = ([f"`{row.file}`"] if with_file else []) + [f"`{k}={v}`" for k, v in row.values.items()]
                cell = row.cells[i]
                printed = f"{int(cell.paper):,}" if cell.paper.isdigit() else cell.paper
                label = row.label + mark + ("<br>" + " ".join(detail) if detail else "")
                out.append(f"| {label} | {printed} | {_figure(cell.scaled, cell.paper, cell.unit) + marks[cell.agreement]} |")
            out.append("")
        for i, note in enumerate(notes, start=1):
            out.append(f"[{i}] {note}\n")
    return "\n".join(out)
