"""Effect records: the one way a write leaves the dispatcher.

Owns the record and op types, the `EffectSink` protocol the binlog will
implement, and its in-memory twin. An op is deterministic: absolute expiry
times and CRDT deltas, never a raw command. Ops apply themselves to a
`Keyspace` through its merge entry points, so the local write path and the
remote apply path are the same code. Must not know clients, sockets or replies.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from node.crdt.base import MembersObserved, Num, Observed, TypedObserved
from node.crdt.expiry import Seen
from node.crdt.hashes import HashValue
from node.crdt.lists import ElemId, ListValue
from node.crdt.sets import SetValue
from node.crdt.zsets import ZsetValue

if TYPE_CHECKING:
    from node.keyspace import Keyspace

# Expiry carried by a write: keep whatever TTL the key has, or remove it.
KEEP_TTL = -2
NO_TTL = -1


@dataclass(slots=True)
class SetStr:
    """A string write. Its expiry is an entry of the key's expiry register
    (node.crdt.expiry) with this op's dot: `expire_at` a time, NO_TTL (an entry
    only when `seen` is not empty: it cleared expiry entries the writer saw) or
    KEEP_TTL (the register is untouched). `seen`: the expiry entries replaced."""

    key: bytes
    data: bytes
    expire_at: int = NO_TTL
    observed: Observed = ()
    seen: Seen = ()

    def apply(self, ks: Keyspace, origin: str, stamp: int) -> None:
        ks.merge_set_str(self, origin, stamp)


@dataclass(slots=True)
class IncrStr:
    """The origin region's cumulative contribution to a counter is now `total`.

    `fresh`: the origin held no contribution of its own for the key (never had
    one, or collected the key's tombstone), so `total` starts from zero and any
    older baseline for the origin no longer applies. Without it, a replay or a
    peer still holding the tombstone would subtract that stale baseline.
    """

    key: bytes
    total: Num
    fresh: bool = False

    def apply(self, ks: Keyspace, origin: str, stamp: int) -> None:
        ks.merge_incr_str(self, origin, stamp)


@dataclass(slots=True)
class DelKey:
    """Observed-remove delete: removes what the deleting region had seen (`vv`),
    with the counter contributions it saw in each value the key held, shown or
    hidden by a type conflict (`typed`: per type, of the value and of each
    member), so unobserved increments survive and observed ones never return.

    `observed` and `members`, without a type, come only from logs written before
    `typed` existed (they then apply to every type, as they did); new deletes
    leave them empty.
    """

    key: bytes
    vv: tuple[tuple[str, int], ...]
    observed: Observed = ()
    members: MembersObserved = ()
    typed: TypedObserved = ()

    def apply(self, ks: Keyspace, origin: str, stamp: int) -> None:
        ks.merge_del(self, stamp)


@dataclass(slots=True)
class SetExpire:
    """Absolute expiry in ms since the epoch, or NO_TTL (PERSIST), replacing the
    expiry entries the writer had seen (`seen`); concurrent ones stay."""

    key: bytes
    expire_at: int
    seen: Seen = ()

    def apply(self, ks: Keyspace, origin: str, stamp: int) -> None:
        ks.merge_expire(self, origin, stamp)


@dataclass(slots=True)
class Flush:
    """FLUSHALL/FLUSHDB: removes every key the flushing region had seen.

    `typed` holds the counter contributions the flushing region saw, per key and
    value type (as in DelKey): every region must reset counters by the origin's
    view, not by whatever it has applied itself. `observed` and `members` (per
    key, any type) come only from logs written before `typed` existed.
    """

    vv: tuple[tuple[str, int], ...]
    observed: tuple[tuple[bytes, Observed], ...] = ()
    members: tuple[tuple[bytes, MembersObserved], ...] = ()
    typed: tuple[tuple[bytes, TypedObserved], ...] = ()

    def apply(self, ks: Keyspace, origin: str, stamp: int) -> None:
        ks.merge_flush(self, stamp)


@dataclass(slots=True)
class HSet:
    """HSET/HSETNX/HMSET: an LWW write of each field, carrying the counter
    contributions of the fields it replaced (as SetStr does)."""

    key: bytes
    pairs: tuple[tuple[bytes, bytes], ...]
    observed: MembersObserved = ()

    def apply(self, ks: Keyspace, origin: str, stamp: int) -> None:
        value = ks.for_write(self.key, HashValue)
        value.set(self.pairs, self.observed, stamp, origin)
        ks.settle(self.key, value)


@dataclass(slots=True)
class HIncr:
    """HINCRBY/HINCRBYFLOAT: the origin's cumulative contribution to a field (see IncrStr)."""

    key: bytes
    field: bytes
    total: Num
    fresh: bool = False

    def apply(self, ks: Keyspace, origin: str, stamp: int) -> None:
        value = ks.for_write(self.key, HashValue)
        value.incr(self.field, self.total, stamp, origin, self.fresh)
        ks.settle(self.key, value)


@dataclass(slots=True)
class HDel:
    """Observed-remove of fields: the writes `vv` covers and the counter
    contributions in `members`; a write or increment the origin had not seen survives."""

    key: bytes
    fields: tuple[bytes, ...]
    vv: tuple[tuple[str, int], ...]
    members: MembersObserved = ()

    def apply(self, ks: Keyspace, origin: str, stamp: int) -> None:
        value = ks.typed(self.key, HashValue)
        if value is not None:
            value.remove(self.fields, dict(self.vv), self.members)
            if value.gone:
                ks.compactable.add(self.key)
            ks.settle(self.key, value)


@dataclass(slots=True)
class SAdd:
    """SADD (and the destination side of SMOVE, *STORE, RENAME): one add-dot per member."""

    key: bytes
    members: tuple[bytes, ...]

    def apply(self, ks: Keyspace, origin: str, stamp: int) -> None:
        value = ks.for_write(self.key, SetValue)
        value.add(self.members, stamp, origin)
        ks.settle(self.key, value)


@dataclass(slots=True)
class SRem:
    """SREM/SPOP/SMOVE's source: observed-remove of members (their dots `vv` covers)."""

    key: bytes
    members: tuple[bytes, ...]
    vv: tuple[tuple[str, int], ...]

    def apply(self, ks: Keyspace, origin: str, stamp: int) -> None:
        value = ks.typed(self.key, SetValue)
        if value is not None:
            value.remove(self.members, dict(self.vv))
            ks.settle(self.key, value)


@dataclass(slots=True)
class ListInsert:
    """LPUSH/RPUSH/LINSERT (and LMOVE's destination): insert `values` after the
    element `after` (HEAD: at the front). Value i gets the element id
    (stamp, origin, i). With `chain` each value goes after the previous one
    (RPUSH's order); without, each goes right after `after`, so the last
    value ends up first (LPUSH's order)."""

    key: bytes
    after: ElemId
    values: tuple[bytes, ...]
    chain: bool

    def apply(self, ks: Keyspace, origin: str, stamp: int) -> None:
        value = ks.for_write(self.key, ListValue)
        value.insert(self.after, self.values, self.chain, stamp, origin)
        ks.settle(self.key, value)


@dataclass(slots=True)
class ListRemove:
    """LPOP/RPOP/LREM/LTRIM (and LMOVE's source): remove exactly the elements
    the origin observed, by id; never "pop one", so concurrent pops in two
    regions may remove the same element (each returned it once)."""

    key: bytes
    ids: tuple[ElemId, ...]

    def apply(self, ks: Keyspace, origin: str, stamp: int) -> None:
        value = ks.typed(self.key, ListValue)
        if value is not None and value.remove(self.ids):
            ks.compactable.add(self.key)
            ks.settle(self.key, value)


@dataclass(slots=True)
class ListSet:
    """LSET: an LWW write of one observed element's value."""

    key: bytes
    target: ElemId
    data: bytes

    def apply(self, ks: Keyspace, origin: str, stamp: int) -> None:
        value = ks.typed(self.key, ListValue)
        if value is not None:
            value.set(self.target, self.data, stamp, origin)
            ks.settle(self.key, value)


@dataclass(slots=True)
class ZAdd:
    """ZADD (and *STORE destinations, RENAME): per entry (member, score, counter
    contributions the writer saw for the member, which the new score replaces),
    an add-dot and an LWW score write."""

    key: bytes
    entries: tuple[tuple[bytes, float, Observed], ...]

    def apply(self, ks: Keyspace, origin: str, stamp: int) -> None:
        value = ks.for_write(self.key, ZsetValue)
        value.merge_add(self.entries, stamp, origin)
        ks.settle(self.key, value)


@dataclass(slots=True)
class ZIncr:
    """ZINCRBY / ZADD INCR: the origin's cumulative float contribution to the
    member's score is now `total` (`fresh`: counted from zero, see IncrStr)."""

    key: bytes
    member: bytes
    total: float
    fresh: bool = False

    def apply(self, ks: Keyspace, origin: str, stamp: int) -> None:
        value = ks.for_write(self.key, ZsetValue)
        value.merge_incr(self.member, self.total, self.fresh, stamp, origin)
        ks.settle(self.key, value)


@dataclass(slots=True)
class ZRem:
    """ZREM/ZPOP*: observed-remove of members (the dots `vv` covers), with the
    counter contributions the remover saw per member."""

    key: bytes
    vv: tuple[tuple[str, int], ...]
    members: MembersObserved

    def apply(self, ks: Keyspace, origin: str, stamp: int) -> None:
        value = ks.typed(self.key, ZsetValue)
        if value is not None:
            value.merge_remove(dict(self.vv), self.members)
            ks.settle(self.key, value)


@dataclass(slots=True)
class Publish:
    """PUBLISH with replication on: a message for every region's subscribers.

    Changes no data: applying it to a keyspace does nothing (a replayed log
    delivers nothing); the node delivers it to local subscribers when a peer's
    record holding it arrives (Node.apply_remote), and the publishing region
    delivered it when the command ran, so each subscriber gets it once."""

    channel: bytes
    message: bytes

    def apply(self, ks: Keyspace, origin: str, stamp: int) -> None:
        pass


Op = (
    SetStr
    | IncrStr
    | DelKey
    | SetExpire
    | Flush
    | HSet
    | HIncr
    | HDel
    | SAdd
    | SRem
    | ListInsert
    | ListRemove
    | ListSet
    | ZAdd
    | ZIncr
    | ZRem
    | Publish
)


@dataclass(slots=True)
class Record:
    """One write: its origin, dense per-origin sequence, first HLC stamp, ops.

    Op i carries stamp `stamp + i`, so every op of every record has a unique
    (stamp, origin) and a transaction's later op always wins over its earlier one.
    """

    origin: str
    seq: int
    stamp: int
    ops: tuple[Op, ...]
    # Per other origin, the highest seq the writer had applied (causal dependencies).
    deps: tuple[tuple[str, int], ...] = ()
    # The record's binlog frame when it arrived as one (a peer's, its checksums
    # verified): logged as is, not encoded again.
    frame: bytes = b""


def apply_record(ks: Keyspace, record: Record) -> None:
    """Merge a record into the keyspace once: a record already applied (its origin's
    sequence is not past what was applied from it) changes nothing, so duplicate
    deliveries are harmless even for observed-remove merges."""
    origin = record.origin
    if record.seq <= ks.applied.get(origin, 0):
        return
    stamp = record.stamp
    for op in record.ops:
        op.apply(ks, origin, stamp)
        stamp += 1
    ks.note_applied(origin, stamp - 1)
    ks.note_seq(origin, record.seq)


class EffectSink(Protocol):
    def append(self, record: Record) -> None:
        """Take ownership of a record that has been applied locally."""

    def write_error(self) -> str | None:
        """Why writes must be refused now (the log cannot be written), else None."""

    def status(self) -> dict[str, object]:
        """Persistence fields for INFO; empty when records are not persisted."""


class MemorySink:
    """In-memory twin of the binlog; with `keep`, only about the newest `keep` records stay."""

    def __init__(self, keep: int | None = None) -> None:
        self.records: list[Record] = []
        self.keep = keep

    def append(self, record: Record) -> None:
        self.records.append(record)
        if self.keep is not None and len(self.records) > 2 * self.keep:
            del self.records[: len(self.records) - self.keep]

    def write_error(self) -> str | None:
        return None

    def status(self) -> dict[str, object]:
        return {}
