"""No code execution from data, by construction: the package never calls an evaluator.

Every ``.py`` file under ``symcnn/`` is parsed with :mod:`ast` (so comments and
docstrings that *mention* ``eval`` do not count) and every call is checked
against a list of calls that can run code or unpickle objects: ``eval``,
``exec``, builtin ``compile``, ``__import__``, ``sympify``/``S("text")``,
``parse_expr``, ``lambdify``, ``pickle.load``, unsafe ``yaml.load``,
``torch.load`` without ``weights_only=True``, ``numpy.load(allow_pickle=True)``,
Keras's own model deserialisers, and ``subprocess`` with ``shell=True``.

A call found outside :data:`ALLOWED` fails the test. To allow one, review it
and add ``(file, enclosing function, call)`` with the reason it is safe.
"""

from __future__ import annotations

import ast
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "symcnn"

# Bare builtins that run or import code.
BUILTINS = {"eval", "exec", "compile", "__import__", "breakpoint"}
# Names (however imported) that turn text into code or objects.
EVALUATORS = {"sympify", "parse_expr", "lambdify", "model_from_json", "model_from_config",
              "deserialize_keras_object", "unsafe_load", "full_load", "load_all", "import_module"}
# Keras's loaders run Lambda layers and custom objects: banned when reached through keras.
KERAS_LOADERS = {"load_model", "load_weights"}
# module.attr calls that unpickle or load unsafely.
MODULE_CALLS = {("pickle", "load"), ("pickle", "loads"), ("marshal", "load"), ("marshal", "loads"),
                ("shelve", "open"), ("dill", "load"), ("dill", "loads"), ("cloudpickle", "load"),
                ("os", "system"), ("os", "popen")}
SAFE_YAML_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}

# Reviewed spots: (path relative to symcnn/, enclosing function qualname, call) -> why it is safe.
ALLOWED: dict[tuple[str, str, str], str] = {
    ("sweep.py", "vectorize", "lambdify"): (
        "generates NumPy code from an expression symcnn built itself; vectorize() first checks every "
        "symbol is a plain identifier (expr.is_identifier) and that the expression has no other symbols"
    ),
    ("io/yaml_loader.py", "load", "yaml.load"): (
        "Loader is StrictLoader (a yaml.SafeLoader subclass) or its twin over yaml.CSafeLoader: the safe "
        "constructors only, with symcnn's number, duplicate-key and surrogate checks added; no tag builds an object"
    ),
}


@dataclass(frozen=True)
class Finding:
    path: str
    function: str
    call: str
    line: int

    def __str__(self) -> str:
        return f"symcnn/{self.path}:{self.line} in {self.function}: {self.call}(...)"


def _keyword(call: ast.Call, name: str) -> ast.expr | None:
    return next((k.value for k in call.keywords if k.arg == name), None)


def _is_true(node: ast.expr | None) -> bool:
    return isinstance(node, ast.Constant) and node.value is True


def _dotted(node: ast.expr) -> list[str]:
    parts: list[str] = []
    while isinstance(node, ast.Attribute):
        parts.append(node.attr)
        node = node.value
    if isinstance(node, ast.Name):
        parts.append(node.id)
    return parts[::-1]


class _Scanner(ast.NodeVisitor):
    def __init__(self, path: str) -> None:
        self.path = path
        self.scope: list[str] = []
        self.aliases: dict[str, str] = {}  # local name -> original banned name
        self.found: list[Finding] = []

    # -- scopes and imports ------------------------------------------------------------
    def _scoped(self, node: ast.AST, name: str) -> None:
        self.scope.append(name)
        self.generic_visit(node)
        self.scope.pop()

    def visit_FunctionDef(self, node: ast.FunctionDef) -> None:
        self._scoped(node, node.name)

    def visit_AsyncFunctionDef(self, node: ast.AsyncFunctionDef) -> None:
        self._scoped(node, node.name)

    def visit_ClassDef(self, node: ast.ClassDef) -> None:
        self._scoped(node, node.name)

    def visit_Lambda(self, node: ast.Lambda) -> None:
        self._scoped(node, "<lambda>")

    def visit_ImportFrom(self, node: ast.ImportFrom) -> None:
        for a in node.names:
            banned = a.name in EVALUATORS or a.name in {"S", "eval", "exec"} or (
                (node.module or "").split(".")[0], a.name) in MODULE_CALLS
            if (node.module or "").split(".")[0] == "keras" and a.name in KERAS_LOADERS:
                banned = True
            if banned:
                self.aliases[a.asname or a.name] = a.name
        self.generic_visit(node)

    # -- calls -----------------------------------------------------------------------------
    def _report(self, node: ast.Call, call: str) -> None:
        self.found.append(Finding(self.path, ".".join(self.scope) or "<module>", call, node.lineno))

    def visit_Call(self, node: ast.Call) -> None:
        parts = _dotted(node.func)
        name = parts[-1] if parts else ""
        bare = isinstance(node.func, ast.Name)
        original = self.aliases.get(name, name) if bare else name
        if bare and name in BUILTINS and name not in self.aliases:
            self._report(node, name)
        elif original in EVALUATORS or (original in KERAS_LOADERS and (name in self.aliases or "keras" in parts)):
            self._report(node, original)
        elif original == "S" and not all(
            isinstance(a, ast.Constant) and isinstance(a.value, (int, float)) and not isinstance(a.value, bool)
            for a in node.args
        ):
            self._report(node, "S")  # sympy.S("text") is sympify
        elif len(parts) >= 2 and (parts[-2], name) in MODULE_CALLS:
            self._report(node, ".".join(parts[-2:]))
        elif bare and name in self.aliases and (self.aliases[name] in {"eval", "exec"}):
            self._report(node, self.aliases[name])
        elif parts[-2:] == ["yaml", "load"]:
            loader = _keyword(node, "Loader") or (node.args[1] if len(node.args) > 1 else None)
            if loader is None or (_dotted(loader)[-1:] or [""])[0] not in SAFE_YAML_LOADERS:
                self._report(node, "yaml.load")
        elif parts[-2:] == ["torch", "load"] and not _is_true(_keyword(node, "weights_only")):
            self._report(node, "torch.load")
        elif len(parts) >= 2 and parts[-2] in ("np", "numpy") and name == "load" and _is_true(
            _keyword(node, "allow_pickle")
        ):
            self._report(node, "numpy.load")
        elif _is_true(_keyword(node, "shell")):
            self._report(node, f"{'.'.join(parts)} shell=True")
        self.generic_visit(node)


