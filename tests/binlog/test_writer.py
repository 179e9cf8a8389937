"""The writer: group commit, fsync policies, and the failed state on a failing disk."""

from __future__ import annotations

import asyncio
import random
import threading
import time
from typing import Any

import pytest

from binlog import Binlog, LogRecord, MemoryFS, Options, WriteFailed
from binlog.writer import Policy
from tests.binlog.helpers import rec, records_of


def test_appends_of_one_loop_iteration_share_one_write_and_one_fsync() -> None:
    fs = MemoryFS()

    async def go() -> None:
        log = Binlog.open(fs, Options(fsync="always"))
        writes, fsyncs = fs.writes, fs.fsyncs
        ends = [log.append(rec(i)) for i in range(1, 101)]
        await asyncio.gather(*(log.durable(e) for e in ends))
        assert (fs.writes - writes, fs.fsyncs - fsyncs) == (1, 1)
        await log.close()

    asyncio.run(go())
    assert [r.seq for r in records_of(fs)] == list(range(1, 101))


def test_concurrent_writers_are_group_committed() -> None:
    fs = MemoryFS()
    acked: list[int] = []

    async def writer(log: Binlog, origin: str) -> None:
        for seq in range(1, 21):
            await log.durable(log.append(rec(seq, origin)))
            acked.append(seq)

    async def go() -> None:
        log = Binlog.open(fs, Options(fsync="always"))
        fsyncs = fs.fsyncs
        await asyncio.gather(*(writer(log, f"r{i}") for i in range(50)))
        # 1000 acknowledged records; each round of 50 shares one fsync (plus stragglers).
        assert fs.fsyncs - fsyncs <= 100
        await log.close()

    asyncio.run(go())
    assert len(acked) == 1000 and len(records_of(fs)) == 1000


def test_under_always_the_next_commit_waits_for_the_clients_its_last_one_released() -> None:
    # Like clients on sockets, half the writers take a turn of the loop between their
    # reply and their next write. Started as soon as the last fsync ended, each commit
    # would take the quick half only, the slow half the next one (39 fsyncs here);
    # started a few turns later, it takes both.
    fs = MemoryFS()
    fs.fsync_seconds = 0.002

    async def writer(log: Binlog, origin: str, think: int) -> None:
        for seq in range(1, 21):
            await log.durable(log.append(rec(seq, origin)))
            for _ in range(think):
                await asyncio.sleep(0)

    async def go() -> None:
        log = Binlog.open(fs, Options(fsync="always"))
        fsyncs = fs.fsyncs
        await asyncio.gather(*(writer(log, f"r{i}", i % 2) for i in range(50)))
        assert fs.fsyncs - fsyncs <= 30  # 20 rounds of 50 writes
        await log.close()

    asyncio.run(go())
    assert len(records_of(fs)) == 1000


class NotingFS(MemoryFS):
    """Notes which thread writes, and each write made while an fsync runs."""

    def __init__(self) -> None:
        super().__init__()
        self.write_threads: list[int] = []
        self.syncing = False
        self.writes_during_fsync = 0

    def do_write(self, inode: Any, data: bytes) -> None:
        self.write_threads.append(threading.get_ident())
        self.writes_during_fsync += self.syncing
        super().do_write(inode, data)

    def do_fsync(self, inode: Any) -> None:
        self.syncing = True
        try:
            super().do_fsync(inode)
        finally:
            self.syncing = False


def test_a_write_without_fsync_is_made_on_the_loop_also_while_the_thread_fsyncs() -> None:
    fs = NotingFS()
    fs.fsync_seconds = 0.05

    async def go() -> None:
        log = Binlog.open(fs, Options(fsync="everysec"))
        fs.write_threads.clear()
        first = log.append(rec(1))
        await asyncio.sleep(0)  # one turn: the write is done, no thread round trip
        assert log.view.written == first
        assert fs.write_threads == [threading.get_ident()]
        synced = log.durable(first)  # an fsync on the binlog thread, 50 ms
        await asyncio.sleep(0.01)
        second = log.append(rec(2))
        await asyncio.sleep(0.01)
        # Written (readers, the replicator, see it) while the fsync runs ...
        assert log.view.written == second and log.view.synced < first
        assert fs.writes_during_fsync == 1
        assert fs.write_threads == [threading.get_ident()] * 2
        await synced
        # ... which vouches only for what was written before it started.
        assert log.view.synced == first
        await log.durable(second)
        assert log.view.synced == second
        await log.close()

    asyncio.run(go())


class SerializingFS(NotingFS):
    """A file system whose writes wait for an fsync of the file (btrfs)."""

    def do_write(self, inode: Any, data: bytes) -> None:
        self.writes_during_fsync += self.syncing
        while self.syncing:
            time.sleep(0.001)
        MemoryFS.do_write(self, inode, data)


