"""Read a live ``torch.nn.Module`` into a symcnn Model, keeping the input sizes symbolic.

    >>> import sympy, torch.nn as nn
    >>> H, W = sympy.symbols("H W", integer=True, positive=True)
    >>> net = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2))
    >>> m = from_torch(net, (1, 3, H, W))
    >>> m.output_shapes[0]
    (1, 8, floor(H/2), floor(W/2))
    >>> m.total_params
    224

How the graph is captured, and why: ``torch.fx.symbolic_trace`` runs ``forward`` on
proxies, not tensors, so no arithmetic happens and no input size is fixed. It records
every module call (by qualified name, ``layer1.0.conv1``), every function and method
(``x + y``, ``torch.cat``, ``x.view(x.size(0), -1)``) and the sizes read off tensors,
which is what a graph with residuals and concatenations needs. The alternatives fix
sizes (``torch.jit.trace``, ``torch.export`` with concrete example inputs) or lose the
module structure (ONNX export). Modules fx cannot trace (data-dependent control flow)
raise a SymcnnError that says so.

What becomes a layer: a torch.nn module symcnn knows (Conv2d, Linear, LSTM ...) is one
layer named by its qualified name. A subclass with a ``forward`` of its own (torchvision's
LayerNorm2d) is traced through; if torchinfo counts it as a leaf with parameters, one
record after its last op carries its parameters and torchinfo MACs. Functional ops are
layers from :mod:`symcnn.layers.torch.ops`; size arithmetic (``x.size(0)``,
``x.shape[2] // 2``) is evaluated on the spot, symbols included; a model's own
``torch._assert`` fails for a numeric size it rejects, and on a symbolic size becomes a
requirement of the model (``H = 224``, in ``model.constraints``, enforced by ``subs``).
Functions a library keeps whole for fx (torchvision's Swin) have rules in
:mod:`symcnn.io.torch_library`; ``table[index]`` with integer buffers is torch's advanced
indexing (:mod:`symcnn.layers.torch.indexing`).

Parameters count once per tensor object: a module called twice is one layer at two
nodes (``shared_with``, the later calls named ``name#2`` ...), and a weight tied between
two modules (``b.weight = a.weight``) counts at its first use only (the layer's
``tied_weights``). Parameters that forward never reads (an auxiliary head used only in
training) are records of type "... (not called)", so totals match
``sum(p.numel() for p in module.parameters())``. MACs follow torchinfo per call, so a
shared module's MACs count at each call, as torchinfo's do.
"""

from __future__ import annotations

import re
import warnings
from collections.abc import Sequence
from typing import Any

import sympy

from ..constraints import Constraint
from ..errors import ArgumentError, GraphError, ShapeError, SymcnnError, UnknownLayerError
from ..formulas import Dim, prod, simplify_int
from ..layers.base import Layer, Shape, Weight, accepted_arguments, as_dim
from ..layers.core import InputLayer
from ..layers.torch.base import TORCH_LAYERS, TorchLayer
from ..layers.torch.recurrent import RNNBase
from ..model import Model
from ..record import check_sizes
from ..tensor import Node
from .torch_calls import (
    _OPS,
    _PASS,
    _UNKNOWN,
    FACTORIES,
    _Call,
    _FirstOnly,
    _flatten_values,
    _function_key,
    _Passthrough,
    _RNNResult,
    _Tensor,
    _Unavailable,
    _value_op,
)
from .torch_library import LIBRARY_OPS, autowrapped_functions

UNKNOWN_OPS = ("error", "ignore")
_INFERRED = {"in_channels", "in_features", "num_features", "input_size"}  # read off the input when left out
_BASE_ARGS = {"name", "trainable", "input_shape", "batch_input_shape", "batch_shape", "device", "dtype"}
# Methods whose name means something else as a function: x.unfold(dim, size, step) is not F.unfold (im2col).
_METHOD_KEYS = {"unfold": "tensor_unfold"}
_TABLE = {**_OPS, **LIBRARY_OPS}  # torch's ops by name, library functions fx keeps whole by module.name


