"""Keeping SymPy's expression cache from slowing long chains of layers."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TypeVar

import sympy

T = TypeVar("T")


def trimming(items: Iterable[T], every: int = 48) -> Iterator[T]:
    """Yield ``items``, emptying SymPy's expression cache every few dozen of them.

    Sizes after k stride-2 layers carry 2^k, and Python hashes 2^k and 2^(k+61) alike, so
    in a long chain SymPy's cache fills with colliding keys that it compares term by term:
    work per layer then grows with the depth. Clearing it now and then keeps it linear.

    >>> list(trimming(range(3)))
    [0, 1, 2]
    """
    for i, item in enumerate(items):
        if i % every == every - 1:
            sympy.core.cache.clear_cache()
        yield item
