"""Keras architecture files: ``model.to_json()`` text and ``.keras`` zips, read without Keras.

Both Keras 3 and Keras 2 (tf.keras) configurations are read: Sequential and
Functional models, several inputs and outputs, shared layers (one layer object
called at several nodes, so its weights count once), models nested as layers,
and ``keras.ops`` calls in a functional graph. Layer classes are looked up in
``Layer.registry`` by their Keras ``class_name``; ops first as ``"ops." +
class_name`` (see ``_layer_class``); a tf.keras ``TFOpLambda`` by the function
it names. A ``Lambda`` is opaque code: it takes the output shape Keras recorded
for it. A layer output other than the first (an LSTM's states) is refused.

Limits (each a LimitError): JSON or config.json over 64 MiB, a config.json
packed more than 200 times smaller than it unpacks, more than 20,000 layers and
calls, models nested more than 32 deep, whole numbers of 2**63 or more. Only
``config.json`` is read from a zip, in memory; nothing is extracted.

Unknown sizes. Keras writes an unknown size as ``null``. The batch axis stays
``None``; every other unknown axis of an input becomes a symbol (a positive
integer), named by its position in the shape ``(batch, *spatial, channels)``:

* rank 2, ``(None, None)`` — a sequence of ids: ``T``;
* the channels axis, when unknown: ``C``;
* the spatial axes: one axis ``T`` (a 1-D sequence), two ``H, W`` (an image),
  three ``D, H, W`` (a volume), more ``S1, S2, ...``.

The channels axis is the last one, unless the input looks channels-first: rank
3 or more with the second axis known and the last unknown, as in ``(None, 3,
None, None)``, which gives ``(None, 3, H, W)``. When more than one input has
unknown sizes, each symbol gets the input's position in the model's
``input_layers`` as a suffix, counting from 1 (``H_1, W_1`` and ``T_2``).

>>> import json
>>> spec = {"class_name": "Sequential", "config": {"name": "tiny", "layers": [
...     {"class_name": "InputLayer", "config": {"batch_shape": [None, None, None, 3], "name": "x"}},
...     {"class_name": "Conv2D", "config": {"name": "c", "filters": 8, "kernel_size": [3, 3]}}]}}
>>> m = model_from_keras_json(json.dumps(spec), "tiny.json")
>>> m.layers[-1].output_shape, m.total_params
((None, H - 2, W - 2, 8), 224)
"""

from __future__ import annotations

import json
import lzma
import zipfile
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ..errors import ArgumentError, GraphError, LimitError, ParseError, ShapeError, SymcnnError, UnknownLayerError
from ..expr import dim_symbol
from ..layers.base import Layer, Shape, format_shape
from ..layers.core import InputLayer
from ..model import MAX_LAYERS, Model, Node, Sequential
from . import MAX_FILE_BYTES, read_bytes

MAX_CONFIG_BYTES = 64 * 1024 * 1024  # the largest config.json read from a .keras zip
MAX_COMPRESSION_RATIO = 200  # a config.json packed tighter than this is a zip bomb, not JSON
MAX_ZIP_MEMBERS = 10_000
MAX_NESTING = 32  # models inside models
MAX_INT = 2**63  # larger whole numbers in a config are refused, not multiplied out
MAX_CALLS = 20_000  # layers and layer calls in one file, nested models included (big real models use ~1,000)

_FUNCTIONAL = ("Functional", "Model")
_SEQUENTIAL = ("Sequential",)
_OP_MODULES = ("keras.src.ops", "keras.ops")
_SPATIAL_NAMES = {1: ("T",), 2: ("H", "W"), 3: ("D", "H", "W")}
# tf.keras 2 writes a TensorFlow call in a functional model as a TFOpLambda layer naming the function;
# these are the keras.ops classes with the same shape rule.
_TF_FUNCTIONS = {
    "__operators__.add": "Add", "math.add": "Add", "math.subtract": "Subtract", "__operators__.sub": "Subtract",
    "math.multiply": "Multiply", "math.truediv": "TrueDivide", "math.divide": "Divide", "math.maximum": "Maximum",
    "math.minimum": "Minimum", "math.pow": "Power", "nn.relu": "Relu", "nn.relu6": "Relu6", "math.sigmoid": "Sigmoid",
    "nn.sigmoid": "Sigmoid", "math.tanh": "Tanh", "nn.tanh": "Tanh", "nn.silu": "Silu", "nn.swish": "Silu",
    "nn.gelu": "Gelu", "nn.elu": "Elu", "nn.selu": "Selu", "nn.softplus": "Softplus", "math.exp": "Exp",
    "math.log": "Log", "math.sqrt": "Sqrt", "math.rsqrt": "Rsqrt", "math.square": "Square", "math.abs": "Absolute",
    "math.negative": "Negative", "math.reciprocal": "Reciprocal",
}  # fmt: skip


