"""In-memory twin of `RealFS` that can fail, fill up and crash, for tests.

Owns the simulated disk: every file keeps what has been fsynced apart from
what has only been written, and the directory keeps its last fsynced listing,
so `crash()` loses exactly what a power cut may lose (and, with a seeded RNG,
may keep a random prefix of unsynced appends: a torn write). Counts writes
and fsyncs so tests can see group commit. Must not know the record format.
"""

from __future__ import annotations

import errno
import os
import random
import threading
import time


class _Inode:
    __slots__ = ("data", "durable")

    def __init__(self) -> None:
        self.data = bytearray()
        self.durable = b""


class MemFile:
    def __init__(self, fs: MemoryFS, inode: _Inode) -> None:
        self._fs = fs
        self._inode = inode
        self.closed = False

    def write(self, data: bytes) -> None:
        self._fs.do_write(self._inode, data)

    def fsync(self) -> None:
        self._fs.do_fsync(self._inode)

    def truncate(self, size: int) -> None:
        with self._fs.lock:
            self._fs.check_alive()
            del self._inode.data[size:]

    def size(self) -> int:
        return len(self._inode.data)

    def close(self) -> None:
        self.closed = True


class MemoryFS:
    """A directory in memory. Fault switches: `fail_writes`, `fail_fsyncs`, `capacity`;
    `fsync_seconds` makes each fsync take that long, as a disk's does."""

    def __init__(self, capacity: int | None = None) -> None:
        self.lock = threading.RLock()
        self._files: dict[str, _Inode] = {}
        self._durable_files: dict[str, _Inode] = {}
        self.capacity = capacity
        self.fail_writes = False
        self.fail_fsyncs = False
        self.fsync_seconds = 0.0
        self.writes = 0
        self.fsyncs = 0
        self.dir_fsyncs = 0
        self.dead = False

    # -- faults and inspection ------------------------------------------------

    def used(self) -> int:
        return sum(len(inode.data) for inode in self._files.values())

    def crash(self, rng: random.Random | None = None) -> MemoryFS:
        """Power cut: this machine is dead (every later call fails) and the returned
        file system is its disk after reboot: fsynced data and directory entries,
        plus (with `rng`) a random prefix of each file's unsynced tail."""
        with self.lock:
            self.dead = True
            disk = MemoryFS()
            for name, inode in self._durable_files.items():
                extra = b""
                data = bytes(inode.data)
                if rng is not None and data.startswith(inode.durable):
                    tail = data[len(inode.durable) :]
                    extra = tail[: rng.randint(0, len(tail))]
                survivor = disk._files[name] = _Inode()
                survivor.data = bytearray(inode.durable + extra)
                survivor.durable = bytes(survivor.data)
            disk._durable_files = dict(disk._files)
            return disk

    def check_alive(self) -> None:
        if self.dead:
            raise OSError(errno.EIO, "the simulated machine has crashed")

    def corrupt(self, name: str, offset: int, byte: int = 0xFF) -> None:
        """Flip bits of one byte, on disk and in the page cache alike (bit rot)."""
        with self.lock:
            inode = self._files[name]
            inode.data[offset] ^= byte
            durable = bytearray(inode.durable)
            if offset < len(durable):
                durable[offset] ^= byte
                inode.durable = bytes(durable)

    def contents(self, name: str) -> bytes:
        with self.lock:
            return bytes(self._files[name].data)

    # -- the FileSystem protocol ----------------------------------------------

    def do_write(self, inode: _Inode, data: bytes) -> None:
        with self.lock:
            self.check_alive()
            self.writes += 1
            if self.fail_writes:
                raise OSError(errno.EIO, os.strerror(errno.EIO))
            if self.capacity is not None:
                room = max(0, self.capacity - self.used())
                if len(data) > room:
                    inode.data += data[:room]  # a short write, as a real full disk does
                    raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
            inode.data += data

    def do_fsync(self, inode: _Inode) -> None:
        if self.fsync_seconds:
            time.sleep(self.fsync_seconds)  # outside the lock: appends go on meanwhile
        with self.lock:
            self.check_alive()
            self.fsyncs += 1
            if self.fail_fsyncs:
                raise OSError(errno.EIO, os.strerror(errno.EIO))
            inode.durable = bytes(inode.data)

    def open_append(self, name: str) -> MemFile:
        with self.lock:
            self.check_alive()
            inode = self._files.get(name)
            if inode is None:
                inode = self._files[name] = _Inode()
            return MemFile(self, inode)

    def _get(self, name: str) -> _Inode:
        inode = self._files.get(name)
        if inode is None:
            raise FileNotFoundError(errno.ENOENT, os.strerror(errno.ENOENT), name)
        return inode

    def read(self, name: str, offset: int = 0, size: int = -1) -> bytes:
        with self.lock:
            self.check_alive()
            data = self._get(name).data
            end = len(data) if size < 0 else offset + size
            return bytes(data[offset:end])

    def size(self, name: str) -> int:
        with self.lock:
            return len(self._get(name).data)

    def truncate(self, name: str, size: int) -> None:
        with self.lock:
            self.check_alive()
            del self._get(name).data[size:]

    def rename(self, src: str, dst: str) -> None:
        with self.lock:
            self.check_alive()
            self._files[dst] = self._get(src)
            del self._files[src]

    def remove(self, name: str) -> None:
        with self.lock:
            self.check_alive()
            self._get(name)
            del self._files[name]

    def listdir(self) -> list[str]:
        with self.lock:
            return sorted(self._files)

    def fsync_dir(self) -> None:
        with self.lock:
            self.check_alive()
            self.dir_fsyncs += 1
            if self.fail_fsyncs:
                raise OSError(errno.EIO, os.strerror(errno.EIO))
            self._durable_files = dict(self._files)
