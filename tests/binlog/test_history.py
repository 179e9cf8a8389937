"""Snapshots, retention of history, and readers (by position, by version vector, tailing)."""

from __future__ import annotations

import asyncio

import pytest

from binlog import (
    Binlog,
    Cursor,
    HistoryCompacted,
    LogRecord,
    MemoryFS,
    Options,
    Retention,
    read_from,
    read_since,
    recover,
    start_for_vv,
    tail,
)
from tests.binlog.helpers import rec


class Clock:
    def __init__(self) -> None:
        self.now = 1_700_000_000.0

    def __call__(self) -> float:
        return self.now


async def fill(log: Binlog, records: list[LogRecord]) -> list[int]:
    """One batch per record, so small segments rotate often."""
    ends = []
    for r in records:
        ends.append(log.append(r))
        await log.durable(ends[-1])
    return ends


def two_origins(first: int, last: int) -> list[LogRecord]:
    return [rec(i, "eu" if i % 2 else "us", payload=b"v" * 20) for i in range(first, last + 1)]


def test_snapshot_then_recovery_replays_only_what_follows() -> None:
    fs = MemoryFS()
    records = two_origins(1, 12)

    async def go() -> int:
        log = Binlog.open(fs, Options(fsync="always", segment_bytes=100))
        ends = await fill(log, records)
        await log.write_snapshot(b"STATE@8", {"eu": 7, "us": 8}, ends[7])
        assert log.stats()["binlog_snapshot_position"] == ends[7]
        await log.close()
        return ends[7]

    position = asyncio.run(go())
    replayed: list[LogRecord] = []
    r = recover(fs, lambda e: replayed.append(e.record))
    assert r.snapshot is not None
    assert (r.snapshot.payload, r.snapshot.vv, r.snapshot.position) == (
        b"STATE@8",
        {"eu": 7, "us": 8},
        position,
    )
    assert replayed == records[8:] and r.vv == {"eu": 11, "us": 12}


def test_compaction_keeps_the_size_window_and_reports_compacted_history() -> None:
    fs = MemoryFS()

    async def go() -> None:
        keep = Retention(history_bytes=300, history_seconds=None)
        log = Binlog.open(fs, Options(fsync="always", segment_bytes=100, retention=keep))
        ends = await fill(log, two_origins(1, 40))
        await log.write_snapshot(b"S", log.vv, ends[-1])
        segs = log.view.manifest.segments
        first = segs[0]
        assert first.base > 0
        # The retired segment ended at first.base: more than 300 bytes before the end.
        assert first.end is not None and log.end - first.base > 300 >= log.end - first.end
        # What stays is readable; what went is reported, by position and by version vector.
        kept = [e.record.seq for e in read_from(log, first.base)]
        assert kept == list(range(40 - len(kept) + 1, 41)) and len(kept) < 40
        with pytest.raises(HistoryCompacted):
            list(read_from(log, 0))
        with pytest.raises(HistoryCompacted):
            list(read_since(log, {}))
        recent = {"eu": kept[0] - 1, "us": kept[0]}
        assert [e.record.seq for e in read_since(log, recent)] == [
            s for s in kept if s > recent["eu" if s % 2 else "us"]
        ]
        await log.close()

    asyncio.run(go())


def test_segments_not_covered_by_the_snapshot_are_never_retired() -> None:
    fs = MemoryFS()

    async def go() -> None:
        keep = Retention(history_bytes=0, history_seconds=0)
        log = Binlog.open(fs, Options(fsync="always", segment_bytes=100, retention=keep))
        ends = await fill(log, two_origins(1, 10))
        await log.write_snapshot(b"S", {"eu": 3, "us": 4}, ends[3])
        assert log.view.manifest.segments[0].base <= ends[3]
        assert [e.record.seq for e in read_from(log, ends[3])] == list(range(5, 11))
        await log.close()

    asyncio.run(go())
    assert len(recover(fs).manifest.segments) > 1  # type: ignore[union-attr]


def test_compaction_by_age() -> None:
    fs = MemoryFS()
    clock = Clock()

    async def go() -> None:
        keep = Retention(history_bytes=None, history_seconds=60)
        log = Binlog.open(
            fs, Options(fsync="always", segment_bytes=100, retention=keep), wall=clock
        )
        ends = await fill(log, two_origins(1, 10))
        await log.write_snapshot(b"S", log.vv, ends[-1])
        assert log.view.manifest.segments[0].base == 0  # young history stays
        clock.now += 61
        await log.write_snapshot(b"S2", log.vv, ends[-1])
        segs = log.view.manifest.segments
        assert segs[0].base > 0 and segs[0].end is None  # only the active segment is left
        assert fs.listdir() == ["MANIFEST", segs[0].name, f"snapshot.{ends[-1]:020d}.snap"]
        await log.close()

    asyncio.run(go())


def test_read_since_starts_at_a_late_segment_and_filters_exactly() -> None:
    fs = MemoryFS()

    async def go() -> None:
        log = Binlog.open(fs, Options(fsync="no", segment_bytes=100))
        records = two_origins(1, 30)
        await fill(log, records)
        vv = {"eu": 21, "us": 18}
        assert start_for_vv(log.view, vv) > 0  # whole segments are skipped, not re-read
        got = [e.record for e in read_since(log, vv)]
        assert got == [r for r in records if r.seq > vv[r.origin]]
        await log.close()

    asyncio.run(go())


def test_cursor_reads_records_bigger_than_its_chunk() -> None:
    fs = MemoryFS()

    async def go() -> None:
        log = Binlog.open(fs, Options(fsync="no"))
        big = [rec(i, payload=bytes([i]) * 5000) for i in range(1, 4)]
        await fill(log, big)
        cursor = Cursor(log, 0)
        got: list[LogRecord] = []
        while batch := cursor.read_batch(max_bytes=1000):
            got.extend(e.record for e in batch)
        assert got == big
        await log.close()

    asyncio.run(go())


def test_tail_wakes_on_append_and_ends_at_close() -> None:
    fs = MemoryFS()

    async def go() -> None:
        log = Binlog.open(fs, Options(fsync="everysec", segment_bytes=150))
        await fill(log, two_origins(1, 3))
        got: list[int] = []

        async def follow() -> None:
            async for entry in tail(log, vv={"eu": 1, "us": 2}):
                got.append(entry.record.seq)

        task = asyncio.create_task(follow())
        for _ in range(100):  # bounded: the history is delivered first
            if got == [3]:
                break
            await asyncio.sleep(0.01)
        assert got == [3]
        for r in two_origins(4, 12):  # rotations happen while tailing
            log.append(r)
            await asyncio.sleep(0)
        for _ in range(200):
            if len(got) == 10:
                break
            await asyncio.sleep(0.01)
        assert got == list(range(3, 13))
        await log.close()
        await asyncio.wait_for(task, 5)

    asyncio.run(go())


def test_durable_only_tail_sees_records_after_fsync() -> None:
    fs = MemoryFS()

    async def go() -> None:
        log = Binlog.open(fs, Options(fsync="no"))
        end = log.append(rec(1))
        while log.view.written < end:
            await log.wait_written()
        assert Cursor(log, 0, durable_only=True).read_batch() == []
        await log.durable(end)
        assert [e.record.seq for e in Cursor(log, 0, durable_only=True).read_batch()] == [1]
        await log.close()

    asyncio.run(go())
