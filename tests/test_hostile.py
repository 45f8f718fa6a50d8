"""Hostile and broken input: one clear line and exit status 2 every time, nothing executed, nothing lost.

Every case runs through the command line (``symcnn.cli.main`` in-process, and a
few as a real process) and through the library (``symcnn.load``). A user error
must be ONE line on stderr that starts ``symcnn: error:`` and names the file,
the layer (when there is one) and the problem, with exit status 2 and no
traceback. A real bug must still show its traceback and ask to be reported.
"""

from __future__ import annotations

import io
import json
import os
import random
import re
import subprocess
import sys
import time
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

import symcnn
from symcnn import errors as E
from symcnn.cli import main

REPO = Path(__file__).resolve().parent.parent
SEED_YAML = REPO / "examples" / "seed.yaml"
HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"


# ---- running the command line --------------------------------------------------------------


@dataclass
class Run:
    status: int
    out: str
    err: str


def cli(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    capsys.readouterr()
    status = main(list(argv))
    captured = capsys.readouterr()
    return Run(status, captured.out, captured.err)


def assert_user_error(run: Run, *, file: str | Path | None = None, layer: str | None = None,
                      problem: tuple[str, ...] = ()) -> str:
    """One line on stderr naming file, layer and problem; exit 2; nothing on stdout; no traceback."""
    assert run.status == 2, f"exit {run.status}, stderr:\n{run.err}"
    assert "Traceback" not in run.err
    lines = run.err.splitlines()
    assert len(lines) == 1, f"expected one line, got:\n{run.err}"
    line = lines[0]
    assert line.startswith("symcnn: error: "), line
    assert run.out == ""
    if file is not None:
        assert str(file) in line, f"file {file} not named in: {line}"
    if layer is not None:
        assert f"layer {layer!r}" in line, f"layer {layer!r} not named in: {line}"
    for word in problem:
        assert word.lower() in line.lower(), f"{word!r} not in: {line}"
    return line


def write(tmp_path: Path, text: str | bytes, name: str = "model.yaml") -> Path:
    path = tmp_path / name
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def model(*layers: str, input: str = "[8, 8, 3]", extra: str = "") -> str:
    """A YAML model with the given layer lines."""
    body = "".join(f"  - {line}\n" for line in layers)
    return f"name: hostile\ninput: {input}\n{extra}layers:\n{body}"


# ---- bad YAML models: (id, text, layer named in the message, problem words, error class) ----

YAML_CASES = [
    ("malformed-flow", "input: [8, 8\nlayers: [", None, ("malformed yaml",), E.ParseError),
    ("malformed-mapping", "input: [8]\n  layers: : [\n", None, ("malformed yaml",), E.ParseError),
    ("tab-indentation", "input: [8]\nlayers:\n\t- Flatten\n", None, ("yaml",), E.ParseError),
    ("not-a-mapping", "- Conv2D\n- Dense\n", None, ("mapping",), E.ParseError),
    ("a-bare-number", "42\n", None, ("mapping",), E.ParseError),
    ("only-a-comment", "# nothing here\n", None, ("mapping",), E.ParseError),
    ("unknown-top-key", model("Flatten", extra="layrs: 3\n"), None, ("unknown", "layrs"), E.ParseError),
    ("layers-not-a-list", "input: [8]\nlayers: 5\n", None, ("layers", "list"), E.ParseError),
    ("layers-empty", "input: [8]\nlayers: []\n", None, ("layers",), E.ParseError),
    ("input-missing", "layers: [Flatten]\n", None, ("input",), E.ParseError),
    ("layer-item-a-number", model("17"), None, ("layer #1", "17"), E.ParseError),
    ("layer-item-two-keys", model("{Dense: {units: 2}, Conv2D: {filters: 2}}"), None, ("layer #1",), E.ParseError),
    # unknown layers and arguments
    ("unknown-layer", model("Frobnicate: {units: 3, name: frob}"), "frob", ("unknown layer", "Frobnicate"),
     E.UnknownLayerError),
    ("input-layer-in-layers", model("InputLayer: {shape: [3], name: again}"), "again", ("InputLayer",),
     E.UnknownLayerError),
    ("unknown-argument", model("Dense: {units: 4, flavour: 3, name: d}"), "d", ("flavour",), E.ArgumentError),
    # wrong argument types
    ("units-a-list", model("Dense: {units: [4], name: d}"), "d", ("units", "[4]"), E.ArgumentError),
    ("units-a-mapping", model("Dense: {units: {a: 1}, name: d}"), "d", ("units",), E.ArgumentError),
    ("units-a-fraction", model("Dense: {units: 4.5, name: d}"), "d", ("units", "4.5"), E.ArgumentError),
    ("units-true", model("Dense: {units: true, name: d}"), "d", ("units", "True"), E.ArgumentError),
    ("padding-a-number", model("Conv2D: {filters: 4, kernel_size: 3, padding: 7, name: c}"), "c",
     ("padding", "7"), E.ArgumentError),
    ("use-bias-text", model("Dense: {units: 4, use_bias: maybe, name: d}"), "d", ("use_bias", "maybe"),
     E.ArgumentError),
    ("kernel-size-wrong-length", model("Conv2D: {filters: 4, kernel_size: [3, 3, 3], name: c}"), "c",
     ("kernel_size",), E.ArgumentError),
    ("kernel-size-nested", model("Conv2D: {filters: 4, kernel_size: [3, [3]], name: c}"), "c",
     ("kernel_size",), E.ArgumentError),
    ("name-a-number", model("Dense: {units: 4, name: 12}"), None, ("name", "12"), E.ArgumentError),
    ("convention-unknown", model("Flatten", extra="convention: caffe\n"), None, ("convention", "caffe"),
     E.ArgumentError),
    ("model-name-a-list", model("Flatten", extra="description: [1, 2]\n"), None, ("description",), E.ParseError),
    # negative, zero sizes
    ("units-negative", model("Dense: {units: -3, name: d}"), "d", ("units", "-3"), E.ArgumentError),
    ("filters-zero", model("Conv2D: {filters: 0, kernel_size: 3, name: c}"), "c", ("filters", "0"),
     E.ArgumentError),
    ("strides-zero", model("Conv2D: {filters: 4, kernel_size: 3, strides: 0, name: c}"), "c",
     ("strides", "0"), E.ArgumentError),
    ("pool-size-negative", model("MaxPooling2D: {pool_size: -2, name: p}"), "p", ("pool_size", "-2"),
     E.ArgumentError),
    ("input-negative", model("Flatten", input="[-8, 3]"), None, ("input", "-8"), E.ArgumentError),
    ("input-zero", model("Flatten", input="[0, 3]"), None, ("input", "0"), E.ArgumentError),
    ("input-fraction", model("Flatten", input="[8.5, 3]"), None, ("input", "8.5"), E.ArgumentError),
    ("batch-zero", model("Flatten", extra="batch: 0\n"), None, ("batch", "0"), E.ArgumentError),
    ("symbol-default-negative", model("Dense: {units: F}", extra="symbols: {F: -1}\n"), None, ("F", "-1"),
     E.ArgumentError),
    ("symbol-name-not-identifier", model("Flatten", extra="symbols: {'F G': 3}\n"), None, ("symbol",),
     E.ParseError),
    # impossible shapes
    ("kernel-larger-than-input", model("Conv2D: {filters: 4, kernel_size: 30, name: c}"), "c",
     ("too small",), E.ShapeError),
    ("pool-shrinks-to-nothing", model("MaxPooling2D: {pool_size: 16, name: p}"), "p", ("too small",),
     E.ShapeError),
    ("wrong-rank", model("Conv2D: {filters: 4, kernel_size: 3, name: c}", input="[8, 3]"), "c",
     ("rank",), E.ShapeError),
    ("reshape-wrong-size", model("Reshape: {target_shape: [7, -1], name: r}"), "r", ("reshape",),
     E.ShapeError),
    ("reshape-two-unknowns", model("Reshape: {target_shape: [-1, -1], name: r}"), "r", ("-1",), E.ArgumentError),
    ("groups-not-dividing", model("Conv2D: {filters: 4, kernel_size: 3, groups: 2, name: c}"), "c",
     ("groups",), E.ShapeError),
    ("subtract-three-inputs", ("inputs: {x: [8, 3], y: [8, 3], z: [8, 3]}\nlayers:\n"
     "  - Subtract: {inputs: [x, y, z], name: s}\n"), "s", ("2 input",), E.ShapeError),
    ("merge-mismatched", "inputs: {x: [8, 3], y: [9, 4]}\nlayers:\n  - Add: {inputs: [x, y], name: a}\n",
     "a", ("Add",), E.ShapeError),
    ("concat-axis-out-of-range", ("inputs: {x: [8, 3], y: [8, 4]}\nlayers:\n"
     "  - Concatenate: {inputs: [x, y], axis: 9, name: cat}\n"), "cat", ("axis", "9"), E.ShapeError),
    # an unknown (None) size where a formula needs one
    ("unknown-size-into-conv", model("Conv2D: {filters: 4, kernel_size: 3, name: c}", input="[null, 8, 3]"), "c",
     ("None", "symbol"), E.ShapeError),
    ("unknown-size-into-pool", model("AveragePooling2D: {name: p}", input="[4, null, 1]"), "p", ("None",),
     E.ShapeError),
    ("unknown-size-in-a-weight", model("PReLU: {name: pr}", input="[4, null]"), "pr", ("None",), E.ShapeError),
    # a symbol where a number is needed
    ("axis-a-symbol", ("inputs: {x: [8, 3], y: [8, 4]}\nlayers:\n"
     "  - Concatenate: {inputs: [x, y], axis: H, name: cat}\n"), "cat", ("axis", "H"), E.ArgumentError),
    ("shared-axes-a-symbol", model("PReLU: {shared_axes: [A], name: pr}"), "pr", ("shared_axes",),
     E.ArgumentError),
    # graph problems
    ("duplicate-names", model("Dense: {units: 3, name: a}", "Dense: {units: 3, name: a}"), "a",
     ("duplicate",), E.GraphError),
    ("dangling-input", model("Dense: {units: 3, name: d, inputs: [ghost]}"), "d", ("ghost",), E.GraphError),
    ("input-from-a-later-layer", model("Dense: {units: 3, name: d1, inputs: [d2]}", "Dense: {units: 3, name: d2}"),
     "d1", ("d2",), E.GraphError),
    ("self-loop", model("Dense: {units: 3, name: me, inputs: [me]}"), "me", ("me",), E.GraphError),
    ("outputs-unknown", model("Dense: {units: 3, name: d}", extra="outputs: [nope]\n"), None, ("nope",),
     E.GraphError),
    # text that must not become code, and expressions over the limits
    ("size-python-code", model("Dense: {units: \"__import__('os').system('true')\", name: d}"), "d",
     ("unexpected character",), E.ParseError),
    ("size-incomplete-expression", model("Dense: {units: 'F*', name: d}"), "d", ("F*",), E.ParseError),
    ("size-divides-by-zero", model("Dense: {units: '4/0', name: d}"), "d", ("division by zero",), E.ParseError),
    ("size-huge-power", model("Dense: {units: '9^99', name: d}"), "d", ("exponent",), E.LimitError),
    ("size-tower-of-powers", model("Dense: {units: '9^9^9^9', name: d}"), "d", ("exponent",), E.LimitError),
    ("size-deeply-nested", model("Dense: {units: '" + "(" * 200 + "1" + ")" * 200 + "', name: d}"), "d",
     ("nested",), E.LimitError),
    ("size-very-long", model("Dense: {units: '" + "1+" * 1500 + "1', name: d}"), "d", ("limit",), E.LimitError),
    ("size-unicode-letters", model("Dense: {units: 'ü', name: d}"), "d", ("unexpected character",),
     E.ParseError),
    # YAML tricks
    ("alias-bomb",
     "description: &a0 x\n" + "".join(
         f"x{i}: &a{i} [{', '.join([f'*a{i - 1}'] * 10)}]\n" for i in range(1, 8)) + "input: [8]\nlayers: [Flatten]\n",
     None, ("more than",), E.LimitError),
    ("alias-refers-to-itself", "input: &a [8, *a]\nlayers: [Flatten]\n", None, ("itself",), E.ParseError),
    ("deep-nesting", "input: [8]\nlayers: " + "[" * 3000 + "]" * 3000 + "\n", None, ("nest",), E.ParseError),
    ("invalid-utf8-and-controls", b"input: [8, 3]\nlayers: [\xff\xfe\x00\x01]\n", None, ("yaml",),
     E.ParseError),
]


@pytest.mark.parametrize(("text", "layer", "problem"), [c[1:4] for c in YAML_CASES], ids=[c[0] for c in YAML_CASES])
@pytest.mark.parametrize("command", ["summary", "formula"])
def test_a_bad_yaml_model_is_one_line_naming_file_layer_and_problem(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, command: str, text: str | bytes, layer: str | None,
    problem: tuple[str, ...],
) -> None:
    path = write(tmp_path, text)
    assert_user_error(cli(capsys, command, str(path)), file=path, layer=layer, problem=problem)


@pytest.mark.parametrize(("text", "error"), [(c[1], c[4]) for c in YAML_CASES], ids=[c[0] for c in YAML_CASES])
def test_the_library_raises_the_matching_symcnn_error(tmp_path: Path, text: str | bytes,
                                                      error: type[E.SymcnnError]) -> None:
    path = write(tmp_path, text)
    with pytest.raises(E.SymcnnError) as info:
        symcnn.load(path).records  # noqa: B018 - records are built lazily; building raises
    assert type(info.value) is error, f"{type(info.value).__name__}: {info.value}"
    assert info.value.file == str(path)
    assert "\n" not in str(info.value)


# ---- files that are not models at all ------------------------------------------------------

SUFFIXES = [".yaml", ".json", ".keras", ".onnx"]
GARBAGE = random.Random(7).randbytes(4096)


def _not_a_file(tmp_path: Path, kind: str, suffix: str) -> Path:
    path = tmp_path / f"model{suffix}"
    if kind == "directory":
        path.mkdir()
    elif kind == "empty":
        path.write_bytes(b"")
    elif kind == "garbage":
        path.write_bytes(GARBAGE)
    elif kind == "nul-bytes":
        path.write_bytes(b"\x00" * 1000)
    elif kind == "truncated-zip":
        buf = io.BytesIO()
        with zipfile.ZipFile(buf, "w") as z:
            z.writestr("config.json", json.dumps({"class_name": "Sequential"}) * 50)
        path.write_bytes(buf.getvalue()[:60])
    return path  # "missing": never created


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("kind", ["missing", "directory", "empty", "garbage", "nul-bytes", "truncated-zip"])
def test_a_file_that_is_not_a_model_is_one_line_exit_2(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str, suffix: str
) -> None:
    path = _not_a_file(tmp_path, kind, suffix)
    assert_user_error(cli(capsys, "summary", str(path)), file=path)
    with pytest.raises(E.SymcnnError) as info:
        symcnn.load(path).records  # noqa: B018
    assert info.value.file == str(path)


@pytest.mark.parametrize(("kind", "words"), [("missing", ("no such file",)), ("directory", ("directory",))])
def test_missing_file_and_directory_say_so(capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str,
                                           words: tuple[str, ...]) -> None:
    path = _not_a_file(tmp_path, kind, ".yaml")
    assert_user_error(cli(capsys, "summary", str(path)), file=path, problem=words)


@pytest.mark.parametrize("suffix", SUFFIXES)
@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_pipe_or_device_named_like_a_model_is_refused_without_blocking(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, kind: str, suffix: str
) -> None:
    import signal

    path = tmp_path / f"model{suffix}"
    if kind == "fifo":
        os.mkfifo(path)  # opening it for reading would wait for a writer forever
    else:
        path.symlink_to("/dev/zero")  # reading it would never end
    signal.signal(signal.SIGALRM, lambda *_: pytest.fail(f"symcnn blocked on a {kind}"))
    signal.alarm(20)
    try:
        assert_user_error(cli(capsys, "summary", str(path)), file=path, problem=("regular file",))
    finally:
        signal.alarm(0)


@pytest.mark.parametrize("name", ["model.txt", "model", "model.h5", "model.pt"])
def test_an_unknown_file_type_is_refused_by_name(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                 name: str) -> None:
    path = write(tmp_path, SEED_YAML.read_text(), name)
    assert_user_error(cli(capsys, "summary", str(path)), file=path, problem=("file type",))


# ---- YAML tags that would run code in an unsafe loader -----------------------------------------

PYTHON_TAGS = [
    "!!python/object/apply:os.system [{cmd!r}]",
    "!!python/object/apply:subprocess.check_output [[sh, -c, {cmd!r}]]",
    "!!python/object/new:os.system [{cmd!r}]",
    "!!python/name:os.system",
    "!!python/module:os",
    "!!python/object:builtins.object {{}}",
    "!!binary aGVsbG8=",  # safe_load builds bytes; symcnn must still refuse a non-shape
]


@pytest.mark.parametrize("where", ["document", "input", "layer-argument", "layer-name"])
@pytest.mark.parametrize("tag", PYTHON_TAGS)
def test_python_tags_are_refused_and_nothing_runs(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, tag: str, where: str
) -> None:
    marker = tmp_path / "pwned"
    payload = tag.format(cmd=f"touch {marker}")
    text = {
        "document": payload + "\n",
        "input": f"input: {payload}\nlayers: [Flatten]\n",
        "layer-argument": model(f"Dense: {{units: {payload}, name: d}}"),
        "layer-name": model(f"Dense: {{units: 3, name: {payload}}}"),
    }[where]
    path = write(tmp_path, text)
    assert_user_error(cli(capsys, "summary", str(path)), file=path)
    with pytest.raises(E.SymcnnError):
        symcnn.load(path).records  # noqa: B018
    assert not marker.exists(), "a YAML tag ran a command"


# ---- command-line values: --set, --input, check's values -----------------------------------------

OPEN_MODEL = model("Conv2D: {filters: F, kernel_size: 3, name: c}", "Flatten", "Dense: {units: 4, name: d}",
                   input="[H, W, C]", extra="symbols: {F: 8}\n")


@pytest.mark.parametrize(
    ("args", "layer", "problem"),
    [
        (["--set", "F"], None, ("--set", "NAME=VALUE")),
        (["--set", "=3"], None, ("--set",)),
        (["--set", "F=abc+"], None, ("abc+",)),
        (["--set", "Q=3"], None, ("unknown symbol", "Q")),
        (["--set", "F=__import__('os')"], None, ("unexpected character",)),
        (["--set", "F=9^99"], None, ("exponent",)),
        (["--set", "F=1/0"], None, ("division by zero",)),
        (["--set", "F=0"], None, ("F", "positive")),
        (["--set", "F=-3"], None, ("F", "positive")),
        (["--set", "H=1"], "c", ("too small",)),
        (["--set", "F=2.5"], None, ("F", "2.5")),
        (["--input", ""], None, ("empty",)),
        (["--input", "a,,b"], None, ("empty",)),
        (["--input", "H,W"], "c", ("rank",)),
        (["--input=-3,4,1"], None, ("-3",)),
        (["--input", "0,4,1"], None, ("0",)),
        (["--input", "2.5,3,3"], None, ("whole",)),
        (["--input", "9^99,4,1"], None, ("exponent",)),
        (["--input", "H;W"], None, ("input",)),
        (["--input", "None,None,3"], "c", ("None", "symbol")),
        (["--input", "exec('x'),3,3"], None, ("unexpected character",)),
        (["--format", "xml"], None, ("--format", "xml")),
        (["--convention", "flops"], None, ("--convention", "flops")),
    ],
)
def test_bad_command_line_values_are_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], layer: str | None,
    problem: tuple[str, ...],
) -> None:
    path = write(tmp_path, OPEN_MODEL)
    run = cli(capsys, "summary", str(path), *args)
    assert_user_error(run, layer=layer, problem=problem)


