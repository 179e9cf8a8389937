"""Reading frames undecoded: the bytes the log holds, with each frame's origin and seq."""

from __future__ import annotations

import asyncio

import pytest

from binlog import Binlog, CorruptLog, Cursor, LogRecord, MemoryFS, Options
from binlog.format import BadFrame, read_frame
from binlog.reader import Frames
from tests.binlog.helpers import rec


def read_all(log: Binlog, max_bytes: int) -> list[Frames]:
    cursor = Cursor(log, 0)
    out = []
    while (frames := cursor.read_frames(max_bytes)) is not None:
        out.append(frames)
    return out


def decoded(frames: Frames) -> list[LogRecord]:
    records, pos = [], 0
    for end in frames.ends:
        frame = read_frame(frames.data, pos)
        assert not isinstance(frame, BadFrame), frame
        assert frame[1] == end
        records.append(frame[0])
        pos = end
    assert pos == len(frames.data)
    return records


@pytest.mark.parametrize("max_bytes", [1, 100, 1 << 20])
def test_frames_are_the_logs_bytes_across_segments_and_chunks(max_bytes: int) -> None:
    records = [
        rec(i, "eu" if i % 3 else "us-east", payload=bytes([i]) * (i * 7)) for i in range(1, 40)
    ]

    async def go() -> None:
        log = Binlog.open(MemoryFS(), Options(fsync="no", segment_bytes=600))
        for r in records:
            await log.durable(log.append(r))  # one batch each: segments rotate in between
        await log.close()
        reads = read_all(log, max_bytes)
        position = 0
        got: list[LogRecord] = []
        for frames in reads:
            assert frames.position == position  # reads follow each other without a gap
            position += len(frames.data)
            got.extend(decoded(frames))
            assert frames.keys == [(r.origin, r.seq) for r in decoded(frames)]
        assert got == records
        assert position == log.end
        assert len(reads) > 1  # several segments, so several reads

    asyncio.run(go())


def test_a_damaged_frame_in_the_middle_is_corruption() -> None:
    fs = MemoryFS()

    async def go() -> None:
        log = Binlog.open(fs, Options(fsync="no"))
        for i in range(1, 6):
            log.append(rec(i, payload=b"x" * 30))
        await log.close()
        (name,) = [n for n in fs.listdir() if n.endswith(".seg")]
        fs.corrupt(name, len(fs.contents(name)) - 100)  # a body, not the last record's
        with pytest.raises(CorruptLog):
            Cursor(log, 0).read_frames()

    asyncio.run(go())
