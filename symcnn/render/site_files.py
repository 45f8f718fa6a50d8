"""Safe writing of a generated site: the ``.symcnn-site`` marker and atomic writes.

:func:`write_files` writes a marker file (``.symcnn-site``) listing every file it wrote,
refuses a non-empty folder without that marker unless ``force=True``, never
overwrites or deletes a file it did not write, and replaces each file atomically.
"""

from __future__ import annotations

import json
import os
import tempfile
from collections.abc import Iterable, Mapping
from pathlib import Path, PurePosixPath

from ..errors import SymcnnError

__all__ = ["MARKER", "SiteError", "write_files"]

MARKER = ".symcnn-site"


class SiteError(SymcnnError):
    """The output folder cannot be used (not ours, a file in the way, mkdocs failed)."""


def _own_files(root: Path) -> list[str] | None:
    marker = root / MARKER
    if not marker.is_file():
        return None
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        listed = data["files"]
    except (OSError, ValueError, KeyError, TypeError):
        raise SiteError(f"{marker} is damaged; remove it or choose another folder") from None
    if not isinstance(listed, list):
        raise SiteError(f"{marker} is damaged; remove it or choose another folder")
    return [p for p in listed if isinstance(p, str) and _safe_relative(p)]


def _safe_relative(path: str) -> bool:
    p = PurePosixPath(path)
    return bool(path) and not p.is_absolute() and ".." not in p.parts and "\\" not in path and p.parts[0] != MARKER


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_files(root: Path, files: Mapping[str, bytes], *, force: bool = False) -> None:
    """Write ``files`` (``{posix relative path: content}``) under ``root``, owning only what it lists in the marker."""
    previous = _own_files(root) if root.is_dir() else None
    if root.is_dir() and previous is None and any(root.iterdir()) and not force:
        raise SiteError(
            f"output folder {str(root)!r} is not empty and was not written by symcnn docs; "
            "choose an empty folder or pass --force (symcnn never overwrites files it did not write)"
        )
    ours = set(previous or [])
    clashes = sorted(p for p in files if (root / p).exists() and p not in ours)
    if clashes:
        raise SiteError(
            f"output folder {str(root)!r} already has files symcnn did not write: {', '.join(clashes[:5])}"
            + (" ..." if len(clashes) > 5 else "")
        )
    root.mkdir(parents=True, exist_ok=True)
    written = sorted(files)
    # The marker first lists old and new files, so an interrupted run still knows what is its own.
    _atomic_write(root / MARKER, _marker(sorted(ours | set(written))))
    for rel, data in files.items():
        target = root / rel
        if target.is_file() and target.read_bytes() == data:
            continue
        _atomic_write(target, data)
    for stale in sorted(ours - set(written)):
        path = root / stale
        if path.is_file() and not path.is_symlink():
            path.unlink()
    _atomic_write(root / MARKER, _marker(written))


def _marker(paths: Iterable[str]) -> bytes:
    return (json.dumps({"generator": "symcnn docs", "files": list(paths)}, indent=1) + "\n").encode("utf-8")
