"""The binlog's files as its thread sees them: the manifest and the active segment.

Owns the state only the binlog thread replaces (the manifest, the open segment
file) and every file operation that goes with it: a write (with its fsync and
the segment's rotation), an fsync alone, a snapshot's install, the removal of
retired files. binlog.writer decides when each runs and on which thread (the
loop writes the segment itself when no job that writes, rotates or repairs it
runs) and reads `manifest`. Must not know the event loop, policies or waiters.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from binlog.format import SEGMENT_HEADER_SIZE
from binlog.fs import AppendFile, FileSystem
from binlog.manifest import Manifest, SnapshotInfo, write_manifest
from binlog.segments import Retention, create_segment, retire, sealed, with_snapshot

log = logging.getLogger("binlog")


@dataclass(slots=True)
class Done:
    written: bool = False
    synced: bool = False
    error: OSError | None = None


class SegmentFiles:
    def __init__(
        self,
        fs: FileSystem,
        manifest: Manifest,
        segment_bytes: int,
        retention: Retention,
        wall: Callable[[], float],
    ) -> None:
        self.fs = fs
        # Replaced (never mutated in place) by the binlog thread only.
        self.manifest = manifest
        self.file: AppendFile = fs.open_append(manifest.segments[-1].name)
        self.segment_bytes = segment_bytes
        self.retention = retention
        self._wall = wall

    def write(
        self, data: bytes, sync: bool, repair_from: int | None, vv: dict[str, int], end: int
    ) -> Done:
        done = Done()
        try:
            base = self.manifest.segments[-1].base
            if repair_from is not None:
                self.file.truncate(repair_from - base + SEGMENT_HEADER_SIZE)
            if data:
                self.file.write(data)
            done.written = True
            if sync:
                self.file.fsync()
                done.synced = True
            if end - base >= self.segment_bytes:
                self._rotate(end, vv)
                done.synced = True
        except OSError as exc:
            done.error = exc
        return done

    def fsync(self) -> Done:
        done = Done(written=True)
        try:
            self.file.fsync()
            done.synced = True
        except OSError as exc:
            done.error = exc
        return done

    def _rotate(self, end: int, vv: dict[str, int]) -> None:
        self.file.fsync()
        fresh = create_segment(self.fs, end)
        now_ms = int(self._wall() * 1000)
        manifest, retired = retire(
            sealed(self.manifest, end, now_ms, vv), end, now_ms, self.retention
        )
        try:
            write_manifest(self.fs, manifest)
        except BaseException:
            fresh.close()
            raise
        self.manifest = manifest
        self.file.close()
        self.file = fresh
        self._remove(retired)

    def install_snapshot(self, name: str, position: int) -> None:
        old = self.manifest.snapshot
        end = self.manifest.segments[-1].base + self.file.size() - SEGMENT_HEADER_SIZE
        manifest, retired = retire(
            with_snapshot(self.manifest, SnapshotInfo(name, position)),
            end,
            int(self._wall() * 1000),
            self.retention,
        )
        write_manifest(self.fs, manifest)
        self.manifest = manifest
        if old is not None and old.name != name:
            retired.append(old.name)
        self._remove(retired)

    def _remove(self, names: list[str]) -> None:
        # The manifest no longer lists them: a failure here leaves leftovers that
        # the next open removes, never a broken log.
        try:
            for name in names:
                self.fs.remove(name)
            if names:
                self.fs.fsync_dir()
        except OSError as exc:
            log.warning("binlog: could not remove retired files: %s", exc)