@pytest.mark.parametrize(
    "argv",
    [[], ["frobnicate", "x.yaml"], ["summary"], ["summary", "a.yaml", "--no-such-flag"], ["docs", "m.yaml"],
     ["check", "{model}"], ["check", "{model}", "--layer", "c"]],
)
def test_bad_command_lines_are_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, argv: list[str]) -> None:
    path = write(tmp_path, OPEN_MODEL)
    assert_user_error(cli(capsys, *[a.format(model=path) for a in argv]))


@pytest.mark.parametrize(
    ("args", "problem"),
    [
        (["--layer", "nope", "--params", "5"], ("nope",)),
        (["--layer", "<script>", "--params", "5"], ("<script>",)),
        (["--layer", "c", "--params", "9^99"], ("exponent",)),
        (["--layer", "c", "--params", "import os"], ()),
        (["--layer", "c", "--params", ""], ()),
        (["--layer", "c", "--shape", "a,,b"], ()),
        (["--layer", "c", "--macs", "(" * 100], ()),
        (["--table", "{missing}"], ()),
        (["--table", "{garbage}"], ()),
        (["--table", "{fifo}"], ("regular file",)),
        (["--table", "{folder}"], ("directory",)),
    ],
)
def test_check_refuses_bad_values_in_one_line(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, args: list[str], problem: tuple[str, ...]
) -> None:
    pytest.importorskip("symcnn.check", reason="the checker has not landed yet")
    path = write(tmp_path, OPEN_MODEL)
    garbage = write(tmp_path, GARBAGE, "table.csv")
    os.mkfifo(tmp_path / "pipe.csv")
    args = [a.format(missing=tmp_path / "none.csv", garbage=garbage, fifo=tmp_path / "pipe.csv", folder=tmp_path)
            for a in args]
    assert_user_error(cli(capsys, "check", str(path), *args), problem=problem)


# ---- names: unicode, markup, control characters ----------------------------------------------------


@pytest.mark.parametrize(
    "name",
    ["ünïcødé 层 🎉", "<script>alert(1)</script>", "<img src=x onerror=\"document.title='pwned'\">",
     "'; DROP TABLE layers; --", "a" * 300, "𝔘𝔫𝔦𝔠𝔬𝔡𝔢", "right-to-left \u202e gnp.exe"],
)
def test_a_layer_name_is_shown_verbatim_in_the_error(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                     name: str) -> None:
    path = write(tmp_path, model(f"Dense: {{units: 0, name: {json.dumps(name, ensure_ascii=False)}}}"))
    line = assert_user_error(cli(capsys, "summary", str(path)), file=path, problem=("units",))
    assert repr(name).strip("'\"")[:50] in line or name[:50] in line


