"""A binlog disk that can be made slow or failing while the node runs (DEBUG BINLOG-FAULT).

Owns `FaultyDisk`, a `binlog.fs.FileSystem` that passes every call through
to the real directory unless told to stall each change by some milliseconds
or to fail each change with EIO, as a dying disk does; and `open_disk`, which
puts it under the binlog only when `enable-debug-command` allows DEBUG (so a
production node never pays for the indirection). Reads always pass: a
failing disk here is one that refuses writes, which is what Redis answers
MISCONF for. Must not know the record format, commands or the keyspace.
"""

from __future__ import annotations

import errno
import os
import time

from binlog import RealFS
from binlog.fs import AppendFile, FileSystem
from node.config import Config


class FaultyDisk:
    """`inner` with two switches, read by the binlog's thread at each change."""

    def __init__(self, inner: FileSystem) -> None:
        self.inner = inner
        self.failing = False
        self.delay_s = 0.0

    def set_fault(self, failing: bool, delay_s: float = 0.0) -> None:
        self.failing = failing
        self.delay_s = delay_s

    def before_change(self) -> None:
        if self.delay_s:
            time.sleep(self.delay_s)
        if self.failing:
            raise OSError(errno.EIO, os.strerror(errno.EIO))

    def open_append(self, name: str) -> AppendFile:
        self.before_change()
        return FaultyFile(self, self.inner.open_append(name))

    def read(self, name: str, offset: int = 0, size: int = -1) -> bytes:
        return self.inner.read(name, offset, size)

    def size(self, name: str) -> int:
        return self.inner.size(name)

    def truncate(self, name: str, size: int) -> None:
        self.before_change()
        self.inner.truncate(name, size)

    def rename(self, src: str, dst: str) -> None:
        self.before_change()
        self.inner.rename(src, dst)

    def remove(self, name: str) -> None:
        self.before_change()
        self.inner.remove(name)

    def listdir(self) -> list[str]:
        return self.inner.listdir()

    def fsync_dir(self) -> None:
        self.before_change()
        self.inner.fsync_dir()


class FaultyFile:
    def __init__(self, disk: FaultyDisk, inner: AppendFile) -> None:
        self._disk = disk
        self._inner = inner

    def write(self, data: bytes) -> None:
        self._disk.before_change()
        self._inner.write(data)

    def fsync(self) -> None:
        self._disk.before_change()
        self._inner.fsync()

    def truncate(self, size: int) -> None:
        self._disk.before_change()
        self._inner.truncate(size)

    def size(self) -> int:
        return self._inner.size()

    def close(self) -> None:
        self._inner.close()


def open_disk(config: Config, directory: str) -> FileSystem:
    """The binlog's directory: behind a `FaultyDisk` only where DEBUG may reach it."""
    real = RealFS(directory)
    return real if config["enable-debug-command"] == "no" else FaultyDisk(real)
