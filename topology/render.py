"""What `geokv topology` and `geokv demo` print: tables for people, JSON for scripts.

Owns the layout of the region list, the status table and the lag matrix, and
the JSON documents of the same data. Must not talk to regions.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from topology.client import ClusterView
from topology.model import Cluster
from topology.proto import admin_pb2 as pb

DIGEST_CHARS = 12


def table(header: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    cells = [[str(c) for c in header], *[[str(c) for c in row] for row in rows]]
    widths = [max(len(row[i]) for row in cells) for i in range(len(header))]
    return "\n".join(
        "  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip() for row in cells
    )


def vv_text(vv: dict[str, int]) -> str:
    return " ".join(f"{o}:{vv[o]}" for o in sorted(vv)) or "-"


def topology_text(cluster: Cluster) -> str:
    head = f"cluster {cluster.cluster_id} ({cluster.name or cluster.cluster_id}), epoch {cluster.epoch}"
    rows = [
        (r.id, r.name or r.id, r.resp_address, r.replication_address, r.admin)
        for r in cluster.regions
    ]
    out = [head, table(("REGION", "NAME", "RESP", "REPLICATION", "ADMIN"), rows)]
    if cluster.removed:
        out.append("removed (not purged): " + ", ".join(cluster.removed))
    return "\n".join(out)


def writes_text(s: pb.RegionStatus) -> str:
    """Open, or held until the peers sent back the region's own lost records."""
    if not s.writes_held:
        return "open"
    return f"held (waiting for {','.join(s.waiting_for)})" if s.waiting_for else "held"


def status_text(view: ClusterView) -> str:
    cluster = view.cluster
    rows: list[tuple[object, ...]] = []
    for r in view.regions:
        s = r.status
        if s is None:
            rows.append((r.id, "no", "-", "-", "-", "-", "-", "-"))
            continue
        rows.append(
            (r.id, "yes", s.role, writes_text(s), vv_text(dict(s.applied)),
             s.digest[:DIGEST_CHARS], s.tombstones, s.keys)
        )  # fmt: skip
    ids = cluster.ids()
    lag_rows = []
    for r in view.regions:
        peers = {p.region: p for p in r.status.peers} if r.status is not None else {}
        row: list[object] = [r.id]
        for peer in ids:
            p = peers.get(peer)
            row.append("-" if peer == r.id or p is None else f"{p.lag_records}/{p.lag_ms}ms")
        lag_rows.append(row)
    lines = [
        f"cluster {cluster.cluster_id}, epoch {cluster.epoch}, "
        f"converged: {'yes' if view.converged else 'no'}",
        table(
            (
                "REGION",
                "REACHABLE",
                "ROLE",
                "WRITES",
                "VERSION VECTOR",
                "DIGEST",
                "TOMBSTONES",
                "KEYS",
            ),
            rows,
        ),
        "",
        "lag (records/ms) of each region (row) behind each peer (column):",
        table(("", *ids), lag_rows),
    ]
    errors = [f"{r.id}: {r.error}" for r in view.regions if r.error]
    if errors:
        lines += ["", *errors]
    if cluster.removed:
        lines.append("removed (not purged): " + ", ".join(cluster.removed))
    return "\n".join(lines)


def status_json(view: ClusterView) -> dict[str, Any]:
    regions = []
    for r in view.regions:
        s = r.status
        entry: dict[str, Any] = {
            "region": r.id,
            "admin_address": r.admin,
            "reachable": s is not None,
        }
        if s is None:
            entry["error"] = r.error
        else:
            entry.update(
                role=s.role,
                epoch=s.epoch,
                version_vector=dict(s.applied),
                digest=s.digest,
                tombstones=s.tombstones,
                keys=s.keys,
                resp_address=s.resp_address,
                writes="held" if s.writes_held else "open",
                waiting_for=list(s.waiting_for),
                lag={
                    p.region: {"state": p.state, "records": p.lag_records, "ms": p.lag_ms}
                    for p in s.peers
                },
            )
        regions.append(entry)
    return {
        "cluster_id": view.cluster.cluster_id,
        "epoch": view.cluster.epoch,
        "converged": view.converged,
        "regions": regions,
        "removed": list(view.cluster.removed),
    }
