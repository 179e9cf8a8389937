"""A small multi-region harness for CRDT tests: regions, syncs, causal delivery with duplicates.

Each `Region` is a `Node` with its own clock and sink; commands go through
the dispatcher. A region logs every record it applied (its own and received
ones) in the order it applied them, so `b.sync_from(a)` delivers to b what a
had seen, causally. `causal_order` shuffles all regions' records into one
delivery order a replicator could produce (each origin in order, every record
after the records it depends on) with duplicates mixed in. Also the pieces the
per-type property tests share: playing random steps on three regions, delivering
everything everywhere, applying each op twice, and the OR-set rule on records.
No server, no sockets.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import Any

from node.client import Client
from node.clock import ManualClock
from node.config import Config
from node.core import Node
from node.crdt.base import covered
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


def sync_all(*regions: Region) -> None:
    """Each region receives what every other one has applied (one pass is enough)."""
    for region in regions:
        for other in regions:
            if other is not region:
                region.sync_from(other)


def run_steps(steps: list[Any], strict: bool = True) -> list[Region]:
    """Three regions after `steps`: ("cmd", i, argv) runs argv in region i (when `strict`,
    it must not answer an error); ("sync", i, j) delivers what region i applied to region j."""
    regions = [Region(name) for name in ("eu", "us", "ap")]
    for step in steps:
        if step[0] == "cmd":
            region = regions[step[1]]
            (region if strict else region.call)(*step[2])
        else:
            regions[step[2]].sync_from(regions[step[1]])
    return regions


def deliver_everything(
    regions: list[Region], rng: random.Random
) -> tuple[list[list[Record]], list[Keyspace]]:
    """Every region receives all regions' records in a causal order with duplicates;
    returns those streams and two observers that replayed other such orders."""
    streams = [region.own() for region in regions]
    for region in regions:
        region.receive(causal_order(streams, rng))
    observers = [replay(causal_order(streams, rng)) for _ in range(2)]
    return streams, observers


def apply_each_op_twice(records: Iterable[Record]) -> Keyspace:
    """A fresh keyspace where each op of `records` was applied twice in a row: the merges
    themselves must be idempotent (the duplicate-record check of `apply_record` is bypassed)."""
    ks = Keyspace("twice")
    for record in records:
        for i, op in enumerate(record.ops):
            op.apply(ks, record.origin, record.stamp + i)
            op.apply(ks, record.origin, record.stamp + i)
    return ks


Add = tuple[bytes, bytes, str, int]
Remove = tuple[bytes, bytes | None, dict[str, int]]


def or_set_survivors(adds: list[Add], removes: list[Remove]) -> dict[bytes, set[bytes]]:
    """The OR-set rule: a (key, member, origin, stamp) add survives unless a remove of that
    key (member None: the whole key) had observed it (its version vector covers it)."""
    out: dict[bytes, set[bytes]] = {}
    for key, member, origin, stamp in adds:
        if not any(
            k == key and m in (None, member) and covered(stamp, origin, vv) for k, m, vv in removes
        ):
            out.setdefault(key, set()).add(member)
    return out
