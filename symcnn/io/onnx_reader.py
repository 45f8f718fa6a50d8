"""Read an ONNX file into a symcnn Model (PyTorch convention, channels first).

Each ONNX op becomes the torch layer it came from: ``Conv`` → ``Conv2d``,
``Gemm`` (and ``MatMul`` with a constant weight, plus the ``Add`` of its bias)
→ ``Linear``, ``BatchNormalization`` → ``BatchNorm2d`` (mean and variance are
buffers) and so on. Initializers a layer consumes are its weights; one used by
two nodes is a tied weight, counted once. Sizes the file names instead of
numbering (``dim_param`` such as ``batch_size``, ``height``) become symbols,
and the shape arithmetic of dynamic exports (``Shape → Gather → Concat →
Reshape``, ``Resize`` sizes ...) is folded on SymPy values by
:mod:`symcnn.io.onnx_shapes`, so the model stays symbolic.

Which exporter: both of torch 2.13's exporters are read. The TorchScript
exporter (``torch.onnx.export(..., dynamo=False)``) is supported fully and
its node names (``/layer1/layer1.0/conv1/Conv``) give torch's module paths
(``layer1.0.conv1``). The dynamo exporter (the default, needs onnxscript)
works too; its module paths come from the ``pkg.torch.onnx.name_scopes``
metadata. Note that both exporters fold a BatchNorm that follows a Conv into
the Conv when exporting in eval mode (TorchScript with constant folding, dynamo
when optimizing): the file then holds the fused model and symcnn counts that.
Export with ``training=torch.onnx.TrainingMode.TRAINING`` or
``do_constant_folding=False`` (TorchScript), or ``optimize=False`` (dynamo),
to keep the BatchNorm layers.

Symbols: ``dim_param`` names become symbols (``batch_size`` → N, ``height`` → H,
``width`` → W, see :data:`DEFAULT_NAMES`; others are kept, made into identifiers).
Names exporters make up (``x_dynamic_axes_2``, dynamo's ``s0``) take the axis's
usual letter: N, C, then H, W (L for 1-D, D, H, W for 3-D). ``symbols=`` overrides
any name with your own Symbol or a number.

Weights: an initializer counts as a parameter where a layer consumes it (Conv,
Gemm/MatMul, normalisation, PReLU, Embedding), or where arithmetic applies it to a
tensor and it carries a name (``x * self.gamma``); exporters' own constants
(``onnx::Mul_12``, ``val_3``) are not parameters. A buffer used in arithmetic looks
like a parameter in ONNX and is counted as one. Exporters merge initializers with
equal values, so two layers with identical weights look tied and count once.

Assumptions on symbolic sizes: Slice bounds a file stores as numbers are taken to
fall inside the axis (as they did for the size the exporter traced).

Weight values are never read, only their sizes: the dynamo exporter's separate
``.onnx.data`` file is not needed (and never opened), and a weight whose values
an exporter transposes or reshapes is followed by shape alone.

Limits: files up to :data:`MAX_ONNX_BYTES`, graphs up to :data:`MAX_ONNX_NODES`
nodes; control flow (If, Loop, Scan) and custom domains are not read.

>>> model = from_onnx("resnet.onnx", symbols={"height": H, "width": W})  # doctest: +SKIP
>>> model.total_params  # doctest: +SKIP
"""

from __future__ import annotations

import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar

import sympy

from ..errors import ArgumentError, GraphError, LimitError, ParseError, ShapeError, SymcnnError, UnknownLayerError
from ..expr import dim_symbol, is_identifier, parse
from ..formulas import Dim, floor_div, is_number, prod, same_padding, simplify_int
from ..layers.base import Layer, Shape, format_shape
from ..layers.core import InputLayer
from ..model import Model, Node
from . import read_bytes

MAX_ONNX_BYTES = 512 * 1024 * 1024  # weights live in the file: ResNet-152 with its weights is about 240 MB
MAX_ONNX_NODES = 50_000

# torch's and common exporters' names for dynamic axes → symcnn's usual symbols
DEFAULT_NAMES = {
    "batch_size": "N", "batch": "N", "batch_dim": "N", "n": "N", "N": "N", "bs": "N",
    "height": "H", "h": "H", "H": "H", "width": "W", "w": "W", "W": "W", "depth": "D", "D": "D",
    "channels": "C", "sequence_length": "L", "seq_len": "L", "sequence": "L", "length": "L",
}

# what onnx, protobuf and numpy raise on malformed content
_DECODE_ERRORS: tuple[type[BaseException], ...] = (
    ValueError, TypeError, KeyError, IndexError, AttributeError, RuntimeError, OSError, RecursionError, MemoryError,
)
_FLOAT_TYPES = {1, 10, 11, 14, 15, 16}  # float, float16, double, complex64/128, bfloat16
_MADE_UP = re.compile(r"^(.*_dynamic_axes_\d+|s\d+|unk__\d+|\?|dim_?\d*|d\d+)$")
_AUTO_NAME = re.compile(r"^(onnx::|val_|_val|/|scalar|const|Constant|_v_|ortshared_)", re.IGNORECASE)


@dataclass
class Flow:
    """A tensor computed from the model's inputs: the symcnn node that makes it and its shape."""

    node: Node
    shape: Shape


def from_onnx(
    path: str | Path,
    *,
    symbols: Mapping[str, Any] | None = None,
    name: str | None = None,
    max_nodes: int = MAX_ONNX_NODES,
    **options: Any,
) -> Model:
    """Read an ONNX model file; sizes named in the file become symbols.

    ``symbols`` maps a name used in the file (``"height"``) to your own Symbol,
    a number, or text such as ``"H"``. Unnamed dynamic sizes get names from the
    input and axis. The batch axis is the symbol ``N`` when it is dynamic.
    """
    if options:
        raise ArgumentError(f"from_onnx has no option {min(options)!r} (options: symbols, name, max_nodes)")
    try:
        import onnx  # noqa: F401
    except ImportError:
        raise SymcnnError("reading .onnx files needs the onnx package: pip install symcnn[onnx]", file=str(path)) from None
    data = read_bytes(path, MAX_ONNX_BYTES)
    try:
        return _Reader(data, str(path), symbols or {}, name, max_nodes).model()
    except SymcnnError as exc:
        raise exc.within(file=str(path)) from None


