"""The hash CRDT: an observed-remove map of fields where a write wins over a concurrent HDEL.

Owns the state of one hash key and its merge rules. Each field is a string
CRDT (`StrValue`: an LWW value plus, once HINCRBY/HINCRBYFLOAT touched it, a
per-region counter), so a field behaves exactly like a string key:
- HSET is an LWW write that absorbs the counter contributions it observed;
- concurrent HINCRBYs in different regions add up;
- HDEL is an observed remove: it drops the writes its version vector covers
  and resets the counter by the contributions it observed, so an HSET or an
  HINCRBY it had not seen keeps the field alive (update wins).

A field keeps the newest write of each region (`writes`), not only the LWW
winner: when an HDEL removes the winner it had seen, a concurrent write it had
not seen (even one with an older stamp) is what the field shows. A removed
field that had a counter stays as a tombstone in `gone`: its counter baseline
is what later increments from other regions are measured against.
Must not know commands, keys, clocks or I/O.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import ClassVar

from node.crdt.base import NO_DOT, Dot, MembersObserved, Num, Observed, covered
from node.crdt.strings import StrValue

# Redis 7.0's hash-max-listpack-entries and hash-max-listpack-value defaults.
LISTPACK_ENTRIES = 128
LISTPACK_VALUE = 64


class Field:
    __slots__ = ("value", "writes")

    def __init__(self) -> None:
        # region -> (stamp, data) of that region's newest HSET not yet removed.
        self.writes: dict[str, tuple[int, bytes]] = {}
        # Its register is the newest of `writes`; its counter the field's increments.
        self.value = StrValue()

    def set(self, data: bytes, stamp: int, region: str, observed: Observed) -> None:
        current = self.writes.get(region)
        if current is None or stamp >= current[0]:
            self.writes[region] = (stamp, data)
        self.value.write(data, stamp, region, observed)

    def remove(self, vv: dict[str, int], observed: Observed) -> None:
        for region in [r for r, (stamp, _) in self.writes.items() if covered(stamp, r, vv)]:
            del self.writes[region]
        self.value.mask(vv, observed)
        self.show_newest()

    def show_newest(self) -> None:
        """Point the register at the newest write that survived, or at nothing."""
        stamp, region = max(((s, r) for r, (s, _) in self.writes.items()), default=NO_DOT)
        value = self.value
        value.data = self.writes[region][1] if region in self.writes else None
        value.stamp, value.region = stamp, region

    def get(self) -> bytes | None:
        return self.value.get()


class HashValue:
    __slots__ = ("_latest", "fields", "gone")
    TYPE: ClassVar[bytes] = b"hash"

    def __init__(self) -> None:
        self.fields: dict[bytes, Field] = {}  # the visible fields
        self.gone: dict[bytes, Field] = {}  # removed fields whose counter must be remembered
        self._latest: Dot | None = NO_DOT  # cached newest dot; None after a remove

    def _field(self, name: bytes) -> Field:
        found = self.fields.get(name)
        if found is None:
            found = self.gone.pop(name, None) or Field()
            self.fields[name] = found
        return found

    def place(self, name: bytes, field: Field) -> None:
        """File a field as visible, tombstone (it has a counter) or nothing."""
        if field.value.visible():
            self.fields[name] = field
            return
        self.fields.pop(name, None)
        if field.value.counter is None:
            self.gone.pop(name, None)
        else:
            self.gone[name] = field

    def _touched(self, stamp: int, region: str) -> None:
        if self._latest is not None:
            self._latest = max(self._latest, (stamp, region))

    def set(
        self,
        pairs: Iterable[tuple[bytes, bytes]],
        observed: MembersObserved,
        stamp: int,
        region: str,
    ) -> None:
        seen = dict(observed)
        for name, data in pairs:
            field = self._field(name)
            field.set(data, stamp, region, seen.get(name, ()))
            self.place(name, field)
        self._touched(stamp, region)

    def incr(self, name: bytes, total: Num, stamp: int, region: str, fresh: bool) -> None:
        field = self._field(name)
        field.value.incr(total, stamp, region, fresh)
        self.place(name, field)
        self._touched(stamp, region)

    def remove(self, names: Iterable[bytes], vv: dict[str, int], members: MembersObserved) -> None:
        seen = dict(members)
        for name in names:
            field = self.fields.get(name) or self.gone.get(name)
            if field is not None:
                field.remove(vv, seen.get(name, ()))
                self.place(name, field)
        self.latest_changed()

    def mask(self, vv: dict[str, int], observed: Observed, members: MembersObserved = ()) -> None:
        self.remove([*self.fields, *self.gone], vv, members)

    def observed(self) -> Observed:
        return ()

    def members_observed(self) -> MembersObserved:
        return tuple(
            (name, seen) for name, field in self.fields.items() if (seen := field.value.observed())
        )

    def visible(self) -> bool:
        return bool(self.fields)

    def latest_changed(self) -> None:
        """Forget the cached newest dot (something was removed, or state was loaded)."""
        self._latest = None

    def latest(self) -> Dot:
        if self._latest is None:
            self._latest = max((f.value.latest() for f in self.fields.values()), default=NO_DOT)
        return self._latest

    def get(self, name: bytes) -> bytes | None:
        field = self.fields.get(name)
        return None if field is None else field.get()

    def items(self) -> list[tuple[bytes, bytes]]:
        out = []
        for name, field in self.fields.items():
            data = field.get()
            assert data is not None, "a visible field has a value"
            out.append((name, data))
        return out

    def __len__(self) -> int:
        return len(self.fields)

    def encoding(self) -> bytes:
        """Recomputed from the contents: unlike Redis, a hash shrunk back under the
        thresholds reports listpack again (the encoding is not part of the CRDT state)."""
        if len(self.fields) > LISTPACK_ENTRIES:
            return b"hashtable"
        small = all(
            len(name) <= LISTPACK_VALUE and len(data) <= LISTPACK_VALUE
            for name, data in self.items()
        )
        return b"listpack" if small else b"hashtable"
