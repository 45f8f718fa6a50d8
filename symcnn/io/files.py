"""Reading an input file: regular files only, and never more than a limit."""

from __future__ import annotations

import stat
from pathlib import Path

from ..errors import LimitError, ParseError, SymcnnError

MAX_FILE_BYTES = 64 * 1024 * 1024


def regular_file_size(path: str | Path) -> int:
    """The size of ``path``, which must be a regular file: a folder, device or pipe (which could block) is refused."""
    try:
        info = Path(path).stat()
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror or exc}", file=str(path)) from None
    if stat.S_ISDIR(info.st_mode):
        raise ParseError("cannot read file: Is a directory", file=str(path))
    if not stat.S_ISREG(info.st_mode):
        raise ParseError("cannot read file: not a regular file (a device, pipe or socket)", file=str(path))
    return info.st_size


def read_bytes(path: str | Path, limit: int = MAX_FILE_BYTES) -> bytes:
    """Read a whole input file, refusing one larger than ``limit``."""
    p = Path(path)
    try:
        size = regular_file_size(p)
        if size > limit:
            raise LimitError(f"file is {size:,} bytes; the limit is {limit:,}", file=str(path))
        with p.open("rb") as fh:  # read() of n bytes reserves n first: the file's size, not the limit
            data = fh.read(size + 1)
            if len(data) > size:  # it grew since stat(): read the rest, still within the limit
                data += fh.read(limit + 1 - len(data))
            return data
    except SymcnnError:
        raise
    except OSError as exc:
        raise ParseError(f"cannot read file: {exc.strerror or exc}", file=str(path)) from None
