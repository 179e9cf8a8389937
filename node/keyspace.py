"""The CRDT-native keyspace: keys, their CRDT values, expiry and the applied version vector.

Owns the maps from key to value and to expiry time, the merge entry points
that effect ops call, lazy and active expiry, and SCAN cursors. Every visible
key maps to its value object in `data`. Everything else a key holds lives in
`others`, by type: a value a delete made invisible (a tombstone, with the CRDT
metadata a write the delete had not observed must still merge with), and the
value of another type that concurrent writes in two regions created (SET in
one, SADD in the other). Among a key's visible values the one with the newest
dot is shown, in every region alike. Keys whose change may have left removable
metadata (tombstones) get a mark; `collect` drops that metadata, oldest mark
first, once the caller says no write that could need it can still arrive (the
replicator's causal stability, docs/replication.md). Must not know commands,
clients, records' transport or the binlog.
"""

from __future__ import annotations

import heapq
import itertools
import random
from collections import deque
from collections.abc import Callable, Iterator
from decimal import Decimal
from typing import TYPE_CHECKING, TypeVar

from node.crdt.base import CrdtValue, MembersObserved, Observed, TypedObserved
from node.crdt.expiry import Entry, Expiry, Seen
from node.crdt.hashes import HashValue
from node.crdt.lists import ListValue
from node.crdt.strings import StrValue
from node.effects import KEEP_TTL
from node.keymap import KeyMap

if TYPE_CHECKING:
    from node.effects import DelKey, Flush, IncrStr, SetExpire, SetStr

Value = CrdtValue
V = TypeVar("V", bound=CrdtValue)
_SCAN_SNAPSHOTS = 32


def _by_type(
    typed: TypedObserved, observed: Observed, members: MembersObserved
) -> Callable[[Value], tuple[Observed, MembersObserved]]:
    """What a delete observed of a value of each type. A delete logged before
    observations had types (`observed`, `members`) keeps meaning what it meant:
    the same for every type."""
    by_type = {kind: (obs, mobs) for kind, obs, mobs in typed}
    untyped = (observed, members)
    return lambda value: by_type.get(value.TYPE, untyped)


class ScanSnapshots:
    """Cursors of SCAN-like iterations, each over a snapshot of names taken when it
    started (cursor 0), so every name present for the whole iteration is returned,
    whatever happens meanwhile. A cursor naming an evicted snapshot or another
    owner (SSCAN of another key) restarts: duplicates, never a lost name.
    The cursor is (snapshot id << 32) | position.
    """

    def __init__(self) -> None:
        self._lists: dict[int, tuple[bytes, list[bytes]]] = {}
        self._ids = itertools.count(1)

    def walk(
        self, owner: bytes, names: Callable[[], list[bytes]], cursor: int, count: int
    ) -> tuple[int, list[bytes]]:
        """The next (cursor, about `count` names) of `owner`'s iteration."""
        listed = self._lists.get(cursor >> 32)
        if cursor == 0 or listed is None or listed[0] != owner:
            snapshot_id, position = next(self._ids), 0
            listed = self._lists[snapshot_id] = (owner, names())
            while len(self._lists) > _SCAN_SNAPSHOTS:
                del self._lists[next(iter(self._lists))]
        else:
            snapshot_id, position = cursor >> 32, cursor & 0xFFFFFFFF
            # Keep snapshots in use at the young end of the eviction order.
            self._lists[snapshot_id] = self._lists.pop(snapshot_id)
        end = position + max(count, 1)
        batch = listed[1][position:end]
        if end >= len(listed[1]):
            del self._lists[snapshot_id]
            return 0, batch
        return (snapshot_id << 32) | end, batch