def _parse_model(data: bytes, max_nodes: int) -> Any:
    import onnx
    from google.protobuf.message import DecodeError

    proto = onnx.ModelProto()
    try:
        proto.ParseFromString(data)
    except _DECODE_ERRORS + (DecodeError,):
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


def _attributes(node: Any) -> dict[str, Any]:
    import onnx
    from onnx import numpy_helper

    out: dict[str, Any] = {}
    for attr in node.attribute:
        if attr.type in (onnx.AttributeProto.GRAPH, onnx.AttributeProto.GRAPHS):
            raise UnknownLayerError(f"ONNX op {node.op_type} holds a subgraph (control flow is not supported)")
        try:
            value = onnx.helper.get_attribute_value(attr)
        except _DECODE_ERRORS:
            raise ParseError(f"attribute {attr.name!r} of node {node.name!r} is malformed") from None
        if isinstance(value, bytes):
            value = value.decode("utf-8", "replace")
        elif isinstance(value, onnx.TensorProto):
            _refuse_external(value, f"tensor attribute {attr.name!r} of node {node.name!r}")
            try:
                value = numpy_helper.to_array(value)
            except _DECODE_ERRORS:
                raise ParseError(f"tensor attribute {attr.name!r} of node {node.name!r} is malformed") from None
        out[attr.name] = value
    return out


def _positional(axis: int, rank: int) -> str | None:
    """The usual letter for an axis of a channels-first tensor: N, C, then L / H, W / D, H, W."""
    spatial = {3: "L", 4: "HW", 5: "DHW"}.get(rank, "")
    if axis == 0:
        return "N"
    if axis == 1 and rank >= 3:
        return "C"
    if rank == 2 and axis == 1:
        return "L"
    return spatial[axis - 2] if 0 <= axis - 2 < len(spatial) else None


def module_path(scopes: Sequence[str]) -> str:
    """torch's module path from an exporter's scope names.

    Each scope may repeat the tail of the path before it (TorchScript names a
    Sequential's child ``downsample.0`` inside ``layer2.0.downsample``).

    >>> module_path(["layer1", "layer1.0", "conv1"])
    'layer1.0.conv1'
    >>> module_path(["layer2", "layer2.0", "downsample", "downsample.0"])
    'layer2.0.downsample.0'
    >>> module_path(["layer1", "0", "conv1"])
    'layer1.0.conv1'
    """
    path: list[str] = []
    for seg in scopes:
        parts = [p for p in seg.split(".") if p]
        overlap = max((k for k in range(1, min(len(path), len(parts)) + 1) if path[-k:] == parts[:k]), default=0)
        path += parts[overlap:]
    return ".".join(path)


@dataclass
class FlowSeq:
    """An ONNX sequence of computed tensors (SplitToSequence), read by SequenceAt."""

    items: list[Flow]


