"""Write a worked-solution mkdocs site for models and run mkdocs on it.

Rendering is pure (:func:`render_site` in :mod:`symcnn.render.pages` returns
``{relative path: bytes}``); :func:`write_site` hands those to
:mod:`symcnn.render.site_files`, the only part that touches the disk. It writes a
marker file (``.symcnn-site``) listing every file it wrote, refuses a non-empty
folder without that marker unless ``force=True``, never overwrites or deletes a
file it did not write, and replaces each file atomically.

>>> from symcnn import load
>>> from symcnn.render.pages import render_site
>>> pages = render_site([load("examples/seed.yaml")])
>>> sorted(p for p in pages if p.endswith(".md"))
['docs/index.md', 'docs/models/seed.md', 'docs/terminology.md']
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from ..errors import visible
from ..model import Model
from .mkdocs_config import check_mkdocs_config
from .pages import render_site
from .site_files import SiteError, write_files
from .teaching import PageOptions

__all__ = ["build_site", "docs_command", "serve_site", "write_site"]


def write_site(
    models: Sequence[Model] | Model,
    out_dir: str | Path,
    *,
    force: bool = False,
    templates: str | Path | None = None,
    options: PageOptions | None = None,
) -> Path:
    """Write the mkdocs project for ``models`` into ``out_dir`` and return its ``mkdocs.yml`` path.

    ``out_dir`` must be empty, missing, or a site symcnn wrote before (it has a
    ``.symcnn-site`` marker). ``force=True`` also allows a folder with other
    files; files symcnn did not write are never overwritten or deleted.
    """
    model_list = [models] if isinstance(models, Model) else list(models)
    root = Path(out_dir)
    files = render_site(model_list, templates=templates, options=options)
    check_mkdocs_config(files["mkdocs.yml"].decode("utf-8"))  # a --templates folder may not add code to run
    write_files(root, files, force=force)
    return root / "mkdocs.yml"


def _mkdocs(args: list[str], site: Path, **kwargs: Any) -> subprocess.CompletedProcess[str]:
    config = site / "mkdocs.yml" if site.is_dir() else site
    try:
        text = config.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise SiteError(f"cannot read {visible(config)!r}: {getattr(exc, 'strerror', None) or exc}") from None
    check_mkdocs_config(text)  # mkdocs loads it with PyYAML's full loader: only symcnn's own settings may reach it
    env = {**os.environ, "NO_MKDOCS_2_WARNING": "1"}
    cmd = [sys.executable, "-m", "mkdocs", *args, "-f", str(config)]
    try:
        return subprocess.run(cmd, env=env, text=True, check=False, **kwargs)
    except OSError as exc:
        raise SiteError(f"cannot run mkdocs with {sys.executable}: {exc}") from None


def build_site(site: str | Path, *, strict: bool = True) -> Path:
    """Run ``mkdocs build`` (with the Python running symcnn) and return the built ``index.html``."""
    root = Path(site)
    done = _mkdocs(["build", "--quiet", *(["--strict"] if strict else [])], root, capture_output=True)
    if done.returncode != 0:
        tail = (done.stderr or done.stdout or "").strip().splitlines()[-12:]
        raise SiteError("mkdocs build failed:\n" + "\n".join(tail))
    return root / "site" / "index.html"


def serve_site(site: str | Path, *, address: str = "127.0.0.1:8000") -> int:
    """Run ``mkdocs serve`` in the foreground until interrupted; return its exit code."""
    try:
        return _mkdocs(["serve", "--dev-addr", address], Path(site)).returncode
    except KeyboardInterrupt:
        return 0


def docs_command(
    models: list[Model], out_dir: str, *, build: bool, serve: bool, force: bool, templates: str | None,
    options: PageOptions | None = None,
) -> str:
    """What ``symcnn docs`` does after parsing: write the site, optionally build or serve it; the message to print."""
    config = write_site(models, out_dir, force=force, templates=templates, options=options)
    lines = [f"wrote the mkdocs project: {visible(config)}"]
    if build:
        index = build_site(config.parent)
        lines.append(f"built the HTML: {visible(index)}")
    if serve:
        serve_site(config.parent)
    if not build and not serve:
        lines.append(f"build it with: {sys.executable} -m mkdocs build -f {visible(config)}")
    return "\n".join(lines)
