"""Check a hand calculation against the exact value, and name the likely mistake.

A student's entry (a number, arithmetic as people write it, or a formula in the
model's symbols) is read by :func:`symcnn.expr.parse` only. A formula is compared
as a formula, for all values of its symbols. When the entry is wrong, each known
mistake is recomputed from the layer's own hyperparameters (the table
:data:`MISTAKES`, plus every shape mistake of the layers upstream carried forward)
and the ones that give the student's value are named.

Sections, in the order data flows: results (what a check returns), formatting,
comparing values (exactly, or as formulas at random sizes and then by a proof),
reading the entry, finding the layer, the mistakes table, measuring a layer
under a mistake, checking one value, the public entry points, tables.

>>> import symcnn
>>> model = symcnn.load("examples/seed.yaml")
>>> result = check(model, "conv2d_1", params="3x64x64 + 64")
>>> result.correct
False
>>> print(result.values[0].diagnoses[0])
kernel area taken as K (3) instead of K² (3×3 = 9): 3×64×64 + 64 = 12352
"""

from __future__ import annotations

import copy
import csv
import html
import io
import random
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from functools import partial
from pathlib import Path
from typing import Any

import sympy

from .errors import ArgumentError, ParseError, SymcnnError
from .expr import parse
from .formulas import conv_output_length, is_number, prod, same_padding, simplify_int
from .layers.base import Layer, Shape, Weight, channels, format_shape, spatial
from .model import LayerRecord, Model, to_expr

Value = Any  # a count (sympy.Expr), an output shape (a tuple, batch first) or None  # a count, or an output shape (batch first)

QUANTITIES = ("shape", "params", "trainable", "non_trainable", "macs")
LABELS = {
    "shape": "output shape",
    "params": "params",
    "trainable": "trainable params",
    "non_trainable": "non-trainable params",
    "macs": "MACs",
}
MAX_TABLE_BYTES = 1024 * 1024
MAX_TABLE_ROWS = 2000
MAX_UPSTREAM = 30  # ancestors searched for a shape mistake carried forward
MAX_DIAGNOSES = 3
SAMPLE_POINTS = 48
SCREEN_POINTS = 8
MIN_EVALUATED = 16  # points at which two formulas must agree to be called equal without a proof
MAX_PROOF_SIZE = 4000  # terms an expanded difference may have before we stop trying to prove it zero


# ---- results ----------------------------------------------------------------------------


@dataclass
class ValueCheck:
    """One checked value: the student's entry against the exact value."""

    quantity: str  # one of QUANTITIES
    entry: str  # the student's text
    student: Value
    expected: Value
    correct: bool
    method: str  # "exact" (numbers), "symbolic" (proved for all values) or "sampled" (random points)
    diagnoses: list[str] = field(default_factory=list)
    note: str = ""  # how the value was checked, when not plainly
    counterexample: str | None = None  # sizes at which a wrong formula differs, and both values there

    @property
    def symbolic(self) -> bool:
        """True when the entry was checked as a formula for all values, not at one point."""
        return self.method in ("symbolic", "sampled")

    def explanations(self) -> list[str]:
        """The diagnoses, then how the value was checked: for a table cell."""
        where = f"differs at {self.counterexample}" if self.counterexample else ""
        return [text for text in (*self.diagnoses, self.note, where) if text]

    @property
    def diagnosis(self) -> str:
        return "; or ".join(self.diagnoses)

    def lines(self) -> list[str]:
        if self.correct:
            out = [f"  {LABELS[self.quantity]}: right: {self.entry.strip()}" + _equals(self.entry, self.student)]
        else:
            out = [
                f"  {LABELS[self.quantity]}: WRONG",
                f"    yours:    {self.entry.strip()}" + _equals(self.entry, self.student),
                f"    expected: {_fmt(self.expected)}",
            ]
        how = {
            "exact": "",
            "symbolic": "checked as a formula: equal for all values (proved symbolically)",
            "sampled": "checked as a formula at many random points",
        }[self.method]
        if self.method == "sampled" and self.correct:
            how += " (equal at all of them; not proved symbolically)"
        if self.counterexample:
            how = f"checked as a formula, for all values: it differs at {self.counterexample}"
        for text in (how, self.note):
            if text:
                out.append(f"    {text}")
        for i, d in enumerate(self.diagnoses):
            out.append(f"    {'diagnosis' if i == 0 else 'or'}: {d}")
        return out


@dataclass
class CheckResult:
    """The check of one layer: right or wrong per value, with a diagnosis when wrong."""

    layer: str
    layer_type: str
    values: list[ValueCheck]

    @property
    def correct(self) -> bool:
        return all(v.correct for v in self.values)

    @property
    def symbolic(self) -> bool:
        """True when every value was checked as a formula (for all values)."""
        return all(v.symbolic for v in self.values)

    @property
    def diagnosis(self) -> str:
        """The diagnoses of the wrong values, one line each ('' when all are right)."""
        return "\n".join(f"{LABELS[v.quantity]}: {v.diagnosis}" for v in self.values if not v.correct)

    def __getitem__(self, quantity: str) -> ValueCheck:
        """The check of one value: ``result["params"]``."""
        for v in self.values:
            if v.quantity == quantity:
                return v
        raise KeyError(f"{quantity!r} was not checked; checked: {', '.join(v.quantity for v in self.values)}")

    def report(self) -> str:
        verdict = "right" if self.correct else "WRONG"
        return "\n".join([f"{self.layer} ({self.layer_type}): {verdict}", *(l for v in self.values for l in v.lines())])

    __str__ = report

    def __repr__(self) -> str:
        return self.report()

    def _repr_markdown_(self) -> str:
        rows = [
            f"**{self.layer}** ({self.layer_type}): {'✅ right' if self.correct else '❌ wrong'}",
            "",
            "| value | yours | expected | verdict | diagnosis |",
            "|---|---|---|---|---|",
        ]
        for v in self.values:
            cells = [
                LABELS[v.quantity],
                f"`{v.entry.strip()}`",
                f"`{_fmt(v.expected)}`",
                "right" if v.correct else "**wrong**",
                "<br>".join(text for text in v.explanations() if text),
            ]
            rows.append("| " + " | ".join(c.replace("|", "\\|").replace("\n", " ") for c in cells) + " |")
        return "\n".join(rows)

    def _repr_html_(self) -> str:
        esc = html.escape
        head = (
            f"<p><b>{esc(self.layer)}</b> ({esc(self.layer_type)}): {'right' if self.correct else '<b>wrong</b>'}</p>"
        )
        body = "".join(
            f"<tr><td>{esc(LABELS[v.quantity])}</td><td><code>{esc(v.entry.strip())}</code></td>"
            f"<td><code>{esc(_fmt(v.expected))}</code></td><td>{'right' if v.correct else '<b>wrong</b>'}</td>"
            f"<td>{'<br>'.join(esc(d) for d in v.explanations())}</td></tr>"
            for v in self.values
        )
        return (
            f"{head}<table><tr><th>value</th><th>yours</th><th>expected</th><th>verdict</th>"
            f"<th>diagnosis</th></tr>{body}</table>"
        )


# ---- formatting -------------------------------------------------------------------------


def _fmt(value: Any) -> str:
    """A value as a student would write it: 14.5, 29/3, (None, 62, 62, 64), 9*C*F + F."""
    if value is None:
        return "None"
    if isinstance(value, tuple):
        return format_shape(tuple(None if d is None else _Dim(d) for d in value))
    if isinstance(value, int):
        return str(value)
    if not isinstance(value, sympy.Basic):
        return str(value)
    if value.is_Integer:
        return str(value)
    if value.is_Rational:
        q = int(value.q)
        while q % 2 == 0:
            q //= 2
        while q % 5 == 0:
            q //= 5
        return str(sympy.Float(value, 30)).rstrip("0").rstrip(".") if q == 1 else f"{value.p}/{value.q}"
    return sympy.sstr(value).replace("**", "^")


