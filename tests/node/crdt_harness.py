"""A small multi-region harness for CRDT tests: regions, syncs, causal delivery with duplicates.

Each `Region` is a `Node` with its own clock and sink; commands go through
the dispatcher. A region logs every record it applied (its own and received
ones) in the order it applied them, so `b.sync_from(a)` delivers to b what a
had seen, causally. `causal_order` shuffles all regions' records into one
delivery order a replicator could produce (each origin in order, every record
after the records it depends on) with duplicates mixed in. No server, no sockets.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import Any

from node.client import Client
from node.clock import ManualClock
from node.config import Config
from node.core import Node
from node.dispatch import dispatch
from node.effects import MemorySink, Record, apply_record
from node.keyspace import Keyspace, Value
from node.reply import Error


class Region:
    def __init__(self, name: str, clock: ManualClock | None = None) -> None:
        config = Config()
        config.set_many([("region-id", name)], at_start=True)
        self.name = name
        self.sink = MemorySink()
        self.clock = clock or ManualClock()
        self.node = Node(config, clock=self.clock, sink=self.sink)
        self.client = Client()
        self.node.connect(self.client)
        self.log: list[Record] = []
        self._own = 0

    def call(self, *args: str | bytes) -> Any:
        """Run one command; its reply, errors included."""
        argv = [a.encode() if isinstance(a, str) else a for a in args]
        reply = dispatch(self.node, self.client, argv)
        self.log.extend(self.sink.records[self._own :])
        self._own = len(self.sink.records)
        return reply

    def __call__(self, *args: str | bytes) -> Any:
        reply = self.call(*args)
        assert not isinstance(reply, Error), reply
        return reply

    def own(self) -> list[Record]:
        return list(self.sink.records)

    def receive(self, records: Iterable[Record]) -> None:
        ks = self.node.keyspace
        for record in records:
            if record.seq <= ks.applied.get(record.origin, 0):
                continue
            apply_record(ks, record)
            self.log.append(record)
            # The replicator's job: later local writes must be stamped after what was seen.
            self.node.hlc.observe(record.stamp + len(record.ops) - 1)

    def sync_from(self, other: Region) -> None:
        """Deliver everything `other` has applied (a causal prefix of the world)."""
        self.receive(other.log)


def causal_order(
    streams: list[list[Record]], rng: random.Random, duplicates: float = 0.2
) -> list[Record]:
    """All records of all streams (each one origin's records in seq order), in a random
    order that respects per-origin order and deps, with some records delivered twice."""
    heads = [0] * len(streams)
    applied: dict[str, int] = {}
    out: list[Record] = []

    def ready(i: int) -> bool:
        if heads[i] >= len(streams[i]):
            return False
        record = streams[i][heads[i]]
        return all(applied.get(o, 0) >= s for o, s in record.deps)

    while True:
        choices = [i for i in range(len(streams)) if ready(i)]
        if not choices:
            break
        i = rng.choice(choices)
        record = streams[i][heads[i]]
        heads[i] += 1
        applied[record.origin] = record.seq
        out.append(record)
        if out and rng.random() < duplicates:
            out.append(rng.choice(out))
    assert all(h == len(s) for h, s in zip(heads, streams, strict=True)), "a dep never came"
    return out


def replay(records: Iterable[Record]) -> Keyspace:
    """A fresh observer keyspace that applied `records` in this order."""
    ks = Keyspace("observer")
    for record in records:
        apply_record(ks, record)
    return ks


def keyspace_state(ks: Keyspace, describe: Callable[[Value], Any]) -> dict[bytes, Any]:
    """Everything the keyspace holds: per key, each typed value (shown or not) as
    `describe` renders it, and the expiry; `describe` should include CRDT metadata."""
    out: dict[bytes, Any] = {}
    for key in {*ks.data, *ks.others}:
        held = sorted(
            ((value.TYPE, shown, describe(value)) for value, shown in ks.values_of(key)),
            key=repr,
        )
        out[key] = (held, ks.expires.get(key))
    return out
