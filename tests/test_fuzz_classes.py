"""Fuzzing the eight classes of hostile input of issue #10: each stays closed, whatever Hypothesis makes.

One test (or two) per class, at least 500 inputs each (``SYMCNN_FUZZ_SCALE=10`` for ten times as
many). Every input ends in a result or a symcnn error within 2 s of CPU and 500 MiB
(:mod:`fuzz_harness`); results are checked against truths derived in the test or the strategy,
never against symcnn's own output. The table of classes, inputs and outcomes is written to
``test-output/fuzz-classes.json`` and ``test-output/fuzz-classes.md`` and printed at the end:

    KERAS_BACKEND=torch python -m pytest -q tests/test_fuzz_classes.py
"""

from __future__ import annotations

import contextlib
import io
import json
import math
import os
import stat
import tempfile
import warnings
import zipfile
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import sympy
from fuzz_harness import Fuzz, not_whole
from fuzz_strategies import SEEDS, keras_zip_bytes
from hostile_strategies import (
    OUTPUT_PATHS,
    SECRET,
    crashing_json,
    crashing_yaml,
    exact_value,
    forged_models,
    heavy_json,
    heavy_onnx_specs,
    mkdocs_configs,
    number_models,
    onnx_layers,
    site_states,
    sweep_cases,
    template_texts,
)
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import symcnn
from symcnn.errors import SymcnnError, visible

SCALE = float(os.environ.get("SYMCNN_FUZZ_SCALE", "1"))
CLASSES = {  # examples per test; a class with two tests adds them up
    "templates": 300, "mkdocs-config": 250, "paths": 500, "names": 500, "numbers": 500, "tracebacks": 500,
    "hangs": 500, "contradictions": 500, "exactness": 500,
}
EXAMPLES = {c: max(1, round(n * SCALE)) for c, n in CLASSES.items()}
FUZZ = Fuzz(["templates", "paths", "names", "numbers", "tracebacks", "hangs", "contradictions", "exactness"])
SETTINGS = settings(deadline=None, database=None, suppress_health_check=list(HealthCheck))
REPO = Path(__file__).resolve().parent.parent
TINY = "name: tiny\ninput: [4]\nlayers:\n  - Dense: {units: 2, name: d}\n"


@pytest.fixture(scope="module", autouse=True)
def fuzz_table(request: pytest.FixtureRequest, test_output_dir: Path) -> Iterator[None]:
    """After the module: the table of classes in test-output/ and in the terminal."""
    symcnn.load(REPO / "examples" / "seed.yaml").records  # noqa: B018 - imports and caches, not charged to inputs
    yield
    FUZZ.write(test_output_dir / "fuzz-classes.json", scale=SCALE)
    command = "KERAS_BACKEND=torch python -m pytest -q tests/test_fuzz_classes.py"
    table = [*FUZZ.table(), "", f"(written by `{command}`)"]
    (test_output_dir / "fuzz-classes.md").write_text("\n".join(table) + "\n", encoding="utf-8")
    reporter = request.config.pluginmanager.getplugin("terminalreporter")
    capture = request.config.pluginmanager.getplugin("capturemanager")
    if reporter is not None and capture is not None:
        with capture.global_and_fixture_disabled():
            reporter.write_line("")
            for line in table:
                reporter.write_line(line)


def _model(text: str, name: str = "fuzz.yaml") -> Any:
    from symcnn.io.yaml_reader import model_from_yaml

    model = model_from_yaml(text, source=name)
    _ = model.records
    return model


def _count_not_whole(category: str, model: Any) -> None:
    if model is not None:
        bad = not_whole(model)
        FUZZ.note(category, "not_whole", len(bad))
        assert not bad, bad


# ---- 1. templates are data ---------------------------------------------------------------------------


