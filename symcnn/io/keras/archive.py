"""The ``.keras`` zip and JSON bytes: read ``config.json`` in memory, within size limits; nothing is extracted."""

from __future__ import annotations

import json
import lzma
import re
import zipfile
import zlib
from pathlib import Path
from typing import Any

from ...errors import LimitError, ParseError, SymcnnError

MAX_CONFIG_BYTES = 64 * 1024 * 1024  # the largest config.json read from a .keras zip
MAX_COMPRESSION_RATIO = 200  # a config.json packed tighter than this is a zip bomb, not JSON
MAX_ZIP_MEMBERS = 10_000
# Python spends about 64 bytes on each list or dict json.loads makes: 60 MB of "[]," would take 1.3 GB.
# Real Keras files hold about 50 values per layer, so 2,000,000 values fit far more than MAX_CALLS layers.
MAX_JSON_VALUES = 2_000_000
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


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


def parse_json(text: str, source: str) -> Any:
    """Keras JSON text as Python data, its memory bounded by :data:`MAX_JSON_VALUES`; no lone surrogates in text.

    >>> parse_json('{"name": "d", "units": 3}', "m.json")
    {'name': 'd', 'units': 3}
    """
    values = text.count(",") + text.count("[") + text.count("{")  # at least the values json.loads would make
    if values > MAX_JSON_VALUES:
        raise LimitError(f"the JSON holds about {values:,} values; the limit is {MAX_JSON_VALUES:,}", file=source)
    try:
        data = json.loads(text, parse_int=_whole_number)
    except json.JSONDecodeError as exc:
        raise ParseError(f"malformed JSON at line {exc.lineno} column {exc.colno}: {exc.msg}", file=source) from None
    except SymcnnError as exc:
        raise exc.within(file=source) from None
    except RecursionError:
        raise ParseError("JSON nested too deeply", file=source) from None
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        raise LimitError(f"JSON holds a value symcnn cannot read: {exc}", file=source) from None
    if _SURROGATE_ESCAPE.search(text):
        _refuse_lone_surrogates(data, source)
    return data


MAX_JSON_DIGITS = 1_233  # about 4,096 bits, as in YAML (symcnn.io.yaml_loader.MAX_NUMBER_DIGITS)


def _whole_number(text: str) -> int:
    if len(text) > MAX_JSON_DIGITS + 1:  # a sign may come first
        raise LimitError(f"the JSON holds a whole number of {len(text):,} digits; the limit is {MAX_JSON_DIGITS:,}")
    return int(text)


def _refuse_lone_surrogates(data: Any, source: str) -> None:
    """A \\ud800 escape without its pair is not a character: no file or terminal can show it."""
    stack = [data]
    while stack:
        item = stack.pop()
        texts = [item] if isinstance(item, str) else list(item) if isinstance(item, dict) else []
        for text in texts:
            try:
                text.encode("utf-8")
            except UnicodeEncodeError:
                raise ParseError(f"the JSON text {text!r} holds a lone surrogate escape (half of a character): "
                                 "it is not valid Unicode", file=source) from None
        if isinstance(item, dict):
            stack.extend(item.values())
        elif isinstance(item, list):
            stack.extend(item)


def _zip_config(path: str | Path) -> str:
    """The ``config.json`` of a .keras zip, read in memory with size checks; nothing is extracted."""
    source = str(path)
    try:
        with zipfile.ZipFile(path) as archive:
            members = archive.infolist()
            if len(members) > MAX_ZIP_MEMBERS:
                raise LimitError(f".keras zip has {len(members):,} members; the limit is {MAX_ZIP_MEMBERS:,}")
            configs = [m for m in members if m.filename == "config.json"]
            if len(configs) > 1:  # Keras reads the last one; reading either would be a guess
                raise ParseError(f".keras zip holds {len(configs)} members named config.json; a model has one")
            info = configs[0] if configs else None
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
                data = fh.read(min(info.file_size, MAX_CONFIG_BYTES) + 1)  # zipfile stops at the declared size
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
