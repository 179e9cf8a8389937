"""Recovery: torn tails are dropped with a warning, everything else is refused loudly."""

from __future__ import annotations

import asyncio
import itertools
import logging

import pytest

from binlog import Binlog, CorruptLog, MemoryFS, Options, recover
from binlog.format import SEGMENT_HEADER_SIZE
from binlog.manifest import MANIFEST, read_manifest, segment_name
from tests.binlog.helpers import copy_fs, rec, records_of, write_log

SEG0 = segment_name(0)


def test_empty_directory_opens_as_an_empty_log() -> None:
    fs = MemoryFS()
    assert records_of(fs) == []
    write_log(fs, [])
    assert fs.listdir() == [MANIFEST, SEG0]
    assert recover(fs).end == 0


def test_recovery_reports_the_version_vector_and_max_hlc() -> None:
    fs = MemoryFS()
    write_log(fs, [rec(1), rec(1, "us"), rec(2), rec(2, "us", eu=2)])
    r = recover(fs)
    assert r.vv == {"eu": 2, "us": 2} and r.max_hlc == 1_000_002 and r.records == 4


@pytest.mark.parametrize("zero_fill", [False, True])
def test_torn_tail_at_every_offset_keeps_all_earlier_records(
    zero_fill: bool, caplog: pytest.LogCaptureFixture
) -> None:
    fs = MemoryFS()
    records = [rec(i) for i in range(1, 6)] + [rec(6, payload=b"z" * 40, us=3, ap=9)]
    ends = write_log(fs, records)
    full = fs.contents(SEG0)
    last = ends[-2] + SEGMENT_HEADER_SIZE  # file offset where the last record starts
    assert len(full) == ends[-1] + SEGMENT_HEADER_SIZE
    for cut in range(last + 1, len(full)):
        disk = copy_fs(fs)
        disk.truncate(SEG0, cut)
        if zero_fill:  # the file grew but the data never reached the disk
            disk.open_append(SEG0).write(bytes(len(full) - cut))
        caplog.clear()
        with caplog.at_level(logging.WARNING, "binlog"):
            assert records_of(disk) == records[:-1], cut
        assert f"{SEG0} at offset {last}" in caplog.text, cut
        assert disk.size(SEG0) == last
        ends_after = write_log(disk, [records[-1]])  # the log accepts appends again
        assert ends_after == [ends[-1]] and records_of(disk) == records


def test_corruption_mid_segment_names_file_and_offset() -> None:
    fs = MemoryFS()
    ends = write_log(fs, [rec(i) for i in range(1, 7)])
    offset = ends[1] + SEGMENT_HEADER_SIZE  # the third record
    fs.corrupt(SEG0, offset + 15)  # a body byte
    with pytest.raises(CorruptLog) as err:
        recover(fs)
    assert (err.value.file, err.value.offset) == (SEG0, offset)
    assert f"{SEG0}: corrupt at offset {offset}" in str(err.value)
    assert fs.size(SEG0) == ends[-1] + SEGMENT_HEADER_SIZE  # nothing was truncated


def test_damage_at_the_end_of_a_sealed_segment_is_corruption_not_a_torn_tail() -> None:
    fs = MemoryFS()

    async def go() -> None:
        log = Binlog.open(fs, Options(fsync="always", segment_bytes=100))
        for i in range(1, 20):
            await log.durable(log.append(rec(i)))
        await log.close()

    asyncio.run(go())
    manifest = read_manifest(fs)
    assert manifest is not None and len(manifest.segments) > 2
    first = manifest.segments[0]
    size = fs.size(first.name)
    fs.corrupt(first.name, size - 1)
    with pytest.raises(CorruptLog) as err:
        recover(fs)
    assert err.value.file == first.name and 0 < err.value.offset < size


def test_missing_segment_and_bad_manifest_are_refused() -> None:
    fs = MemoryFS()
    write_log(fs, [rec(1)])
    broken = copy_fs(fs)
    broken.remove(SEG0)
    with pytest.raises(CorruptLog, match="listed in the manifest is missing"):
        recover(broken)
    broken = copy_fs(fs)
    broken.corrupt(MANIFEST, 30)
    with pytest.raises(CorruptLog, match="MANIFEST: corrupt at offset 0"):
        recover(broken)
    broken = copy_fs(fs)
    broken.remove(MANIFEST)
    with pytest.raises(CorruptLog, match=r"MANIFEST.*missing"):
        recover(broken)


