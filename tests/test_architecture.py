"""symcnn's imports run one way: each module imports only from its own floor or the floors below.

The import graph is read from every module's syntax tree, counting every import statement wherever
it stands: at module level, inside a function, under ``if TYPE_CHECKING:``. The floors are those of
docs/architecture.md.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parent.parent / "symcnn"
TESTS = Path(__file__).resolve().parent

# Lowest first. A module belongs to the floor of the longest prefix listed.
FLOORS: list[tuple[str, ...]] = [
    ("symcnn.errors",),
    ("symcnn.expr", "symcnn.formulas", "symcnn.cache", "symcnn.tensor", "symcnn.views"),
    ("symcnn.layers",),
    ("symcnn.graph", "symcnn.record", "symcnn.constraints", "symcnn.model"),
    ("symcnn.io", "symcnn.render", "symcnn.check", "symcnn.sweep", "symcnn.analysis"),
    ("symcnn.cli", "symcnn.docs", "symcnn.__main__", "symcnn"),
]


@dataclass(frozen=True)
class Import:
    source: str  # importing module
    target: str  # imported module (the longest prefix that is a module of the package)
    names: tuple[str, ...]  # names taken from it (empty for ``import x.y``)
    line: int


def _module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES: dict[str, Path] = {_module_name(p): p for p in PACKAGE.rglob("*.py")}


def _is_package(module: str) -> bool:
    return MODULES[module].name == "__init__.py"


def _resolve(dotted: str) -> str | None:
    while dotted and dotted not in MODULES:
        dotted = dotted.rpartition(".")[0]
    return dotted or None


def _absolute(module: str, node: ast.ImportFrom) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".") if _is_package(module) else module.split(".")[:-1]
    base = base[: len(base) - (node.level - 1)]
    return ".".join(base + ([node.module] if node.module else []))


def imports_of(module: str, path: Path) -> Iterator[Import]:
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            for alias in node.names:
                target = _resolve(alias.name) if alias.name.startswith("symcnn") else None
                if target and target != module:
                    yield Import(module, target, (), node.lineno)
        elif isinstance(node, ast.ImportFrom):
            full = _absolute(module, node)
            if not full.startswith("symcnn"):
                continue
            for alias in node.names:  # `from . import x` may name a submodule
                sub = f"{full}.{alias.name}"
                target = sub if sub in MODULES else _resolve(full)
                if target and target != module:
                    yield Import(module, target, () if sub in MODULES else (alias.name,), node.lineno)


EDGES: list[Import] = [imp for m, p in sorted(MODULES.items()) for imp in imports_of(m, p)]


def floor_of(module: str) -> int:
    best, floor = -1, -1
    for i, prefixes in enumerate(FLOORS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, floor = len(prefix), i
    return floor


def find_cycle(edges: list[Import]) -> list[str] | None:
    """One import circle of the graph, as a list of modules, or None."""
    graph: dict[str, set[str]] = {}
    for e in edges:
        graph.setdefault(e.source, set()).add(e.target)
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(m: str) -> list[str] | None:
        state[m] = 1
        path.append(m)
        for t in sorted(graph.get(m, ())):
            if state.get(t) == 1:
                return path[path.index(t):] + [t]
            if t not in state and (found := visit(t)):
                return found
        path.pop()
        state[m] = 2
        return None

    for m in sorted(graph):
        if m not in state and (found := visit(m)):
            return found
    return None


def test_the_cycle_finder_finds_a_circle_and_passes_a_line() -> None:
    circle = [Import("a", "b", (), 1), Import("b", "c", (), 1), Import("c", "a", (), 1)]
    assert find_cycle(circle) == ["a", "b", "c", "a"]
    assert find_cycle(circle[:2]) is None


def test_the_package_has_no_import_circle_counting_function_local_imports() -> None:
    assert len(EDGES) > 200  # the walk saw the package's imports
    assert any(e.source == "symcnn" and e.target.startswith("symcnn.render") for e in EDGES)  # function-local
    cycle = find_cycle(EDGES)
    assert cycle is None, "import circle: " + " -> ".join(cycle or [])


def test_every_module_has_a_floor() -> None:
    assert [m for m in MODULES if floor_of(m) < 0] == []


def test_no_module_imports_from_a_higher_floor() -> None:
    upward = [
        f"{e.source} (floor {floor_of(e.source)}) imports {e.target} (floor {floor_of(e.target)}) at line {e.line}"
        for e in EDGES if floor_of(e.target) > floor_of(e.source)
    ]
    assert upward == []


def _defines_something(tree: ast.Module) -> bool:
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)):
            return True
        if isinstance(node, (ast.Assign, ast.AnnAssign, ast.AugAssign)):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            if any(not (isinstance(t, ast.Name) and t.id == "__all__") for t in targets):
                return True
        if isinstance(node, (ast.If, ast.For, ast.Expr)) and not (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)
        ):
            return True
    return False


def test_no_module_only_re_exports_another_modules_names() -> None:
    only_imports = [
        m for m, p in MODULES.items()
        if not _is_package(m) and not _defines_something(ast.parse(p.read_text(encoding="utf-8")))
    ]
    assert only_imports == []


def _package_of(module: str) -> str:
    return module if module in MODULES and _is_package(module) else module.rpartition(".")[0]


def _private_imports(module: str, path: Path) -> Iterator[str]:
    for imp in imports_of(module, path):
        for name in imp.names:
            if name.startswith("_") and not name.startswith("__") and _package_of(imp.target) != _package_of(module):
                yield f"{path.name}:{imp.line}: {name} from {imp.target}"


def test_no_private_name_is_imported_across_packages() -> None:
    crossing = [line for m, p in MODULES.items() for line in _private_imports(m, p)]
    assert crossing == []


def test_the_tests_import_no_private_name_of_the_package() -> None:
    crossing = [line for p in sorted(TESTS.rglob("*.py")) for line in _private_imports("tests." + p.stem, p)]
    assert crossing == []


@pytest.mark.parametrize("module", ["symcnn.io.keras_reader", "symcnn.io.onnx_reader", "symcnn.layers.torch_layers"])
def test_the_old_compatibility_modules_are_gone(module: str) -> None:
    assert module not in MODULES
