"""The sorted-set CRDT: an observed-remove set of members, each with an LWW score and a float counter.

Owns the state of one sorted-set key and its merge rules (Redis Enterprise's):
- membership is an observed-remove set: every add (ZADD, ZINCRBY) leaves a dot,
  a remove (ZREM, ZPOP*, DEL) drops only the dots it had observed: add wins;
- the score is the newest ZADD's score (LWW by dot) plus the ZINCRBY
  contributions that write did not observe: per-region cumulative float totals,
  as the string counter, so concurrent increments add up and a remove
  concurrent with an increment leaves only the increment (4.1, ZREM || ZINCRBY
  2.0 -> 2.0);
- the visible members are kept in a (score, member) index for range queries.
Doubles, not decimals, as Redis's scores. Must not know commands, keys, clocks or I/O.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Iterator
from decimal import Decimal
from typing import ClassVar

from node.crdt.base import (
    NO_DOT,
    Dot,
    Dots,
    MembersObserved,
    Observed,
    add_dot,
    newest,
    remove_covered,
)
from node.crdt.zindex import ZIndex

# Redis 7.0's zset-max-listpack-entries / zset-max-listpack-value defaults.
LISTPACK_ENTRIES = 128
LISTPACK_VALUE = 64


class FloatCounter:
    """Per-region cumulative increments; `baseline` holds what removes and ZADDs observed.

    A region whose own contribution was entirely observed by a remove starts a
    new epoch from zero (`since`, the stamp of its first increment since), so a
    single region's ZINCRBYs after a ZREM add up exactly as in Redis instead of
    as a difference of two rounded totals; a baseline older than the epoch is stale.
    """

    __slots__ = ("baseline", "contrib")

    def __init__(self) -> None:
        self.contrib: dict[str, tuple[float, int, int]] = {}  # region -> (total, stamp, since)
        self.baseline: dict[str, tuple[float, int]] = {}  # region -> (total, stamp)

    def add(self, region: str, total: float, stamp: int, fresh: bool) -> None:
        current = self.contrib.get(region)
        if current is None or stamp >= current[1]:
            since = stamp if fresh else (-1 if current is None else current[2])
            self.contrib[region] = (total, stamp, since)

    def reset(self, observed: Iterable[tuple[str, float, int]]) -> None:
        for region, total, stamp in observed:
            current = self.baseline.get(region)
            if current is None or stamp >= current[1]:
                self.baseline[region] = (total, stamp)

    def live(self, region: str) -> float | None:
        """The part of a region's contribution no baseline absorbed, or None when none is left."""
        total, stamp, since = self.contrib[region]
        base = self.baseline.get(region)
        if base is None or base[1] < since:
            return total
        return total - base[0] if stamp > base[1] else None

    def delta(self) -> float | None:
        """The sum of the live contributions (None when none is live), in region order:
        float addition rounds, so every replica must add in the same order."""
        total: float | None = None
        for region in sorted(self.contrib):
            part = self.live(region)
            if part is not None:
                total = part if total is None else total + part
        return total

    def latest(self) -> Dot:
        live = [(s, r) for r, (_, s, _) in self.contrib.items() if self.live(r) is not None]
        return max(live, default=NO_DOT)

    def observed(self) -> Observed:
        # Decimal(float) is exact, so the float comes back bit for bit.
        return tuple((r, Decimal(t), s) for r, (t, s, _) in self.contrib.items())


class Member:
    __slots__ = ("counter", "dots", "scores")

    def __init__(self) -> None:
        self.dots: Dots = {}
        # region -> (stamp, score) of the region's newest ZADD: an entry survives
        # a remove that had not observed it, so a concurrent older ZADD is not lost.
        self.scores: dict[str, tuple[int, float]] = {}
        self.counter: FloatCounter | None = None

    def score(self) -> float:
        base: float | None = None
        if self.scores:
            _, region = max((stamp, region) for region, (stamp, _) in self.scores.items())
            base = self.scores[region][1]
        delta = None if self.counter is None else self.counter.delta()
        if delta is not None:
            base = delta if base is None else base + delta
        # inf + -inf from two regions: 0, Redis's convention for ZUNIONSTORE's sums.
        return 0.0 if base is None or math.isnan(base) else base

    def mask(self, vv: dict[str, int], observed: Observed) -> None:
        remove_covered(self.dots, vv)
        for region in [r for r, (stamp, _) in self.scores.items() if stamp <= vv.get(r, -1)]:
            del self.scores[region]
        if observed:
            self._counter().reset((r, float(t), s) for r, t, s in observed)

    def _counter(self) -> FloatCounter:
        if self.counter is None:
            self.counter = FloatCounter()
        return self.counter


