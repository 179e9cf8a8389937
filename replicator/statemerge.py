"""Merging a peer's snapshot into the live keyspace: the state-based side of a full sync.

Owns the join of two replicas' states, each with its causal context (the
highest stamp it applied per origin, `Keyspace.vv`; records are applied in
order per origin, so a dot (stamp, region) was seen iff stamp <= vv[region]).
A part (a dot) held by one side survives unless the other side had seen it and
no longer holds it: then the other side removed it (a delete, or a tombstone
it already collected). So local writes made while the snapshot travelled,
which the peer had not seen, are kept (Ctrip's xredis-crdt lost them, #107),
and deletes the peer made of what this region holds are applied.

Types: strings (register + counter), sets, hashes, sorted sets, lists and
expiry registers merge exactly (as long as neither side collected tombstones
the other still holds). `KeyspaceMerge` joins key by key, a slice at a time,
with commands in between merging their own keys first. Must not know gRPC or
the binlog.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import Any, TypeVar

from node.crdt.expiry import Expiry
from node.crdt.hashes import Field, HashValue
from node.crdt.lists import HEAD, Elem, ElemId, ListValue, anchors, rga_order
from node.crdt.sets import SetValue
from node.crdt.strings import Counter, StrValue
from node.crdt.zsets import FloatCounter, Member, ZsetValue
from node.keyset import KeySet
from node.keyspace import Keyspace, Value
from node.snapshot import keys_of

T = TypeVar("T")
Ctx = dict[str, int]


def seen(stamp: int, region: str, ctx: Ctx) -> bool:
    return stamp <= ctx.get(region, -1)


def _or_new(value: T | None, kind: type[T]) -> T:
    """Not `value or kind()`: a value holding only removed parts (tombstones a
    merge must keep) has length 0."""
    return kind() if value is None else value


def join_slots(
    mine: dict[str, T], theirs: dict[str, T], stamp: Callable[[T], int], lctx: Ctx, rctx: Ctx
) -> dict[str, T]:
    """Join two per-region maps of dots (one slot per region: its newest write)."""
    out: dict[str, T] = {}
    for region in mine.keys() | theirs.keys():
        a, b = mine.get(region), theirs.get(region)
        if a is not None and b is not None:
            out[region] = a if stamp(a) >= stamp(b) else b
        elif a is not None:
            if not seen(stamp(a), region, rctx):
                out[region] = a
        elif b is not None and not seen(stamp(b), region, lctx):
            out[region] = b
    return out


C = TypeVar("C", Counter, FloatCounter)


def _join_counter(a: C | None, b: C | None, lctx: Ctx, rctx: Ctx) -> C | None:
    """Strings' and hash fields' Counter and sorted-set members' FloatCounter alike."""
    some = a if a is not None else b
    if some is None:
        return None
    kind = type(some)
    a, b = a or kind(), b or kind()
    out = kind()
    out.contrib = join_slots(a.contrib, b.contrib, lambda c: c[1], lctx, rctx)
    # Baselines are what removes observed: a union (newest per region) never
    # counts an increment twice; one for a contribution gone from both is moot.
    out.baseline = dict(a.baseline)
    for region, entry in b.baseline.items():
        if region not in out.baseline or entry[1] > out.baseline[region][1]:
            out.baseline[region] = entry
    return out


def _join_register(a: StrValue, b: StrValue, lctx: Ctx, rctx: Ctx) -> tuple[bytes | None, int, str]:
    """The register: the newest dot, unless the other side had seen it and cleared it."""
    da, db = (a.stamp, a.region), (b.stamp, b.region)
    if da == db:
        return (a.data if b.data is not None else None), a.stamp, a.region
    if da > db:
        cleared = seen(a.stamp, a.region, rctx)  # b saw it yet holds an older dot: removed
        return (None if cleared else a.data), a.stamp, a.region
    cleared = seen(b.stamp, b.region, lctx)
    return (None if cleared else b.data), b.stamp, b.region


def join_str(a: StrValue | None, b: StrValue | None, lctx: Ctx, rctx: Ctx) -> StrValue:
    a, b = _or_new(a, StrValue), _or_new(b, StrValue)
    data, stamp, region = _join_register(a, b, lctx, rctx)
    out = StrValue(data, stamp, region)
    out.counter = _join_counter(a.counter, b.counter, lctx, rctx)
    return out


