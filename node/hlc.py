"""Hybrid logical clock: owns the per-node timestamp source that orders writes.

A timestamp is one int: (wall milliseconds << 16) | logical counter. It never
goes backwards, even when the wall clock does, and it absorbs the stamps of
remote records so a causally later write always carries a larger stamp, which
is what lets LWW rules be causal rather than wall-clock-only.
Must not know about regions, records or the keyspace.
"""

from __future__ import annotations

from node.clock import Clock

LOGICAL_BITS = 16
LOGICAL_MASK = (1 << LOGICAL_BITS) - 1


def physical_ms(stamp: int) -> int:
    return stamp >> LOGICAL_BITS


class HLC:
    def __init__(self, clock: Clock, last: int = 0) -> None:
        self._clock = clock
        self.last = last

    def now(self, reserve: int = 1) -> int:
        """A fresh stamp; `reserve` consecutive stamps starting there are the caller's."""
        wall = self._clock.wall_ms() << LOGICAL_BITS
        start = wall if wall > self.last else self.last + 1
        self.last = start + reserve - 1
        return start

    def observe(self, remote: int) -> None:
        """Absorb a stamp seen from elsewhere, so later local stamps exceed it."""
        if remote > self.last:
            self.last = remote
