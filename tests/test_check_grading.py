"""Whole tables and whole classes: totals rows, missing rows, Keras's names, one mistake counted once.

The right values are the tutorial's (seed) and Keras's own counts (strided_bn: 18,594 parameters,
32 of them non-trainable, as tests/test_check.py's slow test confirms against Keras). Each
student's wrong cell is worked by the wrong rule named beside it; the mistakes carried into
later rows are worked by the right rule from the student's wrong value.
"""

from __future__ import annotations

import functools
import json
import random
import subprocess
import sys
from pathlib import Path

import pytest

import symcnn
from symcnn.check import grade_table
from symcnn.check.grading import grade_class

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures" / "check"
SEED = ROOT / "examples" / "seed.yaml"


@functools.cache
def model(name: str) -> symcnn.Model:
    path = ROOT / "examples" / f"{name}.yaml"
    return symcnn.load(path if path.exists() else FIXTURES / f"{name}.yaml")


def run_cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "symcnn", "check", *args], capture_output=True, text=True, timeout=120, cwd=ROOT, check=False
    )


# ---- totals, missing rows, Keras's names -------------------------------------------------------------

STRIDED = """| Layer (type) | Output Shape | Param # |
|---|---|---|
| Conv2D | (None, 17, 17, 16) | 5 x 5 x 3 x 16 |
| BN | (None, 17, 17, 16) | 4 x 16 |
| Conv2D | (None, 7, 7, 32) | (4 x 4 x 16 + 1) x 32 |
| MaxPool | (None, 3, 3, 32) | 0 |
| Conv | (None, 3, 3, 24) | (3 x 3 x 32 + 1) x 24 |
| FC | (None, 10) | 216 x 10 + 10 |

Total params: {total} (72.63 KB)
Trainable params: {trainable} (72.51 KB)
Non-trainable params: {frozen} (128.00 B)
"""


def test_totals_missing_rows_and_keras_names_are_read(tmp_path: Path) -> None:
    path = tmp_path / "student.md"
    path.write_text(STRIDED.format(total="18,594", trainable="18,562", frozen="32"))
    graded = grade_table(model("strided_bn"), path)
    assert graded.correct, graded.report()
    assert [r.layer for r in graded.results] == ["stem", "bn", "conv_b", "pool", "dil", "head"]
    assert [r.name for r in graded.missing] == ["relu", "flat"]  # no rows: reported, not an error
    assert "relu (ReLU: it has no parameters)" in graded.report()
    assert graded.totals is not None and [v.quantity for v in graded.totals.values] == ["params", "trainable", "non_trainable"]


@pytest.mark.parametrize(
    ("total", "trainable", "frozen", "wrong", "mistake"),
    [
        ("18,562", "18,562", "32", "params", "non-trainable left out of the total"),  # 18594 − 32
        ("18,594", "18,594", "32", "trainable", "non-trainable counted as trainable"),
        ("18,594", "18,562", "0", "non_trainable", "moving statistics left out"),
    ],
)
def test_a_wrong_total_is_named(tmp_path: Path, total: str, trainable: str, frozen: str, wrong: str, mistake: str) -> None:
    path = tmp_path / "student.md"
    path.write_text(STRIDED.format(total=total, trainable=trainable, frozen=frozen))
    graded = grade_table(model("strided_bn"), path)
    assert graded.totals is not None
    bad = [v for v in graded.totals.values if not v.correct]
    assert [v.quantity for v in bad] == [wrong] and bad[0].mistake == mistake


def test_a_total_that_sums_wrong_rows_is_carried_forward(tmp_path: Path) -> None:
    path = tmp_path / "student.csv"
    # conv2d_1 without its input channels (3·3·64 + 64 = 640); the total adds the student's own rows
    path.write_text("Layer,Param #\nConv2D,640\nConv2D,3*3*64 + 64\nDense,1605760\nDense,516\nTotal,640 + 640 + 1605760 + 516\n")
    graded = grade_table(model("seed"), path)
    assert graded.totals is not None
    (total,) = graded.totals.values
    assert total.verdict == "carried forward" and "conv2d_1" in total.diagnosis
    assert graded.summary() == "1 mistake, 1 value carried forward"


