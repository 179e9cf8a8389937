"""Micro-benchmark of the binlog writer on real files (not a test: prints numbers).

    .venv/bin/python bench/binlog_micro.py [--records N] [--dir DIR]

1. appends/s under `no` and `everysec`: the loop-side cost of `append`, with
   1000 appends per loop iteration, then the time until all is fsynced;
2. acknowledged records/s under `always` with 50 concurrent writers that each
   append and await durability (group commit), and records per fsync;
3. sequential read-back rate of `read_from`.
"""

from __future__ import annotations

import argparse
import asyncio
import tempfile
import time
from collections.abc import Coroutine
from types import ModuleType
from typing import Any

from binlog import Binlog, LogRecord, Options, RealFS, read_from
from binlog.fs import AppendFile
from binlog.writer import Policy

try:
    import uvloop as _uvloop

    uvloop: ModuleType | None = _uvloop
except ImportError:  # the node runs on uvloop where available; so does this benchmark
    uvloop = None

PAYLOAD = b"\x01" * 64
DEPS = {"eu-west": 1_000_000, "us-east": 2_000_000, "ap-south": 3_000_000}


class CountingFS(RealFS):
    fsyncs = 0

    def open_append(self, name: str) -> AppendFile:
        f = super().open_append(name)
        real = f.fsync
        fs = self

        def fsync() -> None:
            fs.fsyncs += 1
            real()

        f.fsync = fsync  # type: ignore[method-assign]
        return f


async def bulk(directory: str, policy: Policy, count: int) -> None:
    log = Binlog.open(RealFS(directory), Options(fsync=policy))
    records = [LogRecord("eu-west", i, i << 16, PAYLOAD, DEPS) for i in range(1, count + 1)]
    start = time.perf_counter()
    on_loop = 0.0
    for i in range(0, count, 1000):
        t = time.perf_counter()
        for r in records[i : i + 1000]:
            log.append(r)
        on_loop += time.perf_counter() - t
        await asyncio.sleep(0)
    end = log.end
    await log.durable(end)
    total = time.perf_counter() - start
    await log.close()
    print(
        f"{policy:>8}: {count / on_loop:>10,.0f} appends/s on the loop "
        f"({on_loop / count * 1e6:.2f} us each), {count / total:>9,.0f} records/s "
        f"until fsynced, {end / total / 1e6:.1f} MB/s"
    )


async def concurrent_always(directory: str, writers: int, seconds: float) -> None:
    fs = CountingFS(directory)
    log = Binlog.open(fs, Options(fsync="always"))
    acked = 0
    deadline = time.perf_counter() + seconds

    async def writer(origin: str) -> None:
        nonlocal acked
        seq = 0
        while time.perf_counter() < deadline:
            seq += 1
            await log.durable(log.append(LogRecord(origin, seq, seq, PAYLOAD, DEPS)))
            acked += 1

    start, fsyncs = time.perf_counter(), fs.fsyncs
    await asyncio.gather(*(writer(f"w{i}") for i in range(writers)))
    elapsed = time.perf_counter() - start
    syncs = fs.fsyncs - fsyncs
    await log.close()
    print(
        f"  always: {acked / elapsed:>10,.0f} acknowledged records/s with {writers} writers, "
        f"{syncs / elapsed:,.0f} fsyncs/s, {acked / max(syncs, 1):.1f} records per fsync"
    )


def read_back(directory: str) -> None:
    log = Binlog.open(RealFS(directory))
    start = time.perf_counter()
    n = sum(1 for _ in read_from(log, log.view.manifest.segments[0].base))
    elapsed = time.perf_counter() - start
    print(f"    read: {n / elapsed:>10,.0f} records/s sequential read_from ({n} records)")
    asyncio.run(log.close())


def run(coro: Coroutine[Any, Any, None]) -> None:
    if uvloop is None:
        asyncio.run(coro)
    else:
        uvloop.run(coro)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--records", type=int, default=200_000)
    parser.add_argument("--dir", default=None, help="where to write (default: a temp dir)")
    args = parser.parse_args()
    print(f"event loop: {'uvloop' if uvloop is not None else 'asyncio'}")
    for policy in ("no", "everysec"):
        with tempfile.TemporaryDirectory(dir=args.dir) as d:
            run(bulk(d, policy, args.records))
            if policy == "no":
                read_back(d)
    with tempfile.TemporaryDirectory(dir=args.dir) as d:
        run(concurrent_always(d, 50, 3.0))


if __name__ == "__main__":
    main()