@pytest.mark.parametrize("name", ["x\ny", "bell\a", "esc\x1b[31mred", "cr\rreturn", "nul\x00"])
def test_control_characters_in_names_never_break_the_line(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                          name: str) -> None:
    path = write(tmp_path, model(f"Dense: {{units: 0, name: {json.dumps(name, ensure_ascii=False)}}}"))
    line = assert_user_error(cli(capsys, "summary", str(path)))
    assert all(ch.isprintable() for ch in line), repr(line)


def test_a_file_name_with_unicode_and_newline_stays_one_line(capsys: pytest.CaptureFixture[str],
                                                             tmp_path: Path) -> None:
    path = write(tmp_path, model("Dense: {units: 0, name: d}"), "模型 ü\nesc\x1b[2J.yaml")
    line = assert_user_error(cli(capsys, "summary", str(path)), layer="d", problem=("units",))
    assert "模型 ü" in line and "\x1b" not in line


def test_macs_of_an_unknown_size_are_one_line_naming_file_and_layer(capsys: pytest.CaptureFixture[str],
                                                                    tmp_path: Path) -> None:
    path = write(tmp_path, model("Dense: {units: 4, name: d}", input="[null, 3]"))
    assert_user_error(cli(capsys, "summary", str(path), "--convention", "fvcore"), file=path, layer="d",
                      problem=("None",))
    assert_user_error(cli(capsys, "formula", str(path)), file=path, layer="d", problem=("None",))


# ---- huge but valid sizes are exact, not refused ---------------------------------------------------


@pytest.mark.parametrize("units", [10**30, 2**200, 123456789012345678901234567890123])
def test_huge_sizes_give_exact_counts(tmp_path: Path, units: int) -> None:
    path = write(tmp_path, model(f"Dense: {{units: {units}, name: d}}", input="[7]"))
    m = symcnn.load(path)
    assert m.total_params == (7 + 1) * units  # Keras Dense: (inputs + 1) × units


@pytest.mark.parametrize(
    "layers",
    [
        ["Dense: {units: '(H+W+C+F+K)^64', name: d}"],
        ["Dense: {units: '(H+W+C+F+K)^12', name: d}", "Dense: {units: '(H+W+C+F+K)^12', name: e}"],
        ["Reshape: {target_shape: ['(H+W+C)^3', -1], name: r}", "Dense: {units: '(F+K+D)^20', name: d}"],
    ],
)
@pytest.mark.parametrize("command", ["summary", "formula"])
def test_sizes_that_expand_to_millions_of_terms_stay_fast(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                          layers: list[str], command: str) -> None:
    path = write(tmp_path, model(*layers, input="[H, W, C]"))
    start = time.monotonic()
    run = cli(capsys, command, str(path))
    assert time.monotonic() - start < 20
    assert run.status in (0, 2), run.err
    assert "Traceback" not in run.err


# ---- a real bug still shows its traceback ---------------------------------------------------------------


@pytest.mark.parametrize("exc", [ZeroDivisionError("division by zero"), KeyError("boom"), TypeError("bad operand")])
@pytest.mark.parametrize("command", ["summary", "formula"])
def test_a_real_bug_shows_its_traceback_and_asks_for_a_report(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, exc: Exception, command: str
) -> None:
    from symcnn.layers.dense import Dense

    def broken(self: object, inputs: object) -> object:
        raise exc

    monkeypatch.setattr(Dense, "output_shape", broken)
    run = cli(capsys, command, str(SEED_YAML))
    assert run.status not in (0, 2)
    assert "Traceback (most recent call last)" in run.err
    assert type(exc).__name__ in run.err
    assert "report" in run.err.splitlines()[-1].lower()


# ---- the same, as a real process -----------------------------------------------------------------------


def _process(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-m", "symcnn", *args], capture_output=True, text=True, cwd=cwd,
                          env=env, timeout=120, check=False)


def test_a_real_process_prints_one_line_and_exits_2(tmp_path: Path) -> None:
    marker = tmp_path / "pwned"
    bad = write(tmp_path, f"!!python/object/apply:os.system ['touch {marker}']\n")
    done = _process("summary", str(bad), cwd=tmp_path)
    assert done.returncode == 2
    assert done.stdout == ""
    assert len(done.stderr.splitlines()) == 1 and done.stderr.startswith("symcnn: error: ")
    assert str(bad) in done.stderr
    assert not marker.exists()


def test_a_real_process_reads_the_seed_model(tmp_path: Path) -> None:
    done = _process("summary", str(SEED_YAML), cwd=tmp_path)
    assert done.returncode == 0, done.stderr
    assert done.stderr == ""


# ---- limits: file size, layer count ----------------------------------------------------------------


def _sparse(path: Path, size: int) -> Path:
    with path.open("wb") as fh:
        fh.truncate(size)  # instant, no disk used: the size check must come before any read
    return path


@pytest.mark.parametrize(
    ("name", "size"),
    [("big.json", 100 * 2**20), ("big.keras", 100 * 2**20), ("big.onnx", 2**30 + 1), ("big.yaml", 3 * 2**20)],
)
def test_a_file_over_the_size_limit_is_refused_before_it_is_read(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, name: str, size: int
) -> None:
    path = _sparse(tmp_path / name, size)
    start = time.monotonic()
    with pytest.raises(E.SymcnnError) as info:
        symcnn.load(path)
    assert time.monotonic() - start < 5
    assert isinstance(info.value, (E.LimitError, E.ParseError)), info.value
    if name != "big.keras":  # a sparse file is not a zip: a .keras may fail as "not a zip" first
        assert isinstance(info.value, E.LimitError) and "limit" in str(info.value)
    assert_user_error(cli(capsys, "summary", str(path)), file=path)


def _mib(n: int) -> str:
    return f"{n // 2**20} MiB"


@pytest.mark.parametrize(
    ("module", "constant", "shown"),
    [
        ("symcnn.io.files", "MAX_FILE_BYTES", _mib),
        ("symcnn.io.yaml_reader", "MAX_YAML_BYTES", _mib),
        ("symcnn.io.yaml_reader", "MAX_YAML_VALUES", "{:,}".format),
        ("symcnn.io.keras", "MAX_CONFIG_BYTES", _mib),
        ("symcnn.io.keras", "MAX_COMPRESSION_RATIO", "{}:1".format),
        ("symcnn.io.keras", "MAX_ZIP_MEMBERS", "{:,}".format),
        ("symcnn.io.keras", "MAX_NESTING", "{} deep".format),
        ("symcnn.io.keras", "MAX_INT", lambda v: f"2^{v.bit_length() - 1}"),
        ("symcnn.io.onnx", "MAX_ONNX_BYTES", _mib),
        ("symcnn.io.onnx", "MAX_ONNX_NODES", "{:,}".format),
        ("symcnn.graph", "MAX_LAYERS", "{:,}".format),
        ("symcnn.expr", "MAX_LENGTH", "{:,} characters".format),
        ("symcnn.expr", "MAX_DEPTH", "nesting {} deep".format),
        ("symcnn.expr", "MAX_EXPONENT", "between -{0} and {0}".format),
        ("symcnn.expr", "MAX_RESULT_BITS", "{:,} bits".format),
        ("symcnn.expr", "MAX_NAME", "names up to {} characters".format),
        ("symcnn.expr", "MAX_DIGITS", "literals up to {:,} digits".format),
        ("symcnn.io.yaml_blocks", "MAX_BLOCK_NESTING", "{} deep; a block that uses itself".format),
        ("symcnn.errors", "MAX_MESSAGE", "{:,} characters".format),
        ("symcnn.io.yaml_loader", "MAX_NUMBER_DIGITS", "{:,} digits".format),
        ("symcnn.io.keras", "MAX_JSON_VALUES", "{:,}".format),
        ("symcnn.io.keras", "MAX_JSON_DIGITS", "{:,} digits".format),
        ("symcnn.io.keras", "MAX_CALLS", "{:,}".format),
        ("symcnn.io.onnx", "MAX_ONNX_INITIALIZERS", "{:,}".format),
        ("symcnn.io.onnx", "FOLD_BUDGET", "{:,} values".format),
        ("symcnn.io.onnx", "MAX_FOLD_ELEMENTS", "{:,} values".format),
        ("symcnn.io.onnx", "MAX_FOLD_TERMS", "{:,} terms".format),
        ("symcnn.io.onnx", "LAZY_ELEMENTS", "above {:,} values".format),
        ("symcnn.render.templating", "MAX_TEMPLATE_BYTES", _mib),
        ("symcnn.cli", "PRINTED_DIGITS", "{:,} digits".format),
    ],
)
def test_security_md_states_each_limit_as_the_code_has_it(module: str, constant: str, shown: Any) -> None:
    import importlib

    try:
        value = getattr(importlib.import_module(module), constant)
    except (ImportError, AttributeError):
        pytest.skip(f"{module}.{constant} is not there (the module is missing or renamed)")
    security = " ".join((REPO / "SECURITY.md").read_text(encoding="utf-8").split())
    assert shown(value) in security, f"SECURITY.md should state {module}.{constant} = {shown(value)}"
    assert constant in security


@pytest.mark.parametrize("constant", ["MAX_TABLE_BYTES", "MAX_TABLE_ROWS"])
def test_security_md_states_the_check_table_limits(constant: str) -> None:
    check = pytest.importorskip("symcnn.check")
    value = getattr(check, constant, None)
    if value is None:
        pytest.skip(f"symcnn.check.{constant} is not there")
    security = " ".join((REPO / "SECURITY.md").read_text(encoding="utf-8").split())
    assert (_mib(value) if "BYTES" in constant else f"{value:,} rows") in security


def test_a_yaml_model_over_the_layer_limit_is_refused_quickly(tmp_path: Path) -> None:
    from symcnn.graph import MAX_LAYERS

    path = write(tmp_path, "input: [8]\nlayers: [" + "Flatten," * (MAX_LAYERS + 1) + "]\n")
    start = time.monotonic()
    with pytest.raises(E.LimitError, match="limit"):
        symcnn.load(path)
    assert time.monotonic() - start < 20


def test_a_keras_json_with_a_million_layers_is_refused_quickly(tmp_path: Path) -> None:
    entry = json.dumps({"class_name": "Dropout", "config": {"rate": 0.1}}, separators=(",", ":"))
    first = json.dumps({"class_name": "InputLayer", "config": {"batch_shape": [None, 4], "name": "x"}})
    path = tmp_path / "million.json"
    path.write_text('{"class_name":"Sequential","config":{"name":"m","layers":[' + first + ","
                    + ",".join([entry] * 1_000_000) + "]}}")
    start = time.monotonic()
    with pytest.raises(E.LimitError, match="limit"):
        symcnn.load(path)
    assert time.monotonic() - start < 30


# ---- .keras zips: read in memory, nothing extracted, bombs refused ----------------------------------

KERAS_COUNTS = json.loads((HOSTILE / "keras_counts.json").read_text())  # count_params() from Keras itself
SEED_JSON = (HOSTILE / "seed_keras.json").read_text()


