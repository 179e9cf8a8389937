"""Shared helpers of the binlog tests: records, a whole log written through the loop, fs copies."""

from __future__ import annotations

import asyncio

from binlog import Binlog, LogRecord, MemoryFS, Options, recover


def rec(seq: int, origin: str = "eu", payload: bytes = b"", **deps: int) -> LogRecord:
    return LogRecord(origin, seq, 1_000_000 + seq, payload or f"p{seq}".encode(), dict(deps))


def write_log(fs: MemoryFS, records: list[LogRecord], options: Options | None = None) -> list[int]:
    """Append and fsync `records` in one go (one loop run); returns their end positions."""

    async def go() -> list[int]:
        log = Binlog.open(fs, options or Options(fsync="always"))
        ends = [log.append(r) for r in records]
        await log.close()
        return ends

    return asyncio.run(go())


def copy_fs(fs: MemoryFS) -> MemoryFS:
    """A durable copy of every file (what a fresh disk image with the same bytes holds)."""
    out = MemoryFS()
    for name in fs.listdir():
        f = out.open_append(name)
        f.write(fs.contents(name))
        f.fsync()
    out.fsync_dir()
    return out


def records_of(fs: MemoryFS) -> list[LogRecord]:
    seen: list[LogRecord] = []
    recover(fs, lambda e: seen.append(e.record))
    return seen
