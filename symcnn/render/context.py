"""The plain data a worked-solution page is rendered from: strings, numbers, lists and dicts made for the page.

Templates never see a model, a record or a SymPy expression: every formula arrives as a list of
LaTeX *pieces* (see :meth:`~symcnn.render.latex.FormulaPrinter.pieces`), which the templates show as
one MathML formula each, with a line-break opportunity between them. Text that came from the user
(names, descriptions) arrives as ``str`` and is escaped by the templates; text symcnn wrote itself
(notes with math, the model file shown verbatim) arrives as ``Markup``.

>>> from symcnn import load
>>> page = model_context(load("examples/seed.yaml"), "seed")
>>> page["body"][0]["layer"]["shape_steps"][0]["rows"][1]["rhs"]
['(64 - 3) + 1']
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

import sympy
from markupsafe import Markup

from ..errors import SymcnnError
from ..formulas import is_number
from ..layers.core import InputLayer
from ..model import Model
from ..record import LayerRecord
from .blocks import BIG_PAGE, Section, block_label, sections
from .latex import Formula, FormulaPrinter, arrange, latex, shape_latex
from .symbolic import Binder
from .text import md_escape, number_text, shape_text
from .worked import LayerWork, Step, consumers_of, layer_work, symbol_table

__all__ = ["Notes", "chart_rows", "layer_context", "model_context", "numeric_model", "plain_title"]

Pieces = list[str]


# ---- cells ---------------------------------------------------------------------------------


def _shape_cell(shape: Sequence[Any]) -> dict[str, Any]:
    """A shape for a table: plain text when every size is a number, else math pieces."""
    if all(d is None or is_number(d) for d in shape):
        return {"text": shape_text(shape), "math": []}
    return {"text": "", "math": shape_latex(shape)}


def _count_cell(value: Any) -> dict[str, Any]:
    """A count for a table or for prose: 1,605,760, or math pieces if symbolic."""
    if isinstance(value, int) or (isinstance(value, sympy.Basic) and value.is_Integer):
        return {"text": number_text(value), "math": []}
    return {"text": "", "math": FormulaPrinter(stretchy=False).pieces(arrange(value, {}))}


def _safe_count(value: Any) -> dict[str, Any]:
    try:
        return _count_cell(value())
    except SymcnnError:
        return {"text": "unknown", "math": []}


def _pieces(f: Formula | None, *, stretchy: bool = True) -> Pieces:
    return [] if f is None else f.pieces(stretchy=stretchy)


def _rel(pieces: Pieces) -> Pieces:
    """``= x`` as pieces: the relation joins the first piece."""
    return ["{} = " + pieces[0], *pieces[1:]] if pieces else []


# ---- one layer -----------------------------------------------------------------------------


class Notes:
    """Notes shown once per page: a note said before points back to where it was said."""

    def __init__(self, links: bool) -> None:
        self.links = links
        self.seen: dict[str, tuple[str, str]] = {}

    def say(self, text: str, name: str, anchor: str) -> Markup:
        if not text:
            return Markup("")
        if text in self.seen:
            first, where = self.seen[text]
            ref = f"[{md_escape(first)}](#{where})" if self.links and where else md_escape(first)
            return Markup(f"The same as for {ref} above.")
        self.seen[text] = (name, anchor)
        return Markup(text)


def _derivation(step: Step, notes: Notes, name: str, anchor: str) -> dict[str, Any]:
    """A step as rows of an aligned derivation: ``lhs = first``, then ``= next`` for each later line."""
    chain = step.chain()
    rows = []
    for i, f in enumerate(chain):
        rows.append({"lhs": _pieces(step.lhs_f) if i == 0 else [], "rhs": _pieces(f), "result": i == len(chain) - 1})
    for other in step.also:  # W_out = H_out = 62
        rows.append({"lhs": _pieces(other), "rhs": [*_pieces(step.lhs_f), *_rel(_pieces(step.result_f))],
                     "result": True})
    return {"title": step.title, "rows": rows, "note": notes.say(step.note, name, anchor)}


def _worked_out(step: Step) -> Pieces:
    """The numbers put in and the result, on one line: ``(12,544 × 128) + 128 = 1,605,760``."""
    result = _pieces(step.result_f, stretchy=False)
    sub = step.substituted_f
    if sub is None or sub.tex() in (step.formula, replace(step.result_f, bold=False).tex()):
        return result
    return _pieces(sub, stretchy=False) + _rel(result)


def _chain_pieces(step: Step, *, with_formula: bool) -> Pieces:
    """A step on one line for the summary table: ``H_out = W_out = (64 − 3) + 1 = 62``."""
    out = _pieces(step.lhs_f, stretchy=False)
    for other in step.also:
        out += _rel(_pieces(other, stretchy=False))
    for f in step.chain():
        if f is step.words_f or (f is step.formula_f and not with_formula and step.substituted_f is not None):
            continue
        out += _rel(_pieces(f, stretchy=False)) if out else _pieces(f, stretchy=False)
    return out


def layer_context(work: LayerWork, index: int, notes: Notes, *, previous: str | None = None,
                  anchor: str = "") -> dict[str, Any]:
    """One worked layer as plain data (see layer.md.j2)."""
    rec = work.record
    name = rec.name
    shape_line = work.shape_line
    line: dict[str, Any] | None = None
    if shape_line is not None:
        named = _pieces(shape_line.formula_f, stretchy=False)
        value = _pieces(shape_line.result_f, stretchy=False)
        line = {"pieces": named + _rel(value) if named != value else value}
    empty = not work.param_steps
    return {
        "index": index,
        "name": name,
        "type": rec.type,
        "anchor": anchor,
        "quantities": [{"label": q.label, "symbol": _pieces(q.symbol_f), "value": _pieces(q.value_f)}
                       for q in work.quantities],
        "settings": [[k, v] for k, v in work.settings],
        "input_shapes": [_shape_cell(s) for s in rec.input_shapes],
        "inputs": list(rec.inputs),
        "from_others": len(rec.inputs) > 1 or (previous is not None and rec.inputs != [previous]),
        "shape_steps": [_derivation(s, notes, name, anchor) for s in work.shape_steps],
        "shape_line": line,
        "symbolic": work.symbolic,
        "param_steps": [_derivation(s, notes, name, anchor) for s in work.param_steps],
        "no_params": empty,
        "param_note": notes.say(work.param_note, name, anchor),
        "trainable": _count_cell(rec.trainable),
        "non_trainable": _count_cell(rec.non_trainable),
        "mac_steps": [_derivation(s, notes, name, anchor) for s in work.mac_steps],
        "mac_note": notes.say(work.mac_note, name, anchor),
        "fallback": work.fallback,
        "first_params": False,  # the page's first layer that learns: says once what trainable means
    }


def _calc_row(work: LayerWork, index: int, anchor: str) -> dict[str, Any]:
    """A row of the summary of the calculations, as the tutorial's last table has it."""
    rec = work.record
    inputs = []
    for q in work.quantities:
        if not q.default:
            inputs.append({"label": q.label, "math": _pieces(q.value_f, stretchy=False)})
    calc = [_chain_pieces(s, with_formula=False) for s in work.shape_steps]
    if not calc:  # Dense, LSTM, GRU ...: the tutorial writes the parameter formula here
        calc = [[*_pieces(s.lhs_f, stretchy=False), *_rel(_pieces(s.formula_f, stretchy=False))]
                for s in work.param_steps if s.words_f is not None]
    return {
        "index": index, "name": rec.name, "type": rec.type, "anchor": anchor,
        "input_shape": [_shape_cell(s) for s in rec.input_shapes],
        "inputs": inputs,
        "output_shape": _shape_cell(rec.output_shape),
        "calc": calc,
        "params": [_worked_out(s) for s in work.param_steps] or [["0"]],
        "repeat": None,
        "like": None,
    }