class _Dim:
    def __init__(self, d: Any) -> None:
        self.d = d

    def __str__(self) -> str:
        return _fmt(self.d)


def _times(dims: Iterable[Any]) -> str:
    parts = [_fmt(d) for d in dims]
    parts = [p if re.fullmatch(r"[\w.^/]+", p) else f"({p})" for p in parts]
    return "×".join(parts) or "1"


def _equals(entry: str, value: Value) -> str:
    shown = _fmt(value)
    forms = {shown, _fmt(value[1:]) if isinstance(value, tuple) else shown}
    same = {re.sub(r"[\s,()]", "", f) for f in forms}
    return "" if re.sub(r"[\s,()]", "", entry) in same else f"  (= {shown})"


# ---- comparing values, as numbers or as formulas ---------------------------------------


class _Sampler:
    """Random positive integer points that satisfy the model's constraints, for testing equality."""

    def __init__(self, symbols: Iterable[sympy.Symbol], constraints: Sequence[Any], defaults: Mapping[Any, int]):
        self.symbols = sorted(set(symbols), key=lambda s: s.name)
        low = {s: 1 for s in self.symbols}
        others = []
        for c in constraints:
            cond = getattr(c, "condition", c)
            if isinstance(cond, sympy.GreaterThan) and cond.lhs in low and cond.rhs.is_Integer:
                low[cond.lhs] = max(low[cond.lhs], int(cond.rhs))
            else:
                others.append(cond)
        rng = random.Random(20240611)
        points: list[dict[sympy.Symbol, sympy.Integer]] = []
        if self.symbols and all(s in defaults for s in self.symbols):
            points.append({s: sympy.Integer(defaults[s]) for s in self.symbols})
        tries = 0
        while self.symbols and len(points) < SAMPLE_POINTS and tries < SAMPLE_POINTS * 20:
            tries += 1
            scale = (4, 16, 64, 512)[tries % 4]
            pt = {s: sympy.Integer(low[s] + rng.randrange(scale)) for s in self.symbols}
            # when the constraints reject every draw, sizes that break them still test an identity
            if all(_holds(c, pt) for c in others) or tries > SAMPLE_POINTS * 10:
                points.append(pt)
        self.points = points

    def differ_at(self, a: Any, b: Any, n: int) -> dict[sympy.Symbol, sympy.Integer] | None:
        """A point among the first ``n`` where a ≠ b, or None."""
        return self.compare(a, b, n)[0]

    def compare(self, a: Any, b: Any, n: int) -> tuple[dict[sympy.Symbol, sympy.Integer] | None, int]:
        """(a point among the first ``n`` where a ≠ b or None, how many points gave both a value)."""
        d = _expr(a) - _expr(b)
        evaluated = 0
        for pt in self.points[:n]:
            try:
                v = d.xreplace(pt)
            except (ZeroDivisionError, TypeError):
                continue
            if not (v.is_number and v.is_finite):
                continue
            evaluated += 1
            if v != 0:
                return pt, evaluated
        return None, evaluated


def _holds(cond: Any, pt: Mapping[sympy.Symbol, Any]) -> bool:
    try:
        return bool(cond.xreplace(pt) == sympy.true)
    except (TypeError, AttributeError):
        return False


def _expr(v: Any) -> sympy.Expr:
    return sympy.Integer(v) if isinstance(v, int) else v


def _expanded_size(e: sympy.Basic, cap: int = MAX_PROOF_SIZE + 1) -> int:
    """An upper estimate of the number of terms ``expand(e)`` would make (capped)."""
    if e.is_Atom:
        return 1
    if e.is_Add:
        return min(cap, sum(_expanded_size(a, cap) for a in e.args))
    if e.is_Mul:
        n = 1
        for a in e.args:
            n = min(cap, n * _expanded_size(a, cap))
        return n
    if e.is_Pow and e.exp.is_Integer:
        base, n = _expanded_size(e.base, cap), 1
        for _ in range(min(abs(int(e.exp)), 64)):
            n = min(cap, n * base)
            if n >= cap:
                break
        return n
    return min(cap, 1 + sum(_expanded_size(a, cap) for a in e.args))


def _canon_floors(e: sympy.Expr) -> sympy.Expr:
    """Floors in one form: ⌈x⌉ = −⌊−x⌋, and ⌊x + c⌋ = ⌊x + (c − ⌊c⌋)⌋ + ⌊c⌋ for a constant c."""

    def pull(f: sympy.Expr) -> sympy.Expr:
        c, rest = f.args[0].as_coeff_Add()
        if c.is_Rational and c != 0 and rest != 0:
            n = sympy.floor(c)
            return sympy.floor(rest + (c - n)) + n
        return f

    e = e.replace(lambda x: isinstance(x, sympy.ceiling), lambda x: -sympy.floor(-x.args[0]))
    return e.replace(lambda x: isinstance(x, sympy.floor), pull)


def _prove_zero(d: sympy.Expr) -> bool:
    if _expanded_size(d) > MAX_PROOF_SIZE:
        return False
    if d.has(sympy.floor, sympy.ceiling):
        d = _canon_floors(d)
    if sympy.expand(d) == 0:
        return True
    return sympy.count_ops(d) <= 300 and sympy.simplify(d) == 0


def _same_value(a: Value, b: Value, sampler: _Sampler, *, thorough: bool = True) -> tuple[bool, str]:
    """(equal, method): exact for numbers; for formulas, random points first, then a proof."""
    if isinstance(a, tuple) or isinstance(b, tuple):
        if not (isinstance(a, tuple) and isinstance(b, tuple)) or len(a) != len(b):
            return False, "exact"
        methods = []
        for x, y in zip(a, b):
            if x is None or y is None:
                if x is not y:
                    return False, "exact"
                continue
            same, how = _same_value(x, y, sampler, thorough=thorough)
            if not same:
                return False, how
            methods.append(how)
        return True, _weakest(methods)
    if a is None or b is None:
        return a is b, "exact"
    d = _expr(a) - _expr(b)
    if not d.free_symbols:
        same = bool(sympy.simplify(d) == 0) if not d.is_number else d == 0
        return same, "symbolic" if same and (_free(a) or _free(b)) else "exact"
    n = len(sampler.points) if thorough else SCREEN_POINTS
    point, evaluated = sampler.compare(a, b, n)
    if point is not None:
        return False, "sampled"
    if not thorough:
        return True, "sampled"
    if _prove_zero(d):
        return True, "symbolic"
    return evaluated >= MIN_EVALUATED, "sampled"  # too few points that give a value prove nothing


def _weakest(methods: Sequence[str]) -> str:
    for m in ("sampled", "symbolic"):
        if m in methods:
            return m
    return "exact"


# ---- reading the student's entry --------------------------------------------------------


def _symbol_table(model: Model, rec: LayerRecord) -> dict[str, sympy.Symbol]:
    """Names a formula may use: the model's symbols and those in the layer's own hyperparameters."""
    found: set[sympy.Symbol] = set(model.free_symbols) | set(model.defaults)
    stack: list[Any] = list(rec.layer.hyperparameters().values())
    while stack:
        v = stack.pop()
        if isinstance(v, sympy.Basic):
            found |= {s for s in v.free_symbols if isinstance(s, sympy.Symbol)}
        elif isinstance(v, (tuple, list)):
            stack.extend(v)
    return {s.name: s for s in found}


def _as_text(entry: Any, what: str) -> str:
    if isinstance(entry, bool) or not isinstance(entry, (str, int)):
        raise ArgumentError(f"{what} must be text or a whole number, got {entry!r}")
    return str(entry)