@dataclass(frozen=True)
class TensorArg:
    """A tensor in a ``keras.ops`` call's arguments: the ``index``-th input of the node."""

    index: int


# ---- entry points ------------------------------------------------------------------------


def load_keras(path: str | Path, **_: Any) -> Model:
    """Read a Keras model file: ``model.to_json()`` text (.json) or a ``model.save`` zip (.keras).

    Only ``config.json`` is read from a zip, in memory; weights are never opened.

    >>> load_keras("model.keras").total_params  # doctest: +SKIP
    1643844
    """
    source = str(path)
    if Path(path).suffix.lower() == ".keras" or _is_zip(path):
        text = _zip_config(path)
    else:
        text = _decode(read_bytes(path, MAX_FILE_BYTES), source)
    return model_from_keras_json(text, source)


def model_from_keras_json(text: str, source: str = "<keras json>") -> Model:
    """Build a symcnn Model from the JSON that Keras's ``model.to_json()`` writes."""
    if not isinstance(text, str):
        raise ParseError(f"Keras JSON must be text, got {type(text).__name__}", file=source)
    if len(text) > MAX_CONFIG_BYTES:
        raise LimitError(f"Keras JSON is {len(text):,} characters; the limit is {MAX_CONFIG_BYTES:,}", file=source)
    try:
        spec = json.loads(text)
    except json.JSONDecodeError as exc:
        raise ParseError(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", file=source) from None
    except RecursionError:
        raise ParseError("JSON nested too deeply", file=source) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise LimitError(f"JSON holds a value symcnn cannot read: {exc}", file=source) from None
    return model_from_keras_config(spec, source)


def model_from_keras_config(spec: Any, source: str = "<keras config>") -> Model:
    """Build a Model from a parsed Keras config: ``{"class_name": ..., "config": ...}``."""
    reader = _Reader(source)
    try:
        model = reader.model(spec, depth=0)
        _ = model.records  # compute every shape now, so a bad file fails here with its context
        return model
    except SymcnnError as exc:
        raise exc.within(file=source, layer=reader.current) from None
    except RecursionError:
        raise ParseError("model nested too deeply", file=source, layer=reader.current) from None
    except (KeyError, TypeError, ValueError, AttributeError, IndexError, ArithmeticError) as exc:
        # A safety net: every check above should have named the problem already.
        raise ParseError(
            f"malformed Keras model ({type(exc).__name__}: {exc})", file=source, layer=reader.current
        ) from None


# ---- files ---------------------------------------------------------------------------------


def _is_zip(path: str | Path) -> bool:
    try:
        with Path(path).open("rb") as fh:
            return fh.read(4) == b"PK\x03\x04"
    except OSError:
        return False


def _decode(data: bytes, source: str) -> str:
    if len(data) > MAX_CONFIG_BYTES:
        raise LimitError(f"Keras JSON is {len(data):,} bytes; the limit is {MAX_CONFIG_BYTES:,}", file=source)
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ParseError(f"Keras JSON is not UTF-8 text (byte {exc.start})", file=source) from None


def _zip_config(path: str | Path) -> str:
    """The ``config.json`` of a .keras zip, read in memory with size checks; nothing is extracted."""
    source = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise LimitError(f".keras zip has {len(members):,} members; the limit is {MAX_ZIP_MEMBERS:,}")
            info = next((m for m in members if m.filename == "config.json"), None)
            if info is None:
                names = ", ".join(m.filename for m in members[:5]) or "nothing"
                raise ParseError(f".keras zip has no config.json (it holds {names})")
            if info.file_size > MAX_CONFIG_BYTES:
                raise LimitError(f"config.json is {info.file_size:,} bytes unpacked; the limit is {MAX_CONFIG_BYTES:,}")
            if info.file_size > 1024 * 1024 and info.file_size > MAX_COMPRESSION_RATIO * max(info.compress_size, 1):
                raise LimitError(
                    f"config.json unpacks {info.file_size / max(info.compress_size, 1):,.0f} times larger than it is "
                    f"packed; the limit is {MAX_COMPRESSION_RATIO}"
                )
            with archive.open(info) as fh:
                data = fh.read(MAX_CONFIG_BYTES + 1)  # never trust the header alone
    except SymcnnError as exc:
        raise exc.within(file=source) from None
    except (
        zipfile.BadZipFile,
        zipfile.LargeZipFile,
        NotImplementedError,
        EOFError,
        ValueError,
        zlib.error,
        lzma.LZMAError,
    ) as exc:  # damaged compressed data raises the decompressor's own error
        raise ParseError(f"not a readable .keras zip: {exc}", file=source) from None
    except RuntimeError as exc:  # encrypted member
        raise ParseError(f"cannot read config.json from the .keras zip: {exc}", file=source) from None
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror or exc}", file=source) from None
    return _decode(data, source)


# ---- the reader ------------------------------------------------------------------------------


