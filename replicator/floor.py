"""Where this region's binlog stops being a complete history: the last full sync.

A full sync merges a peer's snapshot: the records it stands for are never
appended here, so the log holds a hole before the position of the snapshot
taken right after the merge. A subscriber whose vector lacks part of what the
merge brought (below `vv`) must not be served records from before that
position: it gets a full sync too. Persisted next to the node's data (a small
JSON file written atomically), since the hole outlives restarts until the
segments before it are retired. Must not know gRPC or keyspaces.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass

FILE_NAME = "replication-floor.json"


@dataclass(frozen=True, slots=True)
class Floor:
    position: int  # the binlog position of the snapshot taken after the merge
    vv: dict[str, int]  # per origin the merge advanced: its seq right after the merge

    def blocks(self, start: int, vv: dict[str, int]) -> bool:
        """Whether reading from `start` would skip records `vv` lacks (the hole)."""
        return start <= self.position and any(vv.get(o, 0) < s for o, s in self.vv.items())


def load_floor(directory: str) -> Floor | None:
    try:
        with open(os.path.join(directory, FILE_NAME), encoding="utf-8") as f:
            raw = json.load(f)
    except FileNotFoundError:
        return None
    return Floor(int(raw["position"]), {str(o): int(s) for o, s in raw["vv"].items()})


def save_floor(directory: str, floor: Floor) -> None:
    path = os.path.join(directory, FILE_NAME)
    tmp = path + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        json.dump({"position": floor.position, "vv": floor.vv}, f)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, path)
    fd = os.open(directory, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
