"""Sorted sets in several regions converge to Redis Enterprise's rules.

Membership is an observed-remove set (add wins), the ZADD score is LWW, ZINCRBY
contributions add up like a counter, and a remove leaves only the increments
it did not observe. Commands run through the dispatcher of three regions; their
records are exchanged in random causal orders with duplicates. Also: RE's
documented sorted-set timelines, Redis's exact doubles in one region, the
ordered index, codec and snapshot round-trips (tombstones included).
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from node.clock import ManualClock
from node.codec import decode_ops, encode_ops
from node.crdt.zsets import ZsetValue
from node.effects import DelKey, Flush, Record, ZAdd, ZIncr, ZRem
from node.keyspace import Keyspace, Value
from node.snapshot import encode_keyspace, load
from tests.node.crdt_harness import (
    Add,
    Region,
    Remove,
    apply_each_op_twice,
    causal_order,
    deliver_everything,
    keyspace_state,
    or_set_survivors,
    replay,
    run_steps,
    sync_all,
)


def describe(value: Value) -> Any:
    """A value with its CRDT metadata and its index order, comparable across regions."""
    if not isinstance(value, ZsetValue):
        return value.latest()
    members = []
    for name, member in sorted(value.members.items()):
        counter = member.counter
        members.append(
            (
                name,
                sorted(member.dots.items()),
                sorted(member.scores.items()),
                None
                if counter is None
                else (sorted(counter.contrib.items()), sorted(counter.baseline.items())),
            )
        )
    return members, list(value.items()), sorted(value.shown.items())


def state(ks: Keyspace) -> dict[bytes, Any]:
    return keyspace_state(ks, describe)


def scores(region: Region, key: str) -> list[tuple[bytes, float]]:
    reply = region("ZRANGE", key, "0", "-1", "WITHSCORES")
    return list(zip(reply[::2], (float(s) for s in reply[1::2]), strict=True))


# -- Redis Enterprise Active-Active conformance (develop/data-types/sorted-sets) ---------------


def test_re_no_conflict() -> None:
    """RE: ZADD Z 1.1 x in one region, sync, ZADD Z 1.2 y in the other -> x y everywhere."""
    a, b = Region("a"), Region("b")
    a("ZADD", "Z", "1.1", "x")
    sync_all(a, b)
    b("ZADD", "Z", "1.2", "y")
    sync_all(a, b)
    assert a("ZRANGE", "Z", "0", "-1") == b("ZRANGE", "Z", "0", "-1") == [b"x", b"y"]


def test_re_concurrent_adds_the_later_score_wins() -> None:
    """RE: ZADD Z 1.1 x at t1 || ZADD Z 2.1 x at t2 > t1 -> 2.1 in both (LWW)."""
    clock_a, clock_b = ManualClock(), ManualClock()
    a, b = Region("a", clock_a), Region("b", clock_b)
    clock_b.advance(5)
    a("ZADD", "Z", "1.1", "x")
    b("ZADD", "Z", "2.1", "x")
    assert a("ZSCORE", "Z", "x") == 1.1 and b("ZSCORE", "Z", "x") == 2.1
    sync_all(a, b)
    assert a("ZSCORE", "Z", "x") == b("ZSCORE", "Z", "x") == 2.1


def test_re_concurrent_adds_at_the_same_instant_agree() -> None:
    """RE: two ZADDs at the same wall time -> a tie broken by instance id, equal everywhere.

    Deliberate difference: RE keeps the smaller instance id's write; geokv breaks
    every LWW tie (strings too) by the greater region id."""
    a, b = Region("a"), Region("b")
    a("ZADD", "Z", "1.1", "x")
    b("ZADD", "Z", "2.1", "x")
    sync_all(a, b)
    assert a("ZSCORE", "Z", "x") == b("ZSCORE", "Z", "x") == 2.1


def test_re_concurrent_increments_add_up() -> None:
    """RE: ZADD Z 1.1 x, sync, ZINCRBY Z 1.0 x in both -> 3.1 in both."""
    a, b = Region("a"), Region("b")
    a("ZADD", "Z", "1.1", "x")
    sync_all(a, b)
    a("ZINCRBY", "Z", "1.0", "x")
    b("ZINCRBY", "Z", "1.0", "x")
    sync_all(a, b)
    assert a("ZSCORE", "Z", "x") == b("ZSCORE", "Z", "x") == 1.1 + 2.0


def test_re_remove_concurrent_with_increment_leaves_the_increment() -> None:
    """RE: ZADD Z 4.1 x, sync, ZREM Z x || ZINCRBY Z 2.0 x -> x present with 2.0."""
    a, b = Region("a"), Region("b")
    a("ZADD", "Z", "4.1", "x")
    sync_all(a, b)
    assert a("ZREM", "Z", "x") == 1
    assert b("ZINCRBY", "Z", "2.0", "x") == 6.1
    assert a("ZSCORE", "Z", "x") is None
    sync_all(a, b)
    assert a("ZSCORE", "Z", "x") == b("ZSCORE", "Z", "x") == 2.0


def test_re_add_wins_over_a_concurrent_remove() -> None:
    """RE (OR-set rule): ZREM Z x || ZADD Z 1.4 x -> the add/update wins."""
    a, b = Region("a"), Region("b")
    a("ZADD", "Z", "4.1", "x")
    sync_all(a, b)
    a("ZREM", "Z", "x")
    b("ZADD", "Z", "1.4", "x")
    sync_all(a, b)
    assert a("ZSCORE", "Z", "x") == b("ZSCORE", "Z", "x") == 1.4


def test_a_remove_removes_only_the_members_it_saw() -> None:
    a, b = Region("a"), Region("b")
    a("ZADD", "Z", "1", "x")
    sync_all(a, b)
    b("ZADD", "Z", "2", "y")
    a("DEL", "Z")
    sync_all(a, b)
    assert scores(a, "Z") == scores(b, "Z") == [(b"y", 2.0)]


def test_an_older_concurrent_zadd_survives_a_remove_of_the_newer_one() -> None:
    """ZADD x 1 in a || ZADD x 2 in b; c removes having seen only b's: a's add (and its
    score) stays, since the remove had not observed it."""
    a, b, c = Region("a"), Region("b"), Region("c")
    a("ZADD", "Z", "1", "x")
    b("ZADD", "Z", "2", "x")
    c.sync_from(b)
    c("ZREM", "Z", "x")
    sync_all(a, b, c)
    for region in (a, b, c):
        assert region("ZSCORE", "Z", "x") == 1.0


def test_zadd_replaces_the_increments_it_saw_but_not_concurrent_ones() -> None:
    a, b = Region("a"), Region("b")
    a("ZINCRBY", "Z", "5", "x")
    sync_all(a, b)
    a("ZADD", "Z", "10", "x")  # saw +5: replaces it
    b("ZINCRBY", "Z", "3", "x")  # concurrent: still counts
    sync_all(a, b)
    assert a("ZSCORE", "Z", "x") == b("ZSCORE", "Z", "x") == 13.0


# -- one region behaves like Redis -----------------------------------------------------------------


def test_increments_round_like_redis_doubles() -> None:
    a = Region("a")
    for _ in range(3):
        reply = a("ZINCRBY", "z", "0.1", "m")
    assert reply == 0.1 + 0.1 + 0.1 == 0.30000000000000004


def test_increments_after_a_remove_start_from_zero_exactly() -> None:
    a = Region("a")
    a("ZINCRBY", "z", "0.1", "m")
    a("ZINCRBY", "z", "0.3", "k")  # keeps the key
    a("ZREM", "z", "m")
    assert a("ZINCRBY", "z", "0.2", "m") == 0.2  # not (0.1 + 0.2) - 0.1


def test_emptied_sorted_set_disappears() -> None:
    a = Region("a")
    a("ZADD", "z", "1", "m")
    assert a("ZPOPMIN", "z") == [b"m", 1.0]
    assert a("EXISTS", "z") == 0
    assert a("TYPE", "z") == "none"


def test_rename_onto_a_sorted_set_replaces_it() -> None:
    a = Region("a")
    a("ZADD", "src", "1", "x")
    a("ZADD", "dst", "2", "y")
    a("RENAME", "src", "dst")
    assert scores(a, "dst") == [(b"x", 1.0)]
    assert a("EXISTS", "src") == 0


def test_encoding_follows_the_listpack_limits() -> None:
    a = Region("a")
    a("ZADD", "z", *[x for i in range(128) for x in ("1", "m%d" % i)])
    assert a("OBJECT", "ENCODING", "z") == b"listpack"
    a("ZADD", "z", "1", "one-more")
    assert a("OBJECT", "ENCODING", "z") == b"skiplist"
    a("ZADD", "long", "1", "x" * 65)
    assert a("OBJECT", "ENCODING", "long") == b"skiplist"


# -- property: convergence, idempotence, intent --------------------------------------------------

KEYS = ["z1", "z2"]
MEMBERS = ["a", "b", "c"]
SCORES = ["-1", "0", "1.5", "2", "7"]
COMMAND = st.one_of(
    st.tuples(
        st.just("ZADD"), st.sampled_from(KEYS), st.sampled_from(SCORES), st.sampled_from(MEMBERS)
    ),
    st.tuples(
        st.just("ZADD"),
        st.sampled_from(KEYS),
        st.sampled_from(["NX", "XX", "GT", "LT", "CH"]),
        st.sampled_from(SCORES),
        st.sampled_from(MEMBERS),
    ),
    st.tuples(
        st.just("ZINCRBY"), st.sampled_from(KEYS), st.sampled_from(SCORES), st.sampled_from(MEMBERS)
    ),
    st.tuples(st.just("ZREM"), st.sampled_from(KEYS), st.sampled_from(MEMBERS)),
    st.tuples(st.just("ZPOPMIN"), st.sampled_from(KEYS)),
    st.tuples(st.just("ZPOPMAX"), st.sampled_from(KEYS), st.just("2")),
    st.tuples(st.just("DEL"), st.sampled_from(KEYS)),
    st.tuples(
        st.just("ZUNIONSTORE"), st.sampled_from(KEYS), st.just("2"), st.just("z1"), st.just("z2")
    ),
)
STEP = st.one_of(
    st.tuples(st.just("cmd"), st.integers(0, 2), COMMAND),
    st.tuples(st.just("sync"), st.integers(0, 2), st.integers(0, 2)),
)


def expected_members(records: list[Record]) -> dict[bytes, set[bytes]]:
    """The OR-set rule stated on the records alone: a member is present when one of its
    adds (ZADD, ZINCRBY) is covered by no remove of it (ZREM/ZPOP*, DEL, FLUSHALL)."""
    adds: list[Add] = []
    removes: list[Remove] = []
    for record in records:
        for i, op in enumerate(record.ops):
            stamp = record.stamp + i
            if isinstance(op, ZAdd):
                adds.extend((op.key, m, record.origin, stamp) for m, _, _ in op.entries)
            elif isinstance(op, ZIncr):
                adds.append((op.key, op.member, record.origin, stamp))
            elif isinstance(op, ZRem):
                removes.extend((op.key, m, dict(op.vv)) for m, _ in op.members)
            elif isinstance(op, DelKey):
                removes.append((op.key, None, dict(op.vv)))
            elif isinstance(op, Flush):
                removes.extend((k.encode(), None, dict(op.vv)) for k in KEYS)
    return or_set_survivors(adds, removes)


def visible(ks: Keyspace) -> dict[bytes, set[bytes]]:
    return {k: set(v.shown) for k, v in ks.data.items() if isinstance(v, ZsetValue)}


@settings(max_examples=150, deadline=None)
@given(st.lists(STEP, max_size=30), st.integers(0, 2**32))
def test_replicas_converge_and_keep_the_or_set_rule(steps: list[Any], seed: int) -> None:
    rng = random.Random(seed)
    regions = run_steps(steps, strict=False)  # errors (NaN) are fine: they write nothing
    streams, observers = deliver_everything(regions, rng)
    keyspaces = [*(r.node.keyspace for r in regions), *observers]
    states = [state(ks) for ks in keyspaces]
    assert all(s == states[0] for s in states), "every replica holds the same state"
    for ks in keyspaces:  # the index is exactly the visible members in (score, member) order
        for value in ks.data.values():
            assert isinstance(value, ZsetValue)
            assert list(value.items()) == sorted((s, m) for m, s in value.shown.items())

    twice = apply_each_op_twice(causal_order(streams, rng, duplicates=0))
    assert state(twice) == state(observers[0])

    everything = [record for stream in streams for record in stream]
    assert visible(observers[0]) == expected_members(everything)


INCREMENT = st.tuples(
    st.integers(0, 2), st.sampled_from(MEMBERS), st.integers(-5, 5), st.booleans()
)


@settings(max_examples=100, deadline=None)
@given(st.lists(INCREMENT, max_size=25), st.integers(0, 2**32))
def test_concurrent_increments_sum_like_a_counter(
    steps: list[tuple[int, str, int, bool]], seed: int
) -> None:
    """Without removes or ZADDs, a member's score is the sum of every ZINCRBY anywhere."""
    regions = [Region(name) for name in ("eu", "us", "ap")]
    sums: dict[bytes, int] = {}
    for i, member, by, then_sync in steps:
        regions[i]("ZINCRBY", "z", str(by), member)
        sums[member.encode()] = sums.get(member.encode(), 0) + by
        if then_sync:
            regions[(i + 1) % 3].sync_from(regions[i])
    streams = [region.own() for region in regions]
    ks = replay(causal_order(streams, random.Random(seed)))
    value = ks.data.get(b"z")
    assert (dict(value.shown) if isinstance(value, ZsetValue) else {}) == {
        m: float(s) for m, s in sums.items()
    }


