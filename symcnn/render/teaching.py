"""What a course adds to a worked page: the model as runnable code, the "try other sizes" panel,
activation memory, and the options of ``symcnn docs`` (``--title``, ``--no-macs``, ``--no-charts``,
``--exercise``, ``--hide-formulas``).

:func:`teaching_context` returns the keys a page template reads for these; pages.py merges
them into each page's context and writes :func:`teaching_files` beside the page.

>>> from symcnn import load
>>> ctx = teaching_context(load("examples/seed.yaml"), "seed", PageOptions())
>>> ctx["code"]["framework"], ctx["panel"]["file"]
('Keras', 'seed-panel.js')
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy
from markupsafe import Markup

from ..analysis.memory import dtype_bytes
from ..analysis.totals import total_activations
from ..errors import SymcnnError
from ..model import Model
from .blocks import BIG_PAGE
from .code import model_code
from .latex import FormulaPrinter, arrange, shape_latex
from .panel import panel_script
from .text import md_escape, shape_text

__all__ = ["BYTES_PER_VALUE", "PageOptions", "memory_rows", "teaching_context", "teaching_files"]

BYTES_PER_VALUE = dtype_bytes("float32")  # as CS231n's VGG walk-through counts memory


@dataclass(frozen=True)
class PageOptions:
    """What a course's pages show (``symcnn docs`` options)."""

    title: str | None = None
    macs: bool = True
    charts: bool = True
    exercise: bool = False  # also write a worksheet and a solutions page per model
    formulas: bool = True  # the worksheet names the formulas to use


def _fence(text: str) -> str:
    longest = max((len(run) for run in text.split("\n") for run in _backtick_runs(run)), default=0)
    return "`" * max(3, longest + 1)


def _backtick_runs(line: str) -> list[str]:
    runs, current = [], ""
    for ch in line:
        if ch == "`":
            current += ch
        elif current:
            runs.append(current)
            current = ""
    return [*runs, current] if current else runs


CODE_LINES = 80  # a longer program is linked as a file beside the page, its first lines shown


