"""Keyspace state to bytes and back: the payload of a binlog snapshot.

Owns the snapshot payload format (documented in docs/binlog.md): a version
byte, the applied stamp vector, an entry count, then per entry a key, whether
it is shown, its type tag, the type's full CRDT state and its expiry. A key
holding values of several types (a tombstone, a type conflict) has one entry
per value. Each value type registers its state codec in `STATE_CODECS`, built
from the effect codec's field writers and readers so numbers, strings and
vectors are encoded one way only. Must not know files, the binlog, or when
snapshots are taken.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Final

from binlog.format import decode_varint, encode_varint
from node.codec import BYTES, ELEM, FLOAT, INT, OBSERVED, STR, VV, PayloadError
from node.crdt.base import Num, Observed
from node.crdt.expiry import Entry
from node.crdt.hashes import Field, HashValue
from node.crdt.lists import Elem, ElemId, ListValue
from node.crdt.sets import SetValue
from node.crdt.strings import Counter, StrValue
from node.crdt.zsets import FloatCounter, Member, ZsetValue
from node.keyspace import Keyspace, Value

# 2: a key's expiry is its register of entries (v1: one effective time, still read).
SNAPSHOT_VERSION: Final = 2
_NO_VALUE: Final = 0  # entry tag: only the key's expiry register (its values are gone)
VISIBLE: Final = 1  # entry flag: the value the key shows
_HAS_DATA: Final = 1  # string state flags
_HAS_COUNTER: Final = 2

_w_bytes, _r_bytes = BYTES
_w_int, _r_int = INT
_w_str, _r_str = STR
_w_obs, _r_obs = OBSERVED
_w_vv, _r_vv = VV
_w_elem, _r_elem = ELEM
_w_float, _r_float = FLOAT

StateWriter = Callable[[bytearray, Any], None]
StateReader = Callable[[bytes, int], tuple[Any, int]]


def _observed(part: dict[str, tuple[Num, int]]) -> Observed:
    return tuple((region, total, stamp) for region, (total, stamp) in part.items())


def _write_counter(out: bytearray, counter: Counter) -> None:
    _w_obs(out, _observed(counter.contrib))
    _w_obs(out, _observed(counter.baseline))


def _read_counter(buf: bytes, pos: int) -> tuple[Counter, int]:
    counter = Counter()
    contrib, pos = _r_obs(buf, pos)
    baseline, pos = _r_obs(buf, pos)
    counter.contrib = {r: (total, s) for r, total, s in contrib}
    counter.baseline = {r: (total, s) for r, total, s in baseline}
    return counter, pos


def write_str(out: bytearray, value: StrValue) -> None:
    """A string: register (data, stamp, region) and counter, as other types' members reuse it."""
    flags = (_HAS_DATA if value.data is not None else 0) | (_HAS_COUNTER if value.counter else 0)
    out.append(flags)
    if value.data is not None:
        _w_bytes(out, value.data)
    _w_int(out, value.stamp)
    _w_str(out, value.region)
    if value.counter is not None:
        _write_counter(out, value.counter)


def read_str(buf: bytes, pos: int) -> tuple[StrValue, int]:
    flags = buf[pos]
    pos += 1
    data = None
    if flags & _HAS_DATA:
        data, pos = _r_bytes(buf, pos)
    stamp, pos = _r_int(buf, pos)
    region, pos = _r_str(buf, pos)
    value = StrValue(data, stamp, region)
    if flags & _HAS_COUNTER:
        value.counter, pos = _read_counter(buf, pos)
    return value, pos


def write_set(out: bytearray, value: SetValue) -> None:
    """A set: each member with its add-dots (an empty set is a tombstone)."""
    out += encode_varint(len(value.members))
    for member, dots in value.members.items():
        _w_bytes(out, member)
        _w_vv(out, tuple(dots.items()))


def read_set(buf: bytes, pos: int) -> tuple[SetValue, int]:
    value = SetValue()
    count, pos = decode_varint(buf, pos)
    for _ in range(count):
        member, pos = _r_bytes(buf, pos)
        dots, pos = _r_vv(buf, pos)
        value.members[member] = dict(dots)
    value.latest_changed()
    return value, pos


def write_hash(out: bytearray, value: HashValue) -> None:
    """A hash: every field, visible or a counter tombstone, with its per-region
    writes and its counter; where each one belongs follows from that state."""
    out += encode_varint(len(value.fields) + len(value.gone))
    for name, field in [*value.fields.items(), *value.gone.items()]:
        _w_bytes(out, name)
        out += encode_varint(len(field.writes))
        for region, (stamp, data) in field.writes.items():
            _w_str(out, region)
            _w_int(out, stamp)
            _w_bytes(out, data)
        counter = field.value.counter
        out.append(_HAS_COUNTER if counter is not None else 0)
        if counter is not None:
            _write_counter(out, counter)


