"""A region's durable copy of the topology: one JSON file, replaced atomically.

Owns the file's name inside a node's data directory, the write (temporary
file, fsync, rename, fsync of the directory: a crash leaves the old or the new
version, never a torn one) and the epoch rule: a version is kept only when its
epoch is newer than the stored one, so a stale change never overrides (offering the version held is no change).
Imports nothing else of geokv.
"""

from __future__ import annotations

import os
from pathlib import Path

from topology.model import Cluster, TopologyError

FILENAME = "topology.json"


class TopologyStore:
    def __init__(self, directory: str | Path) -> None:
        self.path = Path(directory) / FILENAME
        self.current: Cluster | None = self._load()

    def _load(self) -> Cluster | None:
        try:
            text = self.path.read_text()
        except FileNotFoundError:
            return None
        try:
            return Cluster.loads(text)
        except TopologyError as exc:
            raise TopologyError(f"{self.path}: {exc}") from None

    @property
    def epoch(self) -> int:
        return 0 if self.current is None else self.current.epoch

    def refusal(self, cluster: Cluster) -> str | None:
        """Why `cluster` may not replace the stored version, or None."""
        current = self.current
        if current is not None and cluster.cluster_id != current.cluster_id:
            return (
                f"cluster id mismatch: this region belongs to {current.cluster_id!r}, "
                f"the topology to {cluster.cluster_id!r}"
            )
        if cluster.epoch <= self.epoch and cluster != current:
            return f"stale epoch {cluster.epoch}: this region holds epoch {self.epoch}"
        return None

    def offer(self, cluster: Cluster) -> str | None:
        """Store `cluster` if it is newer (the version held: nothing to do); returns
        the refusal otherwise."""
        refusal = self.refusal(cluster)
        if refusal is None and cluster != self.current:
            self._write(cluster)
            self.current = cluster
        return refusal

    def _write(self, cluster: Cluster) -> None:
        tmp = self.path.with_suffix(".tmp")
        with open(tmp, "w") as f:
            f.write(cluster.dumps())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)
        fd = os.open(self.path.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