def _read_number(
    entry: Any, symbols: Mapping[str, sympy.Symbol], what: str
) -> tuple[sympy.Expr, list[tuple[str, Any]]]:
    """The value of an entry like "(3² x 64 x 1) + 64 = 640" (its last side), and its other sides."""
    if isinstance(entry, sympy.Expr):
        return entry, []
    text = _as_text(entry, what)
    parts = text.split("=")
    if any(not p.strip() for p in parts):
        raise ParseError(f"{what}: empty side of '=' in {text!r}")
    values = [parse(p, symbols, allow_new=False) for p in parts]
    return values[-1], [(p.strip(), v) for p, v in zip(parts[:-1], values[:-1])]


def _slips(sides: list[tuple[str, Any]], student: Value, expected: Value) -> tuple[list[str], bool]:
    """Notes on sides of an "a = b" entry that do not equal its result; True if one of them is right."""
    notes, right = [], False
    for text, v in sides:
        if isinstance(student, tuple) or (v - student).free_symbols or v == student:
            continue
        if not (v - expected).free_symbols and v == expected:
            notes.append(f"arithmetic slip: your formula {text} is right, it makes {_fmt(v)}, not {_fmt(student)}")
            right = True
        else:
            notes.append(f"arithmetic slip: {text} is {_fmt(v)}, not {_fmt(student)}")
    return notes, right


_STANDALONE_X = re.compile(r"(?<=[\w)\s.])\s*[x×X]\s*(?=[\d\s(])")


def _split_top(text: str, sep: re.Pattern[str] | str) -> list[str]:
    """Split at separators outside brackets."""
    parts, depth, start = [], 0, 0
    pattern = re.compile(re.escape(sep)) if isinstance(sep, str) else sep
    i = 0
    while i < len(text):
        ch = text[i]
        if ch in "([⌊⌈":
            depth += 1
        elif ch in ")]⌋⌉":
            depth -= 1
        elif depth == 0:
            m = pattern.match(text, i)
            if m and m.end() > i:
                parts.append(text[start:i])
                start = i = m.end()
                continue
        i += 1
    parts.append(text[start:])
    return parts


def _read_shape(entry: Any, symbols: Mapping[str, sympy.Symbol], rank: int) -> tuple[Any, ...]:
    """A shape entry: "(None, 62, 62, 64)", "62, 62, 64", "62 x 62 x 64" or "12544" (batch optional)."""
    if isinstance(entry, (tuple, list)):
        items = list(entry)
        return tuple(
            None
            if d is None or (isinstance(d, str) and d.strip() in ("None", "?"))
            else d
            if isinstance(d, sympy.Expr)
            else _read_number(d, symbols, "shape")[0]
            for d in items
        )
    text = _as_text(entry, "shape").split("=")[-1].strip()
    if not text:
        raise ParseError(f"empty shape {entry!r}")
    if "," in text:
        inner = text
        if inner[:1] in "([" and inner[-1:] in ")]":
            inner = inner[1:-1]
        items = [p.strip() for p in _split_top(inner, ",")]
        if items and items[-1] == "":
            items.pop()  # "(12544,)"
    else:
        items = [p.strip() for p in _split_top(text, _STANDALONE_X)]
        if not (rank > 1 and len(items) == rank):
            items = [text]
    dims: list[Any] = []
    for item in items:
        if item in ("None", "?", "null", "N", "batch"):
            dims.append(None)
        elif not item:
            raise ParseError(f"empty axis in shape {entry!r}")
        else:
            dims.append(parse(item, symbols, allow_new=False))
    return tuple(dims)


# ---- finding the layer ------------------------------------------------------------------


def _norm(text: str) -> str:
    return re.sub(r"[^a-z0-9]", "", text.lower().replace("layer", ""))


def _type_names(rec: LayerRecord) -> set[str]:
    cls = type(rec.layer)
    names = {cls.__name__, *getattr(cls, "aliases", ())}
    if rec.type == "InputLayer":
        names.add("Input")
    return {_norm(n) for n in names}


def _type_matches(rec: LayerRecord, label: str) -> bool:
    want = _norm(label)
    return any(want == t or (want.startswith(t) and want[len(t) :].isdigit()) for t in _type_names(rec))


def find_layer(model: Model, layer: Any, position: int | None = None) -> LayerRecord:
    """The record a label names: "conv2d_1", "conv2d_1 (Conv2D)", "3. Conv2D", "Dense layer 2", 3 or a record.

    Numbers count the layers after the input, from 1, as the tutorial's table does.
    ``position`` (a table row, from 1) is used when the label is only a layer type.
    """
    records = model.records
    body = [r for r in records if r.type != "InputLayer"]
    if isinstance(layer, LayerRecord):
        found = next((r for r in records if r is layer), None)  # a shared layer's calls share one name
        return found if found is not None else model.get_layer(layer.name)
    if isinstance(layer, int) and not isinstance(layer, bool):
        inputs = [r for r in records if r.type == "InputLayer"]
        if layer == 0 and len(inputs) == 1:
            return inputs[0]
        if 1 <= layer <= len(body):
            return body[layer - 1]
        raise ArgumentError(f"layer number {layer} is out of range: the model has {len(body)} layers after its input")
    if not isinstance(layer, str) or not layer.strip():
        raise ArgumentError(f"layer must be a name or a number, got {layer!r}")
    label = " ".join(layer.replace("*", "").replace("`", "").split())
    by_name = {r.name: r for r in records}
    m = re.fullmatch(r"(\S+)\s*\((\w+)\)", label)  # Keras summary: "conv2d_1 (Conv2D)"
    for candidate in (label, m.group(1) if m else None):
        if candidate in by_name:
            return by_name[candidate]
    m = re.fullmatch(r"(\d+)\s*[.):]?\s*(.*)", label)
    if m:
        number, rest = int(m.group(1)), m.group(2)
        rec = find_layer(model, number)
        if rest and not _type_matches(rec, rest):
            raise ArgumentError(f"{layer!r}: layer {number} is {rec.name} ({rec.type}), not a {rest}")
        return rec
    typed = [r for r in records if _type_matches(r, label)]
    ordinal = re.search(r"(\d+)\s*$", label)
    if len(typed) == 1:
        return typed[0]
    if typed and ordinal and not _type_names(typed[0]) & {_norm(label)}:
        k = int(ordinal.group(1))
        if 1 <= k <= len(typed):
            return typed[k - 1]
    if typed and position is not None and 1 <= position <= len(body) and body[position - 1] in typed:
        return body[position - 1]
    lower = {r.name.lower(): r for r in records}
    if label.lower() in lower and not typed:
        return lower[label.lower()]
    names = ", ".join(f"{r.name} ({r.type})" for r in records)
    if typed:
        raise ArgumentError(f"{layer!r} could be any of {', '.join(r.name for r in typed)}: give the layer's name")
    raise ArgumentError(f"no layer matches {layer!r}; layers: {names}")


# ---- the mistakes -----------------------------------------------------------------------


@dataclass(frozen=True)
class Mistake:
    """A common mistake: which layers it can happen in, and what it makes of them.

    ``kind`` says what ``compute`` returns, besides a message: "weights" (a wrong list of
    weights, counted like the right ones), "shape" (a wrong output shape, carried forward
    to the layers downstream) or "macs" (a wrong MAC count; given the convention).
    """

    name: str
    kind: str
    applies_to: Callable[[Layer], bool]
    compute: Callable[..., Iterable[tuple[Any, str]]]
    primary: bool = True  # a secondary mistake is named only when no primary one fits


def _kernel(weights: Sequence[Weight]) -> Weight | None:
    return next((w for w in weights if w.kind == "param" and len(w.shape) >= 2 and "bias" not in w.name), None)


def _bias(weights: Sequence[Weight]) -> Weight | None:
    return next((w for w in weights if w.kind == "param" and w.name.endswith("bias")), None)


def _has_kernel_and_bias(layer: Layer) -> bool:
    return any(hasattr(layer, a) for a in ("kernel_size", "units", "out_features", "filters"))


