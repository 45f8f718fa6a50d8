"""Safe writing of a generated site: the ``.symcnn-site`` marker, atomic writes, nothing outside the folder.

:func:`write_files` writes a marker file (``.symcnn-site``) listing every file it wrote,
refuses a non-empty folder without that marker unless ``force=True``, never
overwrites or deletes a file it did not write, and replaces each file atomically.

Every path it writes, replaces or removes is reached from the output folder one
name at a time, through open folder descriptors that refuse symbolic links
(``O_NOFOLLOW``): a ``docs`` folder replaced by a link to ``/home/you`` stops the
run with an error instead of writing through it, and so does a link swapped in
while the site is being written. A link that *is* a site file is replaced, never
followed. Files get the usual permissions (0666 less the umask, so 0644), and a
temporary file (``.NAME.symcnn.tmp`` beside ``NAME``) left by a killed run is
removed by the next successful one.
"""

from __future__ import annotations

import errno
import json
import os
import stat
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from pathlib import Path, PurePosixPath

from ..errors import SymcnnError, visible

__all__ = ["MARKER", "SiteError", "temporary_name", "write_files"]

MARKER = ".symcnn-site"
MAX_MARKER_BYTES = 16 * 1024 * 1024
_DIR_FLAGS = os.O_RDONLY | getattr(os, "O_DIRECTORY", 0) | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_NEW_FILE = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0)
_READ_FILE = os.O_RDONLY | getattr(os, "O_NOFOLLOW", 0) | getattr(os, "O_CLOEXEC", 0) | getattr(os, "O_NONBLOCK", 0)


class SiteError(SymcnnError):
    """The output folder cannot be used (not ours, a file in the way, mkdocs failed)."""


def temporary_name(name: str) -> str:
    """The temporary file symcnn writes ``name`` to before renaming it into place.

    >>> temporary_name("index.md")
    '.index.md.symcnn.tmp'
    """
    return f".{name}.symcnn.tmp"


def _safe_relative(path: str) -> bool:
    p = PurePosixPath(path)
    return (bool(path) and not p.is_absolute() and "\\" not in path and "\0" not in path and p.parts[0] != MARKER
            and all(part not in ("", ".", "..") for part in path.split("/")))


