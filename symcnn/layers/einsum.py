"""Keras's EinsumDense: a dense layer written as an einsum equation that shapes its kernel and bias.

The equation is read by the small parser below, never evaluated: ``input,kernel->output`` in
letters, with ``...`` at the start of the input and the output (``...b,bc->...c``) or at their
end (``ab...,bc->ac...``), the three forms keras/src/layers/core/einsum_dense.py accepts.

Shapes follow Keras's ``_analyze_einsum_string``: the output is the input's batch axis, then
``output_shape`` (the sizes without the batch and the ``...`` axes), with the ``...`` axes put back
where the equation puts them. Where ``output_shape`` says ``None`` for a letter the input also has,
the output takes the input's size: that is the shape the call returns. (Keras's own static shape
keeps ``None`` there, and with two or more ``...`` axes on the left it lists them in reverse.) The
kernel takes each letter's size from ``output_shape``, else from the input; the bias covers the
output from the first ``bias_axes`` letter on, with 1 on the axes it skips and on trailing ``...``.

MACs: fvcore's einsum rule, the product of every letter's size (batch and ``...`` axes included,
the batch as 1 when unknown): ``abc,cd->abd`` on (N, T, C) costs N·T·C·D, as Dense on a
sequence; with LoRA, each call also multiplies its two factors into the kernel (kernel size × r).
torchinfo: the parameters once per sample.

>>> layer = EinsumDense("abc,cde->abde", output_shape=(None, 4, 8), bias_axes="de")
>>> layer.output_shape([(None, 10, 16)]), [w.shape for w in layer.weights([(None, 10, 16)])]
((None, 10, 4, 8), [(16, 4, 8), (4, 8)])
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..errors import ArgumentError, ShapeError
from ..formulas import Dim, prod, same_size, simplify_int
from .base import Layer, Shape, Weight, as_dim, batch_of, format_shape, require_known

MAX_EQUATION = 200


@dataclass(frozen=True)
class Equation:
    """An EinsumDense equation: the letters of input, kernel and output, and where ``...`` stands."""

    text: str
    input: str
    kernel: str
    output: str
    ellipsis: str | None  # "left", "right" or None

    @property
    def letters(self) -> str:
        seen = dict.fromkeys(self.input + self.kernel + self.output)
        return "".join(seen)


def parse_equation(text: Any) -> Equation:
    """Read ``"abc,cd->abd"`` (letters only, ``...`` at one end of input and output); never evaluated.

    >>> parse_equation("...b,bc->...c")
    Equation(text='...b,bc->...c', input='b', kernel='bc', output='c', ellipsis='left')
    """
    if not isinstance(text, str) or not text or len(text) > MAX_EQUATION:
        raise ArgumentError(f"equation must be an einsum text like 'ab,bc->ac', got {str(text)[:60]!r}")
    shown = repr(text)
    left, arrow, output = text.partition("->")
    terms = left.split(",")
    if not arrow or len(terms) != 2:
        raise ArgumentError(f"equation must read 'input,kernel->output' (one input, one kernel), got {shown}")
    (in_end, inputs), (kernel_end, kernel), (out_end, out) = (_ends(t) for t in (terms[0], terms[1], output))
    for part, what in ((inputs, "input"), (kernel, "kernel"), (out, "output")):
        if not part or not (part.isascii() and part.isalpha()):
            raise ArgumentError(f"equation {shown}: the {what} must be letters (with '...' at one end), got {part!r}")
        if len(set(part)) != len(part):
            raise ArgumentError(f"equation {shown}: a letter appears twice in the {what} {part!r}")
    if kernel_end is not None:
        raise ArgumentError(f"equation {shown}: the kernel cannot have '...'")
    if in_end != out_end:
        raise ArgumentError(f"equation {shown}: '...' must stand at the same end of the input and the output")
    if in_end == "right" and len(inputs) < 2:
        raise ArgumentError(f"equation {shown}: with '...' at the end the input needs the batch letter and another")
    return Equation(text, inputs, kernel, out, in_end)


def _ends(term: str) -> tuple[str | None, str]:
    if term.startswith("..."):
        return "left", term[3:]
    if term.endswith("..."):
        return "right", term[:-3]
    return None, term


@dataclass(frozen=True)
class _Layout:
    """One input's reading of the equation: every letter's size, the output, kernel and bias shapes."""

    sizes: dict[str, Dim | None]
    elided: tuple[Dim | None, ...]  # the axes '...' stands for (the batch among them on the left)
    output: Shape
    kernel: tuple[Dim | None, ...]
    bias: tuple[Dim | None, ...] | None


class EinsumDense(Layer):
    """``equation`` (input,kernel->output), ``output_shape`` without the batch and '...' axes, ``bias_axes``."""

    def __init__(
        self,
        equation: Any = None,
        output_shape: Any = None,
        bias_axes: Any = None,
        lora_rank: Any = None,
        lora_alpha: Any = None,
        gptq_unpacked_column_size: Any = None,
        **base: Any,
    ) -> None:
        super().__init__(**base)
        self.equation = parse_equation(equation)
        if output_shape is None:
            raise ArgumentError("EinsumDense needs output_shape (the output's sizes without the batch axis)")
        sizes = list(output_shape) if isinstance(output_shape, (list, tuple)) else [output_shape]
        self.partial_output = tuple(None if d is None else as_dim(d, "output_shape") for d in sizes)
        if bias_axes is not None:
            if not isinstance(bias_axes, str) or not bias_axes:
                raise ArgumentError(f"bias_axes must be output letters such as 'c', got {bias_axes!r}")
            missing = [c for c in bias_axes if c not in self.equation.output]
            if missing:
                raise ArgumentError(
                    f"bias_axes {bias_axes!r}: {missing[0]!r} is not a letter of the output {self.equation.output!r}"
                )
        self.bias_axes: str | None = bias_axes
        self.lora_rank = None if lora_rank is None else as_dim(lora_rank, "lora_rank")

    def hyperparameters(self) -> dict[str, Any]:
        hp: dict[str, Any] = {"equation": self.equation.text, "output_shape": self.partial_output}
        if self.bias_axes:
            hp["bias_axes"] = self.bias_axes
        return hp

    def _layout(self, inputs: list[Shape]) -> _Layout:
        shape = tuple(self._one_input(inputs))
        eq = self.equation
        elided = len(shape) - len(eq.input)
        left = eq.ellipsis == "left"
        if (eq.ellipsis is None and elided != 0) or elided < (1 if left else 0):
            want = f"{len(eq.input) + 1} or more" if eq.ellipsis else str(len(eq.input))
            raise ShapeError(f"EinsumDense {eq.text!r} takes inputs of rank {want}, got {format_shape(shape)}")
        want_sizes = len(eq.output) - (0 if left else 1)
        if len(self.partial_output) < want_sizes:  # Keras ignores sizes beyond the letters (its call does too)
            raise ArgumentError(
                f"EinsumDense {eq.text!r}: output_shape must give {want_sizes} size(s) (the output "
                f"{eq.output!r} without the batch{' and ...' if eq.ellipsis else ''}), got {list(self.partial_output)}"
            )
        # Keras's full output: the batch, then output_shape, with the '...' axes where the equation puts them.
        start = elided if left else 0
        full: list[Any] = [shape[0], *self.partial_output]
        if left:
            full[1:1] = shape[1:elided]
        elif elided:
            full += shape[len(shape) - elided:]
        in_at = {c: i + start for i, c in enumerate(eq.input)}
        out_at = {c: i + start for i, c in enumerate(eq.output)}
        if not left and eq.output[0] != eq.input[0]:
            raise ShapeError(f"EinsumDense {eq.text!r} must keep the input's first (batch) letter first in the output")
        for c in eq.output:
            if c not in in_at and c not in eq.kernel:
                raise ArgumentError(f"EinsumDense {eq.text!r}: output letter {c!r} is in neither the input nor the kernel")
        kernel: list[Any] = []
        for c in eq.kernel:
            if c in out_at:
                kernel.append(full[out_at[c]])
            elif c in in_at:
                kernel.append(shape[in_at[c]])
            else:
                raise ArgumentError(f"EinsumDense {eq.text!r}: kernel letter {c!r} is in neither the input nor the output")
        sizes: dict[str, Any] = {c: shape[i] for c, i in in_at.items()}
        for c, d in zip(eq.kernel, kernel):
            sizes.setdefault(c, d)
        letters: list[Any] = []
        for c, i in out_at.items():
            given, known = full[i], sizes.get(c)
            if given is not None and known is not None and i != 0 and not same_size(given, known):
                raise ShapeError(
                    f"EinsumDense {eq.text!r}: output_shape gives {c!r} size {given}, the input has {known}"
                )
            letters.append(given if given is not None or i == 0 else known)
        bias = None
        if self.bias_axes:
            first = min(eq.output.index(c) for c in self.bias_axes)
            bias = tuple(full[out_at[c]] if c in self.bias_axes else 1 for c in eq.output[first:])
            bias += (1,) * (elided if not left else 0)
        ellipsis = tuple(shape[:elided]) if left else tuple(shape[len(shape) - elided:])
        output = (*ellipsis, *letters) if left else (*letters, *ellipsis)
        return _Layout(sizes, ellipsis, output, tuple(kernel), bias)

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self._layout(inputs).output

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        layout = self._layout(inputs)
        for name, dims in (("kernel", layout.kernel), ("bias", layout.bias or ())):
            if any(d is None for d in dims):
                raise ShapeError(
                    f"EinsumDense {self.equation.text!r}: the {name} would have an unknown size, "
                    f"{format_shape(dims)}; give its output sizes in output_shape"
                )
        ws = [Weight("kernel", layout.kernel, trainable=self.lora_rank is None)]
        if layout.bias is not None:
            ws.append(Weight("bias", layout.bias))
        if self.lora_rank is not None:
            ws += [Weight("lora_kernel_a", (*layout.kernel[:-1], self.lora_rank)),
                   Weight("lora_kernel_b", (self.lora_rank, layout.kernel[-1]))]  # fmt: skip
        return ws

    def fvcore_macs(self, inputs: list[Shape], output: Shape) -> Dim:
        require_known(self, inputs)
        layout = self._layout(inputs)
        left = self.equation.ellipsis == "left"
        batch_letter = None if left else self.equation.input[0]
        sizes = [batch_of((d,)) if c == batch_letter else d for c, d in layout.sizes.items()]
        elided = [batch_of((d,)) if left and i == 0 else d for i, d in enumerate(layout.elided)]
        lora = prod([*layout.kernel, self.lora_rank]) if self.lora_rank is not None else 0
        return simplify_int(prod([*sizes, *elided]) + lora)  # the einsum, then LoRA's a @ b