def _keras_zip(path: Path, members: dict[str, bytes], *, compression: int = zipfile.ZIP_DEFLATED) -> Path:
    with zipfile.ZipFile(path, "w", compression=compression) as z:
        for name, data in members.items():
            info = zipfile.ZipInfo(name, date_time=(2024, 1, 1, 0, 0, 0))
            info.compress_type = compression
            z.writestr(info, data)
    return path


def _tree(root: Path) -> dict[str, bytes]:
    return {p.relative_to(root).as_posix(): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}


@pytest.mark.parametrize("evil", ["../../evil.txt", "../../../../../../../../tmp/evil.txt", "{abs}",
                                  "..\\..\\evil.txt", "sub/../../../evil.txt", "config.json/../../evil.txt"])
def test_a_zip_slip_keras_file_writes_nothing_anywhere(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                                       evil: str) -> None:
    work = tmp_path / "work" / "a" / "b"
    work.mkdir(parents=True)
    target = tmp_path / "abs-evil.txt"
    member = evil.format(abs=str(target))
    path = _keras_zip(work / "model.keras", {
        "metadata.json": b'{"keras_version": "3.15.1"}',
        member: b"pwned",
        "config.json": SEED_JSON.encode(),
        "model.weights.h5": b"\x89HDF\r\n\x1a\n not really weights",
    })
    monkeypatch.chdir(work)
    before = _tree(tmp_path)
    m = symcnn.load(path)
    assert m.total_params == KERAS_COUNTS["seed_keras.json"]
    assert _tree(tmp_path) == before, "reading a .keras zip wrote files"
    assert not target.exists() and not Path("/tmp/evil.txt").exists()


def _deflate_bomb(size: int) -> bytes:
    return b'{"class_name": "Sequential", "config": {"layers": []}}' + b" " * size


@pytest.mark.parametrize(
    ("case", "members"),
    [
        ("highly-compressed", {"config.json": _deflate_bomb(8 * 2**20)}),  # ~1000:1
        ("bigger-than-the-limit", {"config.json": _deflate_bomb(65 * 2**20)}),
    ],
)
def test_a_zip_bomb_is_refused_with_a_limit_error(tmp_path: Path, case: str, members: dict[str, bytes]) -> None:
    path = _keras_zip(tmp_path / "bomb.keras", members)
    assert path.stat().st_size < 2**20
    start = time.monotonic()
    with pytest.raises(E.LimitError, match="limit"):
        symcnn.load(path)
    assert time.monotonic() - start < 5


def _patch_sizes(data: bytes, *, uncompressed: int) -> bytes:
    """Rewrite the uncompressed size a zip declares for its (single) member, in both headers."""
    out = bytearray(data)
    local = out.find(b"PK\x03\x04")
    out[local + 22:local + 26] = uncompressed.to_bytes(4, "little")
    central = out.find(b"PK\x01\x02")
    out[central + 24:central + 28] = uncompressed.to_bytes(4, "little")
    return bytes(out)


@pytest.mark.parametrize("declared", [0xFFFFFFF0, 100 * 2**20, 10])
def test_a_zip_that_lies_about_its_size_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                   declared: int) -> None:
    honest = _keras_zip(tmp_path / "honest.keras", {"config.json": _deflate_bomb(2 * 2**20)})
    path = tmp_path / "liar.keras"
    path.write_bytes(_patch_sizes(honest.read_bytes(), uncompressed=declared))
    start = time.monotonic()
    with pytest.raises((E.LimitError, E.ParseError)):
        symcnn.load(path)
    assert time.monotonic() - start < 5
    assert_user_error(cli(capsys, "summary", str(path)), file=path)


def test_a_zip_with_too_many_members_is_refused(tmp_path: Path) -> None:
    from symcnn.io.keras import MAX_ZIP_MEMBERS

    members = {f"junk/{i}": b"" for i in range(MAX_ZIP_MEMBERS + 1)}
    path = _keras_zip(tmp_path / "many.keras", {"config.json": SEED_JSON.encode(), **members},
                      compression=zipfile.ZIP_STORED)
    with pytest.raises(E.LimitError, match="members"):
        symcnn.load(path)


@pytest.mark.parametrize("case", ["no-config", "encrypted", "unknown-compression", "config-not-json",
                                  "config-is-yaml-tag", "empty-zip"])
def test_a_broken_keras_zip_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str) -> None:
    path = tmp_path / "broken.keras"
    if case == "no-config":
        _keras_zip(path, {"metadata.json": b"{}"})
    elif case == "config-not-json":
        _keras_zip(path, {"config.json": GARBAGE})
    elif case == "config-is-yaml-tag":
        _keras_zip(path, {"config.json": b"!!python/object/apply:os.system ['true']"})
    elif case == "empty-zip":
        _keras_zip(path, {})
    else:
        data = bytearray(_keras_zip(path, {"config.json": SEED_JSON.encode()}).read_bytes())
        for signature, flag_at, method_at in ((b"PK\x03\x04", 6, 8), (b"PK\x01\x02", 8, 10)):
            at = data.find(signature)
            if case == "encrypted":
                data[at + flag_at] |= 0x01
            else:
                data[at + method_at:at + method_at + 2] = (99).to_bytes(2, "little")
        path.write_bytes(bytes(data))
    assert_user_error(cli(capsys, "summary", str(path)), file=path)


# ---- ONNX: a model may not make symcnn open other files ---------------------------------------------


def test_onnx_external_data_is_never_read(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch) -> None:
    onnx = pytest.importorskip("onnx")
    import numpy as np
    from onnx import TensorProto, helper

    secret = b"top-secret-bytes" * 2  # 32 bytes: four int64 values a Reshape would print as a shape
    (tmp_path / "secret.bin").write_bytes(secret)
    leaked = [str(v) for v in np.frombuffer(secret, dtype="<i8")]
    shape = TensorProto(name="shape", data_type=TensorProto.INT64, dims=[4], data_location=TensorProto.EXTERNAL)
    for key, value in (("location", "secret.bin"), ("offset", "0"), ("length", "32")):
        entry = shape.external_data.add()
        entry.key, entry.value = key, value
    graph = helper.make_graph(
        [helper.make_node("Reshape", ["x", "shape"], ["y"])], "g",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 8])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)], initializer=[shape],
    )
    path = tmp_path / "model.onnx"
    path.write_bytes(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString())
    monkeypatch.chdir(tmp_path)
    opened: list[str] = []
    real_open = open

    def watching_open(file: object, *args: object, **kwargs: object) -> object:
        opened.append(str(file))
        return real_open(file, *args, **kwargs)  # type: ignore[call-overload]

    monkeypatch.setattr("builtins.open", watching_open)
    real_os_open = os.open
    monkeypatch.setattr(os, "open", lambda file, *a, **k: (opened.append(str(file)), real_os_open(file, *a, **k))[1])
    run = cli(capsys, "summary", str(path))
    monkeypatch.undo()
    assert not any("secret" in f for f in opened), f"symcnn opened {opened}"
    assert not any(v in run.out + run.err for v in leaked)
    assert onnx is not None


# ---- symcnn docs: nothing lost, nothing injected ----------------------------------------------------

PROBE = "<img src=x onerror=\"document.title='pwned'\">"
FOREIGN = {"notes.txt": b"my notes\n", "mkdocs.yml": b"site_name: mine\n", "docs/index.md": b"# my page\n",
           "docs/keep/me.md": b"keep\n"}


def _stamp(root: Path) -> dict[str, tuple[bytes, int]]:
    return {p.relative_to(root).as_posix(): (p.read_bytes(), p.stat().st_mtime_ns)
            for p in sorted(root.rglob("*")) if p.is_file()}


def _plant(root: Path, files: dict[str, bytes]) -> None:
    for rel, data in files.items():
        (root / rel).parent.mkdir(parents=True, exist_ok=True)
        (root / rel).write_bytes(data)


def _second_model(tmp_path: Path) -> Path:
    return write(tmp_path, model("Conv2D: {filters: 3, kernel_size: 3, name: c}", "Flatten",
                                 "Dense: {units: 2, name: d}") .replace("name: hostile", "name: second"),
                 "second.yaml")


@pytest.mark.parametrize("force", [False, True])
def test_docs_never_overwrites_files_it_did_not_write(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                      force: bool) -> None:
    out = tmp_path / "site"
    _plant(out, FOREIGN)  # a foreign mkdocs.yml and docs/index.md clash with what symcnn writes
    before = _stamp(out)
    run = cli(capsys, "docs", str(SEED_YAML), "-o", str(out), *(["--force"] if force else []))
    line = assert_user_error(run, problem=("--force",) if not force else ("did not write",))
    assert str(out) in line
    assert _stamp(out) == before, "files symcnn did not write were changed"


