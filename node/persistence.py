"""The binlog as the node's persistence (the role of Redis's AOF).

Owns the effect sink that turns each committed record into a binlog record,
recovery of the keyspace at start (snapshot, then the records after it),
what a reply must wait for under `appendfsync always`, snapshots taken while
writes continue, and the orderly close at shutdown. Must not know sockets,
sessions or replies: the server asks `hold_until()` what to wait for and
learns from `on_durable` when it is there.
"""

from __future__ import annotations

import asyncio
import logging
import math
import os
import time
import zlib
from collections import deque
from collections.abc import Callable, Collection
from dataclasses import replace

from binlog import (
    Binlog,
    BinlogError,
    CorruptLog,
    Entry,
    Options,
    Retention,
    Snapshot,
    encode_frame,
)
from binlog.fs import FileSystem
from binlog.manifest import read_manifest
from binlog.snapshot import decode_snapshot
from node.codec import PayloadError, decode_ops, encode_ops
from node.config import Config
from node.core import Node
from node.effects import Op, Record, apply_record
from node.faultdisk import open_disk
from node.keyset import KeySet
from node.keyspace import Keyspace
from node.runmark import boot_id, mark_running, mark_stopped, own_records_doubt
from node.snapshot import encode_header, encode_key, load

log = logging.getLogger("geokv")

# Keys serialized per loop iteration while a snapshot runs next to the workload,
# and the time that may take at most: a slice delays every client and every
# peer's record by up to that long. 2 ms slices were most of the replication
# lag's p99 over 50 ms links (bench/replication.py: 11.5-15.4 -> 7.3-7.4 ms);
# a snapshot of 80k keys (~100 ms of encoding) then takes ~200 busy loop turns.
SNAPSHOT_CHUNK = 2000
SNAPSHOT_SLICE_SECONDS = 0.0005
_PART_BYTES = 1 << 20


def binlog_dir(config: Config) -> str:
    return os.path.join(config["dir"], "binlog")


def options_from(config: Config) -> Options:
    return Options(
        fsync=config["appendfsync"],
        segment_bytes=config["binlog-segment-size"],
        retention=Retention(config["binlog-history-size"], config["binlog-history-seconds"]),
    )


def strerror(error: OSError) -> str:
    """What Redis prints for a failed AOF write: strerror(errno)."""
    return os.strerror(error.errno) if error.errno else str(error)


def read_snapshot(fs: FileSystem) -> Snapshot | None:
    """The snapshot the manifest names (read before the log, so records replay onto it)."""
    manifest = read_manifest(fs)
    if manifest is None or manifest.snapshot is None:
        return None
    return decode_snapshot(fs.read(manifest.snapshot.name), manifest.snapshot.name)


def to_record(entry: Entry) -> Record:
    r = entry.record
    try:
        ops = decode_ops(r.payload)
    except PayloadError as exc:
        raise CorruptLog(f"record at position {entry.position}", 0, str(exc)) from None
    return Record(r.origin, r.seq, r.hlc, ops, tuple(r.deps.items()))


