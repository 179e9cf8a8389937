"""Causal delivery: any interleaving of the regions' record streams, with duplicates
and reordering, leaves every replica with the state of in-order application."""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from node.client import Client
from node.clock import ManualClock
from node.config import Config
from node.core import Node
from node.dispatch import dispatch
from node.effects import MemorySink, Record, SetStr
from node.handlers.geokv import keyspace_digest
from replicator.applier import Applier

REGIONS = ["eu", "us", "ap"]
KEYS = [b"a", b"b", b"n"]
NUM = st.integers(-50, 50).map(lambda n: b"%d" % n)
COMMANDS = st.one_of(
    st.tuples(st.just(b"SET"), st.sampled_from(KEYS), st.binary(max_size=3)),
    st.tuples(st.just(b"INCRBY"), st.sampled_from(KEYS), NUM),
    st.tuples(st.just(b"DEL"), st.sampled_from(KEYS)),
    st.tuples(st.just(b"APPEND"), st.sampled_from(KEYS), st.binary(max_size=2)),
    st.tuples(st.just(b"FLUSHALL")),
)
WITH_TTL = st.tuples(
    st.just(b"SET"),
    st.sampled_from(KEYS),
    st.binary(max_size=3),
    st.just(b"PX"),
    st.integers(1, 3000).map(lambda n: b"%d" % n),
)


def steps(commands: st.SearchStrategy[tuple[bytes, ...]]) -> st.SearchStrategy[list[Any]]:
    return st.lists(
        st.one_of(
            st.tuples(st.just("write"), st.integers(0, 2), commands),
            st.tuples(st.just("sync"), st.integers(0, 2), st.integers(0, 2)),
        ),
        max_size=40,
    )


class Region:
    def __init__(self, name: str, clock: ManualClock) -> None:
        config = Config()
        config.set_many([("region-id", name)], at_start=True)
        self.sink = MemorySink()
        self.node = Node(config, clock=clock, sink=self.sink)
        self.client = Client()
        self.node.connect(self.client)
        self.applier = Applier(self.node.apply_remote, self.node.keyspace.applied)

    def run(self, argv: tuple[bytes, ...]) -> None:
        dispatch(self.node, self.client, list(argv))

    def pull(self, other: Region) -> None:
        """What a subscription to `other` delivers: its whole log, relayed records included."""
        for record in list(other.sink.records):
            self.applier.offer(record)


def play(script: list[tuple[Any, ...]]) -> tuple[list[Region], list[Record], ManualClock]:
    clock = ManualClock()
    regions = [Region(name, clock) for name in REGIONS]
    created: list[Record] = []
    for step in script:
        clock.advance(7)
        if step[0] == "write":
            region = regions[step[1]]
            before = len(region.sink.records)
            region.run(step[2])
            created.extend(
                r for r in region.sink.records[before:] if r.origin == region.node.region
            )
        elif step[1] != step[2]:
            regions[step[2]].pull(regions[step[1]])
    return regions, created, clock


def digest_of(node: Node, clock: ManualClock) -> str:
    return keyspace_digest(node.keyspace, clock.now_ms)


@settings(max_examples=120, deadline=None)
@given(steps(COMMANDS), st.randoms(use_true_random=False), st.integers(2, 3))
def test_any_delivery_order_converges_to_in_order_application(
    script: list[tuple[Any, ...]], rnd: random.Random, copies: int
) -> None:
    check_convergence(script, rnd, copies)


@settings(max_examples=200, deadline=None)
@given(steps(st.one_of(COMMANDS, WITH_TTL)), st.randoms(use_true_random=False))
def test_ttls_converge_under_any_delivery_order(
    script: list[tuple[Any, ...]], rnd: random.Random
) -> None:
    check_convergence(script, rnd, 2)


def check_convergence(script: list[tuple[Any, ...]], rnd: random.Random, copies: int) -> None:
    regions, created, clock = play(script)
    reference = Region("ref", clock)
    for record in created:  # creation order is a causal order
        reference.node.apply_remote(record)
    expected = digest_of(reference.node, clock)
    for _ in range(2):
        replica = Region("obs", clock)
        deliveries = created * copies
        rnd.shuffle(deliveries)
        for record in deliveries:
            replica.applier.offer(record)
        assert replica.applier.buffered == 0
        assert replica.applier.stats.applied == len(created)
        assert digest_of(replica.node, clock) == expected
        assert replica.node.keyspace.applied == reference.node.keyspace.applied
    # The writing regions themselves, after pulling from each other, agree too.
    for _ in range(2):
        for a in regions:
            for b in regions:
                if a is not b:
                    a.pull(b)
    assert {digest_of(r.node, clock) for r in regions} == {expected}


def test_a_record_waits_for_its_dependencies() -> None:
    clock = ManualClock()
    eu, us = Region("eu", clock), Region("us", clock)
    eu.run((b"SET", b"k", b"1"))
    us.pull(eu)
    us.run((b"APPEND", b"k", b"2"))  # depends on eu's record
    dependent = us.sink.records[-1]
    assert dict(dependent.deps) == {"eu": 1}
    observer = Region("ap", clock)
    observer.applier.offer(dependent)
    assert observer.node.lookup(b"k") is None
    assert observer.applier.buffered == 1
    observer.applier.offer(eu.sink.records[0])
    assert observer.applier.buffered == 0
    assert observer.node.read_str(b"k") is not None
    assert observer.node.lookup(b"k").get() == b"12"  # type: ignore[union-attr]


def test_overflow_drops_the_buffer_and_catch_up_resends() -> None:
    clock = ManualClock()
    eu = Region("eu", clock)
    for i in range(6):
        eu.run((b"SET", b"k", b"%d" % i))
    observer = Region("us", clock)
    observer.applier.max_records = 3
    for record in reversed(eu.sink.records[1:]):
        observer.applier.offer(record)
    assert observer.applier.generation == 1
    assert observer.applier.buffered <= 3
    observer.pull(eu)  # the resubscription resends everything after what was applied
    assert observer.applier.buffered == 0
    assert digest_of(observer.node, clock) == digest_of(eu.node, clock)


def test_remote_records_reach_the_sink_unchanged_and_advance_the_clock() -> None:
    clock = ManualClock()
    eu, us = Region("eu", clock), Region("us", clock)
    record = Record("eu", 1, (clock.now_ms + 10_000) << 16, (SetStr(b"k", b"v"),))
    us.applier.offer(record)
    assert us.sink.records == [record]
    us.run((b"SET", b"k", b"local"))
    assert us.sink.records[-1].stamp > record.stamp  # a later write wins LWW
    assert us.node.lookup(b"k").get() == b"local"  # type: ignore[union-attr]
    assert eu.node.keyspace.applied == {}


def test_watched_keys_are_touched_by_remote_records() -> None:
    clock = ManualClock()
    us = Region("us", clock)
    watcher = Client()
    us.node.connect(watcher)
    us.node.watch(watcher, b"k")
    us.applier.offer(Record("eu", 1, clock.now_ms << 16, (SetStr(b"k", b"v"),)))
    assert watcher.dirty_cas