def scan_source(source: str, path: str = "<snippet>") -> list[Finding]:
    """Every dangerous call in ``source`` (comments and strings never count)."""
    scanner = _Scanner(path)
    scanner.visit(ast.parse(source))
    return scanner.found


def package_findings() -> list[Finding]:
    found: list[Finding] = []
    for file in sorted(PACKAGE.rglob("*.py")):
        found += scan_source(file.read_text(encoding="utf-8"), file.relative_to(PACKAGE).as_posix())
    return found


def test_the_package_calls_no_evaluator_outside_the_reviewed_spots() -> None:
    unreviewed = [f for f in package_findings() if (f.path, f.function, f.call) not in ALLOWED]
    assert not unreviewed, "calls that can execute data (review, then add to ALLOWED):\n" + "\n".join(
        map(str, unreviewed)
    )


def test_every_allow_list_entry_is_still_needed() -> None:
    present = {(f.path, f.function, f.call) for f in package_findings()}
    stale = [key for key in ALLOWED if key not in present]
    assert not stale, f"allow-list entries that match no call any more: {stale}"


def test_the_scan_covers_the_whole_package() -> None:
    files = list(PACKAGE.rglob("*.py"))
    assert len(files) >= 10 and any(f.name == "yaml_reader.py" for f in files)


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("eval(text)", ["eval"]),
        ("exec('x = 1')", ["exec"]),
        ("code = compile(src, 'f', 'exec')", ["compile"]),
        ("m = __import__(name)", ["__import__"]),
        ("import sympy\nsympy.sympify(text)", ["sympify"]),
        ("from sympy import sympify as sy\nsy(text)", ["sympify"]),
        ("from sympy.parsing.sympy_parser import parse_expr\nparse_expr(t)", ["parse_expr"]),
        ("import sympy\nsympy.S('x + 1')", ["S"]),
        ("from sympy import S\nS(user)", ["S"]),
        ("import sympy\nf = sympy.lambdify(args, e)", ["lambdify"]),
        ("import pickle\npickle.loads(blob)", ["pickle.loads"]),
        ("import yaml\nyaml.load(text)", ["yaml.load"]),
        ("import yaml\nyaml.load(text, Loader=yaml.FullLoader)", ["yaml.load"]),
        ("import yaml\nyaml.unsafe_load(text)", ["unsafe_load"]),
        ("import torch\ntorch.load(path)", ["torch.load"]),
        ("import numpy as np\nnp.load(p, allow_pickle=True)", ["numpy.load"]),
        ("import keras\nkeras.models.model_from_json(text)", ["model_from_json"]),
        ("import subprocess\nsubprocess.run(cmd, shell=True)", ["subprocess.run shell=True"]),
        ("import importlib\nimportlib.import_module(name)", ["import_module"]),
        ("import keras\nkeras.saving.load_model(path)", ["load_model"]),
        ("from keras.models import load_model\nload_model(path)", ["load_model"]),
        ("def load_model(p):\n    return p\nload_model('m.yaml')", []),
        # Not calls of an evaluator: mentions, safe variants, methods of other objects.
        ("# eval(text) would be wrong\nx = 1", []),
        ('"""Never eval(text), never sympify(text)."""', []),
        ("s = 'exec(\"rm -rf\")'", []),
        ("import re\nre.compile(r'x+')", []),
        ("import yaml\nyaml.safe_load(text)", []),
        ("import yaml\nyaml.load(text, Loader=yaml.SafeLoader)", []),
        ("import torch\ntorch.load(p, weights_only=True)", []),
        ("import sympy\nsympy.S(1)", []),
        ("import subprocess\nsubprocess.run(['mkdocs', 'build'], check=True)", []),
        ("model.evaluate(x)", []),
    ],
)
def test_the_scanner_finds_calls_and_ignores_mentions(source: str, expected: list[str]) -> None:
    assert [f.call for f in scan_source(source)] == expected


def test_the_scanner_names_the_enclosing_function() -> None:
    source = "class A:\n    def run(self, t):\n        return eval(t)\n"
    (finding,) = scan_source(source, "x.py")
    assert (finding.path, finding.function, finding.call, finding.line) == ("x.py", "A.run", "eval", 3)