# ---- repeated blocks -----------------------------------------------------------------------


def _sum_pieces(counts: list[Any]) -> Pieces:
    """``384 + 12,288 + 512 = 13,184`` (the nonzero counts, then their sum), or one count."""
    nonzero = [c for c in counts if c != 0]
    total = sum(counts, sympy.Integer(0))
    printer = FormulaPrinter(stretchy=False)
    if len(nonzero) < 2:
        return printer.pieces(arrange(total, {}))
    terms = sympy.Add(*[arrange(c, {}) for c in nonzero], evaluate=False)
    return printer.pieces(terms) + _rel(printer.pieces(arrange(total, {})))


def _repeat_context(section: Section, recs: Sequence[LayerRecord], index0: int, anchor_of: dict[int, str],
                    works: dict[int, LayerWork]) -> dict[str, Any]:
    p = section.period
    like_names = [r.name for r in recs[section.like: section.like + p]]
    rows = []
    for k in range(section.count):
        lo = section.start + k * p
        block = recs[lo: lo + p]
        if p == 1 and lo in works and len(works[lo].param_steps) == 1:
            params = _worked_out(works[lo].param_steps[0])
        else:
            params = _sum_pieces([r.params for r in block])
        rows.append({
            "index": index0 + lo, "name": block_label([r.name for r in block]),
            "input": _shape_cell(block[0].input_shapes[0]) if block[0].input_shapes else {"text": "", "math": []},
            "output": _shape_cell(block[-1].output_shape),
            "params": params,
        })
    first, last = index0 + section.start, index0 + section.stop - 1
    total = sum((r.params for r in recs[section.start: section.stop]), sympy.Integer(0))
    return {
        "params": _count_cell(total),
        "first": first, "last": last, "count": section.count, "period": p,
        "anchor": f"layers-{first}-{last}",
        "like": {"name": block_label(like_names), "first": index0 + section.like,
                 "last": index0 + section.like + p - 1, "anchor": anchor_of.get(section.like, "")},
        "rows": rows,
    }


