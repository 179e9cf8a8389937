"""The binlog's byte format: record frames, version vectors and segment headers.

Owns encoding and decoding only (documented byte by byte in docs/binlog.md);
must not know files, threads or policies. Payloads are opaque bytes.

Frame (all integers little-endian):
    u8  version | u32 body_len | u32 crc32c(body) | u16 low bits of crc32c(bytes 0..9) | body
Body:
    varint len + origin (UTF-8) | varint seq | u64 hlc | deps | payload (rest of body)
deps: varint count, then per origin (sorted): varint len + origin | varint seq
"""

from __future__ import annotations

import struct
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Final

from crc32c import crc32c

from binlog.errors import CorruptLog, UnsupportedFormat

FORMAT_VERSION: Final = 1
FRAME_HEADER: Final = struct.Struct("<BIIH")
HEADER_SIZE: Final = FRAME_HEADER.size  # 11
# One record must fit in memory; a larger length is corruption, not a torn write.
MAX_BODY: Final = 1 << 30

SEGMENT_MAGIC: Final = b"GKBINLOG"
SEGMENT_HEADER: Final = struct.Struct("<8sBxxxxxxxQ")  # magic, version, pad, base position
SEGMENT_HEADER_SIZE: Final = SEGMENT_HEADER.size  # 24

_U64 = struct.Struct("<Q")
_ORIGIN_CACHE: dict[str, bytes] = {}


@dataclass(slots=True, frozen=True)
class LogRecord:
    """One effect: who wrote it (origin, dense seq), when (HLC), after what (deps)."""

    origin: str
    seq: int
    hlc: int
    payload: bytes
    deps: dict[str, int] = field(default_factory=dict)


_SMALL = [bytes((i,)) for i in range(0x80)]


def encode_varint(n: int) -> bytes:
    # Unrolled for the common sizes: this runs several times per appended record.
    if n < 0x80:
        if n < 0:
            raise ValueError("varints are unsigned")
        return _SMALL[n]
    if n < 0x4000:
        return bytes((n & 0x7F | 0x80, n >> 7))
    if n < 0x200000:
        return bytes((n & 0x7F | 0x80, (n >> 7) & 0x7F | 0x80, n >> 14))
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def decode_varint(buf: bytes | memoryview, pos: int) -> tuple[int, int]:
    """(value, position after it); IndexError when the buffer ends inside it."""
    b = buf[pos]
    if b < 0x80:
        return b, pos + 1
    result = b & 0x7F
    shift = 7
    while True:
        pos += 1
        b = buf[pos]
        result |= (b & 0x7F) << shift
        if b < 0x80:
            return result, pos + 1
        shift += 7
        if shift > 63:
            raise ValueError("varint longer than 64 bits")


def _origin(origin: str) -> bytes:
    encoded = _ORIGIN_CACHE.get(origin)
    if encoded is None:
        raw = origin.encode()
        encoded = encode_varint(len(raw)) + raw
        if len(_ORIGIN_CACHE) < 4096:  # region ids are few; never grow without bound
            _ORIGIN_CACHE[origin] = encoded
    return encoded


def encode_vv(vv: dict[str, int]) -> bytes:
    return _encode_pairs(vv.items())


def _encode_pairs(pairs: Collection[tuple[str, int]]) -> bytes:
    parts = [encode_varint(len(pairs))]
    for origin, seq in sorted(pairs):
        parts.append(_origin(origin))
        parts.append(encode_varint(seq))
    return b"".join(parts)


def decode_vv(buf: bytes | memoryview, pos: int) -> tuple[dict[str, int], int]:
    pairs, pos = _decode_pairs(buf, pos)
    return dict(pairs), pos


def _decode_pairs(buf: bytes | memoryview, pos: int) -> tuple[tuple[tuple[str, int], ...], int]:
    count, pos = decode_varint(buf, pos)
    if not count:
        return (), pos
    pairs = []
    for _ in range(count):
        origin, pos = _decode_str(buf, pos)
        seq, pos = decode_varint(buf, pos)
        pairs.append((origin, seq))
    return tuple(pairs), pos


def _decode_str(buf: bytes | memoryview, pos: int) -> tuple[str, int]:
    size, pos = decode_varint(buf, pos)
    end = pos + size
    if end > len(buf):
        raise ValueError("string runs past the end of the body")
    return str(buf[pos:end], "utf-8"), end


def encode_record(rec: LogRecord) -> bytes:
    return encode_frame(rec.origin, rec.seq, rec.hlc, rec.deps.items(), rec.payload)


def encode_frame(
    origin: str, seq: int, hlc: int, deps: Collection[tuple[str, int]], payload: bytes
) -> bytes:
    """`encode_record` of the fields themselves (deps as (origin, seq) pairs): the
    node's write path frames each record without building a LogRecord first."""
    body = b"".join(
        (
            _origin(origin),
            encode_varint(seq),
            _U64.pack(hlc),
            _encode_pairs(deps) if deps else b"\x00",
            payload,
        )
    )
    size = len(body)
    body_crc = crc32c(body)
    head = struct.pack("<BII", FORMAT_VERSION, size, body_crc)
    return head + struct.pack("<H", crc32c(head) & 0xFFFF) + body


