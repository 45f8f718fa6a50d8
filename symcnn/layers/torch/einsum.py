"""``torch.einsum(equation, *operands)``: the output shape from the equation, and its multiply-accumulates.

The equation is read by hand, character by character (letters ``a-z``/``A-Z``, one
``...`` per operand, spaces ignored, ``->`` before the output): it never reaches
``eval``. Without ``->`` the output is torch's implicit one: the broadcast ``...`` axes,
then the letters used exactly once, in ASCII order (capitals first).

MACs: torchinfo counts none (einsum is not a module). The fvcore convention counts
the products of a contraction, evaluated left to right: each step that sums over a
letter costs the product of the sizes of every letter of its two operands (for
``bhid,bhjd->bhij``, b·h·i·j·d, a batched matrix product); a step that sums over
nothing (an outer or element-wise product) is not a matrix product and counts 0.

>>> einsum(equation="B G H I D, B G H J D -> B G H I J").output_shape([(1, 4, 2, 49, 32), (1, 4, 2, 49, 32)])
(1, 4, 2, 49, 49)
>>> einsum(equation="bij,bjk->bik").macs([(2, 3, 4), (2, 4, 5)], (2, 3, 5), "fvcore")
120
"""

from __future__ import annotations

from typing import Any

from ...errors import ArgumentError, ShapeError
from ...formulas import Dim, prod
from ..base import Shape, format_shape
from .base import TorchLayer, _same
from .ops import torch_broadcast

ELLIPSIS = "..."
MAX_EQUATION = 1000  # characters; an equation is a short line


def parse_equation(equation: str) -> tuple[list[list[str]], list[str] | None]:
    """The operands' labels and the output's (None when implicit); ``...`` is one label ``'...'``.

    >>> parse_equation("bhid, bhjd -> bhij")
    ([['b', 'h', 'i', 'd'], ['b', 'h', 'j', 'd']], ['b', 'h', 'i', 'j'])
    """
    if not isinstance(equation, str) or not equation.strip():
        raise ArgumentError(f"einsum needs an equation such as 'bij,bjk->bik', got {equation!r}")
    if len(equation) > MAX_EQUATION:
        raise ArgumentError(f"einsum equation is {len(equation)} characters long; the limit is {MAX_EQUATION}")
    text = equation.replace(" ", "")
    left, arrow, right = text.partition("->")
    if "->" in right:
        raise ArgumentError(f"einsum equation {equation!r} has more than one '->'")
    operands = [_labels(term, equation) for term in left.split(",")]
    return operands, (_labels(right, equation) if arrow else None)


def _labels(term: str, equation: str) -> list[str]:
    out: list[str] = []
    i = 0
    while i < len(term):
        if term.startswith(ELLIPSIS, i):
            if ELLIPSIS in out:
                raise ArgumentError(f"einsum equation {equation!r} has two '...' in one term")
            out.append(ELLIPSIS)
            i += 3
            continue
        ch = term[i]
        if not (ch.isascii() and ch.isalpha()):
            raise ArgumentError(f"einsum equation {equation!r}: {ch!r} is not a letter, ',', '...' or '->'")
        out.append(ch)
        i += 1
    return out


class einsum(TorchLayer):
    """torch.einsum: operands are the inputs, in order."""

    arity = None

    def __init__(self, equation: Any = None, **base: Any) -> None:
        super().__init__(**base)
        self.operands, self.output = parse_equation(equation)
        self.equation = equation

    def hyperparameters(self) -> dict[str, Any]:
        return {"equation": self.equation}

    def _sizes(self, inputs: list[Shape]) -> tuple[dict[str, Dim], Shape]:
        """Each letter's size, and the broadcast shape of the ``...`` axes."""
        if len(inputs) != len(self.operands):
            raise ShapeError(f"einsum {self.equation!r} takes {len(self.operands)} operand(s), got {len(inputs)}")
        sizes: dict[str, Dim] = {}
        rests: list[Shape] = []
        for labels, shape in zip(self.operands, inputs):
            letters = [x for x in labels if x != ELLIPSIS]
            if len(letters) > len(shape) or (ELLIPSIS not in labels and len(letters) != len(shape)):
                raise ShapeError(f"einsum {self.equation!r}: term {''.join(labels)!r} does not fit {format_shape(shape)}")
            at = labels.index(ELLIPSIS) if ELLIPSIS in labels else len(labels)
            covered = len(shape) - len(letters)
            rests.append(tuple(shape[at : at + covered]))
            dims = [*shape[:at], *shape[at + covered :]]
            for letter, d in zip(letters, dims):
                old = sizes.get(letter)
                if old is None or old == 1:
                    sizes[letter] = d
                elif d != 1 and not _same(old, d):
                    raise ShapeError(f"einsum {self.equation!r}: {letter!r} is {old} in one operand and {d} in another")
        rest = torch_broadcast(rests, "einsum's '...' axes") if any(rests) else ()
        return sizes, rest

    def _output_labels(self) -> list[str]:
        if self.output is not None:
            return self.output
        counts: dict[str, int] = {}
        for labels in self.operands:
            for x in labels:
                counts[x] = counts.get(x, 0) + 1
        once = sorted(x for x, n in counts.items() if n == 1 and x != ELLIPSIS)
        return ([ELLIPSIS] if ELLIPSIS in counts else []) + once

    def output_shape(self, inputs: list[Shape]) -> Shape:
        sizes, rest = self._sizes(inputs)
        out: list[Dim] = []
        for x in self._output_labels():
            if x == ELLIPSIS:
                out.extend(rest)
            elif x not in sizes:
                raise ShapeError(f"einsum {self.equation!r}: output letter {x!r} is in no operand")
            else:
                out.append(sizes[x])
        return tuple(out)

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        sizes, rest = self._sizes(inputs)
        sizes = {**sizes, ELLIPSIS: prod(rest)}
        final = set(self._output_labels())
        total: Dim = 0
        current = set(self.operands[0])
        for i, labels in enumerate(self.operands[1:], start=1):
            union = current | set(labels)
            later = set().union(*map(set, self.operands[i + 1 :])) if i + 1 < len(self.operands) else set()
            kept = {x for x in union if x in final or x in later}
            if union - kept:
                total = total + prod(sizes[x] for x in sorted(union))
            current = kept
        return total
