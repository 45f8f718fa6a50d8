"""Hypothesis strategies for the eight classes of hostile input in issue #10, one section per class.

Each strategy returns the input and, where the generator knows it, the truth the test checks
the outcome against (whether an ONNX node is consistent and what it should count, the exact
value a YAML number stands for), derived here independently of symcnn.
"""

from __future__ import annotations

import json
from fractions import Fraction
from typing import Any

import yaml
from hypothesis import strategies as st

# ---- 1. templates are data ----------------------------------------------------------------------

SECRET = "s3cr3t-Zq9-canary"  # the content of a file outside the templates folder
TEMPLATE_PROBES = [
    "{{ name.__class__ }}", "{{ layers[0].__class__.__mro__ }}", "{{ total_params.subs('x', 1) }}",
    "{{ ''.__class__.__base__.__subclasses__() }}", "{{ cycler.__init__.__globals__ }}", "{{ lipsum.__globals__ }}",
    "{{ range.__self__ }}", "{{ namespace.__init__ }}", "{% include 'outside.md' %}", "{% include 'inside_link.md' %}",
    "{% include 'inside.md' %}", "{% include '../secret.txt' %}", "{% include '/etc/hostname' %}",
    "{% import 'outside.md' as x %}", "{% extends 'outside.md' %}", "{{ 'x' * 100000000 }}", "{{ [1] * 10**9 }}",
    "{{ 9 ** 9999 }}", "{{ name.format.__globals__ }}", "{{ '{0.__class__}'.format(name) }}", "{{ self.__dict__ }}",
    "{{ self._TemplateReference__context }}", "{{ request }}", "{{ config }}", "{{ name.upper() }}",
    "{{ layers | length }}", "{% for l in layers %}{{ l.name }}{{ l.work }}{% endfor %}", "{{ name|e }}",
    "{% set x = namespace(a=1) %}{{ x.a }}", "{{ layers.append(1) }}", "{{ layers.pop() }}",
    "{{ dict(a=1).update(b=2) }}", "{{ total_params.__add__ }}", "{{ name|attr('__class__') }}",
    "{{ name|attr('upper')() }}", "{{ model }}", "{{ model.records }}", "{{ layers[0].work.record }}",
    "{{ layers[0].work.record.layer.subs }}", "{{ range(10**6) | list | length }}", "{{ joiner() }}",
    "{{ (1).__class__ }}", "{{ layers[0]['name'] }}", "{{ layers[0].items() | list | length }}",
    "{% macro m() %}{{ caller() }}{% endmacro %}{% call m() %}x{% endcall %}", "{{ loop }}",
    "{% for x in range(3) %}{{ loop.cycle('a', 'b') }}{% endfor %}", "{{ source }}", "{{ total_params }}",
]
template_texts = st.lists(st.one_of(st.sampled_from(TEMPLATE_PROBES), st.text(max_size=12)), min_size=1,
                          max_size=3).map("\n".join)

_CONFIG_KEYS = {
    "site_name": st.text(max_size=10), "use_directory_urls": st.booleans(),
    "theme": st.one_of(st.just({"name": "material"}), st.just({"name": "material", "custom_dir": "overrides"}),
                       st.just({"name": "readthedocs"}), st.just("material"), st.just({"name": "material",
                                                                                        "font": False})),
    "hooks": st.one_of(st.just(["hooks/symcnn_math.py"]), st.just(["hooks/evil.py"]), st.just("evil.py"),
                       st.just(["hooks/symcnn_math.py", "x.py"])),
    "plugins": st.lists(st.sampled_from(["search", "offline", "macros", "mkdocstrings", "exec", {"search": {}},
                                         {"macros": {"module_name": "evil"}}]), max_size=3),
    "markdown_extensions": st.lists(st.sampled_from(["tables", "toc", "evil_module", "pymdownx.arithmatex",
                                                     {"toc": {"permalink": True}}, {"markdown.extensions.x": {}},
                                                     "pymdownx.snippets", {"pymdownx.snippets": {"base_path": "/"}}]),
                                    max_size=3),
    "nav": st.lists(st.one_of(st.just({"Home": "index.md"}), st.just({"x": "../../etc/passwd"}),
                              st.just({"x": "/etc/passwd"}), st.just({"M": [{"a": "models/a.md"}]}),
                              st.just({"x": "https://example.com/x.md"})), max_size=3),
    "extra_css": st.lists(st.sampled_from(["assets/a.css", "https://cdn.example.com/x.css", "../x.css", "/x.css"]),
                          max_size=2),
    "extra_javascript": st.lists(st.sampled_from(["assets/a.js", "https://cdn.example.com/x.js", "//x/y.js"]),
                                 max_size=2),
    "extra": st.one_of(st.just({"generator": False}), st.just({"analytics": {"provider": "google"}}),
                       st.just({"polyfills": ["https://polyfill.io/x.js"]})),
    "docs_dir": st.just("/"), "site_dir": st.just("/tmp"), "INHERIT": st.just("/etc/mkdocs.yml"),
    "watch": st.just(["/"]), "dev_addr": st.just("0.0.0.0:80"), "validation": st.just({"nav": {}}),
}
_TAGS = ["!!python/object/apply:os.system ['true']", "!ENV [HOME]", "!relative $config_dir", "!!python/name:os.system",
         "!!binary aGk="]