@pytest.fixture(scope="module")
def template_folder(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("templates")
    (root / "secret.txt").write_text(SECRET, encoding="utf-8")
    folder = root / "tpl"
    folder.mkdir()
    (folder / "inside.md").write_text("inside", encoding="utf-8")
    (folder / "inside_link.md").symlink_to(folder / "inside.md")
    (folder / "outside.md").symlink_to(root / "secret.txt")
    return folder


_TEMPLATE_RUNS = [0]


@settings(SETTINGS, max_examples=EXAMPLES["templates"])
@given(template_texts)
def test_templates_are_data_a_template_reaches_no_object_method_or_file_beyond_its_values(
    template_folder: Path, text: str
) -> None:
    from symcnn.render.pages import render_model_markdown

    page = template_folder / "page.md.j2"
    page.write_text(text, encoding="utf-8")
    _TEMPLATE_RUNS[0] += 1
    os.utime(page, ns=(_TEMPLATE_RUNS[0], _TEMPLATE_RUNS[0]))  # a new template each time, however fast
    model = _model(TINY)
    out = FUZZ.run("templates", lambda: render_model_markdown(model, templates=template_folder))
    if out is not None:
        assert SECRET not in out, "a template copied a file from outside its folder"
        assert "<class" not in out and "function" not in out.lower().replace("functions", ""), out[:200]


_SYMCNN_KEYS = {"site_name", "site_description", "site_author", "copyright", "use_directory_urls", "theme", "extra",
                "extra_css", "extra_javascript", "markdown_extensions", "hooks", "plugins", "nav", "strict",
                "validation"}


@settings(SETTINGS, max_examples=EXAMPLES["mkdocs-config"])
@given(mkdocs_configs())
def test_templates_are_data_a_rendered_mkdocs_yml_holds_only_symcnns_settings(text: str) -> None:
    from symcnn.render.mkdocs_config import check_mkdocs_config

    config = FUZZ.run("templates", lambda: check_mkdocs_config(text))
    if config is None:
        return
    assert set(config) <= _SYMCNN_KEYS
    assert config.get("hooks", ["hooks/symcnn_math.py"]) == ["hooks/symcnn_math.py"]
    names = [next(iter(p)) if isinstance(p, dict) else p for p in config.get("plugins", [])]
    assert set(names) <= {"search", "offline"}
    theme = config.get("theme", {})
    assert not isinstance(theme, dict) or "custom_dir" not in theme
    for path in [*config.get("extra_css", []), *config.get("extra_javascript", [])]:
        assert "://" not in path and not path.startswith("/") and ".." not in path.split("/")


# ---- 2. every path stays inside the output folder ---------------------------------------------------------


def _snapshot(root: Path, skip: Path | None = None) -> dict[str, tuple[str, bytes | str, int]]:
    """Every entry under ``root`` (links not followed): its kind, content or target, and mode."""
    out: dict[str, tuple[str, bytes | str, int]] = {}
    for dirpath, dirnames, filenames in os.walk(root, followlinks=False):
        here = Path(dirpath)
        if skip is not None and (here == skip or skip in here.parents):
            dirnames.clear()
            continue
        for name in dirnames + filenames:
            p = here / name
            if skip is not None and p == skip:
                continue
            info = p.lstat()
            if stat.S_ISLNK(info.st_mode):
                out[str(p)] = ("link", os.readlink(p), 0)
            elif stat.S_ISREG(info.st_mode):
                out[str(p)] = ("file", p.read_bytes(), stat.S_IMODE(info.st_mode))
            else:
                out[str(p)] = ("dir" if stat.S_ISDIR(info.st_mode) else "other", b"", stat.S_IMODE(info.st_mode))
    return out


def _plant(base: Path, state: dict[str, Any]) -> tuple[Path, Path | None]:
    """Build the state's output folder under ``base``; (the -o path, the real folder it names or None)."""
    out, kind = base / "site", state["root_kind"]
    real: Path | None = out
    if kind == "link-to-dir":
        real = base / "real"
        real.mkdir()
        out.symlink_to(real)
    elif kind == "dangling":
        out.symlink_to(base / "nowhere")
        real = None
    elif kind == "file":
        out.write_text("a user's file")
        real = None
    elif kind == "under-a-file":
        (base / "f").write_text("a user's file")
        out, real = base / "f" / "site", None
    elif kind == "dir":
        out.mkdir()
    else:
        real = None  # missing: created by the run
    if real is not None and real.is_dir():
        victim = base / "victim"
        for rel, entry in state["entries"]:
            p = real / rel
            if not (p.parent.is_dir() and not p.parent.is_symlink()) or os.path.lexists(p):
                continue
            if entry == "file":
                p.write_bytes(b"a user's file")
            elif entry == "dir":
                p.mkdir()
            elif entry in ("link-out-dir", "link-out-file"):
                p.symlink_to(victim if entry == "link-out-dir" else victim / "a.txt")
            elif entry == "link-in":
                p.symlink_to(real / "notes.txt")
            else:
                p.symlink_to(base / "nowhere")
        marker = state["marker"]
        if marker is not None and not os.path.lexists(real / ".symcnn-site"):
            listed = sorted(state["files"]) if marker == "written" else marker
            text = "{not json" if marker == "garbage" else json.dumps({"generator": "symcnn docs", "files": listed})
            (real / ".symcnn-site").write_text(text)
    return out, real


@settings(SETTINGS, max_examples=EXAMPLES["paths"])
@given(site_states())
def test_every_path_written_or_removed_stays_inside_the_output_folder(state: dict[str, Any]) -> None:
    from symcnn.render.site_files import write_files

    umask = os.umask(0o022)
    os.umask(umask)
    with tempfile.TemporaryDirectory(prefix="symcnn-fuzz-") as tmp:
        base = Path(tmp)
        (base / "victim").mkdir()
        (base / "victim" / "a.txt").write_text("precious")
        out, real = _plant(base, state)
        inside = real if real is not None else out
        outside_before = _snapshot(base, skip=inside)
        inside_before = _snapshot(inside) if inside.is_dir() else {}
        done = FUZZ.run("paths", lambda: write_files(out, state["files"], force=state["force"]) or True)
        assert _snapshot(base, skip=inside) == outside_before, "something outside the output folder changed"
        assert (base / "victim" / "a.txt").read_text() == "precious"
        if not done:
            return
        FUZZ.note("paths", "written")
        root = Path(os.path.realpath(out))
        for rel, data in state["files"].items():
            p = out / rel
            assert not p.is_symlink() and p.read_bytes() == data, rel
            assert Path(os.path.realpath(p)).is_relative_to(root)
            assert stat.S_IMODE(p.lstat().st_mode) == 0o666 & ~umask, oct(p.lstat().st_mode)
        after = _snapshot(root)
        assert not [p for p in after if p.endswith(".symcnn.tmp")], "a temporary file was left behind"
        written = {str(inside / rel) for rel in state["files"]} | {str(inside / ".symcnn-site")}
        for path, entry in inside_before.items():
            if path in written or entry[0] == "dir":
                continue
            assert after.get(path) == entry or entry[0] == "file", f"{path} was changed"  # a listed stale file may go


# ---- 3. names cannot forge output ----------------------------------------------------------------------------

_PLAIN_LINES: dict[str, int] = {}


def _printed(model: Any) -> dict[str, str]:
    from symcnn.check import check
    from symcnn.cli.formula import formula_text
    from symcnn.render import summary

    conv = next(r for r in model.records if r.type == "Conv2D")
    out = {"table": summary.table(model), "markdown": summary.markdown(model), "latex": summary.latex(model),
           "formula": formula_text(model, "text")}
    try:
        out["check"] = check(model, conv, params="20").report()
    except SymcnnError as exc:  # a name check cannot find: still one printable line
        out["check-error"] = str(exc)
    return out


@settings(SETTINGS, max_examples=EXAMPLES["names"])
@given(forged_models())
def test_names_cannot_forge_output_every_printer_escapes_control_characters(case: tuple[str, dict[str, str]]) -> None:
    text, _ = case  # (the names as given: YAML may fold a line break in them, so the parsed ones are checked)
    if not _PLAIN_LINES:  # the same model with plain names: how many lines each printer prints
        _PLAIN_LINES.update({k: v.count("\n") for k, v in _printed(_model(_plain_model())).items()})
    printed = FUZZ.run("names", lambda: _printed(_model(text)))
    if printed is None:
        return
    model = _model(text)
    for rec in model.records[1:]:  # (YAML folds a line break inside a quoted name into a space: its own rule)
        assert visible(rec.name) in printed["table"], "the name is shown, escaped, not dropped"
    for printer, out in printed.items():
        assert all(ch.isprintable() or ch == "\n" for ch in out), f"{printer}: {out!r}"
        if printer == "check":  # the layer checked may differ (a name matches another): its lines are indented
            assert all(line.startswith("  ") for line in out.splitlines()[1:]), out
        elif printer in _PLAIN_LINES:
            assert out.count("\n") == _PLAIN_LINES[printer], f"{printer} printed extra lines:\n{out}"


def _plain_model() -> str:
    return ('{"name": "plain", "input": [8, 8, 1], "layers": [{"Conv2D": {"filters": 2, '
            '"kernel_size": 3, "name": "plain"}}, "Flatten", {"Dense": {"units": 2, "name": "plain_d"}}]}')


# ---- 4. numbers mean one thing, exactly ---------------------------------------------------------------------


def _expected_numbers(where: str, value: Fraction | None) -> Any:
    """What the model must show for the number (an int or a shape), or None when it must be refused."""
    if value is None or where in ("duplicate", "top"):
        return None
    whole = value.denominator == 1 and value >= 1
    n = int(value) if whole else None
    if where == "units":
        return 2 * n if n else None  # Dense on (8, 8, 1): (1 + 1) × units
    if where == "filters":
        return 10 * n if n else None  # Conv2D 3×3 on 1 channel: 9 × filters + filters
    if where == "kernel":
        return 2 * n * n + 2 if n and n <= 8 else None
    if where == "rate":
        return 4 if 0 <= value < 1 else None  # Dropout, then Dense(2): 2 × 2
    if where == "scale":
        if value <= 0:
            return None
        size = 8 * int(value) if value.denominator == 1 else math.floor(8 * float(value))
        return size if size >= 1 else None
    if where == "input":
        return 4 * n if n else None  # Flatten of (n, 4, 1)
    return None


@settings(SETTINGS, max_examples=EXAMPLES["numbers"])
@given(number_models())
def test_numbers_mean_one_thing_a_size_rate_or_scale_is_exact_or_refused(case: tuple[str, str, str]) -> None:
    text, where, number = case
    expected = _expected_numbers(where, exact_value(number))
    model = FUZZ.run("numbers", lambda: _model(text))
    if model is None:
        FUZZ.note("numbers", "refused" if expected is None else "refused-valid")
        return
    assert expected is not None, f"{number!r} as {where} should have been refused"
    got = model.records[-1].output_shape[-1] if where in ("scale", "input") else model.total_params
    assert got == expected, f"{number!r} as {where}: got {got}, expected {expected}"
    _count_not_whole("numbers", model)


_SUBSTITUTED = st.tuples(
    st.sampled_from(["units", "filters", "input"]),
    st.integers(1, 9),  # numerator multiple a, in a*F/b (+ c)
    st.integers(1, 8),  # denominator b
    st.integers(-3, 3),  # offset c
    st.integers(1, 400),  # the value given with --set
    st.sampled_from(["set", "defaults", "subs"]),  # how the value arrives
)


def _substituted_case(where: str, a: int, b: int, c: int) -> str:
    size = f"{a}*F/{b} + {c}" if c else f"{a}*F/{b}"
    layers = {"units": f"  - Dense: {{units: {size}}}\n", "filters": f"  - Conv2D: {{filters: {size}, kernel_size: 3}}\n",
              "input": "  - Flatten\n"}[where]
    head = f"input: [{size}, 4, 1]\n" if where == "input" else "input: [8, 8, 1]\n"
    return head + "layers:\n" + layers


@settings(SETTINGS, max_examples=EXAMPLES["numbers"])
@given(_SUBSTITUTED)
def test_numbers_a_size_stays_whole_after_every_substitution(case: tuple[str, int, int, int, int, str]) -> None:
    """``units: a*F/b + c`` read with F open, then F given (by --set, as a file default, or model.subs)."""
    where, a, b, c, value, path = case
    size = Fraction(a * value, b) + c
    whole = size.denominator == 1 and size >= 1
    expected = {"units": lambda n: 2 * n, "filters": lambda n: 10 * n, "input": lambda n: 4 * n}[where]
    text = _substituted_case(where, a, b, c)

    def build() -> Any:
        if path == "defaults":
            model = _model(text.replace("layers:", f"symbols: {{F: {value}}}\nlayers:", 1)).with_defaults()
        elif path == "subs":
            model = _model(text).subs({"F": value})
        if path != "set":
            _ = model.records  # every size is built and checked here
            return model
        from symcnn.cli.common import load_model

        folder = REPO / "test-output" / "fuzz-substituted"
        folder.mkdir(parents=True, exist_ok=True)
        file = folder / "model.yaml"
        file.write_text(text, encoding="utf-8")
        return load_model(str(file), sets=[f"F={value}"])

    model = FUZZ.run("numbers", build)
    if model is None:
        FUZZ.note("numbers", "refused" if not whole else "refused-valid")
        assert not whole, f"{where} = {size} at F = {value} is whole, but was refused: {FUZZ.last_error}"
        return
    assert whole, f"{where} = {size} at F = {value} is not a whole size, yet the model was built"
    got = model.records[-1].output_shape[-1] if where == "input" else model.total_params
    assert got == expected(int(size)), f"{where} = {size}: got {got}"
    _count_not_whole("numbers", model)


# ---- 5. no tracebacks -------------------------------------------------------------------------------------------


def _cli(*argv: str) -> tuple[int, str]:
    from symcnn.cli import main

    err = io.StringIO()
    with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(err):
        status = main(list(argv))
    return status, err.getvalue()


def _output_path(base: Path, case: str) -> tuple[str, list[str]]:
    """A hostile -o path (and extra options) under ``base``."""
    if case == "under-a-file":
        (base / "f").write_text("x")
        return str(base / "f" / "site"), []
    if case == "too-long":
        return str(base / ("a" * 300)), []
    if case == "dangling-link":
        (base / "site").symlink_to(base / "nowhere")
        return str(base / "site"), []
    if case == "link-to-dir":
        (base / "real").mkdir()
        (base / "site").symlink_to(base / "real")
        return str(base / "site"), []
    if case in ("file-where-folder", "folder-where-file"):
        (base / "site").mkdir()
        if case == "file-where-folder":
            (base / "site" / "docs").write_text("x")
        else:
            (base / "site" / "mkdocs.yml").mkdir()
        return str(base / "site"), ["--force"]
    if case == "nul-in-name":
        return str(base / "a\0b"), []
    if case == "newline-in-name":
        return str(base / "a\nb\x1b[2J"), []
    if case == "missing-parent":
        return str(base / "x" / "y" / "site"), []
    if case == "existing-foreign":
        (base / "site").mkdir()
        (base / "site" / "notes.txt").write_text("mine")
        return str(base / "site"), []
    os.mkfifo(base / "site")
    return str(base / "site"), []


@settings(SETTINGS, max_examples=EXAMPLES["tracebacks"])
@given(st.one_of(crashing_yaml().map(lambda t: ("yaml", t)), crashing_json().map(lambda t: ("json", t)),
                 st.tuples(st.just("docs"), st.sampled_from(OUTPUT_PATHS))),
       st.integers(0, 9))
def test_no_tracebacks_every_bad_input_is_one_line_and_exit_2(case: tuple[str, str], roll: int) -> None:
    kind, payload = case
    if kind == "docs" and roll:  # a docs run renders a site: one in ten draws keeps the class cheap
        kind, payload = "yaml", "input: [4]\nlayers:\n  - Dense: {units: !!int x}\n"
    with tempfile.TemporaryDirectory(prefix="symcnn-fuzz-") as tmp:
        base = Path(tmp)
        model = base / ("model.json" if kind == "json" else "model.yaml")
        model.write_text(TINY if kind == "docs" else payload, encoding="utf-8", errors="surrogatepass")
        if kind == "docs":
            out, extra = _output_path(base, payload)
            argv = ["docs", str(model), "-o", out, *extra]
        else:
            argv = ["summary", str(model)]
        status = FUZZ.run("tracebacks", lambda: _exit_status(argv))
    FUZZ.note("tracebacks", f"exit-{2 if status is None else status}")


class _ExitTwo(SymcnnError):
    """Exit status 2: counted as a clean error (the harness checks its one line)."""


def _exit_status(argv: list[str]) -> int:
    status, err = _cli(*argv)
    assert status in (0, 2), err
    if status == 2:
        lines = err.splitlines()
        assert len(lines) == 1 and lines[0].startswith("symcnn: error: "), err
        assert all(ch.isprintable() for ch in lines[0]), repr(lines[0])
        raise _ExitTwo(lines[0])
    return status


# ---- 6. hangs and memory ---------------------------------------------------------------------------------------------


def _onnx_bytes(spec: dict[str, Any]) -> bytes:
    """An ONNX graph from a heavy_onnx_specs recipe: small on disk, expensive to read without bounds."""
    from onnx import TensorProto, helper, numpy_helper

    n, size, kind = spec["length"], spec["size"], spec["kind"]
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 3, "H", "W"] if "symbolic" in kind else [1, 3, 8, 8])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)

    def const(name: str, values: list[int]) -> Any:
        return helper.make_node("Constant", [], [name], value=numpy_helper.from_array(np.array(values, np.int64)))

    nodes = []
    if kind == "square-chain":
        nodes = [const("m0", [spec["seed"], 2])] + [helper.make_node("Mul", [f"m{i}", f"m{i}"], [f"m{i + 1}"])
                                                      for i in range(n)]
        nodes.append(helper.make_node("Reshape", ["x", f"m{n}"], ["y"]))
    elif kind in ("big-broadcast-chain", "expand-chain"):
        nodes = [const("s", [min(size, 2**62)]),
                 helper.make_node("ConstantOfShape", ["s"], ["c0"], value=numpy_helper.from_array(np.ones(1, np.float32)))]
        op = "Add" if kind == "big-broadcast-chain" else "Expand"
        for i in range(n):
            nodes.append(helper.make_node(op, [f"c{i}", f"c{i}" if op == "Add" else "s"], [f"c{i + 1}"]))
        nodes.append(helper.make_node("Shape", [f"c{n}"], ["sh"]))
        nodes.append(helper.make_node("Relu", ["x"], ["y"]))
    elif kind == "range":
        nodes = [const("a", [0]), const("b", [min(size, 2**62)]), const("d", [1]),
                 helper.make_node("Range", ["a", "b", "d"], ["r"]), helper.make_node("ReduceSum", ["r"], ["t"]),
                 helper.make_node("Relu", ["x"], ["y"])]
    elif kind == "unnamed":
        prev = "x"
        for i in range(n * 5):  # (10,000 unnamed nodes: tests/test_hostile.py)
            nodes.append(helper.make_node("Relu", [prev], [f"t{i}"]))
            prev = f"t{i}"
        nodes.append(helper.make_node("Relu", [prev], ["y"]))
    elif kind == "many-dims":
        x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1] + [f"d{i}" for i in range(min(size, 1000))])
        nodes = [helper.make_node("Relu", ["x"], ["y"])]
    elif kind == "concat-doubling":
        nodes = [const("c0", [1, 2])] + [helper.make_node("Concat", [f"c{i}", f"c{i}"], [f"c{i + 1}"], axis=0)
                                          for i in range(n)]
        nodes.append(helper.make_node("Relu", ["x"], ["y"]))
    elif kind == "reduce-chain":
        nodes = [helper.make_node("Shape", ["x"], ["s0"])]
        for i in range(n):
            nodes.append(helper.make_node("ReduceProd", [f"s{i}"], [f"p{i}"], keepdims=1))
            nodes.append(helper.make_node("Concat", [f"s{i}", f"p{i}"], [f"s{i + 1}"], axis=0))
        nodes.append(helper.make_node("Relu", ["x"], ["y"]))
    else:  # symbolic-square
        nodes = [helper.make_node("Shape", ["x"], ["m0"])] + [
            helper.make_node("Mul", [f"m{i}", f"m{i}"], [f"m{i + 1}"]) for i in range(n)]
        nodes.append(helper.make_node("Reshape", ["x", f"m{n}"], ["y"]))
    graph = helper.make_graph(nodes, "g", [x], [y])
    return helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()


