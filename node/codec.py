"""Effect ops to bytes and back: the payload of a binlog record.

Owns the payload format (documented in docs/binlog.md): a version byte, an op
count, then each op as a tag byte and its fields in a fixed order. Each op
type declares its fields once in `SCHEMAS`; encoders and decoders are built
from that, so an op type is added in one place. Must not know files,
segments or the network: the binlog frames these bytes, the replicator ships them.
"""

from __future__ import annotations

import struct
from collections.abc import Callable
from decimal import Decimal
from operator import attrgetter
from typing import Any, Final

from binlog.format import decode_varint, encode_varint
from node.effects import (
    DelKey,
    Flush,
    HDel,
    HIncr,
    HSet,
    IncrStr,
    ListInsert,
    ListRemove,
    ListSet,
    Op,
    Publish,
    SAdd,
    SetExpire,
    SetStr,
    SRem,
    ZAdd,
    ZIncr,
    ZRem,
)

PAYLOAD_VERSION: Final = 1


class PayloadError(ValueError):
    """A payload this version cannot decode (corrupt, or written by a newer geokv)."""


Writer = Callable[[bytearray, Any], None]
Reader = Callable[[bytes, int], tuple[Any, int]]


def _w_uint(out: bytearray, n: int) -> None:
    out += encode_varint(n)


def _w_int(out: bytearray, n: int) -> None:
    out += encode_varint((n << 1) if n >= 0 else ((-n << 1) - 1))  # zigzag


def _r_int(buf: bytes, pos: int) -> tuple[int, int]:
    z = buf[pos]
    if z < 0x80:  # one byte, inline: decoding runs for every record a peer sends
        pos += 1
    else:
        z, pos = decode_varint(buf, pos)
    return (z >> 1) if not z & 1 else -((z + 1) >> 1), pos


def _w_bytes(out: bytearray, data: bytes) -> None:
    out += encode_varint(len(data))
    out += data


def _r_bytes(buf: bytes, pos: int) -> tuple[bytes, int]:
    size = buf[pos]
    if size < 0x80:
        pos += 1
    else:
        size, pos = decode_varint(buf, pos)
    end = pos + size
    if end > len(buf):
        raise PayloadError("bytes field runs past the payload")
    return buf[pos:end], end


def _w_str(out: bytearray, text: str) -> None:
    _w_bytes(out, text.encode())


def _r_str(buf: bytes, pos: int) -> tuple[str, int]:
    raw, pos = _r_bytes(buf, pos)
    return raw.decode(), pos


def _w_num(out: bytearray, value: int | Decimal) -> None:
    """Counter totals: 0 + zigzag for int64, 1 + text for exact decimals, 2 + text
    for larger integers (a region's own total can pass int64 while the sum does not)."""
    if isinstance(value, int) and -(1 << 63) <= value < (1 << 63):
        out.append(0)
        _w_int(out, value)
    else:
        out.append(1 if isinstance(value, Decimal) else 2)
        _w_str(out, str(value))


def _r_num(buf: bytes, pos: int) -> tuple[int | Decimal, int]:
    kind = buf[pos]
    if kind == 0:
        return _r_int(buf, pos + 1)
    if kind in (1, 2):
        text, pos = _r_str(buf, pos + 1)
        return (Decimal(text) if kind == 1 else int(text)), pos
    raise PayloadError(f"unknown number kind {kind}")


def _seq(write_item: Writer) -> Writer:
    def write(out: bytearray, items: Any) -> None:
        _w_uint(out, len(items))
        for item in items:
            write_item(out, item)

    return write


def _rseq(read_item: Reader) -> Reader:
    def read(buf: bytes, pos: int) -> tuple[Any, int]:
        count = buf[pos]
        if count == 0:  # most sequences (observed counters, seen entries) are empty
            return (), pos + 1
        count, pos = decode_varint(buf, pos)
        items = []
        for _ in range(count):
            item, pos = read_item(buf, pos)
            items.append(item)
        return tuple(items), pos

    return read


def _tuple(*parts: tuple[Writer, Reader]) -> tuple[Writer, Reader]:
    def write(out: bytearray, item: Any) -> None:
        for (w, _), field in zip(parts, item, strict=True):
            w(out, field)

    def read(buf: bytes, pos: int) -> tuple[Any, int]:
        fields = []
        for _, r in parts:
            field, pos = r(buf, pos)
            fields.append(field)
        return tuple(fields), pos

    return write, read