@st.composite
def mkdocs_configs(draw: st.DrawFn) -> str:
    """A mkdocs.yml a hostile mkdocs.yml.j2 might render: symcnn's settings mixed with ones that run code."""
    keys = draw(st.lists(st.sampled_from(sorted(_CONFIG_KEYS)), max_size=6, unique=True))
    config = {"site_name": "s", **{k: draw(_CONFIG_KEYS[k]) for k in keys}}
    text = yaml.safe_dump(config, sort_keys=False)
    if draw(st.integers(0, 3)) == 0:
        key = draw(st.sampled_from(["site_name", "hooks", "theme", "extra"]))
        text += f"{key}: {draw(st.sampled_from(_TAGS))}\n"
    return text


# ---- 2. every path stays inside the output folder ------------------------------------------------

SITE_PATHS = ["docs", "docs/index.md", "docs/models", "docs/models/m.md", "docs/assets", "docs/assets/symcnn",
              "docs/assets/symcnn/site.css", "mkdocs.yml", "hooks", "hooks/h.py", "notes.txt",
              "docs/.index.md.symcnn.tmp", ".symcnn-site"]
WRITTEN = ["mkdocs.yml", "docs/index.md", "docs/models/m.md", "docs/assets/symcnn/site.css", "hooks/h.py"]
ENTRY_KINDS = ["file", "dir", "link-out-dir", "link-out-file", "link-in", "dangling"]
MARKER_LISTS = st.one_of(st.none(), st.just("written"), st.lists(st.sampled_from(
    ["../victim/a.txt", "/tmp/x", "docs/../../victim/a.txt", "docs/index.md", "notes.txt", "..\\victim", "",
     "docs/models/m.md", "victim", "docs/assets"]), max_size=4), st.just("garbage"))


@st.composite
def site_states(draw: st.DrawFn) -> dict[str, Any]:
    """An output folder as a previous run, the user or an attacker left it, and the files the next run writes."""
    entries = draw(st.lists(st.tuples(st.sampled_from(SITE_PATHS), st.sampled_from(ENTRY_KINDS)), max_size=6))
    files = {p: draw(st.binary(max_size=20)) for p in draw(st.lists(st.sampled_from(WRITTEN), min_size=1,
                                                                     max_size=5, unique=True))}
    return {"entries": entries, "marker": draw(MARKER_LISTS), "files": files, "force": draw(st.booleans()),
            "root_kind": draw(st.sampled_from(["missing", "dir", "dir", "dir", "link-to-dir", "dangling", "file",
                                               "under-a-file"]))}


# ---- 3. names cannot forge output -------------------------------------------------------------------

_CONTROL = ["\n", "\r", "\r\n", "\x1b[2J", "\x1b]0;title\x07", "\x07", "\x00", "\u202e", "\u2028", "\u2029", "\x85",
            "\t", "\x7f", "\x9b31m", "\x08", "\x0c", "\x0b", "\ufeff", "\u200b"]
_FORGERY = ["Total params: 1", "=" * 20, "Trainable params: 0", " (Dense)", "│", "all 3 checked values right"]
forged_names = st.lists(st.one_of(st.sampled_from(_CONTROL), st.sampled_from(_FORGERY), st.text(max_size=4)),
                        min_size=1, max_size=5).map("".join).filter(lambda s: s.strip() != "")


