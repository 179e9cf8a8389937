"""Reading the log back: from a position, from a version vector, and tailing new appends.

Owns cursors over segment files for the replicator and the tools. A cursor
reads only what the writer has published (`Binlog.view`), chunk by chunk,
and never re-reads the whole log: a version vector picks its starting
segment from the manifest's per-segment start vectors. History retired by
compaction is reported with `HistoryCompacted` so the caller can fall back
to a full sync. Must not know what payloads mean.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass
from typing import TypeVar

from binlog.errors import CorruptLog, HistoryCompacted
from binlog.format import SEGMENT_HEADER_SIZE, BadFrame, read_frame, scan_frame
from binlog.manifest import SegmentInfo
from binlog.recovery import Entry
from binlog.writer import Binlog, View

CHUNK = 1 << 20

T = TypeVar("T")
# What a cursor makes of the frame at an offset: (value, offset after it) or why not.
Step = Callable[[bytes, int], "tuple[T, int] | BadFrame"]


@dataclass(slots=True, frozen=True)
class Frames:
    """Intact frames exactly as the log holds them (checksums verified, bodies not
    decoded): `data` is the log from `position` on; frame i is `data[ends[i-1]:ends[i]]`
    (from 0 for the first) and holds origin `keys[i][0]`'s record seq `keys[i][1]`."""

    position: int
    data: bytes
    keys: list[tuple[str, int]]
    ends: list[int]


def start_for_vv(view: View, vv: dict[str, int]) -> int:
    """The base of the latest segment whose predecessors hold nothing `vv` has not seen."""
    start = None
    for seg in view.manifest.segments:
        if all(vv.get(origin, 0) >= seq for origin, seq in seg.start_vv.items()):
            start = seg.base
    if start is None:
        first = view.manifest.segments[0]
        raise HistoryCompacted(
            f"records after {vv} were compacted away (history starts after {first.start_vv})"
        )
    return start


class Cursor:
    """Reads records from `position` on (blocking file reads: run it in a thread)."""

    def __init__(self, log: Binlog, position: int, *, durable_only: bool = False) -> None:
        self.log = log
        self.position = position
        self.durable_only = durable_only

    def _segment(self, view: View) -> SegmentInfo:
        segments = view.manifest.segments
        if self.position < segments[0].base:
            raise HistoryCompacted(
                f"position {self.position} was compacted away (log starts at {segments[0].base})"
            )
        found = segments[0]
        for seg in segments:
            if seg.base <= self.position:
                found = seg
        return found

    def read_batch(self, max_bytes: int = CHUNK) -> list[Entry]:
        """The next records (about `max_bytes` of them); empty when caught up."""
        start = pos = self.position
        entries = []
        for record, end in self._read(max_bytes, read_frame)[1]:
            entries.append(Entry(pos, start + end, record))
            pos = start + end
        return entries

    def read_frames(self, max_bytes: int = CHUNK) -> Frames | None:
        """The next frames undecoded (about `max_bytes` of them); None when caught up."""
        start = self.position
        data, found = self._read(max_bytes, scan_frame)
        if not found:
            return None
        return Frames(start, data, [key for key, _ in found], [end for _, end in found])

    def _read(self, max_bytes: int, step: Step[T]) -> tuple[bytes, list[tuple[T, int]]]:
        """The next whole frames as `step` reads them (offsets relative to the old
        position), and the bytes they occupy; the cursor moves past them."""
        view = self.log.view
        limit = view.synced if self.durable_only else view.written
        seg = self._segment(view)
        seg_end = limit if seg.end is None else seg.end
        if self.position >= seg_end:
            return b"", []
        offset = self.position - seg.base + SEGMENT_HEADER_SIZE
        want = min(seg_end - self.position, max_bytes)
        while True:
            try:
                data = self.log.fs.read(seg.name, offset, want)
            except FileNotFoundError:
                raise HistoryCompacted(f"{seg.name} was retired while being read") from None
            complete = want == seg_end - self.position
            found = _walk(data, step, seg, offset, complete)
            if found or complete:
                used = found[-1][1] if found else 0
                self.position += used
                return data[:used] if used < len(data) else data, found
            want = min(seg_end - self.position, want * 2)  # one record bigger than the chunk


def _walk(
    data: bytes, step: Step[T], seg: SegmentInfo, offset: int, complete: bool
) -> list[tuple[T, int]]:
    found: list[tuple[T, int]] = []
    pos = 0
    while pos < len(data):
        frame = step(data, pos)
        if isinstance(frame, BadFrame):
            if frame.torn and not complete:
                break  # the chunk ends inside a record: the next batch reads it whole
            raise CorruptLog(seg.name, offset + pos, frame.reason)
        found.append(frame)
        pos = frame[1]
    return found


def read_from(log: Binlog, position: int, *, durable_only: bool = False) -> Iterator[Entry]:
    """Every record from `position` up to what is written now (blocking reads)."""
    cursor = Cursor(log, position, durable_only=durable_only)
    while batch := cursor.read_batch():
        yield from batch


def read_since(log: Binlog, vv: dict[str, int]) -> Iterator[Entry]:
    """Every record with seq > vv[origin] written now (blocking reads)."""
    for entry in read_from(log, start_for_vv(log.view, vv)):
        if entry.record.seq > vv.get(entry.record.origin, 0):
            yield entry


async def tail(
    log: Binlog,
    position: int | None = None,
    *,
    vv: dict[str, int] | None = None,
    durable_only: bool = False,
) -> AsyncIterator[Entry]:
    """Records from `position` (or those `vv` lacks), then each new one as it is written.

    File reads run in a worker thread; when caught up the iterator sleeps until
    the writer publishes more. Ends when the log is closed.
    """
    if position is None:
        position = start_for_vv(log.view, vv or {})
    cursor = Cursor(log, position, durable_only=durable_only)
    while True:
        woken = log.wait_written()
        batch = await asyncio.to_thread(cursor.read_batch)
        if not batch:
            if log.closed:
                return
            await woken
            continue
        woken.cancel()
        for entry in batch:
            if vv is None or entry.record.seq > vv.get(entry.record.origin, 0):
                yield entry
