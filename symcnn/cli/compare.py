"""``symcnn compare``: one table, a row per model file and configuration.

``--set alpha=1,3/4,1/2,1/4 --set R=224,192,160,128`` sweeps every combination (the first name varies
slowest); commas separate values here, so write numbers without thousands separators. Each single value
then goes through the same ``--set`` as every other command.
"""

from __future__ import annotations

import argparse
from pathlib import Path
from typing import Any

from ..analysis.compare import Row, combinations, compare_row
from ..errors import ArgumentError, LimitError, SymcnnError
from ..expr import is_identifier, parse
from ..io import load
from ..render import compare
from .common import load_model

NAME = "compare"
FORMATS = ("table", "markdown", "csv", "json", "latex")
MAX_ROWS = 1000  # each row builds a model: a sweep larger than this is refused, not run for hours


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="compare models and configurations: a row each, params / MACs / FLOPs / activations")
    p.add_argument("models", nargs="+", metavar="MODEL")
    p.add_argument("--set", action="append", default=[], metavar="NAME=V1,V2,...",
                   help="give a symbol one value or a list to sweep (repeatable), e.g. --set R=224,192,160")
    p.add_argument("--input", metavar="DIMS", help="replace the input shape, e.g. 'H,W,3'")
    p.add_argument("--format", choices=FORMATS, default="table")


def parse_sweep(items: list[str]) -> dict[str, list[str]]:
    """``["R=224,192"]`` as {"R": ["224", "192"]}, each value checked by symcnn's parser."""
    sweep: dict[str, list[str]] = {}
    for item in items:
        name, sep, text = item.partition("=")
        name = name.strip()
        if not sep or not is_identifier(name):
            raise ArgumentError(f"--set expects NAME=VALUE or NAME=V1,V2,..., got {item!r}")
        if name in sweep:
            raise ArgumentError(f"--set {name} is given twice: list its values once, e.g. {name}=1,2")
        values = [v.strip() for v in text.split(",")]
        if not values or any(not v for v in values):
            raise ArgumentError(f"--set {name}: empty value in {text.strip()!r} (commas separate values)")
        for v in values:
            parse(v, {})  # a clear error for text that is not arithmetic
        sweep[name] = values
    return sweep


def run(args: argparse.Namespace) -> int:
    sweep = parse_sweep(args.set)
    known: dict[str, set[str]] = {}
    for path in args.models:
        try:
            model = load(path)
            known[path] = {s.name for s in model.free_symbols} | {s.name for s in model.defaults}
        except SymcnnError as exc:
            raise exc.within(file=path) from None
    unused = sorted(n for n in sweep if not any(n in names for names in known.values()))
    if unused:
        raise ArgumentError(f"--set names symbol(s) no model has: {', '.join(unused)}")
    count = sum(len(combinations({n: v for n, v in sweep.items() if n in known[p]})) for p in args.models)
    if count > MAX_ROWS:
        raise LimitError(f"the comparison would have {count:,} rows; the limit is {MAX_ROWS:,}")
    rows: list[Row] = []
    labels = _labels(args.models)
    for path in args.models:
        mine = {n: v for n, v in sweep.items() if n in known[path]}
        for combo in combinations(mine):
            model = load_model(path, input_dims=args.input, sets=[f"{n}={v}" for n, v in combo.items()])
            try:
                rows.append(compare_row(labels[path], {n: parse(v, {}) for n, v in combo.items()}, model))
            except SymcnnError as exc:
                raise exc.within(file=path) from None
    print(compare.render(rows, args.format))
    return 0


def _labels(paths: list[str]) -> dict[str, str]:
    """Each file's label: its stem, or its path where two stems are the same."""
    stems = [Path(p).stem for p in paths]
    return {p: (s if stems.count(s) == 1 else p) for p, s in zip(paths, stems)}