def from_torch(module: Any, input_shape: Sequence[Any], *, unknown_ops: str = "error") -> Model:
    """The symcnn Model of ``module`` called on a tensor of ``input_shape`` (batch first).

    ``input_shape`` mixes ints and SymPy symbols (or names), e.g. ``(1, 3, H, W)``; a list
    of shapes feeds a ``forward`` with several tensor arguments. Unknown modules and
    ops raise UnknownLayerError, or with ``unknown_ops="ignore"`` pass their first
    input through unchanged (counted as nothing), with a warning.
    """
    if unknown_ops not in UNKNOWN_OPS:
        raise ArgumentError(f"unknown_ops must be 'error' or 'ignore', got {unknown_ops!r}")
    shapes = _input_shapes(input_shape)
    root, names = module, {}
    if _layer_class(module) is not None:  # a single known module: trace it as the one step of a chain
        import torch

        root, names = torch.nn.Sequential(module), {"0": type(module).__name__.lower()}
    graph, constants = _trace(root)
    nodes = list(graph.nodes)
    reader = _Reader(root, shapes, unknown_ops, names)
    reader.constants = constants
    reader.traced_leaves = _traced_leaves(root, nodes)
    ends = _call_ends(nodes, reader.traced_leaves)
    for i, node in enumerate(nodes):
        try:
            scopes = sorted(_scopes(node), key=len) if node.op != "call_module" else []
            reader.scope = scopes[-1] if scopes else ""
            reader.visit(node)
            for path in ends.get(i, ()):
                reader.module_call(path, node)
        except SymcnnError as exc:
            raise exc.within(layer=_qualified(node)) from None
    reader.add_unused()
    return reader.model(type(module).__name__)


# ---- tracing -------------------------------------------------------------------------------------


def _trace(module: Any) -> tuple[Any, dict[str, Any]]:
    try:
        import torch
        from torch import fx
    except ImportError:  # pragma: no cover - torch is an optional dependency
        raise SymcnnError("from_torch needs PyTorch: pip install torch") from None
    if not isinstance(module, torch.nn.Module):
        raise ArgumentError(f"from_torch needs a torch.nn.Module, got {type(module).__name__}")

    class Tracer(fx.Tracer):  # type: ignore[misc]
        """Keeps every module symcnn has a layer for whole, even a subclass outside torch.nn."""

        def is_leaf_module(self, m: Any, qualified_name: str) -> bool:
            return _layer_class(m) is not None or super().is_leaf_module(m, qualified_name)

    before = set(vars(module))
    saved = _mutable_state(module)
    try:
        graph = Tracer(autowrap_functions=autowrapped_functions()).trace(module)
    except Exception as exc:  # noqa: BLE001 - fx raises TraceError, TypeError, RuntimeError ... from user code
        reason = " ".join(str(exc).split())[:300] or type(exc).__name__
        raise GraphError(
            f"cannot trace {type(module).__name__} with torch.fx (symbolic tracing needs forward() without "
            f"control flow that depends on tensor values): {reason}"
        ) from None
    finally:
        for store, content in saved:  # a cache filled while tracing would hold proxies of this trace
            store.clear()
            store.update(content)
    # fx keeps tensors that forward reads from outside the module tree (a cache's value) as attributes
    # of the root; they are the trace's, not the user's module's.
    constants = {k: module.__dict__.pop(k) for k in set(vars(module)) - before if k.startswith("_tensor_constant")}
    return graph, constants


_MODULE_STATE = frozenset(("_parameters", "_buffers", "_modules", "_non_persistent_buffers_set"))