@dataclass
class _NodeSpec:
    """One call of a layer as the JSON states it."""

    layer: str
    index: int
    refs: list[tuple[str, int, int]]  # (layer name, node index, tensor index) of each input tensor
    args: Any = ()
    kwargs: Any = None
    shapes: list[Any] | None = None  # the shape Keras 3 records for each input tensor


class _Recorded(Layer, register=False):
    """A Lambda: its function is opaque code, but the file records the shape it gave.

    It has no weights. A call whose recorded output equals its recorded input passes any
    input through (so it stays symbolic); otherwise the recorded output holds only for the
    recorded input shape.
    """

    arity = None

    def __init__(self, kind: str, recorded_in: list[Any], recorded_out: list[Any], **base: Any) -> None:
        super().__init__(**base)
        self.kind = kind
        self.recorded_in = [tuple(shape) if isinstance(shape, list) else None for shape in recorded_in]
        self.recorded_out = tuple(recorded_out)

    @property
    def class_name(self) -> str:
        return self.kind

    def output_shape(self, inputs: list[Shape]) -> Shape:
        if len(inputs) == 1 and self.recorded_in and self.recorded_in[0] == self.recorded_out:
            if len(inputs[0]) != len(self.recorded_out):
                raise ShapeError(
                    f"{self.kind} was recorded on rank {len(self.recorded_out)}, got {format_shape(inputs[0])}"
                )
            return inputs[0]
        for got, want in zip(inputs, self.recorded_in):
            if (
                want is None
                or len(got) != len(want)
                or any(w is not None and g != w for g, w in zip(got[1:], want[1:]))
            ):
                raise UnknownLayerError(
                    f"{self.kind} is opaque code; the file records its output only for input "
                    f"{format_shape(want) if want else '(unrecorded)'}, not {format_shape(got)}"
                )
        if any(d is None for d in self.recorded_out[1:]):
            raise UnknownLayerError(
                f"{self.kind} is opaque code and the file leaves its output size open: "
                f"{format_shape(self.recorded_out)}"
            )
        return (inputs[0][0] if inputs else None, *self.recorded_out[1:])