def test_docs_with_force_touches_only_its_own_files(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    from symcnn.render.site_files import MARKER

    out = tmp_path / "site"
    foreign = {"notes.txt": b"my notes\n", "docs/keep/me.md": b"keep\n", "README": b"mine\n"}
    _plant(out, foreign)
    before = _stamp(out)
    assert_user_error(cli(capsys, "docs", str(SEED_YAML), "-o", str(out)), problem=("--force",))
    assert _stamp(out) == before
    run = cli(capsys, "docs", str(SEED_YAML), "-o", str(out), "--force")
    assert run.status == 0, run.err
    after = _stamp(out)
    ours = set(json.loads((out / MARKER).read_text())["files"]) | {MARKER}
    for rel in foreign:
        assert after[rel] == before[rel], f"{rel} was touched"
    assert set(after) - set(foreign) <= ours, "symcnn wrote files its marker does not list"
    assert not ours & set(foreign)
    # a second run (now a symcnn site: no --force needed) removes only its own stale files
    (out / "docs" / "later-user-file.md").write_text("added by the user\n")
    run = cli(capsys, "docs", str(_second_model(tmp_path)), "-o", str(out))
    assert run.status == 0, run.err
    final = _stamp(out)
    for rel in [*foreign, "docs/later-user-file.md"]:
        assert rel in final
    assert not any("seed" in rel for rel in final if rel not in foreign), "a stale page of the first model stayed"


@pytest.mark.parametrize("listed", ["../victim.txt", "/{victim}", "docs/../../victim.txt", "..\\victim.txt"])
def test_a_tampered_site_marker_cannot_make_docs_delete_outside_the_folder(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, listed: str
) -> None:
    from symcnn.render.site_files import MARKER

    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    out = tmp_path / "site"
    out.mkdir()
    (out / MARKER).write_text(json.dumps({"generator": "symcnn docs", "files": [listed.format(victim=victim)]}))
    run = cli(capsys, "docs", str(SEED_YAML), "-o", str(out))
    assert run.status in (0, 2), run.err
    assert victim.read_text() == "precious\n"


def test_docs_replaces_a_symlink_it_wrote_over_rather_than_writing_through_it(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    out = tmp_path / "site"
    assert cli(capsys, "docs", str(SEED_YAML), "-o", str(out)).status == 0
    victim = tmp_path / "victim.txt"
    victim.write_text("precious\n")
    (out / "docs" / "index.md").unlink()
    (out / "docs" / "index.md").symlink_to(victim)
    cli(capsys, "docs", str(_second_model(tmp_path)), "-o", str(out))
    assert victim.read_text() == "precious\n"


class _Interrupted(BaseException):
    pass


def _render_files(path: Path) -> dict[str, bytes]:
    from symcnn.render.pages import render_site

    return render_site([symcnn.load(path)])


@pytest.mark.parametrize("after", [0, 1, 2, 3, 4, 5, 6])
def test_an_interrupted_docs_run_leaves_every_file_whole(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch, after: int
) -> None:
    from symcnn.render import site_files as site

    out = tmp_path / "site"
    assert cli(capsys, "docs", str(SEED_YAML), "-o", str(out)).status == 0
    (out / "docs" / "user-notes.md").write_text("mine\n")
    previous = _stamp(out)
    second = _second_model(tmp_path)
    new = {f: data for f, data in _render_files(second).items()}
    real_replace = os.replace
    calls = {"n": 0}

    def replace_then_die(src: str, dst: str, **where: Any) -> None:
        if calls["n"] >= after:
            raise KeyboardInterrupt  # as if the user pressed Ctrl-C (or the power went) mid-write
        calls["n"] += 1
        real_replace(src, dst, **where)

    monkeypatch.setattr(site.os, "replace", replace_then_die)
    run = cli(capsys, "docs", str(second), "-o", str(out))
    monkeypatch.setattr(site.os, "replace", real_replace)
    assert run.status == 130 and run.err.strip() == "symcnn: interrupted"
    now = _stamp(out)
    assert not [f for f in now if f.endswith(".tmp")], "temporary files were left behind"
    assert now["docs/user-notes.md"] == previous["docs/user-notes.md"]
    for rel, (data, _) in now.items():
        if rel == site.MARKER:
            continue
        assert (rel in previous and data == previous[rel][0]) or data == new.get(rel), f"{rel} is half-written"
    complete = all(now.get(rel, (None,))[0] == data for rel, data in new.items())
    for rel in previous:  # an old page may go only once every new file is in place
        assert rel in now or complete, f"{rel} of the previous site was lost"
    # the next run finishes the job
    assert cli(capsys, "docs", str(second), "-o", str(out)).status == 0
    done = _stamp(out)
    assert {f: d for f, (d, _) in done.items() if f in new} == new
    assert done["docs/user-notes.md"] == previous["docs/user-notes.md"]


@pytest.mark.slow
def test_a_killed_docs_process_leaves_every_file_whole(tmp_path: Path) -> None:
    import signal

    out = tmp_path / "site"
    assert _process("docs", str(SEED_YAML), "-o", str(out), cwd=tmp_path).returncode == 0
    previous = {rel: data for rel, (data, _) in _stamp(out).items()}
    second = _second_model(tmp_path)
    new = _render_files(second)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    for delay in (0.3, 0.6, 0.9, 1.2):
        proc = subprocess.Popen([sys.executable, "-m", "symcnn", "docs", str(second), "-o", str(out)],
                                cwd=tmp_path, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
        for rel, (data, _) in _stamp(out).items():
            if rel.endswith(".tmp") or rel == ".symcnn-site":
                continue  # SIGKILL leaves no chance to clean a temporary file; it is never a site file
            assert data == previous.get(rel) or data == new.get(rel), f"{rel} is half-written after kill at {delay}s"
    assert _process("docs", str(second), "-o", str(out), cwd=tmp_path).returncode == 0


NASTY_NAMES = [PROBE, "x\nplugins: [evil]", "!!python/object/apply:os.system ['touch {marker}']",
               "a: b", "- item", "'\"`\\", "{{ 7*7 }}", "{% raw %}", "]]> <![CDATA[", "ünï 层 🎉"]


@pytest.mark.parametrize("name", NASTY_NAMES)
def test_names_cannot_inject_into_mkdocs_yml(tmp_path: Path, name: str) -> None:
    import yaml

    from symcnn.docs import write_site

    marker = tmp_path / "pwned"
    name = name.replace("{marker}", str(marker))
    path = write(tmp_path, model(f"Dense: {{units: 2, name: {json.dumps(name, ensure_ascii=False)}}}",
                                 input="[4]").replace("name: hostile", f"name: {json.dumps(name, ensure_ascii=False)}"))
    config = write_site([symcnn.load(path)], tmp_path / "site")
    parsed = yaml.safe_load(config.read_text(encoding="utf-8"))  # refuses any python tag
    assert set(parsed) <= {"site_name", "use_directory_urls", "theme", "extra", "extra_css", "markdown_extensions",
                           "hooks", "plugins", "nav", "extra_javascript", "docs_dir", "site_dir"}
    assert parsed["plugins"] == ["search", "offline"]
    models_nav = next(item["Models"] for item in parsed["nav"] if "Models" in item)
    assert len(models_nav) == 1 and all(isinstance(k, str) and "\n" not in k for k in models_nav[0])
    assert not marker.exists()


def test_names_are_never_rendered_as_templates(tmp_path: Path) -> None:
    from symcnn.docs import write_site

    path = write(tmp_path, model("Dense: {units: 2, name: '{{ 123456 * 1000 }}'}", input="[4]",
                                 extra="description: '{% for i in range(3) %}loop{{ i }}{% endfor %}'\n"))
    write_site([symcnn.load(path)], tmp_path / "site")
    text = "".join(p.read_text(encoding="utf-8") for p in (tmp_path / "site").rglob("*.md"))
    assert "123456000" not in text and "loop0" not in text
    assert "123456" in text


@pytest.mark.parametrize("where", ["model", "layer", "description"])
def test_markdown_pages_escape_user_text(tmp_path: Path, where: str) -> None:
    from symcnn.docs import write_site

    quoted = json.dumps(PROBE)
    layer = f"Dense: {{units: 2, name: {quoted if where == 'layer' else 'd'}}}"
    extra = f"description: {quoted}\n" if where == "description" else ""
    text = model(layer, input="[4]", extra=extra)
    if where == "model":
        text = text.replace("name: hostile", f"name: {quoted}")
    path = write(tmp_path, text)
    write_site([symcnn.load(path)], tmp_path / "site")
    pages = {p: p.read_text(encoding="utf-8") for p in (tmp_path / "site" / "docs").rglob("*.md")}
    for page, content in pages.items():
        outside_code = content.split("```")[::2]  # the YAML source is shown in a code fence, where HTML is inert
        assert not any("<img" in chunk for chunk in outside_code), f"raw <img in {page.name}"


def _inert(dom: str, *, shown: bool) -> bool:
    """The page kept its title, made no element with an onerror attribute, and (if shown) shows the probe as text.

    Stricter than browser.injection_is_inert about elements: a chart's file name may contain "onerror".
    """
    title = re.search(r"<title>(.*?)</title>", dom, re.DOTALL)
    kept_title = title is not None and title[1].strip() != "pwned"
    no_element = re.search(r"<img\b[^>]*\sonerror\s*=", dom) is None
    as_text = "&lt;img src=x onerror=" in dom
    return kept_title and no_element and (as_text or not shown)


@pytest.mark.parametrize("name", [PROBE, "</text><script>alert(1)</script>", "]]><script>x</script>", "a&b<c>\"'"])
def test_svg_charts_escape_layer_names(tmp_path: Path, name: str) -> None:
    import xml.etree.ElementTree as ET

    from symcnn.docs import write_site

    path = write(tmp_path, model(f"Conv2D: {{filters: 2, kernel_size: 3, name: {json.dumps(name)}}}", "Flatten",
                                 "Dense: {units: 2, name: d}"))
    write_site([symcnn.load(path)], tmp_path / "site")
    charts = list((tmp_path / "site").rglob("*.svg"))
    assert charts
    for chart in charts:
        root = ET.fromstring(chart.read_text(encoding="utf-8"))  # well-formed: the name did not break out
        for element in root.iter():
            assert not element.tag.endswith("script") and element.tag.split("}")[-1] != "foreignObject"
            assert not any(a.lower().startswith("on") for a in element.attrib), element.attrib


@pytest.mark.slow
def test_a_built_site_keeps_an_injection_in_a_layer_name_inert(tmp_path: Path, test_output_dir: Path) -> None:
    browser = pytest.importorskip("browser", reason="tests/browser.py")
    try:
        browser.chromium_path()
    except browser.BrowserError as exc:
        pytest.skip(str(exc))
    from symcnn.docs import build_site, write_site

    probe = json.dumps(browser.INJECTION_PROBE)
    text = model(f"Conv2D: {{filters: 2, kernel_size: 3, name: {probe}}}", "Flatten", "Dense: {units: 2, name: d}",
                 extra=f"description: {probe}\n").replace("name: hostile", f"name: {probe}")
    path = write(tmp_path, text)
    config = write_site([symcnn.load(path)], tmp_path / "site")
    index = build_site(config.parent)
    pages = sorted(p for p in index.parent.rglob("*.html") if "onerror" in p.read_text(encoding="utf-8"))
    shown = [p for p in pages if re.search(r"&(#60|lt);img", p.read_text(encoding="utf-8"))]
    assert {p.name for p in shown} >= {"index.html"} and len(shown) >= 2, "the probe should be shown as text"
    for page in pages:
        raw = page.read_text(encoding="utf-8")
        assert "<img src=x onerror" not in raw
        dom = browser.render_dom(page)
        assert _inert(dom, shown=page in shown), f"{page.name}: the injected markup ran or became an element"
    (test_output_dir / "hostile-site-dom.html").write_text(browser.render_dom(shown[0]), encoding="utf-8")


@pytest.mark.slow
@pytest.mark.parametrize("container", [".json", ".keras"])
def test_a_keras_lambda_layer_is_never_run(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                            container: str) -> None:
    """Keras serialises a Lambda's Python bytecode (marshal + base64); symcnn must never load or run it."""
    keras = pytest.importorskip("keras")
    marker = tmp_path / "lambda-ran"
    x = keras.Input((4,), name="x")
    where = str(marker)  # a closure value Keras can serialise
    y = keras.layers.Lambda(lambda t: (open(where, "w").close(), t)[1], name="evil")(x)
    text = keras.Model(x, keras.layers.Dense(2, name="d")(y)).to_json()
    marker.unlink(missing_ok=True)  # Keras itself ran it while building the graph
    assert '"__lambda__"' in text
    path = tmp_path / f"model{container}"
    if container == ".json":
        path.write_text(text)
    else:
        _keras_zip(path, {"config.json": text.encode(), "metadata.json": b"{}"})
    run = cli(capsys, "summary", str(path))
    assert run.status in (0, 2), run.err
    if run.status == 2:
        assert_user_error(run, file=path)
    assert not marker.exists(), "symcnn ran the Lambda's code"


# ==== issue #10, class by class: each promise of SECURITY.md, tested by name ==========================

TINY = "name: tiny\ninput: [4]\nlayers:\n  - Dense: {units: 2, name: d}\n"


def test_every_promise_names_a_test_that_exists() -> None:
    security = (REPO / "SECURITY.md").read_text(encoding="utf-8")
    named = set(re.findall(r"`(?:tests/(test_\w+)\.py::)?(test_\w+)`", security))
    assert len(named) >= 25, "SECURITY.md should name the test of each promise"
    for module, test in named:
        source = (REPO / "tests" / f"{module or 'test_hostile'}.py").read_text(encoding="utf-8")
        if module == "" and f"def {test}(" not in source:  # a promise tested in another module says which
            source = "".join(p.read_text(encoding="utf-8") for p in (REPO / "tests").glob("test_*.py"))
        assert f"def {test}(" in source, f"SECURITY.md names {test}, which does not exist"


# ---- 1. templates are data ---------------------------------------------------------------------------


def _templates(tmp_path: Path, files: dict[str, str], links: dict[str, Path] | None = None) -> Path:
    folder = tmp_path / "templates"
    folder.mkdir()
    for name, text in files.items():
        (folder / name).write_text(text, encoding="utf-8")
    for name, target in (links or {}).items():
        (folder / name).symlink_to(target)
    return folder


def test_templates_are_data_every_context_value_is_plain(monkeypatch: pytest.MonkeyPatch) -> None:
    import sympy

    from symcnn.render import pages
    from symcnn.render.templating import check_plain

    seen: list[dict[str, Any]] = []
    real = check_plain
    monkeypatch.setattr(pages, "check_plain", lambda context, name: (seen.append(context), real(context, name))[1])
    pages.render_site([symcnn.load(SEED_YAML).with_input((None, "H", "W", 1))])
    assert len(seen) >= 4  # every page, the terminology, the CSS and mkdocs.yml went through the check

    def values(v: Any) -> list[Any]:
        if isinstance(v, dict):
            return [x for item in v.values() for x in values(item)]
        if isinstance(v, (list, tuple)):
            return [x for item in v for x in values(item)]
        return [v]

    for context in seen:
        assert all(v is None or isinstance(v, (str, int, float, bool)) for v in values(context))
    for bad in (sympy.Symbol("H"), symcnn.load(SEED_YAML), object(), {1, 2}):
        with pytest.raises(TypeError, match="plain data"):
            check_plain({"value": [{"deep": bad}]}, "page.md.j2")


@pytest.mark.parametrize("probe", [
    "{{ name.__class__ }}", "{{ ''.__class__.__mro__[1].__subclasses__() }}", "{{ cycler.__init__.__globals__ }}",
    "{{ lipsum.__globals__['os'] }}", "{{ namespace.__init__.__globals__ }}", "{{ self._TemplateReference__context }}",
    "{{ name.format.__self__ }}", "{{ '{0.__class__.__init__.__globals__}'.format(name) }}",
    "{{ layers[0].work.record.layer.subs }}", "{{ 'x' * 100000000 }}", "{{ [0] * 100000000 }}", "{{ 9 ** 99999 }}",
    "{{ range(10**7) | list }}", "{{ layers.append(1) }}", "{{ total_params.__add__ }}",
])
def test_templates_are_data_a_template_cannot_reach_python_internals(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, probe: str
) -> None:
    folder = _templates(tmp_path, {"page.md.j2": probe + "\n"})
    path = write(tmp_path, TINY)
    run = cli(capsys, "docs", str(path), "-o", str(tmp_path / "site"), "--templates", str(folder))
    if run.status == 0:  # rendered as inert text (an undefined attribute prints nothing)
        text = (tmp_path / "site" / "docs" / "models" / "tiny.md").read_text(encoding="utf-8")
        assert not re.search(r"<(class|function|built-in|module|bound method)", text), text[:300]
    else:
        assert_user_error(run, problem=("template",))


def test_templates_are_data_a_link_out_of_the_templates_folder_is_never_followed(
    capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    secret = tmp_path / "secret.txt"
    secret.write_text("TOP-SECRET-KEY\n")
    path = write(tmp_path, TINY)
    for i, (page, links) in enumerate([
        ('{% include "stolen.md" %}', {"stolen.md": secret}),  # a link to a file outside
        ('{% include "sub/secret.txt" %}', {"sub": tmp_path}),  # a link to a folder outside
        ("x", {"page.md.j2": secret}),  # the template itself a link outside
        ('{% include "../secret.txt" %}', {}),
    ]):
        base = tmp_path / f"case{i}"
        base.mkdir()
        folder = _templates(base, {} if "page.md.j2" in links else {"page.md.j2": page}, links)
        run = cli(capsys, "docs", str(path), "-o", str(base / "site"), "--templates", str(folder))
        assert_user_error(run, problem=("template",))
        assert not list(base.glob("site/**/*.md")) or "TOP-SECRET" not in "".join(
            p.read_text() for p in base.glob("site/**/*.md"))
    inside = tmp_path / "inside"  # a link that stays inside the folder is followed
    inside.mkdir()
    folder = _templates(inside, {"real.md": "INSIDE-TEXT", "page.md.j2": '{% include "alias.md" %}\n'},
                        {"alias.md": inside / "templates" / "real.md"})
    assert cli(capsys, "docs", str(path), "-o", str(inside / "site"), "--templates", str(folder)).status == 0
    assert "INSIDE-TEXT" in (inside / "site" / "docs" / "models" / "tiny.md").read_text()


_MKDOCS_ADDITIONS = {
    "a-python-tag": "extra:\n  x: !!python/object/apply:os.system ['touch {marker}']\n",
    "a-hook": "hooks:\n  - hooks/symcnn_math.py\n  - ../evil.py\n",
    "inherit": "INHERIT: ../other.yml\n",
    "docs-dir": "docs_dir: /\n",
    "custom-dir": "theme:\n  name: material\n  custom_dir: overrides\n",
    "a-plugin": "plugins:\n  - search\n  - macros\n",
    "an-extension": "markdown_extensions:\n  - evil_module\n",
    "remote-css": "extra_css:\n  - https://cdn.example.com/x.css\n",
    "env-tag": "site_name: !ENV HOME\n",
}


@pytest.mark.parametrize("addition", sorted(_MKDOCS_ADDITIONS))
def test_templates_are_data_a_rendered_mkdocs_yml_may_not_add_code(
    capsys: pytest.CaptureFixture[str], tmp_path: Path, addition: str
) -> None:
    from symcnn.render.pages import package_templates

    marker = tmp_path / "pwned"
    ours = (package_templates() / "mkdocs.yml.j2").read_text(encoding="utf-8")
    # Appended: a key given again wins (as mkdocs reads it), so the addition replaces symcnn's own setting.
    folder = _templates(tmp_path, {"mkdocs.yml.j2": ours + "\n" + _MKDOCS_ADDITIONS[addition].format(marker=marker)})
    out = tmp_path / "site"
    run = cli(capsys, "docs", str(write(tmp_path, TINY)), "-o", str(out), "--templates", str(folder))
    assert_user_error(run, problem=("mkdocs.yml",))
    assert not out.exists() or not (out / "mkdocs.yml").exists(), "a refused configuration was written"
    assert not marker.exists()


def test_build_refuses_a_mkdocs_yml_that_would_run_code(tmp_path: Path) -> None:
    from symcnn.docs import build_site, write_site
    from symcnn.render.site_files import SiteError

    config = write_site([symcnn.load(SEED_YAML)], tmp_path / "site")
    marker = tmp_path / "pwned"
    (tmp_path / "site" / "evil.py").write_text(f"open({str(marker)!r}, 'w').close()\n")
    text = config.read_text().replace("  - hooks/symcnn_math.py", "  - hooks/symcnn_math.py\n  - evil.py")
    config.write_text(text)
    with pytest.raises(SiteError, match="hooks"):
        build_site(config.parent)
    assert not marker.exists(), "mkdocs ran a hook symcnn did not write"


# ---- 2. paths stay inside the output folder -------------------------------------------------------------------


def _tree_state(root: Path) -> dict[str, tuple[bytes, int]]:
    return {str(p.relative_to(root)): (p.read_bytes(), p.stat().st_mode) for p in sorted(root.rglob("*"))
            if p.is_file() and not p.is_symlink()}


@pytest.mark.parametrize("linked", ["docs", "docs/models", "docs/assets", "hooks", "docs/assets/symcnn"])
def test_paths_docs_never_writes_or_deletes_through_a_link(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                           linked: str) -> None:
    out = tmp_path / "site"
    assert cli(capsys, "docs", str(SEED_YAML), "-o", str(out)).status == 0
    victim = tmp_path / "victim"
    victim.mkdir()
    for name in ("index.md", "seed.md", "symcnn_math.py", "symcnn-site.css", "terminology.md"):
        (victim / name).write_text(f"precious {name}\n")
    before = _tree_state(victim)
    import shutil

    shutil.rmtree(out / linked)
    (out / linked).symlink_to(victim)  # as an attacker (or a mistaken user) might leave it
    run = cli(capsys, "docs", str(_second_model(tmp_path)), "-o", str(out))
    assert_user_error(run, problem=("symbolic link",))
    assert _tree_state(victim) == before, "docs wrote or deleted through a link"


def test_paths_site_files_get_the_usual_permissions(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        assert cli(capsys, "docs", str(SEED_YAML), "-o", str(tmp_path / "site")).status == 0
    finally:
        os.umask(old)
    modes = {p.name: p.stat().st_mode & 0o777 for p in (tmp_path / "site").rglob("*") if p.is_file()}
    assert modes and set(modes.values()) == {0o644}, modes


def test_paths_no_temporary_file_survives_a_later_successful_run(capsys: pytest.CaptureFixture[str],
                                                                 tmp_path: Path) -> None:
    from symcnn.render.site_files import temporary_name

    out = tmp_path / "site"
    assert cli(capsys, "docs", str(SEED_YAML), "-o", str(out)).status == 0
    for rel in ("docs/index.md", "mkdocs.yml", ".symcnn-site", "docs/models/seed.md"):  # as a SIGKILL leaves them
        p = out / rel
        (p.parent / temporary_name(p.name)).write_text("half a file")
    (out / "docs" / "user.tmp").write_text("a user's file that merely ends in .tmp\n")
    assert cli(capsys, "docs", str(SEED_YAML), "-o", str(out)).status == 0
    left = [p.name for p in out.rglob("*.symcnn.tmp")]
    assert left == [], left
    assert (out / "docs" / "user.tmp").exists()


@pytest.mark.parametrize("case", ["under-a-file", "too-long", "dangling-link", "a-pipe", "nul-byte",
                                  "file-where-a-folder-goes", "folder-where-a-file-goes", "a-file"])
def test_paths_a_bad_output_folder_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path, case: str) -> None:
    out: Path | str
    force = []
    if case == "under-a-file":
        (tmp_path / "f").write_text("x")
        out = tmp_path / "f" / "site"
    elif case == "too-long":
        out = tmp_path / ("a" * 300)
    elif case == "dangling-link":
        out = tmp_path / "site"
        out.symlink_to(tmp_path / "nowhere")
    elif case == "a-pipe":
        out = tmp_path / "site"
        os.mkfifo(out)
    elif case == "nul-byte":
        out = f"{tmp_path}/a\0b"
    elif case == "a-file":
        out = write(tmp_path, "mine", "site")
    else:
        out = tmp_path / "site"
        assert cli(capsys, "docs", str(SEED_YAML), "-o", str(out)).status == 0
        target = out / ("docs" if case == "file-where-a-folder-goes" else "mkdocs.yml")
        import shutil

        shutil.rmtree(target) if target.is_dir() else target.unlink()
        target.write_text("a user's file") if case == "file-where-a-folder-goes" else target.mkdir()
        force = ["--force"]
    before = _tree_state(tmp_path)
    assert_user_error(cli(capsys, "docs", str(SEED_YAML), "-o", str(out), *force))
    assert _tree_state(tmp_path) == before or case.endswith("goes"), "a refused run changed files"


# ---- 3. names cannot forge output ---------------------------------------------------------------------------

FORGING_NAMES = ["conv\nTotal params: 1", "x\rTotal params: 1", "esc\x1b[2J\x1b[H", "bell\x07", "nul\x00",
                 "rtl\u202egnp.exe", "line\u2028sep", "next\x85line", "tab\there", "del\x7f", "csi\x9b31m"]


def _printers(model: Any) -> dict[str, str]:
    from symcnn.check import check
    from symcnn.cli.formula import formula_text
    from symcnn.render import summary

    layer = next(r for r in model.records if r.type == "Dense")
    return {"table": summary.table(model), "markdown": summary.markdown(model), "latex": summary.latex(model),
            "formula": formula_text(model, "text"), "check": check(model, layer, params="5").report(),
            "latex-formula": formula_text(model, "latex")}


@pytest.mark.parametrize("name", FORGING_NAMES)
def test_names_cannot_forge_output_in_any_printer(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                  name: str) -> None:
    from symcnn.errors import visible

    quoted = json.dumps(name)
    forged = write(tmp_path, model(f"Dense: {{units: 2, name: {quoted}}}", input="[4]").replace(
        "name: hostile", f"name: {quoted}"), "forged.yaml")
    plain = write(tmp_path, model("Dense: {units: 2, name: plain}", input="[4]"), "plain.yaml")
    got, expected = _printers(symcnn.load(forged)), _printers(symcnn.load(plain))
    for printer, text in got.items():
        assert all(ch.isprintable() or ch == "\n" for ch in text), f"{printer}: {text!r}"
        assert text.count("\n") == expected[printer].count("\n"), f"{printer} printed another line:\n{text}"
    assert visible(name) in got["table"] and visible(name) in got["check"]
    for command in ("summary", "formula"):  # and through the command line, as a terminal shows it
        run = cli(capsys, command, str(forged))
        assert run.status == 0 and all(ch.isprintable() or ch == "\n" for ch in run.out), repr(run.out)


def test_tracebacks_a_lone_surrogate_in_a_name_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    spec = json.loads(SEED_JSON)
    spec["config"]["layers"][1]["config"]["name"] = "conv"  # replaced by the escape below
    text = json.dumps(spec).replace('"conv"', '"conv\\ud800"', 1)
    for path in (write(tmp_path, text, "model.json"), write(tmp_path, model('Dense: {units: 2, name: "d\\ud800"}'),
                                                            "model.yaml")):
        assert_user_error(cli(capsys, "summary", str(path)), file=path, problem=("unicode",))
    from symcnn.layers.dense import Dense

    with pytest.raises(E.ArgumentError, match="surrogate"):
        Dense(2, name="x\udfff")  # the Python API too


# ---- 4. numbers mean one thing, exactly --------------------------------------------------------------------


@pytest.mark.parametrize(("text", "units"), [
    ("1e30", 10**30), ("1.0e+30", 10**30), ("9007199254740993.0", 9007199254740993), ("4.0", 4), ("2.5e1", 25),
    ("0x1F", 31), ("0o17", 15), ("1e300", 10**300), ("123456789012345678901234567890.0", 123456789012345678901234567890),
])
def test_numbers_yaml_decimals_are_read_exactly(tmp_path: Path, text: str, units: int) -> None:
    import sympy

    from symcnn.io.yaml_loader import load

    m = symcnn.load(write(tmp_path, model(f"Dense: {{units: {text}, name: d}}", input="[7]")))
    assert m.total_params == (7 + 1) * units  # Keras Dense: (inputs + 1) × units, exactly
    assert load("alpha: 0.75\nrate: .1\nsmall: 1e-3")["alpha"] == sympy.Rational(3, 4)
    assert load("rate: .1")["rate"] == sympy.Rational(1, 10) and load("small: 1e-3")["small"] == sympy.Rational(1, 1000)


@pytest.mark.parametrize("text", ["010", "0777", "09", "1:30", "190:20:30", "0b1010", "1_000", "1_000.5", "+010"])
@pytest.mark.parametrize("where", ["units", "input"])
def test_numbers_a_yaml_scalar_with_two_meanings_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                            text: str, where: str) -> None:
    body = model(f"Dense: {{units: {text}, name: d}}") if where == "units" else model("Flatten", input=f"[{text}, 3]")
    path = write(tmp_path, body)
    assert_user_error(cli(capsys, "summary", str(path)), file=path, problem=(text.lstrip("+"),))


@pytest.mark.parametrize("text", [model("Dense: {units: 3, units: 4, name: d}"),
                                  "input: [8]\nlayers: [Flatten]\ninput: [9]\n",
                                  model("Dense: {units: 3, name: d, name: e}"),
                                  "inputs: {x: [4], x: [5]}\nlayers: [Flatten]\n",
                                  model("Flatten", extra="symbols: {F: 2, F: 3}\n")])
def test_numbers_a_key_given_twice_is_refused(capsys: pytest.CaptureFixture[str], tmp_path: Path, text: str) -> None:
    path = write(tmp_path, text)
    assert_user_error(cli(capsys, "summary", str(path)), file=path, problem=("twice",))


def test_numbers_a_float_too_large_for_its_integer_is_refused(capsys: pytest.CaptureFixture[str],
                                                              tmp_path: Path) -> None:
    from symcnn.layers.dense import Dense

    with pytest.raises(E.ArgumentError, match="float"):
        Dense(units=1e30)  # the float 1e30 is 1000000000000000019884624837632
    assert Dense(units=4.0).units == 4
    spec = json.loads(SEED_JSON)
    dense = next(e for e in spec["config"]["layers"] if e["class_name"] == "Dense")
    dense["config"]["units"] = 1e30
    path = write(tmp_path, json.dumps(spec), "model.json")
    assert_user_error(cli(capsys, "summary", str(path)), file=path)


@pytest.mark.parametrize(("layer", "convention", "ok"), [
    ("Dropout: {rate: 0.5}", "keras", True), ("Dropout: {rate: 0}", "keras", True),
    ("Dropout: {rate: 1}", "keras", False), ("Dropout: {rate: 1.5}", "keras", False),
    ("Dropout: {rate: -0.1}", "keras", False), ("Dropout: {rate: .nan}", "keras", False),
    ("Dropout: {rate: .inf}", "keras", False), ("SpatialDropout2D: {rate: 2}", "keras", False),
    ("Dropout: {rate: yes}", "keras", False), ("Dropout: {p: 1.5}", "torch", False),
    ("Dropout: {p: 0.25}", "torch", True), ("Upsample: {scale_factor: .inf}", "torch", False),
    ("Upsample: {scale_factor: .nan}", "torch", False), ("Upsample: {scale_factor: 0}", "torch", False),
    ("Upsample: {scale_factor: -2}", "torch", False), ("Upsample: {scale_factor: 1.5}", "torch", True),
    ("Upsample: {scale_factor: [2, .inf]}", "torch", False), ("UpSampling2D: {size: .inf}", "keras", False),
    ("Dense: {units: .inf}", "keras", False), ("Dense: {units: .nan}", "keras", False),
])
def test_numbers_rates_and_scale_factors_are_checked(capsys: pytest.CaptureFixture[str], tmp_path: Path, layer: str,
                                                     convention: str, ok: bool) -> None:
    shape = "[3, 8, 8]" if convention == "torch" else "[8, 8, 3]"
    path = write(tmp_path, model(layer, input=shape, extra=f"convention: {convention}\n"))
    run = cli(capsys, "summary", str(path))
    if ok:
        assert run.status == 0, run.err
        if "1.5" in layer:
            assert "12, 12" in run.out  # torch: ⌊8 × 1.5⌋ = 12
    else:
        assert_user_error(run, file=path)


# ---- 5. no tracebacks -----------------------------------------------------------------------------------------


@pytest.mark.parametrize("scalar", ["!!int abc", "!!float x", "!!bool x", "!!timestamp 2001-13-45", "!!int 0x",
                                    "!!float 1e99999999", "!!binary '%%%'", "!!set {a}", "!!omap [1]", "!!int 1:30"])
def test_tracebacks_an_explicit_yaml_tag_is_one_line(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                     scalar: str) -> None:
    path = write(tmp_path, model(f"Dense: {{units: {scalar}, name: d}}"))
    assert_user_error(cli(capsys, "summary", str(path)), file=path)


@pytest.mark.parametrize("where", ["yaml-size", "yaml-input", "yaml-symbol", "json-size", "json-float"])
def test_tracebacks_a_long_integer_is_a_limit_error(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                    where: str) -> None:
    digits = "9" * 5000
    if where.startswith("yaml"):
        text = {"yaml-size": model(f"Dense: {{units: {digits}, name: d}}"),
                "yaml-input": model("Flatten", input=f"[{digits}]"),
                "yaml-symbol": model("Dense: {units: F, name: d}", extra=f"symbols: {{F: {digits}}}\n")}[where]
        path = write(tmp_path, text)
    else:
        spec = json.loads(SEED_JSON)
        dense = next(e for e in spec["config"]["layers"] if e["class_name"] == "Dense")
        path = write(tmp_path, json.dumps(spec).replace(f'"units": {dense["config"]["units"]}',
                                                        f'"units": {digits}' + (".5" if "float" in where else ""), 1),
                     "model.json")
    line = assert_user_error(cli(capsys, "summary", str(path)), file=path)
    assert "digits" in line or "limit" in line or "got inf" in line, line


def test_exactness_results_past_python_s_digit_limit_print_exactly(capsys: pytest.CaptureFixture[str],
                                                                    tmp_path: Path) -> None:
    big = 10**1200 - 1
    path = write(tmp_path, model(f"Conv2D: {{filters: {big}, kernel_size: 3, name: c}}",
                                 input=f"[{big}, {big}, {big}]"))
    run = cli(capsys, "summary", str(path), "--format", "json")
    assert run.status == 0, run.err
    old = sys.get_int_max_str_digits()
    sys.set_int_max_str_digits(20_000)  # for this test to read the numbers back
    try:
        summary = json.loads(run.out)
    finally:
        sys.set_int_max_str_digits(old)
    params = 9 * big * big + big  # Conv2D 3×3 on `big` channels with `big` filters: 9·C·F + F
    assert summary["total_params"] == params
    assert summary["total_macs"] == (big - 2) ** 2 * params  # torchinfo: output positions × params, 4,800 digits


# ---- 6. hangs and memory ---------------------------------------------------------------------------------------


def _onnx(nodes: list[Any], *, inits: list[Any] | None = None, x: Any = None) -> bytes:
    from onnx import TensorProto, helper

    x = x or helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=inits or [])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


def _const(name: str, values: list[int]) -> Any:
    import numpy as np
    from onnx import helper, numpy_helper

    return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.array(values, np.int64)))


