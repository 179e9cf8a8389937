"""Full-sync merges: joining a peer's snapshot into a region's live keyspace gives
the state of applying every record either side had, even when the region kept
writing after the peer's snapshot was taken (those local writes survive: the
data loss of xredis-crdt #107), with deletes and removes on both sides."""

from __future__ import annotations

from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from node.keyspace import Keyspace
from node.snapshot import encode_keyspace, load
from replicator.statemerge import merge_keyspace
from tests.replicator.test_applier import REGIONS, Region, digest_of, play

KEYS = [b"a", b"b", b"n"]
NAMES = st.sampled_from([b"x", b"y", b"z"])
NUM = st.integers(-50, 50).map(lambda n: b"%d" % n)
COMMANDS = st.one_of(
    st.tuples(st.just(b"SET"), st.sampled_from(KEYS), st.binary(max_size=3)),
    st.tuples(st.just(b"INCRBY"), st.sampled_from(KEYS), NUM),
    st.tuples(st.just(b"DEL"), st.sampled_from(KEYS)),
    st.tuples(st.just(b"SADD"), st.sampled_from(KEYS), NAMES),
    st.tuples(st.just(b"SREM"), st.sampled_from(KEYS), NAMES),
    st.tuples(st.just(b"HSET"), st.sampled_from(KEYS), NAMES, st.binary(max_size=2)),
    st.tuples(st.just(b"HINCRBY"), st.sampled_from(KEYS), NAMES, NUM),
    st.tuples(st.just(b"HDEL"), st.sampled_from(KEYS), NAMES),
    st.tuples(st.just(b"ZADD"), st.sampled_from(KEYS), NUM, NAMES),
    st.tuples(st.just(b"ZINCRBY"), st.sampled_from(KEYS), NUM, NAMES),
    st.tuples(st.just(b"ZREM"), st.sampled_from(KEYS), NAMES),
    st.tuples(st.just(b"FLUSHALL")),
)
STEPS = st.lists(
    st.one_of(
        st.tuples(st.just("write"), st.integers(0, 2), COMMANDS),
        st.tuples(st.just("sync"), st.integers(0, 2), st.integers(0, 2)),
    ),
    max_size=40,
)


@settings(max_examples=300, deadline=None)
@given(STEPS, st.lists(COMMANDS, max_size=6), st.integers(0, 2), st.integers(0, 2))
def test_merging_a_peers_snapshot_equals_applying_both_sides_records(
    script: list[tuple[Any, ...]], meanwhile: list[tuple[bytes, ...]], into: int, source: int
) -> None:
    regions, _, clock = play(script)
    if into == source:
        source = (into + 1) % len(REGIONS)
    receiver, peer = regions[into], regions[source]
    snapshot = encode_keyspace(peer.node.keyspace)
    peer_applied = dict(peer.node.keyspace.applied)
    for argv in meanwhile:  # local writes while the snapshot travels
        clock.advance(3)
        receiver.run(argv)
    reference = Region("ref", clock)
    for record in [*receiver.sink.records, *peer.sink.records]:
        reference.applier.offer(record)
    assert reference.applier.buffered == 0

    remote = Keyspace(receiver.node.region)
    load(remote, snapshot)
    for origin, seq in peer_applied.items():
        remote.note_seq(origin, seq)
    merge_keyspace(receiver.node.keyspace, remote)
    assert digest_of(receiver.node, clock) == digest_of(reference.node, clock)
    assert receiver.node.keyspace.applied == reference.node.keyspace.applied
    # Records after the merge apply on top of it as on the reference.
    clock.advance(3)
    receiver.run((b"SET", b"a", b"after"))
    reference.node.apply_remote(receiver.sink.records[-1])
    assert digest_of(receiver.node, clock) == digest_of(reference.node, clock)
