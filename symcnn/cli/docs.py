"""``symcnn docs``: write (and build or serve) a worked-solution mkdocs site."""

from __future__ import annotations

import argparse
from typing import Any

from .common import load_model, model_options

NAME = "docs"


def add_parser(sub: Any) -> None:
    p = sub.add_parser(NAME, help="write (and build) a worked-solution mkdocs site")
    p.add_argument("models", nargs="+", metavar="MODEL")
    model_options(p)
    p.add_argument("-o", "--output", required=True, metavar="DIR")
    p.add_argument("--build", action="store_true", help="run mkdocs build")
    p.add_argument("--serve", action="store_true", help="run mkdocs serve")
    p.add_argument("--force", action="store_true", help="write into a non-empty folder (only symcnn's own files)")
    p.add_argument("--templates", metavar="DIR", help="a folder of Jinja2 templates overriding the built-in ones")


def run(args: argparse.Namespace) -> int:
    from ..render.site import docs_command  # loaded for this command only (Jinja2, mkdocs)

    models = [load_model(m, input_dims=args.input, sets=args.set, apply_defaults=False) for m in args.models]
    print(docs_command(models, args.output, build=args.build, serve=args.serve, force=args.force,
                       templates=args.templates))
    return 0
