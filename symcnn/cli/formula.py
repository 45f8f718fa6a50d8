"""``symcnn formula``: closed forms of the totals in the free symbols, and the conditions they need.

``--assume "H = 32*k"`` substitutes sizes that divide evenly and proves, floor by floor, that the floors
vanish (or shows the ones that stay); ``--leading`` adds each total's leading term in the input's sizes.
"""

from __future__ import annotations

import argparse
from typing import Any

import sympy

from ..analysis.closed_form import assume, bound
from ..errors import ArgumentError, SymcnnError
from ..expr import is_identifier, parse
from ..layers.base import spatial
from ..render.closed_form import assumed_text, leading_lines
from ..render.text import expr_text, number_text, visible
from .common import load_model, model_options

NAME = "formula"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="closed forms of the totals in the free symbols")
    p.add_argument("model")
    model_options(p)
    p.add_argument("--format", choices=("text", "latex"), default="text")
    p.add_argument("--assume", action="append", default=[], metavar="NAME = EXPR",
                   help="sizes that divide evenly, e.g. --assume 'H = 32*k' (repeatable): floors that vanish go")
    p.add_argument("--leading", action="store_true", help="also print each total's leading term in the input's sizes")


def run(args: argparse.Namespace) -> int:
    model = load_model(args.model, input_dims=args.input, sets=args.set, apply_defaults=False)
    try:
        if args.assume:
            print(assumed_formula(model, args.assume, args.format))
        else:
            text = formula_text(model, args.format)
            if args.leading:
                text = "\n".join([text, *leading_lines(totals(model), input_sizes(model))])
            print(text)
    except SymcnnError as exc:
        raise exc.within(file=args.model) from None
    return 0


def totals(model: Any) -> list[tuple[str, Any]]:
    """The totals every closed-form printout shows, by name."""
    return [
        ("total_params", model.total_params),
        ("trainable_params", model.trainable_params),
        ("non_trainable_params", model.non_trainable_params),
        ("macs_torchinfo", model.macs("torchinfo")),
        ("macs_fvcore", model.macs("fvcore")),
    ]


def input_sizes(model: Any) -> list[sympy.Symbol]:
    """The symbols of the inputs' spatial sizes (H, W ...), in order."""
    found: list[sympy.Symbol] = []
    for shape in model.input_shapes:
        for d in spatial(tuple(shape), model.convention != "torch"):
            if isinstance(d, sympy.Basic):
                found += [s for s in sorted(d.free_symbols, key=lambda s: s.name) if s not in found]
    return found


def parse_assumptions(model: Any, texts: list[str]) -> dict[sympy.Symbol, sympy.Expr]:
    """``["H = 32*k"]`` as {H: 32·k}: the name must be a symbol of the model; new names are positive whole numbers."""
    table = {s.name: s for s in model.free_symbols}
    mapping: dict[sympy.Symbol, sympy.Expr] = {}
    for text in texts:
        name, sep, rhs = text.partition("=")
        name = name.strip()
        if not sep or "=" in rhs or not name:
            raise ArgumentError(f"--assume expects NAME = EXPR, e.g. 'H = 32*k', got {text!r}")
        if not is_identifier(name) or name not in table:
            known = ", ".join(sorted(table)) or "none"
            raise ArgumentError(f"--assume names {name!r}, which is not a symbol of the model (symbols: {known})")
        value = parse(rhs, {n: s for n, s in table.items() if n != name})
        if value.is_number and not (value.is_Integer and value > 0):
            raise ArgumentError(f"--assume {name} must be a positive whole number or an expression, got {rhs.strip()!r}")
        mapping[table[name]] = value
    return mapping


def assumed_formula(model: Any, texts: list[str], fmt: str) -> str:
    """The totals with the assumptions substituted, every floor resolved from its argument."""
    mapping = parse_assumptions(model, texts)
    cache: dict[Any, Any] = {}
    results = [(name, assume(value, mapping, cache)) for name, value in totals(model)]
    requires = []
    for c in model.constraints:
        cond = bound(c.condition.xreplace(mapping))
        if cond is not sympy.true:
            requires.append(cond)
    return assumed_text(results, mapping, fmt, requires)


def formula_text(model: Any, fmt: str) -> str:
    """The totals of ``model`` as closed forms, one per line (``fmt`` 'text' or 'latex')."""
    values = totals(model)
    if fmt == "latex":
        lines = [r"\mathrm{" + n.replace("_", r"\_") + "} = " + sympy.latex(v) for n, v in values]
        conds = [sympy.latex(c.condition) for c in model.constraints]
        if conds:
            lines.append(r"\text{valid when } " + r",\ ".join(conds))
        return "\n".join(lines)
    lines = [f"{n} = {expr_text(v)}" for n, v in values]
    free = sorted(s.name for s in model.free_symbols)
    lines.append(f"symbols: {', '.join(free) if free else 'none'}")
    for c in model.constraints:
        lines.append(f"requires: {expr_text(c.condition)}   (first needed at layer {visible(c.layer)})")
    if model.defaults and free:
        at = model.with_defaults()
        shown = ", ".join(f"{s.name}={v}" for s, v in sorted(model.defaults.items(), key=lambda kv: kv[0].name))
        lines.append(f"at {shown}: total_params = {number_text(at.total_params)}, macs_torchinfo = {number_text(at.total_macs)}")
    return "\n".join(lines)
