"""``symcnn layers``: every layer type symcnn reads, with its arguments and its formulas on symbols."""

from __future__ import annotations

import argparse
import json
from typing import Any

from ..render import catalogue

NAME = "layers"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="list every layer type with its arguments and formulas")
    p.add_argument("names", nargs="*", metavar="TYPE", help="only these layer types (any of their names)")
    p.add_argument("--convention", choices=("keras", "torch", "keras.ops"), help="only the layers of one convention")
    p.add_argument("--format", choices=("text", "json", "markdown"), default="text")


def run(args: argparse.Namespace) -> int:
    entries = [catalogue.describe(n) for n in args.names] if args.names else catalogue.catalogue()
    if args.convention:
        entries = [e for e in entries if e.convention == args.convention]
    if args.format == "json":
        print(json.dumps([e.as_dict() for e in entries], indent=2))
    elif args.format == "markdown":
        print(catalogue.markdown(entries))
    else:
        print(catalogue.text(entries), end="")
    return 0
