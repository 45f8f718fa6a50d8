"""What every command shares: reading a model file with --input and --set applied."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from typing import Any, NoReturn

from ..errors import ArgumentError, SymcnnError
from ..expr import parse, parse_dims
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
    """Read a model file and apply --input, then --set, then (optionally) the file's default symbol values."""
    model = load(path)
    try:
        if input_dims is not None:
            model = _replace_input(model, input_dims)
        values: dict[str, Any] = {}
        for item in sets:
            name, sep, text = item.partition("=")
            if not sep or not name.strip():
                raise ArgumentError(f"--set expects NAME=VALUE, got {item!r}")
            value = parse(text)
            if value.is_number and not (value.is_Integer and value > 0):
                raise ArgumentError(f"--set {name.strip()} must be a positive whole number, got {text.strip()!r}")
            values[name.strip()] = value
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
        raise exc.within(file=path) from None
    return model


def _replace_input(model: Any, text: str) -> Any:
    shapes = []
    for part in text.split(";"):
        dims = parse_dims(part)
        if model.convention == "keras":
            dims = [None, *dims]
        shapes.append(tuple(dims))
    return model.with_input(*shapes)