@settings(SETTINGS, max_examples=EXAMPLES["hangs"])
@given(st.one_of(heavy_onnx_specs().map(lambda s: ("onnx", s)), heavy_json().map(lambda s: ("json", s)),
                 st.integers(1, 1000).map(lambda n: ("yaml", n))))
def test_hangs_and_memory_every_stage_is_bounded_by_its_input(case: tuple[str, Any]) -> None:
    kind, spec = case
    if kind == "onnx":
        pytest.importorskip("onnx")
        with tempfile.TemporaryDirectory(prefix="symcnn-fuzz-") as tmp:
            path = Path(tmp) / "heavy.onnx"
            path.write_bytes(_onnx_bytes(spec))
            FUZZ.note("hangs", f"onnx:{spec['kind']}")
            model = FUZZ.run("hangs", lambda: _exercise(symcnn.load(path)))
    elif kind == "json":
        from symcnn.io.keras import model_from_keras_json

        model = FUZZ.run("hangs", lambda: _exercise(model_from_keras_json(spec, "heavy.json")))
    else:
        dims = ", ".join(f"S{i}" for i in range(spec))
        text = f"input: [{dims}]\nlayers:\n  - Dense: {{units: 4}}\n  - Flatten\n"
        model = FUZZ.run("hangs", lambda: _exercise(_model(text)))
    _count_not_whole("hangs", model)


