"""Reading a Keras model config into a symcnn Model: entry points, Sequential and Functional models, layers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from ...errors import ArgumentError, GraphError, LimitError, ParseError, ShapeError, SymcnnError, UnknownLayerError
from ...layers.base import Layer
from ...layers.core import InputLayer
from ...model import Model, Sequential
from ...tensor import Node
from ..files import MAX_FILE_BYTES, read_bytes
from .archive import MAX_CONFIG_BYTES, _decode, _is_zip, _zip_config, parse_json
from .calls import _call_arguments, _constant_arguments, _NodeSpec
from .classes import _from_call, _is_op, _layer_class
from .config import _FUNCTIONAL, _SEQUENTIAL, _check_ints, _get, _is_shape, _kind, _layer_list, _trainable
from .graph import _node_spec, _order, _recorded_outputs, _refs, _skip_builtin_nodes
from .lambdas import _lambda
from .symbols import _has_unknown, input_layer

MAX_NESTING = 32  # models inside models
MAX_CALLS = 20_000  # layers and layer calls in one file, nested models included (big real models use ~1,000)


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
    return model_from_keras_config(parse_json(text, source), source)


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
                nodes.append(Node(input_layer(layer_config, name, 0), [], name))
                continue
            if class_name == "Lambda" and nodes and _layer_class(class_name, entry) is None:
                following = entries[position + 1] if position + 1 < len(entries) else None
                layer = self.sequential_lambda(nodes, following, layer_config, name)
            else:
                layer = self.layer(entry, class_name, layer_config, name, depth, None)
            if not nodes:
                shape = _declared_input(config, entry, layer_config, layer)
                input_name = f"{name}_input" if f"{name}_input" not in names else f"input_{position}"
                nodes.append(Node(input_layer({"batch_shape": shape}, input_name, 0), [], input_name))
            nodes.append(Node(layer, nodes[-1:], name))
        self.current = None
        if not nodes:
            raise ParseError("a Sequential model needs layers")
        return self.finish(Sequential, config, nodes, nodes[-1:])

    def sequential_lambda(self, nodes: list[Node], following: Any, config: dict[str, Any], name: str) -> Layer:
        """A Lambda in a Sequential: its output is the input shape Keras recorded for the next layer."""
        recorded = _get(following, "build_config", "input_shape")
        if not _is_shape(recorded):
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
            names = _data_arguments(class_name, entry)
            for index, raw in enumerate(inbound):
                self.count()
                specs[(name, index)] = _node_spec(name, index, raw, names)
        self.current = None
        inputs = _refs(config.get("input_layers"), "input_layers")
        outputs = _refs(config.get("output_layers"), "output_layers")
        if not outputs:
            raise ParseError("a Functional model needs 'output_layers'")
        for ref in inputs:
            if ref[0] not in table or table[ref[0]][2] != "InputLayer":
                raise GraphError(f"input_layers names {ref[0]!r}, which is not an InputLayer of this model")
        outputs = _skip_builtin_nodes(specs, table, outputs)
        order = _order(self, specs, table, inputs, outputs)
        recorded = _recorded_outputs(specs)

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
                layer = input_layer(layer_config, spec.layer, suffix)
            elif _from_call(class_name, entry) is not None:
                layer = self.layer(entry, class_name, layer_config, spec.layer, depth, spec)
            elif class_name == "Lambda" and _layer_class(class_name, entry) is None:
                layer = _lambda(spec, layer_config, recorded.get(key))
            else:
                if spec.layer not in layers:
                    layers[spec.layer] = self.layer(entry, class_name, layer_config, spec.layer, depth, spec)
                layer = layers[spec.layer]
            side = [(built[(ref[0], ref[1])], ref[2]) for ref in spec.side]
            built[key] = Node(layer, parents, spec.layer, [ref[2] for ref in spec.refs], side, dict(spec.options))
        self.current = None
        nodes = [built[key] for key in order]
        return self.finish(Model, config, nodes, [built[(r[0], r[1])] for r in outputs], [r[2] for r in outputs])

    def finish(
        self, cls: type[Model], config: dict[str, Any], nodes: list[Node], outputs: list[Node],
        indices: list[int] | None = None,
    ) -> Model:
        name = config.get("name", "sequential" if cls is Sequential else "model")
        if not isinstance(name, str):
            raise ArgumentError(f"the model's name must be text, got {name!r}")
        model = Model.__new__(cls)
        Model.__init__(model, name=name, nodes=nodes, output_nodes=outputs, convention="keras", source=self.source,
                       output_indices=indices)
        model.trainable = _trainable(config, name)
        return model

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
        for key, value in settings.items():  # a wrapper around a whole model: TimeDistributed(cnn)
            if isinstance(value, dict) and value.get("class_name") in _SEQUENTIAL + _FUNCTIONAL:
                settings[key] = self.model(value, depth + 1)
                self.current = name
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


def _data_arguments(class_name: str, entry: dict[str, Any]) -> tuple[str, ...] | None:
    """The names of a call's data arguments (``Layer.call_inputs``); None for an op, whose tensors are all data."""
    cls = _layer_class(class_name, entry)
    if _is_op(entry) or getattr(cls, "from_call", None) is not None:
        return None
    return cls.call_inputs if cls is not None else ("inputs",)


def _declared_input(config: dict[str, Any], entry: dict[str, Any], layer_config: dict[str, Any], layer: Layer) -> Any:
    """The input shape of a Sequential that has no InputLayer: stated by the model or its first layer."""
    if layer.declared_input is not None:
        return list(layer.declared_input)
    for candidate in (
        config.get("build_input_shape"),
        _get(entry, "build_config", "input_shape"),
        _get(config, "build_config", "input_shape"),
    ):
        if _is_shape(candidate):
            return candidate
    raise ShapeError(
        f"the first layer ({entry.get('class_name')}) states no input shape, and the Sequential "
        "has no InputLayer or build_input_shape"
    )