def _mutable_state(root: Any) -> list[tuple[dict[Any, Any], dict[Any, Any]]]:
    """The plain dicts of every module (timm's ``attention_bias_cache`` ...), with their contents before tracing."""
    saved = []
    for m in root.modules():
        for key, value in vars(m).items():
            if isinstance(value, dict) and key not in _MODULE_STATE and "hook" not in key:
                saved.append((value, dict(value)))
    return saved


def _layer_class(m: Any) -> type[Layer] | None:
    """The torch-convention class for a torch.nn module, or a subclass that keeps its ``forward``.

    A subclass with its own ``forward`` (torchvision's LayerNorm2d, a "same"-padding conv)
    computes something else, so it is traced through instead.
    """
    for klass in type(m).__mro__:
        if klass.__module__.startswith("torch.nn") and klass.__name__ in TORCH_LAYERS:
            cls = TORCH_LAYERS[klass.__name__]
            if not (issubclass(cls, TorchLayer) and cls.__name__[0].isupper()):
                return None
            return cls if getattr(type(m), "forward", None) is getattr(klass, "forward", None) else None
    return None


def _scopes(node: Any) -> set[str]:
    """The module paths whose forward this traced node belongs to."""
    stack = node.meta.get("nn_module_stack") or {}
    return {v[0] if isinstance(v, tuple) else str(k) for k, v in stack.items()}


def _traced_leaves(root: Any, nodes: list[Any]) -> set[str]:
    """Modules traced through that torchinfo treats as leaves with parameters (LayerNorm2d ...)."""
    called = {str(n.target) for n in nodes if n.op == "call_module"}
    found: set[str] = set()
    for node in nodes:
        for path in _scopes(node) - called - found:
            try:
                m = root.get_submodule(path)
            except AttributeError:
                continue
            if not any(m.children()) and any(True for _ in m.parameters()):
                found.add(path)
    return found


def _call_ends(nodes: list[Any], paths: set[str]) -> dict[int, list[str]]:
    """For each call of a module in ``paths`` (a run of consecutive nodes), the index of its last node."""
    ends: dict[int, list[str]] = {}
    if not paths:
        return ends
    scopes = [_scopes(n) & paths for n in nodes]
    for i, scope in enumerate(scopes):
        after = scopes[i + 1] if i + 1 < len(scopes) else set()
        for path in sorted(scope - after):
            ends.setdefault(i, []).append(path)
    return ends


def _input_shapes(input_shape: Any) -> list[Shape]:
    if not isinstance(input_shape, (list, tuple)) or not input_shape:
        raise ArgumentError(f"input_shape must be a shape like (1, 3, H, W), got {input_shape!r}")
    many = all(isinstance(s, (list, tuple)) for s in input_shape)
    shapes = list(input_shape) if many else [input_shape]
    return [tuple(_input_dim(d) for d in s) for s in shapes]


def _input_dim(d: Any) -> Dim:
    if d is None:
        raise ArgumentError("input_shape sizes must be known: give the batch as a number or a symbol such as N")
    if not isinstance(d, (bool, int, str, sympy.Basic)) and hasattr(d, "__index__"):
        d = int(d.__index__())  # numpy integers, torch.Size entries
    return as_dim(d, "input_shape")


def _qualified(node: Any) -> str:
    return str(node.target) if node.op == "call_module" else str(node.name)


# ---- the reader ------------------------------------------------------------------------------------


