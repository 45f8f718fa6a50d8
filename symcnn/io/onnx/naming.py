"""Names: ONNX node names → torch module paths, dim names → SymPy symbols, and unique layer names."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

import sympy

from ...errors import ArgumentError
from ...expr import dim_symbol, is_identifier, parse
from ...layers.base import Layer

# torch's and common exporters' names for dynamic axes → symcnn's usual symbols
DEFAULT_NAMES = {
    "batch_size": "N", "batch": "N", "batch_dim": "N", "n": "N", "N": "N", "bs": "N",
    "height": "H", "h": "H", "H": "H", "width": "W", "w": "W", "W": "W", "depth": "D", "D": "D",
    "channels": "C", "sequence_length": "L", "seq_len": "L", "sequence": "L", "length": "L",
}
_MADE_UP = re.compile(r"^(.*_dynamic_axes_\d+|s\d+|unk__\d+|\?|dim_?\d*|d\d+)$")
# names exporters give their own constants (not parameters); torch.export lifts a constant made in forward
# (Swin's mask fill values) as "<module path>.lifted_tensor_<n>"
AUTO_NAME = re.compile(
    r"^(onnx::|val_|_val|/|scalar|const|Constant|_v_|ortshared_|(.*\.)?(c_)?lifted_tensor_\d+$|(.*\.)?_tensor_constant\d+$)",
    re.IGNORECASE,
)


def positional(axis: int, rank: int) -> str | None:
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


def node_label(node: Any) -> str:
    """The torch module path a node came from (exporter metadata or a TorchScript name), else its name."""
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


class Names:
    """The symbols made for the file's sizes and the layer names given so far."""

    def __init__(self, user_symbols: Mapping[str, Any]) -> None:
        self.user_symbols = dict(user_symbols)
        self.symbols: dict[str, Any] = {}
        self.texts: set[str] = set()
        self.taken: dict[str, int] = {}
        self.next_suffix: dict[str, int] = {}
        self.given: dict[tuple[str, int], str] = {}

    def symbol(self, raw: str, fallback: str, positional: str | None = None) -> Any:
        """The symbol for a size named ``raw`` in the file (``fallback`` when unnamed).

        Names an exporter made up (``x_dynamic_axes_3``, ``s0``, ``unk__2``, none) take the
        axis's usual letter (``positional``: N, C, H, W ...) unless another name has it.
        ``symbols=`` may name either the file's name (``height``) or symcnn's (``H``).
        """
        key = raw or fallback
        if key in self.symbols:
            return self.symbols[key]
        if positional and (not raw or _MADE_UP.match(raw)) and positional not in self.texts:
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
        self.texts.add(str(value))  # kept as the symbols grow: a thousand named sizes stay linear
        return value

    def unique(self, label: str, layer: Layer | None, op: str = "") -> str:
        key = id(layer) if layer is not None else -1
        candidates = [label] + ([f"{label}:{op}"] if op else [])
        for cand in candidates:
            if self.taken.get(cand, key) == key and (layer is not None or cand not in self.taken):
                self.taken[cand] = key
                return cand
        base = candidates[-1]
        if (base, key) in self.given:  # a shared layer keeps the name it was given
            return self.given[base, key]
        i = self.next_suffix.get(base, 1)  # where the last search for this base stopped: naming stays linear
        while f"{base}_{i}" in self.taken and self.taken[f"{base}_{i}"] != key:
            i += 1
        name = f"{base}_{i}"
        self.next_suffix[base] = i + 1
        self.taken[name] = key
        if layer is not None:
            self.given[base, key] = name
        return name

