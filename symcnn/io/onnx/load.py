"""Decoding an ONNX file: its limits, the protobuf, node attributes and initializers (by size only)."""

from __future__ import annotations

from typing import Any

from ...errors import LimitError, ParseError, UnknownLayerError

MAX_ONNX_BYTES = 512 * 1024 * 1024  # weights live in the file: ResNet-152 with its weights is about 240 MB
MAX_ONNX_NODES = 50_000

# what onnx, protobuf and numpy raise on malformed content
DECODE_ERRORS: tuple[type[BaseException], ...] = (
    ValueError, TypeError, KeyError, IndexError, AttributeError, RuntimeError, OSError, RecursionError, MemoryError,
)
_FLOAT_TYPES = {1, 10, 11, 14, 15, 16}  # float, float16, double, complex64/128, bfloat16


def parse_model(data: bytes, max_nodes: int) -> Any:
    """The ModelProto in ``data``, checked to hold a graph with inputs and at most ``max_nodes`` nodes."""
    import onnx
    from google.protobuf.message import DecodeError

    proto = onnx.ModelProto()
    try:
        proto.ParseFromString(data)
    except DECODE_ERRORS + (DecodeError,):
        raise ParseError("not an ONNX model: the file does not decode as an ONNX protobuf") from None
    if proto.ir_version <= 0 or not proto.HasField("graph"):
        raise ParseError("not an ONNX model: no IR version or no graph")
    graph = proto.graph
    if len(graph.node) > max_nodes:
        raise LimitError(f"the graph has {len(graph.node):,} nodes; the limit is {max_nodes:,}")
    if not graph.input:
        raise ParseError("the ONNX graph has no inputs")
    return proto


def _refuse_external(tensor: Any, what: str) -> None:
    """numpy_helper.to_array would open the file an external tensor names (relative to the current folder)."""
    import onnx

    if onnx.external_data_helper.uses_external_data(tensor):
        raise ParseError(f"{what} keeps its values in an external file; symcnn does not open files a model names")


def attributes(node: Any) -> dict[str, Any]:
    """A node's attributes as Python values (tensors as NumPy arrays); subgraphs are refused."""
    import onnx
    from onnx import numpy_helper

    out: dict[str, Any] = {}
    for attr in node.attribute:
        if attr.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
            raise UnknownLayerError(f"ONNX op {node.op_type} holds a subgraph (control flow is not supported)")
        try:
            value = onnx.helper.get_attribute_value(attr)
        except DECODE_ERRORS:
            raise ParseError(f"attribute {attr.name!r} of node {node.name!r} is malformed") from None
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        elif isinstance(value, onnx.TensorProto):
            _refuse_external(value, f"tensor attribute {attr.name!r} of node {node.name!r}")
            try:
                value = numpy_helper.to_array(value)
            except DECODE_ERRORS:
                raise ParseError(f"tensor attribute {attr.name!r} of node {node.name!r} is malformed") from None
        out[attr.name] = value
    return out


def initializer(init: Any) -> Any:
    """An initializer as a Const of known size whose values are read only if a shape computation needs them."""
    from onnx import numpy_helper

    from .values import Const, to_object

    def load() -> Any:
        _refuse_external(init, f"initializer {init.name!r}")
        try:
            array = numpy_helper.to_array(init)
        except DECODE_ERRORS:
            raise ParseError(f"initializer {init.name!r} cannot be read (external or malformed data)") from None
        return to_object(array)[0]

    dims = tuple(int(d) for d in init.dims)
    if any(d < 0 for d in dims):
        raise ParseError(f"initializer {init.name!r} has a negative size {list(dims)}")
    return Const(None, init.data_type in _FLOAT_TYPES, frozenset([init.name]), dims, load)
