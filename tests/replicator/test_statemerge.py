"""Full-sync merges: joining a peer's snapshot into a region's live keyspace gives
the state of applying every record either side had, even when the region kept
writing after the peer's snapshot was taken (those local writes survive: the
data loss of xredis-crdt #107), with deletes and removes on both sides.
Lists' metadata-level join properties: test_statemerge_lists.py."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.clock import ManualClock
from node.dispatch import dispatch
from node.keyspace import Keyspace
from node.snapshot import encode_keyspace, load
from replicator.statemerge import KeyspaceMerge
from tests.replicator.test_applier import REGIONS, Region, digest_of, play

KEYS = [b"a", b"b", b"n"]
NAMES = st.sampled_from([b"x", b"y", b"z"])
NUM = st.integers(-50, 50).map(lambda n: b"%d" % n)
INDEX = st.integers(-2, 2).map(lambda n: b"%d" % n)
SIDE = st.sampled_from([b"BEFORE", b"AFTER"])
END = st.sampled_from([b"LEFT", b"RIGHT"])
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
    st.tuples(st.sampled_from([b"LPUSH", b"RPUSH"]), st.sampled_from(KEYS), NAMES, NAMES),
    st.tuples(st.sampled_from([b"LPOP", b"RPOP"]), st.sampled_from(KEYS)),
    st.tuples(st.just(b"LINSERT"), st.sampled_from(KEYS), SIDE, NAMES, NAMES),
    st.tuples(st.just(b"LSET"), st.sampled_from(KEYS), INDEX, NAMES),
    st.tuples(st.just(b"LREM"), st.sampled_from(KEYS), INDEX, NAMES),
    st.tuples(st.just(b"LTRIM"), st.sampled_from(KEYS), INDEX, INDEX),
    st.tuples(st.just(b"LMOVE"), st.sampled_from(KEYS), st.sampled_from(KEYS), END, END),
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
    KeyspaceMerge(receiver.node.keyspace, remote).merge_all()
    assert digest_of(receiver.node, clock) == digest_of(reference.node, clock)
    assert receiver.node.keyspace.applied == reference.node.keyspace.applied
    # Records after the merge apply on top of it as on the reference.
    clock.advance(3)
    receiver.run((b"SET", b"a", b"after"))
    reference.node.apply_remote(receiver.sink.records[-1])
    assert digest_of(receiver.node, clock) == digest_of(reference.node, clock)


@pytest.mark.parametrize(
    ("incr", "remove", "read", "expected"),
    [
        ((b"HINCRBY", b"h", b"f", b"%d"), (b"HDEL", b"h", b"f"), (b"HGET", b"h", b"f"), b"1"),
        ((b"ZINCRBY", b"h", b"%d", b"f"), (b"ZREM", b"h", b"f"), (b"ZSCORE", b"h", b"f"), 1.0),
    ],
)
def test_a_collection_holding_only_removed_counters_keeps_them_through_a_merge(
    incr: tuple[bytes, ...], remove: tuple[bytes, ...], read: tuple[bytes, ...], expected: object
) -> None:
    # eu removes the only member (both regions' increments observed: 5 + 3) while
    # us adds 1 more: the member is back with 1, not 4. eu's hash or sorted set
    # has length 0 then, yet its counter baselines are what the remove observed.
    clock = ManualClock()
    eu, us = Region("eu", clock), Region("us", clock)

    def bump(region: Region, by: int) -> None:
        clock.advance(5)
        region.run(tuple(part.replace(b"%d", b"%d" % by) for part in incr))

    bump(eu, 5)
    bump(us, 3)
    eu.pull(us)
    us.pull(eu)
    clock.advance(5)
    eu.run(remove)
    bump(us, 1)
    remote = Keyspace("us")
    load(remote, encode_keyspace(us.node.keyspace))
    KeyspaceMerge(eu.node.keyspace, remote).merge_all()
    assert dispatch(eu.node, eu.client, list(read)) == expected


def _merging(
    script: list[tuple[Any, ...]], into: int, source: int
) -> tuple[Region, KeyspaceMerge, ManualClock]:
    """A region about to merge a peer's snapshot (as the subscriber does: the clock
    observes the peer's stamps first)."""
    regions, _, clock = play(script)
    receiver, peer = regions[into], regions[source if source != into else (into + 1) % 3]
    remote = Keyspace(receiver.node.region)
    load(remote, encode_keyspace(peer.node.keyspace))
    for origin, seq in peer.node.keyspace.applied.items():
        remote.note_seq(origin, seq)
    merge = KeyspaceMerge(receiver.node.keyspace, remote)
    if remote.vv:
        receiver.node.hlc.observe(max(remote.vv.values()))
    return receiver, merge, clock


@settings(max_examples=300, deadline=None)
@given(
    STEPS,
    st.lists(st.tuples(COMMANDS, st.lists(st.integers(0, 40), max_size=3)), max_size=8),
    st.integers(0, 2),
    st.integers(0, 2),
)
def test_commands_during_a_sliced_merge_see_what_they_would_after_it(
    script: list[tuple[Any, ...]],
    commands: list[tuple[tuple[bytes, ...], list[int]]],
    into: int,
    source: int,
) -> None:
    """Merging a slice at a time, with commands in between that merge their own
    keys first, answers every command and ends in the state the merge done at
    once and the same commands after it give."""
    whole, at_once, clock = _merging(script, into, source)
    at_once.merge_all()
    sliced, merge, clock2 = _merging(script, into, source)
    sliced.node.prepare = merge.touch
    replies: tuple[list[Any], list[Any]] = ([], [])
    for argv, slice_keys in commands:
        for i in slice_keys:  # some keys merged by the walk before this command
            if merge.keys:
                merge.merge(merge.keys[i % len(merge.keys)])
        clock.advance(3)
        clock2.advance(3)
        replies[0].append(dispatch(whole.node, whole.client, list(argv)))
        replies[1].append(dispatch(sliced.node, sliced.client, list(argv)))
    merge.merge_all()
    sliced.node.prepare = None
    assert replies[0] == replies[1]
    assert digest_of(whole.node, clock) == digest_of(sliced.node, clock2)
    assert whole.node.keyspace.applied == sliced.node.keyspace.applied
    assert [r.ops for r in whole.sink.records] == [r.ops for r in sliced.sink.records]