def test_rows_labelled_by_type_skip_the_layers_without_a_row(tmp_path: Path) -> None:
    path = tmp_path / "student.csv"
    path.write_text("Layer,Param #\nConv2D,640\nConv2D,36928\nDense,1605760\nDense,516\n")
    graded = grade_table(model("seed"), path)
    assert [r.layer for r in graded.results] == ["conv2d", "conv2d_1", "dense", "dense_1"] and graded.correct
    assert {r.name for r in graded.missing} == {"max_pooling2d", "max_pooling2d_1", "flatten"}


# ---- the student's own rows: followed, never contradicted ----------------------------------------------


def test_a_diagnosis_never_contradicts_the_students_other_rows(tmp_path: Path) -> None:
    path = tmp_path / "student.md"
    path.write_text(
        "| Layer | Output shape | Params |\n|---|---|---|\n"
        "| 1. Conv2D | (62, 62, 64) | 640 |\n"
        "| 3. Conv2D | (29, 29, 64) | 3*3*1*64 + 64 |\n"  # the input's 1 channel, not conv2d's 64
    )
    (_, second) = grade_table(model("seed"), path).results
    params = second["params"]
    assert params.mistake == "input channels left out"
    assert "conv2d (Conv2D)" not in params.diagnosis  # their conv2d row has 64 channels: not an upstream mistake


def test_a_mistake_the_students_rows_show_is_followed_and_counted_once(tmp_path: Path) -> None:
    path = tmp_path / "student.md"
    path.write_text(
        "| Layer | Output shape | Params |\n|---|---|---|\n"
        "| 1. Conv2D | (62, 62, 1) | 640 |\n"  # one channel out: input and output channels swapped
        "| 3. Conv2D | (29, 29, 64) | 3*3*1*64 + 64 |\n"  # right for the 1 channel they had
    )
    graded = grade_table(model("seed"), path)
    first, second = graded.results
    assert first["shape"].mistake == "input and output channels swapped"
    assert second["params"].verdict == "carried forward" and "your row for conv2d" in second["params"].diagnosis
    assert graded.summary() == "1 mistake, 1 value carried forward"


# ---- a class: 24 generated tables with known mistakes --------------------------------------------------

# The tutorial's table (its images 3-8), right in every cell: (label, output shape, params)
RIGHT = [
    ("1. Conv2D", "(62, 62, 64)", "(3² x 64 x 1) + 64"),
    ("2. maxpooling2D", "(31, 31, 64)", "0"),
    ("3. Conv2D", "(29, 29, 64)", "(3² x 64 x 64) + 64"),
    ("4. maxpooling2D", "(14, 14, 64)", "0"),
    ("5. flatten", "14 x 14 x 64 = 12544", ""),
    ("6. Dense layer 1", "(None, 128)", "(12544 x 128) + 128"),
    ("7. Dense layer 2", "(None, 4)", "128 x 4 + 4"),
]
NAMES = ["conv2d", "max_pooling2d", "conv2d_1", "max_pooling2d_1", "flatten", "dense", "dense_1"]

