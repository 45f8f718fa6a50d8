"""``symcnn solve``: inverse design, e.g. the largest R for which macs_fvcore <= 300000000.

Exit status 0 with the answer; 1 when no value satisfies the conditions (or there is no largest); 2 for bad input.
"""

from __future__ import annotations

import argparse
import json
from typing import Any

import sympy

from ..analysis.solve import QUANTITY_NAMES, NoSolution, Solution, parse_condition, solve
from ..errors import ArgumentError, SymcnnError
from ..expr import parse
from ..render.grid import json_value
from ..render.text import number_text
from .common import load_model, model_options

NAME = "solve"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="the largest or smallest value of a symbol for which conditions on the totals hold")
    p.add_argument("model")
    model_options(p)
    want = p.add_mutually_exclusive_group(required=True)
    want.add_argument("--largest", metavar="SYMBOL")
    want.add_argument("--smallest", metavar="SYMBOL")
    p.add_argument("--where", action="append", default=[], required=True, metavar="CONDITION",
                   help=f"e.g. 'macs_fvcore <= 300000000' (repeatable, all must hold); quantities: {', '.join(QUANTITY_NAMES)}")
    p.add_argument("--step", metavar="Q", help="the symbol's grid, e.g. 1/32 for a width multiplier (default: whole numbers)")
    p.add_argument("--max", metavar="V", help="search no further than this value")
    p.add_argument("--convention", choices=("torchinfo", "fvcore"), default="torchinfo",
                   help="what total_macs and flops mean (macs_torchinfo and macs_fvcore are always there)")
    p.add_argument("--format", choices=("text", "json"), default="text")


def _positive(text: str | None, option: str) -> sympy.Rational | None:
    if text is None:
        return None
    value = parse(text, {}, allow_new=False)
    if not (value.is_Rational and value > 0):
        raise ArgumentError(f"{option} must be a positive number such as 1/32, got {text!r}")
    return sympy.Rational(value)


def run(args: argparse.Namespace) -> int:
    symbol = args.largest or args.smallest
    model = load_model(args.model, input_dims=args.input, sets=args.set, apply_defaults=False)
    conditions = [parse_condition(text, [s.name for s in model.free_symbols]) for text in args.where]
    given = {item.partition("=")[0].strip() for item in args.set}
    defaults = {s: v for s, v in model.defaults.items() if s.name != symbol and s.name not in given}
    try:
        if defaults:
            model = model.subs(defaults)
        found = solve(model, symbol, conditions, largest=args.largest is not None, step=_positive(args.step, "--step"),
                      maximum=_positive(args.max, "--max"), convention=args.convention)
    except NoSolution as exc:
        print(f"no solution: {exc.problem}")
        return exc.exit_code
    except SymcnnError as exc:
        raise exc.within(file=args.model) from None
    print(json.dumps(solution_dict(found), indent=2) if args.format == "json" else solution_text(found, args.largest is not None))
    return 0


def solution_dict(found: Solution) -> dict[str, Any]:
    """The JSON answer: symbol, value, quantity, at_value, at_next (and how the answer is known to be exact)."""
    return {
        "symbol": found.symbol,
        "value": json_value(found.value),
        "quantity": found.condition.lhs_text,
        "at_value": json_value(found.at_value),
        "at_next": json_value(found.at_next),
        "next_value": json_value(found.next_value),
        "condition": found.condition.text,
        "exactness": found.proof,
        **({"next_problem": found.next_problem} if found.next_problem else {}),
    }


def solution_text(found: Solution, largest: bool) -> str:
    """The answer for people: the value, the binding quantity on both sides of it, and why it is exact."""
    which = "largest" if largest else "smallest"
    c = found.condition
    lines = [f"{which} {found.symbol} with {c.text}: {found.symbol} = {json_value(found.value)}",
             f"  at {found.symbol} = {json_value(found.value)}: {c.lhs_text} = {number_text(found.at_value)}"]
    if found.at_next is not None:
        fails = f" (fails {c.text})" if found.next_problem is None else f" ({found.next_problem})"
        lines.append(f"  at {found.symbol} = {json_value(found.next_value)}: {c.lhs_text} = {number_text(found.at_next)}{fails}")
    elif found.next_problem:
        lines.append(f"  at {found.symbol} = {json_value(found.next_value)}: {found.next_problem}")
    lines.append(f"  {found.proof}")
    return "\n".join(lines)