class _Reader:
    def __init__(self, source: str) -> None:
        self.source = source
        self.current: str | None = None  # the layer being read, for error context
        self.calls = 0

    def count(self, n: int = 1) -> None:
        self.calls += n
        if self.calls > MAX_CALLS:
            raise LimitError(f"the file holds more than {MAX_CALLS:,} layers and layer calls; that is symcnn's limit")

    # ---- models ----
    def model(self, spec: Any, depth: int) -> Model:
        if depth > MAX_NESTING:
            raise LimitError(f"models are nested more than {MAX_NESTING} deep")
        if isinstance(spec, list):  # Keras 2.2: a Sequential config is the list of layers
            return self.sequential({"layers": spec}, depth)
        if not isinstance(spec, dict):
            raise ParseError(f"a Keras model must be a JSON object, got {_kind(spec)}")
        if "class_name" not in spec and "layers" in spec:  # a bare model.get_config()
            spec = {"class_name": "Functional" if "input_layers" in spec else "Sequential", "config": spec}
        class_name = spec.get("class_name")
        config = spec.get("config")
        if isinstance(config, list) and class_name in _SEQUENTIAL:
            config = {"layers": config}
        if not isinstance(config, dict):
            raise ParseError(f"a Keras model needs a 'config' object, got {_kind(config)}")
        if class_name in _SEQUENTIAL:
            return self.sequential(config, depth)
        if class_name in _FUNCTIONAL or (isinstance(class_name, str) and "input_layers" in config):
            return self.functional(config, depth)
        what = f"a {class_name!r} layer" if isinstance(class_name, str) else f"class_name {class_name!r}"
        raise ParseError(f"expected a Keras model (Sequential or Functional), got {what}")

    def sequential(self, config: dict[str, Any], depth: int) -> Model:
        entries = _layer_list(config)
        nodes: list[Node] = []
        names: set[str] = set()
        for position, entry in enumerate(entries):
            class_name, layer_config, name = self.entry(entry, position)
            self.current = name
            if name in names:
                raise GraphError(f"two layers are named {name!r}")
            names.add(name)
            if class_name == "InputLayer":
                if nodes:
                    raise GraphError("only the first layer of a Sequential may be an InputLayer")
                nodes.append(Node(self.input_layer(layer_config, name, 0), [], name))
                continue
            if class_name == "Lambda" and nodes and _layer_class(class_name, entry) is None:
                following = entries[position + 1] if position + 1 < len(entries) else None
                layer = self.sequential_lambda(nodes, following, layer_config, name)
            else:
                layer = self.layer(entry, class_name, layer_config, name, depth, None)
            if not nodes:
                shape = _declared_input(config, entry, layer_config, layer)
                input_name = f"{name}_input" if f"{name}_input" not in names else f"input_{position}"
                nodes.append(Node(self.input_layer({"batch_shape": shape}, input_name, 0), [], input_name))
            nodes.append(Node(layer, nodes[-1:], name))
        self.current = None
        if not nodes:
            raise ParseError("a Sequential model needs layers")
        return self.finish(Sequential, config, nodes, nodes[-1:])

    def sequential_lambda(self, nodes: list[Node], following: Any, config: dict[str, Any], name: str) -> Layer:
        """A Lambda in a Sequential: its output is the input shape Keras recorded for the next layer."""
        recorded = _get(following, "build_config", "input_shape")
        if not (isinstance(recorded, list) and recorded and not isinstance(recorded[0], list)):
            recorded = None
        partial = Model(name="partial", nodes=list(nodes), output_nodes=nodes[-1:], source=self.source)
        computed = [d if isinstance(d, int) else None for d in partial.records[-1].output_shape]
        spec = _NodeSpec(name, 0, [(str(nodes[-1].name), 0, 0)], shapes=[computed])
        return _lambda(spec, config, recorded)

    def functional(self, config: dict[str, Any], depth: int) -> Model:
        entries = _layer_list(config)
        table: dict[str, tuple[int, dict[str, Any], str, Any]] = {}
        specs: dict[tuple[str, int], _NodeSpec] = {}
        for position, entry in enumerate(entries):
            class_name, layer_config, name = self.entry(entry, position)
            self.current = name
            if name in table:
                raise GraphError(f"two layers are named {name!r}")
            table[name] = (position, entry, class_name, layer_config)
            if class_name == "InputLayer":
                specs[(name, 0)] = _NodeSpec(name, 0, [])
                continue
            inbound = entry.get("inbound_nodes", [])
            if not isinstance(inbound, list):
                raise ParseError(f"'inbound_nodes' must be a list, got {_kind(inbound)}")
            for index, raw in enumerate(inbound):
                self.count()
                specs[(name, index)] = _node_spec(name, index, raw)
        self.current = None
        inputs = _refs(config.get("input_layers"), "input_layers")
        outputs = _refs(config.get("output_layers"), "output_layers")
        if not outputs:
            raise ParseError("a Functional model needs 'output_layers'")
        for ref in inputs:
            if ref[0] not in table or table[ref[0]][2] != "InputLayer":
                raise GraphError(f"input_layers names {ref[0]!r}, which is not an InputLayer of this model")
        outputs = _skip_builtin_nodes(specs, table, outputs)
        order = self.order(specs, table, inputs, outputs)
        recorded: dict[tuple[str, int], Any] = {}
        for other in specs.values():
            for ref, shape in zip(other.refs, other.shapes or []):
                if ref[2] == 0 and isinstance(shape, list):
                    recorded.setdefault((ref[0], ref[1]), shape)

        input_names = [ref[0] for ref in inputs]
        input_names += [n for n, (_, _, cls, _) in table.items() if cls == "InputLayer" and n not in input_names]
        open_inputs = [n for n in input_names if _has_unknown(table[n][3])]
        layers: dict[str, Layer] = {}
        built: dict[tuple[str, int], Node] = {}
        for key in order:
            spec = specs[key]
            position, entry, class_name, layer_config = table[spec.layer]
            self.current = spec.layer
            parents = [built[(ref[0], ref[1])] for ref in spec.refs]
            layer: Layer
            if class_name == "InputLayer":
                suffix = open_inputs.index(spec.layer) + 1 if len(open_inputs) > 1 and spec.layer in open_inputs else 0
                layer = self.input_layer(layer_config, spec.layer, suffix)
            elif _from_call(class_name, entry) is not None:
                layer = self.layer(entry, class_name, layer_config, spec.layer, depth, spec)
            elif class_name == "Lambda" and _layer_class(class_name, entry) is None:
                layer = _lambda(spec, layer_config, recorded.get(key))
            else:
                if spec.layer not in layers:
                    layers[spec.layer] = self.layer(entry, class_name, layer_config, spec.layer, depth, spec)
                layer = layers[spec.layer]
            built[key] = Node(layer, parents, spec.layer)
        self.current = None
        nodes = [built[key] for key in order]
        return self.finish(Model, config, nodes, [built[(r[0], r[1])] for r in outputs])

    def finish(self, cls: type[Model], config: dict[str, Any], nodes: list[Node], outputs: list[Node]) -> Model:
        name = config.get("name", "sequential" if cls is Sequential else "model")
        if not isinstance(name, str):
            raise ArgumentError(f"the model's name must be text, got {name!r}")
        model = Model.__new__(cls)
        Model.__init__(model, name=name, nodes=nodes, output_nodes=outputs, convention="keras", source=self.source)
        model.trainable = _trainable(config, name)
        return model

    def order(
        self,
        specs: dict[tuple[str, int], _NodeSpec],
        table: dict[str, Any],
        inputs: list[tuple[str, int, int]],
        outputs: list[tuple[str, int, int]],
    ) -> list[tuple[str, int]]:
        """Every node after the nodes it reads, inputs first in ``input_layers`` order, else JSON order."""
        for who, refs in [(key[0], spec.refs) for key, spec in specs.items()] + [("output_layers", outputs)]:
            for layer, node, tensor in refs:
                self.current = who if who != "output_layers" else None
                if layer not in table:
                    raise GraphError(
                        f"takes input from an unknown layer {layer!r}"
                        if who != "output_layers"
                        else f"output_layers names an unknown layer {layer!r}"
                    )
                if (layer, node) not in specs:
                    raise GraphError(
                        f"uses call #{node} of layer {layer!r}, which has "
                        f"{sum(1 for k in specs if k[0] == layer)} call(s)"
                    )
                if tensor != 0:
                    raise UnknownLayerError(
                        f"uses output #{tensor} of layer {layer!r}; symcnn follows layers with one output only"
                    )
        self.current = None
        keys = [(r[0], 0) for r in inputs] + sorted(specs, key=lambda k: (table[k[0]][0], k[1]))
        state: dict[tuple[str, int], int] = {}  # 1 = on the path, 2 = placed
        order: list[tuple[str, int]] = []
        for start in keys:
            if state.get(start) == 2:
                continue
            stack: list[tuple[tuple[str, int], int]] = [(start, 0)]
            state[start] = 1
            while stack:
                key, i = stack.pop()
                refs = specs[key].refs
                if i < len(refs):
                    stack.append((key, i + 1))
                    child = (refs[i][0], refs[i][1])
                    if state.get(child) == 1:
                        self.current = key[0]
                        raise GraphError(f"the graph has a cycle: {key[0]!r} depends on itself through {child[0]!r}")
                    if state.get(child) != 2:
                        state[child] = 1
                        stack.append((child, 0))
                else:
                    state[key] = 2
                    order.append(key)
        return order

    # ---- layers ----
    def entry(self, entry: Any, position: int) -> tuple[str, dict[str, Any], str]:
        """(class_name, config, name) of one entry of a 'layers' list, checked."""
        if not isinstance(entry, dict):
            raise ParseError(f"layer #{position + 1} must be a JSON object, got {_kind(entry)}")
        class_name = entry.get("class_name")
        config = entry.get("config")
        if not isinstance(class_name, str) or not class_name:
            raise ParseError(f"layer #{position + 1} has no 'class_name'")
        if config is None:
            config = {}
        if not isinstance(config, (dict, list)):
            raise ParseError(
                f"layer #{position + 1} ({class_name}) has a 'config' that is {_kind(config)}, not an object"
            )
        name = entry.get("name", config.get("name") if isinstance(config, dict) else None)
        if name is None:
            name = f"{class_name.lower()}_{position}"
        if not isinstance(name, str) or not name:
            raise ArgumentError(f"layer #{position + 1} ({class_name}) needs a non-empty text name, got {name!r}")
        self.current = name
        self.count()
        _check_ints(config, "config")
        return class_name, config if isinstance(config, dict) else {"layers": config}, name

    def layer(
        self,
        entry: dict[str, Any],
        class_name: str,
        config: dict[str, Any],
        name: str,
        depth: int,
        spec: _NodeSpec | None,
    ) -> Layer:
        if class_name in _SEQUENTIAL + _FUNCTIONAL or (class_name not in Layer.registry and "layers" in config):
            inner = self.model({"class_name": class_name, "config": config}, depth + 1)
            self.current = name
            inner.name = name
            if class_name in _SEQUENTIAL and spec is not None and len(spec.refs) != 1:
                raise ShapeError(f"a Sequential takes one input, got {len(spec.refs)}")
            return inner
        is_op = _is_op(entry)
        cls = _layer_class(class_name, entry)
        if cls is None and class_name == "TFOpLambda":
            raise UnknownLayerError(f"unknown tf.keras op {config.get('function')!r} (a TFOpLambda layer)")
        if cls is None or cls is InputLayer:
            kind = "keras op" if is_op else "layer type"
            raise UnknownLayerError(
                f"unknown {kind} {class_name!r}"
                + (f" (module {entry['module']})" if isinstance(entry.get("module"), str) else "")
            )
        settings = {k: v for k, v in config.items() if k != "name"} if class_name != "TFOpLambda" else {}
        from_call = getattr(cls, "from_call", None)
        try:
            if from_call is not None and spec is not None:
                layer = from_call(settings, *_call_arguments(spec))
            else:
                if is_op and spec is not None and _constant_arguments(spec):
                    raise UnknownLayerError(
                        f"keras op {class_name!r} is called with constant arguments, which symcnn has no rule for"
                    )
                layer = cls.from_config(settings)
        except ArgumentError as exc:
            if is_op and f"ops.{class_name}" not in Layer.registry:  # the layer of the same name did not fit
                raise UnknownLayerError(
                    f"keras op {class_name!r} has no symcnn rule "
                    f"(the layer of the same name does not fit: {exc.problem})"
                ) from None
            raise
        if not isinstance(layer, Layer):
            raise UnknownLayerError(f"symcnn's rule for {class_name!r} made no layer")
        layer.name = name
        return layer

    def input_layer(self, config: dict[str, Any], name: str, suffix: int) -> InputLayer:
        """An InputLayer whose unknown sizes (but the batch) are named symbols (see the module doc)."""
        raw = _input_shape(config)
        shape = [_size(d, f"batch_shape[{i}]") if i else _batch(d) for i, d in enumerate(raw)]
        if len(shape) < 2:
            raise ShapeError(f"an input needs at least one axis besides the batch, got {list(raw)!r}")
        names = _axis_names(shape[1:])
        dims = [shape[0]] + [
            dim_symbol(f"{names[i]}_{suffix}" if suffix else names[i]) if d is None else d
            for i, d in enumerate(shape[1:])
        ]
        return InputLayer(batch_shape=tuple(dims), name=name)


