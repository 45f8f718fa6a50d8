"""Closed forms under an assumption, printed with the proof of every floor that vanished."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import sympy

from ..analysis.closed_form import Assumed, FloorStep, leading_term
from .text import expr_text


def _step_line(step: FloorStep, names: str) -> str:
    if step.vanished:
        return (f"  {expr_text(step.before)} = {expr_text(step.result)}: its argument is {expr_text(step.argument)}; "
                f"{expr_text(step.whole)} is whole for every whole {names}, and rounding {expr_text(step.fraction)} "
                f"gives {expr_text(type(step.before)(step.fraction))}")
    return f"  {expr_text(step.before)} stays: its argument {expr_text(step.argument)} is not a whole polynomial plus a constant"


def assumed_text(
    totals: Sequence[tuple[str, Assumed]], mapping: Mapping[sympy.Symbol, sympy.Expr], fmt: str = "text",
    requires: Sequence[Any] = (),
) -> str:
    """Each total under the assumption, its leading term in the new symbols, and each floor's step."""
    new = sorted({s for v in mapping.values() for s in v.free_symbols}, key=lambda s: s.name)
    said = ", ".join(f"{k.name} = {expr_text(v)}" for k, v in mapping.items())
    names = ", ".join(s.name for s in new)
    lines = []
    if fmt == "latex":
        for name, result in totals:
            lines.append(r"\mathrm{" + name.replace("_", r"\_") + "} = " + sympy.latex(_collected(result.expr, new)))
        return "\n".join(lines)
    lines.append(f"assuming {said} ({names} {'a positive whole number' if len(new) == 1 else 'positive whole numbers'})")
    for name, result in totals:
        lines.append(f"{name} = {expr_text(_collected(result.expr, new))}")
    for name, result in totals:
        if new and not result.floors_left and result.expr.has(*new):
            lines.append(f"leading term of {name} in {names}: {expr_text(leading_term(result.expr, new))}")
    for cond in requires:
        lines.append(f"requires: {expr_text(cond)}")
    steps: dict[Any, FloorStep] = {}
    for _, result in totals:
        for step in result.steps:
            steps.setdefault(step.before, step)
    gone = [s for s in steps.values() if s.vanished]
    kept = [s for s in steps.values() if not s.vanished]
    if gone:
        lines.append(f"floors that vanish ({len(gone)}), each proven from its argument:")
        lines += [_step_line(s, names) for s in gone]
    if kept:
        lines.append(f"floors that stay ({len(kept)}): {said} does not make their arguments whole")
        lines += [_step_line(s, names) for s in kept]
    if not steps:
        lines.append("no floors: the closed form is already a polynomial")
    return "\n".join(lines)


def _collected(expr: sympy.Expr, symbols: Sequence[sympy.Symbol]) -> sympy.Expr:
    if not symbols or expr.has(sympy.floor, sympy.ceiling):
        return expr
    return sympy.collect(sympy.expand(expr), symbols)


def leading_lines(totals: Sequence[tuple[str, sympy.Expr]], symbols: Sequence[sympy.Symbol]) -> list[str]:
    """The leading term of each total in ``symbols`` (floors read as their arguments: the size grows)."""
    names = ", ".join(s.name for s in symbols)
    return [f"leading term of {name} in {names}: {expr_text(leading_term(value, symbols))}"
            for name, value in totals if value.has(*symbols)]
