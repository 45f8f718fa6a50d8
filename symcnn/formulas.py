"""The one home of every size formula symcnn uses.

Each function works on plain integers (fast, exact) and on SymPy expressions
(closed forms) alike. Floors are kept canonical: for positive integers
``floor((floor(x/a) + b)/c) == floor((x + a*b)/(a*c))``, so a chain of
convolutions and poolings stays a single floor instead of a nest.

>>> conv_output_length(64, 3)
62
>>> pool_output_length(29, 2, 2, "valid")
14
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Union

import sympy

from .errors import ShapeError

Dim = Union[int, sympy.Expr]  # noqa: UP007  (a runtime alias; mypy reads Union with untyped sympy best)


def is_number(x: object) -> bool:
    return isinstance(x, int) or (isinstance(x, sympy.Basic) and x.is_Integer is True)


def simplify_int(x: Dim) -> Dim:
    """Turn a SymPy integer into a Python int; leave symbolic values alone."""
    if isinstance(x, sympy.Basic) and x.is_Integer:
        return int(x)  # type: ignore[arg-type]
    return x


def prod(dims: Iterable[Dim]) -> Dim:
    """The product of sizes, staying an int when every size is one."""
    number, symbolic = 1, []
    for d in dims:
        if isinstance(d, int):
            number *= d
        else:
            symbolic.append(d)
    if not symbolic:
        return number
    # One Mul of all the factors: multiplying one at a time re-sorts the product each time (1,000 sizes: 28 s).
    return simplify_int(sympy.Mul(*symbolic) * number) if all(isinstance(d, sympy.Basic) for d in symbolic) else \
        simplify_int(_product(symbolic) * number)


def _product(factors: list[Dim]) -> Dim:
    out: Dim = 1
    for d in factors:
        out = out * d
    return out


def same_size(a: Dim, b: Dim) -> bool:
    """True when two sizes are equal: as numbers, or as expressions whose difference simplifies to 0.

    >>> same_size(4, sympy.Integer(4)), same_size(sympy.Symbol("T") + 1, 5)
    (True, False)
    """
    if is_number(a) and is_number(b):
        return int(a) == int(b)  # type: ignore[arg-type]
    return bool(sympy.simplify((sympy.Integer(a) if isinstance(a, int) else a) - b) == 0)


def floor_div(n: Dim, s: Dim) -> Dim:
    """⌊n / s⌋ for a positive integer ``s``, folding a floor inside ``n``."""
    if isinstance(n, int) and isinstance(s, int):
        return n // s
    if is_number(n) and is_number(s):
        return int(n) // int(s)  # type: ignore[arg-type]
    n = sympy.Integer(n) if isinstance(n, int) else n
    if s == 1:
        return n
    terms = sympy.Add.make_args(n)
    floors = [t for t in terms if isinstance(t, sympy.floor)]
    if len(floors) == 1:
        others = [t for t in terms if t is not floors[0]]
        if all(_integer_term(t) for t in others):
            n = sympy.Add(floors[0].args[0], *others)
    return canonical_floor(n / s)


def canonical_floor(x: sympy.Expr) -> Dim:
    """⌊x⌋ with the integer part of x's constant pulled out: ⌊H/4 + 7/2⌋ = ⌊H/4 + 1/2⌋ + 3.

    This is SymPy's own rule, applied without SymPy's costly assumption queries, so long
    chains of layers stay fast.
    """
    const, rest = x.as_coeff_Add()
    whole = sympy.floor(const)  # const is a Rational: cheap
    frac = const - whole
    if rest == 0:
        return simplify_int(whole)
    if all(_integer_term(t) for t in sympy.Add.make_args(rest)):
        return simplify_int(rest + whole)  # 0 <= frac < 1 adds nothing to an integer
    return simplify_int(sympy.floor(rest + frac, evaluate=False) + whole)


def _integer_term(term: sympy.Expr) -> bool:
    coeff, factors = term.as_coeff_Mul()
    return coeff.is_Integer and all(f.is_integer for f in sympy.Mul.make_args(factors))


def ceil_div(n: Dim, s: Dim) -> Dim:
    """⌈n / s⌉ for a positive integer ``s`` (as a floor, so chains fold)."""
    return floor_div(n + s - 1, s)


def conv_output_length(n: Dim, kernel: Dim, stride: Dim = 1, dilation: Dim = 1, pad: Sequence[Dim] = (0, 0)) -> Dim:
    """⌊(n + p_before + p_after − d·(k − 1) − 1) / s⌋ + 1: convolution with explicit padding.

    Keras 'valid' is the case of zero padding; torch's ``padding=p`` is ``(p, p)``.

    >>> conv_output_length(31, 3)
    29
    """
    return simplify_int(floor_div(n + pad[0] + pad[1] - dilation * (kernel - 1) - 1, stride) + 1)


def same_output_length(n: Dim, stride: Dim = 1) -> Dim:
    """⌊(n − 1) / s⌋ + 1 = ⌈n / s⌉: Keras 'same' and 'causal' padding."""
    if isinstance(stride, int) and stride == 1:
        return n
    return simplify_int(floor_div(n - 1, stride) + 1)


def keras_conv_output_length(n: Dim, kernel: Dim, stride: Dim, dilation: Dim, padding: str) -> Dim:
    """A Keras convolution's output length for padding 'valid', 'same' or 'causal'."""
    if padding == "valid":
        return conv_output_length(n, kernel, stride, dilation)
    return same_output_length(n, stride)