@st.composite
def forged_models(draw: st.DrawFn) -> tuple[str, dict[str, str]]:
    """YAML text of a small model whose model, input and layer names hold control characters, and those names."""
    names = {"model": draw(forged_names), "conv": draw(forged_names), "dense": draw(forged_names)}
    names["dense"] += "_d"  # never equal to the conv's name
    spec = {"name": names["model"], "input": [8, 8, 1], "layers": [
        {"Conv2D": {"filters": 2, "kernel_size": 3, "name": names["conv"]}}, "Flatten",
        {"Dense": {"units": 2, "name": names["dense"]}}]}
    return json.dumps(spec, ensure_ascii=draw(st.booleans())), names  # JSON is YAML


# ---- 4. numbers mean one thing, exactly -----------------------------------------------------------

NUMBER_TEXTS = st.one_of(
    st.integers(-3, 40).map(str),
    st.integers(1, 10**40).map(str),
    st.sampled_from(["1e30", "1.0e+30", "1E3", "4.0", "2.5", ".5", "0.75", "9007199254740993.0", "1e-3", "010", "0o17",
                     "0x1F", "1:30", "0b11", "1_000", ".inf", "-.inf", ".nan", "+5", "-0", "1e400", "1e-400",
                     "1e99999999", "1.", "0.0", "00", "012", "3.000", "5e0", "2.5e1", "1e1233", "1e1234",
                     "0.9999999999999999999", "1e-1", "0.1", "1.5", "999999999999999999999.0", "+.5e+1", "-1.5"]),
    st.tuples(st.integers(0, 99), st.integers(0, 99), st.integers(-5, 35)).map(lambda t: f"{t[0]}.{t[1]}e{t[2]}"),
)
_INT_TEXT = "-+0123456789"


def exact_value(text: str) -> Fraction | None:
    """What a YAML 1.2 number means, exactly; None for text that is not one (or has two meanings)."""
    body = text.lstrip("+-")
    if body.startswith(("0x", "0o")):
        try:
            value = int(body[2:], 16 if body[1] == "x" else 8)
        except ValueError:
            return None
        return Fraction(-value if text.startswith("-") else value)
    if len(body) > 1 and body[0] == "0" and body.isdigit():
        return None  # 010: octal in YAML 1.1, decimal in YAML 1.2
    if "_" in text or ":" in text or body.startswith("0b") or "inf" in body or "nan" in body:
        return None
    try:
        mantissa, _, exponent = text.lower().partition("e")
        if exponent and abs(int(exponent)) > 5000:
            return None
        return Fraction(mantissa) * Fraction(10) ** int(exponent or 0)
    except (ValueError, ZeroDivisionError):
        return None


@st.composite
def number_models(draw: st.DrawFn) -> tuple[str, str, str]:
    """(YAML text, where the number goes, the number's text): a size, a rate or a scale factor."""
    where = draw(st.sampled_from(["units", "filters", "kernel", "rate", "scale", "input", "duplicate", "top"]))
    n = draw(NUMBER_TEXTS)
    layers = {
        "units": f"  - Dense: {{units: {n}}}\n",
        "filters": f"  - Conv2D: {{filters: {n}, kernel_size: 3}}\n",
        "kernel": f"  - Conv2D: {{filters: 2, kernel_size: {n}}}\n",
        "rate": f"  - Dropout: {{rate: {n}}}\n  - Dense: {{units: 2}}\n",
        "scale": f"  - Upsample: {{scale_factor: {n}}}\n",
        "input": "  - Flatten\n",
        "duplicate": f"  - Dense: {{units: 3, units: {n}}}\n",
        "top": "  - Flatten\n",
    }[where]
    head = {"scale": "convention: torch\ninput: [3, 8, 8]\n", "input": f"input: [{n}, 4, 1]\n",
            "top": f"input: [8, 8, 1]\ninput: [{n}, 4, 1]\n"}.get(where, "input: [8, 8, 1]\n")
    return head + "layers:\n" + layers, where, n


# ---- 5. no tracebacks ----------------------------------------------------------------------------------

