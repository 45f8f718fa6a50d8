"""Packaging: a plain (non-editable) install works and ships its templates; the core imports no heavy extra."""

from __future__ import annotations

import os
import subprocess
import sys
import venv
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("torch", "onnx", "keras", "numpy", "mkdocs", "jinja2", "torchinfo")


def test_core_and_cli_path_import_no_optional_dependency() -> None:
    code = (
        "import sys, symcnn, symcnn.cli\n"
        "symcnn.cli.run(['summary', 'examples/seed.yaml', '--format', 'json'])\n"
        f"print(sorted(m for m in {HEAVY!r} if m in sys.modules))\n"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120, check=False)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip().splitlines()[-1] == "[]"


@pytest.mark.slow
def test_plain_pip_install_ships_templates_and_runs(tmp_path: Path) -> None:
    env_dir = tmp_path / "venv"
    venv.create(env_dir, with_pip=True)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONPATH"}  # only the installed copy may be found
    py = env_dir / "bin" / "python"
    install = subprocess.run([str(py), "-m", "pip", "install", "-q", str(ROOT)], capture_output=True, text=True,
                             timeout=900, check=False, env=env)
    assert install.returncode == 0, install.stderr[-2000:]
    work = tmp_path / "elsewhere"  # away from the source tree, so nothing is found there by accident
    work.mkdir()
    summary = subprocess.run([str(env_dir / "bin" / "symcnn"), "summary", str(ROOT / "examples" / "seed.yaml")],
                             capture_output=True, text=True, cwd=work, timeout=120, check=False, env=env)
    assert summary.returncode == 0, summary.stderr
    assert "1,643,844" in summary.stdout
    site = subprocess.run([str(env_dir / "bin" / "symcnn"), "docs", str(ROOT / "examples" / "seed.yaml"), "-o", "out"],
                          capture_output=True, text=True, cwd=work, timeout=120, check=False, env=env)
    assert site.returncode == 0, site.stderr
    page = next((work / "out" / "docs").rglob("seed.md")).read_text()
    assert "1,643,844" in page and "36928" in page.replace(",", "").replace("{,}", "")
    where = subprocess.run([str(py), "-c", "import symcnn; print(symcnn.__file__)"], capture_output=True, text=True,
                           cwd=work, timeout=60, check=False, env=env)
    assert str(env_dir) in where.stdout  # the installed copy, not the source tree
