"""Segment files and retention: creating a segment, sealing it, retiring old ones.

Owns the rules of rotation and compaction as pure manifest transformations
plus the one helper that creates a segment file. Runs on the writer's thread;
must not know the event loop or the record encoding beyond the segment header.
"""

from __future__ import annotations

from dataclasses import dataclass, replace

from binlog.format import encode_segment_header
from binlog.fs import AppendFile, FileSystem
from binlog.manifest import Manifest, SegmentInfo, SnapshotInfo, segment_name


@dataclass(slots=True, frozen=True)
class Retention:
    """How much sealed history to keep behind the snapshot (None: no limit of that kind).

    A sealed segment wholly before the latest snapshot is retired when more
    than `history_bytes` of log follow it or it was sealed more than
    `history_seconds` ago; segments not covered by the snapshot are never retired.
    """

    history_bytes: int | None = 1 << 30
    history_seconds: float | None = 7 * 24 * 3600.0


def create_segment(fs: FileSystem, base: int) -> AppendFile:
    """A new, fsynced segment holding only its header (the manifest makes it visible)."""
    f = fs.open_append(segment_name(base))
    try:
        f.truncate(0)  # a leftover of an interrupted rotation may exist
        f.write(encode_segment_header(base))
        f.fsync()
    except BaseException:
        f.close()
        raise
    return f


def sealed(manifest: Manifest, end: int, now_ms: int, start_vv: dict[str, int]) -> Manifest:
    """The manifest after sealing the active segment at `end` and starting a new one there."""
    active = replace(manifest.segments[-1], end=end, sealed_ms=now_ms)
    fresh = SegmentInfo(segment_name(end), end, dict(start_vv))
    return Manifest([*manifest.segments[:-1], active, fresh], manifest.snapshot)


def with_snapshot(manifest: Manifest, snap: SnapshotInfo) -> Manifest:
    return Manifest(list(manifest.segments), snap)


def retire(
    manifest: Manifest, end: int, now_ms: int, keep: Retention
) -> tuple[Manifest, list[str]]:
    """The manifest without the oldest segments that are covered and outside the window."""
    snap = manifest.snapshot
    if snap is None:
        return manifest, []
    count = 0
    for seg in manifest.segments[:-1]:
        if seg.end is None or seg.end > snap.position:
            break
        too_big = keep.history_bytes is not None and end - seg.end > keep.history_bytes
        too_old = (
            keep.history_seconds is not None
            and seg.sealed_ms is not None
            and now_ms - seg.sealed_ms > keep.history_seconds * 1000
        )
        if not (too_big or too_old):
            break
        count += 1
    retired = [seg.name for seg in manifest.segments[:count]]
    return Manifest(manifest.segments[count:], snap), retired
