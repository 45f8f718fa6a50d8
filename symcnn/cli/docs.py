"""``symcnn docs``: write (and build or serve) a worked-solution mkdocs site."""

from __future__ import annotations

import argparse
from typing import Any

from ..errors import ArgumentError
from .common import load_model, model_options

NAME = "docs"
MAX_TITLE = 200


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="write (and build) a worked-solution mkdocs site")
    p.add_argument("models", nargs="+", metavar="MODEL")
    model_options(p)
    p.add_argument("-o", "--output", required=True, metavar="DIR")
    p.add_argument("--build", action="store_true", help="run mkdocs build")
    p.add_argument("--serve", action="store_true", help="run mkdocs serve")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder (only symcnn's own files)")
    p.add_argument("--templates", metavar="DIR", help="a folder of Jinja2 templates overriding the built-in ones")
    course = p.add_argument_group("for a course")
    course.add_argument("--title", metavar="TEXT", help="the site's title (default: symcnn and the model names)")
    course.add_argument("--no-macs", action="store_true", help="leave out multiply-accumulate counts (MACs)")
    course.add_argument("--no-charts", action="store_true", help="leave out the charts")
    course.add_argument("--exercise", action="store_true",
                        help="also write a printable worksheet (answers left blank) and a solutions page per model")
    course.add_argument("--hide-formulas", action="store_true",
                        help="with --exercise: do not give the formulas to use on the worksheet")


def run(args: argparse.Namespace) -> int:
    from ..render.site import docs_command  # loaded for this command only (Jinja2, mkdocs)
    from ..render.teaching import PageOptions

    if args.hide_formulas and not args.exercise:
        raise ArgumentError("--hide-formulas is for worksheets: add --exercise")
    title = None if args.title is None else " ".join(args.title.split())
    if title is not None and not title:
        raise ArgumentError("--title must not be empty")
    if title is not None and len(title) > MAX_TITLE:
        raise ArgumentError(f"--title is {len(title)} characters long; the limit is {MAX_TITLE}")
    options = PageOptions(title=title, macs=not args.no_macs, charts=not args.no_charts, exercise=args.exercise,
                          formulas=not args.hide_formulas)
    models = [load_model(m, input_dims=args.input, sets=args.set, apply_defaults=False) for m in args.models]
    print(docs_command(models, args.output, build=args.build, serve=args.serve, force=args.force,
                       templates=args.templates, options=options))
    return 0