def _in_channels(layer: Layer, ins: list[Shape]) -> Any:
    shape = ins[0]
    return channels(shape, layer.channels_last) if hasattr(layer, "kernel_size") else shape[-1]


def _unit(layer: Layer) -> str:
    return "filter" if hasattr(layer, "kernel_size") else "output unit"


def _without(weights: list[Weight], drop: Weight) -> list[Weight]:
    return [w for w in weights if w is not drop]


def _bias_left_out(layer: Layer, ins: list[Shape]) -> Iterator[tuple[Any, str]]:
    ws = layer.weights(ins)
    kernel, bias = _kernel(ws), _bias(ws)
    if kernel and bias:
        yield (
            _without(ws, bias),
            (
                f"bias left out: {_times(kernel.shape)} counts the kernel only; "
                f"add one bias per {_unit(layer)} (+{_fmt(bias.size)})"
            ),
        )


def _bias_per_weight(layer: Layer, ins: list[Shape]) -> Iterator[tuple[Any, str]]:
    ws = layer.weights(ins)
    kernel, bias = _kernel(ws), _bias(ws)
    if kernel and bias:
        yield (
            [*_without(ws, bias), Weight("bias", kernel.shape)],
            (
                f"bias counted per weight ({_fmt(kernel.size)} biases): there is one bias per "
                f"{_unit(layer)}, {_fmt(bias.size)} in all"
            ),
        )
        c_in = _in_channels(layer, ins)
        yield (
            [*_without(ws, bias), Weight("bias", (c_in, bias.size))],
            (
                f"bias counted per input–output pair ({_times([c_in, bias.size])}): there is one bias per "
                f"{_unit(layer)}, {_fmt(bias.size)} in all"
            ),
        )


def _channels_swapped_weights(layer: Layer, ins: list[Shape]) -> Iterator[tuple[Any, str]]:
    ws = layer.weights(ins)
    kernel, bias = _kernel(ws), _bias(ws)
    if kernel and bias:
        c_in = _in_channels(layer, ins)
        yield (
            [*_without(ws, bias), Weight("bias", (c_in,))],
            (
                f"input and output channels swapped: the bias has one value per {_unit(layer)} "
                f"({_fmt(bias.size)}), not per input channel ({_fmt(c_in)})"
            ),
        )


def _find_run(shape: tuple[Any, ...], run: tuple[Any, ...]) -> int | None:
    for i in range(len(shape) - len(run) + 1):
        if tuple(shape[i : i + len(run)]) == tuple(run):
            return i
    return None


def _kernel_area_as_k(layer: Layer, ins: list[Shape]) -> Iterator[tuple[Any, str]]:
    ks = tuple(getattr(layer, "kernel_size", ()))
    if len(ks) < 2:
        return
    out, changed = [], False
    for w in layer.weights(ins):
        i = _find_run(w.shape, ks) if w.kind == "param" else None
        if i is None or "pointwise" in w.name:
            out.append(w)
        else:
            out.append(Weight(w.name, (*w.shape[:i], ks[0], *w.shape[i + len(ks) :]), w.kind, w.trainable))
            changed = True
    if changed:
        area = _times(ks)
        terms = " + ".join(_times(w.shape) for w in out if w.kind == "param")
        square = "K²" if len(ks) == 2 else f"K^{len(ks)}"
        yield (
            out,
            (
                f"kernel area taken as K ({_fmt(ks[0])}) instead of {square} ({area} = {_fmt(prod(ks))}): "
                f"{terms} = {{value}}"
            ),
        )


def _full_conv(layer: Layer, ins: list[Shape]) -> Iterator[tuple[Any, str]]:
    ws = layer.weights(ins)
    names = {w.name for w in ws}
    ks = tuple(getattr(layer, "kernel_size", ()))
    c_in = _in_channels(layer, ins) if ks else None
    bias = _bias(ws)
    extra = [bias] if bias else []
    if "depthwise_kernel" in names and "pointwise_kernel" not in names:
        m = layer.depth_multiplier  # type: ignore[attr-defined]
        c_out = prod([c_in, m])
        yield (
            [Weight("kernel", (*ks, c_in, c_out)), *extra],
            (
                f"depthwise convolution counted as a full one: each of its {_fmt(c_out)} filters sees one input channel, "
                f"so the kernel is {_times([*ks, c_in, m])}, not {_times([*ks, c_in, c_out])}"
            ),
        )
    elif "pointwise_kernel" in names:
        f = layer.filters  # type: ignore[attr-defined]
        yield (
            [Weight("kernel", (*ks, c_in, f)), *extra],
            (
                f"separable convolution counted as a full one: it is a depthwise {_times([*ks, c_in])} kernel "
                f"then a 1×1 pointwise one, not a {_times([*ks, c_in, f])} kernel"
            ),
        )
    elif getattr(layer, "groups", 1) != 1:
        g = layer.groups  # type: ignore[attr-defined]
        kernel = _kernel(ws)
        if kernel is not None:
            yield (
                [Weight("kernel", (kernel.size, g)), *extra],
                (
                    f"grouped convolution counted as a full one: with groups={_fmt(g)} each filter sees "
                    f"{_fmt(c_in)}/{_fmt(g)} input channels, not all {_fmt(c_in)}"
                ),
            )


def _stats_as_trainable(layer: Layer, ins: list[Shape]) -> Iterator[tuple[Any, str]]:
    ws = layer.weights(ins)
    every = [w for w in ws if w.kind == "stat"]
    if layer.counts_stats:
        why = "they are updated during training, not learned: Keras counts them as non-trainable"
    else:
        why = "PyTorch keeps them as buffers, not parameters"
    # with and without a scalar counter such as num_batches_tracked, which students rarely count
    for stats in (every, [w for w in every if len(w.shape) > 0]):
        if not stats or (stats is not every and len(stats) == len(every)):
            continue
        names = ", ".join(w.name for w in stats)
        size = _fmt(simplify_int(sum((w.size for w in stats), start=0)))
        alt = [Weight(w.name, w.shape) if w in stats else w for w in ws if w.kind != "stat" or w in stats]
        yield alt, f"batch-norm moving statistics ({names}: {size}) counted as trainable parameters; {why}"


def _stats_left_out(layer: Layer, ins: list[Shape]) -> Iterator[tuple[Any, str]]:
    ws = layer.weights(ins)
    stats = [w for w in ws if w.kind == "stat"]
    if stats and layer.counts_stats:
        names = ", ".join(w.name for w in stats)
        size = _fmt(simplify_int(sum((w.size for w in stats), start=0)))
        yield (
            [w for w in ws if w.kind != "stat"],
            (f"batch-norm moving statistics left out: Keras counts {names} ({size}) as non-trainable parameters"),
        )


def _size_text(ws: Sequence[Weight]) -> str:
    return _fmt(simplify_int(sum((w.size for w in ws), start=0)))


