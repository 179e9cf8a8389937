"""Counters INFO reports and the slow log.

Owns per-command statistics (calls, usec, rejected and failed calls), server
totals and the SLOWLOG ring. Must not know how commands run.
"""

from __future__ import annotations

import itertools
import time
from collections import deque
from dataclasses import dataclass, field


@dataclass(slots=True)
class CommandStat:
    calls: int = 0
    usec: int = 0
    rejected: int = 0
    failed: int = 0


@dataclass(slots=True)
class SlowEntry:
    id: int
    timestamp: int
    usec: int
    argv: list[bytes]
    addr: str
    name: bytes


@dataclass
class Stats:
    commands: dict[str, CommandStat] = field(default_factory=dict)
    total_commands: int = 0
    connections_received: int = 0
    rejected_connections: int = 0
    keyspace_hits: int = 0
    keyspace_misses: int = 0
    net_input_bytes: int = 0
    net_output_bytes: int = 0
    total_error_replies: int = 0
    errors: dict[str, int] = field(default_factory=dict)
    pubsub_messages: int = 0
    # (monotonic seconds, commands, input bytes, output bytes), one per cron tick.
    samples: deque[tuple[float, int, int, int]] = field(default_factory=lambda: deque(maxlen=16))

    def command(self, name: str) -> CommandStat:
        stat = self.commands.get(name)
        if stat is None:
            stat = self.commands[name] = CommandStat()
        return stat

    def error(self, message: str) -> None:
        self.total_error_replies += 1
        code = message.split(" ", 1)[0]
        self.errors[code] = self.errors.get(code, 0) + 1

    def reset(self) -> None:
        """CONFIG RESETSTAT: every counter, connection counters included, as in Redis."""
        fresh = Stats()
        for name in self.__dataclass_fields__:
            setattr(self, name, getattr(fresh, name))

    def sample(self, now: float) -> None:
        """Called every cron tick: the window INFO's instantaneous_* rates average over."""
        self.samples.append((now, self.total_commands, self.net_input_bytes, self.net_output_bytes))

    def rates(self) -> tuple[float, float, float]:
        """Commands per second and input/output bytes per second over the sampled window."""
        if len(self.samples) < 2:
            return 0.0, 0.0, 0.0
        t0, c0, i0, o0 = self.samples[0]
        t1, c1, i1, o1 = self.samples[-1]
        span = t1 - t0
        if span <= 0:
            return 0.0, 0.0, 0.0
        return (c1 - c0) / span, (i1 - i0) / span, (o1 - o0) / span


class SlowLog:
    def __init__(self) -> None:
        self.entries: deque[SlowEntry] = deque()
        self._ids = itertools.count()

    def record(self, usec: int, argv: list[bytes], addr: str, name: bytes, max_len: int) -> None:
        if max_len <= 0:
            return
        # Redis trims long commands so the log stays small: 32 args, 128 bytes each.
        shown = [
            a if len(a) <= 128 else a[:128] + b"... (%d more bytes)" % (len(a) - 128)
            for a in argv[:32]
        ]
        if len(argv) > 32:
            shown[-1] = b"... (%d more arguments)" % (len(argv) - 31)
        self.entries.appendleft(
            SlowEntry(next(self._ids), int(time.time()), usec, shown, addr, name)
        )
        while len(self.entries) > max_len:
            self.entries.pop()

    def reset(self) -> None:
        self.entries.clear()
