"""What every command shares: reading a model file with --input and --set applied."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from ..errors import ArgumentError, SymcnnError
from ..expr import is_identifier, parse, parse_dims, split_top_level
from ..io import load


class Parser(argparse.ArgumentParser):
    """argparse, with a usage error raised as ArgumentError (exit status 2, one line)."""

    def error(self, message: str) -> NoReturn:
        raise ArgumentError(f"{self.prog}: {message}")


def model_options(p: argparse.ArgumentParser) -> None:
    """--set and --input, as every command that reads a model takes them."""
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="give a symbol a value (repeatable), e.g. --set F=64")
    p.add_argument("--input", metavar="DIMS",
                   help="replace the input shape, e.g. 'H,W,3' (channels-first with batch, 'N,3,H,W', for torch/ONNX models)")


def load_model(path: str, *, input_dims: str | None = None, sets: Sequence[str] = (), apply_defaults: bool = True) -> Any:
    """Read a model file and apply --input, then --set, then (optionally) the file's default symbol values.

    A value may be a whole number, a rational multiplier (``alpha=3/4`` or ``alpha=0.75``, read exactly) or
    a formula in other symbols (``H=32*k``); a size that is then not a whole number is refused, naming the layer.
    """
    values = parse_sets(sets)
    suffix = Path(path).suffix.lower()
    model = load(path, values=values) if suffix in (".yaml", ".yml") else load(path)  # YAML: --set can shape the graph
    try:
        if input_dims is not None:
            model = _replace_input(model, input_dims)
        known = {s.name for s in model.free_symbols} | {s.name for s in model.defaults}
        unknown = sorted(set(values) - known)
        if unknown:
            raise ArgumentError(f"--set names unknown symbol(s): {', '.join(unknown)} (known: {', '.join(sorted(known)) or 'none'})")
        if apply_defaults:
            values = {**{s.name: v for s, v in model.defaults.items()}, **values}
        if values:
            model = model.subs(values)
        _ = model.records  # build now, so shape errors surface here with their layer
    except SymcnnError as exc:
        given = [item.strip() for item in sets if item.partition("=")[0].strip() in exc.problem]
        if given and "whole number" in exc.problem:
            exc.problem += f" (given --set {', --set '.join(given)})"
        raise exc.within(file=path) from None
    return model


def parse_sets(sets: Sequence[str]) -> dict[str, Any]:
    """``--set NAME=VALUE`` items as a dict: positive numbers (exact rationals) or formulas.

    >>> parse_sets(["alpha=3/4", "R=160", "beta=0.5"])
    {'alpha': 3/4, 'R': 160, 'beta': 1/2}
    """
    values: dict[str, Any] = {}
    for item in sets:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not name:
            raise ArgumentError(f"--set expects NAME=VALUE, got {item!r}")
        if not is_identifier(name):
            raise ArgumentError(f"--set {name!r}: not a usable symbol name (letters, digits and _; not a function's name)")
        try:
            value = parse(text)
        except SymcnnError as exc:
            raise ArgumentError(f"--set {name}: {exc.problem}") from None
        if value.is_number and not (value.is_Rational and value > 0):
            raise ArgumentError(f"--set {name} must be a positive number (a whole number, or a fraction such as 3/4), got {text.strip()!r}")
        values[name] = value
    return values


def _replace_input(model: Any, text: str) -> Any:
    shapes = []
    for part in split_top_level(text, ";"):
        dims = parse_dims(part)
        if model.convention == "keras":
            dims = [None, *dims]
        shapes.append(tuple(dims))
    return model.with_input(*shapes)