class _Reader:
    """Walks the fx graph once, turning each node into a symcnn node or a plain value."""

    def __init__(self, root: Any, shapes: list[Shape], unknown_ops: str, names: dict[str, str]) -> None:
        self.root = root
        self.rename = names  # module path -> the name its layer gets (a lone root module)
        self.shapes = shapes
        self.unknown_ops = unknown_ops
        self.env: dict[str, Any] = {}
        self.nodes: list[Node] = []
        self.outputs: list[Node] = []
        self.names: set[str] = set()
        self.layers: dict[int, Layer] = {}  # id(torch module) -> its one layer
        self.owners: dict[int, str] = {}  # id(parameter or buffer) -> qualified name of its first use
        self.traced_leaves: set[str] = set()  # modules traced through that torchinfo counts as leaves
        self.ignored: set[str] = set()  # unknown modules passed through (unknown_ops="ignore")
        self.requirements: list[Constraint] = []  # the model's own checks on symbolic sizes (torch._assert)
        self.constants: dict[str, Any] = {}  # tensors fx found outside the module tree, by their get_attr name
        self.scope = ""  # the module whose forward the node being read belongs to (for messages)

    # ---- graph building ----------------------------------------------------------------------
    def add(self, layer: Layer, inputs: list[_Tensor], name: str) -> _Tensor:
        name = self._unique(name)
        node = Node(layer, [t.node for t in inputs], name)
        try:
            shape = layer.output_shape([t.shape for t in inputs])
            check_sizes(shape)
        except SymcnnError as exc:  # a functional op is named with the module whose forward calls it
            raise exc.within(layer=f"{name} in {self.scope}" if self.scope else name) from None
        self.nodes.append(node)
        dtypes = {t.dtype for t in inputs}
        return _Tensor(node, shape, dtypes.pop() if len(dtypes) == 1 else None)

    def _unique(self, name: str) -> str:
        base, k = name, 1
        while name in self.names:
            k += 1
            name = f"{base}#{k}"
        self.names.add(name)
        return name

    def model(self, name: str) -> Model:
        if not self.outputs:
            raise GraphError("the module's forward returns no tensor")
        model = Model(name=name, nodes=self.nodes, output_nodes=self.outputs, convention="torch",
                      requirements=self.requirements)
        model.records  # noqa: B018 - checks every size now (an input too small fails here, naming the layer)
        return model

    # ---- nodes --------------------------------------------------------------------------------
    def visit(self, node: Any) -> None:
        handler = getattr(self, f"_{node.op}")
        self.env[node.name] = handler(node)

    def _placeholder(self, node: Any) -> Any:
        index = sum(1 for n in self.nodes if isinstance(n.layer, InputLayer))
        if index >= len(self.shapes):
            if node.args:  # a forward argument with a default value
                return node.args[0]
            raise ArgumentError(
                f"forward takes more tensor inputs than the {len(self.shapes)} input shape(s) given "
                f"(no shape for {node.name!r})"
            )
        layer = InputLayer(batch_shape=self.shapes[index], name=node.name)
        return self.add(layer, [], node.name)

    def _output(self, node: Any) -> None:
        for value in _flatten_values(self._resolve(node.args[0])):
            if isinstance(value, _Tensor):
                self.outputs.append(value.node)

    def _get_attr(self, node: Any) -> Any:
        import torch

        target = str(node.target)
        value = self.constants[target] if target in self.constants else _fetch_attr(self.root, target)
        if isinstance(value, torch.Tensor):
            is_param = isinstance(value, torch.nn.Parameter)
            layer = _Constant(tuple(value.shape), target, is_param, bool(value.requires_grad))
            if target in self.constants:  # a value forward computed earlier and kept: counts nothing
                layer.constant, layer.counted = True, False
            if target.rpartition(".")[0] in self.traced_leaves:
                layer.counted = False  # the module's own record (made after its last node) owns it
            else:
                self._tie(layer, {target: value}, "")
            made = self.add(layer, [], target)
            made.dtype = value.dtype
            return made
        return value

    def module_call(self, path: str, last: Any) -> None:
        """Close one call of a module traced through: a record with its parameters and torchinfo MACs."""
        tensors = [t for t in _flatten_values(self.env.get(last.name)) if isinstance(t, _Tensor)]
        if not tensors:
            return
        module = self.root.get_submodule(path)
        if id(module) not in self.layers:
            tensors_of = dict(module.named_parameters()) | dict(module.named_buffers())
            layer = _ModuleCall(type(module).__name__, tensors_of, name=path)
            self.layers[id(module)] = layer
            self._tie(layer, tensors_of, f"{path}.")
        self.add(self.layers[id(module)], tensors[:1], path)

    def add_unused(self) -> None:
        """Parameters and buffers no traced call reads (a branch forward skips) still count, as torch does."""
        groups: dict[str, dict[str, Any]] = {}
        named = list(self.root.named_parameters()) + list(self.root.named_buffers())
        for name, tensor in named:
            if id(tensor) not in self.owners:
                path, _, short = name.rpartition(".")
                groups.setdefault(path, {})[short] = tensor
                self.owners[id(tensor)] = name
        for path, tensors in groups.items():
            module = self.root.get_submodule(path) if path else self.root
            ignored = any(path == p or path.startswith(p + ".") for p in self.ignored)
            layer = _ModuleCall(type(module).__name__, tensors, name=path or "(root)", called=False)
            layer.note = "ignored" if ignored else "not called"
            self.add(layer, [], path or type(module).__name__)

    def _call_module(self, node: Any) -> Any:
        module = self.root.get_submodule(str(node.target))
        target = self.rename.get(str(node.target), str(node.target))
        inputs = [self._resolve(a) for a in node.args]
        kwargs = {k: self._resolve(v) for k, v in node.kwargs.items()}
        tensors = [t for t in _flatten_values([*inputs, *kwargs.values()]) if isinstance(t, _Tensor)]
        if id(module) in self.layers:
            layer = self.layers[id(module)]
        else:
            cls = _layer_class(module)
            if cls is None:
                self.ignored.add(str(node.target))
                return self._unknown(f"module {type(module).__name__}", target, tensors)
            layer = _module_layer(cls, module, target)
            self.layers[id(module)] = layer
            self._tie(layer, dict(module.named_parameters()) | dict(module.named_buffers()), f"{target}.")
        if isinstance(layer.arity, int) and layer.arity > 0:
            tensors = tensors[: layer.arity]  # masks and other optional tensors do not change shapes
        result = self.add(layer, tensors, target)
        if isinstance(layer, RNNBase):
            return _RNNResult(self, result, layer, type(layer).__name__ == "LSTM")
        if type(layer).__name__ == "LSTMCell":
            return _Passthrough(result)  # (h, c): both (N, hidden_size)
        if type(layer).__name__ == "MultiheadAttention":
            return _FirstOnly(result, "MultiheadAttention's attention weights")
        return result

    def _call_function(self, node: Any) -> Any:
        target = node.target
        qualified = f"{getattr(target, '__module__', None)}.{getattr(target, '__name__', None)}"
        return self._call(target, qualified if qualified in LIBRARY_OPS else _function_key(target), node)

    def _call_method(self, node: Any) -> Any:
        key = str(node.target).rstrip("_") if node.target != "__getitem__" else "getitem"
        return self._call(node.target, _METHOD_KEYS.get(key, key), node)

    # ---- ops ----------------------------------------------------------------------------------
    def _call(self, target: Any, key: str | None, node: Any) -> Any:
        args = [self._resolve(a) for a in node.args]
        kwargs = {k: self._resolve(v) for k, v in node.kwargs.items()}
        values = _flatten_values([*args, *kwargs.values()])
        missing = [v for v in values if isinstance(v, _Unavailable)]
        if missing:
            raise UnknownLayerError(f"symcnn has no rule for {missing[0].what}")
        tensors = [t for t in values if isinstance(t, _Tensor)]
        if key == "_assert" and not tensors:
            return self._assert(node, args)
        if key is None or (tensors and key not in _TABLE):
            label = getattr(target, "__name__", None) or str(target)
            return self._unknown(f"op {label}", str(node.name), tensors)
        if not tensors and key not in FACTORIES:
            return _value_op(key, target, args, kwargs, node.op == "call_method")
        maker = _TABLE[key]
        call = _Call(key, args, kwargs, self, str(node.name))
        made = maker(call)
        if made is _UNKNOWN:
            return self._unknown(f"op {key} on a tensor", str(node.name), tensors)
        if isinstance(made, Layer):
            return self.add(made, call.tensors(), str(node.name))
        if made is _PASS:
            return call.tensors()[0]
        return made

    def _assert(self, node: Any, args: list[Any]) -> None:
        """``torch._assert(cond, message)``: a false condition fails now; one on symbols becomes a requirement."""
        cond = args[0] if args else True
        message = _message(args[1] if len(args) > 1 else "", self.env)
        if cond is False or cond is sympy.false:
            raise ShapeError(f"the model's own check fails for this input: {message or 'an assertion in forward'}")
        if isinstance(cond, sympy.Basic) and cond is not sympy.true:
            scope = sorted(_scopes(node), key=len)
            where = scope[-1] if scope else str(node.name)
            self.requirements.append(Constraint(cond, where, message))

    def _unknown(self, what: str, name: str, tensors: list[_Tensor]) -> Any:
        if self.unknown_ops == "error" or not tensors:
            raise UnknownLayerError(
                f"symcnn has no rule for {what} (at {name!r}); use unknown_ops='ignore' to pass "
                "its input through unchanged"
            )
        warnings.warn(
            f"from_torch: {what} at {name!r} is unknown; treated as an identity without MACs "
            "(a module's parameters still count, in a record marked 'ignored')",
            stacklevel=4,
        )
        return _Passthrough(self.add(TORCH_LAYERS["Identity"](), tensors[:1], name))

    def _tie(self, layer: Layer, tensors: dict[str, Any], prefix: str) -> None:
        """Mark the weights that an earlier module already owns (the same tensor object)."""
        tied: dict[str, str] = {}
        for name, tensor in tensors.items():
            owner = self.owners.get(id(tensor))
            if owner is None:
                self.owners[id(tensor)] = f"{prefix}{name}"
            else:
                tied[name] = owner
        if tied:
            layer.tied_weights = tied  # type: ignore[attr-defined]

    def _resolve(self, value: Any) -> Any:
        from torch import fx

        if isinstance(value, fx.Node):
            return self.env[value.name]
        if isinstance(value, list):
            return [self._resolve(v) for v in value]
        if isinstance(value, tuple):
            return tuple(self._resolve(v) for v in value)
        if isinstance(value, dict):
            return {k: self._resolve(v) for k, v in value.items()}
        if isinstance(value, slice):
            return slice(self._resolve(value.start), self._resolve(value.stop), self._resolve(value.step))
        return value


