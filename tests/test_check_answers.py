"""Realistic wrong answers (tests/fixtures/check/answers.csv): every verdict right, the real mistake named.

Each row of the table holds a student's entry, worked by the wrong rule written beside it
("k·k·F + F: the 64 input channels left out"), the verdict that entry deserves and the name of
the mistake (a name from symcnn.check.mistakes.PRIORS). The rows were worked out by hand from
the rule, not copied from symcnn; a teacher can add rows.

Run ``PYTHONPATH=. python tests/test_check_answers.py`` to print every row's diagnosis and the rate of
mistakes named right.
"""

from __future__ import annotations

import csv
import functools
from pathlib import Path

import pytest

import symcnn
from symcnn.check import ValueCheck, check_value
from symcnn.check.mistakes import PRIORS

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "check"
ANSWERS = FIXTURES / "answers.csv"
NAMED_RIGHT_AT_LEAST = 0.9
# names of diagnoses that are not mistakes of a layer's rule
OTHER_NAMES = {"arithmetic slip", "wrong working", "no known mistake", "rank of the shape", "right only at the default sizes"}


def rows() -> list[dict[str, str]]:
    with ANSWERS.open(encoding="utf-8") as fh:
        return [{k.split(" ")[0]: v for k, v in row.items()} for row in csv.DictReader(fh)]


@functools.cache
def model(name: str) -> symcnn.Model:
    path = ROOT / "examples" / f"{name}.yaml"
    return symcnn.load(path if path.exists() else FIXTURES / f"{name}.yaml")


def checked(row: dict[str, str]) -> ValueCheck:
    return check_value(model(row["model"]), row["layer"], row["quantity"], row["entry"])


def row_id(row: dict[str, str]) -> str:
    return f"{row['model']}-{row['layer']}-{row['quantity']}-{row['entry'][:24]}"


ROWS = rows()
WRONG = [r for r in ROWS if r["verdict"] != "right"]


def test_the_table_is_large_and_uses_known_mistake_names() -> None:
    assert len(WRONG) >= 80
    unknown = {r["mistake"] for r in WRONG} - set(PRIORS) - OTHER_NAMES
    assert not unknown, f"mistake names not in PRIORS: {unknown}"
    models = {r["model"] for r in WRONG}
    assert {"seed", "torch_net", "torch_mix", "seq_net", "deconv"} <= models


@pytest.mark.parametrize("row", ROWS, ids=row_id)
def test_every_verdict_is_right(row: dict[str, str]) -> None:
    value = checked(row)
    assert value.verdict == row["verdict"], f"{row['entry']!r}: {value.verdict}, not {row['verdict']}; {value.diagnosis}"
    if row["verdict"] != "right":
        assert value.diagnoses, "a wrong value must say why"


def measure() -> tuple[int, int, list[tuple[dict[str, str], ValueCheck]]]:
    """(named right, misleading, every wrong row with its check)."""
    named = misleading = 0
    out = []
    for row in WRONG:
        value = checked(row)
        out.append((row, value))
        if value.mistake == row["mistake"]:
            named += 1
        elif value.mistake not in (None, "no known mistake", "rank of the shape"):
            misleading += 1
    return named, misleading, out


def test_the_real_mistake_is_named_in_nine_rows_of_ten_and_none_is_misleading() -> None:
    named, misleading, out = measure()
    wrong_names = [(r["entry"], r["mistake"], v.mistake) for r, v in out if v.mistake != r["mistake"]]
    assert misleading == 0, wrong_names
    assert named / len(WRONG) >= NAMED_RIGHT_AT_LEAST, wrong_names


def test_every_wrong_answer_shows_the_right_value_and_how_it_was_checked() -> None:
    for row, value in measure()[2]:
        text = "\n".join(value.lines())
        assert "expected:" in text
        if row["quantity"] in ("params", "trainable", "non_trainable") and value.expected != 0:
            assert value.working, f"{row_id(row)}: no right working shown"


if __name__ == "__main__":
    n, bad, results = measure()
    for row, value in results:
        mark = "ok " if value.mistake == row["mistake"] else "BAD" if value.mistake not in (None, "no known mistake") else "---"
        print(f"{mark} {row_id(row)}: want {row['mistake']!r}, got {value.mistake!r}\n      {value.diagnosis}")
    print(f"\nnamed right: {n}/{len(results)} = {n / len(results):.1%}; misleading: {bad}")