# ---- small helpers -------------------------------------------------------------------------


def _kind(value: Any) -> str:
    return (
        "null"
        if value is None
        else {dict: "an object", list: "a list", str: "text", bool: "true/false"}.get(type(value), type(value).__name__)
    )


def _layer_list(config: dict[str, Any]) -> list[Any]:
    entries = config.get("layers")
    if not isinstance(entries, list):
        raise ParseError(f"a model config needs a 'layers' list, got {_kind(entries)}")
    if not entries:
        raise ParseError("a model config has an empty 'layers' list")
    if len(entries) > MAX_LAYERS:  # refuse before building a million layers
        raise LimitError(f"the model has {len(entries):,} layers; the limit is {MAX_LAYERS:,}")
    return entries


def _trainable(config: dict[str, Any], name: str) -> bool:
    value = config.get("trainable", True)
    if not isinstance(value, bool):
        raise ArgumentError(f"trainable must be true or false, got {value!r}", layer=name)
    return value


def _is_op(entry: dict[str, Any]) -> bool:
    module = entry.get("module")
    return entry.get("class_name") == "TFOpLambda" or (isinstance(module, str) and module.startswith(_OP_MODULES))


def _layer_class(class_name: str, entry: dict[str, Any]) -> type[Layer] | None:
    """The registered class for a JSON entry; a keras op tries ``"ops." + class_name`` first."""
    if class_name == "TFOpLambda":  # tf.keras 2: {"function": "__operators__.add"}
        op = _TF_FUNCTIONS.get(str(_get(entry, "config", "function")))
        return Layer.registry.get(f"ops.{op}") if op else None
    if _is_op(entry):
        found = Layer.registry.get(f"ops.{class_name}")
        if found is not None:
            return found
    return Layer.registry.get(class_name)


