"""Where this region's binlog is not a complete history: what full syncs skipped.

A full sync merges a peer's snapshot: the records it stands for are never
appended here, so per origin the merge advanced, the seqs from what this
region had applied up to what the snapshot held exist nowhere in its log.
A subscriber lacking any of them (its vector below the floor on such an
origin) cannot be served records from this log, wherever it would start: it
gets a full sync. The floor only grows (several full syncs: per origin the
highest seq). Persisted next to the node's data (a small JSON file written
atomically), since the hole outlives restarts. Must not know gRPC or keyspaces.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

FILE_NAME = "replication-floor.json"


@dataclass(frozen=True, slots=True)
class Floor:
    vv: dict[str, int]  # per origin a merge advanced: the seq it advanced to

    def blocks(self, vv: dict[str, int]) -> bool:
        """Whether a subscriber that applied `vv` lacks records this log never held."""
        return any(vv.get(o, 0) < s for o, s in self.vv.items())

    def raised(self, skipped: dict[str, int]) -> Floor:
        merged = dict(self.vv)
        for origin, seq in skipped.items():
            merged[origin] = max(seq, merged.get(origin, 0))
        return Floor(merged)


def load_floor(directory: str) -> Floor:
    try:
        with open(os.path.join(directory, FILE_NAME), encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError:
        return Floor({})
    return Floor({str(o): int(s) for o, s in raw["vv"].items()})


def save_floor(directory: str, floor: Floor) -> None:
    path = os.path.join(directory, FILE_NAME)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"vv": floor.vv}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