def _exercise(model: Any) -> Any:
    from symcnn.render import summary

    summary.table(model)
    model.macs("fvcore")
    return model


# ---- 7. files that contradict themselves ----------------------------------------------------------------------------


def _learned_node(spec: dict[str, Any]) -> tuple[bytes, bool, Any, str]:
    """(ONNX bytes, consistent?, the parameters it holds, the name of the node to blame)."""
    from onnx import TensorProto, helper, numpy_helper

    op, c = spec["op"], spec["channels"]

    def init(name: str, *shape: int) -> Any:
        return numpy_helper.from_array(np.zeros(shape, np.float32), name)

    inits: list[Any] = []
    x_shape = [1, c, 8, 8]
    nodes: list[Any]
    if op in ("Conv", "ConvTranspose"):
        out, group, k = spec["out"], spec["group"], spec["k"]
        ok = spec["input_channels"] == "right" and spec["kernel_attr"] != "other" and (
            not spec["bias"] or spec["bias_len"] == "right")
        x_shape[1] = c if spec["input_channels"] == "right" else c + 1
        w = (out, c // group, k, k) if op == "Conv" else (c, out // group, k, k)
        inits.append(init("w", *w))
        inputs = ["x", "w"]
        if spec["bias"]:
            inits.append(init("b", out if spec["bias_len"] == "right" else out + 1))
            inputs.append("b")
        attrs: dict[str, Any] = {"group": group}
        if spec["kernel_attr"] != "none":
            attrs["kernel_shape"] = [k, k] if spec["kernel_attr"] == "same" else [k + 1, k + 1]
        nodes = [helper.make_node(op, inputs, ["y"], name="n0", **attrs)]
        params = math.prod(w) + (out if spec["bias"] else 0)
    elif op == "BatchNormalization":
        lengths = spec["lengths"]
        inits += [init(name, n) for name, n in zip(("s", "b", "m", "v"), lengths)]
        nodes = [helper.make_node(op, ["x", "s", "b", "m", "v"], ["y"], name="n0")]
        ok, params = all(n == c for n in lengths), 2 * c  # weight and bias; the running mean and variance are buffers
    elif op == "PRelu":
        n = spec["lengths"][0]
        inits.append(init("slope", n, 1, 1))
        nodes = [helper.make_node(op, ["x", "slope"], ["y"], name="n0")]
        ok, params = n in (c, 1), n
    elif op == "Gemm":
        k, n, k_b, trans = spec["k"], spec["n"], spec["k_b"], spec["trans"]
        x_shape = [1, k]
        inits.append(init("w", *((n, k_b) if trans else (k_b, n))))
        inputs = ["x", "w"]
        if spec["bias_len"] != "none":
            inits.append(init("b", n + 1 if spec["bias_len"] == "wrong" else n))
            inputs.append("b")
        nodes = [helper.make_node(op, inputs, ["y"], name="n0", transB=int(trans))]
        ok = k_b == k and spec["bias_len"] != "wrong"
        params = k * n + (n if spec["bias_len"] != "none" else 0)
    elif op == "Add":
        inits.append(init("onnx::c", *spec["shape"]))
        nodes = [helper.make_node(op, ["x", "onnx::c"], ["y"], name="n0")]
        try:
            np.broadcast_shapes(tuple(x_shape), tuple(spec["shape"]))
            ok = True
        except ValueError:
            ok = False
        params = 0
    else:  # two nodes writing one tensor
        nodes = [helper.make_node("Relu", ["x"], ["y"], name="n0"),
                 helper.make_node("Sigmoid", ["x"], ["y" if spec["bad"] else "z"], name="n1")]
        ok, params = not spec["bad"], 0
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, x_shape)
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, None)
    graph = helper.make_graph(nodes, "g", [x], [y], initializer=inits)
    data = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]).SerializeToString()
    return data, ok, params, "n1" if op == "two-writers" else "n0"