def _recurrent_mistakes(layer: Layer, ins: list[Shape]) -> Iterator[tuple[Any, str]]:
    ws = layer.weights(ins)
    kind = layer.class_name
    hh = [w for w in ws if w.kind == "param" and ("recurrent" in w.name or "weight_hh" in w.name)]
    if hh:
        yield (
            [w for w in ws if w not in hh],
            (
                f"recurrent weights left out: at each step {kind} also multiplies its previous output by "
                f"{', '.join(w.name for w in hh)} ({_size_text(hh)} weights)"
            ),
        )
    g = getattr(layer, "gates", 1)
    if is_number(g) and g > 1:
        per_gate = [Weight(w.name, (simplify_int(to_expr(w.size) / g),), w.kind, w.trainable) for w in ws]
        yield (
            per_gate,
            (
                f"gates forgotten: {kind} has {g} gates, each with its own input weights, recurrent "
                f"weights and bias, so {g}× the {_size_text(per_gate)} of one gate"
            ),
        )
    two = [w for w in ws if w.name == "bias" and len(w.shape) == 2 and w.shape[0] == 2]
    if two:  # Keras GRU with reset_after=True
        one = [Weight(w.name, w.shape[1:]) if w in two else w for w in ws]
        yield (
            one,
            (
                f"one bias per gate counted, but {kind} with reset_after=True (Keras's default) keeps two: "
                f"one for the input and one for the recurrent step ({_fmt(two[0].size)} in all)"
            ),
        )
    hh_bias = [w for w in ws if w.name.startswith("bias_hh")]
    if hh_bias:
        yield (
            [w for w in ws if w not in hh_bias],
            (
                f"one bias per gate counted, but PyTorch's {kind} keeps two (bias_ih and bias_hh, "
                f"{_size_text(hh_bias)} more)"
            ),
        )
    single = [w for w in ws if w.name == "bias" and len(w.shape) == 1]
    if single:
        yield (
            [*ws, *single],
            (
                f"two biases per gate counted (PyTorch's convention), but Keras's {kind} keeps one "
                f"({_size_text(single)})"
            ),
        )


# -- shape mistakes


@dataclass
class _Window:
    """One spatial axis of a sliding window: size n, kernel k, stride s, dilation d, pads (before, after)."""

    n: Any
    k: Any
    s: Any
    d: Any
    pads: tuple[Any, Any]

    def length(self, *, pads: tuple[Any, Any] | None = None, s: Any = None, d: Any = None, floor: str = "floor") -> Any:
        p = self.pads if pads is None else pads
        s = self.s if s is None else s
        d = self.d if d is None else d
        span = _expr(self.n) + p[0] + p[1] - d * (self.k - 1) - 1
        if floor == "floor":
            return conv_output_length(self.n, self.k, s, d, p)
        if floor == "none":
            return simplify_int(span / s + 1)
        return simplify_int(-sympy.floor(-span / s) + 1)  # rounded up

    def text(self, *, pads: tuple[Any, Any] | None = None, s: Any = None, d: Any = None, floor: bool = True) -> str:
        p = self.pads if pads is None else pads
        s = self.s if s is None else s
        d = self.d if d is None else d
        total = simplify_int(p[0] + p[1])
        pad = (
            ""
            if total == 0
            else f" + {_fmt(total)}"
            if p[0] == 0 or p[1] == 0
            else f" + 2×{_fmt(p[0])}"
            if p[0] == p[1]
            else f" + {_fmt(p[0])} + {_fmt(p[1])}"
        )
        reach = self.k if d == 1 else simplify_int(d * (self.k - 1) + 1)
        inner = f"{_fmt(self.n)}{pad} − {_fmt(reach)}"
        if s == 1:
            return f"{inner} + 1"
        return f"⌊({inner})/{_fmt(s)}⌋ + 1" if floor else f"({inner})/{_fmt(s)} + 1"


def _windows(layer: Layer, ins: list[Shape], out: Shape) -> list[_Window] | None:
    """The sliding windows of a convolution or pooling layer, or None if it has none we model."""
    ks = getattr(layer, "kernel_size", None) or getattr(layer, "pool_size", None)
    if not ks or len(ins) != 1 or "Transpose" in layer.class_name or getattr(layer, "ceil_mode", False):
        return None
    rank = len(ks)
    strides = getattr(layer, "strides", None) or getattr(layer, "stride", None) or (1,) * rank
    dil = getattr(layer, "dilation_rate", None) or getattr(layer, "dilation", None) or (1,) * rank
    sizes = spatial(ins[0], layer.channels_last)
    if len(sizes) != rank or any(n is None for n in sizes):
        return None
    padding = getattr(layer, "padding", "valid")
    pads_fn = getattr(layer, "pads", None)
    pads: list[tuple[Any, Any]]
    if callable(pads_fn):
        pads = list(pads_fn())
    elif padding == "valid":
        pads = [(0, 0)] * rank
    elif padding == "same":
        pads = [same_padding(n, k, s, d) for n, k, s, d in zip(sizes, ks, strides, dil)]
    elif padding == "causal":
        pads = [(simplify_int(d * (k - 1)), 0) for k, d in zip(ks, dil)]
    elif isinstance(padding, tuple) and len(padding) == rank:
        pads = [(p, p) for p in padding]
    else:
        return None
    wins = [_Window(n, k, s, d, (p[0], p[1])) for n, k, s, d, p in zip(sizes, ks, strides, dil, pads)]
    actual = spatial(out, layer.channels_last)
    for w, a in zip(wins, actual):  # our window model must reproduce the layer's own rule
        got = w.length()
        if is_number(got) and is_number(a) and got != a:
            return None
    return wins


def _with_spatial(layer: Layer, out: Shape, lengths: Sequence[Any]) -> Shape:
    if layer.channels_last:
        return (out[0], *lengths, out[-1])
    return (out[0], out[1], *lengths)


