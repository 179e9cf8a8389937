"""Time sources. Owns the `Clock` protocol every time-dependent part takes.

Must not know about HLCs or the keyspace: it only tells time, so tests can
drive time by hand (`ManualClock`) and fault injection can skew it.
"""

from __future__ import annotations

import time
from typing import Protocol


class Clock(Protocol):
    def wall_ms(self) -> int:
        """Milliseconds since the Unix epoch (may jump: wall clock)."""

    def monotonic(self) -> float:
        """Seconds from an arbitrary origin; never goes backwards."""


class SystemClock:
    """The host's clocks; `skew_ms` (setting `clock-skew-ms`, a test/ops knob for
    fault injection) shifts the wall clock only: the HLC and expiry see it."""

    def __init__(self, skew_ms: int = 0) -> None:
        self.skew_ms = skew_ms

    def wall_ms(self) -> int:
        return time.time_ns() // 1_000_000 + self.skew_ms

    def monotonic(self) -> float:
        return time.monotonic()


class ManualClock:
    """In-memory twin: time moves only when a test says so."""

    def __init__(self, wall_ms: int = 1_700_000_000_000) -> None:
        self.now_ms = wall_ms
        self.mono = 0.0

    def wall_ms(self) -> int:
        return self.now_ms

    def monotonic(self) -> float:
        return self.mono

    def advance(self, ms: int) -> None:
        self.now_ms += ms
        self.mono += ms / 1000.0
