"""The cycle collector's policy in a server process.

Owns when CPython's cycle collector walks long-lived objects. A keyspace is
millions of long-lived objects without reference cycles, and a full
(generation 2) collection walks every one of them not frozen: CPython starts
one each time long-lived objects grew by a quarter, so a growing keyspace
pauses the loop for a quarter of itself (28 ms per 60k keys on the 2-core
machine; 50-92 ms pauses in regions under bench/replication.py, which were its
lag p99 stalls). Instead, every 100 ms, the server collects what is not
frozen yet (what was promoted since) and freezes the survivors: pauses follow
the write rate, not the size of the keyspace, and stay short (a second's worth
of new keys at once was 3-20 ms, which is what a p99 sees).

The price of freezing: a cycle among frozen objects that becomes garbage later
(a connection open at a freeze and closed after it) is not collected while
frozen. So at most every ten minutes, when the frozen objects have doubled
since the last time, everything is unfrozen and walked once: garbage kept by
freezing stays under the live heap's size, at the cost of one full pause per
doubling of the heap. Must not know the keyspace, the server or the event loop.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable
from typing import Protocol

# CPython starts a full collection after this many young (gen 1) collections
# (and a 25% growth): set this high, it never starts one of its own.
_NEVER = 2**31 - 1


class Collector(Protocol):
    """What the policy uses of the `gc` module (a twin in tests)."""

    def get_threshold(self) -> tuple[int, int, int]: ...
    def set_threshold(
        self, threshold0: int, threshold1: int = ..., threshold2: int = ...
    ) -> None: ...
    def collect(self, generation: int = 2) -> int: ...
    def freeze(self) -> None: ...
    def unfreeze(self) -> None: ...
    def get_freeze_count(self) -> int: ...


class GcPolicy:
    def __init__(
        self,
        collector: Collector = gc,
        clock: Callable[[], float] = time.monotonic,
        every: float = 0.1,
        full_every: float = 600.0,
    ) -> None:
        self.gc = collector
        self.clock = clock
        self.every = every
        self.full_every = full_every
        self._last = self._checked = 0.0
        self._base = 1  # frozen objects after the last walk of everything

    def start(self) -> None:
        """Take full collections over from CPython; what exists now (the keyspace
        just loaded) is long-lived and frozen at once."""
        t0, t1, _ = self.gc.get_threshold()
        self.gc.set_threshold(t0, t1, _NEVER)
        # Young garbage only: walking a keyspace just loaded would delay serving
        # by ~0.3 us per object, and recovery makes next to no cycles.
        self.gc.collect(1)
        self.gc.freeze()
        self._base = max(self.gc.get_freeze_count(), 1)
        self._last = self._checked = self.clock()

    def tick(self) -> str | None:
        """Called often (the server's cron); returns what it collected, if anything."""
        now = self.clock()
        if now - self._last < self.every:
            return None
        self._last = now
        if now - self._checked >= self.full_every:
            self._checked = now  # counting the frozen objects walks them: rarely
            if self.gc.get_freeze_count() >= 2 * self._base:
                self.gc.unfreeze()
                self.gc.collect()
                self.gc.freeze()
                self._base = max(self.gc.get_freeze_count(), 1)
                return "all"
        self.gc.collect()
        self.gc.freeze()
        return "young"