def _from_call(class_name: str, entry: dict[str, Any]) -> Any:
    cls = _layer_class(class_name, entry)
    return getattr(cls, "from_call", None) if cls is not None else None


def _check_ints(value: Any, where: str, depth: int = 0) -> None:
    """Refuse absurd whole numbers anywhere in a config before any arithmetic sees them."""
    if depth > 200:
        raise LimitError(f"{where} is nested more than 200 deep")
    if isinstance(value, int) and not isinstance(value, bool):
        if abs(value) >= MAX_INT:
            raise LimitError(f"{where} is {str(value)[:20]}...; symcnn refuses sizes of 2**63 or more")
    elif isinstance(value, dict):
        for k, v in value.items():
            _check_ints(v, f"{where}.{k}", depth + 1)
    elif isinstance(value, list):
        for i, v in enumerate(value):
            _check_ints(v, f"{where}[{i}]", depth + 1)


def _input_shape(config: dict[str, Any]) -> list[Any]:
    for key in ("batch_shape", "batch_input_shape"):
        if config.get(key) is not None:
            value = config[key]
            if not isinstance(value, list):
                raise ArgumentError(f"{key} must be a list of sizes, got {value!r}")
            return value
    shape = config.get("shape", config.get("input_shape"))
    if shape is not None:
        if not isinstance(shape, list):
            raise ArgumentError(f"shape must be a list of sizes, got {shape!r}")
        return [config.get("batch_size"), *shape]
    raise ArgumentError("InputLayer has no 'batch_shape' (Keras 3) or 'batch_input_shape' (Keras 2)")


def _has_unknown(config: dict[str, Any]) -> bool:
    try:
        return any(d is None for d in _input_shape(config)[1:])
    except SymcnnError:
        return False


def _size(value: Any, what: str) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ArgumentError(f"{what} must be a whole number or null, got {value!r}")
    if value < 1:
        raise ArgumentError(f"{what} must be positive, got {value}")
    return value


def _batch(value: Any) -> int | None:
    return _size(value, "the batch size")


