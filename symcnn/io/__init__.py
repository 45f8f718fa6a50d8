"""Readers: each turns one kind of file into the same symcnn Model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import LimitError, ParseError, SymcnnError

MAX_FILE_BYTES = 64 * 1024 * 1024


def read_bytes(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """Read a whole input file, refusing one larger than ``limit``."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > limit:
            raise LimitError(f"file is {size:,} bytes; the limit is {limit:,}", file=str(path))
        with p.open("rb") as fh:
            return fh.read(limit + 1)
    except SymcnnError:
        raise
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror or exc}", file=str(path)) from None


def load(path: str | Path, **options: Any) -> Any:
    """Read a model file: YAML (.yaml/.yml), Keras (.json/.keras) or ONNX (.onnx).

    >>> load("examples/seed.yaml").total_params  # doctest: +SKIP
    1643844
    """
    suffix = Path(path).suffix.lower()
    if suffix in (".yaml", ".yml"):
        from .yaml_reader import load_yaml

        return load_yaml(path, **options)
    if suffix in (".json", ".keras"):
        from .keras_reader import load_keras

        return load_keras(path, **options)
    if suffix == ".onnx":
        from .onnx_reader import from_onnx

        return from_onnx(path, **options)
    raise ParseError(f"unknown model file type {suffix or '(none)'!r}: use .yaml, .json, .keras or .onnx", file=str(path))