def _message(text: Any, env: dict[str, Any]) -> str:
    """An assertion's message, with the ``Proxy(getitem_2)`` an f-string made at trace time shown as its value."""
    if not isinstance(text, str):
        return ""
    return re.sub(r"Proxy\((\w+)\)", lambda m: str(env.get(m.group(1), m.group(0))), text)[:300]


def _fetch_attr(root: Any, target: str) -> Any:
    value = root
    for part in target.split("."):
        value = getattr(value, part)
    return value


class _ModuleCall(TorchLayer, register=False):
    """A module symcnn traced through (or never saw called): its tensors, counted as torchinfo counts them.

    torchinfo gives a module without children ``weight``/``bias`` elements × batch (× output
    positions if its class name contains "Conv"), and other parameters × the output's first
    two axes. A module never called has no output and no MACs.
    """

    def __init__(self, torch_class: str, tensors: dict[str, Any], called: bool = True, **base: Any) -> None:
        super().__init__(**base)
        import torch

        self.torch_class = torch_class
        self.called = called
        self.conv_like = "Conv" in torch_class  # type: ignore[misc]
        self.tensor_weights = [
            Weight(name, tuple(t.shape), "param" if isinstance(t, torch.nn.Parameter) else "stat",
                   bool(t.requires_grad) and isinstance(t, torch.nn.Parameter))
            for name, t in tensors.items()
        ]  # fmt: skip
        self.arity = 1 if called else 0  # type: ignore[misc]
        self.note = "not called"

    @property
    def class_name(self) -> str:
        return self.torch_class if self.called else f"{self.torch_class} ({self.note})"

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return inputs[0] if self.called else ()

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        return list(self.tensor_weights)

    def macs(self, inputs: list[Shape], output: Shape, convention: str = "torchinfo") -> Dim:
        if not self.called or convention != "torchinfo":
            return super().macs(inputs, output, convention) if self.called else 0
        total: Dim = 0
        for w in self.tensor_weights:
            if w.kind != "param":
                continue
            if w.name in ("weight", "bias"):
                total = total + prod([self.torchinfo_positions(inputs, output), w.size])
            elif "weight" in w.name or "bias" in w.name:
                total = total + prod([*(1 if d is None else d for d in output[:2]), w.size])
        return simplify_int(total)