def _axis_names(dims: list[int | None]) -> tuple[str, ...]:
    """Names of the non-batch axes of an input (the rule in the module doc)."""
    n = len(dims)
    if n == 1:
        return ("T",)
    spatial = _SPATIAL_NAMES.get(n - 1) or tuple(f"S{i}" for i in range(1, n))
    if dims[0] is not None and dims[-1] is None:  # channels first: (batch, C, *spatial)
        return ("C", *spatial)
    return (*spatial, "C")


def _declared_input(config: dict[str, Any], entry: dict[str, Any], layer_config: dict[str, Any], layer: Layer) -> Any:
    """The input shape of a Sequential that has no InputLayer: stated by the model or its first layer."""
    if layer.declared_input is not None:
        return list(layer.declared_input)
    for candidate in (
        config.get("build_input_shape"),
        _get(entry, "build_config", "input_shape"),
        _get(config, "build_config", "input_shape"),
    ):
        if isinstance(candidate, list) and candidate and not isinstance(candidate[0], list):
            return candidate
    raise ShapeError(
        f"the first layer ({entry.get('class_name')}) states no input shape, and the Sequential "
        "has no InputLayer or build_input_shape"
    )


def _get(value: Any, *keys: str) -> Any:
    for key in keys:
        if not isinstance(value, dict):
            return None
        value = value.get(key)
    return value


def _refs(value: Any, what: str) -> list[tuple[str, int, int]]:
    """``input_layers``/``output_layers``: one [name, node, tensor], a list of them, or a dict of them."""
    if value is None:
        return []
    if isinstance(value, dict):
        value = list(value.values())
    if isinstance(value, list) and value and isinstance(value[0], str):
        value = [value]
    if not isinstance(value, list):
        raise ParseError(f"'{what}' must be a list of [layer name, node index, tensor index], got {_kind(value)}")
    return [_ref(item, what) for item in value]


def _ref(item: Any, what: str) -> tuple[str, int, int]:
    if isinstance(item, list) and len(item) >= 3 and isinstance(item[0], str):
        node, tensor = item[1], item[2]
        if all(isinstance(v, int) and not isinstance(v, bool) and v >= 0 for v in (node, tensor)):
            return item[0], node, tensor
    raise ParseError(f"{what}: expected [layer name, node index, tensor index], got {item!r}")


def _node_spec(layer: str, index: int, raw: Any) -> _NodeSpec:
    """One entry of ``inbound_nodes``: Keras 3 ``{"args", "kwargs"}`` or Keras 2 ``[[name, n, t, kw], ...]``."""
    if isinstance(raw, dict):
        args = raw.get("args", [])
        kwargs = raw.get("kwargs", {})
        if not isinstance(args, list) or not isinstance(kwargs, dict):
            raise ParseError(f"call #{index}: 'args' must be a list and 'kwargs' an object")
        tensors = list(_tensors([args, kwargs]))
        shapes = [_get(t, "config", "shape") for t in tensors]
        return _NodeSpec(layer, index, [_history(t) for t in tensors], args, kwargs, shapes)
    if isinstance(raw, list):
        return _keras2_node(layer, index, raw)
    raise ParseError(f"call #{index}: expected an object with 'args' or a list of inputs, got {_kind(raw)}")


def _skip_builtin_nodes(
    specs: dict[tuple[str, int], _NodeSpec], table: dict[str, Any], outputs: list[tuple[str, int, int]]
) -> list[tuple[str, int, int]]:
    """Renumber calls of nested functional models, whose call #0 is their own construction.

    Keras counts a Functional model's construction as its node 0, so the first call saved in
    ``inbound_nodes`` is referenced as node 1 (functional.py ``get_config``: ``kept_nodes = 1``).
    A Keras 2 Sequential is a Functional too; there the offset shows as a reference one past the
    saved calls. Refs are rewritten in place to index ``inbound_nodes`` directly.
    """
    refs = [ref for spec in specs.values() for ref in spec.refs] + outputs
    calls: dict[str, int] = {}
    for layer, _ in specs:
        calls[layer] = calls.get(layer, 0) + 1
    offset: dict[str, int] = {}
    for name, (_, _, class_name, _) in table.items():
        if class_name in _FUNCTIONAL:
            offset[name] = 1
        elif class_name in _SEQUENTIAL:
            used = [r[1] for r in refs if r[0] == name]
            offset[name] = 1 if used and max(used) == calls.get(name, 0) else 0

    def shift(ref: tuple[str, int, int]) -> tuple[str, int, int]:
        step = offset.get(ref[0], 0)
        if step and ref[1] < step:
            raise GraphError(f"node #{ref[1]} of model {ref[0]!r} is its own construction, not a call in this model")
        return (ref[0], ref[1] - step, ref[2])

    for spec in specs.values():
        spec.refs = [shift(r) for r in spec.refs]
    return [shift(r) for r in outputs]


