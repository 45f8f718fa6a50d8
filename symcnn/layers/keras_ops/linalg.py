"""Linear-algebra ``keras.ops``: Matmul and Einsum, the ops with multiply-accumulates fvcore counts."""

from __future__ import annotations

from typing import Any

from ...errors import ArgumentError, ShapeError
from ...formulas import Dim, prod
from ..base import Shape, batch_of, format_shape
from .base import _OperandOp, _register, _same, broadcast_shapes


class _OpMatmul(_OperandOp, register=False):
    """``keras.ops.matmul(a, b)``: NumPy's matmul shapes. fvcore counts batch·n·k·m multiply-adds."""

    op_name = "Matmul"

    def _operands(self, inputs: list[Shape]) -> list[Shape]:
        if not self.operands:
            return self._inputs(inputs, 2)
        ops = self._operand_shapes(inputs, f" ({len(inputs)} given)")
        if len(ops) != 2:
            raise ShapeError(f"Matmul takes two operands, got {len(ops)}")
        return ops

    def _parts(self, inputs: list[Shape]) -> tuple[Shape, Dim]:
        a, b = self._operands(inputs)
        if not a or not b:
            raise ShapeError("Matmul does not take scalars")
        a2 = (1, *a) if len(a) == 1 else tuple(a)
        b2 = (*b, 1) if len(b) == 1 else tuple(b)
        k1, k2 = a2[-1], b2[-2]
        if k1 is not None and k2 is not None and not _same(k1, k2):
            raise ShapeError(f"Matmul: inner sizes differ, {format_shape(tuple(a))} @ {format_shape(tuple(b))}")
        batch = broadcast_shapes([a2[:-2], b2[:-2]], "Matmul") if len(a2) > 2 or len(b2) > 2 else ()
        out = [*batch, *([a2[-2]] if len(a) > 1 else []), *([b2[-1]] if len(b) > 1 else [])]
        return tuple(out), (k1 if k1 is not None else k2)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._parts(inputs)[0]

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        out, k = self._parts(inputs)
        if k is None or any(d is None for d in out[1:]):
            return 0
        return prod([batch_of(out) if out else 1, *out[1:], k])


class _OpEinsum(_OperandOp, register=False):
    """``keras.ops.einsum(subscripts, *operands)``, shapes by Keras's rule; fvcore counts every index combination."""

    op_name = "Einsum"

    def __init__(self, subscripts: Any = None, **base: Any) -> None:
        super().__init__(**base)
        if not isinstance(subscripts, str) or len(subscripts) > 200:
            raise ArgumentError(f"subscripts must be an einsum text like 'bij,jk->bik', got {subscripts!r}")
        text = subscripts.replace(" ", "")
        lhs, arrow, rhs = text.partition("->")
        self.specs = lhs.split(",")
        for spec in [*self.specs, rhs]:
            letters = spec.replace("...", "")
            if not all(c.isalpha() for c in letters) or "." in letters:
                raise ArgumentError(f"subscripts: cannot read {subscripts!r}")
        if not arrow:
            once = sorted(c for c in set(lhs) if c.isalpha() and lhs.count(c) == 1)
            rhs = ("..." if "..." in lhs else "") + "".join(once)
        self.output = rhs
        self.subscripts = subscripts

    def _solve(self, inputs: list[Shape]) -> tuple[dict[str, Any], Shape, Shape]:
        shapes = self._operand_shapes(inputs)
        if len(shapes) != len(self.specs):
            raise ShapeError(f"Einsum: {self.subscripts!r} takes {len(self.specs)} operands, got {len(shapes)}")
        sizes: dict[str, Any] = {}
        wildcards: list[Shape] = []
        for spec, shape in zip(self.specs, shapes):
            before, dots, after = spec.partition("...")
            if not dots and len(spec) != len(shape) or dots and len(before) + len(after) > len(shape):
                raise ShapeError(f"Einsum: {spec!r} does not fit an operand of shape {format_shape(tuple(shape))}")
            tail = len(shape) - len(after)
            wildcards.append(tuple(shape[len(before):tail]) if dots else ())
            for letter, d in [*zip(before, shape[: len(before)]), *zip(after, shape[tail:])]:
                known = sizes.get(letter)
                if known is None or known == 1:
                    sizes[letter] = d if known is None or d is not None else known
                elif d is not None and d != 1 and not _same(known, d):
                    raise ShapeError(f"Einsum: index {letter!r} is {known} in one operand and {d} in another")
        wild = broadcast_shapes(wildcards, "Einsum") if any(wildcards) else ()
        if "..." in self.output:
            first, rest = self.output.split("...", 1)
            out = [*(sizes.get(c, 1) for c in first), *wild, *(sizes.get(c, 1) for c in rest)]
        else:
            out = [sizes.get(c, 1) for c in self.output]
        return sizes, tuple(out), wild if "..." in self.output else ()

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._solve(inputs)[1]

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        sizes, _, wild = self._solve(inputs)
        return prod(1 if d is None else d for d in [*sizes.values(), *wild])


for _cls in (_OpMatmul, _OpEinsum):
    _register(_cls, _cls.op_name)