@settings(SETTINGS, max_examples=EXAMPLES["contradictions"])
@given(st.one_of(onnx_layers().map(lambda s: ("onnx", s)), st.integers(1, 3).map(lambda n: ("keras", n))))
def test_contradictions_a_file_that_disagrees_with_itself_is_refused_naming_the_node(case: tuple[str, Any]) -> None:
    kind, spec = case
    with tempfile.TemporaryDirectory(prefix="symcnn-fuzz-") as tmp:
        if kind == "keras":  # n copies of config.json: Keras reads the last, so more than one is ambiguous
            path = Path(tmp) / "model.keras"
            data = keras_zip_bytes(json_quoted_config(), zipfile.ZIP_DEFLATED)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # zipfile warns about the duplicate name: that is the point
                buf = io.BytesIO(data)
                with zipfile.ZipFile(buf, "a") as z:
                    for _ in range(spec - 1):
                        z.writestr("config.json", b'{"class_name": "Sequential", "config": {"layers": []}}')
            path.write_bytes(buf.getvalue())
            model = FUZZ.run("contradictions", lambda: _loaded(path))
            assert (model is None) == (spec > 1), FUZZ.last_error
            FUZZ.note("contradictions", "refused" if model is None else "read")
            return
        pytest.importorskip("onnx")
        data, ok, params, node = _learned_node(spec)
        path = Path(tmp) / "model.onnx"
        path.write_bytes(data)
        model = FUZZ.run("contradictions", lambda: _loaded(path))
    if model is None:
        assert not ok, f"a consistent {spec['op']} was refused: {FUZZ.last_error}"
        assert node in str(FUZZ.last_error), f"the message does not name node {node!r}: {FUZZ.last_error}"
        FUZZ.note("contradictions", "refused")
        return
    assert ok, f"a self-contradictory {spec['op']} was read: {spec}"
    assert model.total_params == params, f"{spec}: {model.total_params} != {params}"
    _count_not_whole("contradictions", model)