def _window_mistakes(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[tuple[Any, str]]:
    wins = _windows(layer, ins, out)
    if not wins:
        return
    w0 = wins[0]
    right = f"{w0.text()} = {_fmt(w0.length())}"

    def shape(**kw: Any) -> Shape:
        return _with_spatial(layer, out, [w.length(**kw) for w in wins])

    if any(w.pads[0] != 0 or w.pads[1] != 0 for w in wins):
        for side in (0, 1):
            once = [(w.pads[side] if side == 0 else w.pads[1], 0) for w in wins]
            if side == 1 and all(w.pads[0] == w.pads[1] for w in wins):
                break
            alt = _with_spatial(layer, out, [w.length(pads=p) for w, p in zip(wins, once)])
            yield (
                alt,
                (
                    f"padding counted once instead of on both sides: {w0.text(pads=once[0])} = "
                    f"{_fmt(w0.length(pads=once[0]))}, but the padding is added before and after: {right}"
                ),
            )
        yield (
            shape(pads=(0, 0)),
            f"padding left out: {w0.text(pads=(0, 0))} = {_fmt(w0.length(pads=(0, 0)))}; with it, {right}",
        )
    if any(w.s != 1 for w in wins):
        exact = shape(floor="none")
        if any(not is_number(x) for x in spatial(exact, layer.channels_last)) or exact != out:
            yield (
                exact,
                (
                    f"floor forgotten: {w0.text(floor=False)} = {_fmt(w0.length(floor='none'))}, "
                    f"a fractional size; a window must fit whole, so round down: {right}"
                ),
            )
            yield (
                shape(floor="up"),
                (
                    f"floor forgotten: {w0.text(floor=False)} = {_fmt(w0.length(floor='none'))} "
                    f"rounded up to {_fmt(w0.length(floor='up'))}; round down: {right}"
                ),
            )
        yield (
            shape(s=1),
            f"stride forgotten: {w0.text(s=1)} = {_fmt(w0.length(s=1))}; with stride {_fmt(w0.s)}, {right}",
        )
    if any(w.d != 1 for w in wins):
        yield (
            shape(d=1),
            (
                f"dilation forgotten: {w0.text(d=1)} = {_fmt(w0.length(d=1))}; a dilated kernel spans "
                f"d×(k − 1) + 1 = {_fmt(simplify_int(w0.d * (w0.k - 1) + 1))}: {right}"
            ),
        )


def _window_slips(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[tuple[Any, str]]:
    wins = _windows(layer, ins, out)
    if not wins:
        return
    w0 = wins[0]
    right = f"{w0.text()} = {_fmt(w0.length())}"
    if getattr(layer, "padding", None) == "valid" and any(w.k != 1 for w in wins):
        kept = _with_spatial(layer, out, [simplify_int(-sympy.floor(-_expr(w.n) / w.s)) for w in wins])
        yield kept, f"size kept as if the padding were 'same'; with no padding ('valid') the window must fit: {right}"
    if all(w.s == 1 for w in wins):
        no_plus = _with_spatial(layer, out, [simplify_int(w.length() - 1) for w in wins])
        yield (
            no_plus,
            f"the +1 left out: the window fits in {right} positions, not {_fmt(simplify_int(w0.length() - 1))}",
        )


def _channels_swapped_shape(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[tuple[Any, str]]:
    if (
        len(ins) != 1
        or len(out) != len(ins[0])
        or not _has_kernel_and_bias(layer)
        or any(w.name == "depthwise_kernel" for w in layer.weights(ins))
    ):
        return
    c_in = _in_channels(layer, ins)
    if hasattr(layer, "kernel_size"):
        axis = len(out) - 1 if layer.channels_last else 1
    else:
        axis = len(out) - 1
    if out[axis] is None or c_in is None:
        return
    alt = tuple(c_in if i == axis else d for i, d in enumerate(out))
    yield (
        alt,
        (
            f"input and output channels swapped: {layer.class_name} outputs one channel per "
            f"{_unit(layer)} ({_fmt(out[axis])}), not the {_fmt(c_in)} it takes in"
        ),
    )


def _flatten_channels(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[tuple[Any, str]]:
    if "Flatten" not in layer.class_name or len(ins) != 1 or len(ins[0]) < 3 or len(out) != 2:
        return
    shape = ins[0]
    kept = shape[1:-1] if getattr(layer, "channels_last", True) else shape[2:]
    yield (
        (out[0], prod(kept)),
        (
            f"channels left out of the flattened size: {_times(kept)} = {_fmt(prod(kept))}, "
            f"but Flatten multiplies every axis: {_times(shape[1:])} = {_fmt(out[1])}"
        ),
    )


def _layer_left_out(layer: Layer, ins: list[Shape], out: Shape) -> Iterator[tuple[Any, str]]:
    if len(ins) == 1 and tuple(ins[0]) != tuple(out):
        yield (
            tuple(ins[0]),
            f"{layer.class_name} left out: its input shape {_fmt(tuple(ins[0]))} taken as its output {_fmt(tuple(out))}",
        )


# -- MAC mistakes


def _macs_other_convention(layer: Layer, ins: list[Shape], out: Shape, convention: str) -> Iterator[tuple[Any, str]]:
    other = "fvcore" if convention == "torchinfo" else "torchinfo"
    why = {
        "fvcore": "the bias left out (fvcore's convention; torchinfo counts each bias once per output position)",
        "torchinfo": "the bias counted (torchinfo's convention; fvcore counts multiply-accumulates only)",
    }[other]
    yield layer.macs(ins, out, other), why


def _macs_as_params(layer: Layer, ins: list[Shape], out: Shape, convention: str) -> Iterator[tuple[Any, str]]:
    learned = simplify_int(sum((w.size for w in layer.weights(ins) if w.kind == "param"), start=0))
    if getattr(layer, "conv_like", False) and learned != 0:
        positions = spatial(out, layer.channels_last)
        yield (
            learned,
            (
                f"parameters counted, not MACs: each of the {_times(positions)} output positions repeats "
                f"the {_fmt(learned)} multiply-accumulates"
            ),
        )
        in_positions = spatial(ins[0], layer.channels_last)
        yield (
            prod([*in_positions, learned]),
            (
                f"multiplied by the input positions ({_times(in_positions)}) instead of the output positions "
                f"({_times(positions)})"
            ),
        )


def _windowed(layer: Layer) -> bool:
    return hasattr(layer, "kernel_size") or hasattr(layer, "pool_size")


MISTAKES: list[Mistake] = [
    Mistake("bias left out", "weights", _has_kernel_and_bias, _bias_left_out),
    Mistake("bias counted per weight", "weights", _has_kernel_and_bias, _bias_per_weight),
    Mistake("input and output channels swapped", "weights", _has_kernel_and_bias, _channels_swapped_weights),
    Mistake("kernel area taken as K", "weights", lambda l: len(getattr(l, "kernel_size", ())) >= 2, _kernel_area_as_k),
    Mistake(
        "depthwise or grouped convolution counted as a full one",
        "weights",
        lambda l: hasattr(l, "depth_multiplier") or getattr(l, "groups", 1) != 1,
        _full_conv,
    ),
    Mistake("recurrent weights, gates or biases", "weights", lambda l: hasattr(l, "gates"), _recurrent_mistakes),
    Mistake("moving statistics counted as trainable", "weights", lambda l: True, _stats_as_trainable),
    Mistake("moving statistics left out", "weights", lambda l: l.counts_stats, _stats_left_out),
    Mistake(
        "padding, floor, stride or dilation",
        "shape",
        _windowed,
        _window_mistakes,
    ),
    Mistake("size kept or +1 left out", "shape", _windowed, _window_slips, primary=False),
    Mistake("input and output channels swapped", "shape", _has_kernel_and_bias, _channels_swapped_shape),
    Mistake("channels left out of Flatten", "shape", lambda l: "Flatten" in l.class_name, _flatten_channels),
    Mistake("layer left out", "shape", lambda l: True, _layer_left_out, primary=False),
    Mistake("the other MAC convention", "macs", lambda l: True, _macs_other_convention),
    Mistake("parameters counted instead of MACs", "macs", lambda l: getattr(l, "conv_like", False), _macs_as_params),
]


# ---- measuring a layer under a mistake ----------------------------------------------------


def _measure(
    q: str, rec: LayerRecord, ins: list[Shape], out: Shape, convention: str, weights: list[Weight] | None = None
) -> Value:
    if q == "shape":
        return tuple(out)
    if q == "macs":
        if weights is None:
            return to_expr(simplify_int(rec.layer.macs(ins, out, convention)))
        if convention != "torchinfo":
            return None
        learned = simplify_int(sum((w.size for w in weights if w.kind == "param"), start=0))
        return to_expr(prod([rec.layer.torchinfo_positions(ins, out), learned]))
    ws = rec.layer.weights(ins) if weights is None else weights
    probe = LayerRecord(rec.name, rec.layer, rec.inputs, ins, out, ws, rec.shared_with)
    return {"params": probe.params, "trainable": probe.trainable, "non_trainable": probe.non_trainable}[q]


_SAFE = (SymcnnError, ArithmeticError, TypeError, ValueError, AttributeError, IndexError)


def _record_alternatives(q: str, rec: LayerRecord) -> Iterator[tuple[Value, str]]:
    """Mistakes about how a call is counted: a shared layer counted again, a frozen layer taken as trainable."""
    if q not in ("params", "trainable", "non_trainable"):
        return
    if rec.shared_with is not None:
        unshared = LayerRecord(rec.name, rec.layer, rec.inputs, rec.input_shapes, rec.output_shape, rec.weights)
        owner = "its first call" if rec.shared_with == rec.name else rec.shared_with
        yield (
            getattr(unshared, q),
            (
                f"shared weights counted twice: this call of {rec.name} reuses the weights of {owner}, "
                "where they are already counted"
            ),
        )
    if not rec.layer.trainable and q in ("trainable", "non_trainable"):
        thawed = copy.copy(rec.layer)
        thawed.trainable = True
        probe = LayerRecord(
            rec.name, thawed, rec.inputs, rec.input_shapes, rec.output_shape, rec.weights, rec.shared_with
        )
        yield getattr(probe, q), (f"{rec.name} is frozen (trainable=False): all its weights count as non-trainable")


def _own_alternatives(q: str, rec: LayerRecord, convention: str, primary: bool) -> Iterator[tuple[Value, str]]:
    layer, ins, out = rec.layer, rec.input_shapes, rec.output_shape
    if primary:
        yield from _record_alternatives(q, rec)
    for mistake in MISTAKES:
        if mistake.primary != primary or not mistake.applies_to(layer):
            continue
        if mistake.kind == "weights" and q in ("params", "trainable", "non_trainable", "macs"):
            if q == "macs" and mistake.name == "bias left out":
                continue  # said better as the MAC convention that leaves the bias out
            yield from _guarded(partial(_weights_values, mistake, q, rec, convention))
        elif mistake.kind == "shape" and q in ("shape", "macs"):
            yield from _guarded(partial(_shape_values, mistake, q, rec, convention))
        elif mistake.kind == "macs" and q == "macs":
            yield from _guarded(partial(mistake.compute, layer, ins, out, convention))


def _weights_values(mistake: Mistake, q: str, rec: LayerRecord, convention: str) -> Iterator[tuple[Value, str]]:
    for ws, msg in mistake.compute(rec.layer, rec.input_shapes):
        yield _measure(q, rec, rec.input_shapes, rec.output_shape, convention, ws), msg


def _shape_values(mistake: Mistake, q: str, rec: LayerRecord, convention: str) -> Iterator[tuple[Value, str]]:
    for alt, msg in mistake.compute(rec.layer, rec.input_shapes, rec.output_shape):
        yield _measure(q, rec, rec.input_shapes, alt, convention), msg


def _guarded(run: Callable[[], Iterable[Any]]) -> Iterator[Any]:
    """Alternatives are our own computations on odd sizes: one that fails is simply not a candidate."""
    try:
        items = list(run())
    except _SAFE:
        return
    yield from items


def _ancestors(records: list[LayerRecord], index: int) -> list[int]:
    where = {r.name: i for i, r in enumerate(records)}
    seen: set[int] = set()
    stack = [where[n] for n in records[index].inputs if n in where]
    while stack:
        i = stack.pop()
        if i not in seen:
            seen.add(i)
            stack.extend(where[n] for n in records[i].inputs if n in where)
    return sorted(seen, reverse=True)


def _carry(records: list[LayerRecord], start: int, alt_out: Shape, target: int) -> tuple[list[Shape], Shape] | None:
    """The target's input and output shapes when layer ``start`` outputs ``alt_out`` instead."""
    changed: dict[str, Shape] = {records[start].name: alt_out}
    for i in range(start + 1, target + 1):
        rec = records[i]
        if not any(n in changed for n in rec.inputs):
            continue
        ins = [changed.get(n, s) for n, s in zip(rec.inputs, rec.input_shapes)]
        out = rec.layer.output_shape(ins)
        if i == target:
            return ins, out
        changed[rec.name] = out
    return None


def _upstream_alternatives(
    q: str, records: list[LayerRecord], index: int, i: int, convention: str, primary: bool
) -> Iterator[tuple[Value, str]]:
    """The target's value under each shape mistake made at layer ``i`` upstream, carried forward."""
    target, up = records[index], records[i]
    was = ", ".join(_fmt(s) for s in target.input_shapes)
    for mistake in MISTAKES:
        if mistake.kind != "shape" or mistake.primary != primary or not mistake.applies_to(up.layer):
            continue
        for value, ins, msg in _guarded(partial(_carried_values, mistake, q, records, index, i, convention)):
            got = ", ".join(_fmt(s) for s in ins)
            yield (
                value,
                (
                    f"an upstream error carried forward, starting at {up.name} ({up.type}): {msg}; "
                    f"so {target.name} was fed {got} instead of {was}"
                ),
            )


def _carried_values(
    mistake: Mistake, q: str, records: list[LayerRecord], index: int, i: int, convention: str
) -> Iterator[tuple[Value, list[Shape], str]]:
    up = records[i]
    for alt_out, msg in mistake.compute(up.layer, up.input_shapes, up.output_shape):
        try:
            carried = _carry(records, i, alt_out, index)
            if carried is not None:
                ins, out = carried
                yield _measure(q, records[index], ins, out, convention), ins, msg
        except _SAFE:
            continue


# ---- checking one value ---------------------------------------------------------------------


def _expected(q: str, rec: LayerRecord, convention: str) -> Value:
    if q == "shape":
        return tuple(rec.output_shape)
    if q == "macs":
        return rec.macs_by(convention)
    return getattr(rec, q)


def _free(v: Value) -> set[sympy.Symbol]:
    if isinstance(v, tuple):
        return set().union(*(_free(d) for d in v)) if v else set()
    return set(v.free_symbols) if isinstance(v, sympy.Basic) else set()


def _fill_message(msg: str, value: Value) -> str:
    return msg.replace("{value}", _fmt(value))


def _normalise_shape(student: tuple[Any, ...], expected: tuple[Any, ...]) -> tuple[tuple[Any, ...], str]:
    """A shape written without the batch axis gets the expected one; any batch size fits Keras's None."""
    if len(student) == len(expected) - 1:
        return (expected[0], *student), ""
    if len(student) == len(expected) and student and expected[0] is None and student[0] is not None:
        return (None, *student[1:]), f"the batch axis is None (any batch size), not {_fmt(student[0])}"
    return student, ""


def check_value(model: Model, layer: Any, quantity: str, entry: Any, *, convention: str = "torchinfo") -> ValueCheck:
    """Check one value (``quantity`` is one of QUANTITIES) of one layer against the student's ``entry``."""
    if quantity not in QUANTITIES:
        raise ArgumentError(f"quantity must be one of {', '.join(QUANTITIES)}, got {quantity!r}")
    if convention not in ("torchinfo", "fvcore"):
        raise ArgumentError(f"convention must be 'torchinfo' or 'fvcore', got {convention!r}")
    rec = find_layer(model, layer)
    index = next(i for i, r in enumerate(model.records) if r is rec)
    symbols = _symbol_table(model, rec)
    expected = _expected(quantity, rec, convention)
    open_expected = expected
    sides: list[tuple[str, Any]] = []
    if quantity == "shape":
        student: Value = _read_shape(entry, symbols, len(rec.output_shape) - 1)
    else:
        student, sides = _read_number(entry, symbols, LABELS[quantity])
    note = ""
    work = model
    if not _free(student) and _free(expected):
        missing = _free(expected) - set(model.defaults)
        if missing:
            names = ", ".join(sorted(s.name for s in missing))
            raise ArgumentError(
                f"the {LABELS[quantity]} of {rec.name} depend on {names}, which have no value: write a formula "
                f"in them, or give them values (--set {min(missing, key=str).name}=...)"
            )
        work = model.subs({s: v for s, v in model.defaults.items()})
        rec = work.records[index]
        expected = _expected(quantity, rec, convention)
        used = {s: v for s, v in model.defaults.items() if s in _free(open_expected)}
        note = "checked at the model's default sizes " + ", ".join(
            f"{s.name}={v}" for s, v in sorted(used.items(), key=lambda kv: kv[0].name)
        )
    if isinstance(student, tuple) and isinstance(expected, tuple):
        student, batch_note = _normalise_shape(student, expected)
        note = "; ".join(n for n in (note, batch_note) if n)
    sampler = _Sampler(
        set(symbols.values()) | _free(expected) | _free(student),
        work.constraints if _free(expected) | _free(student) else [],
        model.defaults,
    )
    correct, method = _same_value(student, expected, sampler)
    result = ValueCheck(
        quantity,
        _as_text(entry, LABELS[quantity])
        if not isinstance(entry, (tuple, list, sympy.Expr))
        else _fmt(tuple(entry) if isinstance(entry, list) else entry),
        student,
        expected,
        correct,
        method,
        note=note,
    )
    if not correct and method == "sampled":
        result.counterexample = _counterexample(student, expected, sampler)
    slips, formula_right = _slips(sides, student, expected)
    if correct or formula_right:
        result.diagnoses = slips
        return result
    result.diagnoses = _diagnose(work, index, quantity, student, expected, slips, sampler, convention)
    return result


def _diagnose(
    model: Model,
    index: int,
    q: str,
    student: Value,
    expected: Value,
    slips: list[str],
    sampler: _Sampler,
    convention: str,
) -> list[str]:
    records = model.records
    rec = records[index]
    found = list(slips)
    if _free(student) and model.defaults:
        at = {s: sympy.Integer(v) for s, v in model.defaults.items()}
        if _same_value(_subs(student, at), _subs(expected, at), sampler)[0]:
            sizes = _point({s: v for s, v in at.items() if s in _free(student) | _free(expected)})
            found.append(f"right at the model's default sizes ({sizes}) but not as a formula for all values")
    if isinstance(student, tuple) and isinstance(expected, tuple) and len(student) != len(expected):
        found.append(
            f"the shape has {len(expected) - 1} axes after the batch axis: {_fmt(expected)}, not {len(student) - 1}"
        )
        return found
    own: list[str] = []
    for primary in (True, False):  # the common mistakes first, then the rarer slips
        own = _matches(_own_alternatives(q, rec, convention, primary), student, sampler)
        # then the nearest layer upstream whose mistake, carried forward, gives the student's value
        for i in [] if own else _ancestors(records, index)[:MAX_UPSTREAM]:
            own = _matches(_upstream_alternatives(q, records, index, i, convention, primary), student, sampler)
            if own:
                break
        if own:
            break
    found += [m for m in own if m not in found]
    if not own:
        found.append(_how_far(student, expected, sampler))
    return found


def _matches(alternatives: Iterable[tuple[Value, str]], student: Value, sampler: _Sampler) -> list[str]:
    """The messages of the alternatives equal to the student's value (at most MAX_DIAGNOSES)."""
    found: list[str] = []
    for value, msg in alternatives:
        if value is None or (isinstance(value, tuple) != isinstance(student, tuple)):
            continue
        if not _same_value(value, student, sampler, thorough=False)[0]:
            continue
        if not _same_value(value, student, sampler)[0]:
            continue
        text = _fill_message(msg, value)
        if text not in found:
            found.append(text)
        if len(found) >= MAX_DIAGNOSES:
            break
    return found


def _subs(v: Value, pt: Mapping[sympy.Symbol, Any] | None) -> Value:
    if pt is None or v is None:
        return v
    if isinstance(v, tuple):
        return tuple(_subs(d, pt) for d in v)
    return _expr(v).xreplace(dict(pt))


def _counterexample(student: Value, expected: Value, sampler: _Sampler) -> str | None:
    """Sizes (only the symbols that matter) where the student's formula and the right one differ, and both values."""
    pairs = (
        list(zip(student, expected))
        if isinstance(student, tuple) and isinstance(expected, tuple)
        else [(student, expected)]
    )
    for s, e in pairs:
        if s is None or e is None:
            continue
        pt = sampler.differ_at(s, e, SAMPLE_POINTS)
        if pt is not None:
            used = _free(student) | _free(expected)
            where = _point({x: v for x, v in pt.items() if x in used})
            return f"{where}, where yours is {_fmt(_subs(student, pt))} and the right one {_fmt(_subs(expected, pt))}"
    return None


def _point(pt: Mapping[sympy.Symbol, Any]) -> str:
    return ", ".join(f"{s.name}={v}" for s, v in sorted(pt.items(), key=lambda kv: kv[0].name))


def _how_far(student: Value, expected: Value, sampler: _Sampler) -> str:
    """When no known mistake fits: by how much, and by what factor, the entry differs."""
    lead = "no common mistake gives this value"
    if isinstance(student, tuple) and isinstance(expected, tuple):
        diffs = [
            f"axis {i}: {_fmt(s)} instead of {_fmt(e)}"
            for i, (s, e) in enumerate(zip(student, expected))
            if not _same_value(s, e, sampler)[0]
        ]
        return f"{lead}; " + ", ".join(diffs)
    if student is None or expected is None or isinstance(student, tuple) or isinstance(expected, tuple):
        return lead
    s, e = _expr(student), _expr(expected)
    diff = s - e
    if not (s.free_symbols or e.free_symbols):
        more = "more" if diff > 0 else "less"
        if e == 0:
            return f"{lead}: it is {_fmt(abs(diff))} {more} than {_fmt(e)}"
        ratio = s / e
        if ratio.is_Rational and ratio.q <= 12:
            factor_text = f"exactly {_fmt(ratio)} times the right value"
        elif abs(float(ratio) - 1) < 0.01:
            factor_text = f"off by {abs(float(ratio) - 1) * 100:.2g}%"
        else:
            factor_text = f"{float(ratio):.4g} times the right value"
        return f"{lead}: it is {_fmt(abs(diff))} {more} than {_fmt(e)} ({factor_text})"
    parts = [
        f"{lead}: yours minus the right formula is {_fmt(sympy.factor(diff) if _expanded_size(diff) < 500 else diff)}"
    ]
    if e != 0 and _expanded_size(s) < 500 and _expanded_size(e) < 500:
        ratio = sympy.cancel(s / e)
        if not ratio.free_symbols:
            parts.append(f"exactly {_fmt(ratio)} times the right formula")
    return "; ".join(parts)


# ---- the public entry points -----------------------------------------------------------------


def check(
    model: Model,
    layer: Any,
    *,
    params: Any = None,
    shape: Any = None,
    macs: Any = None,
    trainable: Any = None,
    non_trainable: Any = None,
    convention: str = "torchinfo",
) -> CheckResult:
    """Check a hand calculation for one layer: any of its output shape, params and MACs.

    >>> import symcnn
    >>> check(symcnn.load("examples/seed.yaml"), "dense", params="(12544 x 128) + 128").correct
    True
    """
    rec = find_layer(model, layer)
    given = {"shape": shape, "params": params, "trainable": trainable, "non_trainable": non_trainable, "macs": macs}
    entries = {q: v for q, v in given.items() if v is not None}
    if not entries:
        raise ArgumentError("nothing to check: give params=, shape=, macs=, trainable= or non_trainable=")
    values = []
    for q, entry in entries.items():
        try:
            values.append(check_value(model, rec, q, entry, convention=convention))
        except SymcnnError as exc:
            raise exc.within(layer=rec.name) from None
    return CheckResult(rec.name, rec.type, values)


# ---- tables ---------------------------------------------------------------------------------

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
    from .io import read_bytes

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


def report(results: Sequence[CheckResult]) -> str:
    """The text report of several checks, with a closing count."""
    wrong = [r for r in results if not r.correct]
    values = sum(len(r.values) for r in results)
    bad = sum(1 for r in results for v in r.values if not v.correct)
    tail = (
        (f"all {values} checked values right" if values > 1 else "the checked value is right")
        if not wrong
        else f"{bad} of {values} checked values wrong, in {', '.join(r.layer for r in wrong)}"
    )
    return "\n\n".join([*(r.report() for r in results), tail])


def check_command(
    model: Model,
    *,
    layer: str | None,
    params: str | None,
    shape: str | None,
    macs: str | None,
    table: str | None,
    trainable: str | None = None,
    non_trainable: str | None = None,
    convention: str = "torchinfo",
) -> tuple[str, int]:
    """``symcnn check``: the report text and the exit status (0 all right, 1 something wrong)."""
    values = {"params": params, "shape": shape, "macs": macs, "trainable": trainable, "non_trainable": non_trainable}
    given = {k: v for k, v in values.items() if v is not None}
    if table is not None:
        if layer is not None or given:
            raise ArgumentError("give either --table FILE or --layer NAME with values, not both")
        results = check_table(model, table, convention=convention)
    else:
        if layer is None:
            raise ArgumentError("--layer NAME is needed (or --table FILE)")
        if not given:
            raise ArgumentError("give a value to check: --params, --shape or --macs")
        results = [check(model, layer, convention=convention, **given)]
    return report(results), 0 if all(r.correct for r in results) else 1


__all__ = [
    "MISTAKES",
    "CheckResult",
    "Mistake",
    "ValueCheck",
    "check",
    "check_command",
    "check_table",
    "check_value",
    "find_layer",
    "read_table",
    "report",
]
