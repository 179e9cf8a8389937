"""The file-system seam: every byte the binlog reads or writes goes through `FileSystem`.

Owns the protocol and the real implementation (one directory, names relative
to it). The in-memory twin with fault injection lives in `binlog.memfs`.
Must not know the record format or policies.
"""

from __future__ import annotations

import os
from collections.abc import Iterable
from typing import Protocol


class AppendFile(Protocol):
    """An open file that only grows (except for an explicit truncate)."""

    def write(self, data: bytes) -> None:
        """Append all of `data` or raise OSError (a short write leaves a partial tail)."""

    def fsync(self) -> None: ...

    def truncate(self, size: int) -> None: ...

    def size(self) -> int: ...

    def close(self) -> None: ...


class FileSystem(Protocol):
    """One directory. Creations, renames and removals are durable only after `fsync_dir`."""

    def open_append(self, name: str) -> AppendFile:
        """Open for appending, creating the file if missing."""

    def read(self, name: str, offset: int = 0, size: int = -1) -> bytes:
        """Up to `size` bytes from `offset` (-1: to the end); FileNotFoundError if absent."""

    def size(self, name: str) -> int: ...

    def truncate(self, name: str, size: int) -> None: ...

    def rename(self, src: str, dst: str) -> None:
        """Atomically replace `dst` by `src`."""

    def remove(self, name: str) -> None: ...

    def listdir(self) -> list[str]: ...

    def fsync_dir(self) -> None: ...


class RealFile:
    def __init__(self, path: str) -> None:
        self._fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_APPEND | os.O_CLOEXEC, 0o644)

    def write(self, data: bytes) -> None:
        view = memoryview(data)
        while view:
            written = os.write(self._fd, view)
            view = view[written:]

    def fsync(self) -> None:
        # fdatasync also persists the size change an append makes.
        os.fdatasync(self._fd)

    def truncate(self, size: int) -> None:
        os.ftruncate(self._fd, size)

    def size(self) -> int:
        return os.fstat(self._fd).st_size

    def close(self) -> None:
        os.close(self._fd)


class RealFS:
    def __init__(self, directory: str | os.PathLike[str]) -> None:
        self.directory = os.fspath(directory)
        os.makedirs(self.directory, exist_ok=True)

    def _path(self, name: str) -> str:
        return os.path.join(self.directory, name)

    def open_append(self, name: str) -> AppendFile:
        return RealFile(self._path(name))

    def read(self, name: str, offset: int = 0, size: int = -1) -> bytes:
        with open(self._path(name), "rb") as f:
            f.seek(offset)
            return f.read(size)

    def size(self, name: str) -> int:
        return os.stat(self._path(name)).st_size

    def truncate(self, name: str, size: int) -> None:
        os.truncate(self._path(name), size)

    def rename(self, src: str, dst: str) -> None:
        os.replace(self._path(src), self._path(dst))

    def remove(self, name: str) -> None:
        os.remove(self._path(name))

    def listdir(self) -> list[str]:
        return sorted(os.listdir(self.directory))

    def fsync_dir(self) -> None:
        fd = os.open(self.directory, os.O_RDONLY | os.O_DIRECTORY | os.O_CLOEXEC)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)


def write_atomically(fs: FileSystem, name: str, data: bytes | Iterable[bytes]) -> None:
    """Replace `name` by `data` (bytes, or pieces written in order) all-or-nothing:
    temp file, fsync, rename, directory fsync."""
    tmp = name + ".tmp"
    f = fs.open_append(tmp)
    try:
        f.truncate(0)
        for piece in (data,) if isinstance(data, bytes) else data:
            f.write(piece)
        f.fsync()
    finally:
        f.close()
    fs.rename(tmp, name)
    fs.fsync_dir()
