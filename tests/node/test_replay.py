"""Replaying one node's effect records into an empty keyspace rebuilds the same keyspace.

This is the contract the binlog and the replicator stand on: the dispatcher
turns every write into an effect record, and the records alone (absolute
times, CRDT deltas) carry everything needed to rebuild the state.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from node.client import Client
from node.clock import ManualClock
from node.config import Config
from node.core import Node
from node.crdt.strings import StrValue
from node.dispatch import dispatch
from node.effects import MemorySink, SetStr, apply_record
from node.keyspace import Keyspace


def make_node(region: str, clock: ManualClock) -> tuple[Node, Client, MemorySink]:
    config = Config()
    config.set_many([("region-id", region)], at_start=True)
    sink = MemorySink()
    node = Node(config, clock=clock, sink=sink)
    client = Client()
    node.connect(client)
    return node, client, sink


def state(ks: Keyspace) -> dict[bytes, Any]:
    """Everything a keyspace holds, CRDT metadata included."""
    out: dict[bytes, Any] = {}
    for key, value in ks.data.items():
        assert isinstance(value, StrValue)
        counter = value.counter
        out[key] = (
            value.get(),
            value.data,
            value.stamp,
            value.region,
            None
            if counter is None
            else (sorted(counter.contrib.items()), sorted(counter.baseline.items())),
            ks.expires.get(key),
        )
    return out


KEYS = [b"k1", b"k2", b"k3", b"counter"]
COMMANDS = st.one_of(
    st.tuples(st.just(b"SET"), st.sampled_from(KEYS), st.binary(max_size=8)),
    st.tuples(
        st.just(b"SET"),
        st.sampled_from(KEYS),
        st.binary(max_size=8),
        st.just(b"PX"),
        st.integers(1, 5000).map(lambda n: b"%d" % n),
    ),
    st.tuples(
        st.just(b"INCRBY"), st.sampled_from(KEYS), st.integers(-1000, 1000).map(lambda n: b"%d" % n)
    ),
    st.tuples(
        st.just(b"INCRBYFLOAT"), st.sampled_from(KEYS), st.sampled_from([b"0.5", b"-1.25", b"3"])
    ),
    st.tuples(st.just(b"APPEND"), st.sampled_from(KEYS), st.binary(max_size=4)),
    st.tuples(st.just(b"DEL"), st.sampled_from(KEYS)),
    st.tuples(
        st.just(b"PEXPIRE"), st.sampled_from(KEYS), st.integers(1, 5000).map(lambda n: b"%d" % n)
    ),
    st.tuples(st.just(b"PERSIST"), st.sampled_from(KEYS)),
    st.tuples(st.just(b"GETDEL"), st.sampled_from(KEYS)),
    st.tuples(
        st.just(b"MSET"),
        st.sampled_from(KEYS),
        st.binary(max_size=4),
        st.sampled_from(KEYS),
        st.binary(max_size=4),
    ),
    st.tuples(
        st.just(b"SETRANGE"),
        st.sampled_from(KEYS),
        st.integers(0, 6).map(lambda n: b"%d" % n),
        st.binary(max_size=4),
    ),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(st.tuples(COMMANDS, st.integers(0, 2000)), max_size=40))
def test_records_rebuild_the_keyspace(script: list[tuple[tuple[Any, ...], int]]) -> None:
    clock = ManualClock()
    source, client, sink = make_node("eu", clock)
    for argv, advance in script:
        clock.advance(advance)
        dispatch(source, client, [a if isinstance(a, bytes) else bytes(a) for a in argv])
    replica, _, _ = make_node("us", clock)
    for record in sink.records:
        apply_record(replica.keyspace, record)
    assert state(replica.keyspace) == state(source.keyspace)
    assert replica.keyspace.vv == source.keyspace.vv


def test_every_write_is_one_record_and_reads_none() -> None:
    clock = ManualClock()
    node, client, sink = make_node("eu", clock)
    dispatch(node, client, [b"SET", b"a", b"1"])
    dispatch(node, client, [b"GET", b"a"])
    dispatch(node, client, [b"MSET", b"b", b"2", b"c", b"3"])
    dispatch(node, client, [b"INCR", b"a"])
    assert [len(r.ops) for r in sink.records] == [1, 2, 1]
    assert [r.seq for r in sink.records] == [1, 2, 3]
    stamps = [r.stamp for r in sink.records]
    assert stamps == sorted(stamps) and len(set(stamps)) == len(stamps)


def test_expiry_travels_as_absolute_time() -> None:
    clock = ManualClock()
    node, client, sink = make_node("eu", clock)
    dispatch(node, client, [b"SET", b"a", b"1", b"EX", b"10"])
    op = sink.records[-1].ops[0]
    assert isinstance(op, SetStr)
    assert op.expire_at == clock.now_ms + 10_000
    # Replayed much later, the key is already dead rather than alive for another 10 s.
    clock.advance(60_000)
    replica, replica_client, _ = make_node("us", clock)
    apply_record(replica.keyspace, sink.records[-1])
    assert dispatch(replica, replica_client, [b"GET", b"a"]) is None


def test_lazy_expiry_is_a_record_too() -> None:
    clock = ManualClock()
    node, client, sink = make_node("eu", clock)
    dispatch(node, client, [b"SET", b"a", b"1", b"PX", b"5"])
    clock.advance(10)
    assert dispatch(node, client, [b"GET", b"a"]) is None
    assert type(sink.records[-1].ops[0]).__name__ == "DelKey"
    assert len(sink.records) == 2


def test_replay_order_of_independent_origins_does_not_matter() -> None:
    clock = ManualClock()
    eu, eu_client, eu_sink = make_node("eu", clock)
    us, us_client, us_sink = make_node("us", clock)
    rng = random.Random(7)
    for i in range(200):
        clock.advance(rng.randrange(3))
        node, client = (eu, eu_client) if rng.random() < 0.5 else (us, us_client)
        key = rng.choice(KEYS)
        dispatch(node, client, rng.choice([[b"SET", key, b"v%d" % i], [b"INCRBY", key, b"%d" % i]]))
    merged = []
    for order in (eu_sink.records + us_sink.records, us_sink.records + eu_sink.records):
        target, _, _ = make_node("ap", clock)
        for record in order:
            apply_record(target.keyspace, record)
        merged.append(state(target.keyspace))
    assert merged[0] == merged[1]


def test_a_bounded_memory_sink_keeps_only_the_newest_records() -> None:
    clock = ManualClock()
    sink = MemorySink(keep=3)
    config = Config()
    node = Node(config, clock=clock, sink=sink)
    client = Client()
    node.connect(client)
    for i in range(10):
        dispatch(node, client, [b"SET", b"k", b"%d" % i])
    assert 3 <= len(sink.records) <= 6
    assert sink.records[-1].seq == 10
    dropping = MemorySink(keep=0)
    dropping.append(sink.records[-1])
    assert dropping.records == []
