"""The conditions a model's sizes must meet: every output dimension positive, and the model's own requirements.

A size like ⌊(H − 2)/2⌋ + 1 ≥ 1 holds exactly when (H − 2)/2 ≥ 0, i.e. H ≥ 2:
for an integer k, ⌊y⌋ ≥ k ⟺ y ≥ k. That turns each layer's condition into a
bound on one symbol where it can, and keeps the tightest bound per symbol.

A model may also state conditions itself: a PyTorch ``forward`` that checks
``torch._assert(x.shape[2] == 224, ...)`` accepts one height only. On symbolic
sizes such a check cannot be decided while tracing, so it becomes a requirement of
the model (``H = 224``), listed with the other constraints and applied by
:func:`apply_requirements` whenever values are substituted.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sympy

from .cache import trimming
from .errors import ShapeError
from .layers.torch.base import TorchLayer, assumptions_made


@dataclass(frozen=True)
class Constraint:
    """``condition`` must hold; ``layer`` is the first layer that needs it.

    ``reason`` is the model's own words where the model states the condition itself
    (the message of a ``torch._assert`` on a size, such as torchvision's ViT's
    "Wrong image height! Expected 224 but got H!").
    """

    condition: Any
    layer: str
    reason: str = ""

    def __str__(self) -> str:
        return f"{condition_text(self.condition)} (from {self.layer})"

    __repr__ = __str__


def condition_text(cond: Any) -> str:
    """A condition as a person writes it: ``H = 224`` rather than SymPy's ``Eq(H, 224)``.

    >>> H = sympy.Symbol("H")
    >>> condition_text(sympy.Eq(H, 224)), condition_text(sympy.Ge(H, 3))
    ('H = 224', 'H >= 3')
    """
    if isinstance(cond, sympy.Equality):
        return f"{cond.lhs} = {cond.rhs}"
    if isinstance(cond, sympy.Unequality):
        return f"{cond.lhs} != {cond.rhs}"
    return str(cond)


def apply_requirements(requirements: Sequence[Constraint], mapping: Mapping[Any, Any]) -> list[Constraint]:
    """The model's own requirements after ``mapping``: those that now hold drop out, a broken one is an error.

    >>> H = sympy.Symbol("H", integer=True, positive=True)
    >>> apply_requirements([Constraint(sympy.Eq(H, 224), "patch_embed")], {H: 224})
    []
    >>> apply_requirements([Constraint(sympy.Eq(H, 224), "patch_embed")], {H: 232})
    Traceback (most recent call last):
    ...
    symcnn.errors.ShapeError: H = 232 breaks the model's own requirement H = 224 (checked in patch_embed)
    """
    out: list[Constraint] = []
    for c in requirements:
        cond = c.condition.subs(dict(mapping)) if mapping else c.condition
        if cond is sympy.true:
            continue
        if cond is sympy.false:
            given = ", ".join(f"{s} = {mapping[s]}" for s in sorted(c.condition.free_symbols, key=str) if s in mapping)
            said = f': "{c.reason}"' if c.reason else ""
            raise ShapeError(
                f"{given or 'these values'} breaks the model's own requirement {condition_text(c.condition)} "
                f"(checked in {c.layer}{said})"
            )
        out.append(Constraint(cond, c.layer, c.reason))
    return out


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


def assumed_constraints(records: list[Any]) -> list[Constraint]:
    """Equalities of symbolic sizes that torch-convention layers took on trust (a broadcast, a cat, a matmul).

    ``x + pos_embedding`` with x of 1 + ⌊H/16⌋·⌊W/16⌋ tokens and an embedding of 197 holds only
    where the two agree; torch refuses every other size, and so must the closed form.
    """
    out: list[Constraint] = []
    seen: set[Any] = set()
    for rec in trimming(records):
        trusting = isinstance(rec.layer, TorchLayer) or getattr(rec.layer, "assumes_equal_sizes", False)
        if not trusting or not rec.input_shapes:
            continue
        with assumptions_made() as assumed:
            rec.layer.output_shape(rec.input_shapes)
        for cond in assumed:
            if cond in seen or cond is sympy.true:
                continue
            seen.add(cond)
            out.append(Constraint(cond, rec.name))
    return out
