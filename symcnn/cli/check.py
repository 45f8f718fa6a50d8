"""``symcnn check``: mark a hand calculation and diagnose the mistake; grade a class's tables."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from ..errors import ArgumentError, SymcnnError
from .common import load_model, model_options

NAME = "check"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="check a hand calculation and diagnose the mistake; grade a class's tables")
    p.add_argument("model")
    model_options(p)
    p.add_argument("--layer")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--params", metavar="EXPR")
    what.add_argument("--shape", metavar="DIMS")
    what.add_argument("--macs", metavar="EXPR")
    what.add_argument("--trainable", metavar="EXPR", help="the trainable parameters only")
    what.add_argument("--non-trainable", metavar="EXPR", help="the non-trainable parameters only")
    what.add_argument("--table", metavar="FILE", nargs="+",
                      help="CSV or Markdown tables (layer, output shape, params...): one student's, or a class's")
    p.add_argument("--format", choices=("text", "json", "markdown", "html"), default="text",
                   help="for --table: text, JSON (per file, per row, and the class's mistakes), or a Markdown/HTML "
                        "report for the teacher")
    p.add_argument("--convention", choices=("torchinfo", "fvcore"), default="torchinfo", help="for --macs")


def run(args: argparse.Namespace) -> int:
    given = (args.params, args.shape, args.macs, args.trainable, args.non_trainable)
    if args.table is None and (args.layer is None or all(v is None for v in given)):
        raise ArgumentError(
            "check needs --layer NAME with one of --params, --shape, --macs, --trainable, --non-trainable, or --table FILE"
        )
    from ..check import check_command  # loaded for this command only: it is the heaviest

    # symbols stay open: a formula is checked for all values; a number is checked at the defaults
    model = load_model(args.model, input_dims=args.input, sets=args.set, apply_defaults=False)
    try:
        text, status = check_command(model, layer=args.layer, params=args.params, shape=args.shape,
                                     macs=args.macs, table=args.table, trainable=args.trainable,
                                     non_trainable=args.non_trainable, convention=args.convention, fmt=args.format)
    except SymcnnError as exc:  # an answer that cannot be read: say which model it was checked against
        raise exc.within(file=args.model) from None
    print(text)
    if status == 2:  # some of a class's tables could not be read: each is named in the report, and here
        print("symcnn: error: some tables could not be read (see the report)", file=sys.stderr)
    return status
