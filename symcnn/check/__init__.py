"""Check a hand calculation against the exact value, and name the likely mistake.

A student's entry (a number, arithmetic as people write it, or a formula in the
model's symbols) is read by :func:`symcnn.expr.parse` only. A formula is compared
as a formula, for all values of its symbols. When the entry is wrong, each known
mistake is recomputed from the layer's own hyperparameters (the table
:data:`MISTAKES`, plus every shape mistake of the layers upstream carried forward)
and the ones that give the student's value are named.

Modules, in the order data flows:

- ``notation``: what people type (LaTeX, 1 605 760, 6.4e2, "640 params") in the parser's syntax;
- ``entry``: reading the student's entry, its working and its result; ``find``: the layer a label names;
- ``compare``: comparing values (exactly, or as formulas by a proof, else at points chosen to break them);
- ``mistakes`` (the MISTAKES table and how common each mistake is), with ``weight_mistakes``,
  ``shape_mistakes`` and ``recurrent_mistakes``;
- ``alternatives``: a layer's value under each mistake, its own or carried from upstream;
- ``diagnose``: naming the mistake behind a wrong value; ``working``: the right working;
- ``core``: check_value and check; ``tables``: a whole table (``totals``: its totals rows);
- ``grading``: a class's tables, and the teacher's report; ``command``: ``symcnn check``;
- ``results``: what a check returns and how it prints; ``fmt``: values written as a student would.

>>> import symcnn
>>> model = symcnn.load("examples/seed.yaml")
>>> result = check(model, "conv2d_1", params="3x64x64 + 64")
>>> result.correct
False
>>> print(result.values[0].diagnoses[0])
kernel area taken as K (3) instead of K² (3×3 = 9): 3×64×64 + 64 = 12352
"""

from __future__ import annotations

from .command import check_command
from .core import check, check_value
from .find import find_layer
from .fmt import LABELS, QUANTITIES
from .mistakes import MISTAKES, Mistake
from .results import VERDICTS, CheckResult, Diagnosis, ValueCheck, report
from .tables import MAX_TABLE_BYTES, MAX_TABLE_ROWS, TableReport, check_table, grade_table, read_table

__all__ = [
    "LABELS",
    "MAX_TABLE_BYTES",
    "MAX_TABLE_ROWS",
    "MISTAKES",
    "QUANTITIES",
    "VERDICTS",
    "CheckResult",
    "Diagnosis",
    "Mistake",
    "TableReport",
    "ValueCheck",
    "check",
    "check_command",
    "check_table",
    "check_value",
    "find_layer",
    "grade_table",
    "read_table",
    "report",
]