class _Constant(TorchLayer, register=False):
    """A parameter or buffer read directly in ``forward`` (a class token, a scale ...)."""

    arity = 0

    def __init__(self, shape: tuple[int, ...], tensor: str, is_param: bool, requires_grad: bool, **base: Any) -> None:
        super().__init__(**base)
        self.shape, self.tensor, self.is_param, self.requires_grad = shape, tensor, is_param, requires_grad
        self.counted = True
        self.constant = False  # a tensor that is neither a parameter nor a buffer of the module

    @property
    def class_name(self) -> str:
        return "Parameter" if self.is_param else "Constant" if self.constant else "Buffer"

    def output_shape(self, inputs: list[Shape]) -> Shape:
        return self.shape

    def weights(self, inputs: list[Shape]) -> list[Weight]:
        if not self.counted:
            return []
        if self.is_param:
            return [Weight(self.tensor, self.shape, "param", self.requires_grad)]
        return [Weight(self.tensor, self.shape, "stat", False)]

    def torchinfo_positions(self, inputs: list[Shape], output: Shape) -> Dim:
        return 0  # torchinfo adds MACs of leaf modules only; this tensor belongs to a container


def _module_layer(cls: type[Layer], module: Any, target: str) -> Layer:
    """The layer for a torch module: its constructor arguments read back from its attributes."""
    import torch

    kwargs: dict[str, Any] = {}
    for arg in accepted_arguments(cls) - _BASE_ARGS:
        if not hasattr(module, arg):
            continue
        value = getattr(module, arg)
        if arg == "bias" and (value is None or isinstance(value, torch.Tensor)):
            value = value is not None
        if isinstance(value, torch.Tensor):
            continue
        if arg in _INFERRED and value == 0:  # a lazy module before its first call
            continue
        kwargs[arg] = value
    if cls.__name__ == "MultiheadAttention":  # torch keeps these as tensors, not flags
        kwargs["add_bias_kv"] = getattr(module, "bias_k", None) is not None
        kwargs["bias"] = getattr(module, "in_proj_bias", None) is not None
    if kwargs.get("return_indices"):
        raise UnknownLayerError(f"{cls.__name__} with return_indices=True is not supported")
    try:
        layer = cls(name=target, **kwargs)
    except TypeError as exc:
        raise ArgumentError(f"{cls.__name__}: {exc}") from None
    conv_named = "Conv" in type(module).__name__
    if layer.conv_like != conv_named:  # a subclass named otherwise: torchinfo's rule goes by the class name
        layer.conv_like = conv_named  # type: ignore[misc]
    params = dict(module.named_parameters())
    frozen = frozenset(name for name, p in params.items() if not p.requires_grad)
    if params and len(frozen) == len(params):
        layer.trainable = False
    elif frozen:
        layer.frozen_weights = frozen  # type: ignore[attr-defined]
    return layer


__all__ = ["from_torch"]
