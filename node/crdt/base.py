"""What every CRDT value type of the keyspace provides, and the dot/version-vector helpers.

Owns the `CrdtValue` protocol the keyspace elects and merges through, and the
observed-remove rule shared by every type: a write is identified by its dot
(stamp, region); a remove carries the version vector it had observed and
removes exactly the dots it covers. Must not know keys, commands or I/O.
"""

from __future__ import annotations

from decimal import Decimal
from typing import ClassVar, Protocol

Num = int | Decimal
# (region, cumulative total, stamp of the write that made it): the counter
# contributions a replacing write or a remove had observed.
Observed = tuple[tuple[str, Num, int], ...]
# Per member (hash field, sorted-set member): the contributions a remove observed.
MembersObserved = tuple[tuple[bytes, Observed], ...]
# Per value type (`CrdtValue.TYPE`), both of the above: what a delete observed of
# each value a key held, shown or hidden by a type conflict.
TypedObserved = tuple[tuple[bytes, Observed, MembersObserved], ...]
# (stamp, region): the identity of one write, ordered like LWW.
Dot = tuple[int, str]
NO_DOT: Dot = (-1, "")


def covered(stamp: int, region: str, vv: dict[str, int]) -> bool:
    """Whether a remove that had observed `vv` had seen the write (stamp, region)."""
    return stamp <= vv.get(region, -1)


class CrdtValue(Protocol):
    """One key's value of one type. A key can briefly hold values of several types
    (concurrent SET and SADD in two regions); the keyspace shows the visible one
    with the newest `latest()` dot, and keeps the others so merges stay commutative."""

    TYPE: ClassVar[bytes]

    def visible(self) -> bool:
        """Whether the key exists as this type (non-empty)."""

    def latest(self) -> Dot:
        """The newest dot among the value's visible parts: elects a key's type."""

    def mask(self, vv: dict[str, int], observed: Observed, members: MembersObserved) -> None:
        """Observed-remove of the whole value by a delete that had seen `vv`."""

    def observed(self) -> Observed:
        """Counter contributions of the value itself, for a delete to carry."""

    def members_observed(self) -> MembersObserved:
        """Counter contributions per member, for a delete to carry."""

    def encoding(self) -> bytes:
        """OBJECT ENCODING's answer."""


# The add-dots of one member of an observed-remove collection: region -> stamp of
# that region's newest add. A region's newer add supersedes its older one (it
# had observed it), so a member holds at most one dot per region.
Dots = dict[str, int]


def add_dot(dots: Dots, stamp: int, region: str) -> None:
    if stamp > dots.get(region, -1):
        dots[region] = stamp


def remove_covered(dots: Dots, vv: dict[str, int]) -> bool:
    """Drop the dots a remove that had observed `vv` had seen; True when none is left."""
    for region in [r for r, stamp in dots.items() if stamp <= vv.get(r, -1)]:
        del dots[region]
    return not dots


def newest(dots: Dots) -> Dot:
    return max(((stamp, region) for region, stamp in dots.items()), default=NO_DOT)
