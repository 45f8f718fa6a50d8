"""Kept so ``symcnn.io.onnx_reader.from_onnx`` still imports; the reader lives in :mod:`symcnn.io.onnx`."""

from .onnx import DEFAULT_NAMES, MAX_ONNX_BYTES, MAX_ONNX_NODES, from_onnx, module_path  # noqa: F401
