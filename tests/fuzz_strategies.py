"""Hypothesis strategies for hostile input: YAML models, mutated Keras JSON, typed arithmetic.

Each strategy mixes plausible input (real layer names from ``Layer.registry``,
real argument names, sizes that fit) with junk, so that fuzzing reaches deep
into the readers and layers instead of stopping at the first check.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import yaml
from hypothesis import strategies as st

from symcnn.layers.base import Layer, accepted_arguments

HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"
SEEDS = {name: json.loads((HOSTILE / name).read_text()) for name in ("seed_keras.json", "seed_functional.json")}

LAYER_NAMES = sorted(Layer.registry)
ARGUMENT_NAMES = sorted({a for cls in set(Layer.registry.values()) for a in accepted_arguments(cls)})
SYMBOLS = ["H", "W", "C", "F", "K", "N", "T", "D"]

def chance(p: float) -> st.SearchStrategy[bool]:
    """True with probability about ``p`` (a band in the middle: Hypothesis favours the ends of a range)."""
    width = round(p * 1000)
    return st.integers(0, 999).map(lambda i: 300 <= i < 300 + width)


# ---- leaves -------------------------------------------------------------------------------------

unicode_names = st.sampled_from([
    "ünïcødé", "层", "🎉", "<script>alert(1)</script>", "<img src=x onerror=alert(1)>", "a\nb", "\x1b[31m",
    "'; DROP TABLE x; --", "", " ", "a" * 300, "\u202e", "\x00", "{{ 7*7 }}", "../../etc/passwd", "None",
])
junk_text = st.one_of(st.text(max_size=20), unicode_names)
sizes = st.one_of(
    st.integers(1, 16),
    st.sampled_from([0, -1, -7, 10**30, 2**63, 2**64 + 1, 10**400]),
    st.integers(-(2**70), 2**70),
)
size_texts = st.one_of(
    st.sampled_from(SYMBOLS),
    st.sampled_from(["2*F", "H-1", "K^2", "(H+1)/2", "F/0", "9^99", "2^64", "H*W*C", "F*", "__import__('os')",
                     "floor(H/2)", "1e5", "3x3", "-1", "0", "None", "?", "⌊H/2⌋", "H²", "(H+W+C+F+K)^64",
                     "(H+W+C)^12*(F+K+D)^12", "(H-1)^64/(W+1)^64"]),
)
scalars = st.one_of(st.none(), st.booleans(), sizes, st.floats(allow_nan=True, allow_infinity=True), junk_text,
                    size_texts)


def json_values(leaves: st.SearchStrategy[Any] = scalars) -> st.SearchStrategy[Any]:
    """Nested lists and string-keyed dicts of ``leaves``."""
    return st.recursive(
        leaves,
        lambda inner: st.one_of(st.lists(inner, max_size=4),
                                st.dictionaries(st.one_of(st.sampled_from(ARGUMENT_NAMES), junk_text), inner,
                                                max_size=3)),
        max_leaves=8,
    )


# ---- YAML models ------------------------------------------------------------------------------

dims = st.one_of(st.integers(1, 40), st.sampled_from(SYMBOLS), sizes, size_texts, scalars)
inputs = st.lists(dims, min_size=1, max_size=4)


def _argument_value(name: str) -> st.SearchStrategy[Any]:
    plausible = {
        "filters": st.integers(1, 8), "units": st.integers(1, 8), "kernel_size": st.integers(1, 3),
        "pool_size": st.integers(1, 3), "strides": st.integers(1, 3), "padding": st.sampled_from(["valid", "same"]),
        "use_bias": st.booleans(), "axis": st.integers(-3, 3), "target_shape": st.lists(st.integers(-1, 8), max_size=3),
        "data_format": st.sampled_from(["channels_last", "channels_first"]), "dilation_rate": st.integers(1, 2),
        "groups": st.integers(1, 2), "depth_multiplier": st.integers(1, 2), "rate": st.floats(0, 1),
    }.get(name, st.nothing())
    return st.one_of(plausible, plausible, dims, st.lists(dims, max_size=3), json_values())


@st.composite
def layer_items(draw: st.DrawFn, earlier: list[str]) -> Any:
    cls = draw(st.one_of(st.sampled_from(LAYER_NAMES), st.sampled_from(LAYER_NAMES), junk_text))
    if draw(chance(0.1)):
        return cls  # the bare-name form
    keys = draw(st.lists(st.one_of(st.sampled_from(ARGUMENT_NAMES), junk_text), max_size=4, unique=True))
    config: dict[str, Any] = {k: draw(_argument_value(k)) for k in keys}
    roll = draw(st.integers(0, 999)) // 100
    if roll < 4:
        config["name"] = draw(st.one_of(st.from_regex(r"[a-z]{1,6}", fullmatch=True), unicode_names,
                                        st.sampled_from(earlier or ["x"])))
    if roll in (4, 5) or (roll == 6 and earlier):
        pool = st.sampled_from(earlier) if earlier else junk_text
        config["inputs"] = draw(st.one_of(st.lists(st.one_of(pool, junk_text), min_size=1, max_size=3), pool, dims))
    if roll == 9:
        return draw(st.one_of(scalars, st.dictionaries(junk_text, json_values(), max_size=2)))
    return {cls: config}


@st.composite
def yaml_specs(draw: st.DrawFn) -> Any:
    """A model spec as Python data (before YAML): mostly well-formed, sometimes not."""
    spec: dict[str, Any] = {"name": draw(st.one_of(st.just("fuzz"), junk_text))}
    if draw(st.booleans()):
        spec["input"] = draw(inputs)
        earlier = ["input_layer"]
    else:
        names = draw(st.lists(st.from_regex(r"[a-z]{1,5}", fullmatch=True), min_size=1, max_size=3, unique=True))
        spec["inputs"] = {n: draw(inputs) for n in names}
        earlier = list(names)
    layers = []
    for _ in range(draw(st.integers(0, 6))):
        item = draw(layer_items(earlier))
        layers.append(item)
        if isinstance(item, dict) and len(item) == 1:
            config = next(iter(item.values()))
            if isinstance(config, dict) and isinstance(config.get("name"), str):
                earlier.append(config["name"])
    spec["layers"] = layers
    optional = {
        "symbols": st.dictionaries(st.one_of(st.sampled_from(SYMBOLS), junk_text), sizes, max_size=3),
        "convention": st.one_of(st.sampled_from(["keras", "torch"]), junk_text),
        "batch": st.one_of(st.none(), sizes, size_texts),
        "outputs": st.lists(st.one_of(st.sampled_from(earlier), junk_text), max_size=2),
        "description": junk_text,
        draw(junk_text): json_values(),
    }
    for key, strategy in optional.items():
        if draw(chance(0.2)):
            spec[key] = draw(strategy)
    if draw(chance(0.05)):
        return draw(json_values())  # not a mapping at all
    return spec


def _text_mutation(text: str, draw: st.DrawFn) -> str:
    kind = draw(st.integers(0, 999)) // 100 - 3  # 0 and 1 (a tenth each) mutate the text
    if kind == 0 and text:
        return text[: draw(st.integers(0, len(text) - 1))]  # truncated
    if kind == 1:
        at = draw(st.integers(0, len(text)))
        return text[:at] + draw(st.one_of(st.text(max_size=8), st.sampled_from(
            ["!!python/object/apply:os.system ['true']", "&a [*a]", "*undefined", "\t", "{", "]", "\x00", "%YAML 9"]
        ))) + text[at:]
    return text


_IMAGE_LAYERS: list[tuple[str, dict[str, st.SearchStrategy[Any]]]] = [
    ("Conv2D", {"filters": st.integers(1, 8), "kernel_size": st.integers(1, 3), "strides": st.integers(1, 2),
                "padding": st.sampled_from(["valid", "same"]), "use_bias": st.booleans()}),
    ("DepthwiseConv2D", {"kernel_size": st.integers(1, 3), "depth_multiplier": st.integers(1, 2)}),
    ("SeparableConv2D", {"filters": st.integers(1, 8), "kernel_size": st.integers(1, 3)}),
    ("Conv2DTranspose", {"filters": st.integers(1, 8), "kernel_size": st.integers(1, 3), "strides": st.integers(1, 2)}),
    ("MaxPooling2D", {"pool_size": st.integers(1, 2), "padding": st.sampled_from(["valid", "same"])}),
    ("AveragePooling2D", {"pool_size": st.integers(1, 2)}),
    ("BatchNormalization", {}), ("Dropout", {"rate": st.sampled_from([0.1, 0.5])}), ("ReLU", {}), ("PReLU", {}),
]
_FLAT_LAYERS: list[tuple[str, dict[str, st.SearchStrategy[Any]]]] = [
    ("Dense", {"units": st.one_of(st.integers(1, 8), st.sampled_from(["F", "2*F", "(H+W+C+F+K)^32"])),
               "use_bias": st.booleans()}),
    ("Dropout", {}), ("Activation", {"activation": st.just("relu")}),
]


@st.composite
def plausible_yaml_specs(draw: st.DrawFn) -> dict[str, Any]:
    """An image model that mostly fits, with at most one argument spoiled."""
    side = st.one_of(st.integers(4, 24), st.sampled_from(["H", "W"]))
    shape = [draw(side), draw(side), draw(st.integers(1, 4))]
    if draw(chance(0.1)):
        shape[draw(st.integers(0, 2))] = None  # an unknown size
    spec: dict[str, Any] = {"name": "plausible", "input": shape}
    layers: list[Any] = []
    for _ in range(draw(st.integers(1, 4))):
        cls, args = draw(st.sampled_from([c for c in _IMAGE_LAYERS if c[0] in Layer.registry]))
        layers.append({cls: {k: draw(v) for k, v in args.items() if draw(st.booleans()) or k in ("filters",)}})
    if draw(st.booleans()):
        layers.append(draw(st.sampled_from(["Flatten", "GlobalAveragePooling2D"])))
        for _ in range(draw(st.integers(0, 2))):
            cls, args = draw(st.sampled_from([c for c in _FLAT_LAYERS if c[0] in Layer.registry]))
            layers.append({cls: {k: draw(v) for k, v in args.items()}})
    spec["layers"] = layers
    if draw(chance(0.3)):
        spec["symbols"] = {"F": draw(st.integers(1, 8))}
    if draw(chance(0.3)):  # spoil one argument
        item = draw(st.sampled_from([i for i in layers if isinstance(i, dict)]))
        config = next(iter(item.values()))
        config[draw(st.one_of(st.sampled_from(sorted(config) or ["units"]), st.sampled_from(ARGUMENT_NAMES)))] = \
            draw(scalars)
    return spec


@st.composite
def yaml_texts(draw: st.DrawFn) -> str:
    """YAML text of a random model, sometimes cut or spliced with YAML syntax and tags."""
    spec = draw(st.one_of(plausible_yaml_specs(), yaml_specs()))
    text = yaml.safe_dump(spec, allow_unicode=True, sort_keys=False)
    return _text_mutation(text, draw)


# ---- mutations of real Keras 3 JSON -------------------------------------------------------------


def _paths(tree: Any, prefix: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    out = [prefix]
    if isinstance(tree, dict):
        for k, v in tree.items():
            out += _paths(v, (*prefix, k))
    elif isinstance(tree, list):
        for i, v in enumerate(tree):
            out += _paths(v, (*prefix, i))
    return out


def _get(tree: Any, path: tuple[Any, ...]) -> Any:
    for key in path:
        tree = tree[key]
    return tree


def _layers(tree: Any) -> list[Any]:
    layers = tree.get("config", {}).get("layers") if isinstance(tree, dict) and isinstance(tree.get("config"), dict) \
        else None
    return layers if isinstance(layers, list) else []


def _histories(tree: Any) -> list[list[Any]]:
    """Every ``keras_history`` list ([layer name, node index, tensor index]) in the tree."""
    found = []
    for path in _paths(tree):
        if path and path[-1] == "keras_history":
            value = _get(tree, path)
            if isinstance(value, list) and value:
                found.append(value)
    return found


def _layer_names(tree: Any) -> list[str]:
    return [e.get("config", {}).get("name") for e in _layers(tree)
            if isinstance(e, dict) and isinstance(e.get("config"), dict)]


Mutation = Callable[[Any, st.DrawFn], Any]


def _delete_key(tree: Any, draw: st.DrawFn) -> Any:
    paths = [p for p in _paths(tree) if p and isinstance(_get(tree, p[:-1]), dict)]
    if paths:
        path = draw(st.sampled_from(paths))
        del _get(tree, path[:-1])[path[-1]]
    return tree


def _replace_value(tree: Any, draw: st.DrawFn) -> Any:
    paths = [p for p in _paths(tree) if p]
    if paths:
        path = draw(st.sampled_from(paths))
        _get(tree, path[:-1])[path[-1]] = draw(json_values())
    return tree


def _bad_size(tree: Any, draw: st.DrawFn) -> Any:
    paths = [p for p in _paths(tree) if p and isinstance(_get(tree, p), int) and not isinstance(_get(tree, p), bool)]
    if paths:
        path = draw(st.sampled_from(paths))
        _get(tree, path[:-1])[path[-1]] = draw(st.sampled_from([0, -1, -3, 10**30, 2**63, 2**31, 10**18]))
    return tree


def _cycle(tree: Any, draw: st.DrawFn) -> Any:
    histories, names = _histories(tree), _layer_names(tree)
    if histories and names:
        history = draw(st.sampled_from(histories))
        history[0] = draw(st.sampled_from(names))  # possibly itself or a later layer: a cycle
    return tree


def _dangling(tree: Any, draw: st.DrawFn) -> Any:
    histories = _histories(tree)
    targets = [("input_layers",), ("output_layers",)]
    if histories and draw(st.booleans()):
        history = draw(st.sampled_from(histories))
        history[draw(st.integers(0, len(history) - 1))] = draw(st.one_of(st.just("ghost"), st.integers(-2, 5),
                                                                          junk_text))
    elif isinstance(tree.get("config"), dict):
        key = draw(st.sampled_from(targets))[0]
        tree["config"][key] = draw(st.one_of(st.just(["ghost", 0, 0]), json_values()))
    return tree


def _rename(tree: Any, draw: st.DrawFn) -> Any:
    entries = [e for e in _layers(tree) if isinstance(e, dict) and isinstance(e.get("config"), dict)]
    names = _layer_names(tree)
    if entries:
        entry = draw(st.sampled_from(entries))
        new = draw(st.one_of(st.sampled_from([n for n in names if isinstance(n, str)] or ["x"]), unicode_names,
                             junk_text))
        entry["config"]["name"] = new  # a duplicate or a unicode name
        if "name" in entry:
            entry["name"] = new
    return tree


def _class_name(tree: Any, draw: st.DrawFn) -> Any:
    entries = [e for e in _layers(tree) if isinstance(e, dict)]
    if entries:
        draw(st.sampled_from(entries))["class_name"] = draw(st.one_of(st.sampled_from(LAYER_NAMES), junk_text,
                                                                      st.just("Lambda")))
    return tree


def _shuffle_layers(tree: Any, draw: st.DrawFn) -> Any:
    layers = _layers(tree)
    if len(layers) > 1:
        i, j = draw(st.integers(0, len(layers) - 1)), draw(st.integers(0, len(layers) - 1))
        if draw(st.booleans()):
            layers[i], layers[j] = layers[j], layers[i]
        else:
            layers.insert(j, copy.deepcopy(layers[i]))  # a duplicated layer
    return tree


MUTATIONS: dict[str, Mutation] = {
    "delete-key": _delete_key, "replace-value": _replace_value, "bad-size": _bad_size, "cycle": _cycle,
    "dangling": _dangling, "rename": _rename, "class-name": _class_name, "shuffle": _shuffle_layers,
}


@st.composite
def keras_json_texts(draw: st.DrawFn) -> tuple[str, list[str]]:
    """(JSON text, names of the mutations applied) from one of the Keras 3 seed files."""
    tree = copy.deepcopy(SEEDS[draw(st.sampled_from(sorted(SEEDS)))])
    applied = draw(st.lists(st.sampled_from(sorted(MUTATIONS)), min_size=0, max_size=3))
    for name in applied:
        tree = MUTATIONS[name](tree, draw)
    text = json.dumps(tree, ensure_ascii=draw(st.booleans()))
    if draw(chance(0.1)):
        text = text[: draw(st.integers(0, max(len(text) - 1, 0)))]
        applied = [*applied, "truncated"]
    return text, applied


# ---- typed arithmetic -----------------------------------------------------------------------------

_ALPHABET = "0123456789 HWCFKNxX+-*/^()[].,×·÷−²³⁴⌊⌋⌈⌉_eE"
expression_atoms = st.one_of(st.integers(0, 10**6).map(str), st.sampled_from(SYMBOLS),
                             st.sampled_from(["3²", "64", "36,928", "1.5", ".5", "0"]))


def _binary(inner: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    ops = st.sampled_from([" + ", "-", "*", "/", "^", "×", "x", " ÷ ", "**", "·", ""])
    return st.one_of(
        st.tuples(inner, ops, inner).map("".join),
        inner.map(lambda s: f"({s})"),
        inner.map(lambda s: f"floor({s})"),
        inner.map(lambda s: f"⌈{s}⌉"),
        inner.map(lambda s: f"-{s}"),
    )


expression_texts = st.one_of(
    st.recursive(expression_atoms, _binary, max_leaves=12),  # well-formed, possibly huge
    st.text(alphabet=_ALPHABET, max_size=40),  # token soup
    st.text(max_size=30),  # any unicode
    st.sampled_from(["(" * 70 + "1" + ")" * 70, "2^" * 40 + "2", "9^9^9", "1" * 3000, "-" * 500 + "1",
                     "__import__('os').system('true')", "lambda: 0", "H" * 65, "1/0", "0^-1", "(2^64)^64",
                     "2^64*2^64*2^64*2^64*2^64*2^64*2^64", "⌊⌋", "", " "]),
)


# ---- byte-level damage to a real .keras zip ----------------------------------------------------------


def keras_zip_bytes(config: bytes, compression: int) -> bytes:
    """A .keras archive as Keras writes it: metadata, config and (here, fake) weights."""
    import io
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=compression) as z:
        z.writestr("metadata.json", b'{"keras_version": "3.15.1", "date_saved": "2026-01-01@00:00:00"}')
        z.writestr("config.json", config)
        z.writestr("model.weights.h5", b"\x89HDF\r\n\x1a\n" + bytes(64))
    return buf.getvalue()


def _seed_zips() -> list[bytes]:
    import zipfile

    config = json.dumps(SEEDS["seed_keras.json"]).encode()
    return [keras_zip_bytes(config, zipfile.ZIP_DEFLATED), keras_zip_bytes(config, zipfile.ZIP_STORED)]


_ZIPS = _seed_zips()


@st.composite
def damaged_keras_zips(draw: st.DrawFn) -> tuple[bytes, list[str]]:
    """(bytes of a .keras file, damage applied): flipped bytes, other compression methods, truncation."""
    data = bytearray(draw(st.sampled_from(_ZIPS)))
    applied = []
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["byte", "byte", "method", "truncate", "size"]))
        applied.append(kind)
        if not data:
            break
        if kind == "byte":
            data[draw(st.integers(0, len(data) - 1))] = draw(st.integers(0, 255))
        elif kind in ("method", "size"):  # compression method (deflate, stored, bzip2, lzma, unknown) or sizes
            signature, offset = draw(st.sampled_from([(b"PK\x03\x04", 8), (b"PK\x01\x02", 10)]))
            starts = [i for i in range(len(data) - 30) if data.startswith(signature, i)]
            if not starts:
                continue
            at = draw(st.sampled_from(starts)) + offset
            if kind == "method":
                data[at:at + 2] = draw(st.sampled_from([0, 8, 12, 14, 93, 99])).to_bytes(2, "little")
            else:  # compressed or uncompressed size, 10 or 14 bytes after the method
                at += 10 + 4 * draw(st.integers(0, 1))
                data[at:at + 4] = draw(st.sampled_from([0, 1, 2**31, 2**32 - 1, 10**6])).to_bytes(4, "little")
        else:
            del data[draw(st.integers(0, len(data) - 1)):]
    return bytes(data), applied


# ---- byte-level damage to a real ONNX file ------------------------------------------------------------

ONNX_SEED = (HOSTILE / "seed.onnx").read_bytes()  # torch.onnx.export of a small CNN (Conv, BatchNorm, Gemm)


@st.composite
def damaged_onnx(draw: st.DrawFn) -> bytes:
    """The seed ONNX file with a few bytes replaced, inserted or cut: protobuf fields change meaning."""
    data = bytearray(ONNX_SEED)
    for _ in range(draw(st.integers(1, 4))):
        at = draw(st.integers(0, len(data) - 1))
        kind = draw(st.sampled_from(["replace", "replace", "replace", "insert", "cut"]))
        if kind == "replace":
            data[at] = draw(st.integers(0, 255))
        elif kind == "insert":
            data[at:at] = draw(st.binary(min_size=1, max_size=4))
        else:
            del data[at:at + draw(st.integers(1, 8))]
        if not data:
            break
    return bytes(data)


# ---- command lines ---------------------------------------------------------------------------------------

_NAMES = st.one_of(st.sampled_from(SYMBOLS + ["Q", "F1", "", " F", "F "]), junk_text)


@st.composite
def command_lines(draw: st.DrawFn) -> list[str]:
    """Options for ``symcnn summary|formula MODEL``: --set, --input, --format, --convention, with junk values."""
    argv: list[str] = []
    for _ in range(draw(st.integers(0, 4))):
        option = draw(st.sampled_from(["--set", "--set", "--input", "--format", "--convention", "junk"]))
        if option == "--set":
            argv += ["--set", f"{draw(_NAMES)}={draw(expression_texts)}"]
        elif option == "--input":
            dims = draw(st.lists(st.one_of(expression_texts, st.sampled_from(["None", "?", "null", ""])),
                                 min_size=1, max_size=5))
            argv.append(f"--input={','.join(dims)}")
        elif option == "--format":
            argv += ["--format", draw(st.one_of(st.sampled_from(["table", "json", "markdown", "latex", "text"]),
                                                junk_text))]
        elif option == "--convention":
            argv += ["--convention", draw(st.one_of(st.sampled_from(["torchinfo", "fvcore"]), junk_text))]
        else:
            argv.append(draw(st.one_of(st.sampled_from(["--", "-", "--set", "--input", "-h"]), junk_text)))
    return argv


# ---- names that end up in generated pages --------------------------------------------------------------

MARKUP = ["<img src=x onerror=alert(1)>", "<script>alert(1)</script>", "</textarea>", "`", "```", "$x$", "\\(x\\)",
          "[a](javascript:alert(1))", "{{ 7*7 }}", "{% raw %}", "---", "|", "<!--", "&amp;", "\n# heading", "*",
          "_", "\\", "..", "/", "'", '"', ":", "- ", "!!python/name:os.system", "]]>", "\u202e", "\x00", "\x1b[31m"]
page_names = st.one_of(
    st.lists(st.one_of(st.sampled_from(MARKUP), st.text(max_size=6)), min_size=1, max_size=4).map("".join),
    st.text(min_size=1, max_size=30),
)


CANARY = "Zq9"  # starts every generated name, so a name found verbatim in a page came from the model


@st.composite
def named_models(draw: st.DrawFn) -> str:
    """A small valid YAML model whose model name, layer names and description are hostile text."""
    name = page_names.map(lambda n: CANARY + n)
    spec = {
        "name": draw(name),
        "description": draw(name),
        "input": [8, 8, 1],
        "layers": [
            {"Conv2D": {"filters": 2, "kernel_size": 3, "name": draw(name)}},
            "Flatten",
            {"Dense": {"units": 2, "name": draw(name) + "2"}},  # never the Conv2D's name
        ],
    }
    return yaml.safe_dump(spec, allow_unicode=True)