class Keyspace:
    def __init__(self, region: str) -> None:
        self.region = region
        self.data: KeyMap[Value] = KeyMap()
        self.others: dict[bytes, dict[bytes, Value]] = {}
        # Per key, its expiry register (node.crdt.expiry), only when it holds
        # entries; `expires` caches the effective time of each shown key that has one.
        self.expiry: dict[bytes, Expiry] = {}
        self.expires: dict[bytes, int] = {}
        self._expiry_heap: list[tuple[int, bytes]] = []
        # Highest stamp applied from each origin: what a delete here has observed.
        self.vv: dict[str, int] = {}
        # Highest record seq applied from each origin: a local record's causal deps.
        self.applied: dict[str, int] = {}
        # Called with a key found expired; the node turns it into a delete record.
        self.on_expired: Callable[[bytes], None] = self.remove
        self.expired_keys = 0
        self._scans = ScanSnapshots()
        # SSCAN/HSCAN/ZSCAN of large collections, owned by their key.
        self.member_scans = ScanSnapshots()
        # Keys changed since the last mark in a way that may leave removable
        # metadata: a value made invisible or changed while hidden, removed list
        # elements (later inserts may name them as anchors), removed hash fields
        # keeping a counter baseline. `close_mark` gives them the next mark.
        self.compactable: set[bytes] = set()
        self.mark = 0
        self._marked: dict[bytes, int] = {}  # key -> its newest mark
        self._marks: deque[tuple[int, bytes]] = deque()  # (mark, key), oldest first

    # -- reads -------------------------------------------------------------

    def lookup(self, key: bytes, now_ms: int) -> Value | None:
        value = self.data.get(key)
        if value is not None and self.expires and self.is_expired(key, now_ms):
            self.expired_keys += 1
            self.on_expired(key)
            return None
        return value

    def is_expired(self, key: bytes, now_ms: int) -> bool:
        """Whether the key's time has come, without removing it (KEYS skips such keys)."""
        at = self.expires.get(key)
        return at is not None and at <= now_ms

    def ttl_ms(self, key: bytes) -> int | None:
        return self.expires.get(key)

    def __len__(self) -> int:
        return len(self.data)

    def random_key(self) -> bytes | None:
        if not self.data:
            return None
        return self.data.nth(random.randrange(len(self.data)))

    # -- merge entry points (called by effect ops) --------------------------

    def typed(self, key: bytes, cls: type[V]) -> V | None:
        """The key's value of one type, shown or not (tombstone, or losing a type conflict)."""
        value = self.data.get(key)
        if type(value) is cls:
            return value
        hidden = self.others.get(key)
        found = None if hidden is None else hidden.get(cls.TYPE)
        return found if type(found) is cls else None

    def values_of(self, key: bytes) -> list[tuple[Value, bool]]:
        """Everything the key holds, as (value, shown)."""
        shown = self.data.get(key)
        out = [] if shown is None else [(shown, True)]
        out.extend((value, False) for value in self.others.get(key, {}).values())
        return out

    def own_total(self, key: bytes) -> int | Decimal | None:
        """This region's cumulative counter contribution, tombstones included
        (None when it has none): a counter deleted here continues from its total,
        so peers that kept the key (an increment the delete did not observe)
        compute the same value."""
        value = self.typed(key, StrValue)
        if value is None or value.counter is None:
            return None
        return value.counter.own_total(self.region)

    def for_write(self, key: bytes, cls: type[V]) -> V:
        """The key's value of type `cls` for an op to merge into (created if new).

        Call `settle(key, value)` after merging: it decides what the key shows.
        """
        value = self.data.get(key)
        if value is None and key not in self.others:
            new = self.data[key] = cls()
            if key in self.expiry:  # entries a delete had not seen apply to the new value
                self._refresh_expire(key)
            return new
        if type(value) is cls:
            return value
        hidden = self.others.setdefault(key, {})
        found = hidden.get(cls.TYPE)
        if type(found) is cls:
            return found
        created = cls()
        hidden[cls.TYPE] = created
        return created

    def settle(self, key: bytes, value: Value) -> None:
        if self.data.get(key) is value and key not in self.others and value.visible():
            return  # the common case: the shown value merged and is still shown
        self._elect(key)

    def _elect(self, key: bytes) -> None:
        """Show the visible value with the newest dot; keep the rest in `others`."""
        pool = self.others.pop(key, {})
        shown = self.data.pop(key)
        if shown is not None:
            pool[shown.TYPE] = shown
        live = [value for value in pool.values() if value.visible()]
        if live:
            winner = max(live, key=lambda value: value.latest())
            self.data[key] = winner
            del pool[winner.TYPE]
        if pool:
            self.others[key] = pool
            self.compactable.add(key)
        self._refresh_expire(key)

    def merge_set_str(self, op: SetStr, origin: str, stamp: int) -> None:
        value = self.for_write(op.key, StrValue)
        value.write(op.data, stamp, origin, op.observed)
        # A write clearing the TTL is a PERSIST entry only when it cleared entries
        # it saw: a plain SET of a key without TTL, the common write, costs nothing.
        if op.expire_at >= 0 or (op.seen and op.expire_at != KEEP_TTL):
            self._write_expiry(op.key, op.expire_at, stamp, origin, op.seen)
        self.settle(op.key, value)

    def merge_incr_str(self, op: IncrStr, origin: str, stamp: int) -> None:
        value = self.for_write(op.key, StrValue)
        value.incr(op.total, stamp, origin, op.fresh)
        self.settle(op.key, value)

    def merge_del(self, op: DelKey, stamp: int) -> None:
        vv = dict(op.vv)
        if op.key in self.expiry:
            self._mask_expiry(op.key, vv)
        held = self.values_of(op.key)
        if not held:
            return
        seen = _by_type(op.typed, op.observed, op.members)
        for value, _ in held:
            value.mask(vv, *seen(value))
        self._elect(op.key)

    def merge_expire(self, op: SetExpire, origin: str, stamp: int) -> None:
        # Applied whether or not the key is shown here: a write the origin had
        # seen may still be on its way, and every order must end the same.
        self._write_expiry(op.key, op.expire_at, stamp, origin, op.seen)

    def merge_flush(self, op: Flush, stamp: int) -> None:
        vv = dict(op.vv)
        typed = dict(op.typed)
        observed = dict(op.observed)
        members = dict(op.members)
        for key in list(self.expiry):
            self._mask_expiry(key, vv)
        for key in {*self.data, *self.others}:
            seen = _by_type(typed.get(key, ()), observed.get(key, ()), members.get(key, ()))
            for value, _ in self.values_of(key):
                value.mask(vv, *seen(value))
            self._elect(key)

    def close_mark(self) -> int:
        """Give the keys changed since the last call the next mark; the newest mark.

        The caller pairs a new mark with the applied vector of this moment: every
        change a key's mark stands for is in it.
        """
        if self.compactable:
            self.mark += 1
            for key in self.compactable:
                self._marked[key] = self.mark
                self._marks.append((self.mark, key))
            self.compactable.clear()
        return self.mark

    def collect(self, upto: int | None = None, limit: int = 10_000) -> int:
        """Drop the removable metadata of keys whose newest mark is at most `upto`,
        up to `limit` keys; returns how many tombstones went.

        `upto` must be stable: every write that can still arrive was made by a
        region that had applied everything up to that mark. Then what the key
        holds invisibly is moot for it (docs/replication.md). None: a node
        without peers, where every mark is; it also drops what a peer's later
        write could still name: removed list elements (anchors of inserts) and
        expiry entries of a key not shown. Visible values hidden by a type
        conflict stay: they are data.
        """
        alone = upto is None
        if upto is None:
            upto = self.close_mark()
        dropped = 0
        marks, marked = self._marks, self._marked
        while marks and marks[0][0] <= upto and limit > 0:
            mark, key = marks.popleft()
            limit -= 1
            if marked.get(key) == mark:  # else the key changed again: a newer mark
                del marked[key]
                dropped += self._collect_key(key, alone)
        return dropped

    def _collect_key(self, key: bytes, alone: bool) -> int:
        dropped = 0
        hidden = self.others.get(key)
        if hidden is not None:
            for kind, value in list(hidden.items()):
                if not value.visible() and (alone or type(value) is not ListValue):
                    del hidden[kind]
                    dropped += 1
            if not hidden:
                del self.others[key]
        # Removed hash fields kept only for their counter baselines (node.crdt.hashes).
        hashed = self.typed(key, HashValue)
        if hashed is not None:
            dropped += len(hashed.gone)
            hashed.gone.clear()
        if alone:
            listed = self.typed(key, ListValue)
            if listed is not None:
                dropped += listed.compact()
            if key not in self.data:
                self.expiry.pop(key, None)
        return dropped

    def tombstones(self) -> int:
        """Invisible values and removed counter fields not collected yet (INFO crdt).

        Removed hash fields are counted in keys awaiting collection only: no walk
        over every hash.
        """
        count = sum(not v.visible() for hidden in self.others.values() for v in hidden.values())
        for key in {*self._marked, *self.compactable}:
            hashed = self.typed(key, HashValue)
            if hashed is not None:
                count += len(hashed.gone)
        return count

    def note_applied(self, origin: str, stamp: int) -> None:
        if stamp > self.vv.get(origin, -1):
            self.vv[origin] = stamp

    def note_seq(self, origin: str, seq: int) -> None:
        if seq > self.applied.get(origin, 0):
            self.applied[origin] = seq

    def restore(self, key: bytes, value: Value, visible: bool) -> None:
        """Install one key's saved value (loading a snapshot): no merge, no expiry check."""
        if visible:
            self.data[key] = value
            self._refresh_expire(key)
            if (type(value) is HashValue and value.gone) or (
                type(value) is ListValue and len(value.seq) > len(value.vis)
            ):
                self.compactable.add(key)
        else:
            self.others.setdefault(key, {})[value.TYPE] = value
            self.compactable.add(key)

    def restore_expiry(self, key: bytes, entries: tuple[Entry, ...]) -> None:
        if entries:
            self.expiry[key] = Expiry.from_entries(entries)
            self._refresh_expire(key)

    # -- local removal and expiry ---------------------------------------------

    def remove(self, key: bytes) -> None:
        self.data.pop(key)
        self.expires.pop(key, None)
        self.expiry.pop(key, None)

    def expiry_seen(self, key: bytes) -> Seen:
        """The expiry entries an expiry write issued now replaces."""
        register = self.expiry.get(key)
        return () if register is None else register.seen()

    def expiry_entries(self, key: bytes) -> tuple[Entry, ...]:
        register = self.expiry.get(key)
        return () if register is None else register.dump()

    def _write_expiry(self, key: bytes, at: int, stamp: int, origin: str, seen: Seen) -> None:
        register = self.expiry.get(key)
        if register is None:
            register = self.expiry[key] = Expiry()
        register.write(at, stamp, origin, seen)
        if not register.entries:
            del self.expiry[key]
        elif key not in self.data:
            self.compactable.add(key)  # an expiry register outliving its key
        self._refresh_expire(key)

    def _mask_expiry(self, key: bytes, vv: dict[str, int]) -> None:
        register = self.expiry[key]
        register.mask(vv)
        if not register.entries:
            del self.expiry[key]
        self._refresh_expire(key)

    def _refresh_expire(self, key: bytes) -> None:
        """Cache the effective expiry of a shown key (none for a key not shown)."""
        register = self.expiry.get(key)
        at = None if register is None or key not in self.data else register.at()
        if at is None:
            self.expires.pop(key, None)
        elif self.expires.get(key) != at:
            self.expires[key] = at
            heapq.heappush(self._expiry_heap, (at, key))
            if len(self._expiry_heap) > 2 * len(self.expires) + 1024:
                self._expiry_heap = [(when, k) for k, when in self.expires.items()]
                heapq.heapify(self._expiry_heap)

    def expire_due(self, now_ms: int, limit: int) -> int:
        """Active expiry: remove up to `limit` keys whose time has come, oldest first.

        A heap of expiry times rather than Redis's random sampling: every expired
        key is found, so memory never holds keys that are already dead.
        """
        heap = self._expiry_heap
        done = 0
        while heap and heap[0][0] <= now_ms and done < limit:
            at, key = heapq.heappop(heap)
            if self.expires.get(key) == at:
                self.expired_keys += 1
                self.on_expired(key)
                done += 1
        return done

    # -- SCAN ----------------------------------------------------------------------

    def scan(self, cursor: int, count: int) -> tuple[int, list[bytes]]:
        """Examine about `count` keys from a cursor; 0 starts and ends an iteration
        (over a snapshot of the key names: `ScanSnapshots`)."""
        cursor, keys = self._scans.walk(b"", lambda: list(self.data), cursor, count)
        return cursor, [k for k in keys if k in self.data]

    def keys(self) -> Iterator[bytes]:
        return iter(list(self.data))