class Persistence:
    """Open with `Persistence.open(node)` before serving; it becomes `node.sink`."""

    def __init__(self, node: Node, binlog: Binlog, fs: FileSystem) -> None:
        self.node = node
        self.log = binlog
        self.fs = fs
        # End position of the last record appended: what a reply waits for.
        self.position = binlog.end
        # (origin, seq, hlc, frame) of records the failing log did not take yet.
        self._backlog: deque[tuple[str, int, int, bytes]] = deque()
        snapshot = binlog.recovery.snapshot
        self._snapshot_base = 0 if snapshot is None else snapshot.position
        # Regions hold the same records, so their logs grow alike: each snapshots
        # after its own share of 1-1.25x `binlog-snapshot-every`, so regions that
        # share machines (the demo, tests) do not all snapshot at the same moment.
        self._snapshot_spread = 1 + zlib.crc32(node.region.encode()) % 256 / 1024
        self._snapshot_task: asyncio.Task[None] | None = None
        self._snapshots_held = False
        # Whether the region is far behind a peer (the replicator sets it).
        self.catching_up: Callable[[], bool] = lambda: False
        self.snapshot_keys = 0
        self._forced = -1
        self._opened_policy = binlog.options.fsync
        self._last_forced_sync = 0.0
        node.config.on_change(self._config_changed)

    @classmethod
    def open(cls, node: Node, fs: FileSystem | None = None, boot: str | None = None) -> Persistence:
        """Recover the keyspace from the log (blocking); raises CorruptLog on damage.

        `boot`: this boot of the machine (runmark.boot_id() when None)."""
        fs = fs or open_disk(node.config, binlog_dir(node.config))
        ks = node.keyspace
        started = time.monotonic()
        snapshot = read_snapshot(fs)
        keys = 0
        if snapshot is not None:
            keys = load(ks, snapshot.payload)
            for origin, seq in snapshot.vv.items():
                ks.note_seq(origin, seq)
        binlog = Binlog.open(
            fs, options_from(node.config), lambda entry: apply_record(ks, to_record(entry))
        )
        rec = binlog.recovery
        for origin, seq in rec.vv.items():
            ks.note_seq(origin, seq)
        node.hlc.observe(max([rec.max_hlc, *ks.vv.values()]))
        log.info(
            "binlog: loaded %d keys from the snapshot and replayed %d records in %.3f s",
            keys,
            rec.records,
            time.monotonic() - started,
        )
        if rec.truncated is not None:
            name, offset, reason = rec.truncated
            log.warning("binlog: torn tail of %s truncated at offset %d (%s)", name, offset, reason)
        boot = boot_id() if boot is None else boot
        doubt = own_records_doubt(fs, empty=snapshot is None and not rec.vv, boot=boot)
        if doubt is not None and node.config["peers"]:
            log.warning(
                "binlog: %s: no writes until the peers sent back this region's records", doubt
            )
            node.own_records_missing = True
        mark_running(fs, boot)
        persistence = cls(node, binlog, fs)
        node.sink = persistence
        return persistence

    # -- the effect sink ----------------------------------------------------------

    def append(self, record: Record) -> None:
        """Queue the record in the log; while the log refuses appends, hold it in memory.

        Writes from clients are refused first (MISCONF); what still arrives here
        then is the node's own housekeeping (expiry deletes), written on recovery.
        """
        frame = record.frame or encode_frame(
            record.origin, record.seq, record.stamp, record.deps, encode_ops(record.ops)
        )
        entry = (record.origin, record.seq, record.stamp, frame)
        if self._backlog and not self._drain():
            self._backlog.append(entry)
            return
        try:
            self.position = self.log.append_frame(*entry)
        except BinlogError:
            self._backlog.append(entry)

    def _drain(self) -> bool:
        backlog = self._backlog
        while backlog:
            try:
                self.position = self.log.append_frame(*backlog[0])
            except BinlogError:
                return False
            backlog.popleft()
        return True

    def write_error(self) -> str | None:
        error = self.log.error
        if error is not None:
            return strerror(error)
        if self._backlog:
            self._drain()
        return None

    def status(self) -> dict[str, object]:
        stats = self.log.stats()
        return {
            "aof_enabled": 1,
            "aof_rewrite_in_progress": int(self._snapshot_task is not None),
            "aof_rewrite_scheduled": 0,
            "aof_last_bgrewrite_status": stats["binlog_last_snapshot_status"],
            "aof_last_write_status": "ok" if self.log.error is None else "err",
            "aof_current_size": stats["binlog_size"],
            "aof_buffer_length": stats["binlog_pending_bytes"],
            **stats,
            "binlog_backlog_records": len(self._backlog),
            "binlog_snapshot_keys": self.snapshot_keys,
        }

    # -- acknowledgements ---------------------------------------------------------------

    def hold_until(self) -> int:
        """The log position replies to writes made so far must wait for: under
        `always`, the fsync of every record appended; otherwise their write (the
        binlog writes once per loop turn): a process killed after a reply then
        loses nothing it acknowledged, the OS has the pages (Redis also writes
        its AOF before replying); 0 when they may go at once."""
        position = self.position
        if self.node.config["appendfsync"] != "always":
            return 0 if position <= self.log.view.written else position
        if position <= self.log.view.synced:
            return 0
        if self._opened_policy != "always" and position != self._forced:
            # CONFIG SET appendfsync always on a log opened with another policy:
            # nothing else would fsync before the next second.
            self._forced = position
            self.log.durable(position).add_done_callback(_ignore_failure)
        return position

    @property
    def acknowledged(self) -> int:
        """How far replies may go: fsynced under `always`, written otherwise."""
        view = self.log.view
        return view.synced if self.node.config["appendfsync"] == "always" else view.written

    @property
    def failed(self) -> bool:
        """The disk refused a write: what waits beyond `synced` may never be written."""
        return self.log.error is not None

    def on_durable(self, callback: Callable[[], None]) -> None:
        """Call `callback` whenever `acknowledged` advances or the disk fails."""
        self.log.on_publish = callback

    # -- periodic work ------------------------------------------------------------------

    def tick(self) -> None:
        """From the server's cron: retry held records, fsync policy changes, snapshots."""
        if self._backlog and self.log.error is None:
            self._drain()
        now = time.monotonic()
        if (
            self.node.config["appendfsync"] == "everysec"
            and self._opened_policy != "everysec"
            and now - self._last_forced_sync >= 1.0
            and self.log.error is None
        ):
            # Opened with another policy: the binlog has no once-a-second timer.
            self._last_forced_sync = now
            self.log.durable(self.log.end).add_done_callback(_ignore_failure)
        every = self.node.config["binlog-snapshot-every"] * self._snapshot_spread
        grown = self.log.end - self._snapshot_base
        # Catching up, the region applies records as fast as its core allows: a
        # snapshot would slow that down and be stale at once. Up to twice the
        # interval (the log replayed at a restart stays bounded).
        if every and grown >= every and (grown >= 2 * every or not self.catching_up()):
            self.start_snapshot()

    def start_snapshot(self) -> bool:
        if (
            self._snapshot_task is not None
            or self._snapshots_held
            or self._backlog
            or self.log.error is not None
        ):
            return False
        self._snapshot_task = asyncio.get_running_loop().create_task(self._snapshot_guarded())
        return True

    async def hold_snapshots(self) -> None:
        """Wait for a running snapshot, then start none until `release_snapshots`:
        a full sync merging key by key owns the node's write hook meanwhile."""
        while self._snapshot_task is not None:
            await asyncio.wait([self._snapshot_task])
        self._snapshots_held = True

    def release_snapshots(self) -> None:
        self._snapshots_held = False

    async def snapshot_now(self) -> int | None:
        """Take a snapshot of the state as of now (after one already running);
        returns its position, or None when it could not be written."""
        while not self.start_snapshot():
            if self._snapshot_task is None:
                return None  # refused: records held back or the disk is failing
            await asyncio.wait([self._snapshot_task])
        position = self.log.end
        assert self._snapshot_task is not None
        await asyncio.wait([self._snapshot_task])
        return position if self._snapshot_base >= position else None

    async def _snapshot_guarded(self) -> None:
        try:
            await self.snapshot()
        except (BinlogError, OSError) as exc:
            log.warning("binlog: snapshot failed: %s", exc)
        finally:
            self._snapshot_task = None

    async def snapshot(
        self, chunk: int = SNAPSHOT_CHUNK, seconds: float = SNAPSHOT_SLICE_SECONDS
    ) -> None:
        """Save the keyspace as of the log's current end P while writes go on.

        Keys are serialized a slice per loop iteration (at most `chunk` keys and
        about `seconds`: clients and peers' records wait at most that long); a
        write to a key not saved yet first saves the key's state (copy on first
        write), so every key is saved as it was at P and the records from P on
        replay exactly. Nothing on the loop costs O(keys) in one go: key names are
        listed a shard at a time, the file is written in a thread.
        """
        node = self.node
        ks = node.keyspace
        position = self.log.end
        vv = dict(ks.applied)
        stamps = dict(ks.vv)
        walk = _SnapshotWalk(ks)
        node.before_write = walk.before_write
        try:
            keys: list[bytes] = []
            i = 0
            while i < len(keys) or walk.next_source():
                if i >= len(keys):
                    keys, i = walk.keys, 0
                stop = min(i + chunk, len(keys))
                deadline = time.perf_counter() + seconds
                while i < stop:
                    walk.save(keys[i])
                    i += 1
                    if not i & 63 and time.perf_counter() > deadline:
                        break
                await asyncio.sleep(0)
        finally:
            node.before_write = None
        count = walk.count
        parts: list[bytes | bytearray] = [encode_header(stamps, count), *walk.parts, walk.out]
        await self.log.write_snapshot(parts, vv, position)
        parts.clear()
        await walk.release()
        self._snapshot_base = position
        self.snapshot_keys = count
        log.info("binlog: snapshot of %d keys at position %d", count, position)

    # -- shutdown -----------------------------------------------------------------------

    async def close(self) -> None:
        """Write what is held, snapshot if anything was written since the last one, close."""
        if self._snapshot_task is not None:
            await asyncio.wait([self._snapshot_task])
        self._drain()
        if self.log.error is None and self.log.end > self._snapshot_base:
            try:
                await self.snapshot(chunk=50_000, seconds=math.inf)  # no one waits
            except (BinlogError, OSError) as exc:
                log.warning("binlog: snapshot at shutdown failed: %s", exc)
        await self.log.close()
        if self.log.error is None:
            mark_stopped(self.fs)
        if self._backlog:
            log.warning("binlog: %d records could not be written", len(self._backlog))

    def _config_changed(self, name: str, value: object) -> None:
        if name == "appendfsync":
            self.log.options = replace(self.log.options, fsync=value)  # type: ignore[arg-type]