def join_set(a: SetValue | None, b: SetValue | None, lctx: Ctx, rctx: Ctx) -> SetValue:
    a, b = _or_new(a, SetValue), _or_new(b, SetValue)
    out = SetValue()
    for member in a.members.keys() | b.members.keys():
        dots = join_slots(a.members.get(member, {}), b.members.get(member, {}), int, lctx, rctx)
        if dots:
            out.members[member] = dots
    out.latest_changed()
    return out


def join_hash(a: HashValue | None, b: HashValue | None, lctx: Ctx, rctx: Ctx) -> HashValue:
    a, b = _or_new(a, HashValue), _or_new(b, HashValue)
    out = HashValue()
    mine = {**a.gone, **a.fields}
    theirs = {**b.gone, **b.fields}
    for name in mine.keys() | theirs.keys():
        fa, fb = mine.get(name) or Field(), theirs.get(name) or Field()
        field = Field()
        field.writes = join_slots(fa.writes, fb.writes, lambda w: w[0], lctx, rctx)
        field.show_newest()
        field.value.counter = _join_counter(fa.value.counter, fb.value.counter, lctx, rctx)
        out.place(name, field)
    out.latest_changed()
    return out


def join_zset(a: ZsetValue | None, b: ZsetValue | None, lctx: Ctx, rctx: Ctx) -> ZsetValue:
    a, b = _or_new(a, ZsetValue), _or_new(b, ZsetValue)
    out = ZsetValue()
    for name in a.members.keys() | b.members.keys():
        ma, mb = a.members.get(name) or Member(), b.members.get(name) or Member()
        member = Member()
        member.dots = join_slots(ma.dots, mb.dots, int, lctx, rctx)
        member.scores = join_slots(ma.scores, mb.scores, lambda e: e[0], lctx, rctx)
        member.counter = _join_counter(ma.counter, mb.counter, lctx, rctx)
        out.restore(name, member)  # indexes it, or drops it when nothing is left
    return out


def join_expiry(a: Expiry | None, b: Expiry | None, lctx: Ctx, rctx: Ctx) -> Expiry | None:
    a, b = _or_new(a, Expiry), _or_new(b, Expiry)
    out = Expiry()
    out.entries = join_slots(a.entries, b.entries, lambda e: e[0], lctx, rctx)
    return out if out.entries else None


def join_list(a: ListValue | None, b: ListValue | None, lctx: Ctx, rctx: Ctx) -> ListValue:
    """The union of both sides' elements in RGA order: each element after its anchor
    (read back from either side's order), removed when either side removed it."""
    a, b = _or_new(a, ListValue), _or_new(b, ListValue)
    anchored = anchors(a.seq)
    for eid, anchor in anchors(b.seq).items():
        mine = anchored.setdefault(eid, anchor)
        if mine != anchor:
            anchored[eid] = _true_anchor(mine, anchor, a, b, lctx, rctx)
    elems: dict[ElemId, Elem] = {}
    for eid in a.elems.keys() & b.elems.keys():
        ea, eb = a.elems[eid], b.elems[eid]
        newer = ea if ea.vdot >= eb.vdot else eb  # LSET is LWW
        elems[eid] = Elem(newer.data, newer.vdot, ea.live and eb.live)
    for held, other, ctx in ((a, b, rctx), (b, a, lctx)):
        for eid in held.elems.keys() - other.elems.keys():
            elem = held.elems[eid]
            # The other side had seen the insert and no longer holds it: it
            # removed it, then collected the tombstone.
            elems[eid] = Elem(elem.data, elem.vdot, elem.live and not seen(eid[0], eid[1], ctx))
    return ListValue.restore(rga_order(anchored), elems)


def _true_anchor(x: ElemId, y: ElemId, a: ListValue, b: ListValue, lctx: Ctx, rctx: Ctx) -> ElemId:
    """An element's anchor read as `x` from `a` and as `y` from `b`.

    They differ only when a side collected the true anchor (it then reads an
    earlier element). Both sides hold the element, so both had seen its anchor:
    the true one is the one the other side saw and no longer holds. When that
    fits both, both collected tombstones: any fixed choice converges.
    """
    x_fits = x != HEAD and x not in b.elems and seen(x[0], x[1], rctx)
    y_fits = y != HEAD and y not in a.elems and seen(y[0], y[1], lctx)
    if x_fits != y_fits:
        return x if x_fits else y
    return max(x, y)


