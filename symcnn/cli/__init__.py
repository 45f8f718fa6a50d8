"""The ``symcnn`` command: argument parsing and error-to-exit-status mapping, nothing else.

Each command is a module of this package with ``NAME``, ``add_parser(subparsers)`` and
``run(args) -> exit status``; adding a command is one module and one entry in ``COMMANDS``.

Exit status: 0 success, 1 a checked hand calculation is wrong, 2 bad input (one line on stderr).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from ..errors import ArgumentError, LimitError, SymcnnError
from . import check, compare, docs, formula, layers, memory, receptive, solve, summary
from .common import Parser

COMMANDS = (summary, formula, check, docs, compare, solve, memory, receptive, layers)
# Python refuses to print whole numbers of more than 4,300 digits (a guard against slow parsing).
# Every reader bounds the numbers it parses itself, and a count can be a product of several
# sizes, so the command line prints up to this many digits; beyond, it is a LimitError.
PRINTED_DIGITS = 100_000


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(prog="symcnn", description="Shapes, parameters and MACs of neural networks as SymPy formulas.")
    parser.add_argument("--version", action="store_true", help="print the version and exit")
    sub = parser.add_subparsers(dest="command", parser_class=Parser)
    for command in COMMANDS:
        command.add_parser(sub)
    return parser


def run(argv: Sequence[str] | None = None) -> int:
    """Run the command line; returns the exit status. Raises SymcnnError for bad input."""
    args = build_parser().parse_args(argv)
    if args.version:
        from .. import __version__

        print(__version__)
        return 0
    if args.command is None:
        names = ", ".join(c.NAME for c in COMMANDS)
        raise ArgumentError(f"no command given: use one of {names} (see symcnn --help)")
    by_name = {c.NAME: c for c in COMMANDS}
    return by_name[args.command].run(args)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point: bad input is one line on stderr and exit status 2, never a traceback."""
    digits = sys.get_int_max_str_digits() if hasattr(sys, "get_int_max_str_digits") else 0
    if 0 < digits < PRINTED_DIGITS:
        sys.set_int_max_str_digits(PRINTED_DIGITS)
    try:
        return _main(argv)
    finally:
        if 0 < digits < PRINTED_DIGITS:
            sys.set_int_max_str_digits(digits)


def _main(argv: Sequence[str] | None) -> int:
    try:
        status = run(argv)
    except SymcnnError as exc:
        print(f"symcnn: error: {exc}", file=sys.stderr)
        return exc.exit_code
    except ValueError as exc:
        if "int_max_str_digits" not in str(exc):
            return _bug()
        error = LimitError(f"a number in the result has more than {PRINTED_DIGITS:,} digits; symcnn prints up to "
                           f"{PRINTED_DIGITS:,} (PRINTED_DIGITS): use smaller sizes")
        print(f"symcnn: error: {error}", file=sys.stderr)
        return error.exit_code
    except MemoryError:
        print("symcnn: error: the input needs more memory than this machine has", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("symcnn: interrupted", file=sys.stderr)
        return 130
    except BrokenPipeError:
        return 0
    except RecursionError:
        print("symcnn: error: input nested too deeply to process", file=sys.stderr)
        return 2
    except Exception:  # noqa: BLE001  (a bug: show the traceback and ask for a report)
        return _bug()
    sys.stdout.flush()
    return status


def _bug() -> int:
    import traceback

    traceback.print_exc()
    print("symcnn: internal error (a bug): please report it with the traceback above", file=sys.stderr)
    return 3


__all__ = ["COMMANDS", "build_parser", "main", "run"]

if __name__ == "__main__":
    sys.exit(main())