def _lambda(spec: _NodeSpec, config: dict[str, Any], recorded: Any) -> Layer:
    """A Lambda call from the shapes the file records (Keras 3), or from its ``output_shape`` setting."""
    if recorded is None and isinstance(config.get("output_shape"), list):
        recorded = [None, *config["output_shape"]]
    if recorded is None:
        raise UnknownLayerError("a Lambda layer is opaque code, and the file records no output shape for it")
    out = [_size(d, "the recorded output shape") if i else None for i, d in enumerate(recorded)]
    ins = [
        [_size(d, "a recorded input shape") if i else None for i, d in enumerate(shape)]
        if isinstance(shape, list)
        else None
        for shape in (spec.shapes or [None] * len(spec.refs))
    ]
    return _Recorded("Lambda", ins, out, name=spec.layer)


def _is_ref(value: Any) -> bool:
    return (
        isinstance(value, list)
        and len(value) in (3, 4)
        and isinstance(value[0], str)
        and isinstance(value[1], int)
        and not isinstance(value[1], bool)
    )


def _keras2_node(layer: str, index: int, raw: list[Any]) -> _NodeSpec:
    """A tf.keras 2 call: ``[[name, node, tensor, kwargs], ...]``, or one flat ``[name, node, tensor, kwargs]``.

    Constants appear as ``["_CONSTANT_VALUE", -1, value, kwargs]``; tensors among the kwargs (as in
    TFOpLambda's ``{"y": ["dense_1", 0, 0]}``) as ``[name, node, tensor]``. They become the same
    args/kwargs as a Keras 3 call, so the rest of the reader treats both alike.
    """
    what = f"inbound_nodes[{index}]"

    def placeholder(ref: list[Any]) -> Any:
        return {"class_name": "__keras_tensor__", "config": {"keras_history": list(_ref(ref[:3], what))}}

    def argument(item: Any) -> Any:
        if _is_ref(item):
            return item[2] if item[0] == "_CONSTANT_VALUE" else placeholder(item)
        if isinstance(item, list):
            return [argument(v) for v in item]
        raise ParseError(f"{what}: expected [layer name, node index, tensor index], got {item!r}")

    items = [raw] if _is_ref(raw) else raw
    args = [argument(item) for item in items]
    first = items[0] if items and _is_ref(items[0]) else None
    raw_kwargs = first[3] if first is not None and len(first) == 4 else {}
    if not isinstance(raw_kwargs, dict):
        raise ParseError(f"{what}: call keywords must be an object, got {_kind(raw_kwargs)}")
    kwargs = {k: placeholder(v) if _is_ref(v) and len(v) == 3 else v for k, v in raw_kwargs.items() if k != "name"}
    refs = [_history(t) for t in _tensors([args, kwargs])]
    return _NodeSpec(layer, index, refs, args, kwargs)


def _is_tensor(value: Any) -> bool:
    return isinstance(value, dict) and value.get("class_name") == "__keras_tensor__"


def _tensors(value: Any) -> Iterator[dict[str, Any]]:
    """The ``__keras_tensor__`` objects in call arguments, in order (depth first)."""
    stack = [value]
    while stack:
        item = stack.pop()
        if _is_tensor(item):
            yield item
        elif isinstance(item, dict):
            stack.extend(reversed(list(item.values())))
        elif isinstance(item, list):
            stack.extend(reversed(item))


def _history(tensor: dict[str, Any]) -> tuple[str, int, int]:
    history = _get(tensor, "config", "keras_history")
    return _ref(history, "keras_history")


def _call_arguments(spec: _NodeSpec) -> tuple[Any, Any]:
    """The node's args and kwargs with tensors as TensorArg(i) and ``__slice__`` as ``slice``."""
    counter = iter(range(len(spec.refs)))

    def convert(value: Any) -> Any:
        if _is_tensor(value):
            return TensorArg(next(counter))
        if isinstance(value, dict):
            if value.get("class_name") == "__slice__" and isinstance(value.get("config"), dict):
                c = value["config"]
                return slice(c.get("start"), c.get("stop"), c.get("step"))
            return {k: convert(v) for k, v in value.items()}
        if isinstance(value, list):
            return [convert(v) for v in value]
        return value

    args = convert(list(spec.args))
    kwargs = convert(dict(spec.kwargs or {}))
    return args, kwargs


def _constant_arguments(spec: _NodeSpec) -> bool:
    """True when an op call passes a value that is not a tensor (``ops.multiply(x, 2.0)``)."""

    def constant(value: Any) -> bool:
        if _is_tensor(value) or value is None:
            return False
        if isinstance(value, list):
            return any(constant(v) for v in value)
        return True

    return any(constant(a) for a in spec.args) or any(constant(v) for v in (spec.kwargs or {}).values())


__all__ = ["TensorArg", "load_keras", "model_from_keras_config", "model_from_keras_json"]