def _like_context(section: Section, recs: Sequence[LayerRecord], anchor_of: dict[int, str],
                  works: dict[int, LayerWork]) -> dict[str, Any]:
    rows, quiet = [], []
    for i, j in zip(range(section.start, section.stop), section.likes):
        work = works[i]
        if not work.param_steps and not work.shape_steps:  # nothing to compute: named, not tabled
            quiet.append({"index": i + 1, "name": recs[i].name})
            continue
        rows.append({
            "index": i + 1, "name": recs[i].name, "type": recs[i].type,
            "like": {"name": recs[j].name, "index": j + 1, "anchor": anchor_of.get(j, "")},
            "input": [_shape_cell(sh) for sh in recs[i].input_shapes],
            "output": _shape_cell(recs[i].output_shape),
            "calc": [_chain_pieces(st, with_formula=False) for st in work.shape_steps],
            "params": [_worked_out(st) for st in work.param_steps] or [["0"]],
        })
    total = sum((r.params for r in recs[section.start: section.stop]), sympy.Integer(0))
    return {"first": section.start + 1, "last": section.stop, "rows": rows, "quiet": quiet,
            "params": _count_cell(total), "count": section.period,
            "last_output": _shape_cell(recs[section.stop - 1].output_shape)}


# ---- the model -------------------------------------------------------------------------------


def numeric_model(model: Model) -> Model | None:
    """The model with every size a number (its defaults applied), or None."""
    try:
        m = model.with_defaults()
        shapes_known = all(
            d is None or is_number(d) for r in m.records for d in r.output_shape
        ) and is_number(m.total_params)
    except SymcnnError:
        return None
    return m if shapes_known else None


def _source_block(model: Model) -> tuple[str, str]:
    """(language, text) of the model as written: its YAML file, or Keras-style code."""
    source = getattr(model, "source", None)
    if source and Path(source).suffix.lower() in (".yaml", ".yml") and Path(source).is_file():
        return "yaml", Path(source).read_text(encoding="utf-8", errors="replace").rstrip("\n")
    lines = ["import keras", "from keras import layers", ""]
    for rec in model.records:
        if isinstance(rec.layer, InputLayer):
            lines.append(f"{_ident(rec.name)} = keras.Input(shape={tuple(rec.output_shape[1:])!r}, name={rec.name!r})")
            continue
        args = ", ".join(f"{k}={_py(v)}" for k, v in rec.layer.hyperparameters().items())
        args = f"{args}, name={rec.name!r}" if args else f"name={rec.name!r}"
        ins = ", ".join(_ident(i) for i in rec.inputs)
        ins = f"[{ins}]" if len(rec.inputs) > 1 else ins
        lines.append(f"{_ident(rec.name)} = layers.{rec.type}({args})({ins})")
    return "python", "\n".join(lines)


def _ident(name: str) -> str:
    return re.sub(r"\W", "_", name) or "x"