_EXPLICIT = ["!!int", "!!float", "!!bool", "!!timestamp", "!!binary", "!!str", "!!null", "!!set", "!!omap", "!!pairs",
             "!!seq", "!!map", "!!merge", "!!value", "!!python/none", "!!python/int", "!!python/object:os.system",
             "!symcnn", "!<tag:yaml.org,2002:int>", "!!float", "!!int"]
_PAYLOADS = ["abc", "x", "2001-13-45", "2001-12-14", "2001-12-14t21:59:43.10-05:00", "1:30", "0b2", "0x", "-",
             "9" * 5000, "1e999999", "[1, 2]", "{a: 1}", "''", "=", "<<", "~", "!!", "\"\\ud800\"", "\"\\udfff x\"",
             ".nan", "yes", "0o9", "1__0", "\"\\x00\"", "\"\\e[2J\""]


@st.composite
def crashing_yaml(draw: st.DrawFn) -> str:
    """A YAML model with an explicit tag or a hostile scalar in a size, a name or the input."""
    scalar = f"{draw(st.sampled_from(_EXPLICIT))} {draw(st.sampled_from(_PAYLOADS))}" if draw(st.booleans()) \
        else draw(st.sampled_from(_PAYLOADS))
    where = draw(st.sampled_from(["units", "name", "input", "symbols", "top", "rate"]))
    layer = {"units": f"Dense: {{units: {scalar}}}", "name": f"Dense: {{units: 2, name: {scalar}}}",
             "rate": f"Dropout: {{rate: {scalar}}}"}.get(where, "Dense: {units: 2}")
    head = {"input": f"input: [{scalar}, 4]\n", "symbols": f"input: [F, 4]\nsymbols: {{F: {scalar}}}\n",
            "top": f"description: {scalar}\ninput: [4, 4]\n"}.get(where, "input: [4, 4]\n")
    return f"{head}layers:\n  - {layer}\n"


@st.composite
def crashing_json(draw: st.DrawFn) -> str:
    """Keras JSON with lone surrogates, numbers past Python's digit limit, NaN, deep nesting or repeated keys."""
    name = draw(st.sampled_from(['"d\\ud800"', '"\\udfff"', '"ok"', '"\\ud83d\\ude00"', '"a\\u0000b"', '"x\\u001b[2J"']))
    units = draw(st.sampled_from(["4", "9" * 5000, "1e400", "NaN", "Infinity", "-Infinity", "4.0", "1e30",
                                  "9" * 1300, "2.5", "[" * 3000 + "]" * 3000, "true", '"4"']))
    extra = draw(st.sampled_from(["", ', "units": 5', ', "name": "dup"', ', "class_name": "Conv2D"']))
    return ('{"class_name": "Sequential", "config": {"name": ' + name + ', "layers": [{"class_name": "InputLayer", '
            '"config": {"batch_shape": [null, 4], "name": "x"}}, {"class_name": "Dense", "config": {"name": '
            + name + ', "units": ' + units + extra + "}}]}}")


OUTPUT_PATHS = ["under-a-file", "too-long", "dangling-link", "link-to-dir", "file-where-folder", "folder-where-file",
                "nul-in-name", "newline-in-name", "missing-parent", "existing-foreign", "fifo"]


# ---- 6. hangs and memory ---------------------------------------------------------------------------------

@st.composite
def heavy_onnx_specs(draw: st.DrawFn) -> dict[str, Any]:
    """A recipe for an ONNX graph that is cheap to store and was expensive to read (see test_fuzz_classes)."""
    return {
        "kind": draw(st.sampled_from(["square-chain", "big-broadcast-chain", "expand-chain", "range", "unnamed",
                                      "many-dims", "concat-doubling", "reduce-chain", "symbolic-square"])),
        "length": draw(st.integers(1, 80)),
        "size": draw(st.sampled_from([1, 7, 4096, 4097, 10**5, 10**6, 10**6 + 1, 10**9, 2**62])),
        "seed": draw(st.integers(2, 2**20)),
    }