JOINS: dict[type, Callable[[Any, Any, Ctx, Ctx], Value]] = {
    StrValue: join_str,
    SetValue: join_set,
    HashValue: join_hash,
    ZsetValue: join_zset,
    ListValue: join_list,
}


def merge_key(ks: Keyspace, remote: Keyspace, key: bytes, lctx: Ctx, rctx: Ctx) -> None:
    """Replace what `key` holds here by the join of both sides, then elect what it shows."""
    mine = {type(v): v for v, _ in ks.values_of(key)}
    theirs = {type(v): v for v, _ in remote.values_of(key)}
    pool: dict[bytes, Value] = {}
    for cls in mine.keys() | theirs.keys():
        value = JOINS[cls](mine.get(cls), theirs.get(cls), lctx, rctx)
        if not _empty(value):
            pool[value.TYPE] = value
        if _keeps_removed(value):
            ks.compactable.add(key)
    ks.data.pop(key)
    ks.others.pop(key, None)
    if pool:
        ks.others[key] = pool
    expiry = join_expiry(ks.expiry.get(key), remote.expiry.get(key), lctx, rctx)
    if expiry is None:
        ks.expiry.pop(key, None)
    else:
        ks.expiry[key] = expiry
    # A value not shown under the key: the keyspace elects among `others`
    # and refreshes the key's effective expiry.
    ks.settle(key, StrValue())


def _empty(value: Value) -> bool:
    """Nothing left to show or to merge with (no dot, no counter, no field)."""
    if isinstance(value, StrValue):
        return value.stamp < 0 and value.counter is None
    if isinstance(value, SetValue):
        return not value.members
    if isinstance(value, HashValue):
        return not value.fields and not value.gone
    if isinstance(value, ZsetValue):
        return not value.members
    if isinstance(value, ListValue):
        return not value.elems
    return False


def _keeps_removed(value: Value) -> bool:
    """Removed parts `Keyspace.collect` drops: hash fields kept for their counter
    baselines, list elements kept as anchors."""
    if isinstance(value, HashValue):
        return bool(value.gone)
    return isinstance(value, ListValue) and len(value.seq) > len(value.vis)


class KeyspaceMerge:
    """Join a peer's loaded snapshot into the live keyspace a slice at a time.

    Keys only this side holds are merged too: the peer may have deleted (and
    collected) what they hold. Afterwards `ks` has seen everything either had.
    The vectors move at once, when the merge begins; while it runs, a command
    first merges the keys it names, reads included, and a write the key it
    writes (`touch`, as `Node.prepare`; a FLUSHALL everything left). So each
    command sees its keys as it would after the whole merge, and a delete's
    vector covers exactly what it could see: slicing changes no outcome. Only
    keyless reads (SCAN, KEYS, DBSIZE...) see the merge half done.
    """

    def __init__(self, ks: Keyspace, remote: Keyspace) -> None:
        self.ks, self.remote = ks, remote
        self._lctx, self._rctx = dict(ks.vv), dict(remote.vv)
        # Both sides' keys, a key held by both listed twice: `merge` skips the
        # second, and no set of every key is built in one loop turn.
        self.keys = [*keys_of(remote), *keys_of(ks)]
        self._done = KeySet()
        self.merged = 0
        self._next = 0
        for origin, stamp in self._rctx.items():
            ks.note_applied(origin, stamp)
        for origin, seq in remote.applied.items():
            ks.note_seq(origin, seq)

    def merge(self, key: bytes) -> None:
        if self._done.add(key):
            merge_key(self.ks, self.remote, key, self._lctx, self._rctx)
            self.merged += 1

    def merge_all(self) -> None:
        self.step(math.inf)

    def step(self, seconds: float) -> bool:
        """Merge keys for about `seconds`; True once every key is merged."""
        keys, deadline = self.keys, time.perf_counter() + seconds
        while self._next < len(keys):
            self.merge(keys[self._next])
            self._next += 1
            if not self._next & 63 and time.perf_counter() > deadline:
                return False
        return True

    def touch(self, key: bytes | None) -> None:
        """`Node.prepare` while the merge runs: merge `key` now (None: every key)."""
        if key is None:
            self.merge_all()
        else:
            self.merge(key)
