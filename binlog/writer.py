"""The binlog writer: non-blocking appends from the event loop, durability policies, failures.

Owns the `Binlog` object the node holds: `append` encodes on the loop and
queues bytes; ONE background thread does every fsync, rotation and manifest
update, and under `always` the write that goes with each fsync, so the loop
never waits for the disk. Under `everysec` and `no` every write is done on the
loop: it only fills the page cache, as Redis's AOF write does, and goes on
while the thread fsyncs what was written before (a write does not wait for an
fsync of its file: 13 us p50, 0.4 ms max measured beside a thread fsyncing it
every 50 ms). Otherwise the records appended during an fsync reached the file,
and the replicator that tails it, only once the fsync was done: every second,
and for 100+ ms while a snapshot's file was being written beside it. Group
commit: all records appended during a loop iteration, or while the previous
write+fsync ran, go to the disk in one write (+ one fsync under `always`).
A failed write/fsync makes the writer refuse appends (`WriteFailed`) and fail
the durability waiters it cannot honour; every `retry_seconds` it truncates
the file back to the last safe offset and rewrites what it still holds.
The files themselves (manifest, active segment, their rotation) are
binlog.segfile's. Must not know what payloads mean, nor the node or the replicator.
"""

from __future__ import annotations

import asyncio
import heapq
import itertools
import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import partial
from typing import Literal

from binlog.errors import BinlogError, WriteFailed
from binlog.format import LogRecord, encode_record
from binlog.fs import FileSystem, write_atomically
from binlog.manifest import (
    Manifest,
    SegmentInfo,
    segment_name,
    snapshot_name,
    write_manifest,
)
from binlog.recovery import Entry, Recovery, recover
from binlog.segfile import Done, SegmentFiles
from binlog.segments import Retention, create_segment
from binlog.snapshot import snapshot_pieces
from binlog.worker import Worker

# Under `always`, the next group commit starts this many turns of the event loop
# after the last one finished, not at once: the replies it released bring the
# next requests of those clients, which then join it. One fsync for all the
# clients instead of two alternating halves: fewer fsyncs and thread hand-overs
# per write (binlog thread CPU per SET 7-8 -> 5 µs, SET throughput +10% with 50
# clients); with few clients the turns are idle ones and cost microseconds.
_GATHER_TURNS = 3
# A loop write beside an fsync that takes this long waited for it (ext4: ~60 us).
_SLOW_WRITE_SECONDS = 0.005
log = logging.getLogger("binlog")

Policy = Literal["always", "everysec", "no"]


@dataclass(slots=True, frozen=True)
class Options:
    fsync: Policy = "everysec"
    segment_bytes: int = 64 << 20
    retention: Retention = field(default_factory=Retention)
    retry_seconds: float = 1.0


@dataclass(slots=True, frozen=True)
class View:
    """What readers may read: the manifest, and how far the active segment's file holds records."""

    manifest: Manifest
    written: int
    synced: int


