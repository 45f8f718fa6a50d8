"""``symcnn receptive-field``: each layer's receptive field, jump and start on the input's spatial axes."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import SymcnnError
from ..render import receptive
from .common import load_model, model_options

NAME = "receptive-field"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="receptive field size, jump (effective stride) and start of every layer")
    p.add_argument("model")
    model_options(p)
    p.add_argument("--format", choices=("table", "markdown", "csv", "json"), default="table")


def run(args: argparse.Namespace) -> int:
    model = load_model(args.model, input_dims=args.input, sets=args.set)
    try:
        print(receptive.render(model, args.format))
    except SymcnnError as exc:
        raise exc.within(file=args.model) from None
    return 0
