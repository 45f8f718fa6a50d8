"""Readers: each turns one kind of file into the same symcnn Model."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ..errors import ParseError
from .files import regular_file_size


def load(path: str | Path, **options: Any) -> Any:
    """Read a model file: YAML (.yaml/.yml), Keras (.json/.keras) or ONNX (.onnx).

    >>> load("examples/seed.yaml").total_params  # doctest: +SKIP
    1643844
    """
    suffix = Path(path).suffix.lower()
    if suffix in (".yaml", ".yml", ".json", ".keras", ".onnx"):
        regular_file_size(path)  # before any reader opens it: a pipe named model.json would block
    if suffix in (".yaml", ".yml"):
        from .yaml_reader import load_yaml

        return load_yaml(path, **options)
    if suffix in (".json", ".keras"):
        from .keras import load_keras

        return load_keras(path, **options)
    if suffix == ".onnx":
        from .onnx import from_onnx

        return from_onnx(path, **options)
    raise ParseError(f"unknown model file type {suffix or '(none)'!r}: use .yaml, .json, .keras or .onnx", file=str(path))