def test_rotation_seals_segments_with_their_start_vectors() -> None:
    fs = MemoryFS()

    async def go() -> list[int]:
        log = Binlog.open(fs, Options(fsync="no", segment_bytes=120))
        ends = []
        for i in range(1, 31):
            ends.append(log.append(rec(i, "eu" if i % 2 else "us")))
            await log.durable(ends[-1])
        await log.close()
        return ends

    ends = asyncio.run(go())
    manifest = read_manifest(fs)
    assert manifest is not None
    segs = manifest.segments
    assert len(segs) >= 5 and segs[-1].end is None
    for before, after in itertools.pairwise(segs):
        assert before.end == after.base and before.end - before.base >= 120
        assert after.base in ends
        seen = {"eu": 0, "us": 0}
        for i, end in enumerate(ends, start=1):
            if end <= after.base:
                seen["eu" if i % 2 else "us"] = i
        assert after.start_vv == {k: v for k, v in seen.items() if v}
    assert [r.seq for r in records_of(fs)] == list(range(1, 31))


class CrashingFS(MemoryFS):
    """Loses power at the first `rename` or `fsync_dir` of the manifest once armed."""

    def __init__(self, at: str) -> None:
        super().__init__()
        self.at = at
        self.armed = False
        self.disk: MemoryFS | None = None

    def _maybe_crash(self, op: str) -> None:
        if self.armed and op == self.at and self.disk is None:
            self.disk = self.crash()
            self.check_alive()

    def rename(self, src: str, dst: str) -> None:
        super().rename(src, dst)
        self._maybe_crash("rename")

    def fsync_dir(self) -> None:
        self._maybe_crash("fsync_dir")
        super().fsync_dir()


@pytest.mark.parametrize("at", ["rename", "fsync_dir"])
def test_crash_during_rotation_leaves_a_consistent_log(at: str) -> None:
    fs = CrashingFS(at)
    acked: list[int] = []

    async def go() -> None:
        log = Binlog.open(fs, Options(fsync="always", segment_bytes=10_000, retry_seconds=60))
        for i in range(1, 4):
            await log.durable(log.append(rec(i)))
            acked.append(i)
        fs.armed = True
        big = log.append(rec(4, payload=b"b" * 10_000))  # fills the segment: rotation
        with pytest.raises(Exception, match="crashed"):
            await log.durable(big)
        await log.close()

    asyncio.run(go())
    assert fs.disk is not None
    # The new segment never became visible: its directory entry was not fsynced.
    assert fs.disk.listdir() == [MANIFEST, SEG0]
    seqs = [r.seq for r in records_of(fs.disk)]
    assert seqs[:3] == acked and seqs in ([1, 2, 3], [1, 2, 3, 4])
    write_log(fs.disk, [rec(len(seqs) + 1)])  # the log opens and grows
    assert len(records_of(fs.disk)) == len(seqs) + 1


def test_files_the_manifest_does_not_list_are_removed_at_open(
    caplog: pytest.LogCaptureFixture,
) -> None:
    fs = MemoryFS()
    write_log(fs, [rec(1)])
    for name in (segment_name(999), "snapshot.00000000000000000005.snap", "MANIFEST.tmp"):
        fs.open_append(name).write(b"leftover")
    for name in ("unrelated.txt", "other.tmp"):
        fs.open_append(name).write(b"not ours")
    with caplog.at_level(logging.WARNING, "binlog"):
        assert recover(fs).removed == [
            "MANIFEST.tmp",
            segment_name(999),
            "snapshot.00000000000000000005.snap",
        ]
    assert "the manifest does not list" in caplog.text
    assert fs.listdir() == [MANIFEST, SEG0, "other.tmp", "unrelated.txt"]


def _log_with_snapshot_after(fs: MemoryFS, history: int, after: int) -> list[int]:
    """`history` records, a snapshot at their end, then `after` more records."""

    async def go() -> list[int]:
        log = Binlog.open(fs, Options(fsync="always"))
        ends = [log.append(rec(i, "us" if i % 2 else "eu")) for i in range(1, history + 1)]
        await log.write_snapshot(b"S", {"eu": 2}, ends[-1])  # a vector behind the records
        ends += [log.append(rec(i, "ap")) for i in range(1, after + 1)]
        await log.close()
        return ends

    return asyncio.run(go())


def test_a_start_replays_after_the_snapshot_and_only_checks_the_history_before() -> None:
    fs = MemoryFS()
    _log_with_snapshot_after(fs, 6, 2)
    replayed: list[tuple[str, int]] = []
    r = recover(fs, lambda e: replayed.append((e.record.origin, e.record.seq)), skim_history=True)
    assert replayed == [("ap", 1), ("ap", 2)]
    # The vector still counts the history's records (eu: 2, 4, 6; us: 1, 3, 5),
    # beyond what the snapshot's vector says.
    assert r.vv == {"eu": 6, "us": 5, "ap": 2} and r.max_hlc == 1_000_002


def test_corruption_in_the_history_before_the_snapshot_still_refuses_to_start() -> None:
    fs = MemoryFS()
    ends = _log_with_snapshot_after(fs, 6, 2)
    offset = ends[1] + SEGMENT_HEADER_SIZE  # the third record, long before the snapshot
    fs.corrupt(SEG0, offset + 15)
    with pytest.raises(CorruptLog) as err:
        recover(fs, skim_history=True)
    assert (err.value.file, err.value.offset) == (SEG0, offset)
