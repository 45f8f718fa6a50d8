"""Vectorised evaluation of closed forms equals exact SymPy evaluation."""

from __future__ import annotations

import numpy as np
import pytest
import sympy

import symcnn
from symcnn.errors import ArgumentError
from symcnn.sweep import vectorize

H, W, C = sympy.symbols("H W C", integer=True, positive=True)


def test_seed_macs_over_many_sizes_equal_exact_values() -> None:
    model = symcnn.load("examples/seed.yaml").with_input((None, H, W, C))
    for expr in (model.total_macs, model.macs("fvcore"), model.total_params):
        f = vectorize(expr, [H, W, C])
        rng = np.random.default_rng(1)
        hs, ws, cs = rng.integers(10, 600, 2000), rng.integers(10, 600, 2000), rng.integers(1, 8, 2000)
        values = f(hs, ws, cs)
        for i in range(0, 2000, 97):
            assert int(values[i]) == expr.subs({H: int(hs[i]), W: int(ws[i]), C: int(cs[i])})


def test_ceilings_and_negative_numerators_use_exact_integer_division() -> None:
    expr = sympy.ceiling((H - 7) / 3) + sympy.floor((W - 9) / 4) * 5
    f = vectorize(expr, [H, W])
    hs, ws = np.arange(1, 40), np.arange(1, 40)[::-1]
    assert f(hs, ws).tolist() == [int(expr.subs({H: int(h), W: int(w)})) for h, w in zip(hs, ws)]


def test_missing_symbol_is_an_error() -> None:
    with pytest.raises(ArgumentError):
        vectorize(H * W, [H])