def _py(value: Any) -> str:
    if isinstance(value, tuple):
        return "(" + ", ".join(_py(v) for v in value) + ("," if len(value) == 1 else "") + ")"
    if isinstance(value, sympy.Basic):
        return repr(str(value))
    return repr(value)


def _fence(text: str) -> str:
    longest = max((len(m) for m in re.findall(r"`+", text)), default=0)
    return "`" * max(3, longest + 1)


def _window_formula() -> dict[str, Any]:
    """The sliding-window rule of formulas.conv_output_length, printed from the function itself."""
    from ..formulas import conv_output_length

    b = Binder()
    n = b.symbol("n", 0, "size", "in")
    k = b.symbol("k", 0, "kernel", "kernel")
    s = b.symbol("s", 0, "stride", "stride")
    d = b.symbol("d", 0, "dilation", "dilation")
    pads = [b.symbol(r"p_{\text{before}}", 0, "before", "pad"), b.symbol(r"p_{\text{after}}", 0, "after", "pad")]
    expr = arrange(conv_output_length(n, k, s, d, pads), b.rank)
    return {"pieces": b.formula_f(expr).pieces()}


def _open_input_totals(model: Model) -> list[dict[str, Any]]:
    """Closed forms with the input's spatial sizes left open (small numeric models only)."""
    inputs = [r for r in model.records if isinstance(r.layer, InputLayer)]
    if model.free_symbols or len(inputs) != 1 or len(model.records) > 40:
        return []
    shape = inputs[0].output_shape
    if len(shape) != 4 or not all(is_number(d) for d in shape[1:]):
        return []
    H, W = sympy.Symbol("H", integer=True, positive=True), sympy.Symbol("W", integer=True, positive=True)
    try:
        open_model = model.with_input((shape[0], H, W, shape[3]))
        return [{"label": [r"\text{parameters}"], "pieces": Formula(arrange(open_model.total_params, {})).pieces()}]
    except SymcnnError:
        return []


def _closed_forms(model: Model) -> list[dict[str, Any]]:
    rows = [(r"\text{parameters}", model.total_params), (r"\text{trainable}", model.trainable_params)]
    try:
        rows += [(rf"\text{{MACs ({c})}}", model.macs(c)) for c in ("torchinfo", "fvcore")]
    except SymcnnError:
        pass
    return [{"label": [label], "pieces": Formula(arrange(v, {})).pieces()} for label, v in rows]


def _previous(records: Sequence[LayerRecord]) -> list[str | None]:
    """For each non-input layer, the name of the record before it (None if that is an input)."""
    out: list[str | None] = []
    for before, rec in zip([None, *records], records):
        if not isinstance(rec.layer, InputLayer):
            out.append(None if before is None or isinstance(before.layer, InputLayer) else before.name)
    return out


def chart_rows(model: Model) -> tuple[list[tuple[str, int]], list[tuple[str, str, int]]] | None:
    """The bars of the two charts: (name, parameters) and (name, output shape, values), a repeat run as one bar."""
    m = numeric_model(model)
    if m is None:
        return None
    recs = [r for r in m.records if not isinstance(r.layer, InputLayer)]
    inputs = [r for r in m.records if isinstance(r.layer, InputLayer)]

    def values(shape: Sequence[Any]) -> int:
        out = 1
        for d in shape[1:]:
            out *= int(d) if d is not None else 1
        return out

    params: list[tuple[str, int]] = []
    flow = [(r.name, shape_text(r.output_shape), values(r.output_shape)) for r in inputs]
    for section in sections(recs):
        block = recs[section.start: section.stop]
        if section.kind == "repeat" or section.period > 1 and len(recs) > BIG_PAGE:
            label = block_label([r.name for r in block[:section.period]])
            if section.count > 1:
                label = f"{label} … {block_label([r.name for r in block[-section.period:]])}"
            params.append((label, int(sum(int(r.params) for r in block))))
            flow.append((label, shape_text(block[-1].output_shape), values(block[-1].output_shape)))
        else:
            for r in block:
                params.append((r.name, int(r.params)))
                flow.append((r.name, shape_text(r.output_shape), values(r.output_shape)))
    return params, flow


