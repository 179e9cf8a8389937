"""Recovery: rebuild the log's state from a directory (like loading a multi-part AOF).

Owns reading the manifest, the latest snapshot and every segment after it,
the torn-tail rule (the LAST segment's unfinished tail is truncated with a
warning, like Redis's aof-load-truncated) and the refusal of any other damage.
Must not know the writer's threads or what payloads mean.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field

from binlog.errors import CorruptLog
from binlog.format import (
    SEGMENT_HEADER_SIZE,
    BadFrame,
    LogRecord,
    decode_segment_header,
    next_frame,
    read_frame,
    scan_frame,
)
from binlog.fs import FileSystem
from binlog.manifest import MANIFEST, Manifest, SegmentInfo, read_manifest
from binlog.snapshot import Snapshot, decode_snapshot

log = logging.getLogger("binlog")

# Only names the binlog itself creates: the directory may hold other files.
_OWN_FILE = re.compile(r"^(binlog\.\d{20}\.seg|snapshot\.\d{20}\.snap(\.tmp)?|MANIFEST\.tmp)$")


@dataclass(slots=True, frozen=True)
class Entry:
    """A record and where it is: it occupies positions [position, end)."""

    position: int
    end: int
    record: LogRecord


@dataclass(slots=True)
class Recovery:
    manifest: Manifest | None
    snapshot: Snapshot | None = None
    end: int = 0
    vv: dict[str, int] = field(default_factory=dict)
    max_hlc: int = 0
    records: int = 0
    truncated: tuple[str, int, str] | None = None  # file, offset, reason
    removed: list[str] = field(default_factory=list)


def scan_segment(
    data: bytes,
    info: SegmentInfo,
    on_entry: Callable[[Entry], None],
    skim_before: int = 0,
    on_skim: Callable[[str, int], None] | None = None,
) -> tuple[int, BadFrame | None]:
    """Feed every good record of a segment to `on_entry`; (offset where it stopped, why).

    Records before position `skim_before` are only checked (both checksums) and
    their origin and seq handed to `on_skim`, not decoded.
    """
    base = decode_segment_header(data, info.name)
    if base != info.base:
        raise CorruptLog(info.name, 0, f"segment base {base} != manifest base {info.base}")
    off = SEGMENT_HEADER_SIZE
    size = len(data)
    skim_end = min(skim_before - base + SEGMENT_HEADER_SIZE, size)
    while on_skim is not None and off < skim_end:
        skimmed = scan_frame(data, off)
        if isinstance(skimmed, BadFrame):
            return off, skimmed
        (origin, seq), off = skimmed
        on_skim(origin, seq)
    while off < size:
        frame = read_frame(data, off)
        if isinstance(frame, BadFrame):
            return off, frame
        record, nxt = frame
        on_entry(Entry(base + off - SEGMENT_HEADER_SIZE, base + nxt - SEGMENT_HEADER_SIZE, record))
        off = nxt
    return off, None


def recover(
    fs: FileSystem,
    replay: Callable[[Entry], None] | None = None,
    *,
    fix: bool = True,
    truncate_corrupt_tail: bool = False,
    skim_history: bool = False,
) -> Recovery:
    """Validate the whole log, replaying records from the snapshot position on.

    With `fix`, a torn tail is truncated (and fsynced) and unlisted leftovers
    are removed; without it nothing is changed (for `geokv binlog check`).
    With `skim_history`, the records before the snapshot (history kept for
    peers) are checksummed but not decoded: a node's start then costs what the
    records after the snapshot cost, not what the whole retained history does.
    `max_hlc` then covers only the records after the snapshot (the snapshot
    holds the clocks of the rest).
    """
    manifest = read_manifest(fs)
    if manifest is None:
        leftovers = [n for n in fs.listdir() if _OWN_FILE.match(n) and not n.endswith(".tmp")]
        if leftovers:
            raise CorruptLog(MANIFEST, 0, f"missing, but the directory holds {leftovers[0]}")
        return Recovery(None)
    rec = Recovery(manifest)
    start = 0
    if manifest.snapshot is not None:
        rec.snapshot = decode_snapshot(fs.read(manifest.snapshot.name), manifest.snapshot.name)
        start = rec.snapshot.position
        rec.vv.update(rec.snapshot.vv)
    vv = rec.vv
    boundaries: set[int] = set()

    def on_entry(entry: Entry) -> None:
        r = entry.record
        if r.seq > vv.get(r.origin, 0):
            vv[r.origin] = r.seq
        if r.hlc > rec.max_hlc:
            rec.max_hlc = r.hlc
        if entry.position == start:
            boundaries.add(start)
        if entry.position >= start:
            rec.records += 1
            if replay is not None:
                replay(entry)

    def on_skim(origin: str, seq: int) -> None:
        if seq > vv.get(origin, 0):
            vv[origin] = seq

    skim = (start, on_skim) if skim_history else (0, None)
    for i, info in enumerate(manifest.segments):
        last = i == len(manifest.segments) - 1
        rec.end = _recover_segment(fs, info, on_entry, skim, last, rec, fix, truncate_corrupt_tail)
        if info.base == start:
            boundaries.add(start)
    if start == rec.end:
        boundaries.add(start)
    if manifest.snapshot is not None and start not in boundaries:
        raise CorruptLog(manifest.snapshot.name, 0, f"position {start} is not a record boundary")
    if fix:
        rec.removed = _remove_leftovers(fs, manifest)
    return rec


def _recover_segment(
    fs: FileSystem,
    info: SegmentInfo,
    on_entry: Callable[[Entry], None],
    skim: tuple[int, Callable[[str, int], None] | None],
    last: bool,
    rec: Recovery,
    fix: bool,
    truncate_corrupt_tail: bool,
) -> int:
    try:
        data = fs.read(info.name)
    except FileNotFoundError:
        raise CorruptLog(info.name, 0, "segment listed in the manifest is missing") from None
    off, bad = scan_segment(data, info, on_entry, *skim)
    if bad is not None and last and not bad.torn and next_frame(data, off) < 0:
        bad = BadFrame(f"{bad.reason}, nothing intact after it", torn=True)
    if bad is not None and not (last and (bad.torn or truncate_corrupt_tail)):
        raise CorruptLog(info.name, off, bad.reason)
    end = info.base + off - SEGMENT_HEADER_SIZE
    if bad is not None:
        rec.truncated = (info.name, off, bad.reason)
        log.warning(
            "binlog: %s of %s at offset %d (%d bytes)%s",
            bad.reason,
            info.name,
            off,
            len(data) - off,
            ": truncating" if fix else "",
        )
        if fix:
            f = fs.open_append(info.name)
            try:
                f.truncate(off)
                f.fsync()
            finally:
                f.close()
    if not last and end != info.end:
        raise CorruptLog(
            info.name, off, f"segment ends at position {end}, manifest says {info.end}"
        )
    return end


def _remove_leftovers(fs: FileSystem, manifest: Manifest) -> list[str]:
    """Files of an interrupted rotation/compaction that the manifest does not list."""
    keep = {s.name for s in manifest.segments}
    if manifest.snapshot is not None:
        keep.add(manifest.snapshot.name)
    removed = [n for n in fs.listdir() if _OWN_FILE.match(n) and n not in keep]
    for name in removed:
        log.warning("binlog: removing %s, which the manifest does not list", name)
        fs.remove(name)
    if removed:
        fs.fsync_dir()
    return removed