def _bounded(path: Path, seconds: float = 2.0, mib: float = 200.0) -> Any:
    import tracemalloc

    tracemalloc.start()
    start = time.process_time()
    try:
        try:
            result: Any = symcnn.load(path)
            _ = result.records
        except E.SymcnnError as exc:
            result = exc
    finally:
        used, peak = time.process_time() - start, tracemalloc.get_traced_memory()[1] / 2**20
        tracemalloc.stop()
    assert used < seconds, f"{used:.1f} s of CPU"
    assert peak < mib, f"{peak:.0f} MiB"
    return result


@pytest.mark.parametrize("case", ["forty-squarings", "a-million-values-through-300-adds", "range-of-a-million",
                                  "expand-to-a-billion", "concat-doubling", "symbolic-squarings"])
def test_hangs_onnx_folding_stays_bounded(tmp_path: Path, case: str) -> None:
    pytest.importorskip("onnx")
    import numpy as np
    from onnx import TensorProto, helper, numpy_helper

    relu = helper.make_node("Relu", ["x"], ["y"])
    if case == "forty-squarings":
        nodes = [_const("m0", [3]), *(helper.make_node("Mul", [f"m{i}", f"m{i}"], [f"m{i + 1}"]) for i in range(40)),
                 helper.make_node("Reshape", ["x", "m40"], ["y"])]
    elif case == "a-million-values-through-300-adds":
        nodes = [_const("s", [10**6]), helper.make_node("ConstantOfShape", ["s"], ["c0"],
                                                        value=numpy_helper.from_array(np.ones(1, np.float32))),
                 *(helper.make_node("Add", [f"c{i}", f"c{i}"], [f"c{i + 1}"]) for i in range(300)), relu]
    elif case == "range-of-a-million":
        nodes = [_const("a", [0]), _const("b", [10**6]), _const("d", [1]), helper.make_node("Range", ["a", "b", "d"],
                                                                                           ["r"]), relu]
    elif case == "expand-to-a-billion":
        nodes = [_const("one", [1]), _const("s", [10**9]), helper.make_node("Expand", ["one", "s"], ["e"]), relu]
    elif case == "concat-doubling":
        nodes = [_const("c0", [1, 2]), *(helper.make_node("Concat", [f"c{i}", f"c{i}"], [f"c{i + 1}"], axis=0)
                                         for i in range(60)), relu]
    else:
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "H", "W"])
        nodes = [helper.make_node("Shape", ["x"], ["m0"]),
                 *(helper.make_node("Mul", [f"m{i}", f"m{i}"], [f"m{i + 1}"]) for i in range(40)),
                 helper.make_node("Reshape", ["x", "m40"], ["y"])]
        path = write(tmp_path, _onnx(nodes, x=x), "model.onnx")
        result = _bounded(path)
        assert isinstance(result, E.SymcnnError) and "power" in str(result), result
        return
    path = write(tmp_path, _onnx(nodes), "model.onnx")
    result = _bounded(path)
    if case == "forty-squarings":
        assert isinstance(result, E.SymcnnError) and "bits" in str(result), result
    else:
        assert not isinstance(result, E.SymcnnError), result