def model_context(model: Model, slug: str, *, links: bool = True,
                  charts: list[dict[str, str]] | None = None) -> dict[str, Any]:
    """Everything page.md.j2 shows about ``model``, as plain data. ``links``: anchors and links between sections."""
    records = list(model.records)
    recs = [r for r in records if not isinstance(r.layer, InputLayer)]
    after = consumers_of(model)
    previous = dict(zip((r.name for r in recs), _previous(records)))
    plan = sections(recs)
    anchor_of = {i: (f"layer-{i + 1}" if links else "") for i in range(len(recs))}
    to_work = {j for s in plan if s.kind in ("work", "like") for j in range(s.start, s.stop)}
    to_work |= {s.start + k for s in plan if s.kind == "repeat" and s.period == 1 for k in range(s.count)}
    works = {i: layer_work(recs[i], after.get(recs[i].name, [])) for i in sorted(to_work)}
    notes = Notes(links)
    first_params = next((i for i in sorted(works) if works[i].param_steps and works[i].record.trainable != 0), None)
    body: list[dict[str, Any]] = []
    calc_rows: list[dict[str, Any]] = []
    for section in plan:
        if section.kind == "work":
            for i in range(section.start, section.stop):
                layer = layer_context(works[i], i + 1, notes, previous=previous[recs[i].name], anchor=anchor_of[i])
                layer["first_params"] = i == first_params
                body.append({"kind": "layer", "layer": layer})
                calc_rows.append(_calc_row(works[i], i + 1, anchor_of[i]))
        elif section.kind == "like":
            like = _like_context(section, recs, anchor_of, works)
            body.append({"kind": "like", "like": like})
            calc_rows.append({"index": like["first"], "repeat": None, "like": like})
        else:
            group = _repeat_context(section, recs, 1, anchor_of, works)
            if not links:
                group["anchor"] = group["like"]["anchor"] = ""
            body.append({"kind": "repeat", "repeat": group})
            calc_rows.append({"index": group["first"], "repeat": group, "like": None})
    free = sorted(model.free_symbols, key=lambda s: s.name)
    defaults = {s: v for s, v in model.defaults.items() if s in model.free_symbols}
    numeric = numeric_model(model) if free else None
    valid_window = any(
        getattr(w.record.layer, "padding", None) in ("valid", "same", "causal") and w.shape_steps and not w.fallback
        for w in works.values()
    )
    language, source = _source_block(model)
    return {
        "name": model.name or slug,
        "title": plain_title(model.name or slug),
        "slug": slug,
        "description": getattr(model, "description", None) or "",
        "source_language": language,
        "source": Markup(source),
        "fence": Markup(_fence(source)),
        "summary": [{"index": i + 1, "name": r.name, "type": r.type, "output_shape": _shape_cell(r.output_shape),
                     "params": _count_cell(r.params), "macs": _safe_count(lambda r=r: r.macs_by("torchinfo"))}
                    for i, r in enumerate(recs)],
        "layers_count": len(recs),
        "compact": any(s.kind != "work" for s in plan),
        "big": len(recs) > BIG_PAGE,
        "body": body,
        "calc_rows": calc_rows,
        "inputs": [_shape_cell(r.output_shape) for r in records if isinstance(r.layer, InputLayer)],
        "total_params": _count_cell(model.total_params),
        "trainable_params": _count_cell(model.trainable_params),
        "non_trainable_params": _count_cell(model.non_trainable_params),
        "macs_torchinfo": _safe_count(lambda: model.macs("torchinfo")),
        "macs_fvcore": _safe_count(lambda: model.macs("fvcore")),
        "free_symbols": [latex(s) for s in free],
        "symbolic": bool(free),
        "closed_forms": _closed_forms(model) if free else [],
        "defaults": [{"symbol": s, "value": v} for s, v in symbol_table(defaults)],
        "at_defaults": {"params": _count_cell(numeric.total_params),
                        "macs": _safe_count(lambda: numeric.macs("torchinfo"))}
        if numeric is not None and defaults else None,
        "open_input": _open_input_totals(model),
        "charts": charts or [],
        "window": _window_formula() if valid_window else None,
        "fallback_layers": [w.name for w in works.values() if w.fallback],
    }


def plain_title(text: str) -> str:
    """A title for places mkdocs prints without escaping (nav, <title>): no markup or control characters.

    Control characters (DEL, C1, bidi overrides) would also make mkdocs.yml invalid YAML.
    """
    printable = "".join(ch for ch in " ".join(text.split()) if ch.isprintable())
    return re.sub(r"[<>&\"'`\\]", "", printable).strip() or "model"
