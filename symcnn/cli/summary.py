"""``symcnn summary``: a Keras-style table with a MACs column (or JSON, Markdown, LaTeX), or grouped by type or block."""

from __future__ import annotations

import argparse
from typing import Any

from ..analysis.grouping import GROUPINGS
from ..analysis.memory import DTYPE_BYTES
from ..errors import ArgumentError, SymcnnError
from ..layers.base import WEIGHT_KINDS
from ..render import groups, summary
from .common import load_model, model_options

NAME = "summary"
FORMATS = ("table", "json", "markdown", "latex", "csv")


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="a Keras-style summary table with MACs")
    p.add_argument("model")
    model_options(p)
    p.add_argument("--format", choices=FORMATS, default="table", help="csv goes with --group-by")
    p.add_argument("--convention", choices=("torchinfo", "fvcore"), default="torchinfo", help="MAC counting convention")
    p.add_argument("--group-by", choices=GROUPINGS, help="one row per layer type (with kernel size) or per block")
    p.add_argument("--kinds", metavar="KIND,...",
                   help=f"with --group-by, count only these weights: {', '.join(WEIGHT_KINDS)} "
                        "(MobileNet counts kernels; VGG counts everything)")
    p.add_argument("--dtype", choices=tuple(DTYPE_BYTES), help="also give the activations in bytes of this type")


def run(args: argparse.Namespace) -> int:
    model = load_model(args.model, input_dims=args.input, sets=args.set)
    if args.kinds is not None and args.group_by is None:
        raise ArgumentError("--kinds goes with --group-by")
    if args.format == "csv" and args.group_by is None:
        raise ArgumentError("--format csv goes with --group-by (the summary itself: table, json, markdown or latex)")
    kinds = None if args.kinds is None else [k.strip() for k in args.kinds.split(",") if k.strip()]
    try:  # MACs are computed while printing: name the file if one cannot be
        if args.group_by is not None:
            print(groups.render(model, args.group_by, args.format, args.convention, kinds))
            return 0
        printers = {"table": summary.table, "json": summary.to_json, "markdown": summary.markdown, "latex": summary.latex}
        print(printers[args.format](model, convention=args.convention, dtype=args.dtype))
    except SymcnnError as exc:
        raise exc.within(file=args.model) from None
    return 0
