"""Snapshot files: opaque state bytes, the version vector they include, and their position.

Owns the snapshot file format only (the writer decides when, the manifest
says which). A snapshot at position P includes the effect of every record
before P; records at P and after follow in the segments.

    8s "GKSNAPSH" | u8 version | u64 position | vv (varints) | u64 payload_len | payload
    | u32 crc32c of everything before it
"""

from __future__ import annotations

import struct
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from typing import Final

from crc32c import crc32c

from binlog.errors import CorruptLog, UnsupportedFormat
from binlog.format import FORMAT_VERSION, decode_vv, encode_vv

_MAGIC: Final = b"GKSNAPSH"
_HEAD = struct.Struct("<8sBQ")
_U64 = struct.Struct("<Q")
_U32 = struct.Struct("<I")


@dataclass(slots=True, frozen=True)
class Snapshot:
    payload: bytes
    vv: dict[str, int]
    position: int


def encode_snapshot(snap: Snapshot) -> bytes:
    return b"".join(snapshot_pieces([snap.payload], snap.vv, snap.position))


# A piece of a snapshot file: copying or checksumming one holds the GIL this long at most.
_PIECE = 1 << 20


def snapshot_pieces(
    payload: Sequence[bytes | bytearray], vv: dict[str, int], position: int
) -> Iterator[bytes]:
    """A snapshot file's bytes in pieces of at most about 1 MiB (joined: `encode_snapshot`),
    so a thread writing a large one never holds the GIL for long. The payload is the
    concatenation of its parts: a large one is never one buffer grown by copies."""
    size = sum(len(part) for part in payload)
    head = b"".join((_HEAD.pack(_MAGIC, FORMAT_VERSION, position), encode_vv(vv), _U64.pack(size)))
    crc = crc32c(head)
    yield head
    for part in payload:
        for start in range(0, len(part), _PIECE):
            piece = bytes(part[start : start + _PIECE])
            crc = crc32c(piece, crc)
            yield piece
    yield _U32.pack(crc)


def decode_snapshot(data: bytes, name: str) -> Snapshot:
    if (
        len(data) < _HEAD.size + 4
        or crc32c(memoryview(data)[:-4]) != _U32.unpack_from(data, len(data) - 4)[0]
    ):
        raise CorruptLog(name, 0, "snapshot checksum mismatch")
    magic, version, position = _HEAD.unpack_from(data, 0)
    if magic != _MAGIC:
        raise CorruptLog(name, 0, "not a geokv snapshot")
    if version != FORMAT_VERSION:
        raise UnsupportedFormat(f"{name}: snapshot format version {version} is not supported")
    vv, pos = decode_vv(data, _HEAD.size)
    (size,) = _U64.unpack_from(data, pos)
    pos += 8
    if pos + size != len(data) - 4:
        raise CorruptLog(name, pos, "snapshot payload length mismatch")
    return Snapshot(data[pos : pos + size], vv, position)
