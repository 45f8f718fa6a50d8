"""The conditions under which every output dimension of a model stays positive.

A size like ⌊(H − 2)/2⌋ + 1 ≥ 1 holds exactly when (H − 2)/2 ≥ 0, i.e. H ≥ 2:
for an integer k, ⌊y⌋ ≥ k ⟺ y ≥ k. That turns each layer's condition into a
bound on one symbol where it can, and keeps the tightest bound per symbol.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import sympy

from .cache import trimming


@dataclass(frozen=True)
class Constraint:
    """``condition`` must hold; ``layer`` is the first layer that needs it."""

    condition: Any
    layer: str

    def __str__(self) -> str:
        return f"{self.condition} (from {self.layer})"

    __repr__ = __str__


def _lower_bound(dim: sympy.Expr) -> tuple[sympy.Symbol, int] | None:
    """For ``dim >= 1`` with dim = ⌊a·X + b⌋ + c (or a·X + b), the least integer X allowed."""
    floors = [t for t in sympy.Add.make_args(dim) if isinstance(t, sympy.floor)]
    if len(floors) > 1:
        return None
    if floors:
        inner = floors[0].args[0]
        rest = dim - floors[0]
        if not rest.is_Integer:
            return None
        need = 1 - rest  # ⌊inner⌋ ≥ need ⟺ inner ≥ need
    else:
        inner, need = dim, sympy.Integer(1)
    b, rest = inner.as_coeff_Add()
    a, x = rest.as_coeff_Mul()
    if not (x.is_Symbol and a.is_Rational and a > 0):
        return None
    return x, int(sympy.ceiling((need - b) / a))


def positivity_constraints(records: list[Any]) -> list[Constraint]:
    """The tightest bound per symbol, then any condition that is not a simple bound."""
    bounds: dict[sympy.Symbol, tuple[int, str]] = {}
    others: list[Constraint] = []
    seen: set[sympy.Expr] = set()
    for rec in trimming(records):
        factors = [f for d in rec.output_shape[1:] if isinstance(d, sympy.Basic) for f in sympy.Mul.make_args(d)]
        for d in factors:  # a product of positive sizes is positive when each factor is
            if d.is_number or d.is_Symbol or (d.is_Pow and d.base.is_Symbol) or d in seen:
                continue
            seen.add(d)
            found = _lower_bound(d)
            if found is None:
                cond = sympy.Ge(d, 1)
                if cond is not sympy.true:
                    others.append(Constraint(cond, rec.name))
                continue
            x, low = found
            if low > bounds.get(x, (1, ""))[0]:
                bounds[x] = (low, rec.name)
    out = [Constraint(sympy.Ge(x, low), layer) for x, (low, layer) in sorted(bounds.items(), key=lambda kv: kv[0].name)]
    return out + others
