"""The pulling side of a link: one subscription to one peer region, kept alive.

Owns the connection to a peer's replication address: Hello with what this
region applied, the records received handed to the causal applier (duplicates
dropped before their payload is decoded), Acks of what was applied, and
reconnection with capped exponential backoff and jitter. A full sync's
snapshot is merged into the live keyspace (replicator.statemerge) while the
applier holds every record, and made durable before they go on. A dropped applier
buffer (its generation moved on) resubscribes at once, so the peer resends
from what was applied. Must not serve peers: that is peer.py.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import grpc

from node.codec import PayloadError
from node.core import Node
from node.hlc import physical_ms
from node.keyspace import Keyspace
from node.snapshot import load
from replicator.applier import Applier
from replicator.proto import replication_pb2 as pb
from replicator.proto import replication_pb2_grpc as pb_grpc
from replicator.statemerge import KeyspaceMerge
from replicator.wire import BadFrames, records, to_record, vv_dict, vv_message

if TYPE_CHECKING:
    from replicator.service import Replicator

log = logging.getLogger("geokv.replicator")

ACK_SECONDS = 0.05
# Records applied between two turns of the loop: a batch of a catch-up holds ~10k
# (~100 ms of applying), which clients of this region must not wait behind.
RECEIVE_SLICE = 1000
# A full sync's merge runs this long per loop turn (~7 us a key): clients wait at most that.
MERGE_SLICE_SECONDS = 0.002
# A connected link silent this long (the peer sends a batch at least every
# second) no longer counts as a direct source of its region's records.
DIRECT_STALE_SECONDS = 2.5
# How long a stream about to start over waits for its lost direct origins to
# deliver again (a partition healed at once for every link).
RESUBSCRIBE_RECHECK_SECONDS = 0.02
BACKOFF_FIRST = 0.05
BACKOFF_CAP = 5.0
CHANNEL_OPTIONS = [
    ("grpc.max_receive_message_length", 256 << 20),
    ("grpc.max_send_message_length", 256 << 20),
    ("grpc.keepalive_time_ms", 10_000),
    ("grpc.keepalive_timeout_ms", 5_000),
]


@dataclass(slots=True)
class LinkStats:
    state: str = "connecting"
    peer_vv: dict[str, int] = field(default_factory=dict)
    last_hlc: int = 0
    received: int = 0
    duplicates: int = 0
    partial_syncs: int = 0
    full_syncs: int = 0
    connects: int = 0
    last_error: str = ""
    last_message_at: float = 0.0


class Resubscribe(Exception):
    """The applier dropped its buffer: start over from what was applied."""


class Subscriber:
    def __init__(self, replicator: Replicator, region: str, address: str) -> None:
        self.replicator = replicator
        self.region = region
        self.address = address
        self.stats = LinkStats()
        self._task: asyncio.Task[None] | None = None
        # Every origin this stream told its peer not to relay (Hello and Acks).
        self._told_direct: frozenset[str] = frozenset()

    def start(self) -> None:
        self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def delivering(self) -> bool:
        """Whether this link is a live direct source of its region's records."""
        stats = self.stats
        return (
            stats.state == "connected"
            and time.monotonic() - stats.last_message_at < DIRECT_STALE_SECONDS
        )

    def lag_records(self) -> int:
        applied = self.replicator.node.keyspace.applied
        return sum(max(0, seq - applied.get(o, 0)) for o, seq in self.stats.peer_vv.items())

    def lag_ms(self) -> int:
        """How old the newest record received is, while records are still missing."""
        if not self.lag_records() or not self.stats.last_hlc:
            return 0
        return max(0, int(time.time() * 1000) - physical_ms(self.stats.last_hlc))

    async def _run(self) -> None:
        backoff = BACKOFF_FIRST
        while True:
            connects = self.stats.connects
            try:
                await self._session()
            except Resubscribe:
                continue
            except grpc.aio.AioRpcError as exc:
                self.stats.state = (
                    "refused" if exc.code() == grpc.StatusCode.FAILED_PRECONDITION else "down"
                )
                self.stats.last_error = f"{exc.code().name}: {exc.details()}"
                log.warning("link to %s (%s): %s", self.region, self.address, self.stats.last_error)
            except (PayloadError, BadFrames) as exc:
                self.stats.state = "down"
                self.stats.last_error = f"undecodable record: {exc}"
                log.error("link to %s: %s", self.region, self.stats.last_error)
            except Exception as exc:  # the link must outlive any one failure
                self.stats.state = "down"
                self.stats.last_error = repr(exc)
                log.exception("link to %s failed", self.region)
            if self.stats.connects != connects:
                backoff = BACKOFF_FIRST  # the session had worked: retry soon
            if self.stats.state == "connected":
                self.stats.state = "down"
            await asyncio.sleep(backoff * random.uniform(0.5, 1.5))
            backoff = min(backoff * 2, BACKOFF_CAP)

    async def _session(self) -> None:
        replicator = self.replicator
        applied = replicator.node.keyspace.applied
        direct = self._told_direct = replicator.direct_sources(self.region)
        hello = pb.Hello(
            cluster_id=replicator.cluster_id,
            region_id=replicator.region,
            applied=vv_message(applied),
            direct=sorted(direct),
        )
        async with replicator.channel(self.address) as channel:
            # The read/write API, not a request generator: a generator torn down
            # by a reset link logged "aclose(): asynchronous generator is already running".
            call = pb_grpc.ReplicationStub(channel).Subscribe()
            await call.write(pb.FromSubscriber(hello=hello))
            acks = asyncio.get_running_loop().create_task(self._ack(call, direct))
            try:
                await self._receive(call)
            finally:
                acks.cancel()
                call.cancel()

    async def _receive(self, call: grpc.aio.StreamStreamCall) -> None:
        applier = self.replicator.applier
        generation = applier.generation
        stats = self.stats
        snapshot = bytearray()
        while (message := await call.read()) is not grpc.aio.EOF:
            assert isinstance(message, pb.FromPeer)
            stats.last_message_at = time.monotonic()
            if not self._skipped_origins_deliver():
                await self._resubscribe_unless_back()
            if message.HasField("batch"):
                batch = message.batch
                stats.peer_vv = vv_dict(batch.peer_vv)
                for _ in receive(batch.frames, applier, stats):
                    await asyncio.sleep(0)
                    if applier.generation != generation:
                        raise Resubscribe
                if applier.generation != generation:
                    raise Resubscribe
                self.replicator.own.check()
            elif message.HasField("snapshot"):
                snapshot += message.snapshot.data
                if message.snapshot.last:
                    await self._full_sync(bytes(snapshot), vv_dict(message.snapshot.applied))
                    snapshot.clear()
            elif message.HasField("welcome"):
                self._welcome(message.welcome)

    async def _full_sync(self, payload: bytes, applied: dict[str, int]) -> None:
        """Join the peer's snapshot into the keyspace; records wait until it is durable."""
        replicator = self.replicator
        node = replicator.node
        remote = Keyspace(node.region)
        # A keyspace of its own, which nothing else touches: built in a thread,
        # the loop keeps serving meanwhile (the GIL switches every 200 us).
        # PayloadError: the link goes down, retried later.
        await asyncio.to_thread(load, remote, payload)
        for origin, seq in applied.items():
            remote.note_seq(origin, seq)
        async with replicator.merge_lock:
            await self._merge(remote)

    async def _merge(self, remote: Keyspace) -> None:
        replicator = self.replicator
        node = replicator.node
        applier = replicator.applier
        applier.paused = True
        persistence = replicator.persistence
        try:
            await persistence.hold_snapshots()  # the merge owns the write hook
            try:
                before = dict(node.keyspace.applied)
                merge = KeyspaceMerge(node.keyspace, remote)
                # The origins whose records the merge brings without their records
                # (taken now: local writes during the merge move this region's own).
                skipped = {o: s for o, s in node.keyspace.applied.items() if s > before.get(o, 0)}
                if remote.vv:
                    node.hlc.observe(max(remote.vv.values()))
                await _run_merge(node, merge)
            finally:
                persistence.release_snapshots()
            log.info("full sync from %s: merged %d keys", self.region, merge.merged)
            await replicator.after_full_sync(skipped)
            replicator.own.check()
        finally:
            applier.resume()

    async def _resubscribe_unless_back(self) -> None:
        """Start over (the peer resends what it skipped) unless every origin this
        stream told the peer not to relay delivers again over its own link, which
        sends all that this region lacks of it: then a catch-up after a partition
        is not read twice from the peer's log. A link healed with this one gets a
        moment to deliver its first message."""
        await asyncio.sleep(RESUBSCRIBE_RECHECK_SECONDS)
        if not self._skipped_origins_deliver():
            raise Resubscribe

    def _skipped_origins_deliver(self) -> bool:
        """Whether every origin this stream told its peer not to relay is live."""
        return self._told_direct <= self.replicator.direct_sources(self.region)

    def _welcome(self, welcome: pb.Welcome) -> None:
        stats = self.stats
        if welcome.region_id != self.region:
            log.warning(
                "peer at %s says it is region %r, configured as %r",
                self.address,
                welcome.region_id,
                self.region,
            )
        stats.state = "connected"
        stats.connects += 1
        stats.last_error = ""
        if welcome.sync == "full":
            stats.full_syncs += 1
        else:
            stats.partial_syncs += 1
        self.replicator.own.heard(
            self.region, welcome.yours, welcome.yours_applied, welcome.yours_stamp
        )

    async def _ack(self, call: grpc.aio.StreamStreamCall, direct: frozenset[str]) -> None:
        """Acks of what was applied, with the origins this region gets directly.

        An origin may join `direct` at any time (the peer stops relaying it); one
        that leaves it makes this stream start over at its next message (unless it
        is back by then: `_receive`), so the peer resends from what was applied
        what it skipped meanwhile.
        """
        replicator = self.replicator
        applied = replicator.node.keyspace.applied
        sent: dict[str, int] = {}
        while True:
            await asyncio.sleep(ACK_SECONDS)
            now_direct = replicator.direct_sources(self.region)
            if applied != sent or now_direct != direct:
                sent, direct = dict(applied), now_direct
                self._told_direct |= direct
                ack = pb.Ack(applied=vv_message(sent), direct=sorted(direct))
                try:
                    await call.write(pb.FromSubscriber(ack=ack))
                except (grpc.aio.AioRpcError, asyncio.InvalidStateError):
                    return  # the call ended: _receive reports why


async def _run_merge(node: Node, merge: KeyspaceMerge) -> None:
    """Merge a slice per loop turn; commands and writes merge their keys first."""
    node.prepare = merge.touch
    try:
        while not merge.step(MERGE_SLICE_SECONDS):
            await asyncio.sleep(0)
    finally:
        # Cancelled half way (the subscriber stopping): the vectors already say
        # every key is merged, so finish it now rather than leave holes.
        merge.merge_all()
        node.prepare = None


def receive(frames: bytes, applier: Applier, stats: LinkStats) -> Iterator[None]:
    """Hand a batch's records to the applier, duplicates dropped before their payload
    is decoded; pauses (yields) after every RECEIVE_SLICE records. BadFrames or
    PayloadError: the link goes down, retried later."""
    for n, (fields, frame) in enumerate(records(frames), 1):
        if n % RECEIVE_SLICE == 0:
            yield
        stats.received += 1
        if applier.is_duplicate(fields[0], fields[1]):
            stats.duplicates += 1
            continue
        applier.offer(to_record(fields, frame), len(frame))
        stats.last_hlc = fields[2]
