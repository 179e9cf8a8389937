"""`geokv binlog inspect PATH` and `geokv binlog check [--fix] DIR` (like redis-check-aof).

Owns the human-facing tools over a binlog directory or one segment file.
Must not know the node: payloads are shown as sizes and hex previews.

Exit codes of `check`: 0 the log is clean (or --fix repaired it); 1 a torn
tail was found and not fixed; 2 usage error or no readable binlog; 3
corruption that --fix did not repair (mid-log damage is only repaired by
truncation with --truncate-corrupt, and only inside the last segment).
"""

from __future__ import annotations

import argparse
import os
import sys

from binlog.errors import BinlogError, CorruptLog
from binlog.format import decode_segment_header
from binlog.fs import RealFS
from binlog.manifest import SegmentInfo, read_manifest
from binlog.recovery import Entry, Recovery, recover, scan_segment

EXIT_OK, EXIT_TORN, EXIT_USAGE, EXIT_CORRUPT = 0, 1, 2, 3


def main(args: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="geokv binlog", description="binlog tools")
    sub = parser.add_subparsers(dest="tool", required=True)
    inspect = sub.add_parser("inspect", help="print records of a binlog dir or segment file")
    inspect.add_argument("path")
    inspect.add_argument("--preview", type=int, default=16, help="payload bytes shown in hex")
    check = sub.add_parser("check", help="verify a binlog dir; --fix truncates a torn tail")
    check.add_argument("dir")
    check.add_argument("--fix", action="store_true", help="truncate a torn tail")
    check.add_argument(
        "--truncate-corrupt",
        action="store_true",
        help="with --fix, also truncate corruption inside the last segment (drops what follows)",
    )
    try:
        ns = parser.parse_args(args)
    except SystemExit as exc:
        return EXIT_OK if exc.code == 0 else EXIT_USAGE
    try:
        if ns.tool == "inspect":
            return _inspect(ns.path, ns.preview)
        return _check(ns.dir, ns.fix, ns.truncate_corrupt)
    except (OSError, BinlogError) as exc:
        print(f"geokv binlog: {exc}", file=sys.stderr)
        return EXIT_USAGE


def _format(entry: Entry, preview: int) -> str:
    r = entry.record
    deps = ",".join(f"{o}:{s}" for o, s in sorted(r.deps.items()))
    more = "..." if len(r.payload) > preview else ""
    return (
        f"{entry.position:>12} origin={r.origin} seq={r.seq} hlc={r.hlc} deps={{{deps}}} "
        f"payload={len(r.payload)}B {r.payload[:preview].hex()}{more}"
    )


def _inspect(path: str, preview: int) -> int:
    if os.path.isdir(path):
        fs = RealFS(path)
        manifest = read_manifest(fs)
        if manifest is None:
            print(f"geokv binlog: no MANIFEST in {path}", file=sys.stderr)
            return EXIT_USAGE
        if manifest.snapshot is not None:
            print(f"# snapshot {manifest.snapshot.name} position={manifest.snapshot.position}")
        names = [s.name for s in manifest.segments]
    else:
        fs = RealFS(os.path.dirname(path) or ".")
        names = [os.path.basename(path)]
    status = EXIT_OK
    for name in names:
        data = fs.read(name)
        info = SegmentInfo(name, decode_segment_header(data, name))
        print(f"# segment {name} base={info.base} bytes={len(data)}")
        off, bad = scan_segment(data, info, lambda e: print(_format(e, preview)))
        if bad is not None:
            kind = "torn tail" if bad.torn else "CORRUPT"
            print(f"# {kind} in {name} at offset {off}: {bad.reason}")
            status = EXIT_TORN if bad.torn else EXIT_CORRUPT
    return status


def _check(directory: str, fix: bool, truncate_corrupt: bool) -> int:
    fs = RealFS(directory)
    try:
        rec = recover(fs, fix=False)
    except CorruptLog as exc:
        return _check_corrupt(fs, exc, fix and truncate_corrupt)
    if rec.manifest is None:
        print(f"geokv binlog: no binlog in {directory}", file=sys.stderr)
        return EXIT_USAGE
    if rec.truncated is not None:
        name, offset, reason = rec.truncated
        print(f"torn tail in {name} at offset {offset}: {reason}")
        if not fix:
            print("run with --fix to truncate it")
            return EXIT_TORN
        recover(fs, fix=True)
        print(f"truncated {name} to {offset} bytes")
    _summary(rec)
    return EXIT_OK


def _check_corrupt(fs: RealFS, exc: CorruptLog, repair: bool) -> int:
    print(f"corruption in {exc.file} at offset {exc.offset}: {exc.reason}")
    try:
        rec = recover(fs, fix=False, truncate_corrupt_tail=True)
    except CorruptLog:
        print("not repairable by truncating the last segment: restore from a replica")
        return EXIT_CORRUPT
    lost = fs.size(exc.file) - exc.offset
    if not repair:
        print(f"--fix --truncate-corrupt would truncate {exc.file} there, dropping {lost} bytes")
        return EXIT_CORRUPT
    recover(fs, fix=True, truncate_corrupt_tail=True)
    print(f"truncated {exc.file} to {exc.offset} bytes ({lost} bytes dropped)")
    _summary(rec)
    return EXIT_OK


def _summary(rec: Recovery) -> None:
    assert rec.manifest is not None
    snap = "none" if rec.snapshot is None else f"position {rec.snapshot.position}"
    vv = ",".join(f"{o}:{s}" for o, s in sorted(rec.vv.items()))
    print(
        f"ok: {len(rec.manifest.segments)} segments, {rec.records} records after the snapshot, "
        f"end position {rec.end}, snapshot {snap}, vv {{{vv}}}, max hlc {rec.max_hlc}"
    )
