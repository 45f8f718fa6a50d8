"""``symcnn check``: one layer's values, a whole table or a class's tables, as a report and an exit status."""

from __future__ import annotations

from collections.abc import Sequence

from ..errors import ArgumentError
from ..model import Model
from .core import check
from .grading import FORMATS, ClassReport, grade_class
from .results import report
from .tables import grade_table


def check_command(
    model: Model,
    *,
    layer: str | None,
    params: str | None,
    shape: str | None,
    macs: str | None,
    table: str | Sequence[str] | None,
    trainable: str | None = None,
    non_trainable: str | None = None,
    convention: str = "torchinfo",
    fmt: str = "text",
) -> tuple[str, int]:
    """``symcnn check``: the report text and the exit status (0 all right, 1 something wrong).

    ``table`` is one table or several (a class's): each is graded, and with several the report
    ends with the class's mistakes, counted. ``fmt`` is one of FORMATS.
    """
    if fmt not in FORMATS:
        raise ArgumentError(f"--format must be one of {', '.join(FORMATS)}, got {fmt!r}")
    values = {"params": params, "shape": shape, "macs": macs, "trainable": trainable, "non_trainable": non_trainable}
    given: dict[str, str] = {k: v for k, v in values.items() if v is not None}
    if table is not None:
        if layer is not None or given:
            raise ArgumentError("give either --table FILE or --layer NAME with values, not both")
        paths = [table] if isinstance(table, str) else list(table)
        if not paths:
            raise ArgumentError("--table needs at least one file")
        if len(paths) == 1:  # one table: any problem with it is the command's error
            graded: ClassReport = ClassReport(str(model.name), [grade_table(model, paths[0], convention=convention)])
            if fmt == "text":
                return graded.tables[0].report(), 0 if graded.correct else 1
        else:  # a class: a table that cannot be read is reported, the others graded (exit status 2)
            graded = grade_class(model, paths, convention=convention)
        status = 2 if graded.errors else 0 if graded.correct else 1
        return graded.render(fmt), status
    if fmt != "text":
        raise ArgumentError("--format is for --table: give one or more tables to grade")
    if layer is None:
        raise ArgumentError("--layer NAME is needed (or --table FILE)")
    if not given:
        raise ArgumentError("give a value to check: --params, --shape or --macs")
    results = [check(model, layer, convention=convention, **given)]  # type: ignore[arg-type]
    return report(results), 0 if all(r.correct for r in results) else 1