def test_writes_wait_for_fsyncs_once_one_waited_beside_an_fsync() -> None:
    fs = SerializingFS()
    fs.fsync_seconds = 0.05

    async def go() -> None:
        log = Binlog.open(fs, Options(fsync="everysec"))
        synced = log.durable(log.append(rec(1)))
        await asyncio.sleep(0.01)
        log.append(rec(2))  # written beside the fsync: the loop waits ~40 ms, once
        await asyncio.sleep(0)
        await synced
        assert fs.writes_during_fsync == 1
        synced = log.durable(log.view.written)
        await asyncio.sleep(0.01)
        third = log.append(rec(3))
        await asyncio.sleep(0.01)
        assert log.view.written < third  # held in memory while the fsync runs ...
        await synced
        await asyncio.sleep(0)
        assert log.view.written == third  # ... and written once it is done
        assert fs.writes_during_fsync == 1
        await log.close()

    asyncio.run(go())
    assert [r.seq for r in records_of(fs.crash())] == [1, 2, 3]


def test_under_always_the_binlog_thread_writes() -> None:
    fs = NotingFS()

    async def go() -> None:
        log = Binlog.open(fs, Options(fsync="always"))
        fs.write_threads.clear()
        await log.durable(log.append(rec(1)))
        assert fs.write_threads and threading.get_ident() not in fs.write_threads
        await log.close()

    asyncio.run(go())


def test_append_returns_increasing_positions_before_any_io() -> None:
    fs = MemoryFS()

    async def go() -> None:
        log = Binlog.open(fs, Options(fsync="no"))
        start_writes = fs.writes
        ends = [log.append(rec(i)) for i in range(1, 4)]
        assert ends == sorted(ends) and fs.writes == start_writes  # nothing written yet
        assert log.stats()["binlog_pending_bytes"] == ends[-1] - log.view.written
        await log.close()

    asyncio.run(go())


def test_no_policy_writes_without_fsync_and_durable_forces_one() -> None:
    fs = MemoryFS()

    async def go() -> None:
        log = Binlog.open(fs, Options(fsync="no"))
        fsyncs = fs.fsyncs
        end = log.append(rec(1))
        for _ in range(5):
            await asyncio.sleep(0)
        while log.view.written < end:
            await log.wait_written()
        assert fs.fsyncs == fsyncs and log.stats()["binlog_unsynced_bytes"] == end - log.view.synced
        await log.durable(end)
        assert fs.fsyncs == fsyncs + 1
        await log.close()

    asyncio.run(go())


def test_everysec_fsyncs_in_the_background_within_about_a_second() -> None:
    fs = MemoryFS()

    async def go() -> None:
        log = Binlog.open(fs, Options(fsync="everysec"))
        fsyncs = fs.fsyncs
        end = log.append(rec(1))
        for _ in range(20):
            if log.view.synced >= end:
                break
            await asyncio.sleep(0.1)
        else:
            pytest.fail("everysec never fsynced within 2 s")
        assert fs.fsyncs == fsyncs + 1
        await log.close()

    asyncio.run(go())


def test_reordered_or_duplicate_seq_is_refused() -> None:
    async def go() -> None:
        log = Binlog.open(MemoryFS())
        log.append(rec(1))
        log.append(rec(2))
        log.append(rec(1, "us"))
        with pytest.raises(ValueError, match="seq 2 of 'eu' is not after 2"):
            log.append(rec(2))
        await log.close()

    asyncio.run(go())


def _fault(fs: MemoryFS, kind: str, on: bool) -> None:
    if kind == "write":
        fs.fail_writes = on
    elif kind == "fsync":
        fs.fail_fsyncs = on
    else:
        fs.capacity = fs.used() + 100 if on else None  # the next batch fits only in part


async def append_once_recovered(log: Binlog, record: LogRecord) -> int:
    """Append `record` as soon as the writer accepts appends again (2 s at most)."""
    for _ in range(200):
        try:
            return log.append(record)
        except WriteFailed:
            await asyncio.sleep(0.01)
    pytest.fail("the writer never recovered")


