"""``symcnn check``: one layer's values or a whole table, as report text and an exit status."""

from __future__ import annotations

from ..errors import ArgumentError
from ..model import Model
from .core import check
from .results import report
from .tables import check_table


def check_command(
    model: Model,
    *,
    layer: str | None,
    params: str | None,
    shape: str | None,
    macs: str | None,
    table: str | None,
    trainable: str | None = None,
    non_trainable: str | None = None,
    convention: str = "torchinfo",
) -> tuple[str, int]:
    """``symcnn check``: the report text and the exit status (0 all right, 1 something wrong)."""
    values = {"params": params, "shape": shape, "macs": macs, "trainable": trainable, "non_trainable": non_trainable}
    given = {k: v for k, v in values.items() if v is not None}
    if table is not None:
        if layer is not None or given:
            raise ArgumentError("give either --table FILE or --layer NAME with values, not both")
        results = check_table(model, table, convention=convention)
    else:
        if layer is None:
            raise ArgumentError("--layer NAME is needed (or --table FILE)")
        if not given:
            raise ArgumentError("give a value to check: --params, --shape or --macs")
        results = [check(model, layer, convention=convention, **given)]
    return report(results), 0 if all(r.correct for r in results) else 1