class ZsetValue:
    """One sorted-set key: every member it ever merged (removed ones keep their
    counter, which later concurrent increments are measured against) and the
    index of the visible ones."""

    __slots__ = ("_long", "index", "members", "shown")
    TYPE: ClassVar[bytes] = b"zset"

    def __init__(self) -> None:
        self.members: dict[bytes, Member] = {}
        self.shown: dict[bytes, float] = {}  # visible member -> score
        self.index = ZIndex()
        self._long = 0  # visible members longer than a listpack allows

    # -- merges (called by effect ops) -------------------------------------------

    def merge_add(
        self, entries: Iterable[tuple[bytes, float, Observed]], stamp: int, region: str
    ) -> None:
        for name, score, observed in entries:
            member = self.members.setdefault(name, Member())
            add_dot(member.dots, stamp, region)
            current = member.scores.get(region)
            if current is None or stamp >= current[0]:
                member.scores[region] = (stamp, score)
            if observed:
                member._counter().reset((r, float(t), s) for r, t, s in observed)
            self._refresh(name, member)

    def merge_incr(self, name: bytes, total: float, fresh: bool, stamp: int, region: str) -> None:
        member = self.members.setdefault(name, Member())
        add_dot(member.dots, stamp, region)
        member._counter().add(region, total, stamp, fresh)
        self._refresh(name, member)

    def merge_remove(self, vv: dict[str, int], members: MembersObserved) -> None:
        for name, observed in members:
            member = self.members.get(name)
            if member is not None:
                member.mask(vv, observed)
                self._refresh(name, member)

    def mask(self, vv: dict[str, int], observed: Observed, members: MembersObserved) -> None:
        seen = dict(members)
        for name in list(self.members):
            member = self.members[name]
            member.mask(vv, seen.get(name, ()))
            self._refresh(name, member)

    def restore(self, name: bytes, member: Member) -> None:
        """Install one member's saved state (loading a snapshot)."""
        self.members[name] = member
        self._refresh(name, member)

    def _refresh(self, name: bytes, member: Member) -> None:
        """Bring the index in line with one member's merged state."""
        old = self.shown.pop(name, None)
        if old is not None:
            self.index.remove(old, name)
            self._long -= len(name) > LISTPACK_VALUE
        if member.dots:
            score = member.score()
            self.shown[name] = score
            self.index.add(score, name)
            self._long += len(name) > LISTPACK_VALUE
        elif member.counter is None:
            del self.members[name]  # nothing a later write could need

    # -- what local writes need ---------------------------------------------------

    def incr_total(self, name: bytes, region: str, by: float) -> tuple[float, bool]:
        """The region's new cumulative total after adding `by`, and whether it starts afresh."""
        member = self.members.get(name)
        counter = None if member is None else member.counter
        if counter is None or region not in counter.contrib or counter.live(region) is None:
            return by, True
        return counter.contrib[region][0] + by, False

    def member_observed(self, name: bytes) -> Observed:
        """The counter contributions a write replacing the member's score must carry."""
        member = self.members.get(name)
        return () if member is None or member.counter is None else member.counter.observed()

    # -- the CrdtValue protocol ---------------------------------------------------

    def observed(self) -> Observed:
        return ()

    def members_observed(self) -> MembersObserved:
        return tuple(
            (name, member.counter.observed())
            for name, member in self.members.items()
            if member.counter is not None and member.counter.contrib
        )

    def visible(self) -> bool:
        return bool(self.shown)

    def latest(self) -> Dot:
        best = NO_DOT
        for name in self.shown:
            member = self.members[name]
            best = max(best, newest(member.dots))
            if member.counter is not None:
                best = max(best, member.counter.latest())
        return best

    def encoding(self) -> bytes:
        # Computed from the contents: unlike Redis, a set that shrank back is listpack again.
        small = len(self.shown) <= LISTPACK_ENTRIES and not self._long
        return b"listpack" if small else b"skiplist"

    # -- reads ----------------------------------------------------------------------

    def __len__(self) -> int:
        return len(self.shown)

    def score(self, name: bytes) -> float | None:
        return self.shown.get(name)

    def rank(self, name: bytes) -> int | None:
        score = self.shown.get(name)
        return None if score is None else self.index.rank(score, name)

    def items(self) -> Iterator[tuple[float, bytes]]:
        return iter(self.index)
