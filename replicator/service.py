"""The replicator as a service of the geokv server process.

Owns what runs next to the node when `replication-port` is set: the gRPC
server peers subscribe to, one subscriber per configured peer, the one
causal applier they share, the cluster/region checks of a Hello, the
members' acknowledged vectors that tombstone collection waits on
(replicator.stability), and the INFO crdt fields about links.
Must not know how the node serves clients.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable

import grpc

from node.config import Config, ConfigError
from node.core import Node
from node.persistence import Persistence
from node.server import Server
from replicator.applier import Applier
from replicator.floor import Floor, load_floor, save_floor
from replicator.ownrecords import OwnRecords
from replicator.peer import Inbound, PeerServicer
from replicator.proto import replication_pb2_grpc as pb_grpc
from replicator.security import link_security
from replicator.stability import Stability
from replicator.subscriber import CHANNEL_OPTIONS, Subscriber
from replicator.wire import render_vv

log = logging.getLogger("geokv.replicator")

# Records behind a peer that make a catch-up (live streaming at 10k writes/s is
# tens behind): snapshots wait for its end (node.persistence).
CATCHING_UP_RECORDS = 10_000


class ReplicatorStats:
    def __init__(self) -> None:
        self.full_syncs_refused = 0
        self.partial_syncs_served = 0
        self.full_syncs_served = 0


class Replicator:
    def __init__(self, config: Config) -> None:
        if not config["appendonly"]:
            raise ConfigError("replication streams the binlog: it needs appendonly yes")
        self.config = config
        self.region: str = config["region-id"]
        self.cluster_id: str = config["cluster-id"]
        self.stats = ReplicatorStats()
        self.security = link_security(config)  # ConfigError: refuse to start
        self.inbound: dict[int, Inbound] = {}
        self.subscribers: list[Subscriber] = []
        self._grpc: grpc.aio.Server | None = None
        self._node: Node | None = None
        self._applier: Applier | None = None
        self._persistence: Persistence | None = None
        self._own: OwnRecords | None = None
        self.floor: Floor = load_floor(config["dir"])
        self.stability = Stability(self.region)
        # One full sync merges at a time: a merge moves the vectors when it
        # begins, so a second one starting meanwhile would take keys not merged
        # yet for keys whose data this region had seen and removed.
        self.merge_lock = asyncio.Lock()
        # Other services on the replication port (the admin service): added to
        # the gRPC server before it starts, as grpc.aio requires.
        self.services: list[Callable[[grpc.aio.Server], None]] = []

    @property
    def node(self) -> Node:
        assert self._node is not None, "the replicator has not started"
        return self._node

    @property
    def persistence(self) -> Persistence:
        assert self._persistence is not None, "the replicator has not started"
        return self._persistence

    @property
    def own(self) -> OwnRecords:
        assert self._own is not None, "the replicator has not started"
        return self._own

    @property
    def applier(self) -> Applier:
        assert self._applier is not None, "the replicator has not started"
        return self._applier

    # -- the service ------------------------------------------------------------

    async def start(self, server: Server) -> None:
        node = server.node
        if server.persistence is None:
            raise ConfigError("replication streams the binlog: it needs appendonly yes")
        self._node = node
        self._persistence = server.persistence
        self._applier = Applier(node.apply_remote, node.keyspace.applied)
        node.stable_mark = self.stable_mark
        node.replicate_publish = True
        node.replication_status = self.status
        server.persistence.catching_up = self.catching_up
        self._grpc = grpc.aio.server(options=CHANNEL_OPTIONS, compression=self.security.compression)
        pb_grpc.add_ReplicationServicer_to_server(
            PeerServicer(self, server.persistence.log, server.persistence.fs), self._grpc
        )
        for add_to in self.services:
            add_to(self._grpc)
        port = self.config["replication-port"]
        for host in self.config["bind"] or ("127.0.0.1",):
            address = f"[{host.lstrip('-')}]:{port}" if ":" in host else f"{host}:{port}"
            try:
                if self.security.tls:
                    self._grpc.add_secure_port(address, self.security.server_credentials())
                else:
                    self._grpc.add_insecure_port(address)
            except RuntimeError as exc:
                if not host.startswith("-"):
                    raise OSError(f"could not listen for peers on {address}: {exc}") from exc
        await self._grpc.start()
        log.info("replication: region %s listening for peers on port %d", self.region, port)
        peers = (region for region, _ in self.config["peers"])
        self._own = OwnRecords(node, peers, server.persistence.fs)
        self._own.start()
        for region, address in self.config["peers"]:
            subscriber = Subscriber(self, region, address)
            self.subscribers.append(subscriber)
            subscriber.start()

    def catching_up(self) -> bool:
        """Whether a peer holds many records this region has not applied (a catch-up)."""
        return any(sub.lag_records() >= CATCHING_UP_RECORDS for sub in self.subscribers)

    def direct_sources(self, peer: str) -> frozenset[str]:
        """The regions whose records this one gets over live links of their own,
        which the stream from `peer` need not relay."""
        return frozenset(
            sub.region for sub in self.subscribers if sub.region != peer and sub.delivering()
        )

    def channel(self, address: str) -> grpc.aio.Channel:
        """A channel to a peer region's replication port, with the links' security."""
        security = self.security
        if security.tls:
            return grpc.aio.secure_channel(
                address,
                security.channel_credentials(),
                options=CHANNEL_OPTIONS,
                compression=security.compression,
            )
        return grpc.aio.insecure_channel(
            address, options=CHANNEL_OPTIONS, compression=security.compression
        )

    async def stop(self) -> None:
        for subscriber in self.subscribers:
            await subscriber.stop()
        if self._grpc is not None:
            await self._grpc.stop(grace=0.2)

    # -- what peers may do --------------------------------------------------------

    def refusal(self, cluster_id: str, region: str) -> str | None:
        """Why a Hello is refused, or None."""
        if cluster_id != self.cluster_id:
            return (
                f"cluster id mismatch: region {self.region!r} belongs to cluster "
                f"{self.cluster_id!r}, the subscriber {region!r} to {cluster_id!r}"
            )
        if region == self.region:
            return f"the subscriber has this region's own id {region!r}"
        return None

    def inbound_opened(self, link: Inbound, full: bool) -> None:
        self.inbound[id(link)] = link
        if full:
            self.stats.full_syncs_served += 1
        else:
            self.stats.partial_syncs_served += 1

    async def after_full_sync(self, skipped: dict[str, int]) -> None:
        """Record the hole a merge left, then make the merged state durable before
        any record after it is applied.

        The floor goes first (a crash after it only causes extra full syncs),
        so no subscriber is ever served records across the hole. The merge
        appended nothing to the binlog: until a snapshot holds the merged state,
        a restart would replay a log with a hole.
        """
        if skipped:
            self.floor = self.floor.raised(skipped)
            save_floor(self.config["dir"], self.floor)
        if await self.persistence.snapshot_now() is None:
            raise RuntimeError("full sync: the snapshot after the merge could not be written")

    def inbound_closed(self, link: Inbound) -> None:
        self.inbound.pop(id(link), None)

    def acked(self) -> dict[str, dict[str, int]]:
        """Per peer region, the newest vector it acknowledged over any of its links."""
        out: dict[str, dict[str, int]] = {}
        for link in self.inbound.values():
            vv = out.setdefault(link.region, {})
            for origin, seq in link.acked.items():
                vv[origin] = max(vv.get(origin, 0), seq)
        return out

    def stable_mark(self, mark: int, applied: dict[str, int]) -> int:
        """The keyspace mark up to which tombstones may go, the configured peers
        being the cluster (the admin service narrows it to the topology)."""
        peers = {region for region, _ in self.config["peers"]}
        return self.stability.advance(mark, applied, self.acked(), peers)

    # -- INFO crdt -----------------------------------------------------------------

    def status(self) -> list[tuple[str, object]]:
        applier = self.applier
        fields: list[tuple[str, object]] = [
            ("replication_port", self.config["replication-port"]),
            ("records_applied", applier.stats.applied),
            ("records_duplicate", applier.stats.duplicates),
            ("buffered_records", applier.buffered),
            ("buffered_bytes", applier.buffered_bytes),
            ("buffer_overflows", applier.stats.overflows),
            ("partial_syncs_served", self.stats.partial_syncs_served),
            ("full_syncs_served", self.stats.full_syncs_served),
            ("full_syncs_refused", self.stats.full_syncs_refused),
            ("tombstones", self.node.keyspace.tombstones()),
            ("stable_mark", self.stability.stable),
            ("pending_marks", len(self.stability.pending)),
            ("subscribers", len(self.inbound)),
            ("peers", len(self.subscribers)),
            *self.own.status(),
        ]
        for sub in self.subscribers:
            s = sub.stats
            fields.append(
                (
                    f"peer_{sub.region}",
                    f"address={sub.address},state={s.state},lag_records={sub.lag_records()},"
                    f"lag_ms={sub.lag_ms()},received={s.received},duplicates={s.duplicates},"
                    f"partial_syncs={s.partial_syncs},full_syncs={s.full_syncs},"
                    f"connects={s.connects},peer_vv={render_vv(s.peer_vv)}",
                )
            )
        now = time.monotonic()
        for link in self.inbound.values():
            fields.append(
                (
                    f"subscriber_{link.region}",
                    f"acked={render_vv(link.acked)},records_sent={link.records_sent},"
                    f"records_skipped={link.records_skipped},"
                    f"ack_age_ms={int((now - link.acked_at) * 1000)}",
                )
            )
        return fields