def _w_bool(out: bytearray, flag: bool) -> None:
    out.append(1 if flag else 0)


def _r_bool(buf: bytes, pos: int) -> tuple[bool, int]:
    if buf[pos] > 1:
        raise PayloadError(f"boolean byte {buf[pos]} at {pos}")
    return buf[pos] == 1, pos + 1


BOOL: Final = (_w_bool, _r_bool)
BYTES: Final = (_w_bytes, _r_bytes)
INT: Final = (_w_int, _r_int)
STR: Final = (_w_str, _r_str)
NUM: Final = (_w_num, _r_num)
_OBS_ITEM = _tuple(STR, NUM, INT)
OBSERVED: Final = (_seq(_OBS_ITEM[0]), _rseq(_OBS_ITEM[1]))
_VV_ITEM = _tuple(STR, INT)
VV: Final = (_seq(_VV_ITEM[0]), _rseq(_VV_ITEM[1]))
_KEY_OBS_ITEM = _tuple(BYTES, OBSERVED)
KEY_OBSERVED: Final = (_seq(_KEY_OBS_ITEM[0]), _rseq(_KEY_OBS_ITEM[1]))
_KEYS_MEMBERS_ITEM = _tuple(BYTES, KEY_OBSERVED)
KEYS_MEMBERS: Final = (_seq(_KEYS_MEMBERS_ITEM[0]), _rseq(_KEYS_MEMBERS_ITEM[1]))
BYTES_SEQ: Final = (_seq(_w_bytes), _rseq(_r_bytes))
_PAIR = _tuple(BYTES, BYTES)
BYTES_PAIRS: Final = (_seq(_PAIR[0]), _rseq(_PAIR[1]))
# A list element's id: (stamp, region, position within its op).
ELEM: Final = _tuple(INT, STR, INT)
ELEMS: Final = (_seq(ELEM[0]), _rseq(ELEM[1]))


def _w_float(out: bytearray, value: float) -> None:
    out += _DOUBLE.pack(value)


def _r_float(buf: bytes, pos: int) -> tuple[float, int]:
    if pos + 8 > len(buf):
        raise PayloadError("float field runs past the payload")
    return _DOUBLE.unpack_from(buf, pos)[0], pos + 8


_DOUBLE = struct.Struct("<d")  # sorted-set scores: IEEE 754 binary64, little-endian
FLOAT: Final = (_w_float, _r_float)
_TYPED_ITEM = _tuple(BYTES, OBSERVED, KEY_OBSERVED)
TYPED: Final = (_seq(_TYPED_ITEM[0]), _rseq(_TYPED_ITEM[1]))
_KEYS_TYPED_ITEM = _tuple(BYTES, TYPED)
KEYS_TYPED: Final = (_seq(_KEYS_TYPED_ITEM[0]), _rseq(_KEYS_TYPED_ITEM[1]))
_Z_ENTRY = _tuple(BYTES, FLOAT, OBSERVED)
Z_ENTRIES: Final = (_seq(_Z_ENTRY[0]), _rseq(_Z_ENTRY[1]))