@pytest.mark.parametrize("policy", ["always", "everysec"])
@pytest.mark.parametrize("kind", ["write", "fsync", "full"])
def test_failing_disk_rejects_appends_then_recovers(kind: str, policy: Policy) -> None:
    fs = MemoryFS()

    async def go() -> None:
        log = Binlog.open(fs, Options(fsync=policy, retry_seconds=0.01))
        await log.durable(log.append(rec(1)))
        _fault(fs, kind, True)
        ends = [log.append(rec(seq, payload=b"x" * 50)) for seq in (2, 3, 4)]
        with pytest.raises(WriteFailed):
            await log.durable(ends[-1])
        with pytest.raises(WriteFailed):
            log.append(rec(5))
        stats = log.stats()
        assert stats["binlog_last_error"] and log.view.synced < ends[0]
        assert "err" in (stats["binlog_last_write_status"], stats["binlog_last_fsync_status"])
        await asyncio.sleep(0.05)  # retries keep failing while the fault lasts
        with pytest.raises(WriteFailed):
            log.append(rec(5))
        _fault(fs, kind, False)
        end = await append_once_recovered(log, rec(5))
        await log.durable(end)
        assert log.stats()["binlog_last_error"] == ""
        await log.close()

    asyncio.run(go())
    # Everything appended before the fault was rewritten once the disk recovered, exactly once.
    assert [r.seq for r in records_of(fs.crash())] == [1, 2, 3, 4, 5]


@pytest.mark.parametrize("kind", ["write", "fsync"])
def test_a_failure_after_writes_made_during_an_fsync_loses_none_of_them(kind: str) -> None:
    fs = MemoryFS()
    fs.fsync_seconds = 0.05

    async def go() -> None:
        log = Binlog.open(fs, Options(fsync="everysec", retry_seconds=0.01))
        if kind == "fsync":
            fs.fail_fsyncs = True  # the fsync of record 1 fails after record 2 was written
        synced = log.durable(log.append(rec(1)))
        await asyncio.sleep(0.01)
        second = log.append(rec(2))
        await asyncio.sleep(0.01)
        assert log.view.written == second
        if kind == "fsync":
            with pytest.raises(WriteFailed):
                await synced
        else:
            await synced  # it vouches for record 1 only; the write of record 3 fails
            fs.fail_writes = True
            log.append(rec(3))
            await asyncio.sleep(0.01)
            assert log.error is not None
        fs.fail_fsyncs = fs.fail_writes = False
        end = await append_once_recovered(log, rec(4 if kind == "write" else 3))
        await log.durable(end)
        await log.close()

    asyncio.run(go())
    # Rewritten from the last fsynced offset: every record once, in order.
    expected = [1, 2, 3, 4] if kind == "write" else [1, 2, 3]
    assert [r.seq for r in records_of(fs.crash())] == expected


def _crash_trial(
    rng: random.Random, policy: Policy
) -> tuple[list[LogRecord], list[LogRecord], MemoryFS]:
    """Three writers with a flaky disk, cut by a power loss at a random moment. Under
    `everysec` the loop writes while the thread fsyncs (each fsync takes a moment)."""
    fs = MemoryFS()
    if policy == "everysec":
        fs.fsync_seconds = 0.0005
    acked: list[LogRecord] = []
    sent: list[LogRecord] = []

    async def writer(log: Binlog, origin: str, count: int) -> None:
        for seq in range(1, count + 1):
            r = rec(seq, origin, payload=rng.randbytes(rng.randint(0, 40)))
            sent.append(r)
            end = log.append(r)
            if rng.random() < 0.1:
                fs.fail_fsyncs = rng.random() < 0.5
            if policy == "everysec" and rng.random() < 0.05:
                fs.fail_writes = rng.random() < 0.3
            try:
                await log.durable(end)
            except WriteFailed:
                return
            acked.append(r)

    async def go() -> MemoryFS:
        log = Binlog.open(fs, Options(fsync=policy, segment_bytes=400, retry_seconds=0.001))
        tasks = [asyncio.create_task(writer(log, f"o{i}", 30)) for i in range(3)]
        await asyncio.sleep(rng.random() * 0.02)
        disk = fs.crash(rng)  # while the writer thread may be mid-job
        for t in tasks:
            t.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await log.close()
        return disk

    disk = asyncio.run(go())
    return sent, acked, disk


@pytest.mark.parametrize("policy", ["always", "everysec"])
def test_nothing_is_reported_durable_that_a_crash_can_lose(policy: Policy) -> None:
    rng = random.Random(7)
    total_acked = total_lost = 0
    for trial in range(30):
        sent, acked, disk = _crash_trial(rng, policy)
        got = records_of(disk)
        by_origin: dict[str, list[int]] = {}
        for r in got:
            by_origin.setdefault(r.origin, []).append(r.seq)
        for seqs in by_origin.values():  # a dense prefix per origin: no hole, no reorder
            assert seqs == list(range(1, len(seqs) + 1)), trial
        assert all(r in sent for r in got), trial
        assert all(r in got for r in acked), trial  # every acknowledged record survived
        total_acked += len(acked)
        total_lost += len(sent) - len(got)
    assert total_acked > 100 and total_lost > 0  # the trials did exercise both sides