def test_hangs_onnx_naming_stays_linear(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    from onnx import helper

    nodes = [helper.make_node("Relu", ["x" if i == 0 else f"t{i - 1}"], [f"t{i}" if i < 9999 else "y"])
             for i in range(10_000)]  # unnamed: each takes its op's name, made unique
    m = _bounded(write(tmp_path, _onnx(nodes), "model.onnx"), seconds=4.0)
    assert len({r.name for r in m.records}) == len(m.records) == 10_001


def test_hangs_a_million_unused_initializers_are_refused_before_parsing(tmp_path: Path) -> None:
    pytest.importorskip("onnx")
    from onnx import TensorProto, helper

    from symcnn.io.onnx import MAX_ONNX_INITIALIZERS

    base = helper.make_model(helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "g",
                                               [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
                                               [helper.make_tensor_value_info("y", TensorProto.FLOAT, None)]),
                             opset_imports=[helper.make_opsetid("", 17)])
    graph = base.graph.SerializeToString()
    one = helper.make_tensor("i", TensorProto.FLOAT, [1], [0.0]).SerializeToString()
    entry = b"\x2a" + bytes([len(one)]) + one  # GraphProto field 5 (initializer), length-delimited
    graph += entry * 1_000_000  # 20 MB: protobuf would take 280 MB to build them all
    base.ClearField("graph")
    model_bytes = base.SerializeToString()
    size, rest = len(graph), b""
    while True:
        byte = size & 0x7F
        size >>= 7
        rest += bytes([byte | (0x80 if size else 0)])
        if not size:
            break
    path = write(tmp_path, model_bytes + b"\x3a" + rest + graph, "model.onnx")  # ModelProto field 7 (graph)
    result = _bounded(path, mib=100)
    assert isinstance(result, E.LimitError) and f"{MAX_ONNX_INITIALIZERS:,}" in str(result), result


@pytest.mark.parametrize("junk", ["[]", "{}", "[[]]", "0.5"])
def test_hangs_keras_json_memory_is_bounded_per_input_byte(tmp_path: Path, junk: str) -> None:
    path = write(tmp_path, '{"class_name": "Sequential", "config": {"layers": [' + ",".join([junk] * 3_000_000)
                 + "]}}", "model.json")  # 6-12 MB that json.loads would turn into 200-700 MB of lists
    result = _bounded(path, mib=150)
    assert isinstance(result, E.LimitError) and "values" in str(result), result


@pytest.mark.parametrize("reader", ["yaml", "onnx", "keras"])
def test_hangs_a_thousand_symbolic_sizes_stay_fast(capsys: pytest.CaptureFixture[str], tmp_path: Path,
                                                   reader: str) -> None:
    if reader == "yaml":
        path = write(tmp_path, model("Dense: {units: 4, name: d}", "Flatten",
                                     input="[" + ", ".join(f"S{i}" for i in range(1000)) + "]"))
    elif reader == "onnx":
        pytest.importorskip("onnx")
        from onnx import TensorProto, helper

        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1] + [f"d{i}" for i in range(1000)])
        path = write(tmp_path, _onnx([helper.make_node("Relu", ["x"], ["y"])], x=x), "model.onnx")
    else:
        spec = {"class_name": "Sequential", "config": {"name": "wide", "layers": [
            {"class_name": "InputLayer", "config": {"batch_shape": [None] * 1001, "name": "x"}},
            {"class_name": "Dense", "config": {"name": "d", "units": 4}}]}}
        path = write(tmp_path, json.dumps(spec), "model.json")
    start = time.process_time()
    for command in ("summary", "formula"):
        run = cli(capsys, command, str(path))
        assert run.status in (0, 2), run.err
    assert time.process_time() - start < 4


