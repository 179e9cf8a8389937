"""Keyspace state to bytes and back: the payload of a binlog snapshot.

Owns the snapshot payload format (documented in docs/binlog.md): a version
byte, the applied stamp vector, a key count, then each key's full CRDT state
(register data/stamp/region, counter contributions and baselines, expiry,
visible or tombstone). Built from the effect codec's field writers and
readers so numbers, strings and vectors are encoded one way only.
Must not know files, the binlog, or when snapshots are taken.
"""

from __future__ import annotations

from typing import Final

from binlog.format import decode_varint, encode_varint
from node.codec import BYTES, INT, OBSERVED, STR, VV, PayloadError
from node.crdt.strings import Counter, Num, Observed, StrValue
from node.keyspace import Keyspace, Value

SNAPSHOT_VERSION: Final = 1
# Flag bits of a key entry.
VISIBLE: Final = 1
HAS_DATA: Final = 2
HAS_COUNTER: Final = 4

_w_bytes, _r_bytes = BYTES
_w_int, _r_int = INT
_w_str, _r_str = STR
_w_obs, _r_obs = OBSERVED
_w_vv, _r_vv = VV


def encode_header(stamp_vv: dict[str, int], count: int) -> bytes:
    out = bytearray((SNAPSHOT_VERSION,))
    _w_vv(out, tuple(stamp_vv.items()))
    out += encode_varint(count)
    return bytes(out)


def _observed(part: dict[str, tuple[Num, int]]) -> Observed:
    return tuple((region, total, stamp) for region, (total, stamp) in part.items())


def encode_key(out: bytearray, key: bytes, value: Value, visible: bool, expire_at: int) -> None:
    """Append one key's entry: everything a later merge into this key depends on."""
    counter = value.counter
    flags = (VISIBLE if visible else 0) | (HAS_DATA if value.data is not None else 0)
    if counter is not None:
        flags |= HAS_COUNTER
    _w_bytes(out, key)
    out.append(flags)
    if value.data is not None:
        _w_bytes(out, value.data)
    _w_int(out, value.stamp)
    _w_str(out, value.region)
    if counter is not None:
        _w_obs(out, _observed(counter.contrib))
        _w_obs(out, _observed(counter.baseline))
    _w_int(out, expire_at)


def entry_of(ks: Keyspace, key: bytes) -> tuple[Value, bool, int] | None:
    """A key's current state as (value, visible, expiry or -1); None when it is gone."""
    value = ks.data.get(key)
    if value is not None:
        return value, True, ks.expires.get(key, -1)
    value = ks.tombs.get(key)
    return None if value is None else (value, False, -1)


def encode_keyspace(ks: Keyspace) -> bytes:
    """The whole keyspace at once (a consistent snapshot when nothing runs concurrently)."""
    out = bytearray()
    count = 0
    for key in [*ks.data, *ks.tombs]:
        entry = entry_of(ks, key)
        if entry is not None:
            encode_key(out, key, *entry)
            count += 1
    return encode_header(ks.vv, count) + bytes(out)


def load(ks: Keyspace, payload: bytes) -> int:
    """Install a snapshot payload into an empty keyspace; returns the number of keys."""
    try:
        if not payload or payload[0] != SNAPSHOT_VERSION:
            raise PayloadError(f"snapshot payload version {payload[:1]!r} is not 1")
        vv, pos = _r_vv(payload, 1)
        for origin, stamp in vv:
            ks.note_applied(origin, stamp)
        count, pos = decode_varint(payload, pos)
        for _ in range(count):
            pos = _load_key(ks, payload, pos)
        if pos != len(payload):
            raise PayloadError(f"{len(payload) - pos} bytes after the last key")
        return int(count)
    except (IndexError, ValueError) as exc:
        if isinstance(exc, PayloadError):
            raise
        raise PayloadError(f"malformed snapshot payload: {exc}") from None


def _load_key(ks: Keyspace, buf: bytes, pos: int) -> int:
    key, pos = _r_bytes(buf, pos)
    flags = buf[pos]
    pos += 1
    data = None
    if flags & HAS_DATA:
        data, pos = _r_bytes(buf, pos)
    stamp, pos = _r_int(buf, pos)
    region, pos = _r_str(buf, pos)
    value = StrValue(data, stamp, region)
    if flags & HAS_COUNTER:
        counter = value.counter = Counter()
        contrib, pos = _r_obs(buf, pos)
        baseline, pos = _r_obs(buf, pos)
        counter.contrib = {r: (total, s) for r, total, s in contrib}
        counter.baseline = {r: (total, s) for r, total, s in baseline}
    expire_at, pos = _r_int(buf, pos)
    ks.restore(key, value, bool(flags & VISIBLE), expire_at)
    return int(pos)