class _SnapshotWalk:
    """The keys of P saved so far and their encoding. A key created after P is
    "saved" as absent (nothing written) at its first write, and one changed
    after P as it was before: so the names may be listed a source at a time
    (a shard of the keyspace, then the tombstones and the expiry registers)
    after P, saving a name already saved does nothing. An object rather than
    closures in `snapshot`: compiled (node/native.py), closures and the
    coroutine holding them form a cycle that would keep the whole encoding
    alive after it."""

    def __init__(self, ks: Keyspace) -> None:
        self.ks = ks
        self.keys: list[bytes] = []  # the names of the source being walked
        self._sources: list[Collection[bytes]] = [*ks.data.shards(), ks.others, ks.expiry]
        self.saved = KeySet()
        # The encoding in parts of about _PART_BYTES: one buffer of a large keyspace
        # grew by copies to fresh pages (glibc's realloc below its 32 MB mmap
        # threshold): 10-15 ms stalls at 165k keys, 100 ms at 1M.
        self.parts: list[bytearray] = []
        self.out = bytearray()
        self.count = 0

    def save(self, key: bytes) -> None:
        if self.saved.add(key):
            self.count += encode_key(self.ks, self.out, key)
            if len(self.out) >= _PART_BYTES:
                self.parts.append(self.out)
                self.out = bytearray()

    async def release(self) -> None:
        """Free the encoding and the names a piece per loop turn: dropped at once, a
        million keys' names and 60 MB of parts stopped the loop ~25 ms (set_dealloc,
        munmap)."""
        self.out = bytearray()
        while self.parts:
            self.parts.pop()
            await asyncio.sleep(0)
        for _ in self.saved.release():
            await asyncio.sleep(0)

    def next_source(self) -> bool:
        """List the next source's names into `keys`; False when every one was."""
        while self._sources:
            names = list(self._sources.pop())
            if names:
                self.keys = names
                return True
        return False

    def before_write(self, op: Op) -> None:
        key = getattr(op, "key", None)
        if key is not None:
            self.save(key)
            return
        # An op on every key (FLUSHALL): all that is left first.
        for k in self.keys:
            self.save(k)
        for source in self._sources:
            for k in source:
                self.save(k)
        self._sources.clear()


def _ignore_failure(fut: asyncio.Future[None]) -> None:
    if not fut.cancelled():
        fut.exception()  # a failure is reported by write_error(); only mark it retrieved