class _Reader:
    """One pass over the graph in file order, turning values into Consts and Flows."""

    def __init__(self, data: bytes, source: str, symbols: Mapping[str, Any], name: str | None, max_nodes: int) -> None:
        self.proto = _parse_model(data, max_nodes)
        self.graph = self.proto.graph
        self.source = source
        self.user_symbols = dict(symbols)
        self.name = name or self.graph.name or Path(source).stem
        self.values: dict[str, Any] = {}
        self.nodes: list[Node] = []
        self.symbols: dict[str, Any] = {}
        self.taken: dict[str, int] = {}
        self.owners: dict[tuple[str, ...], Layer] = {}
        self.claimed: set[str] = set()
        self.skip: set[int] = set()
        self.consumers: dict[str, list[int]] = {}
        self.outputs = {o.name for o in self.graph.output}
        for i, node in enumerate(self.graph.node):
            for n in node.input:
                if n:
                    self.consumers.setdefault(n, []).append(i)

    # ---- values ----------------------------------------------------------------------
    def model(self) -> Model:
        try:
            model = self._read()
            _ = model.records  # every layer's shape and weights, checked here rather than later
        except SymcnnError:
            raise
        except (*_DECODE_ERRORS, ArithmeticError) as exc:  # text fields that are not UTF-8, and the like
            raise ParseError(f"malformed ONNX content: {type(exc).__name__}: {exc}") from None
        return model

    def _read(self) -> Model:
        from .onnx_shapes import Const

        for init in self.graph.initializer:
            self.values[init.name] = self._initializer(init, Const)
        for init in self.graph.sparse_initializer:
            raise UnknownLayerError(f"sparse initializer {init.values.name!r} is not supported")
        for inp in self.graph.input:
            if inp.name in self.values:
                continue  # an initializer listed as an input (keep_initializers_as_inputs)
            self._graph_input(inp)
        for i, node in enumerate(self.graph.node):
            if i in self.skip:
                continue
            label = node.name or node.op_type
            try:
                self._node(i, node)
            except SymcnnError as exc:
                raise exc.within(layer=label) from None
            except (*_DECODE_ERRORS, ArithmeticError) as exc:
                raise ShapeError(f"ONNX op {node.op_type} could not be read: {type(exc).__name__}: {exc}",
                                 layer=label) from None
        outs = []
        for out in self.graph.output:
            value = self.values.get(out.name)
            if value is None:
                raise GraphError(f"graph output {out.name!r} is not computed by any node")
            if isinstance(value, Flow) and value.node not in outs:
                outs.append(value.node)
        if not outs:
            raise GraphError("no graph output depends on the graph's inputs")
        return Model(name=self.name, nodes=self.nodes, output_nodes=outs,
                     convention="torch", source=self.source)

    def _initializer(self, init: Any, const_cls: Any) -> Any:
        from onnx import numpy_helper

        from .onnx_shapes import to_object

        def load() -> Any:
            _refuse_external(init, f"initializer {init.name!r}")
            try:
                array = numpy_helper.to_array(init)
            except _DECODE_ERRORS:
                raise ParseError(f"initializer {init.name!r} cannot be read (external or malformed data)") from None
            return to_object(array)[0]

        dims = tuple(int(d) for d in init.dims)
        if any(d < 0 for d in dims):
            raise ParseError(f"initializer {init.name!r} has a negative size {list(dims)}")
        return const_cls(None, init.data_type in _FLOAT_TYPES, frozenset([init.name]), dims, load)

    def _symbol(self, raw: str, fallback: str, positional: str | None = None) -> Any:
        """The symbol for a size named ``raw`` in the file (``fallback`` when unnamed).

        Names an exporter made up (``x_dynamic_axes_3``, ``s0``, ``unk__2``, none) take the
        axis's usual letter (``positional``: N, C, H, W ...) unless another name has it.
        ``symbols=`` may name either the file's name (``height``) or symcnn's (``H``).
        """
        key = raw or fallback
        if key in self.symbols:
            return self.symbols[key]
        taken = {str(v) for v in self.symbols.values()}
        if positional and (not raw or _MADE_UP.match(raw)) and positional not in taken:
            text = positional
        else:
            text = DEFAULT_NAMES.get(key, key)
            if not is_identifier(text):
                text = re.sub(r"\W", "_", text, flags=re.ASCII).strip("_") or "d"
                text = text if is_identifier(text) else f"d_{text}"[:64]
        for name in (key, text):
            if name in self.user_symbols:
                value = self.user_symbols[name]
                if isinstance(value, str):
                    value = parse(value)
                elif isinstance(value, bool) or not isinstance(value, (int, sympy.Expr)):
                    raise ArgumentError(f"symbols[{name!r}] must be a symbol, a number or text, got {value!r}")
                break
        else:
            value = dim_symbol(text)
        self.symbols[key] = value
        return value

    def _graph_input(self, inp: Any) -> None:
        ttype = inp.type.tensor_type
        if not inp.type.HasField("tensor_type"):
            raise UnknownLayerError(f"graph input {inp.name!r} is not a tensor")
        if not ttype.HasField("shape"):
            raise ShapeError(f"graph input {inp.name!r} has no shape")
        dims: list[Dim] = []
        for axis, d in enumerate(ttype.shape.dim):
            if d.HasField("dim_value") and d.dim_value > 0:
                dims.append(int(d.dim_value))
            elif d.HasField("dim_value") and d.dim_value <= 0:
                raise ShapeError(f"graph input {inp.name!r} has size {d.dim_value} on axis {axis}")
            else:
                fallback = f"{inp.name}_{axis}"
                dims.append(self._symbol(d.dim_param, fallback, _positional(axis, len(ttype.shape.dim))))
        if not dims:
            raise ShapeError(f"graph input {inp.name!r} is a scalar; symcnn needs (N, C, ...)")
        layer = InputLayer(batch_shape=tuple(dims), name=self._unique(inp.name or "input", None))
        node = Node(layer, [], layer.name)
        self.nodes.append(node)
        self.values[inp.name] = Flow(node, layer.shape)

    # ---- nodes -----------------------------------------------------------------------
    def _node(self, index: int, node: Any) -> None:
        from .onnx_shapes import FOLDABLE, Opaque, fold, fold_shape

        if node.domain not in ("", "ai.onnx"):
            raise UnknownLayerError(f"ONNX op {node.domain}::{node.op_type} is not supported")
        ins: list[Any] = []
        for n in node.input:
            if not n:
                ins.append(None)
            elif n not in self.values:
                raise GraphError(f"input {n!r} is used before any node computes it")
            else:
                ins.append(self.values[n])
        attrs = _attributes(node)
        op = node.op_type
        flows = [v for v in ins if isinstance(v, (Flow, FlowSeq))]
        if op == "CastLike" and not isinstance(ins[0], Flow) and flows:
            outs = fold(op, [ins[0], _like(flows[0])], attrs)  # only the tensor's type is used
        elif op == "Shape" and flows:
            outs = [fold_shape(flows[0].shape, attrs)]
        elif op == "Size" and flows:
            outs = [self._size(flows[0])]
        elif not flows:
            try:
                outs = fold(op, ins, attrs)
            except (UnknownLayerError, ShapeError) as exc:
                # Kept for later: only an error if something reads the values (an op's scale factor is never read).
                outs = [Opaque(f"{op} {node.name!r}: {exc.problem}") for _ in node.output]
        else:
            handler = getattr(self, f"op_{op}", None)
            if handler is None:
                handler = self._unary_handler(op)
            outs = handler(index, node, ins, attrs)
        if len(outs) < len([o for o in node.output if o]) and op in FOLDABLE and not flows:
            raise ShapeError(f"{op} made {len(outs)} output(s) for {len(node.output)}")
        for name, value in zip(node.output, outs):
            if name and value is not None:
                self.values[name] = value

    def _size(self, flow: Flow) -> Any:
        from .onnx_shapes import Const, _obj

        return Const(_obj(prod(flow.shape)))

    # ---- naming and adding layers ------------------------------------------------------
    def _label(self, node: Any) -> str:
        for prop in node.metadata_props:
            if prop.key == "pkg.torch.onnx.name_scopes":
                scopes = re.findall(r"'((?:[^'\\]|\\.)*)'", prop.value)
                path = module_path(scopes[1:-1]) if len(scopes) > 2 else ""
                if path:
                    return path
        name = node.name
        if name.startswith("/") and name.count("/") >= 2:
            path = module_path(name.split("/")[1:-1])
            if path:
                return path
        return name.lstrip("/") or node.op_type

    def _unique(self, label: str, layer: Layer | None, op: str = "") -> str:
        key = id(layer) if layer is not None else -1
        candidates = [label] + ([f"{label}:{op}"] if op else [])
        for cand in candidates:
            if self.taken.get(cand, key) == key and (layer is not None or cand not in self.taken):
                self.taken[cand] = key
                return cand
        i = 1
        while f"{candidates[-1]}_{i}" in self.taken and self.taken[f"{candidates[-1]}_{i}"] != key:
            i += 1
        name = f"{candidates[-1]}_{i}"
        self.taken[name] = key
        return name

    def _add(self, node: Any, layer: Layer, inputs: Sequence[Flow], suffix: str = "") -> Flow:
        label = self._label(node)
        name = self._unique(label + (f":{suffix}" if suffix else ""), layer, node.op_type)
        if layer.name is None:
            layer.name = name
        graph_node = Node(layer, [f.node for f in inputs], name)
        try:
            shape = layer.output_shape([f.shape for f in inputs])
            layer.weights([f.shape for f in inputs])  # checked now, so the model's records cannot fail later
        except SymcnnError as exc:
            raise exc.within(layer=name) from None
        for d in shape[1:]:
            if d is not None and is_number(d) and d < 1:
                raise ShapeError(f"the input is too small: {node.op_type} would output {format_shape(shape)}",
                                 layer=name)
        self.nodes.append(graph_node)
        return Flow(graph_node, shape)

    def _shared(self, key: tuple[str, ...], make: Any) -> Layer:
        """The layer that owns initializers ``key``: a second node using them shares the first's layer."""
        layer = self.owners.get(key) if key else None
        fresh = make()
        if layer is not None and type(layer) is type(fresh) and layer.hyperparameters() == fresh.hyperparameters():
            return layer
        if key:
            self.owners.setdefault(key, fresh)
            self.claimed.update(key)
        return fresh

    # ---- helpers for arguments ----------------------------------------------------------
    @staticmethod
    def _flow(value: Any, op: str, what: str = "input") -> Flow:
        if not isinstance(value, Flow):
            raise UnknownLayerError(f"{op} with a constant {what} is not supported")
        return value

    @staticmethod
    def _const(value: Any, op: str, what: str) -> Any:
        from .onnx_shapes import Const

        if not isinstance(value, Const):
            raise UnknownLayerError(f"{op} with a computed {what} is not supported (it must be an initializer)")
        return value

    @staticmethod
    def _learned(value: Any) -> bool:
        from .onnx_shapes import Const

        return isinstance(value, Const) and bool(value.sources)

    @staticmethod
    def _ints(attrs: dict[str, Any], key: str, default: Sequence[int]) -> list[int]:
        value = attrs.get(key)
        if value is None or (isinstance(value, (list, tuple)) and not value):
            return list(default)
        if not isinstance(value, (list, tuple)) or not all(isinstance(v, int) for v in value):
            raise ArgumentError(f"attribute {key} must be a list of integers, got {value!r}")
        return list(value)

    def _pads(self, attrs: dict[str, Any], sizes: Sequence[Dim], kernel: Sequence[int], strides: Sequence[int],
              dilations: Sequence[int]) -> list[tuple[Dim, Dim]]:
        rank = len(kernel)
        auto = attrs.get("auto_pad", "NOTSET") or "NOTSET"
        if auto == "VALID":
            return [(0, 0)] * rank
        if auto in ("SAME_UPPER", "SAME_LOWER"):
            pads = [same_padding(n, k, s, d) for n, k, s, d in zip(sizes, kernel, strides, dilations)]
            return pads if auto == "SAME_UPPER" else [(e, b) for b, e in pads]
        if auto != "NOTSET":
            raise ArgumentError(f"auto_pad must be NOTSET, SAME_UPPER, SAME_LOWER or VALID, got {auto!r}")
        raw = self._ints(attrs, "pads", [0] * (2 * rank))
        if len(raw) != 2 * rank:
            raise ArgumentError(f"pads must have {2 * rank} values, got {raw}")
        if any(p < 0 for p in raw):
            raise ArgumentError(f"pads must not be negative, got {raw}")
        return [(raw[i], raw[i + rank]) for i in range(rank)]

    def _pad_layer(self, node: Any, flow: Flow, before: Sequence[Dim], after: Sequence[Dim], suffix: str = "pad") -> Flow:
        """Padding (or cropping, when negative) per axis of the whole tensor, as one layer."""
        from .onnx_shapes import Pad

        if len(before) == len(flow.shape) and before[0] == 0 and after[0] == 0:
            spec: list[Dim] = []  # torch's F.pad order: last axis first
            for axis in range(len(flow.shape) - 1, 0, -1):
                spec += [before[axis], after[axis]]
            while len(spec) > 2 and spec[-1] == 0 and spec[-2] == 0:
                spec = spec[:-2]
            try:
                return self._add(node, _torch_layer("pad", pad=tuple(spec)), [flow], suffix)
            except ArgumentError:
                pass
        return self._add(node, Pad(before=tuple(before), after=tuple(after)), [flow], suffix)

    def _torch(self, cls: str, **kwargs: Any) -> Layer:
        return _torch_layer(cls, **kwargs)

    # ---- convolutions ------------------------------------------------------------------
    def op_Conv(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "Conv")
        w = self._const(ins[1] if len(ins) > 1 else None, "Conv", "weight")
        rank = len(w.shape) - 2
        if rank not in (1, 2, 3) or len(x.shape) != rank + 2:
            raise ShapeError(f"Conv weight {list(w.shape)} does not fit input {format_shape(x.shape)}")
        kernel = self._ints(attrs, "kernel_shape", w.shape[2:])
        strides = self._ints(attrs, "strides", [1] * rank)
        dilations = self._ints(attrs, "dilations", [1] * rank)
        group = int(attrs.get("group", 1))
        pads = self._pads(attrs, x.shape[2:], kernel, strides, dilations)
        bias = len(ins) > 2 and self._learned(ins[2])
        symmetric = all(b == e for b, e in pads)
        if not symmetric:
            x = self._pad_layer(node, x, [0, 0, *(b for b, _ in pads)], [0, 0, *(e for _, e in pads)])
        padding = tuple(b for b, _ in pads) if symmetric else 0
        key = tuple(sorted(w.sources | (ins[2].sources if bias else frozenset())))
        layer = self._shared(key, lambda: self._torch(
            f"Conv{rank}d", in_channels=w.shape[1] * group, out_channels=w.shape[0], kernel_size=tuple(kernel),
            stride=tuple(strides), padding=padding, dilation=tuple(dilations), groups=group, bias=bias))
        return [self._add(node, layer, [x])]

    def op_ConvTranspose(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "ConvTranspose")
        w = self._const(ins[1] if len(ins) > 1 else None, "ConvTranspose", "weight")
        rank = len(w.shape) - 2
        if rank not in (1, 2, 3) or len(x.shape) != rank + 2:
            raise ShapeError(f"ConvTranspose weight {list(w.shape)} does not fit input {format_shape(x.shape)}")
        kernel = self._ints(attrs, "kernel_shape", w.shape[2:])
        strides = self._ints(attrs, "strides", [1] * rank)
        dilations = self._ints(attrs, "dilations", [1] * rank)
        out_pad = self._ints(attrs, "output_padding", [0] * rank)
        group = int(attrs.get("group", 1))
        sizes = x.shape[2:]
        full = [simplify_int((n - 1) * s + d * (k - 1) + op + 1)
                for n, k, s, d, op in zip(sizes, kernel, strides, dilations, out_pad)]
        auto = attrs.get("auto_pad", "NOTSET") or "NOTSET"
        target = attrs.get("output_shape")
        if target:
            target = list(target)[-rank:]
        elif auto in ("SAME_UPPER", "SAME_LOWER"):
            target = [simplify_int(n * s) for n, s in zip(sizes, strides)]
        if target:
            totals = [simplify_int(f - t) for f, t in zip(full, target)]
            halves = [floor_div(t, 2) for t in totals]
            pads = [(simplify_int(t - h), h) for t, h in zip(totals, halves)]
            if auto == "SAME_LOWER":
                pads = [(e, b) for b, e in pads]
        elif auto == "VALID":
            pads = [(0, 0)] * rank
        else:
            raw = self._ints(attrs, "pads", [0] * (2 * rank))
            if len(raw) != 2 * rank:
                raise ArgumentError(f"pads must have {2 * rank} values, got {raw}")
            pads = [(raw[i], raw[i + rank]) for i in range(rank)]
        bias = len(ins) > 2 and self._learned(ins[2])
        symmetric = all(b == e and is_number(b) and b >= 0 for b, e in pads)
        key = tuple(sorted(w.sources | (ins[2].sources if bias else frozenset())))
        layer = self._shared(key, lambda: self._torch(
            f"ConvTranspose{rank}d", in_channels=w.shape[0], out_channels=w.shape[1] * group,
            kernel_size=tuple(kernel), stride=tuple(strides), padding=tuple(b for b, _ in pads) if symmetric else 0,
            output_padding=tuple(out_pad), dilation=tuple(dilations), groups=group, bias=bias))
        y = self._add(node, layer, [x])
        if not symmetric:
            y = self._pad_layer(node, y, [0, 0, *(-b for b, _ in pads)], [0, 0, *(-e for _, e in pads)])
        return [y]

    # ---- dense -----------------------------------------------------------------------------
    def op_Gemm(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        from .onnx_shapes import MatMulOp

        a = self._flow(ins[0], "Gemm", "A")
        if attrs.get("transA", 0):
            raise UnknownLayerError("Gemm with transA=1 is not supported")
        if isinstance(ins[1], Flow):
            return [self._add(node, MatMulOp(), [a, ins[1]])]
        b = self._const(ins[1], "Gemm", "B")
        if len(b.shape) != 2 or len(a.shape) != 2:
            raise ShapeError(f"Gemm of {format_shape(a.shape)} and {list(b.shape)}: both need rank 2")
        out, k = (b.shape[0], b.shape[1]) if attrs.get("transB", 0) else (b.shape[1], b.shape[0])
        bias = len(ins) > 2 and self._learned(ins[2])
        key = tuple(sorted(b.sources | (ins[2].sources if bias else frozenset())))
        layer = self._shared(key, lambda: self._torch("Linear", in_features=k, out_features=out, bias=bias))
        return [self._add(node, layer, [a])]

    def op_MatMul(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        from .onnx_shapes import MatMulOp

        if isinstance(ins[0], Flow) and isinstance(ins[1], Flow):
            return [self._add(node, MatMulOp(), [ins[0], ins[1]])]
        a = self._flow(ins[0], "MatMul", "left operand")
        b = self._const(ins[1], "MatMul", "weight")
        if len(b.shape) != 2:
            raise UnknownLayerError(f"MatMul with a constant of shape {list(b.shape)} (not a weight matrix)")
        k, out = b.shape
        bias_const, add_index = self._bias_after(node, out)
        bias = bias_const is not None
        key = tuple(sorted(b.sources | (bias_const.sources if bias else frozenset())))
        layer = self._shared(key, lambda: self._torch("Linear", in_features=k, out_features=out, bias=bias))
        y = self._add(node, layer, [a])
        if add_index is not None:
            self.skip.add(add_index)
            self.values[self.graph.node[add_index].output[0]] = y
        return [y]

    def _bias_after(self, node: Any, out: int) -> tuple[Any, int | None]:
        """The Add of a bias initializer that directly follows a MatMul belongs to its Linear."""
        from .onnx_shapes import Const

        result = node.output[0]
        users = self.consumers.get(result, [])
        if len(users) != 1 or result in self.outputs:
            return None, None
        add = self.graph.node[users[0]]
        if add.op_type != "Add" or len(add.input) != 2:
            return None, None
        other = add.input[1] if add.input[0] == result else add.input[0]
        value = self.values.get(other)
        if isinstance(value, Const) and value.sources and value.shape in ((out,), (1, out)) and not (
            value.sources & self.claimed
        ):
            return value, users[0]
        return None, None

    # ---- normalisation --------------------------------------------------------------------
    def op_BatchNormalization(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "BatchNormalization")
        rank = len(x.shape)
        cls = {2: "BatchNorm1d", 3: "BatchNorm1d", 4: "BatchNorm2d", 5: "BatchNorm3d"}.get(rank)
        if cls is None:
            raise ShapeError(f"BatchNormalization of an input of rank {rank}")
        consts = [self._const(v, "BatchNormalization", "parameter") for v in ins[1:5]]
        affine = self._learned(consts[0])
        key = tuple(sorted(frozenset().union(*(c.sources for c in consts))))
        layer = self._shared(key, lambda: self._torch(cls, num_features=x.shape[1], affine=affine))
        return [self._add(node, layer, [x])]

    def op_InstanceNormalization(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "InstanceNormalization")
        rank = len(x.shape) - 2
        affine = self._learned(ins[1])
        key = tuple(sorted(frozenset().union(*(c.sources for c in ins[1:3] if c is not None)))) if affine else ()
        layer = self._shared(key, lambda: self._torch(f"InstanceNorm{rank}d", num_features=x.shape[1], affine=affine))
        return [self._add(node, layer, [x])]

    def op_LayerNormalization(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "LayerNormalization")
        axis = int(attrs.get("axis", -1))
        axis = axis + len(x.shape) if axis < 0 else axis
        affine = self._learned(ins[1])
        bias = len(ins) > 2 and self._learned(ins[2])
        key = tuple(sorted(frozenset().union(*(c.sources for c in ins[1:3] if c is not None)))) if affine else ()
        layer = self._shared(key, lambda: self._torch(
            "LayerNorm", normalized_shape=tuple(x.shape[axis:]), elementwise_affine=affine, bias=bias))
        return [self._add(node, layer, [x])]

    def op_GroupNormalization(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "GroupNormalization")
        key = tuple(sorted(frozenset().union(*(c.sources for c in ins[1:3] if c is not None))))
        layer = self._shared(key, lambda: self._torch(
            "GroupNorm", num_groups=int(attrs.get("num_groups", 1)), num_channels=x.shape[1], affine=bool(key)))
        return [self._add(node, layer, [x])]

    # ---- pooling --------------------------------------------------------------------------
    def _pool(self, node: Any, ins: list[Any], attrs: dict[str, Any], kind: str) -> list[Any]:
        x = self._flow(ins[0], node.op_type)
        rank = len(x.shape) - 2
        kernel = self._ints(attrs, "kernel_shape", [])
        if len(kernel) != rank or rank not in (1, 2, 3):
            raise ShapeError(f"{node.op_type} kernel_shape {kernel} does not fit input {format_shape(x.shape)}")
        strides = self._ints(attrs, "strides", [1] * rank)
        dilations = self._ints(attrs, "dilations", [1] * rank)
        pads = self._pads(attrs, x.shape[2:], kernel, strides, dilations)
        ceil_mode = bool(attrs.get("ceil_mode", 0))
        direct = all(b == e and is_number(b) and b <= k // 2 for (b, e), k in zip(pads, kernel))
        if not direct:
            x = self._pad_layer(node, x, [0, 0, *(b for b, _ in pads)], [0, 0, *(e for _, e in pads)])
        kwargs: dict[str, Any] = {"kernel_size": tuple(kernel), "stride": tuple(strides),
                                  "padding": tuple(b for b, _ in pads) if direct else 0, "ceil_mode": ceil_mode}
        if kind == "MaxPool":
            kwargs["dilation"] = tuple(dilations)
        elif any(d != 1 for d in dilations):
            raise UnknownLayerError(f"{node.op_type} with dilations {dilations} is not supported")
        return [self._add(node, self._torch(f"{kind}{rank}d", **kwargs), [x])]

    def op_MaxPool(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        y = self._pool(node, ins, attrs, "MaxPool")
        return y + y  # the optional Indices output has the output's shape

    def op_AveragePool(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        return self._pool(node, ins, attrs, "AvgPool")

    op_LpPool = op_AveragePool

    def _global(self, node: Any, ins: list[Any], kind: str) -> list[Any]:
        x = self._flow(ins[0], node.op_type)
        rank = len(x.shape) - 2
        if rank not in (1, 2, 3):
            raise ShapeError(f"{node.op_type} needs (N, C, ...) with 1-3 spatial axes, got {format_shape(x.shape)}")
        return [self._add(node, self._torch(f"Adaptive{kind}Pool{rank}d", output_size=1), [x])]

    def op_GlobalAveragePool(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        return self._global(node, ins, "Avg")

    def op_GlobalMaxPool(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        return self._global(node, ins, "Max")

    op_GlobalLpPool = op_GlobalAveragePool

    # ---- element-wise and merges -------------------------------------------------------------
    def _elementwise(self, node: Any, ins: list[Any], torch_name: str | None) -> list[Any]:
        from .onnx_shapes import Elementwise

        flows = [v for v in ins if isinstance(v, Flow)]
        learned = []
        for v in ins:
            if v is None or isinstance(v, Flow) or not self._learned(v) or v.sources & self.claimed:
                continue
            (src,) = v.sources if len(v.sources) == 1 else (None,)
            if src is None or _AUTO_NAME.match(src) or not v.is_float:  # exporters name constants, not params
                continue
            learned.append((src, tuple(v.shape)))
            self.claimed.add(src)
        if learned or torch_name is None:
            layer: Layer = Elementwise(op=node.op_type, learned=learned)
        else:
            layer = self._torch(torch_name)
        return [self._add(node, layer, flows)]

    def op_Add(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        return self._elementwise(node, ins, "add")

    def op_Sub(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        return self._elementwise(node, ins, "sub")

    def op_Mul(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        return self._elementwise(node, ins, "mul")

    def op_Div(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        return self._elementwise(node, ins, "div")

    def op_Max(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        return self._elementwise(node, ins, "maximum")

    def op_Min(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        return self._elementwise(node, ins, "minimum")

    def _generic_elementwise(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        return self._elementwise(node, ins, None)

    op_Pow = op_Sum = op_Mean = op_Where = op_Equal = op_Less = op_Greater = op_And = op_Or = (
        _generic_elementwise
    )
    op_Mod = op_BitShift = op_LessOrEqual = op_GreaterOrEqual = op_Xor = _generic_elementwise

    def op_Concat(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        flows = [v for v in ins if v is not None]
        if not all(isinstance(v, Flow) for v in flows):
            raise UnknownLayerError("Concat of a computed tensor with a constant one is not supported")
        return [self._add(node, self._torch("cat", dim=int(attrs.get("axis", 0))), flows)]

    def op_PRelu(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "PRelu")
        slope = self._const(ins[1], "PRelu", "slope")
        key = tuple(sorted(slope.sources))
        layer = self._shared(key, lambda: self._torch("PReLU", num_parameters=prod(slope.shape)))
        return [self._add(node, layer, [x])]

    # ---- shape-only ops ------------------------------------------------------------------------
    _UNARY: ClassVar[dict[str, str]] = {
        "Relu": "ReLU", "Sigmoid": "Sigmoid", "Tanh": "Tanh", "LeakyRelu": "LeakyReLU", "Clip": "Hardtanh",
        "HardSwish": "Hardswish", "HardSigmoid": "Hardsigmoid", "Softmax": "Softmax", "LogSoftmax": "LogSoftmax",
        "Gelu": "GELU", "Elu": "ELU", "Selu": "SELU", "Celu": "CELU", "Softplus": "Softplus",
        "Softsign": "Softsign", "Mish": "Mish", "Dropout": "Dropout", "Identity": "Identity",
        "ThresholdedRelu": "Threshold", "Shrink": "Hardshrink",
    }
    _IDENTITY_OPS: ClassVar[frozenset[str]] = frozenset({
        "Erf", "Sqrt", "Reciprocal", "Exp", "Log", "Neg", "Abs", "Cast", "CastLike", "Floor", "Ceil", "Round",
        "Sin", "Cos", "Tan", "Asin", "Acos", "Atan", "Sinh", "Cosh", "Asinh", "Acosh", "Atanh", "Sign", "Not",
        "IsNaN", "IsInf", "BitwiseNot", "Hardmax", "LpNormalization", "MeanVarianceNormalization",
        "LRN", "Trilu", "CumSum",
    })

    def _unary_handler(self, op: str) -> Any:
        if op in self._UNARY or op in self._IDENTITY_OPS:
            name = self._UNARY.get(op, "Identity")

            def handler(index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
                x = self._flow(ins[0], op)
                y = self._add(node, self._torch(name), [x])
                return [y, y] if op == "Dropout" else [y]

            return handler
        raise UnknownLayerError(f"ONNX op {op} is not supported")

    def op_Flatten(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        from .onnx_shapes import ReshapeTo

        x = self._flow(ins[0], "Flatten")
        axis = int(attrs.get("axis", 1))
        axis = axis + len(x.shape) if axis < 0 else axis
        if not 0 <= axis <= len(x.shape):
            raise ShapeError(f"Flatten axis {attrs.get('axis')} is out of range for {format_shape(x.shape)}")
        if axis == 1 and len(x.shape) >= 2:
            return [self._add(node, self._torch("Flatten", start_dim=1, end_dim=-1), [x])]
        target = (prod(x.shape[:axis]), prod(x.shape[axis:]))
        return [self._add(node, ReshapeTo(shape=target, allowzero=1), [x])]

    def op_Reshape(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        from .onnx_shapes import ReshapeTo

        x = self._flow(ins[0], "Reshape")
        shape = self._const(ins[1], "Reshape", "target shape") if len(ins) > 1 else None
        target = shape.ints("Reshape shape") if shape is not None else list(attrs.get("shape", []))
        allowzero = int(attrs.get("allowzero", 0))
        target = [x.shape[i] if (d == 0 and not allowzero and i < len(x.shape)) else d for i, d in enumerate(target)]
        return [self._add(node, ReshapeTo(shape=tuple(target), allowzero=1), [x])]

    def op_Transpose(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "Transpose")
        perm = attrs.get("perm") or list(reversed(range(len(x.shape))))
        return [self._add(node, self._torch("permute", dims=tuple(int(p) for p in perm)), [x])]

    def op_Squeeze(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        from .onnx_shapes import Squeeze

        x = self._flow(ins[0], "Squeeze")
        axes = self._const(ins[1], "Squeeze", "axes").ints("axes") if len(ins) > 1 and ins[1] is not None else (
            attrs.get("axes"))
        return [self._add(node, Squeeze(axes=axes), [x])]

    def op_Unsqueeze(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        from .onnx_shapes import Unsqueeze

        x = self._flow(ins[0], "Unsqueeze")
        axes = self._const(ins[1], "Unsqueeze", "axes").ints("axes") if len(ins) > 1 and ins[1] is not None else (
            attrs.get("axes") or [])
        return [self._add(node, Unsqueeze(axes=axes), [x])]

    def op_Slice(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        from .onnx_shapes import SliceOp, slice_bounds

        x = self._flow(ins[0], "Slice")
        consts: list[Any] = [None if i == 0 or v is None else self._const(v, "Slice", "bound")
                             for i, v in enumerate(ins)]
        bounds = slice_bounds(len(x.shape), consts, attrs)
        return [self._add(node, SliceOp(bounds=bounds), [x])]

    def op_Split(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        from .onnx_shapes import SliceOp

        x = self._flow(ins[0], "Split")
        rank = len(x.shape)
        axis = int(attrs.get("axis", 0))
        axis = axis + rank if axis < 0 else axis
        n_out = len(node.output)
        if len(ins) > 1 and ins[1] is not None:
            sizes = self._const(ins[1], "Split", "split").ints("split")
        elif attrs.get("split"):
            sizes = list(attrs["split"])
        else:
            n = x.shape[axis]
            size = -(-n // n_out) if is_number(n) else simplify_int(sympy.ceiling(n / n_out))
            sizes = [size] * (n_out - 1) + [simplify_int(n - size * (n_out - 1))]
        outs, start = [], 0
        for i, size in enumerate(sizes):
            end = simplify_int(start + size)
            outs.append(self._add(node, SliceOp(bounds=[(axis, start, end, 1)]), [x], f"{i}" if i else ""))
            start = end
        return outs

    def op_SplitToSequence(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        from .onnx_shapes import SliceOp, Squeeze

        x = self._flow(ins[0], "SplitToSequence")
        axis = int(attrs.get("axis", 0))
        axis = axis + len(x.shape) if axis < 0 else axis
        n = x.shape[axis]
        given = len(ins) > 1 and ins[1] is not None
        split = self._const(ins[1], "SplitToSequence", "split").ints("split") if given else [1]
        squeeze = not given and bool(attrs.get("keepdims", 1)) is False
        if len(split) == 1 and not (given and len(self._const(ins[1], "SplitToSequence", "split").shape) == 1):
            if not is_number(n) or not is_number(split[0]) or split[0] < 1:
                raise UnknownLayerError(f"SplitToSequence of an axis of size {n} into pieces of {split[0]}")
            size = int(split[0])
            split = [size] * (int(n) // size) + ([int(n) % size] if int(n) % size else [])
        items, start = [], 0
        for i, size in enumerate(split):
            end = simplify_int(start + size)
            y = self._add(node, SliceOp(bounds=[(axis, start, end, 1)]), [x], str(i) if i else "")
            if squeeze:
                y = self._add(node, Squeeze(axes=[axis]), [y], f"squeeze{i}")
            items.append(y)
            start = end
        return [FlowSeq(items)]

    def op_SequenceAt(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        if not isinstance(ins[0], FlowSeq):
            raise UnknownLayerError("SequenceAt of something other than SplitToSequence")
        (i,) = self._const(ins[1], "SequenceAt", "position").ints("position")
        if not is_number(i) or not -len(ins[0].items) <= int(i) < len(ins[0].items):
            raise ShapeError(f"SequenceAt position {i} is out of range for {len(ins[0].items)} items")
        return [ins[0].items[int(i)]]

    def op_Gather(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        from .onnx_shapes import GatherOp

        if not isinstance(ins[0], Flow) and isinstance(ins[1], Flow):
            table = self._const(ins[0], "Gather", "table")
            if len(table.shape) != 2 or int(attrs.get("axis", 0)) != 0:
                raise UnknownLayerError(f"Gather from a constant of shape {list(table.shape)}")
            key = tuple(sorted(table.sources))
            layer = self._shared(key, lambda: self._torch(
                "Embedding", num_embeddings=table.shape[0], embedding_dim=table.shape[1]))
            return [self._add(node, layer, [ins[1]])]
        x = self._flow(ins[0], "Gather")
        idx = self._const(ins[1], "Gather", "indices")
        return [self._add(node, GatherOp(axis=int(attrs.get("axis", 0)), index_shape=idx.shape), [x])]

    def _reduce(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        from .onnx_shapes import Reduce

        x = self._flow(ins[0], node.op_type)
        if node.op_type in ("ArgMax", "ArgMin"):
            axes: Any = [int(attrs.get("axis", 0))]
        elif len(ins) > 1 and ins[1] is not None:
            axes = self._const(ins[1], node.op_type, "axes").ints("axes")
        else:
            axes = attrs.get("axes")
        if not axes:
            axes = [] if attrs.get("noop_with_empty_axes", 0) else None
        return [self._add(node, Reduce(op=node.op_type, axes=axes, keepdims=bool(attrs.get("keepdims", 1))), [x])]

    op_ReduceMean = op_ReduceMax = op_ReduceMin = op_ReduceSum = op_ReduceProd = op_ReduceL2 = op_ReduceL1 = (
        _reduce
    )
    op_ReduceLogSumExp = op_ReduceSumSquare = op_ArgMax = op_ArgMin = _reduce

    def op_Pad(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "Pad")
        rank = len(x.shape)
        if len(ins) > 1 and ins[1] is not None:
            pads = self._const(ins[1], "Pad", "pads").ints("pads")
        else:
            pads = list(attrs.get("pads", []))
        axes = list(range(rank))
        if len(ins) > 3 and ins[3] is not None:
            axes = [a + rank if a < 0 else a for a in self._const(ins[3], "Pad", "axes").ints("axes")]
        if len(pads) != 2 * len(axes):
            raise ShapeError(f"Pad amounts {pads} do not fit {len(axes)} axes")
        before, after = [0] * rank, [0] * rank
        for i, a in enumerate(axes):
            before[a], after[a] = pads[i], pads[i + len(axes)]
        return [self._pad_layer(node, x, before, after, "")]

    def op_Resize(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], node.op_type)
        rank = len(x.shape)
        if node.op_type == "Upsample" and "scales" in attrs:
            scales: list[Any] | None = list(attrs["scales"])
            sizes = None
        else:
            scale_in = ins[1] if node.op_type == "Upsample" else (ins[2] if len(ins) > 2 else None)
            size_in = ins[3] if node.op_type == "Resize" and len(ins) > 3 else None
            scales = None
            sizes = None
            if size_in is not None and prod(self._const(size_in, "Resize", "sizes").shape) > 0:
                sizes = size_in.ints("Resize sizes")
            elif scale_in is not None:
                scales = [float(v) for v in self._const(scale_in, "Resize", "scales").values().reshape(-1).tolist()]
                if not all(math.isfinite(v) and v > 0 for v in scales):
                    raise ShapeError(f"Resize scales must be positive numbers, got {scales}")
            else:
                raise ShapeError(f"{node.op_type} has neither scales nor sizes")
        if attrs.get("axes"):
            raise UnknownLayerError("Resize with axes is not supported")
        if sizes is not None:
            if len(sizes) != rank:
                raise ShapeError(f"Resize sizes {sizes} do not fit {format_shape(x.shape)}")
            if any(is_number(a) and is_number(b) and a != b for a, b in zip(sizes[:2], x.shape[:2])):
                raise UnknownLayerError("Resize of the batch or channel axis is not supported")
            layer = self._torch("Upsample", size=tuple(sizes[2:]))
        else:
            assert scales is not None
            if len(scales) != rank:
                raise ShapeError(f"Resize scales {scales} do not fit {format_shape(x.shape)}")
            if scales[0] != 1 or scales[1] != 1:
                raise UnknownLayerError("Resize of the batch or channel axis is not supported")
            layer = self._torch("Upsample", scale_factor=tuple(scales[2:]))
        return [self._add(node, layer, [x])]

    op_Upsample = op_Resize

    def op_Expand(self, index: int, node: Any, ins: list[Any], attrs: dict[str, Any]) -> list[Any]:
        x = self._flow(ins[0], "Expand")
        target = tuple(self._const(ins[1], "Expand", "shape").ints("Expand shape"))
        return [self._add(node, _ExpandTo(shape=target), [x])]


def _like(flow: Flow) -> Any:
    """A stand-in for a computed tensor whose element type is all an op reads (float)."""
    import numpy as np

    from .onnx_shapes import Const

    return Const(np.empty((0,), dtype=object), is_float=True)


def _torch_layer(cls: str, **kwargs: Any) -> Layer:
    """A torch-convention layer (module or functional op) by its torch name."""
    from ..layers import torch_ops  # noqa: F401  (registers the functional ops)
    from ..layers.torch_layers import TORCH_LAYERS

    return TORCH_LAYERS[cls](**kwargs)


class _ExpandTo(Layer, register=False):
    """ONNX Expand: the input broadcast to ``shape``."""

    def __init__(self, shape: Sequence[Any] = (), **base: Any) -> None:
        super().__init__(**base)
        self.shape = tuple(shape)

    @property
    def class_name(self) -> str:
        return "Expand"

    def output_shape(self, inputs: list[Shape]) -> Shape:
        from ..layers.merge import broadcast

        return broadcast([self._one_input(inputs), self.shape], "Expand")
