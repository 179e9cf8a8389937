"""The CLI's side of the admin service: calls with timeouts, and the cluster's status.

Owns turning gRPC failures into `Unreachable` / `Refused` with a message a
person can act on, and gathering every region's status at once (the
unreachable ones reported as such). Must not render anything.
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

TIMEOUT_SECONDS = 3.0
T = TypeVar("T")


class Unreachable(Exception):
    """No admin service answered at the address."""


class Refused(Exception):
    """The region answered and refused the request."""


def call(address: str, rpc: Callable[[Any], T], timeout: float = TIMEOUT_SECONDS) -> T:
    """Run `rpc(stub)` against the admin service at `address`."""
    with grpc.insecure_channel(address) as channel:
        stub = pb_grpc.AdminStub(channel)
        try:
            return rpc(stub)
        except grpc.RpcError as exc:
            code, details = exc.code(), exc.details()
            if code in (grpc.StatusCode.UNAVAILABLE, grpc.StatusCode.DEADLINE_EXCEEDED):
                raise Unreachable(
                    f"cannot reach the admin service at {address} ({code.name.lower()})"
                ) from None
            if code == grpc.StatusCode.UNIMPLEMENTED:
                raise Unreachable(
                    f"{address} is not a geokv admin service (is replication-port set?)"
                ) from None
            raise Refused(f"{address}: {details}") from None


def get_topology(address: str) -> Cluster:
    reply = call(address, lambda s: s.GetTopology(pb.Empty(), timeout=TIMEOUT_SECONDS))
    try:
        return Cluster.loads(reply.json)
    except TopologyError as exc:
        raise Refused(f"{address} holds an unreadable topology: {exc}") from None


def put_topology(address: str, cluster: Cluster) -> pb.PutReply:
    message = pb.Topology(epoch=cluster.epoch, json=cluster.dumps())
    reply: pb.PutReply = call(address, lambda s: s.PutTopology(message, timeout=TIMEOUT_SECONDS))
    return reply


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


def region_status(address: str) -> pb.RegionStatus:
    reply: pb.RegionStatus = call(address, lambda s: s.Status(pb.Empty(), timeout=TIMEOUT_SECONDS))
    return reply


def cluster_view(cluster: Cluster) -> ClusterView:
    """Every member's status, fetched in parallel (an unreachable one costs one timeout)."""

    def one(region_id: str, admin: str) -> RegionView:
        view = RegionView(region_id, admin)
        try:
            view.status = region_status(admin)
        except (Unreachable, Refused) as exc:
            view.error = str(exc)
        return view

    with ThreadPoolExecutor(max_workers=max(1, len(cluster.regions))) as pool:
        views = list(pool.map(lambda r: one(r.id, r.admin), cluster.regions))
    return ClusterView(cluster, views)