# -- codec and snapshots -------------------------------------------------------------------------


def test_ops_round_trip_through_the_payload_codec() -> None:
    ops = (
        ZAdd(b"k", ((b"m", 1.5, ()), (b"n", float("-inf"), (("eu", Decimal("0.1"), 7),)))),
        ZIncr(b"k", b"m", -0.0, True),
        ZRem(b"k", (("eu", 9), ("us", 3)), ((b"m", (("us", Decimal("Infinity"), 2),)),)),
    )
    decoded = decode_ops(encode_ops(ops))
    assert repr(decoded) == repr(ops)


def test_sorted_sets_and_their_tombstones_round_trip_through_a_snapshot() -> None:
    a, b = Region("a"), Region("b")
    a("ZADD", "z", "1", "x", "2.5", "y")
    a("ZINCRBY", "z", "0.1", "x")
    b("ZINCRBY", "z", "3", "w")
    a("ZREM", "z", "y")
    a("ZINCRBY", "gone", "1", "q")
    a("DEL", "gone")  # leaves an empty sorted set with a counter baseline: a tombstone
    a.sync_from(b)
    ks = a.node.keyspace
    assert ks.typed(b"gone", ZsetValue) is not None
    restored = Keyspace("a")
    load(restored, encode_keyspace(ks))
    assert state(restored) == state(ks)
    assert restored.data[b"z"].latest() == ks.data[b"z"].latest()