# ---- 7. files that contradict themselves ------------------------------------------------------------------------


def _contradiction(case: str) -> bytes:
    import numpy as np
    from onnx import helper, numpy_helper

    def w(name: str, *shape: int) -> Any:
        return numpy_helper.from_array(np.zeros(shape, np.float32), name)

    if case == "kernel-shape-against-the-weight":
        return _onnx([helper.make_node("Conv", ["x", "w"], ["y"], name="bad", kernel_shape=[5, 5])],
                     inits=[w("w", 4, 3, 3, 3)])
    if case == "batchnorm-with-a-7-value-scale":
        return _onnx([helper.make_node("BatchNormalization", ["x", "s", "b", "m", "v"], ["y"], name="bad")],
                     inits=[w("s", 7), w("b", 3), w("m", 3), w("v", 3)])
    if case == "two-nodes-write-one-tensor":
        return _onnx([helper.make_node("Relu", ["x"], ["y"], name="first"),
                      helper.make_node("Sigmoid", ["x"], ["y"], name="bad")])
    if case == "a-node-overwrites-an-initializer":
        return _onnx([helper.make_node("Relu", ["x"], ["w"], name="bad"), helper.make_node("Relu", ["w"], ["y"])],
                     inits=[w("w", 3)])
    if case == "an-impossible-broadcast":
        return _onnx([helper.make_node("Add", ["x", "onnx::c"], ["y"], name="bad")], inits=[w("onnx::c", 7)])
    if case == "conv-channels-against-the-input":
        return _onnx([helper.make_node("Conv", ["x", "w"], ["y"], name="bad")], inits=[w("w", 4, 5, 3, 3)])
    if case == "conv-bias-of-the-wrong-length":
        return _onnx([helper.make_node("Conv", ["x", "w", "b"], ["y"], name="bad")], inits=[w("w", 4, 3, 3, 3),
                                                                                           w("b", 5)])
    if case == "groups-that-do-not-divide":
        return _onnx([helper.make_node("Conv", ["x", "w"], ["y"], name="bad", group=2)], inits=[w("w", 3, 1, 3, 3)])
    from onnx import TensorProto  # gemm-inner-sizes

    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 6])
    return _onnx([helper.make_node("Gemm", ["x", "w", "b"], ["y"], name="bad", transB=1)], inits=[w("w", 4, 5),
                                                                                                  w("b", 4)], x=x)


@pytest.mark.parametrize("case", ["kernel-shape-against-the-weight", "batchnorm-with-a-7-value-scale",
                                  "two-nodes-write-one-tensor", "a-node-overwrites-an-initializer",
                                  "an-impossible-broadcast", "conv-channels-against-the-input",
                                  "conv-bias-of-the-wrong-length", "groups-that-do-not-divide", "gemm-inner-sizes"])
def test_contradictions_an_onnx_file_that_disagrees_with_itself_is_refused(capsys: pytest.CaptureFixture[str],
                                                                          tmp_path: Path, case: str) -> None:
    pytest.importorskip("onnx")
    path = write(tmp_path, _contradiction(case), "model.onnx")
    line = assert_user_error(cli(capsys, "summary", str(path)), file=path)
    assert "bad" in line, f"the node is not named: {line}"


def test_contradictions_a_keras_zip_with_two_config_files_is_refused(capsys: pytest.CaptureFixture[str],
                                                                     tmp_path: Path) -> None:
    import warnings

    path = tmp_path / "model.keras"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # zipfile warns about the duplicate name
        with zipfile.ZipFile(path, "w") as z:
            z.writestr("config.json", SEED_JSON)
            z.writestr("config.json", '{"class_name": "Sequential", "config": {"layers": []}}')
    assert_user_error(cli(capsys, "summary", str(path)), file=path, problem=("config.json",))


# ---- 8. exact numbers, however large --------------------------------------------------------------------------


def test_exactness_vectorize_is_exact_past_int64() -> None:
    import numpy as np
    import sympy

    from symcnn.sweep import vectorize

    H, W = sympy.symbols("H W", integer=True, positive=True)
    m = symcnn.load(SEED_YAML).with_input((None, H, W, 1))
    f = vectorize(m.total_macs, [H, W])
    sizes = np.array([64, 4 * 10**7, 2**40])
    values = f(sizes, sizes)
    exact = [m.total_macs.subs({H: int(s), W: int(s)}) for s in sizes]
    assert [int(v) for v in values] == exact and all(v > 0 for v in exact)
    assert exact[1] > 2**63  # the seed's MACs at 4e7 × 4e7: int64 would have wrapped to a negative number
    assert f(np.array([64]), np.array([64])).dtype == np.int64  # small sizes stay fast int64


def test_hangs_a_check_table_at_the_row_limit_stays_fast(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    check = pytest.importorskip("symcnn.check")
    rows = (HOSTILE.parent / "check" / "seed_tutorial.csv").read_text(encoding="utf-8").splitlines()
    body = [r for r in rows[1:] if r.strip()]
    table = write(tmp_path, "\n".join([rows[0], *(body * check.MAX_TABLE_ROWS)[: check.MAX_TABLE_ROWS]]) + "\n",
                  "table.csv")
    start = time.process_time()
    run = cli(capsys, "check", str(SEED_YAML), "--table", str(table))
    assert run.status in (0, 1), run.err
    assert time.process_time() - start < 10, "2,000 rows should take seconds, not minutes"
