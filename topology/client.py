"""The CLI's side of the admin service: calls with timeouts, and the cluster's status.

Owns opening a channel to an admin service (plaintext, or TLS with the
client's certificate when the CLI has one: see topology.tls), turning gRPC
failures into `Unreachable` / `Refused` with a message a person can act on,
and gathering every region's status at once (the unreachable ones reported as
such). Must not render anything.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any, TypeVar

import grpc

from topology.model import Cluster, TopologyError
from topology.proto import admin_pb2 as pb
from topology.proto import admin_pb2_grpc as pb_grpc
from topology.tls import ClientTLS, handshake_failure, plaintext_refused

TIMEOUT_SECONDS = 3.0
T = TypeVar("T")


class Unreachable(Exception):
    """No admin service answered at the address."""


class Refused(Exception):
    """The region answered and refused the request."""


@dataclass
class RegionView:
    """One region as the status shows it: its reply, or why there is none."""

    id: str
    admin: str
    status: pb.RegionStatus | None = None
    error: str = ""

    @property
    def reachable(self) -> bool:
        return self.status is not None


@dataclass
class ClusterView:
    cluster: Cluster
    regions: list[RegionView] = field(default_factory=list)

    @property
    def converged(self) -> bool:
        """Every member answered, applied the same records and shows the same state."""
        members = [r.status for r in self.regions]
        if not members or any(s is None for s in members):
            return False
        digests = {s.digest for s in members if s is not None}
        vvs = {tuple(sorted(s.applied.items())) for s in members if s is not None}
        return len(digests) == 1 and len(vvs) == 1


class AdminClient:
    """Calls to regions' admin services, all with the same transport security."""

    def __init__(self, tls: ClientTLS | None = None) -> None:
        self.tls = tls

    def call(self, address: str, rpc: Callable[[Any], T], region: str = "") -> T:
        """Run `rpc(stub)` against the admin service at `address` (of `region`, when
        known: errors name it)."""
        with self._channel(address) as channel:
            try:
                return rpc(pb_grpc.AdminStub(channel))
            except grpc.RpcError as exc:
                raise self._failure(exc, address, region) from None

    def _channel(self, address: str) -> grpc.Channel:
        if self.tls is None:
            return grpc.insecure_channel(address)
        return grpc.secure_channel(address, self.tls.credentials)

    def _failure(self, exc: grpc.RpcError, address: str, region: str) -> Exception:
        code, details = exc.code(), exc.details() or ""
        where = f"{region} ({address})" if region else address
        if code == grpc.StatusCode.UNAVAILABLE:
            if self.tls is not None:
                reason = handshake_failure(details, address, self.tls)
                if reason is not None:
                    return Unreachable(f"TLS handshake with {where} failed: {reason}")
            elif plaintext_refused(details):
                return Unreachable(
                    f"{where} closed the connection before any reply: a region with "
                    "replication TLS on only takes TLS clients (give --tls-cert-file, "
                    "--tls-key-file and --tls-ca-cert-file, or set GEOKV_TLS_*)"
                )
        if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
            return Unreachable(f"cannot reach the admin service at {where} ({code.name.lower()})")
        if code == grpc.StatusCode.UNIMPLEMENTED:
            return Unreachable(f"{where} is not a geokv admin service (is replication-port set?)")
        return Refused(f"{where}: {details}")

    def get_topology(self, address: str) -> Cluster:
        reply = self.call(address, lambda s: s.GetTopology(pb.Empty(), timeout=TIMEOUT_SECONDS))
        try:
            return Cluster.loads(reply.json)
        except TopologyError as exc:
            raise Refused(f"{address} holds an unreadable topology: {exc}") from None

    def put_topology(self, address: str, cluster: Cluster, region: str = "") -> pb.PutReply:
        message = pb.Topology(epoch=cluster.epoch, json=cluster.dumps())
        reply: pb.PutReply = self.call(
            address, lambda s: s.PutTopology(message, timeout=TIMEOUT_SECONDS), region
        )
        return reply

    def region_status(self, address: str, region: str = "") -> pb.RegionStatus:
        reply: pb.RegionStatus = self.call(
            address, lambda s: s.Status(pb.Empty(), timeout=TIMEOUT_SECONDS), region
        )
        return reply

    def health(self, address: str, region: str = "") -> pb.HealthReply:
        reply: pb.HealthReply = self.call(
            address, lambda s: s.Health(pb.Empty(), timeout=TIMEOUT_SECONDS), region
        )
        return reply

    def flush(self, address: str) -> pb.FlushReply:
        reply: pb.FlushReply = self.call(
            address, lambda s: s.Flush(pb.Empty(), timeout=TIMEOUT_SECONDS)
        )
        return reply

    def cluster_view(self, cluster: Cluster) -> ClusterView:
        """Every member's status, fetched in parallel (an unreachable one costs one timeout)."""

        def one(region_id: str, admin: str) -> RegionView:
            view = RegionView(region_id, admin)
            try:
                view.status = self.region_status(admin, region_id)
            except (Unreachable, Refused) as exc:
                view.error = str(exc)
            return view

        with ThreadPoolExecutor(max_workers=max(1, len(cluster.regions))) as pool:
            views = list(pool.map(lambda r: one(r.id, r.admin), cluster.regions))
        return ClusterView(cluster, views)