def frame_key(buf: bytes, start: int) -> tuple[str, int]:
    """The origin and seq of the body at `start` (its CRC already matched), decoding
    nothing else: for readers that pass most records on or over; ValueError if malformed."""
    try:
        origin, pos = _decode_str(buf, start)
        return origin, decode_varint(buf, pos)[0]
    except (IndexError, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed record body: {exc}") from exc


Fields = tuple[str, int, int, tuple[tuple[str, int], ...], bytes]


def decode_fields(buf: bytes, start: int, end: int) -> Fields:
    """origin, seq, hlc, deps (as (origin, seq) pairs) and payload of the body at
    buf[start:end] (its CRC already matched); ValueError if malformed."""
    try:
        origin, pos = _decode_str(buf, start)
        seq, pos = decode_varint(buf, pos)
        (hlc,) = _U64.unpack_from(buf, pos)
        deps, pos = _decode_pairs(buf, pos + 8)
    except (IndexError, struct.error, UnicodeDecodeError) as exc:
        raise ValueError(f"malformed record body: {exc}") from exc
    if pos > end:
        raise ValueError("malformed record body: its fields run past its end")
    return origin, seq, hlc, deps, buf[pos:end]


def encode_segment_header(base: int) -> bytes:
    return SEGMENT_HEADER.pack(SEGMENT_MAGIC, FORMAT_VERSION, base)


def decode_segment_header(buf: bytes, name: str) -> int:
    """The base position recorded in a segment header."""
    if len(buf) < SEGMENT_HEADER_SIZE:
        raise CorruptLog(name, 0, "segment header is incomplete")
    magic, version, base = SEGMENT_HEADER.unpack_from(buf, 0)
    if magic != SEGMENT_MAGIC:
        raise CorruptLog(name, 0, "not a geokv binlog segment (bad magic)")
    if version != FORMAT_VERSION:
        raise UnsupportedFormat(f"{name}: segment format version {version} is not supported")
    return int(base)


@dataclass(slots=True, frozen=True)
class BadFrame:
    """Why no record could be read at an offset; `torn` if it looks like an unfinished write."""

    reason: str
    torn: bool


def check_frame(buf: bytes, off: int) -> int | BadFrame:
    """The offset after the intact frame at `off` (both checksums match, the body
    is not decoded), or why there is none.

    A frame is "torn" (an interrupted append) when it is cut short by the end
    of the buffer, when it is the very last frame and its body checksum fails
    (part of its pages reached the disk), or when everything from `off` on is
    zeros (a file extended but never written). Anything else is corruption.
    """
    size = len(buf)
    if size - off < HEADER_SIZE:
        return BadFrame("incomplete frame header", torn=True)
    version, body_len, body_crc, check = FRAME_HEADER.unpack_from(buf, off)
    if crc32c(buf[off : off + 9]) & 0xFFFF != check:
        zeros = buf.count(0, off) == size - off
        return BadFrame("frame header checksum mismatch", torn=zeros)
    if version != FORMAT_VERSION:
        return BadFrame(f"unsupported record format version {version}", torn=False)
    if body_len > MAX_BODY:
        return BadFrame(f"implausible record length {body_len}", torn=False)
    end: int = off + HEADER_SIZE + body_len
    if end > size:
        return BadFrame("record runs past the end of the file", torn=True)
    # Slices of bytes, not memoryviews: a view costs more than copying a record.
    if crc32c(buf[off + HEADER_SIZE : end]) != body_crc:
        return BadFrame("record checksum mismatch", torn=end == size)
    return end


def read_frame(buf: bytes, off: int) -> tuple[LogRecord, int] | BadFrame:
    """The record at `off` and the offset after it, or why there is none (check_frame)."""
    end = check_frame(buf, off)
    if isinstance(end, BadFrame):
        return end
    try:
        origin, seq, hlc, deps, payload = decode_fields(buf, off + HEADER_SIZE, end)
    except ValueError as exc:
        return BadFrame(str(exc), torn=False)
    return LogRecord(origin, seq, hlc, payload, dict(deps)), end


def scan_frame(buf: bytes, off: int) -> tuple[tuple[str, int], int] | BadFrame:
    """(origin, seq) of the intact frame at `off` and the offset after it, or why
    there is none (check_frame): for readers that pass frames on undecoded."""
    end = check_frame(buf, off)
    if isinstance(end, BadFrame):
        return end
    try:
        return frame_key(buf, off + HEADER_SIZE), end
    except ValueError as exc:
        return BadFrame(str(exc), torn=False)


def next_frame(buf: bytes, after: int) -> int:
    """The offset of the first intact frame after `after`, or -1: tells damage in the
    middle of a file (intact records follow) from damage confined to its tail."""
    version = bytes((FORMAT_VERSION,))
    pos = buf.find(version, after + 1)
    while pos != -1:
        if not isinstance(read_frame(buf, pos), BadFrame):
            return pos
        pos = buf.find(version, pos + 1)
    return -1