# Tag bytes are part of the on-disk format: never renumber, only add.
SCHEMAS: Final[dict[type, tuple[int, tuple[tuple[str, tuple[Writer, Reader]], ...]]]] = {
    SetStr: (1, (("key", BYTES), ("data", BYTES), ("expire_at", INT), ("observed", OBSERVED))),
    IncrStr: (2, (("key", BYTES), ("total", NUM), ("fresh", BOOL))),
    DelKey: (3, (("key", BYTES), ("vv", VV), ("observed", OBSERVED), ("members", KEY_OBSERVED))),
    SetExpire: (4, (("key", BYTES), ("expire_at", INT))),
    Flush: (5, (("vv", VV), ("observed", KEY_OBSERVED), ("members", KEYS_MEMBERS))),
    HSet: (10, (("key", BYTES), ("pairs", BYTES_PAIRS), ("observed", KEY_OBSERVED))),
    HIncr: (11, (("key", BYTES), ("field", BYTES), ("total", NUM), ("fresh", BOOL))),
    HDel: (12, (("key", BYTES), ("fields", BYTES_SEQ), ("vv", VV), ("members", KEY_OBSERVED))),
    SAdd: (20, (("key", BYTES), ("members", BYTES_SEQ))),
    SRem: (21, (("key", BYTES), ("members", BYTES_SEQ), ("vv", VV))),
    ListInsert: (
        40,
        (("key", BYTES), ("after", ELEM), ("values", BYTES_SEQ), ("chain", BOOL)),
    ),
    ListRemove: (41, (("key", BYTES), ("ids", ELEMS))),
    ListSet: (42, (("key", BYTES), ("target", ELEM), ("data", BYTES))),
    ZAdd: (30, (("key", BYTES), ("entries", Z_ENTRIES))),
    ZIncr: (31, (("key", BYTES), ("member", BYTES), ("total", FLOAT), ("fresh", BOOL))),
    ZRem: (32, (("key", BYTES), ("vv", VV), ("members", KEY_OBSERVED))),
    Publish: (60, (("channel", BYTES), ("message", BYTES))),
}
# Longer forms of some ops, each with one more field, used only when that field
# is not empty; otherwise the op keeps its shorter form above (a plain SET or a
# DEL without counters pays nothing, and logs written before the field existed
# still decode to the same op). `seen`: the expiry entries an expiry write
# replaces (node.crdt.expiry); `typed`: a delete's observed counters per type.
EXTENDED: Final[dict[type, tuple[str, int, tuple[tuple[str, tuple[Writer, Reader]], ...]]]] = {
    SetExpire: ("seen", 50, (*SCHEMAS[SetExpire][1], ("seen", VV))),
    SetStr: ("seen", 51, (*SCHEMAS[SetStr][1], ("seen", VV))),
    DelKey: ("typed", 6, (*SCHEMAS[DelKey][1], ("typed", TYPED))),
    Flush: ("typed", 7, (*SCHEMAS[Flush][1], ("typed", KEYS_TYPED))),
}
# Per tag: the op type and the reader of each field, in order.
_BY_TAG: Final = {
    tag: (cls, tuple(read for _, (_, read) in fields))
    for cls, tag, fields in [
        *((cls, tag, fields) for cls, (tag, fields) in SCHEMAS.items()),
        *((cls, tag, fields) for cls, (_, tag, fields) in EXTENDED.items()),
    ]
}


_Encoder = tuple[int, Callable[[Any], tuple[Any, ...]], tuple[Writer, ...]]


def _encoder(tag: int, fields: tuple[tuple[str, tuple[Writer, Reader]], ...]) -> _Encoder:
    # One attrgetter call reads every field (encoding runs once per write); given
    # two names or more it returns a tuple, and every op has at least two fields.
    assert len(fields) >= 2, fields
    return tag, attrgetter(*(name for name, _ in fields)), tuple(w for _, (w, _) in fields)


_ENCODERS: Final = {cls: _encoder(*schema) for cls, schema in SCHEMAS.items()}
_EXTENDED: Final = {
    cls: (field, _encoder(tag, fields)) for cls, (field, tag, fields) in EXTENDED.items()
}


def encode_ops(ops: tuple[Op, ...]) -> bytes:
    out = bytearray((PAYLOAD_VERSION,))
    _w_uint(out, len(ops))
    for op in ops:
        tag, get, writers = _ENCODERS[type(op)]
        extended = _EXTENDED.get(type(op))
        if extended is not None and getattr(op, extended[0]):
            tag, get, writers = extended[1]
        out.append(tag)
        for write, value in zip(writers, get(op), strict=True):
            write(out, value)
    return bytes(out)


def decode_ops(payload: bytes) -> tuple[Op, ...]:
    try:
        if not payload or payload[0] != PAYLOAD_VERSION:
            raise PayloadError(f"payload version {payload[:1]!r} is not {PAYLOAD_VERSION}")
        count, pos = decode_varint(payload, 1)
        ops: list[Op] = []
        for _ in range(count):
            entry = _BY_TAG.get(payload[pos])
            if entry is None:
                raise PayloadError(f"unknown op tag {payload[pos]} at byte {pos}")
            cls, readers = entry
            pos += 1
            values = []
            for read in readers:
                value, pos = read(payload, pos)
                values.append(value)
            ops.append(cls(*values))
        if pos != len(payload):
            raise PayloadError(f"{len(payload) - pos} bytes after the last op")
        return tuple(ops)
    except (IndexError, ValueError) as exc:
        if isinstance(exc, PayloadError):
            raise
        raise PayloadError(f"malformed payload: {exc}") from None