def read_hash(buf: bytes, pos: int) -> tuple[HashValue, int]:
    value = HashValue()
    count, pos = decode_varint(buf, pos)
    for _ in range(count):
        name, pos = _r_bytes(buf, pos)
        field = Field()
        writes, pos = decode_varint(buf, pos)
        for _ in range(writes):
            region, pos = _r_str(buf, pos)
            stamp, pos = _r_int(buf, pos)
            data, pos = _r_bytes(buf, pos)
            field.writes[region] = (stamp, data)
        field.show_newest()
        flags = buf[pos]
        pos += 1
        if flags & _HAS_COUNTER:
            field.value.counter, pos = _read_counter(buf, pos)
        value.place(name, field)
    value.latest_changed()
    return value, pos


def write_list(out: bytearray, value: ListValue) -> None:
    """A list: every element in order, removed ones too (later inserts may name
    them as anchors), each with its id, value and the write that set the value."""
    out += encode_varint(len(value.seq))
    for eid in value.seq:
        elem = value.elems[eid]
        _w_elem(out, eid)
        out.append(1 if elem.live else 0)
        _w_bytes(out, elem.data)
        _w_int(out, elem.vdot[0])
        _w_str(out, elem.vdot[1])


def read_list(buf: bytes, pos: int) -> tuple[ListValue, int]:
    elems: dict[ElemId, Elem] = {}
    count, pos = decode_varint(buf, pos)
    for _ in range(count):
        eid, pos = _r_elem(buf, pos)
        live = buf[pos] == 1
        data, pos = _r_bytes(buf, pos + 1)
        stamp, pos = _r_int(buf, pos)
        region, pos = _r_str(buf, pos)
        elems[eid] = Elem(data, (stamp, region), live)
    return ListValue.restore(list(elems), elems), pos


def write_zset(out: bytearray, value: ZsetValue) -> None:
    """A sorted set: every member, removed ones with a counter too, with its
    add-dots, per-region ZADD scores and counter; the index follows from that."""
    out += encode_varint(len(value.members))
    for name, member in value.members.items():
        _w_bytes(out, name)
        _w_vv(out, tuple(member.dots.items()))
        out += encode_varint(len(member.scores))
        for region, (stamp, score) in member.scores.items():
            _w_str(out, region)
            _w_int(out, stamp)
            _w_float(out, score)
        counter = member.counter
        out.append(0 if counter is None else 1)
        if counter is not None:
            out += encode_varint(len(counter.contrib))
            for region, (total, stamp, since) in counter.contrib.items():
                _w_str(out, region)
                _w_float(out, total)
                _w_int(out, stamp)
                _w_int(out, since)
            out += encode_varint(len(counter.baseline))
            for region, (total, stamp) in counter.baseline.items():
                _w_str(out, region)
                _w_float(out, total)
                _w_int(out, stamp)


def read_zset(buf: bytes, pos: int) -> tuple[ZsetValue, int]:
    value = ZsetValue()
    count, pos = decode_varint(buf, pos)
    for _ in range(count):
        name, pos = _r_bytes(buf, pos)
        member = Member()
        dots, pos = _r_vv(buf, pos)
        member.dots = dict(dots)
        n, pos = decode_varint(buf, pos)
        for _ in range(n):
            region, pos = _r_str(buf, pos)
            stamp, pos = _r_int(buf, pos)
            score, pos = _r_float(buf, pos)
            member.scores[region] = (stamp, score)
        if buf[pos]:
            member.counter, pos = _read_float_counter(buf, pos + 1)
        else:
            pos += 1
        value.restore(name, member)
    return value, pos


def _read_float_counter(buf: bytes, pos: int) -> tuple[FloatCounter, int]:
    counter = FloatCounter()
    n, pos = decode_varint(buf, pos)
    for _ in range(n):
        region, pos = _r_str(buf, pos)
        total, pos = _r_float(buf, pos)
        stamp, pos = _r_int(buf, pos)
        since, pos = _r_int(buf, pos)
        counter.contrib[region] = (total, stamp, since)
    n, pos = decode_varint(buf, pos)
    for _ in range(n):
        region, pos = _r_str(buf, pos)
        total, pos = _r_float(buf, pos)
        stamp, pos = _r_int(buf, pos)
        counter.baseline[region] = (total, stamp)
    return counter, pos


# Tag bytes are part of the on-disk format: never renumber, only add.
STATE_CODECS: Final[dict[type, tuple[int, StateWriter, StateReader]]] = {
    StrValue: (1, write_str, read_str),
    HashValue: (2, write_hash, read_hash),
    SetValue: (3, write_set, read_set),
    ZsetValue: (4, write_zset, read_zset),
    ListValue: (5, write_list, read_list),
}
_BY_TAG = {tag: (write, read) for tag, write, read in STATE_CODECS.values()}
_SHOWN_STRING: Final = bytes((VISIBLE, STATE_CODECS[StrValue][0]))