# mistake -> the cells it changes: (row, column) -> (the wrong entry, "own" or "carried")
KINDS: dict[str, dict[tuple[int, str], tuple[str, str]]] = {
    "kernel area taken as K": {(2, "params"): ("(3 x 64 x 64) + 64", "own")},  # K·C·F + F
    "input channels left out": {(2, "params"): ("3 x 3 x 64 + 64", "own")},  # K²·F + F
    "bias left out": {(5, "params"): ("12544 x 128", "own")},
    "one filter only": {(6, "params"): ("128 + 1", "own")},  # one unit: I + 1
    "parameters for a layer that has none": {(1, "params"): ("2 x 2 x 64", "own")},  # window × channels
    "floor forgotten": {  # 14.5 rounded up to 15, then carried into Flatten and Dense
        (3, "shape"): ("(15, 15, 64)", "own"),
        (4, "shape"): ("15 x 15 x 64 = 14400", "carried"),
        (5, "params"): ("(14400 x 128) + 128", "carried"),
    },
    "stride forgotten": {  # 62 − 2 + 1 = 61, then 61 − 3 + 1 = 59, ⌊(59 − 2)/2⌋ + 1 = 29
        (1, "shape"): ("(61, 61, 64)", "own"),
        (2, "shape"): ("(59, 59, 64)", "carried"),
        (3, "shape"): ("(29, 29, 64)", "carried"),
        (4, "shape"): ("29 x 29 x 64 = 53824", "carried"),
        (5, "params"): ("(53824 x 128) + 128", "carried"),
    },
    "input and output channels swapped": {(0, "shape"): ("(62, 62, 1)", "own"), (1, "shape"): ("(31, 31, 1)", "carried")},
}


# after conv2d's channels swapped (1 channel out), conv2d_1's 3·3·1·64 + 64 equals 3·3·64 + 64: one value, two readings
SAME_VALUE = {frozenset({"input and output channels swapped", "input channels left out"})}


def students(n: int) -> list[dict[str, str]]:
    """n students' choices of at most two mistakes (that touch different cells), drawn with a fixed seed."""
    rng = random.Random(12)
    names = sorted(KINDS)
    out = []
    for i in range(n):
        chosen: dict[str, str] = {}
        for name in rng.sample(names, [0, 1, 2, 1, 2, 2][i % 6]):  # 4 in 24 make none
            clash = any(cell in KINDS[other] for other in chosen for cell in KINDS[name])
            if not clash and not any(frozenset({name, other}) in SAME_VALUE for other in chosen):
                chosen[name] = name
        out.append(chosen)
    return out


def write_table(path: Path, mistakes: dict[str, str]) -> None:
    cells = {(i, q): v for i, row in enumerate(RIGHT) for q, v in (("shape", row[1]), ("params", row[2]))}
    for name in mistakes:
        for cell, (entry, _) in KINDS[name].items():
            cells[cell] = entry
    if path.suffix == ".md":
        lines = ["| Layer | o/p shape | Total parameters |", "|---|---|---|"]
        lines += [f"| {row[0]} | {cells[(i, 'shape')]} | {cells[(i, 'params')]} |" for i, row in enumerate(RIGHT)]
    else:
        lines = ["Layer,o/p shape,Total parameters"]
        lines += [f'{row[0]},"{cells[(i, "shape")]}","{cells[(i, "params")]}"' for i, row in enumerate(RIGHT)]
    path.write_text("\n".join(lines) + "\n")


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> list[tuple[Path, dict[str, str]]]:
    folder = tmp_path_factory.mktemp("class")
    out = []
    for i, chosen in enumerate(students(24)):
        path = folder / f"student_{i:02d}{'.md' if i % 2 else '.csv'}"
        write_table(path, chosen)
        out.append((path, chosen))
    assert sum(1 for _, c in out if c) >= 20 and sum(1 for _, c in out if len(c) == 2) >= 5
    return out


