"""Memory accounting: an honest `used_memory` and the maxmemory check.

Owns reading how much the process has allocated (glibc's mallinfo2, which
counts CPython's arenas too; RSS where it is unavailable) and rate-limiting
that reading on the write path. Must not know commands or keys.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import os
import time
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from node.core import Node


class _MallInfo2(ctypes.Structure):
    _fields_ = [
        (name, ctypes.c_size_t)
        for name in (
            "arena", "ordblks", "smblks", "hblks", "hblkhd", "usmblks",
            "fsmblks", "uordblks", "fordblks", "keepcost",
        )
    ]  # fmt: skip


def _load_mallinfo2() -> ctypes._CFuncPtr | None:  # type: ignore[name-defined]
    path = ctypes.util.find_library("c")
    if path is None:
        return None
    libc = ctypes.CDLL(path)
    fn = getattr(libc, "mallinfo2", None)
    if fn is not None:
        fn.restype = _MallInfo2
    return fn


_mallinfo2 = _load_mallinfo2()
_PAGE = os.sysconf("SC_PAGE_SIZE") if hasattr(os, "sysconf") else 4096


def rss_bytes() -> int:
    try:
        with open("/proc/self/statm", "rb") as f:
            return int(f.read().split()[1]) * _PAGE
    except OSError:
        return 0


def used_bytes() -> int:
    """Bytes allocated through malloc and mmap (in use, not merely reserved)."""
    if _mallinfo2 is None:
        return rss_bytes()
    info = _mallinfo2()
    return int(info.uordblks + info.hblkhd)


class _Sample:
    at = 0.0
    value = 0


_sample = _Sample()
_SAMPLE_SECONDS = 0.01


def used_memory() -> int:
    """`used_bytes`, read at most every 10 ms: the write path asks on every write."""
    now = time.monotonic()
    if now - _sample.at >= _SAMPLE_SECONDS:
        _sample.value = used_bytes()
        _sample.at = now
    return _sample.value


def over_maxmemory(node: Node) -> bool:
    limit: int = node.config["maxmemory"]
    return limit > 0 and used_memory() > limit