def keras_conv_pad_before(n: Dim, kernel: Dim, stride: Dim, dilation: Dim, padding: str) -> Dim:
    """The zeros a Keras convolution or pooling puts before the first input position.

    'valid' none, 'causal' d·(k − 1), 'same' the smaller half of TensorFlow's total (the odd one goes after).

    >>> keras_conv_pad_before(224, 3, 2, 1, "same"), keras_conv_pad_before(225, 3, 2, 1, "same")
    (0, 1)
    """
    if padding == "valid":
        return 0
    if padding == "causal":
        return simplify_int(dilation * (kernel - 1))
    return same_padding(n, kernel, stride, dilation)[0]


def keras_deconv_pad_before(
    kernel: Dim, stride: Dim, padding: str, output_padding: Dim | None = None, dilation: Dim = 1
) -> Dim:
    """How far a Keras transposed convolution's first output sits before its first full window: torch's ``padding``.

    Output o gets input i through kernel tap m when o = i·s + m·d − p. Keras pads as TensorFlow and JAX do
    (``_convert_conv_transpose_padding_args_from_keras_to_jax``; its torch backend crops to match): with
    k' = d·(k − 1) + 1, 'valid' gives p = 0; 'same' pads min(⌈L/2⌉, k' − 1) on the left of
    L = s + k' − 2 (or k' + k' mod 2 − 2 + output_padding), so p = k' − 1 − that.

    >>> keras_deconv_pad_before(3, 2, "same"), keras_deconv_pad_before(4, 2, "same"), keras_deconv_pad_before(3, 2, "valid")
    (0, 1, 0)
    """
    if padding == "valid":
        return 0
    k = simplify_int(dilation * (kernel - 1) + 1)
    total = stride + k - 2 if output_padding is None else k + k % 2 - 2 + output_padding
    left = sympy.Min(ceil_div(total, 2), k - 1)
    return simplify_int(k - 1 - left)


def pool_output_length(n: Dim, pool: Dim, stride: Dim, padding: str) -> Dim:
    """A Keras pooling layer's output length: ⌊(n − k) / s⌋ + 1 ('valid') or ⌈n / s⌉ ('same')."""
    if padding == "valid":
        return conv_output_length(n, pool, stride)
    return same_output_length(n, stride)


def torch_pool_output_length(
    n: Dim, kernel: Dim, stride: Dim, pad: Dim = 0, dilation: Dim = 1, ceil_mode: bool = False
) -> Dim:
    """PyTorch's pooling length, with ``ceil_mode``'s rule that the last window starts inside the input."""
    span = n + 2 * pad - dilation * (kernel - 1) - 1
    if not ceil_mode:
        return simplify_int(floor_div(span, stride) + 1)
    out = simplify_int(ceil_div(span, stride) + 1)
    last_start = (out - 1) * stride
    if is_number(last_start) and is_number(n) and is_number(pad):
        return out - 1 if last_start >= n + pad else out
    # The correction can only fire when the stride exceeds the window's reach past the padding.
    reach = dilation * (kernel - 1) + 1 - pad
    if is_number(reach) and is_number(stride) and stride <= reach:
        return out
    # The last start obeys i·s ≤ span + s − 1 (ceil) and i·s ≤ n + pad − 1 (starts inside); with numeric
    # kernel, stride, padding and dilation the two bounds differ by a constant, so one floor says it.
    offset = sympy.Min(2 * pad - dilation * (kernel - 1) + stride - 2, pad - 1)
    if offset.is_Integer:
        return simplify_int(floor_div(n + int(offset), stride) + 1)
    return sympy.Piecewise((out - 1, sympy.Ge(last_start, n + pad)), (out, True))


