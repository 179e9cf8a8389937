"""Causal delivery of peers' records: the pure part of the replicator.

Owns the rule that a record is applied only after everything it depends on:
its origin's previous record (seq == applied[origin] + 1) and, per other
origin, the seq its writer had applied (deps). Records that arrive early wait
in a bounded buffer; past its limits the buffer is dropped and `generation`
moves on, telling the streams to resubscribe so their peers resend (catch-up
replaces the buffer). Duplicates are dropped. Knows neither gRPC nor the
binlog: it calls `apply` with each deliverable record and reads `applied`,
the live vector that `apply` advances.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass

from node.effects import Record


@dataclass(slots=True)
class ApplierStats:
    applied: int = 0
    duplicates: int = 0
    overflows: int = 0


class Applier:
    def __init__(
        self,
        apply: Callable[[Record], None],
        applied: Mapping[str, int],
        max_records: int = 100_000,
        max_bytes: int = 256 << 20,
    ) -> None:
        self._apply = apply
        self.applied = applied
        self.max_records = max_records
        self.max_bytes = max_bytes
        # origin -> seq -> (record, size): records whose turn has not come.
        self._waiting: dict[str, dict[int, tuple[Record, int]]] = {}
        self.buffered = 0
        self.buffered_bytes = 0
        # Moves on each time the buffer is dropped: streams then resubscribe.
        self.generation = 0
        # While a full sync installs a peer's snapshot, every record waits.
        self.paused = False
        self.stats = ApplierStats()

    def is_duplicate(self, origin: str, seq: int) -> bool:
        """Cheap check before a record's payload is even decoded."""
        return seq <= self.applied.get(origin, 0)

    def ready(self, record: Record) -> bool:
        applied = self.applied
        origin = record.origin
        if record.seq != applied.get(origin, 0) + 1:
            return False
        # A loop, not all() over a generator: this runs for every record received.
        for o, s in record.deps:  # noqa: SIM110
            if s > applied.get(o, 0) and o != origin:
                return False
        return True

    def offer(self, record: Record, size: int = 0) -> None:
        """Apply `record` now if it is deliverable (then whatever it unblocks), else keep it."""
        if record.seq <= self.applied.get(record.origin, 0):
            self.stats.duplicates += 1
            return
        if self.paused or not self.ready(record):
            self._hold(record, size)
            return
        if self.buffered:
            waiting = self._waiting.get(record.origin)
            if waiting is not None and record.seq in waiting:
                self._forget(waiting, record.seq)  # an earlier copy was held: now stale
            self._deliver(record)
            self._drain()
        else:
            self._deliver(record)

    def _deliver(self, record: Record) -> None:
        self._apply(record)
        self.stats.applied += 1

    def _hold(self, record: Record, size: int) -> None:
        waiting = self._waiting.setdefault(record.origin, {})
        if record.seq in waiting:
            self.stats.duplicates += 1
            return
        waiting[record.seq] = (record, size)
        self.buffered += 1
        self.buffered_bytes += size
        if self.buffered > self.max_records or self.buffered_bytes > self.max_bytes:
            self.drop_buffer()

    def drop_buffer(self) -> None:
        self._waiting.clear()
        self.buffered = self.buffered_bytes = 0
        self.generation += 1
        self.stats.overflows += 1

    def resume(self) -> None:
        """After a full sync: forget what it made duplicate, deliver what is ready."""
        self.paused = False
        for origin, waiting in list(self._waiting.items()):
            for seq in [s for s in waiting if self.is_duplicate(origin, s)]:
                self._forget(waiting, seq)
                self.stats.duplicates += 1
            if not waiting:
                del self._waiting[origin]
        self._drain()

    def _drain(self) -> None:
        """Deliver buffered records until none is ready."""
        progress = True
        while progress and self.buffered:
            progress = False
            for origin in list(self._waiting):
                waiting = self._waiting[origin]
                while waiting:
                    nxt = self.applied.get(origin, 0) + 1
                    held = waiting.get(nxt)
                    if held is None or not self.ready(held[0]):
                        break
                    self._forget(waiting, nxt)
                    self._deliver(held[0])
                    progress = True
                if not waiting:
                    del self._waiting[origin]

    def _forget(self, waiting: dict[int, tuple[Record, int]], seq: int) -> None:
        _, size = waiting.pop(seq)
        self.buffered -= 1
        self.buffered_bytes -= size
