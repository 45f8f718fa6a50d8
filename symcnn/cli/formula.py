"""``symcnn formula``: closed forms of the totals in the free symbols, and the conditions they need."""

from __future__ import annotations

import argparse
from typing import Any

import sympy

from ..errors import SymcnnError
from ..render.text import expr_text, number_text, visible
from .common import load_model, model_options

NAME = "formula"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="closed forms of the totals in the free symbols")
    p.add_argument("model")
    model_options(p)
    p.add_argument("--format", choices=("text", "latex"), default="text")


def run(args: argparse.Namespace) -> int:
    model = load_model(args.model, input_dims=args.input, sets=args.set, apply_defaults=False)
    try:
        print(formula_text(model, args.format))
    except SymcnnError as exc:
        raise exc.within(file=args.model) from None
    return 0


def formula_text(model: Any, fmt: str) -> str:
    """The totals of ``model`` as closed forms, one per line (``fmt`` 'text' or 'latex')."""
    totals = [
        ("total_params", model.total_params),
        ("trainable_params", model.trainable_params),
        ("non_trainable_params", model.non_trainable_params),
        ("macs_torchinfo", model.macs("torchinfo")),
        ("macs_fvcore", model.macs("fvcore")),
    ]
    if fmt == "latex":
        lines = [r"\mathrm{" + n.replace("_", r"\_") + "} = " + sympy.latex(v) for n, v in totals]
        conds = [sympy.latex(c.condition) for c in model.constraints]
        if conds:
            lines.append(r"\text{valid when } " + r",\ ".join(conds))
        return "\n".join(lines)
    lines = [f"{n} = {expr_text(v)}" for n, v in totals]
    free = sorted(s.name for s in model.free_symbols)
    lines.append(f"symbols: {', '.join(free) if free else 'none'}")
    for c in model.constraints:
        lines.append(f"requires: {expr_text(c.condition)}   (first needed at layer {visible(c.layer)})")
    if model.defaults and free:
        at = model.with_defaults()
        shown = ", ".join(f"{s.name}={v}" for s, v in sorted(model.defaults.items(), key=lambda kv: kv[0].name))
        lines.append(f"at {shown}: total_params = {number_text(at.total_params)}, macs_torchinfo = {number_text(at.total_macs)}")
    return "\n".join(lines)