def _loaded(path: Path) -> Any:
    model = symcnn.load(path)
    _ = model.records
    return model


def json_quoted_config() -> bytes:
    import json

    return json.dumps(SEEDS["seed_keras.json"]).encode()


# ---- 8. exact numbers, however large ----------------------------------------------------------------------------------


@settings(SETTINGS, max_examples=EXAMPLES["exactness"])
@given(sweep_cases())
def test_exactness_vectorize_never_overflows_int64_silently(case: tuple[Any, list[list[int]]]) -> None:
    from symcnn.sweep import vectorize

    expr, (hs, ws) = case
    H, W = sympy.symbols("H W", integer=True, positive=True)
    values = FUZZ.run("exactness", lambda: vectorize(expr, [H, W])(hs, ws))
    if values is None:
        return
    for h, w, got in zip(hs, ws, values.tolist()):
        want = expr.subs({H: h, W: w})
        assert int(got) == want, f"{expr} at H={h}, W={w}: {got} != {want}"
    FUZZ.note("exactness", "past-int64", int(any(abs(int(v)) >= 2**63 for v in values.tolist())))


def test_the_fuzzing_counts_hold() -> None:
    # runs last in the module (pytest keeps file order)
    report = FUZZ.report()
    for category, counts in report.items():
        assert counts.get("uncaught", 0) == 0, category
        assert counts.get("not_whole", 0) == 0, category
        assert counts.get("inputs", 0) >= min(500, round(500 * SCALE)), f"{category}: {counts.get('inputs')} inputs"
