"""The string CRDT: an LWW register plus a per-region counter.

Owns the state of one string key and its merge rules:
- the register holds the last write by (HLC stamp, region id);
- INCR-family writes add to the writing region's cumulative contribution, so
  concurrent increments in different regions add up;
- a write or delete that replaces the value records the contributions it
  observed (`observed`), so increments it did not observe still count after it.
Must not know commands, keys, clocks or I/O.
"""

from __future__ import annotations

from typing import ClassVar

from node.crdt.base import NO_DOT, Dot, MembersObserved, Num, Observed
from node.numbers import format_decimal, parse_decimal, parse_int


class Counter:
    __slots__ = ("baseline", "contrib")

    def __init__(self) -> None:
        self.contrib: dict[str, tuple[Num, int]] = {}
        self.baseline: dict[str, tuple[Num, int]] = {}

    def add(self, region: str, total: Num, stamp: int, fresh: bool = False) -> None:
        current = self.contrib.get(region)
        if current is None or stamp >= current[1]:
            self.contrib[region] = (total, stamp)
        base = self.baseline.get(region)
        # Only a baseline older than the fresh start is stale; one a later delete
        # took (it observed this very contribution) must stay, for idempotence.
        # The stale one becomes a zero baseline just before the fresh start, so a
        # concurrent write that carries it (or an older one) arriving later cannot
        # bring it back: `reset` keeps the newest baseline.
        if fresh and base is not None and base[1] < stamp:
            self.baseline[region] = (0, stamp - 1)

    def reset(self, observed: Observed) -> None:
        for region, total, stamp in observed:
            current = self.baseline.get(region)
            if current is None or stamp > current[1]:
                self.baseline[region] = (total, stamp)

    def absorbed(self, region: str) -> bool:
        """Whether a remove or replacing write observed the region's newest contribution."""
        base = self.baseline.get(region)
        return base is not None and self.contrib[region][1] <= base[1]

    def observed(self) -> Observed:
        """The contributions a replacing write or a remove absorbs: the live ones. An
        absorbed one needs no carrying (its baseline reached every region before
        this write), and carrying it could bring a stale baseline back where a
        collected tombstone or a fresh start forgot it."""
        return tuple(
            (region, total, stamp)
            for region, (total, stamp) in self.contrib.items()
            if not self.absorbed(region)
        )

    def delta(self) -> tuple[Num, bool]:
        """The sum of contributions not yet absorbed by a reset, and whether any exists."""
        total: Num = 0
        live = False
        # Decimal addition rounds, so every region must add in the same order.
        for region, (amount, stamp) in sorted(self.contrib.items()):
            base = self.baseline.get(region)
            if base is None:
                total += amount
                live = True
            elif stamp > base[1]:
                total += amount - base[0]
                live = True
        return total, live

    def latest(self) -> Dot:
        """The newest contribution not absorbed by a reset."""
        best = NO_DOT
        for region, (_, stamp) in self.contrib.items():
            base = self.baseline.get(region)
            if (base is None or stamp > base[1]) and (stamp, region) > best:
                best = (stamp, region)
        return best

    def own_total(self, region: str) -> Num | None:
        """The region's cumulative contribution, or None when none counts: it never
        had one, or a remove absorbed it. The next increment then starts afresh
        (`fresh`), so it means the same to a region that collected the tombstone."""
        current = self.contrib.get(region)
        return None if current is None or self.absorbed(region) else current[0]


class StrValue:
    """One string key. `data is None` means the register holds no value."""

    __slots__ = ("counter", "data", "region", "stamp")
    TYPE: ClassVar[bytes] = b"string"

    def __init__(self, data: bytes | None = None, stamp: int = -1, region: str = "") -> None:
        self.data = data
        self.stamp = stamp
        self.region = region
        self.counter: Counter | None = None

    def write(self, data: bytes | None, stamp: int, region: str, observed: Observed) -> None:
        if (stamp, region) >= (self.stamp, self.region):
            self.data = data
            self.stamp = stamp
            self.region = region
        if observed:
            self._counter().reset(observed)

    def incr(self, total: Num, stamp: int, region: str, fresh: bool = False) -> None:
        self._counter().add(region, total, stamp, fresh)

    def mask(self, vv: dict[str, int], observed: Observed, members: MembersObserved = ()) -> None:
        """Observed-remove: drop what a delete that had seen `vv` had seen."""
        if self.data is not None and self.stamp <= vv.get(self.region, -1):
            self.data = None
        if observed:
            self._counter().reset(observed)

    def observed(self) -> Observed:
        return () if self.counter is None else self.counter.observed()

    def members_observed(self) -> MembersObserved:
        return ()

    def visible(self) -> bool:
        return self.get() is not None

    def latest(self) -> Dot:
        own = (self.stamp, self.region) if self.data is not None else NO_DOT
        return own if self.counter is None else max(own, self.counter.latest())

    def _counter(self) -> Counter:
        if self.counter is None:
            self.counter = Counter()
        return self.counter

    def get(self) -> bytes | None:
        """The value a client sees, or None when the key does not exist."""
        if self.counter is None:
            return self.data
        delta, live = self.counter.delta()
        if not live:
            return self.data
        if self.data is None:
            return _format(delta)
        base: Num | None = parse_int(self.data)
        if base is None:
            base = parse_decimal(self.data)
        # A concurrent SET of a non-number wins over increments it did not see:
        # there is no number to add them to, and every region decides the same.
        return self.data if base is None else _format(base + delta)

    def encoding(self) -> bytes:
        value = self.get() or b""
        if parse_int(value) is not None:
            return b"int"
        return b"embstr" if len(value) <= 44 else b"raw"


def _format(value: Num) -> bytes:
    if isinstance(value, int):
        return str(value).encode()
    return format_decimal(value)
