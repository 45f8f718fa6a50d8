"""The ``.keras`` zip and JSON bytes: read ``config.json`` in memory, within size limits; nothing is extracted."""

from __future__ import annotations

import lzma
import zipfile
import zlib
from pathlib import Path

from ...errors import LimitError, ParseError, SymcnnError

MAX_CONFIG_BYTES = 64 * 1024 * 1024  # the largest config.json read from a .keras zip
MAX_COMPRESSION_RATIO = 200  # a config.json packed tighter than this is a zip bomb, not JSON
MAX_ZIP_MEMBERS = 10_000


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
