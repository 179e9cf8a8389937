"""A region's admin service: its copy of the topology, membership, status, health, flush.

Owns the node side of `geokv topology ...` (proto/admin.proto, served on the
replication port next to the Replication service): the durable topology
(topology.store, epoch-ordered), pushing an accepted version to every other
region until each has it or a newer one, turning a version into the
replicator's peer set (one subscriber per other member), the members that
tombstone collection waits on (a removed region no longer counts), and the
status the CLI shows. With replication TLS on, the service sits behind the
same mutual TLS as the links (the CLI needs a certificate from the cluster's
CA; tests/topology/test_tls.py). Must not know how the CLI renders anything,
nor how records are streamed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from typing import Any, NoReturn

import grpc

from node.config import Config
from node.core import Node
from node.handlers.geokv import keyspace_digest
from node.server import Server
from replicator.service import Replicator
from replicator.subscriber import Subscriber
from topology.model import Cluster, TopologyError
from topology.proto import admin_pb2 as pb
from topology.proto import admin_pb2_grpc as pb_grpc
from topology.store import TopologyStore

log = logging.getLogger("geokv.admin")

PUSH_RETRY_SECONDS = 1.0
PUSH_TIMEOUT_SECONDS = 3.0


def tombstones(node: Node) -> int:
    """What deletes left that replication may still need (node.keyspace)."""
    return node.keyspace.tombstones()


class Admin:
    """A `node.server.Service`, started after the replicator it steers."""

    def __init__(self, config: Config, replicator: Replicator) -> None:
        self.config = config
        self.replicator = replicator
        self.region: str = config["region-id"]
        self.store = TopologyStore(config["dir"])
        self._node: Node | None = None
        self._pushes: set[asyncio.Task[None]] = set()
        replicator.services.append(
            lambda grpc_server: pb_grpc.add_AdminServicer_to_server(
                AdminServicer(self), grpc_server
            )
        )
        self._stopping: list[asyncio.Task[None]] = []

    @property
    def node(self) -> Node:
        assert self._node is not None, "the admin service has not started"
        return self._node

    async def start(self, server: Server) -> None:
        self._node = server.node
        server.node.stable_mark = self.stable_mark
        current = self.store.current
        if current is not None:
            self._apply(current)
            self._push(current)

    async def stop(self) -> None:
        for task in [*self._pushes, *self._stopping]:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    # -- topology versions ------------------------------------------------------------

    def offer(self, cluster: Cluster) -> str | None:
        if cluster.cluster_id != self.config["cluster-id"]:
            return (
                f"cluster id mismatch: region {self.region!r} runs cluster "
                f"{self.config['cluster-id']!r}, the topology is for {cluster.cluster_id!r}"
            )
        held = self.store.current
        refusal = self.store.offer(cluster)
        if refusal is None and cluster != held:
            log.info("topology epoch %d accepted: %s", cluster.epoch, ", ".join(cluster.ids()))
            self._apply(cluster)
            self._push(cluster)
        return refusal

    def _apply(self, cluster: Cluster) -> None:
        """Make the replicator's subscriptions those of `cluster` (none when removed)."""
        replicator = self.replicator
        wanted = (
            {r.id: r.replication_address for r in cluster.regions if r.id != self.region}
            if self.region in cluster.ids()
            else {}
        )
        for sub in list(replicator.subscribers):
            if wanted.get(sub.region) != sub.address:
                replicator.subscribers.remove(sub)
                self._stopping.append(asyncio.get_running_loop().create_task(sub.stop()))
        have = {sub.region for sub in replicator.subscribers}
        for region, address in wanted.items():
            if region not in have:
                sub = Subscriber(replicator, region, address)
                replicator.subscribers.append(sub)
                sub.start()
        # `peers` is fixed at start for CONFIG SET; membership is what changes it later.
        peers = " ".join(f"{r}={a}" for r, a in wanted.items())
        self.config.set_many([("peers", peers)], at_start=True)

    def _push(self, cluster: Cluster) -> None:
        for region in cluster.regions:
            if region.id != self.region:
                task = asyncio.get_running_loop().create_task(self._push_to(cluster, region.admin))
                self._pushes.add(task)
                task.add_done_callback(self._pushes.discard)

    async def _push_to(self, cluster: Cluster, address: str) -> None:
        """Until the region holds this epoch or a newer one (or ours moved on)."""
        message = pb.Topology(epoch=cluster.epoch, json=cluster.dumps())
        while self.store.epoch == cluster.epoch:
            try:
                async with self.replicator.channel(address) as channel:  # TLS when on
                    reply = await pb_grpc.AdminStub(channel).PutTopology(
                        message, timeout=PUSH_TIMEOUT_SECONDS
                    )
                if reply.accepted or reply.epoch >= cluster.epoch:
                    return
                log.warning(
                    "region at %s refused epoch %d: %s", address, cluster.epoch, reply.reason
                )
                return
            except grpc.aio.AioRpcError as exc:
                log.debug("topology push to %s: %s", address, exc.code().name)
            await asyncio.sleep(PUSH_RETRY_SECONDS)

    # -- tombstones ---------------------------------------------------------------------

    def stable_mark(self, mark: int, applied: dict[str, int]) -> int:
        """The replicator's stability rule with the topology's other members as the
        cluster: a removed region no longer holds collection back, and its records
        are bounded by what the members acknowledged holding."""
        cluster = self.store.current
        if cluster is None:
            return self.replicator.stable_mark(mark, applied)
        members = set(cluster.ids()) - {self.region}
        return self.replicator.stability.advance(
            mark, applied, self.replicator.acked(), members, set(cluster.gone())
        )

    # -- status ----------------------------------------------------------------------

    def role(self) -> str:
        cluster = self.store.current
        if cluster is None:
            return "standalone"
        return "active" if self.region in cluster.ids() else "removed"

    def status(self) -> pb.RegionStatus:
        node = self.node
        node.tick()
        peers = [
            pb.PeerStatus(
                region=sub.region,
                state=sub.stats.state,
                lag_records=sub.lag_records(),
                lag_ms=sub.lag_ms(),
            )
            for sub in self.replicator.subscribers
        ]
        return pb.RegionStatus(
            region=self.region,
            cluster_id=self.config["cluster-id"],
            epoch=self.store.epoch,
            role=self.role(),
            applied=node.keyspace.applied,
            digest=keyspace_digest(node.keyspace, node.now_ms),
            peers=peers,
            tombstones=tombstones(node),
            keys=len(node.keyspace.data),
            resp_address=self._resp_address(),
            writes_held=node.own_records_missing,
            waiting_for=self.replicator.own.waiting_for(),
        )

    def _resp_address(self) -> str:
        cluster = self.store.current
        if cluster is not None and self.region in cluster.ids():
            return cluster.region(self.region).resp_address
        hosts = [h.lstrip("-") for h in self.config["bind"]] or ["127.0.0.1"]
        return f"{hosts[0]}:{self.config['port']}"

    def flush(self) -> dict[str, int]:
        """FLUSHALL as a client would issue it: one Flush effect, replicated."""
        node = self.node
        node.tick()
        node.flush()
        node.commit()
        return dict(node.keyspace.applied)