@st.composite
def heavy_json(draw: st.DrawFn) -> str:
    """Keras JSON made mostly of nested empty containers, long strings or many layers (up to about 300 KB)."""
    kind = draw(st.sampled_from(["empty-lists", "empty-dicts", "nested", "long-name", "many-layers", "wide-input"]))
    n = draw(st.integers(1, 50_000))
    if kind == "empty-lists":
        junk = "[" + "[]," * n + "[]]"
    elif kind == "empty-dicts":
        junk = "[" + "{}," * n + "{}]"
    elif kind == "nested":
        depth = min(n, 5000)
        junk = "[" * depth + "]" * depth
    elif kind == "long-name":
        junk = json.dumps("x" * (n * 3))
    else:
        junk = "null"
    layers = [{"class_name": "InputLayer", "config": {"batch_shape": [None] + [None] * (min(n, 1000) if kind ==
                                                                                       "wide-input" else 1),
                                                        "name": "x"}}]
    count = min(n, 1000) if kind == "many-layers" else 1  # (20,000 calls: tests/test_hostile.py)
    layers += [{"class_name": "Dropout", "config": {"name": f"d{i}", "rate": 0.1}} for i in range(count)]
    return json.dumps({"class_name": "Sequential", "config": {"name": "m", "layers": layers}})[:-2] + \
        f', "junk": {junk}}}}}'


# ---- 7. files that contradict themselves ------------------------------------------------------------------

@st.composite
def onnx_layers(draw: st.DrawFn) -> dict[str, Any]:
    """One learned ONNX node and its weights, sometimes contradicting themselves; the truth about it."""
    op = draw(st.sampled_from(["Conv", "BatchNormalization", "Gemm", "Add", "two-writers", "PRelu", "ConvTranspose"]))
    c = draw(st.integers(1, 6))
    spec: dict[str, Any] = {"op": op, "channels": c, "bad": draw(st.integers(0, 2)) == 0}
    if op in ("Conv", "ConvTranspose"):
        group = draw(st.sampled_from([1, 1, 2, 3]))
        spec.update(out=draw(st.integers(1, 4)) * group, group=group, k=draw(st.integers(1, 3)),
                    kernel_attr=draw(st.sampled_from(["same", "none", "other"])), bias=draw(st.booleans()),
                    bias_len=draw(st.sampled_from(["right", "right", "wrong"])),
                    input_channels=draw(st.sampled_from(["right", "right", "wrong"])))
        spec["channels"] = c * group
    elif op in ("BatchNormalization", "PRelu"):
        spec.update(lengths=[draw(st.sampled_from([c, c, c, c + 1, 7])) for _ in range(4)])
    elif op == "Gemm":
        spec.update(k=c, n=draw(st.integers(1, 5)), k_b=draw(st.sampled_from([c, c, c + 2])),
                    bias_len=draw(st.sampled_from(["n", "n", "1", "wrong", "none"])), trans=draw(st.booleans()))
    elif op == "Add":
        spec.update(shape=draw(st.sampled_from([[1], [8], [1, 1, 8], [3, 1, 1], [7], [2, 8], [1, 3, 8, 8], [5, 1, 1]])))
    return spec


# ---- 8. exact numbers, however large ---------------------------------------------------------------------

@st.composite
def sweep_cases(draw: st.DrawFn) -> tuple[Any, list[list[int]]]:
    """(a closed form in H, W with floors and ceilings, sizes up to 2**70): what vectorize must evaluate exactly."""
    import sympy

    H, W = sympy.symbols("H W", integer=True, positive=True)
    atoms = st.sampled_from([H, W, sympy.Integer(1), sympy.Integer(3), sympy.Integer(64), sympy.Integer(2**40)])

    def grow(inner: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
        return st.one_of(
            st.tuples(inner, inner).map(lambda t: t[0] + t[1]),
            st.tuples(inner, inner).map(lambda t: t[0] * t[1]),
            st.tuples(inner, st.integers(2, 4)).map(lambda t: t[0] ** t[1]),
            st.tuples(inner, st.integers(1, 9)).map(lambda t: sympy.floor((t[0] - 7) / t[1])),
            st.tuples(inner, st.integers(1, 9)).map(lambda t: sympy.ceiling(t[0] / t[1])),
        )

    expr = draw(st.recursive(atoms, grow, max_leaves=6))
    sizes = st.one_of(st.integers(1, 600), st.integers(1, 2**70), st.sampled_from([2**31, 2**32 + 1, 4 * 10**7,
                                                                                   2**62, 2**63 - 1, 2**63]))
    n = draw(st.integers(1, 4))
    return expr, [draw(st.lists(sizes, min_size=n, max_size=n)) for _ in range(2)]