def _code(model: Model, slug: str, standalone: bool) -> dict[str, Any]:
    listing = model_code(model)
    lines = listing.code.split("\n")
    long = not standalone and len(lines) > CODE_LINES
    shown = "\n".join([*lines[: CODE_LINES // 2], "# ..."]) if long else listing.code
    return {
        "framework": listing.framework,
        "ok": listing.ok,
        "text": Markup(shown),
        "fence": Markup(_fence(listing.code)),
        "run_hint": Markup(listing.run_hint),
        "problems": [Markup(md_escape(p)) for p in listing.problems],
        "file": f"{slug}.py" if long and listing.ok else "",
        "lines": len(lines),
        "program": listing.code if long and listing.ok else "",
    }


def _cell(value: Any, unit: str = "") -> dict[str, Any]:
    """A count as a table cell, in the pages' form: text (1,605,760), or math pieces that wrap if symbolic."""
    if isinstance(value, int) or (isinstance(value, sympy.Basic) and value.is_Integer):
        return {"text": f"{int(value):,}{unit}", "math": []}
    return {"text": "", "math": FormulaPrinter(stretchy=False).pieces(arrange(value, {}))}


def _shape(shape: Sequence[Any]) -> dict[str, Any]:
    """A shape as a table cell: plain text, or math pieces where a size is symbolic."""
    if all(d is None or isinstance(d, int) or getattr(d, "is_Integer", False) for d in shape):
        return {"text": shape_text(shape), "math": []}
    return {"text": "", "math": shape_latex(shape)}


def _bytes_short(n: int) -> str:
    for size, name in ((2**30, "GiB"), (2**20, "MiB"), (2**10, "KiB")):
        if n >= size:
            return f"{n / size:.1f} {name}"
    return f"{n} B"


MEMORY_ROWS = 12  # a model with more layers than the page works one by one shows only its largest outputs


def memory_rows(model: Model) -> dict[str, Any] | None:
    """Per layer: output shape, activations (values per sample) and their bytes at float32; None without them.

    A big model (more than :data:`~symcnn.render.blocks.BIG_PAGE` layers) lists only its
    :data:`MEMORY_ROWS` largest outputs, in model order; the total counts every layer.

    >>> from symcnn import load
    >>> memory_rows(load("examples/seed.yaml"))["rows"][2]["count"]
    {'text': '61,504', 'math': []}
    """
    records = list(model.records)
    values: list[Any] = [rec.activations for rec in records]
    total = total_activations(model)
    if not records or total is None or any(v is None for v in values):
        return None
    shown = list(zip(records, values))
    big = len(records) > BIG_PAGE
    if big:
        numeric = all(getattr(v, "is_Integer", False) for v in values)
        ranked = sorted(shown, key=lambda rv: -int(rv[1])) if numeric else shown
        keep = {id(r) for r, _ in ranked[:MEMORY_ROWS]}
        shown = [(r, v) for r, v in shown if id(r) in keep]
    rows = [{
        "shape": _shape(rec.output_shape),
        "name": rec.name,
        "type": rec.type,
        "number": rec.position,
        "count": _cell(value),
        "size": _bytes_cell(value * BYTES_PER_VALUE),
    } for rec, value in shown]
    return {"rows": rows, "count": _cell(total), "size": _bytes_cell(total * BYTES_PER_VALUE),
            "bytes_per_value": BYTES_PER_VALUE, "layers": len(records), "shown": len(rows) if big else 0}


def _bytes_cell(nbytes: Any) -> dict[str, Any]:
    """Bytes as a cell, with KiB/MiB/GiB beside a large count."""
    if getattr(nbytes, "is_Integer", False) or isinstance(nbytes, int):
        n = int(nbytes)
        return _cell(n, f" ({_bytes_short(n)})" if n >= 1024 else "")
    return _cell(nbytes)


def teaching_context(model: Model, slug: str, options: PageOptions, *, page: Mapping[str, Any] | None = None,
                     standalone: bool = False) -> dict[str, Any]:
    """The template keys of the teacher's features for one model's page (``page``: the page's own context).

    ``standalone`` pages (Jupyter, ``worked_solution()``) get the code and memory but no panel:
    it needs the site's scripts.
    """
    panel = None if standalone else panel_script(model, slug, macs=options.macs)
    try:
        memory = memory_rows(model)
    except SymcnnError:
        memory = None
    context: dict[str, Any] = {
        "show_macs": options.macs,
        "code": _code(model, slug, standalone),
        "panel": {
            "id": slug,
            "file": f"{slug}-panel.js" if panel is not None and panel.ok else "",
            "note": panel.note if panel is not None else "",
            "symbols": Markup(", ".join(f"${n}$" for n, _ in panel.symbols)) if panel is not None else "",
            "script": panel.script if panel is not None else "",
        },
        "memory": memory,
    }
    if not options.macs and page is not None:  # a first course: the closed forms without the MACs
        context["closed_forms"] = [row for row in page.get("closed_forms", []) if "MACs" not in str(row["label"])]
    return context


def teaching_files(context: Mapping[str, Any], folder: str) -> dict[str, bytes]:
    """The files a page's teacher features need beside it: its panel's script, a long program's code.

    >>> from symcnn import load
    >>> sorted(teaching_files(teaching_context(load("examples/seed.yaml"), "seed", PageOptions()), "models"))
    ['models/seed-panel.js']
    """
    files = {}
    panel = context.get("panel") or {}
    if panel.get("file"):
        files[f"{folder}/{panel['file']}"] = str(panel["script"]).encode("utf-8")
    code = context.get("code") or {}
    if code.get("file"):
        files[f"{folder}/{code['file']}"] = (str(code["program"]) + "\n").encode("utf-8")
    return files