class AdminServicer(pb_grpc.AdminServicer):  # type: ignore[misc]
    def __init__(self, admin: Admin) -> None:
        self.admin = admin

    async def GetTopology(self, request: pb.Empty, context: Any) -> pb.Topology:
        current = self.admin.store.current
        if current is None:
            await _abort(context, grpc.StatusCode.NOT_FOUND, "this region has no topology yet")
        return pb.Topology(epoch=current.epoch, json=current.dumps())

    async def PutTopology(self, request: pb.Topology, context: Any) -> pb.PutReply:
        try:
            cluster = Cluster.loads(request.json)
        except TopologyError as exc:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, str(exc))
        if cluster.epoch != request.epoch:
            await _abort(context, grpc.StatusCode.INVALID_ARGUMENT, "epoch differs from the JSON's")
        refusal = self.admin.offer(cluster)
        return pb.PutReply(
            accepted=refusal is None, epoch=self.admin.store.epoch, reason=refusal or ""
        )

    async def Status(self, request: pb.Empty, context: Any) -> pb.RegionStatus:
        return self.admin.status()

    async def Health(self, request: pb.Empty, context: Any) -> pb.HealthReply:
        error = self.admin.node.sink.write_error()
        if error:
            return pb.HealthReply(ok=False, detail=f"binlog write error: {error}")
        down = [s.region for s in self.admin.replicator.subscribers if s.stats.state != "connected"]
        if down:
            return pb.HealthReply(ok=True, detail="serving; links down: " + ", ".join(down))
        return pb.HealthReply(ok=True, detail="serving")

    async def Flush(self, request: pb.Empty, context: Any) -> pb.FlushReply:
        return pb.FlushReply(applied=self.admin.flush())


async def _abort(context: Any, code: grpc.StatusCode, details: str) -> NoReturn:
    await context.abort(code, details)
    raise AssertionError("context.abort raises")