def test_a_class_is_graded_in_one_run_as_json(classroom: list[tuple[Path, dict[str, str]]]) -> None:
    proc = run_cli(str(SEED), "--table", *(str(p) for p, _ in classroom), "--format", "json")
    assert proc.returncode == 1, proc.stderr
    report = json.loads(proc.stdout)
    assert [t["file"] for t in report["tables"]] == [str(p) for p, _ in classroom]
    for table, (path, chosen) in zip(report["tables"], classroom):
        rows = {(NAMES.index(r["layer"]), r["quantity"]): r for r in table["rows"]}
        expected = {cell: (name, how) for name in chosen for cell, (_, how) in KINDS[name].items()}
        for cell, row in rows.items():
            if cell not in expected:
                assert row["verdict"] == "right", (path.name, cell, row)
                continue
            name, how = expected[cell]
            assert row["verdict"] == ("wrong" if how == "own" else "carried forward"), (path.name, cell, row)
            assert row["expected"] and row["diagnosis"]
            if how == "own":
                assert row["mistake"] == name, (path.name, cell, row["diagnosis"])
        own = sum(1 for name in chosen for _, how in KINDS[name].values() if how == "own")
        carried = sum(1 for name in chosen for _, how in KINDS[name].values() if how == "carried")
        assert (table["mistakes"], table["carried_forward"]) == (own, carried), path.name
    made = {name: sum(1 for _, c in classroom if name in c) for name in KINDS}
    summary = {m["mistake"]: m["students"] for m in report["summary"]["mistakes"]}
    assert summary == {name: k for name, k in made.items() if k}
    assert report["summary"]["students"] == 24
    assert report["summary"]["all_right"] == sum(1 for _, c in classroom if not c)


def test_the_teachers_report_in_markdown_and_html(classroom: list[tuple[Path, dict[str, str]]]) -> None:
    paths = [str(p) for p, _ in classroom]
    md = run_cli(str(SEED), "--table", *paths, "--format", "markdown")
    assert md.returncode == 1 and md.stdout.startswith("# Hand calculations checked: seed")
    assert "| mistake | students | times | where |" in md.stdout
    for p, _ in classroom:
        assert f"## {p.name}:" in md.stdout
    page = run_cli(str(SEED), "--table", *paths, "--format", "html")
    assert page.returncode == 1 and page.stdout.startswith("<!doctype html>") and "http" not in page.stdout
    assert page.stdout.count("<section>") == len(paths)


def test_the_report_escapes_what_students_wrote(tmp_path: Path) -> None:
    path = tmp_path / "<i>x&y.csv"
    path.write_text('Layer,Param #\nConv2D,"640"\nConv2D,"36928 <script>"\n')
    proc = run_cli(str(SEED), "--table", str(path), "--format", "html")
    assert proc.returncode == 2 and "<script>" not in proc.stdout  # the entry is refused, in one line
    path.write_text("Layer,Param #\nConv2D,640\nConv2D,3x64x64 + 64\n")
    page = grade_class(model("seed"), [path]).to_html()
    assert "<i>x" not in page and "&lt;i&gt;x&amp;y.csv" in page


def test_one_text_report_per_student_and_the_class_summary(classroom: list[tuple[Path, dict[str, str]]]) -> None:
    proc = run_cli(str(SEED), "--table", *(str(p) for p, _ in classroom[:3]))
    assert proc.returncode in (0, 1)
    assert proc.stdout.count("== ") == 3 and "class: 3 tables" in proc.stdout


def test_a_table_that_cannot_be_read_does_not_stop_the_class(tmp_path: Path) -> None:
    good, bad = tmp_path / "good.csv", tmp_path / "bad.csv"
    good.write_text("Layer,Param #\nConv2D,640\nConv2D,3x64x64 + 64\n")
    bad.write_text("Layer,Param #\nConv2D,640\nConv2D,six hundred\n")
    proc = run_cli(str(SEED), "--table", str(good), str(bad), "--format", "json")
    assert proc.returncode == 2 and len(proc.stderr.strip().splitlines()) == 1
    report = json.loads(proc.stdout)
    assert report["tables"][0]["mistakes"] == 1
    assert "unknown name" in report["tables"][1]["error"] and report["summary"]["unreadable"] == [str(bad)]
    single = run_cli(str(SEED), "--table", str(bad))  # one table: its problem is the command's error
    assert single.returncode == 2 and single.stderr.startswith("symcnn: error:") and not single.stdout