def keras_deconv_output_length(
    n: Dim, kernel: Dim, stride: Dim, padding: str, output_padding: Dim | None = None, dilation: Dim = 1
) -> Dim:
    """Keras's transposed-convolution length (``deconv_output_length``)."""
    k = kernel + (kernel - 1) * (dilation - 1)
    if output_padding is None:
        if padding == "valid":
            return simplify_int(n * stride + sympy.Max(k - stride, 0))
        return simplify_int(n * stride)
    pad = floor_div(k, 2) if padding == "same" else 0
    return simplify_int((n - 1) * stride + k - 2 * pad + output_padding)


def keras_deconv_padding(
    kernel: int, stride: int, padding: str, output_padding: int | None = None, dilation: int = 1
) -> tuple[int, int]:
    """The (p, o) that put a Keras transposed convolution in the textbook form (n − 1)·s + d·(k − 1) + 1 − 2p + o.

    As Keras converts its arguments for PyTorch (``keras/src/backend/common/backend_utils.py``): 'valid'
    crops nothing and, without ``output_padding``, pads the output to ``max(k, s) − k``; 'same' crops p
    from each side and pads o at the end so that the output is ``n·s`` (or ``(n − 1)·s + k mod 2 + o``).

    >>> keras_deconv_padding(3, 2, "same"), keras_deconv_padding(1, 2, "valid")
    ((1, 1), (0, 1))
    """
    k = dilation * (kernel - 1) + 1
    if padding == "valid":
        return 0, (max(k, stride) - k if output_padding is None else output_padding)
    extra = stride - k % 2 if output_padding is None else output_padding
    crop = max(-((k % 2 - k + extra) // 2), 0)
    return crop, 2 * crop + k % 2 - k + extra


def torch_deconv_output_length(
    n: Dim, kernel: Dim, stride: Dim = 1, pad: Dim = 0, output_padding: Dim = 0, dilation: Dim = 1
) -> Dim:
    """(n − 1)·s − 2p + d·(k − 1) + output_padding + 1: PyTorch's ConvTranspose."""
    return simplify_int((n - 1) * stride - 2 * pad + dilation * (kernel - 1) + output_padding + 1)


def same_padding(n: Dim, kernel: Dim, stride: Dim = 1, dilation: Dim = 1) -> tuple[Dim, Dim]:
    """The (before, after) zero padding that Keras/TensorFlow 'same' implies (more after).

    The total is max((⌈n/s⌉ − 1)·s + d·(k − 1) + 1 − n, 0). As n − (⌈n/s⌉ − 1)·s lies in 1..s, a window
    spanning at least s positions never gives less than 0, and the max is left out of the closed form.
    """
    reach = dilation * (kernel - 1) + 1
    total: Any = (ceil_div(n, stride) - 1) * stride + reach - n
    if not (is_number(reach) and is_number(stride) and reach >= stride):
        total = sympy.Max(total, 0)
    total = simplify_int(total)
    before = floor_div(total, 2)
    return before, simplify_int(total - before)


def rnn_gate_params(gates: int, input_dim: Dim, units: Dim, bias_per_gate: int = 1) -> Dim:
    """gates·(I·U + U·U + b·U): the weights of a recurrent cell with ``gates`` gates."""
    return simplify_int(gates * (input_dim * units + units * units + bias_per_gate * units))


def reduced_shape(shape: Sequence[Dim | None], axes: Iterable[int], keepdims: bool) -> tuple[Dim | None, ...]:
    """The shape after reducing ``axes`` (already normalised to 0..rank-1): dropped, or kept as 1.

    >>> reduced_shape((None, 7, 7, 64), [1, 2], keepdims=False), reduced_shape((2, 3), [1], keepdims=True)
    ((None, 64), (2, 1))
    """
    axes = set(axes)
    if keepdims:
        return tuple(1 if i in axes else d for i, d in enumerate(shape))
    return tuple(d for i, d in enumerate(shape) if i not in axes)


_TO_THE_END = 2**31 - 1  # ONNX exporters write INT32/INT64 extremes for "to the end"


def slice_length(n: Dim, start: Dim | None = None, stop: Dim | None = None, step: Dim | None = 1) -> Dim:
    """How many items ``x[start:stop:step]`` keeps from an axis of ``n``: Python's clamping for numbers.

    For a symbolic ``n`` the bounds are taken to fall inside the axis (negative ones count from
    the end; values at or past INT32's range mean "to the end"), as they did when the model was
    traced or exported.

    >>> slice_length(10, 1, -1), slice_length(10, None, None, -3)
    (8, 4)
    """
    step = 1 if step is None else step
    if not is_number(step) or step == 0:
        raise ShapeError(f"a slice step must be a nonzero number, got {step}")
    if start is None:
        start = 0 if step > 0 else _TO_THE_END
    if stop is None:
        stop = _TO_THE_END if step > 0 else -_TO_THE_END
    if all(is_number(v) for v in (n, start, stop)):
        return len(range(*slice(int(start), int(stop), int(step)).indices(int(n))))  # type: ignore[arg-type]
    big = _TO_THE_END
    if step > 0:
        s = start + n if is_number(start) and start < 0 else start
        e = n if is_number(stop) and stop >= big else stop + n if is_number(stop) and stop < 0 else stop
    else:
        s = n - 1 if is_number(start) and start >= big else start + n if is_number(start) and start < 0 else start
        e = -1 if is_number(stop) and stop <= -big else stop + n if is_number(stop) and stop < 0 else stop
    span = s - e if step < 0 else e - s
    width = abs(int(step))  # type: ignore[arg-type]
    return simplify_int(floor_div(span + width - 1, width))


# ---- rounding as the papers' reference code rounds ------------------------------------------------------


def round_half_up(x: Dim) -> Dim:
    """⌊x + 1/2⌋: rounding as the papers' code writes it, ``int(x + 0.5)`` (2.5 → 3, not Python's 2).

    >>> round_half_up(sympy.Rational(5, 2)), round_half_up(sympy.Rational(7, 3))
    (3, 2)
    """
    return canonical_floor((sympy.Integer(x) if isinstance(x, int) else x) + sympy.Rational(1, 2))


class make_divisible(sympy.Function):  # printed, and parsed back, under Keras's name
    """Keras's ``_make_divisible(v, divisor, min_value=None)`` (MobileNetV2; EfficientNet's ``round_filters``).

    ``new = max(min_value, int(v + divisor/2) // divisor · divisor)``, plus ``divisor`` when that is below
    ``0.9·v``; ``min_value`` defaults to ``divisor``. Evaluated exactly in rationals when the arguments are
    numbers, kept as ``make_divisible(32*alpha, 8)`` while they are symbolic.

    >>> make_divisible(32 * sympy.Rational(35, 100), 8), make_divisible(96 * sympy.Rational(3, 4), 8)
    (16, 72)
    """

    nargs = (2, 3)
    is_integer = True

    # SymPy's construction hook for a Function: it receives SymPy expressions that symcnn built, never text,
    # and evaluates nothing (it folds the rounding in rationals when the arguments are numbers).
    @classmethod
    def eval(cls, v: sympy.Expr, divisor: sympy.Expr, min_value: sympy.Expr | None = None) -> sympy.Expr | None:
        for arg, what in ((divisor, "divisor"), (min_value, "min_value")):
            if arg is not None and arg.is_number and not (arg.is_Integer and arg > 0):
                raise ShapeError(f"make_divisible: {what} must be a positive whole number, got {arg}")
        if not (v.is_Rational and divisor.is_Integer and (min_value is None or min_value.is_Integer)):
            return None
        d = int(divisor)
        low = d if min_value is None else int(min_value)
        value = sympy.Rational(v)
        new = max(low, int(value + sympy.Rational(d, 2)) // d * d)  # int() truncates, as Keras's int() does
        if new < sympy.Rational(9, 10) * value:
            new += d
        return sympy.Integer(new)

    def _eval_is_positive(self) -> bool | None:
        low = self.args[2] if len(self.args) == 3 else self.args[1]
        return True if low.is_positive else None

    def _latex(self, printer: Any, exp: str | None = None) -> str:
        args = ", ".join(printer._print(a) for a in self.args)
        tex = r"\operatorname{make\_divisible}\left(" + args + r"\right)"
        return tex if exp is None else rf"{tex}^{{{exp}}}"

    @staticmethod
    def _imp_(v: Any, divisor: Any, min_value: Any = None) -> Any:
        """The same rule in plain operators, so that ``lambdify`` also works on NumPy arrays."""
        low = divisor if min_value is None else min_value
        new = (v + divisor / 2) // divisor * divisor
        new = (low + new + abs(low - new)) / 2  # max(low, new), elementwise
        return new + divisor * (new < 0.9 * v)
