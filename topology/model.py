"""The cluster topology: its regions, their addresses, and the epoch that orders versions.

Owns the data model (`Cluster`, `Region`), its JSON form (what nodes store and
the admin service carries), the validation every entry point shares (flags,
files, Terraform's `geokv_topology` output, see docs/operations.md) and the
membership changes (add, remove, purge) that each produce the next epoch.
Imports nothing else of geokv: nodes and the CLI both use it.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any

_ID = re.compile(r"[A-Za-z0-9_-]{1,64}")


class TopologyError(ValueError):
    """An invalid topology or change; the message says what is wrong."""


def check_id(value: object, what: str) -> str:
    if not isinstance(value, str) or not _ID.fullmatch(value):
        raise TopologyError(f"{what} must be 1 to 64 letters, digits, '-' or '_' (got {value!r})")
    return value


def check_address(value: object, what: str) -> str:
    """host:port with a port in 1..65535 ([v6]:port allowed)."""
    if isinstance(value, str):
        host, colon, port = value.rpartition(":")
        if colon and host and port.isdigit() and 0 < int(port) < 65536:
            return value
    raise TopologyError(f"{what} must be host:port with a port in 1..65535 (got {value!r})")


@dataclass(frozen=True, slots=True)
class Region:
    id: str
    resp_address: str
    replication_address: str
    name: str = ""
    admin_address: str = ""
    tls: dict[str, Any] = field(default_factory=dict, compare=False)

    def __post_init__(self) -> None:
        if not self.name:  # the format's default
            object.__setattr__(self, "name", self.id)

    @property
    def admin(self) -> str:
        """Where the admin service answers: its own address, else the replication port."""
        return self.admin_address or self.replication_address

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "id": self.id,
            "name": self.name,
            "resp_address": self.resp_address,
            "replication_address": self.replication_address,
        }
        if self.admin_address:
            out["admin_address"] = self.admin_address
        if self.tls:
            out["tls"] = self.tls
        return out

    @classmethod
    def from_json(cls, raw: object, index: int) -> Region:
        if not isinstance(raw, dict):
            raise TopologyError(f"region #{index + 1} must be an object")
        if "id" not in raw:
            raise TopologyError(f"region #{index + 1} has no id")
        rid = check_id(raw["id"], f"region #{index + 1}'s id")
        for key in ("resp_address", "replication_address"):
            if key not in raw:
                raise TopologyError(f"region {rid!r} has no {key}")
        tls = raw.get("tls") or {}
        if not isinstance(tls, dict):
            raise TopologyError(f"region {rid!r}: tls must be an object")
        admin = raw.get("admin_address") or ""
        name = raw.get("name") or ""
        if not isinstance(name, str):
            raise TopologyError(f"region {rid!r}: name must be a string")
        return cls(
            id=rid,
            name=name,
            resp_address=check_address(raw["resp_address"], f"region {rid!r}'s resp_address"),
            replication_address=check_address(
                raw["replication_address"], f"region {rid!r}'s replication_address"
            ),
            admin_address=check_address(admin, f"region {rid!r}'s admin_address") if admin else "",
            tls=tls,
        )


@dataclass(frozen=True, slots=True)
class Cluster:
    """One version of the topology.

    `removed`: regions taken out (listed until purged); `retired`: purged ones.
    Their records stay wherever they reached, their origins no longer block
    tombstone collection, and their ids are never reused: a new region with an
    old id would restart its sequence numbers under records already applied.
    """

    cluster_id: str
    regions: tuple[Region, ...]
    name: str = ""
    epoch: int = 1
    removed: tuple[str, ...] = ()
    retired: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        check_id(self.cluster_id, "cluster_id")
        if not self.name:  # the format's default
            object.__setattr__(self, "name", self.cluster_id)
        if not self.regions:
            raise TopologyError("a cluster needs at least one region")
        seen: set[str] = set()
        for region in self.regions:
            if region.id in seen:
                raise TopologyError(f"duplicate region id {region.id!r}")
            seen.add(region.id)

    def region(self, region_id: str) -> Region:
        for region in self.regions:
            if region.id == region_id:
                return region
        known = ", ".join(r.id for r in self.regions)
        raise TopologyError(f"unknown region {region_id!r} (regions: {known})")

    def ids(self) -> list[str]:
        return [r.id for r in self.regions]

    # -- changes: each returns the next epoch ------------------------------------------

    def with_region(self, region: Region) -> Cluster:
        if region.id in self.ids():
            raise TopologyError(f"region {region.id!r} is already in cluster {self.cluster_id!r}")
        if region.id in self.removed or region.id in self.retired:
            raise TopologyError(
                f"region id {region.id!r} belonged to a removed region and cannot be reused "
                "(its records are still held under that id): choose another id"
            )
        return replace(self, regions=(*self.regions, region), epoch=self.epoch + 1)

    def without_region(self, region_id: str) -> Cluster:
        self.region(region_id)
        if len(self.regions) == 1:
            raise TopologyError(f"region {region_id!r} is the cluster's last region")
        return replace(
            self,
            regions=tuple(r for r in self.regions if r.id != region_id),
            removed=(*self.removed, region_id),
            epoch=self.epoch + 1,
        )

    def purged(self, region_id: str) -> Cluster:
        if region_id not in self.removed:
            raise TopologyError(f"region {region_id!r} is not a removed region of the cluster")
        return replace(
            self,
            removed=tuple(r for r in self.removed if r != region_id),
            retired=(*self.retired, region_id),
            epoch=self.epoch + 1,
        )

    def gone(self) -> set[str]:
        """Regions that write nothing more: removed or retired."""
        return {*self.removed, *self.retired}

    # -- JSON --------------------------------------------------------------------------

    def to_json(self) -> dict[str, Any]:
        return {
            "cluster_id": self.cluster_id,
            "name": self.name,
            "epoch": self.epoch,
            "regions": [r.to_json() for r in self.regions],
            "removed": list(self.removed),
            "retired": list(self.retired),
        }

    def dumps(self) -> str:
        return json.dumps(self.to_json(), sort_keys=True)

    @classmethod
    def from_json(cls, raw: object) -> Cluster:
        if not isinstance(raw, dict):
            raise TopologyError("the topology must be a JSON object")
        if "cluster_id" not in raw:
            raise TopologyError("the topology has no cluster_id")
        cluster_id = check_id(raw["cluster_id"], "cluster_id")
        regions = raw.get("regions")
        if not isinstance(regions, list) or not regions:
            raise TopologyError("the topology has no regions")
        epoch = raw.get("epoch", 1)
        if not isinstance(epoch, int) or isinstance(epoch, bool) or epoch < 1:
            raise TopologyError(f"epoch must be a positive integer (got {epoch!r})")
        removed, retired = raw.get("removed") or [], raw.get("retired") or []
        if not isinstance(removed, list) or not isinstance(retired, list):
            raise TopologyError("removed and retired must be lists of region ids")
        name = raw.get("name") or ""
        if not isinstance(name, str):
            raise TopologyError("name must be a string")
        return cls(
            cluster_id=cluster_id,
            name=name,
            regions=tuple(Region.from_json(r, i) for i, r in enumerate(regions)),
            epoch=epoch,
            removed=tuple(check_id(r, "a removed region id") for r in removed),
            retired=tuple(check_id(r, "a retired region id") for r in retired),
        )

    @classmethod
    def loads(cls, text: str) -> Cluster:
        try:
            raw = json.loads(text)
        except json.JSONDecodeError as exc:
            raise TopologyError(f"not JSON: {exc}") from None
        return cls.from_json(raw)


def from_terraform(text: str) -> Cluster:
    """The `geokv_topology` output of `terraform output -json` (docs/operations.md)."""
    try:
        outputs = json.loads(text)
    except json.JSONDecodeError as exc:
        raise TopologyError(f"not JSON (expected `terraform output -json`): {exc}") from None
    if not isinstance(outputs, dict) or "geokv_topology" not in outputs:
        raise TopologyError("no geokv_topology output in the Terraform outputs")
    output = outputs["geokv_topology"]
    if not isinstance(output, dict) or "value" not in output:
        raise TopologyError("the geokv_topology output has no value")
    value = output["value"]
    if isinstance(value, dict) and "epoch" in value:
        raise TopologyError("the geokv_topology output must not set an epoch")
    return Cluster.from_json(value)
