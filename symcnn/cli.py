"""The ``symcnn`` command: argument parsing and error-to-exit-status mapping, nothing else.

Exit status: 0 success, 1 a checked hand calculation is wrong, 2 bad input (one line on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import Any, NoReturn

from .errors import ArgumentError, ParseError, SymcnnError

FORMATS = ("table", "json", "markdown", "latex")


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        raise ArgumentError(f"{self.prog}: {message}")


def _model_options(p: argparse.ArgumentParser) -> None:
    p.add_argument("--set", action="append", default=[], metavar="NAME=VALUE",
                   help="give a symbol a value (repeatable), e.g. --set F=64")
    p.add_argument("--input", metavar="DIMS",
                   help="replace the input shape, e.g. 'H,W,3' (channels-first with batch, 'N,3,H,W', for torch/ONNX models)")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(prog="symcnn", description="Shapes, parameters and MACs of neural networks as SymPy formulas.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=_Parser)

    p = sub.add_parser("summary", help="a Keras-style summary table with MACs")
    p.add_argument("model")
    _model_options(p)
    p.add_argument("--format", choices=FORMATS, default="table")
    p.add_argument("--convention", choices=("torchinfo", "fvcore"), default="torchinfo", help="MAC counting convention")

    p = sub.add_parser("formula", help="closed forms of the totals in the free symbols")
    p.add_argument("model")
    _model_options(p)
    p.add_argument("--format", choices=("text", "latex"), default="text")

    p = sub.add_parser("check", help="check a hand calculation and diagnose the mistake")
    p.add_argument("model")
    _model_options(p)
    p.add_argument("--layer")
    what = p.add_mutually_exclusive_group()
    what.add_argument("--params", metavar="EXPR")
    what.add_argument("--shape", metavar="DIMS")
    what.add_argument("--macs", metavar="EXPR")
    what.add_argument("--trainable", metavar="EXPR", help="the trainable parameters only")
    what.add_argument("--non-trainable", metavar="EXPR", help="the non-trainable parameters only")
    what.add_argument("--table", metavar="FILE", help="a CSV or Markdown table: layer, output shape, params")
    p.add_argument("--convention", choices=("torchinfo", "fvcore"), default="torchinfo", help="for --macs")

    p = sub.add_parser("docs", help="write (and build) a worked-solution mkdocs site")
    p.add_argument("models", nargs="+", metavar="MODEL")
    _model_options(p)
    p.add_argument("-o", "--output", required=True, metavar="DIR")
    p.add_argument("--build", action="store_true", help="run mkdocs build")
    p.add_argument("--serve", action="store_true", help="run mkdocs serve")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder (only symcnn's own files)")
    p.add_argument("--templates", metavar="DIR", help="a folder of Jinja2 templates overriding the built-in ones")
    return parser


def load_model(path: str, *, input_dims: str | None = None, sets: Sequence[str] = (), apply_defaults: bool = True) -> Any:
    """Read a model file and apply --input, then --set, then (optionally) the file's default symbol values."""
    from .expr import parse, parse_dims
    from .io import load

    model = load(path)
    try:
        if input_dims is not None:
            model = _replace_input(model, input_dims, parse_dims)
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


def _replace_input(model: Any, text: str, parse_dims: Any) -> Any:
    shapes = []
    for part in text.split(";"):
        dims = parse_dims(part)
        if model.convention == "keras":
            dims = [None, *dims]
        shapes.append(tuple(dims))
    return model.with_input(*shapes)


def _formula(model: Any, fmt: str) -> str:
    import sympy

    from .render.text import expr_text, number_text

    totals = [
        ("total_params", model.total_params),
        ("trainable_params", model.trainable_params),
        ("non_trainable_params", model.non_trainable_params),
        ("macs_torchinfo", model.macs("torchinfo")),
        ("macs_fvcore", model.macs("fvcore")),
    ]
    if fmt == "latex":
        lines = [r"\mathrm{" + n.replace("_", r"\_") + "} = " + sympy.latex(v) for n, v in totals]
        conds = [sympy.latex(c.condition) for c in model.constraints]
        if conds:
            lines.append(r"\text{valid when } " + r",\ ".join(conds))
        return "\n".join(lines)
    lines = [f"{n} = {expr_text(v)}" for n, v in totals]
    free = sorted(s.name for s in model.free_symbols)
    lines.append(f"symbols: {', '.join(free) if free else 'none'}")
    for c in model.constraints:
        lines.append(f"requires: {expr_text(c.condition)}   (first needed at layer {c.layer})")
    if model.defaults and free:
        at = model.with_defaults()
        shown = ", ".join(f"{s.name}={v}" for s, v in sorted(model.defaults.items(), key=lambda kv: kv[0].name))
        lines.append(f"at {shown}: total_params = {number_text(at.total_params)}, macs_torchinfo = {number_text(at.total_macs)}")
    return "\n".join(lines)


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status. Raises SymcnnError for bad input."""
    args = build_parser().parse_args(argv)
    if args.version:
        from . import __version__

        print(__version__)
        return 0
    if args.command is None:
        raise ArgumentError("no command given: use one of summary, formula, check, docs (see symcnn --help)")
    if args.command == "summary":
        from .render import summary

        model = load_model(args.model, input_dims=args.input, sets=args.set)
        printers = {"table": summary.table, "json": summary.to_json, "markdown": summary.markdown, "latex": summary.latex}
        try:  # MACs are computed while printing: name the file if one cannot be
            print(printers[args.format](model, convention=args.convention))
        except SymcnnError as exc:
            raise exc.within(file=args.model) from None
        return 0
    if args.command == "formula":
        model = load_model(args.model, input_dims=args.input, sets=args.set, apply_defaults=False)
        try:
            print(_formula(model, args.format))
        except SymcnnError as exc:
            raise exc.within(file=args.model) from None
        return 0
    if args.command == "check":
        from .check import check_command

        given = (args.params, args.shape, args.macs, args.trainable, args.non_trainable)
        if args.table is None and (args.layer is None or all(v is None for v in given)):
            raise ArgumentError(
                "check needs --layer NAME with one of --params, --shape, --macs, --trainable, --non-trainable, or --table FILE"
            )
        # symbols stay open: a formula is checked for all values; a number is checked at the defaults
        model = load_model(args.model, input_dims=args.input, sets=args.set, apply_defaults=False)
        text, status = check_command(model, layer=args.layer, params=args.params, shape=args.shape,
                                     macs=args.macs, table=args.table, trainable=args.trainable,
                                     non_trainable=args.non_trainable, convention=args.convention)
        print(text)
        return status
    if args.command == "docs":
        from .render.site import docs_command

        models = [load_model(m, input_dims=args.input, sets=args.set, apply_defaults=False) for m in args.models]
        print(docs_command(models, args.output, build=args.build, serve=args.serve, force=args.force,
                           templates=args.templates))
        return 0
    raise ParseError(f"unknown command {args.command!r}")


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: bad input is one line on stderr and exit status 2, never a traceback."""
    try:
        status = run(argv)
    except SymcnnError as exc:
        print(f"symcnn: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        print("symcnn: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except RecursionError:
        print("symcnn: error: input nested too deeply to process", file=sys.stderr)
        return 2
    except Exception:  # noqa: BLE001  (a bug: show the traceback and ask for a report)
        import traceback

        traceback.print_exc()
        print("symcnn: internal error (a bug): please report it with the traceback above", file=sys.stderr)
        return 3
    sys.stdout.flush()
    return status


if __name__ == "__main__":
    sys.exit(main())