class Binlog:
    """Open with `Binlog.open`; use `append`/`durable`/`write_snapshot` from ONE event loop."""

    def __init__(
        self, fs: FileSystem, options: Options, recovery: Recovery, wall: Callable[[], float]
    ) -> None:
        assert recovery.manifest is not None
        self.fs = fs
        self.options = options
        self.recovery = recovery
        self._wall = wall
        self._worker = Worker()
        self._files = SegmentFiles(
            fs, recovery.manifest, options.segment_bytes, options.retention, wall
        )
        # Loop-owned.
        self._loop: asyncio.AbstractEventLoop | None = None
        self._end = self._written = self._synced = self._safe = recovery.end
        self._vv = dict(recovery.vv)
        self.max_hlc = recovery.max_hlc
        self._pending: list[bytes] = []
        # Written, not yet fsynced (rewritten after a failure): (end position, bytes).
        self._unsynced: list[tuple[int, bytes]] = []
        self._kick_scheduled = self._busy = self._sync_wanted = self._closed = False
        # An fsync alone runs in the thread: writes on the loop may go on meanwhile
        # (`_busy` is a job that writes, rotates or repairs the file: nothing else may).
        self._fsyncing = False
        # Set when a write beside an fsync was slow: some file systems (btrfs) make
        # a write wait for an fsync of its file, which would stop the loop.
        self._wait_for_fsyncs = False
        self._error: OSError | None = None
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._ids = itertools.count()
        self._tailers: list[asyncio.Future[None]] = []
        # Called on the loop whenever `view` or `error` changes (the server releases
        # replies held for an fsync from here: cheaper than a future per batch).
        self.on_publish: Callable[[], None] | None = None
        self._timer: asyncio.TimerHandle | None = None
        self._retry_timer: asyncio.TimerHandle | None = None
        self._snapshotting = False
        self._status = {"last_fsync_time": 0.0, "last_fsync_ok": True, "last_write_ok": True,
                        "last_snapshot_ok": True, "last_snapshot_time": 0.0}  # fmt: skip
        self.view = View(self._files.manifest, self._written, self._synced)

    @classmethod
    def open(
        cls,
        fs: FileSystem,
        options: Options | None = None,
        replay: Callable[[Entry], None] | None = None,
        wall: Callable[[], float] = time.time,
    ) -> Binlog:
        """Recover the log in `fs` (creating an empty one), replaying records after the snapshot.

        `binlog.recovery` then holds the snapshot, the version vector, the max
        HLC and what was truncated. Blocking: call it before serving.
        """
        recovery = recover(fs, replay, skim_history=True)
        if recovery.manifest is None:
            create_segment(fs, 0).close()
            recovery.manifest = Manifest([SegmentInfo(segment_name(0), 0)])
            write_manifest(fs, recovery.manifest)
        return cls(fs, options or Options(), recovery, wall)

    # -- the loop side ------------------------------------------------------------

    @property
    def end(self) -> int:
        """The position after the last appended record."""
        return self._end

    @property
    def vv(self) -> dict[str, int]:
        """Max seq per origin of everything appended (and recovered)."""
        return dict(self._vv)

    def append(self, record: LogRecord) -> int:
        """Queue a record; returns its end position (await `durable(position)` to wait for it).

        Raises WriteFailed while the disk is failing, ValueError if the record's
        seq does not follow its origin's last one (a reorder or a duplicate).
        """
        return self.append_frame(record.origin, record.seq, record.hlc, encode_record(record))

    def append_frame(self, origin: str, seq: int, hlc: int, data: bytes) -> int:
        """`append` of a record already framed (`encode_record`'s bytes, or a frame
        read from another log and checked): written as is, not encoded again."""
        if self._error is not None:
            raise WriteFailed(f"binlog write failed: {self._error}")
        if self._closed:
            raise BinlogError("binlog is closed")
        if seq <= self._vv.get(origin, 0):
            raise ValueError(f"seq {seq} of {origin!r} is not after {self._vv[origin]}")
        self._vv[origin] = seq
        if hlc > self.max_hlc:
            self.max_hlc = hlc
        self._pending.append(data)
        self._end += len(data)
        if not self._kick_scheduled:
            self._schedule_kick()
        return self._end

    def durable(self, position: int) -> asyncio.Future[None]:
        """Resolves once everything before `position` is fsynced (forces an fsync under
        `everysec`/`no`); fails with WriteFailed if the disk fails first."""
        fut = self._bind().create_future()
        if position <= self._synced:
            fut.set_result(None)
        elif self._error is not None:
            fut.set_exception(WriteFailed(f"binlog write failed: {self._error}"))
        else:
            heapq.heappush(self._waiters, (position, next(self._ids), fut))
            self._sync_wanted = True
            if not self._kick_scheduled:
                self._schedule_kick()
        return fut

    def wait_written(self) -> asyncio.Future[None]:
        """Resolves at the next change of `view` (new records in the file) or at close."""
        fut = self._bind().create_future()
        if self._closed:
            fut.set_result(None)
        else:
            self._tailers.append(fut)
        return fut

    @property
    def closed(self) -> bool:
        return self._closed

    @property
    def error(self) -> OSError | None:
        """The write/fsync error appends are refused for, until a retry succeeds."""
        return self._error

    def _bind(self) -> asyncio.AbstractEventLoop:
        if self._loop is None:
            self._loop = asyncio.get_running_loop()
            if self.options.fsync == "everysec":
                self._timer = self._loop.call_later(1.0, self._every_second)
        return self._loop

    def _schedule_kick(self) -> None:
        self._kick_scheduled = True
        self._bind().call_soon(self._kick)

    def _every_second(self) -> None:
        if self._written > self._synced or self._pending:
            self._sync_wanted = True
            self._kick()
        self._timer = self._bind().call_later(1.0, self._every_second)

    def _kick(self) -> None:
        self._kick_scheduled = False
        if self._busy or self._error is not None or self._closed:
            return
        if self.options.fsync == "always":
            if self._pending or self._synced < self._written:
                self._start_job(self._take_pending(), True, None)
            self._sync_wanted = False
            return
        if self._pending and not (self._fsyncing and self._wait_for_fsyncs):
            end = self._end
            if end - self._files.manifest.segments[-1].base >= self._files.segment_bytes:
                # Rotation: in the thread, after the fsync running (it kicks again).
                if not self._fsyncing:
                    self._sync_wanted = False
                    self._start_job(self._take_pending(), True, None)
                return
            self._write_now(self._take_pending(), end)
            if self._error is not None:
                return
        if self._sync_wanted and not self._fsyncing:
            self._sync_wanted = False  # already satisfied when nothing is unsynced
            if self._synced < self._written:
                self._fsyncing = True
                self._worker.submit(
                    self._bind(), self._files.fsync, partial(self._fsync_done, self._written)
                )

    def _take_pending(self) -> bytes:
        data = b"".join(self._pending)
        self._pending = []
        return data

    def _write_now(self, data: bytes, end: int) -> None:
        """A write without an fsync, on the loop: it only fills the page cache, and a
        hand-over to the binlog thread and back (two wake-ups, the larger part of a
        record's replication lag at low load) is saved. Never while a job that
        writes, rotates or repairs the file runs (the caller checks)."""
        done = Done()
        began = time.perf_counter()
        try:
            self._files.file.write(data)
            done.written = True
        except OSError as exc:
            done.error = exc
        took = time.perf_counter() - began
        if self._fsyncing and took > _SLOW_WRITE_SECONDS and not self._wait_for_fsyncs:
            self._wait_for_fsyncs = True
            log.warning(
                "binlog: a write waited %.0f ms beside an fsync of its file (this file "
                "system serializes them): writes wait for fsyncs from now on",
                took * 1000,
            )
        self._finish(data, end, done)

    def _fsync_done(self, end: int, done: Done | BaseException) -> None:
        self._fsyncing = False
        if isinstance(done, BaseException):
            raise done  # a bug, not a disk error (those come back in `done.error`)
        if self._error is not None or self._closed:
            return  # a write failed meanwhile: the retry rewrites and fsyncs all after `_safe`
        if done.error is not None:
            self._fail(done.error, b"", written=True)
            return
        self._synced_to(end)
        self._publish()
        self._kick()

    def _start_job(self, data: bytes, sync: bool, repair_from: int | None) -> None:
        self._busy = True
        end = self._end
        job = partial(self._files.write, data, sync, repair_from, dict(self._vv), end)
        self._worker.submit(self._bind(), job, partial(self._job_done, data, end))

    def _job_done(self, data: bytes, end: int, done: Done | BaseException) -> None:
        self._busy = False
        if isinstance(done, BaseException):
            raise done  # a bug, not a disk error (those come back in `done.error`)
        self._finish(data, end, done)
        if self._error is not None or not (self._pending or self._sync_wanted):
            return
        if self.options.fsync == "always":
            self._kick_scheduled = True
            self._kick_after(_GATHER_TURNS)
        else:
            self._kick()

    def _finish(self, data: bytes, end: int, done: Done) -> None:
        """Account for a write (and fsync) of `data`, ending at `end`, made or failed."""
        if done.error is not None:
            if not self._closed:
                self._fail(done.error, data, written=done.written)
            return
        if self._error is not None:
            log.warning("binlog: writes succeed again, accepting appends")
            self._error = None
        self._written = end
        self._status["last_write_ok"] = True
        if done.synced:
            self._synced_to(end)
        elif self.options.fsync == "no":
            self._safe = end  # trusted to the OS once written
        elif data:
            self._unsynced.append((end, data))
        self._publish()

    def _synced_to(self, end: int) -> None:
        self._synced = end
        self._safe = max(self._safe, end)
        self._unsynced = [chunk for chunk in self._unsynced if chunk[0] > end]
        self._status.update(last_fsync_ok=True, last_fsync_time=self._wall())

    def _kick_after(self, turns: int) -> None:
        if turns:
            self._bind().call_soon(self._kick_after, turns - 1)
        else:
            self._kick()

    def _fail(self, error: OSError, data: bytes, written: bool) -> None:
        log.warning(
            "binlog: %s failed: %s; refusing appends", "fsync" if written else "write", error
        )
        self._error = error
        self._status["last_write_ok" if not written else "last_fsync_ok"] = False
        # Everything after the safe offset is rewritten from memory once the disk recovers.
        self._pending = [chunk for _, chunk in self._unsynced] + [data, *self._pending]
        self._unsynced = []
        self._written = self._safe
        exc = WriteFailed(f"binlog write failed: {error}")
        for _, _, fut in self._waiters:
            if not fut.done():
                fut.set_exception(exc)
        self._waiters = []
        self._publish()
        self._retry_timer = self._bind().call_later(self.options.retry_seconds, self._retry)

    def _retry(self) -> None:
        if self._closed or self._busy:
            return
        if self._fsyncing:  # the repair truncates the file: not under the fsync
            self._retry_timer = self._bind().call_later(self.options.retry_seconds, self._retry)
            return
        data = b"".join(self._pending)
        self._pending = []
        self._start_job(data, self.options.fsync != "no", self._safe)

    def _publish(self) -> None:
        self.view = View(self._files.manifest, self._written, self._synced)
        while self._waiters and self._waiters[0][0] <= self._synced:
            fut = heapq.heappop(self._waiters)[2]
            if not fut.done():
                fut.set_result(None)
        tailers, self._tailers = self._tailers, []
        for fut in tailers:
            if not fut.done():
                fut.set_result(None)
        if self.on_publish is not None:
            self.on_publish()

    async def write_snapshot(
        self, payload: bytes | Sequence[bytes | bytearray], vv: dict[str, int], position: int
    ) -> None:
        """Persist a snapshot of the state after every record before `position` (a value
        `append` returned, or `end`), then retire history outside the retention window.
        `payload`: the state's bytes, or its parts in order.

        The file is encoded (copies and a checksum of the whole payload) and
        written in a thread: for a large keyspace that is tens of milliseconds
        the loop would otherwise stop for. `payload` must not change meanwhile.
        """
        loop = self._bind()
        if self._snapshotting:
            raise BinlogError("a snapshot is already being written")
        if not self.view.manifest.segments[0].base <= position <= self._end:
            raise ValueError(f"position {position} is outside the log")
        self._snapshotting = True
        try:
            await self.durable(position)
            name = snapshot_name(position)
            parts = [payload] if isinstance(payload, bytes) else payload
            await asyncio.to_thread(self._t_write_snapshot_file, name, parts, dict(vv), position)
            await self._worker.call(loop, partial(self._files.install_snapshot, name, position))
            self._status.update(last_snapshot_ok=True, last_snapshot_time=self._wall())
        except BaseException:
            self._status["last_snapshot_ok"] = False
            raise
        finally:
            self._snapshotting = False
            self._publish()

    def _t_write_snapshot_file(
        self, name: str, payload: Sequence[bytes | bytearray], vv: dict[str, int], position: int
    ) -> None:
        write_atomically(self.fs, name, snapshot_pieces(payload, vv, position))

    async def close(self) -> None:
        """Write and fsync what is queued (unless the disk is failing), then release the file."""
        if self._closed:
            return
        loop = self._bind()
        if self._error is None and self._end > self._synced:
            try:
                await self.durable(self._end)
            except WriteFailed:
                log.warning("binlog: closing with %d bytes not written", self._end - self._safe)
        self._closed = True
        for handle in (self._timer, self._retry_timer):
            if handle is not None:
                handle.cancel()
        await self._worker.call(loop, self._files.file.close)
        self._worker.stop()
        self._publish()

    def stats(self) -> dict[str, int | float | str]:
        """Fields for INFO persistence."""
        m = self.view.manifest
        s = self._status
        return {
            "binlog_fsync_policy": self.options.fsync,
            "binlog_size": self._end - m.segments[0].base,
            "binlog_first_position": m.segments[0].base,
            "binlog_position": self._end,
            "binlog_synced_position": self._synced,
            "binlog_segments": len(m.segments),
            "binlog_pending_bytes": self._end - self._written,
            "binlog_unsynced_bytes": self._written - self._synced,
            "binlog_last_write_status": "ok" if s["last_write_ok"] else "err",
            "binlog_last_fsync_status": "ok" if s["last_fsync_ok"] else "err",
            "binlog_last_fsync_time": s["last_fsync_time"],
            "binlog_last_error": "" if self._error is None else str(self._error),
            "binlog_snapshot_in_progress": int(self._snapshotting),
            "binlog_last_snapshot_status": "ok" if s["last_snapshot_ok"] else "err",
            "binlog_last_snapshot_time": s["last_snapshot_time"],
            "binlog_snapshot_position": -1 if m.snapshot is None else m.snapshot.position,
        }
