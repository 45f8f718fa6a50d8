"""Decoding an ONNX file: its limits, the protobuf, node attributes and initializers (by size only)."""

from __future__ import annotations

from typing import Any

from ...errors import LimitError, ParseError, UnknownLayerError

MAX_ONNX_BYTES = 512 * 1024 * 1024  # weights live in the file: ResNet-152 with its weights is about 240 MB
MAX_ONNX_NODES = 50_000
MAX_ONNX_INITIALIZERS = 100_000  # real models hold a few thousand; each costs memory even when unused
PRESCAN_BYTES = 1024 * 1024  # a larger file is counted (count_entries) before protobuf parses it

# what onnx, protobuf and numpy raise on malformed content
DECODE_ERRORS: tuple[type[BaseException], ...] = (
    ValueError, TypeError, KeyError, IndexError, AttributeError, RuntimeError, OSError, RecursionError, MemoryError,
)
_FLOAT_TYPES = {1, 10, 11, 14, 15, 16}  # float, float16, double, complex64/128, bfloat16


_GRAPH_FIELDS = {1: "nodes", 5: "initializers", 15: "initializers", 11: "graph inputs", 12: "graph outputs",
                 13: "value_info entries"}


def _varint(data: bytes, at: int) -> tuple[int, int]:
    byte = data[at]
    if byte < 0x80:
        return byte, at + 1
    value = shift = 0
    while True:
        byte = data[at]
        value |= (byte & 0x7F) << shift
        at, shift = at + 1, shift + 7
        if byte < 0x80 or shift > 63:
            return value, at


def _fields(data: bytes, start: int, end: int, limit: int) -> Any:
    """(field number, value start, value end) of each field in ``data[start:end]``, at most ``limit`` of them."""
    at, n = start, 0
    try:
        while at < end:
            n += 1
            if n > limit:
                raise LimitError(f"the ONNX file holds more than {limit:,} entries in one message")
            key, at = _varint(data, at)
            wire = key & 7
            if wire == 2:
                length, value = _varint(data, at)
                at = value + length
                yield key >> 3, value, at
            elif wire == 0:
                _, at = _varint(data, at)
            elif wire in (1, 5):
                at += 8 if wire == 1 else 4
            else:
                return  # not a well-formed protobuf: ParseFromString says so
    except IndexError:
        return


def count_entries(data: bytes, max_nodes: int) -> None:
    """Refuse a graph with too many nodes, initializers or inputs *before* protobuf builds them all.

    Parsing costs memory per message, not per byte: a 20 MB file of a million empty initializers
    takes 280 MB to parse. This scan only jumps over the graph's fields, so it costs at most the
    limits' worth of steps, whatever the file's size.
    """
    limit = max_nodes + 5 * MAX_ONNX_INITIALIZERS + 1000
    for number, start, end in _fields(data, 0, len(data), limit):
        if number != 7:  # ModelProto.graph
            continue
        caps = {field: max_nodes if field == 1 else MAX_ONNX_INITIALIZERS for field in _GRAPH_FIELDS}
        for field, _, _ in _fields(data, start, min(end, len(data)), limit):
            if field in caps:
                caps[field] -= 1
                if caps[field] < 0:
                    cap = max_nodes if field == 1 else MAX_ONNX_INITIALIZERS
                    raise LimitError(f"the graph has more than {cap:,} {_GRAPH_FIELDS[field]}; the limit is {cap:,}")


def parse_model(data: bytes, max_nodes: int) -> Any:
    """The ModelProto in ``data``, checked to hold a graph with inputs and at most ``max_nodes`` nodes."""
    import onnx
    from google.protobuf.message import DecodeError

    if len(data) > PRESCAN_BYTES:
        count_entries(data, max_nodes)
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
    counts = {"initializers": len(graph.initializer) + len(graph.sparse_initializer), "graph inputs": len(graph.input),
              "graph outputs": len(graph.output), "value_info entries": len(graph.value_info)}
    for what, n in counts.items():
        if n > MAX_ONNX_INITIALIZERS:
            raise LimitError(f"the graph has {n:,} {what}; the limit is {MAX_ONNX_INITIALIZERS:,}")
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


def initializer(init: Any, budget: Any = None) -> Any:
    """An initializer as a Const of known size whose values are read only if a shape computation needs them.

    Reading them is charged to ``budget`` (a :class:`~symcnn.io.onnx.values.FoldBudget`).
    """
    from onnx import numpy_helper

    from .values import Const, to_object

    def load() -> Any:
        _refuse_external(init, f"initializer {init.name!r}")
        if budget is not None:
            budget.charge(prod_dims, f"reading initializer {init.name!r}")
        try:
            array = numpy_helper.to_array(init)
        except DECODE_ERRORS:
            raise ParseError(f"initializer {init.name!r} cannot be read (external or malformed data)") from None
        return to_object(array)[0]

    dims = tuple(int(d) for d in init.dims)
    if any(d < 0 for d in dims):
        raise ParseError(f"initializer {init.name!r} has a negative size {list(dims)}")
    prod_dims = 1
    for d in dims:
        prod_dims *= d
    return Const(None, init.data_type in _FLOAT_TYPES, frozenset([init.name]), dims, load)