class _Folder:
    """The output folder, reached through descriptors: every name below it is opened without following links."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.fds: dict[tuple[str, ...], int] = {(): os.open(root, _DIR_FLAGS & ~getattr(os, "O_NOFOLLOW", 0))}

    def close(self) -> None:
        for fd in self.fds.values():
            os.close(fd)
        self.fds.clear()

    def shown(self, parts: Iterable[str]) -> str:
        return visible(os.path.join(self.root, *parts))

    def folder(self, parts: tuple[str, ...], *, create: bool) -> int | None:
        """The descriptor of the folder ``parts`` below the root (made if ``create``), or None if it is missing."""
        if parts in self.fds:
            return self.fds[parts]
        parent = self.folder(parts[:-1], create=create)
        if parent is None:
            return None
        name = parts[-1]
        try:
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
        except FileNotFoundError:
            if not create:
                return None
            os.mkdir(name, 0o777, dir_fd=parent)
            fd = os.open(name, _DIR_FLAGS, dir_fd=parent)
        except OSError as exc:
            if exc.errno in (errno.ELOOP, errno.ENOTDIR, errno.EMLINK):
                raise SiteError(self._not_a_folder(parent, name, parts)) from None
            raise
        self.fds[parts] = fd
        return fd

    def _not_a_folder(self, parent: int, name: str, parts: tuple[str, ...]) -> str:
        where = self.shown(parts)
        if stat.S_ISLNK(os.lstat(name, dir_fd=parent).st_mode):
            return (f"{where} is a symbolic link; symcnn docs writes only into real folders inside the output folder "
                    "(remove the link, or choose another output folder)")
        return f"{where} is a file where the site needs a folder; move it away or choose another output folder"

    def lstat(self, rel: str) -> os.stat_result | None:
        """The entry ``rel`` itself (a link is not followed), None when it or a folder on its way is missing."""
        *parents, name = rel.split("/")
        fd = self.folder(tuple(parents), create=False)
        if fd is None:
            return None
        try:
            return os.lstat(name, dir_fd=fd)
        except FileNotFoundError:
            return None

    def read(self, rel: str, limit: int) -> bytes | None:
        """The bytes of the regular file ``rel`` (never through a link), None when it is not one."""
        info = self.lstat(rel)
        if info is None or not stat.S_ISREG(info.st_mode) or info.st_size > limit:
            return None
        *parents, name = rel.split("/")
        fd = os.open(name, _READ_FILE, dir_fd=self.folder(tuple(parents), create=False))
        with os.fdopen(fd, "rb") as fh:
            return fh.read(info.st_size + 1)  # (read(n) reserves n bytes first: the size, not the limit)

    def write(self, rel: str, data: bytes) -> None:
        """Write ``data`` to a temporary file beside ``rel`` and rename it into place (a link there is replaced)."""
        *parents, name = rel.split("/")
        fd = self.folder(tuple(parents), create=True)
        assert fd is not None
        try:
            if stat.S_ISDIR(os.lstat(name, dir_fd=fd).st_mode):
                raise SiteError(f"{self.shown(rel.split('/'))} is a folder where the site has a file; "
                                "move it away or choose another output folder")
        except FileNotFoundError:
            pass
        tmp = temporary_name(name)
        self._remove_temporary(fd, tmp)
        out = os.open(tmp, _NEW_FILE, 0o666, dir_fd=fd)  # 0666 less the umask, as any program's new file
        try:
            with os.fdopen(out, "wb") as fh:
                fh.write(data)
            os.replace(tmp, name, src_dir_fd=fd, dst_dir_fd=fd)
        except BaseException:
            self._remove_temporary(fd, tmp)
            raise

    def remove(self, rel: str) -> None:
        """Remove the regular file ``rel`` and its temporary file; links and folders stay."""
        *parents, name = rel.split("/")
        fd = self.folder(tuple(parents), create=False)
        if fd is None:
            return
        self._remove_temporary(fd, temporary_name(name))
        try:
            if stat.S_ISREG(os.lstat(name, dir_fd=fd).st_mode):
                os.unlink(name, dir_fd=fd)
        except FileNotFoundError:
            pass

    def clean(self, rel: str) -> None:
        """Remove the temporary file a killed run may have left beside ``rel``."""
        *parents, name = rel.split("/")
        fd = self.folder(tuple(parents), create=False)
        if fd is not None:
            self._remove_temporary(fd, temporary_name(name))

    @staticmethod
    def _remove_temporary(fd: int, tmp: str) -> None:
        try:
            if not stat.S_ISDIR(os.lstat(tmp, dir_fd=fd).st_mode):
                os.unlink(tmp, dir_fd=fd)
        except FileNotFoundError:
            pass


@contextmanager
def _opened(root: Path) -> Iterator[_Folder]:
    folder = _Folder(root)
    try:
        yield folder
    finally:
        folder.close()


def _own_files(site: _Folder) -> list[str] | None:
    info = site.lstat(MARKER)
    if info is None:
        return None
    data = site.read(MARKER, MAX_MARKER_BYTES)
    damaged = SiteError(f"{site.shown([MARKER])} is damaged; remove it or choose another folder")
    if data is None:
        raise damaged
    try:
        listed = json.loads(data.decode("utf-8"))["files"]
    except (ValueError, KeyError, TypeError, RecursionError):
        raise damaged from None
    if not isinstance(listed, list):
        raise damaged
    return [p for p in listed if isinstance(p, str) and _safe_relative(p)]


def _prepare_root(root: Path) -> None:
    """Make the output folder if missing; refuse a file, or a link to nothing, in its place."""
    if root.is_symlink() and not root.exists():
        raise SiteError(f"output {visible(root)!r} is a symbolic link to {visible(os.readlink(root))!r}, which does "
                        "not exist")
    if root.exists() and not root.is_dir():
        raise SiteError(f"output {visible(root)!r} exists and is not a folder")
    root.mkdir(parents=True, exist_ok=True)


def write_files(root: Path, files: Mapping[str, bytes], *, force: bool = False) -> None:
    """Write ``files`` (``{posix relative path: content}``) under ``root``, owning only what it lists in the marker."""
    bad = [p for p in files if not _safe_relative(p)]
    if bad:
        raise ValueError(f"site paths must be relative and inside the folder, got {bad[:3]}")  # a bug in the caller
    try:
        existed = root.is_dir()
        _prepare_root(root)
        with _opened(root) as site:
            _write(site, root, files, force=force, existed=existed)
    except SymcnnError:
        raise
    except OSError as exc:
        where = f" ({visible(exc.filename)})" if exc.filename and str(exc.filename) != str(root) else ""
        raise SiteError(f"cannot write the site into {visible(root)!r}: {exc.strerror or exc}{where}") from None
    except ValueError as exc:  # a NUL byte in the path
        raise SiteError(f"cannot write the site into {visible(root)!r}: {exc}") from None


def _write(site: _Folder, root: Path, files: Mapping[str, bytes], *, force: bool, existed: bool) -> None:
    previous = _own_files(site) if existed else None
    if existed and previous is None and any(root.iterdir()) and not force:
        raise SiteError(
            f"output folder {visible(root)!r} is not empty and was not written by symcnn docs; "
            "choose an empty folder or pass --force (symcnn never overwrites files it did not write)"
        )
    ours = set(previous or [])
    found = {p: site.lstat(p) for p in files}  # every folder on the way is checked here, before anything is written
    folders = sorted(p for p, info in found.items() if info is not None and stat.S_ISDIR(info.st_mode))
    if folders:
        raise SiteError(f"{site.shown(folders[0].split('/'))} is a folder where the site has a file; "
                        "move it away or choose another output folder")
    clashes = sorted(p for p, info in found.items() if p not in ours and info is not None)
    if clashes:
        raise SiteError(
            f"output folder {visible(root)!r} already has files symcnn did not write: "
            + visible(", ".join(clashes[:5])) + (" ..." if len(clashes) > 5 else "")
        )
    written = sorted(files)
    # The marker first lists old and new files, so an interrupted run still knows what is its own.
    site.write(MARKER, _marker(sorted(ours | set(written))))
    for rel, data in files.items():
        if site.read(rel, len(data)) == data:
            site.clean(rel)
            continue
        site.write(rel, data)
    for stale in sorted(ours - set(written)):
        site.remove(stale)
    site.write(MARKER, _marker(written))


def _marker(paths: Iterable[str]) -> bytes:
    return (json.dumps({"generator": "symcnn docs", "files": list(paths)}, indent=1) + "\n").encode("utf-8")
