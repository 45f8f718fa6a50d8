"""``symcnn memory``: activations per layer in values and bytes, and a training-memory estimate for a batch."""

from __future__ import annotations

import argparse
from typing import Any

from ..analysis.memory import DTYPE_BYTES, OPTIMIZERS
from ..errors import ArgumentError, SymcnnError
from ..expr import parse
from ..render import memory
from .common import load_model, model_options

NAME = "memory"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="activation memory per layer and a training-memory estimate")
    p.add_argument("model")
    model_options(p)
    p.add_argument("--dtype", choices=tuple(DTYPE_BYTES), default="float32")
    p.add_argument("--batch", metavar="N", help="the batch size: a number or a symbol name (default: the symbol N)")
    p.add_argument("--optimizer", choices=OPTIMIZERS, default="adam")
    p.add_argument("--format", choices=("table", "markdown", "csv", "json"), default="table")


def run(args: argparse.Namespace) -> int:
    model = load_model(args.model, input_dims=args.input, sets=args.set)
    batch = None
    if args.batch is not None:
        batch = parse(args.batch)
        if batch.is_number and not (batch.is_Integer and batch > 0):
            raise ArgumentError(f"--batch must be a positive whole number or a symbol name, got {args.batch!r}")
    try:
        print(memory.render(model, args.format, args.dtype, batch, args.optimizer))
    except SymcnnError as exc:
        raise exc.within(file=args.model) from None
    return 0
