"""The history of a chaos run: every invocation, its acknowledged result, and its causal position.

Owns `Event` (one client operation as the client saw it) and `History`. An
event knows the record its write produced when the run can tell (the
in-process simulation can; a real client cannot): the record's origin, seq
and the per-origin seqs its region had applied (`vv`), which is all the
checker needs to decide whether one operation had observed another. Knows
nothing of nodes or networks.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class Event:
    index: int
    client: str
    region: str
    time_ms: int
    argv: tuple[bytes, ...]
    # "ok" (acknowledged), "fail" (an error reply: did not happen), "info" (unknown:
    # the connection died or timed out, it may or may not have happened).
    status: str = "info"
    result: Any = None
    # The record this write produced: (origin, seq) and what its region had applied.
    record: tuple[str, int] | None = None
    vv: dict[str, int] = field(default_factory=dict)

    @property
    def command(self) -> str:
        return self.argv[0].decode().upper()

    @property
    def key(self) -> bytes:
        return self.argv[1] if len(self.argv) > 1 else b""

    def before(self, other: Event) -> bool:
        """Whether `other` had observed this operation: its region had applied this
        write's record, or (where records are unknown) the same client saw it acknowledged."""
        if self is other:
            return False
        if self.record is not None and other.record is not None:
            origin, seq = self.record
            return other.vv.get(origin, 0) >= seq
        return self.client == other.client and self.status == "ok" and self.index < other.index

    def __str__(self) -> str:
        args = " ".join(a.decode(errors="replace") for a in self.argv)
        where = f" rec={self.record[0]}:{self.record[1]} vv={self.vv}" if self.record else ""
        return (
            f"#{self.index} t={self.time_ms} {self.region}/{self.client} {args} "
            f"-> {self.status} {self.result!r}{where}"
        )


class History:
    def __init__(self) -> None:
        self.events: list[Event] = []
        # Clients of a real campaign record from several threads.
        self._lock = threading.Lock()

    def invoke(self, client: str, region: str, time_ms: int, argv: list[bytes]) -> Event:
        with self._lock:
            event = Event(len(self.events), client, region, time_ms, tuple(argv))
            self.events.append(event)
        return event

    def acked(self) -> list[Event]:
        return [e for e in self.events if e.status == "ok"]

    def on_key(self, key: bytes) -> list[Event]:
        return [e for e in self.events if e.key == key]

    def excerpt(self, events: list[Event], limit: int = 12) -> str:
        """The events a failure names, oldest first, at most `limit` of them."""
        chosen = sorted({e.index: e for e in events}.values(), key=lambda e: e.index)
        lines = [str(e) for e in chosen[-limit:]]
        if len(chosen) > limit:
            lines.insert(0, f"... {len(chosen) - limit} earlier events on these keys")
        return "\n".join(lines)
