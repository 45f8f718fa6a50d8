"""``symcnn summary``: a Keras-style table with a MACs column (or JSON, Markdown, LaTeX)."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import SymcnnError
from ..render import summary
from .common import load_model, model_options

NAME = "summary"
FORMATS = ("table", "json", "markdown", "latex")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="a Keras-style summary table with MACs")
    p.add_argument("model")
    model_options(p)
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("--convention", choices=("torchinfo", "fvcore"), default="torchinfo", help="MAC counting convention")


def run(args: argparse.Namespace) -> int:
    model = load_model(args.model, input_dims=args.input, sets=args.set)
    printers = {"table": summary.table, "json": summary.to_json, "markdown": summary.markdown, "latex": summary.latex}
    try:  # MACs are computed while printing: name the file if one cannot be
        print(printers[args.format](model, convention=args.convention))
    except SymcnnError as exc:
        raise exc.within(file=args.model) from None
    return 0