def encode_header(stamp_vv: dict[str, int], count: int) -> bytes:
    out = bytearray((SNAPSHOT_VERSION,))
    _w_vv(out, tuple(stamp_vv.items()))
    out += encode_varint(count)
    return bytes(out)


def encode_key(ks: Keyspace, out: bytearray, key: bytes) -> int:
    """Append the entries of everything `key` holds; returns how many.

    The key's expiry register goes with its first entry (the shown value when
    there is one); a register whose values are all gone gets an entry of its own.
    """
    value = ks.data.get(key)
    if type(value) is StrValue and key not in ks.others and key not in ks.expiry:
        # Most keys: one string, nothing hidden, no TTL. The same bytes as below
        # without its lookups: a snapshot encodes every key of the keyspace.
        _w_bytes(out, key)
        out += _SHOWN_STRING
        write_str(out, value)
        out.append(0)  # no expiry entries
        return 1
    held = ks.values_of(key)
    expiry = ks.expiry_entries(key)
    if not held:
        if not expiry:
            return 0
        _w_bytes(out, key)
        out += bytes((0, _NO_VALUE))
        _write_expiry(out, expiry)
        return 1
    for value, shown in held:
        tag, write, _ = STATE_CODECS[type(value)]
        _w_bytes(out, key)
        out.append(VISIBLE if shown else 0)
        out.append(tag)
        write(out, value)
        _write_expiry(out, expiry)
        expiry = ()
    return len(held)


def _write_expiry(out: bytearray, entries: tuple[Entry, ...]) -> None:
    out += encode_varint(len(entries))
    for region, stamp, at in entries:
        _w_str(out, region)
        _w_int(out, stamp)
        _w_int(out, at)


def _read_expiry(buf: bytes, pos: int) -> tuple[tuple[Entry, ...], int]:
    count, pos = decode_varint(buf, pos)
    entries = []
    for _ in range(count):
        region, pos = _r_str(buf, pos)
        stamp, pos = _r_int(buf, pos)
        at, pos = _r_int(buf, pos)
        entries.append((region, stamp, at))
    return tuple(entries), pos


def keys_of(ks: Keyspace) -> list[bytes]:
    return [
        *ks.data,
        *(k for k in ks.others if k not in ks.data),
        *(k for k in ks.expiry if k not in ks.data and k not in ks.others),
    ]


def encode_keyspace(ks: Keyspace) -> bytes:
    """The whole keyspace at once (a consistent snapshot when nothing runs concurrently)."""
    out = bytearray()
    count = sum(encode_key(ks, out, key) for key in keys_of(ks))
    return encode_header(ks.vv, count) + bytes(out)


def load(ks: Keyspace, payload: bytes) -> int:
    """Install a snapshot payload into an empty keyspace; returns the number of entries."""
    try:
        if not payload or payload[0] not in (1, SNAPSHOT_VERSION):
            raise PayloadError(f"snapshot payload version {payload[:1]!r} is not 1 or 2")
        vv, pos = _r_vv(payload, 1)
        for origin, stamp in vv:
            ks.note_applied(origin, stamp)
        count, pos = decode_varint(payload, pos)
        for _ in range(count):
            pos = _load_entry(ks, payload, pos, payload[0])
        if pos != len(payload):
            raise PayloadError(f"{len(payload) - pos} bytes after the last key")
        return int(count)
    except (IndexError, ValueError) as exc:
        if isinstance(exc, PayloadError):
            raise
        raise PayloadError(f"malformed snapshot payload: {exc}") from None


def _load_entry(ks: Keyspace, buf: bytes, pos: int, version: int) -> int:
    key, pos = _r_bytes(buf, pos)
    if buf[pos : pos + 2] == _SHOWN_STRING and version > 1:
        # Most entries (encode_key's plain string): a shown string, often without
        # TTL; installed without the general path's lookups (a restart loads every key).
        string, pos = read_str(buf, pos + 2)
        ks.data[key] = string
        if buf[pos] == 0:  # no expiry entries
            return pos + 1
        expiry, pos = _read_expiry(buf, pos)
        ks.restore_expiry(key, expiry)
        return int(pos)
    flags, tag = buf[pos], buf[pos + 1]
    if tag == _NO_VALUE and version > 1:
        expiry, pos = _read_expiry(buf, pos + 2)
        ks.restore_expiry(key, expiry)
        return int(pos)
    codec = _BY_TAG.get(tag)
    if codec is None:
        raise PayloadError(f"unknown value type tag {tag} at byte {pos + 1}")
    value: Value
    value, pos = codec[1](buf, pos + 2)
    ks.restore(key, value, bool(flags & VISIBLE))
    if version > 1:
        expiry, pos = _read_expiry(buf, pos)
    else:
        # v1 kept one effective time: an entry every later write has seen.
        expire_at, pos = _r_int(buf, pos)
        expiry = (("", -1, expire_at),) if expire_at >= 0 else ()
    ks.restore_expiry(key, expiry)
    return int(pos)
