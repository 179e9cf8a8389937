"""The set CRDT: an observed-remove set where a concurrent add wins.

Owns the state of one set key and its merge rules. Each member holds its
add-dots (one per region: that region's newest add). A remove (SREM, SPOP,
SMOVE's source, DEL) carries the version vector its region had observed and
drops exactly the dots it covers; a member whose dots are all gone is gone.
An add the remove had not seen keeps its dot, so the member stays.

No member tombstones are needed: records arrive causally, so an add a remove
covered was applied before that remove everywhere, and is never applied again.
Must not know commands, keys, clocks or I/O.
"""

from __future__ import annotations

from collections.abc import Collection, Iterable
from typing import ClassVar

from node.crdt.base import NO_DOT, Dot, Dots, MembersObserved, Observed, add_dot, newest
from node.crdt.base import remove_covered as drop_covered
from node.numbers import parse_int

# Redis 7.0's set-max-intset-entries default.
INTSET_MAX = 512


class SetValue:
    __slots__ = ("_latest", "members")
    TYPE: ClassVar[bytes] = b"set"

    def __init__(self) -> None:
        self.members: dict[bytes, Dots] = {}
        # The newest dot, cached: None after a remove (recomputed on demand).
        self._latest: Dot | None = NO_DOT

    def add(self, members: Iterable[bytes], stamp: int, region: str) -> None:
        for member in members:
            add_dot(self.members.setdefault(member, {}), stamp, region)
        if self._latest is not None:
            self._latest = max(self._latest, (stamp, region))

    def remove(self, members: Iterable[bytes], vv: dict[str, int]) -> None:
        """Observed-remove of some members."""
        for member in members:
            dots = self.members.get(member)
            if dots is not None and drop_covered(dots, vv):
                del self.members[member]
        self.latest_changed()

    def mask(self, vv: dict[str, int], observed: Observed, members: MembersObserved = ()) -> None:
        self.remove(list(self.members), vv)

    def observed(self) -> Observed:
        return ()

    def members_observed(self) -> MembersObserved:
        return ()

    def visible(self) -> bool:
        return bool(self.members)

    def latest_changed(self) -> None:
        """Forget the cached newest dot (something was removed, or state was loaded)."""
        self._latest = None

    def latest(self) -> Dot:
        if self._latest is None:
            self._latest = max((newest(dots) for dots in self.members.values()), default=NO_DOT)
        return self._latest

    def __contains__(self, member: bytes) -> bool:
        return member in self.members

    def __len__(self) -> int:
        return len(self.members)

    def names(self) -> list[bytes]:
        return in_redis_order(list(self.members))

    def encoding(self) -> bytes:
        """Recomputed from the contents: unlike Redis, a set shrunk back to small
        integers reports intset again (the encoding is not part of the CRDT state)."""
        return encoding_of(self.members)


def encoding_of(members: Collection[bytes]) -> bytes:
    if len(members) <= INTSET_MAX and all(parse_int(m) is not None for m in members):
        return b"intset"
    return b"hashtable"


def in_redis_order(members: list[bytes]) -> list[bytes]:
    """Members as Redis lists a set of them: an intset lists its integers ascending."""
    if encoding_of(members) == b"intset":
        return sorted(members, key=lambda m: parse_int(m) or 0)
    return members
