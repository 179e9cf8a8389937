"""The serving side of a link: streams this region's binlog to a subscribing peer.

Owns the `Subscribe` RPC: it checks the subscriber's Hello (same cluster, a
different region), then sends, from the binlog, every record of any origin
that the subscriber's version vector lacks (relaying what other regions
wrote), then each record as the binlog gets it, in batches of what one read
returns (many records under load, one when idle). When the records the
subscriber lacks were compacted away (or skipped by this region's own full
syncs: replicator.floor), it sends a full sync instead: the binlog's latest snapshot (the
state at a log position, with its applied vector) in chunks, then the
records from that position on. The subscriber's Acks narrow what is sent and
tell the replicator what the peer has applied. Must not apply records: that
is the subscriber's side.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import AsyncIterator, Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import grpc

from binlog import Binlog, Cursor, HistoryCompacted, start_for_vv
from binlog.fs import FileSystem
from node.persistence import read_snapshot
from replicator.proto import replication_pb2 as pb
from replicator.proto import replication_pb2_grpc as pb_grpc
from replicator.wire import select, vv_dict, vv_message, wanted_to

if TYPE_CHECKING:
    from replicator.service import Replicator

log = logging.getLogger("geokv.replicator")

SNAPSHOT_CHUNK_BYTES = 1 << 20
# Up to this much new log is read on the loop: the writer just wrote it (it is in
# the page cache), and a worker thread costs two GIL handoffs, each waiting up to
# a switch interval (5 ms) while the loop is busy: the lag of every live record.
INLINE_READ_BYTES = 64 << 10
HEARTBEAT_SECONDS = 1.0


@dataclass(slots=True)
class Inbound:
    """A peer subscribed to this region: what it said it applied, and when."""

    region: str
    acked: dict[str, int] = field(default_factory=dict)
    acked_at: float = 0.0
    connected: bool = True
    records_sent: int = 0
    # Origins the subscriber gets from their own region: not relayed to it.
    direct: frozenset[str] = frozenset()
    records_skipped: int = 0
    # Per direct origin, the highest seq counted in records_skipped.
    skipped_to: dict[str, int] = field(default_factory=dict)
    # The subscriber's own records it may lack: up to the higher of its own seq in
    # its Hello and this region's (a tail it lost in a crash, which this region
    # still had). It wrote every later one itself: not sent back to it.
    own_lacks_to: int = 0

    @property
    def own(self) -> tuple[str, int]:
        """`wanted_to`'s view of the subscriber's own records."""
        return (self.region, self.own_lacks_to)


class PeerServicer(pb_grpc.ReplicationServicer):  # type: ignore[misc]
    def __init__(self, replicator: Replicator, log_: Binlog, fs: FileSystem) -> None:
        self.replicator = replicator
        self.log = log_
        self.fs = fs

    async def Subscribe(  # the RPC's name in the proto
        self, requests: AsyncIterator[pb.FromSubscriber], context: Any
    ) -> AsyncIterator[pb.FromPeer]:
        first = await anext(requests, None)
        if first is None or not first.HasField("hello"):
            await context.abort(grpc.StatusCode.INVALID_ARGUMENT, "the first message must be Hello")
            return
        hello = first.hello
        refusal = self.replicator.refusal(hello.cluster_id, hello.region_id)
        if refusal is not None:
            await context.abort(grpc.StatusCode.FAILED_PRECONDITION, refusal)
        vv = vv_dict(hello.applied)
        start = self._partial_start(vv)
        snapshot = None
        if start is None:
            snapshot = await asyncio.to_thread(read_snapshot, self.fs)
            if snapshot is None:  # cannot happen: history is only retired behind a snapshot
                self.replicator.stats.full_syncs_refused += 1
                await context.abort(grpc.StatusCode.OUT_OF_RANGE, "no snapshot to sync from")
                return
            start = snapshot.position
        cursor = Cursor(self.log, start)
        link = Inbound(hello.region_id, dict(vv), time.monotonic())
        link.direct = _direct(hello.direct, self.replicator.region)
        link.own_lacks_to = max(vv.get(link.region, 0), self.log.vv.get(link.region, 0))
        self.replicator.inbound_opened(link, full=snapshot is not None)
        acks = asyncio.get_running_loop().create_task(self._read_acks(requests, link))
        try:
            sync = "partial" if snapshot is None else "full"
            ks = self.replicator.node.keyspace
            welcome = pb.Welcome(
                region_id=self.replicator.region,
                sync=sync,
                yours=link.own_lacks_to,
                yours_applied=ks.applied.get(link.region, 0),
                yours_stamp=max(ks.vv.get(link.region, 0), 0),
            )
            yield pb.FromPeer(welcome=welcome)
            if snapshot is not None:
                data, applied = snapshot.payload, vv_message(snapshot.vv)
                for i in range(0, max(len(data), 1), SNAPSHOT_CHUNK_BYTES):
                    last = i + SNAPSHOT_CHUNK_BYTES >= len(data)
                    chunk = data[i : i + SNAPSHOT_CHUNK_BYTES]
                    yield pb.FromPeer(
                        snapshot=pb.SnapshotChunk(data=chunk, last=last, applied=applied)
                    )
            async for batch in self._batches(cursor, link):
                yield pb.FromPeer(batch=batch)
        finally:
            acks.cancel()
            with contextlib.suppress(asyncio.CancelledError, grpc.RpcError):
                await acks
            self.replicator.inbound_closed(link)

    def _partial_start(self, vv: dict[str, int]) -> int | None:
        """Where the records `vv` lacks start in the log, or None when a full sync is needed."""
        try:
            start = start_for_vv(self.log.view, vv)
        except HistoryCompacted:
            return None
        return None if self.replicator.floor.blocks(vv) else start

    async def _read_acks(self, requests: AsyncIterator[pb.FromSubscriber], link: Inbound) -> None:
        async for message in requests:
            if message.HasField("ack"):
                for origin, seq in message.ack.applied.seqs.items():
                    if seq > link.acked.get(origin, 0):
                        link.acked[origin] = seq
                link.acked_at = time.monotonic()
                link.direct = _direct(message.ack.direct, self.replicator.region)

    async def _batches(self, cursor: Cursor, link: Inbound) -> AsyncIterator[pb.Batch]:
        binlog = self.log
        sent_at = time.monotonic()
        while True:
            woken = binlog.wait_written()
            frames = None
            if not _fast_forward(binlog, cursor, link):
                if binlog.view.written - cursor.position <= INLINE_READ_BYTES:
                    frames = cursor.read_frames()
                else:
                    frames = await asyncio.to_thread(cursor.read_frames)
            data, count = b"", 0
            if frames is not None:
                woken.cancel()
                chosen = select(frames, link.acked, link.direct, link.skipped_to, link.own)
                link.records_skipped += chosen.skipped
                data, count = chosen.frames, chosen.records
            # Lag and liveness, also from a link whose records are all skipped: silent
            # for 2.5 s, the subscriber would resubscribe its other streams.
            if count or time.monotonic() - sent_at >= HEARTBEAT_SECONDS:
                link.records_sent += count
                sent_at = time.monotonic()
                yield pb.Batch(frames=data, peer_vv=vv_message(binlog.vv))
            if frames is None:
                if binlog.closed:
                    return
                wait = HEARTBEAT_SECONDS - (time.monotonic() - sent_at)
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(asyncio.shield(woken), max(wait, 0.0))


def _fast_forward(binlog: Binlog, cursor: Cursor, link: Inbound) -> bool:
    """Move the cursor past everything written, unread, when the subscriber wants
    none of it: it applied every record of each origin it does not get directly
    (of its own records, every one it may lack).

    A region streaming what it got from the subscriber's own direct peers (the
    common case in a full mesh) then reads nothing back.
    """
    written = binlog.view.written  # first: each record before it is in the vector read next
    if cursor.position >= written:
        return False
    vv, acked, direct, counted, own = binlog.vv, link.acked, link.direct, link.skipped_to, link.own
    if any(wanted_to(o, seq, direct, own) > acked.get(o, 0) for o, seq in vv.items()):
        return False
    for origin in direct & vv.keys():
        seq = vv[origin]
        below = max(counted.get(origin, 0), acked.get(origin, 0))
        if seq > below:
            link.records_skipped += seq - below
            counted[origin] = seq
    cursor.position = written
    return True


def _direct(origins: Iterable[str], own: str) -> frozenset[str]:
    """What not to relay: never this region's own records."""
    return frozenset(origins) - {own}
