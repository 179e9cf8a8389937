"""The manifest: which segment files (and which snapshot) make up the log.

Owns the manifest's text format and its atomic replacement. It is the only
source of truth at recovery: files not listed are leftovers of an interrupted
rotation or compaction. Must not know record frames or the writer's threads.

    geokv-binlog-manifest 1
    segment binlog.00000000000000000000.seg base=0 end=4096 sealed=1700000000000 vv=
    segment binlog.00000000000000004096.seg base=4096 end=- sealed=- vv=eu:12,us:7
    snapshot snapshot.00000000000000004000.snap position=4000
    crc32c 1a2b3c4d
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Final
from urllib.parse import quote, unquote

from crc32c import crc32c

from binlog.errors import CorruptLog, UnsupportedFormat
from binlog.fs import FileSystem, write_atomically

MANIFEST: Final = "MANIFEST"
_MAGIC: Final = "geokv-binlog-manifest"
_VERSION: Final = 1


def segment_name(base: int) -> str:
    return f"binlog.{base:020d}.seg"


def snapshot_name(position: int) -> str:
    return f"snapshot.{position:020d}.snap"


@dataclass(slots=True)
class SegmentInfo:
    """A segment holds positions [base, end); `end` and `sealed_ms` are None while active.

    `start_vv` is the version vector of every record before `base`, which is
    what lets a reader skip whole segments and detect compacted history.
    """

    name: str
    base: int
    start_vv: dict[str, int] = field(default_factory=dict)
    end: int | None = None
    sealed_ms: int | None = None


@dataclass(slots=True)
class SnapshotInfo:
    name: str
    position: int


@dataclass(slots=True)
class Manifest:
    segments: list[SegmentInfo]
    snapshot: SnapshotInfo | None = None


def _vv_text(vv: dict[str, int]) -> str:
    return ",".join(f"{quote(origin, safe='')}:{seq}" for origin, seq in sorted(vv.items()))


def _vv_parse(text: str) -> dict[str, int]:
    vv: dict[str, int] = {}
    for item in filter(None, text.split(",")):
        origin, _, seq = item.rpartition(":")
        vv[unquote(origin)] = int(seq)
    return vv


def _opt(text: str) -> int | None:
    return None if text == "-" else int(text)


def encode_manifest(m: Manifest) -> bytes:
    lines = [f"{_MAGIC} {_VERSION}"]
    for s in m.segments:
        end = "-" if s.end is None else str(s.end)
        sealed = "-" if s.sealed_ms is None else str(s.sealed_ms)
        vv = _vv_text(s.start_vv)
        lines.append(f"segment {s.name} base={s.base} end={end} sealed={sealed} vv={vv}")
    if m.snapshot is not None:
        lines.append(f"snapshot {m.snapshot.name} position={m.snapshot.position}")
    text = "\n".join(lines) + "\n"
    return (text + f"crc32c {crc32c(text.encode()):08x}\n").encode()


def decode_manifest(data: bytes) -> Manifest:
    text = data.decode(errors="replace")
    body, sep, last = text.rstrip("\n").rpartition("\n")
    signed = (body + "\n").encode()
    if not sep or not last.startswith("crc32c ") or f"{crc32c(signed):08x}" != last[7:]:
        raise CorruptLog(MANIFEST, 0, "manifest checksum mismatch")
    lines = body.split("\n")
    magic, _, version = lines[0].partition(" ")
    if magic != _MAGIC:
        raise CorruptLog(MANIFEST, 0, "not a geokv binlog manifest")
    if version != str(_VERSION):
        raise UnsupportedFormat(f"{MANIFEST}: manifest version {version} is not supported")
    manifest = Manifest([])
    for line in lines[1:]:
        kind, name, *rest = line.split(" ")
        fields = dict(item.split("=", 1) for item in rest)
        if kind == "segment":
            manifest.segments.append(
                SegmentInfo(
                    name,
                    int(fields["base"]),
                    _vv_parse(fields["vv"]),
                    _opt(fields["end"]),
                    _opt(fields["sealed"]),
                )
            )
        elif kind == "snapshot":
            manifest.snapshot = SnapshotInfo(name, int(fields["position"]))
        else:
            raise CorruptLog(MANIFEST, 0, f"unknown manifest line {kind!r}")
    return manifest


def read_manifest(fs: FileSystem) -> Manifest | None:
    try:
        data = fs.read(MANIFEST)
    except FileNotFoundError:
        return None
    try:
        return decode_manifest(data)
    except (ValueError, KeyError, IndexError) as exc:
        raise CorruptLog(MANIFEST, 0, f"malformed manifest: {exc}") from exc


def write_manifest(fs: FileSystem, manifest: Manifest) -> None:
    write_atomically(fs, MANIFEST, encode_manifest(manifest))
