"""Sets in several regions converge to the observed-remove, add-wins rule.

Commands run through the dispatcher of three regions; their records are
exchanged in random causal orders with duplicates. Also: Redis Enterprise
Active-Active's documented set timelines, a type conflict with a string,
and snapshot round-trips of sets (empty ones, i.e. tombstones, included).
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from node.crdt.sets import SetValue
from node.effects import DelKey, Flush, Record, SAdd, SRem
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
    run_steps,
)


def describe(value: Value) -> Any:
    """A value with its CRDT metadata, comparable across regions."""
    if isinstance(value, SetValue):
        return sorted((m, sorted(dots.items())) for m, dots in value.members.items())
    return repr(vars(value)) if hasattr(value, "__dict__") else value.latest()


def state(ks: Keyspace) -> dict[bytes, Any]:
    return keyspace_state(ks, describe)


def members(region: Region, key: str) -> set[bytes]:
    return set(region("SMEMBERS", key))


# -- Redis Enterprise Active-Active conformance (developing-with/data-types/sets) ---------------


def test_re_add_wins_over_a_concurrent_remove() -> None:
    """RE: SADD x || SREM x (the remove had seen an earlier add) -> x stays."""
    a, b = Region("a"), Region("b")
    a("SADD", "key1", "e1")
    b.sync_from(a)
    assert a("SADD", "key1", "e1") == 0  # re-adding an existing member is still an add
    assert b("SREM", "key1", "e1") == 1
    a.sync_from(b)
    b.sync_from(a)
    assert members(a, "key1") == members(b, "key1") == {b"e1"}


def test_re_observed_remove_only_removes_what_it_saw() -> None:
    """RE: SADD e2 in one region, SREM e1 in the other: the remove removes only e1."""
    a, b = Region("a"), Region("b")
    a("SADD", "key1", "e1")
    b.sync_from(a)
    assert members(b, "key1") == {b"e1"}
    a("SADD", "key1", "e2")
    b("SREM", "key1", "e1")
    a.sync_from(b)
    b.sync_from(a)
    assert members(a, "key1") == members(b, "key1") == {b"e2"}


def test_spop_is_an_observed_remove_of_the_popped_members() -> None:
    a, b = Region("a"), Region("b")
    a("SADD", "s", "x")
    b.sync_from(a)
    assert b("SPOP", "s") == b"x"
    a("SADD", "s", "x")  # concurrent re-add: survives the pop
    a.sync_from(b)
    b.sync_from(a)
    assert members(a, "s") == members(b, "s") == {b"x"}
    [pop] = [op for record in b.own() for op in record.ops if isinstance(op, SRem)]
    assert pop.members == (b"x",), "the op names the popped member"


def test_del_of_a_set_keeps_members_added_concurrently() -> None:
    a, b = Region("a"), Region("b")
    a("SADD", "s", "x", "y")
    b.sync_from(a)
    b("DEL", "s")
    a("SADD", "s", "z")
    a.sync_from(b)
    b.sync_from(a)
    assert members(a, "s") == members(b, "s") == {b"z"}


def test_a_set_emptied_by_removes_disappears() -> None:
    a = Region("a")
    a("SADD", "s", "x")
    a("SREM", "s", "x")
    assert a("EXISTS", "s") == 0
    assert a("TYPE", "s") == "none"


def test_sinterstore_replaces_the_destination_in_every_region() -> None:
    a, b = Region("a"), Region("b")
    a("SADD", "d", "old")
    a("SADD", "s1", "x", "y")
    a("SADD", "s2", "y")
    b.sync_from(a)
    assert b("SINTERSTORE", "d", "s1", "s2") == 1
    a.sync_from(b)
    assert members(a, "d") == members(b, "d") == {b"y"}


# -- type conflict -------------------------------------------------------------------------------


def test_concurrent_set_and_sadd_show_the_same_type_in_both_orders() -> None:
    for first in ("a", "b"):
        a, b = Region("a"), Region("b")
        a("SET", "k", "string")
        b("SADD", "k", "member")
        pair = {"a": (a, b), "b": (b, a)}[first]
        pair[1].sync_from(pair[0])
        pair[0].sync_from(pair[1])
        assert state(a.node.keyspace) == state(b.node.keyspace)
        assert a("TYPE", "k") == b("TYPE", "k")
        shown = a("TYPE", "k")
        if shown == "set":
            assert members(a, "k") == members(b, "k") == {b"member"}
        else:
            assert a("GET", "k") == b("GET", "k") == b"string"


# -- property: convergence, idempotence, intent -------------------------------------------------

KEYS = ["s1", "s2"]
MEMBERS = ["a", "b", "c", "1"]
COMMAND = st.one_of(
    st.tuples(st.just("SADD"), st.sampled_from(KEYS), st.sampled_from(MEMBERS)),
    st.tuples(
        st.just("SADD"), st.sampled_from(KEYS), st.sampled_from(MEMBERS), st.sampled_from(MEMBERS)
    ),
    st.tuples(st.just("SREM"), st.sampled_from(KEYS), st.sampled_from(MEMBERS)),
    st.tuples(st.just("SPOP"), st.sampled_from(KEYS)),
    st.tuples(st.just("SPOP"), st.sampled_from(KEYS), st.sampled_from(["0", "2", "9"])),
    st.tuples(st.just("DEL"), st.sampled_from(KEYS)),
    st.tuples(st.just("SMOVE"), st.just("s1"), st.just("s2"), st.sampled_from(MEMBERS)),
    st.tuples(st.just("SUNIONSTORE"), st.sampled_from(KEYS), st.just("s1"), st.just("s2")),
)
STEP = st.one_of(
    st.tuples(st.just("cmd"), st.integers(0, 2), COMMAND),
    st.tuples(st.just("sync"), st.integers(0, 2), st.integers(0, 2)),
)


def expected_members(records: list[Record]) -> dict[bytes, set[bytes]]:
    """The OR-set rule stated on the records alone: a member is present when one
    of its adds is covered by no remove of it (SREM/SPOP/SMOVE, DEL, FLUSHALL)."""
    adds: list[Add] = []
    removes: list[Remove] = []
    for record in records:
        for i, op in enumerate(record.ops):
            stamp = record.stamp + i
            if isinstance(op, SAdd):
                adds.extend((op.key, m, record.origin, stamp) for m in op.members)
            elif isinstance(op, SRem):
                removes.extend((op.key, m, dict(op.vv)) for m in op.members)
            elif isinstance(op, DelKey):
                removes.append((op.key, None, dict(op.vv)))
            elif isinstance(op, Flush):
                removes.extend((k, None, dict(op.vv)) for k in (b"s1", b"s2"))
    return or_set_survivors(adds, removes)


def visible_members(ks: Keyspace) -> dict[bytes, set[bytes]]:
    return {
        key: set(value.members) for key, value in ks.data.items() if isinstance(value, SetValue)
    }


@settings(max_examples=150, deadline=None)
@given(st.lists(STEP, max_size=30), st.integers(0, 2**32))
def test_sets_converge_idempotently_to_the_or_set_rule(steps: list[Any], seed: int) -> None:
    random.seed(seed)  # SPOP's choice
    regions = run_steps(steps)
    rng = random.Random(seed)
    streams, observers = deliver_everything(regions, rng)
    everything = [record for stream in streams for record in stream]
    states = [state(ks) for ks in [*(r.node.keyspace for r in regions), *observers]]
    assert all(s == states[0] for s in states), "every replica holds the same state"

    twice = apply_each_op_twice(causal_order(streams, rng, duplicates=0))
    assert visible_members(twice) == visible_members(observers[0])

    assert visible_members(observers[0]) == expected_members(everything)


# -- snapshots ------------------------------------------------------------------------------------


def test_sets_and_their_tombstones_round_trip_through_a_snapshot() -> None:
    a, b = Region("a"), Region("b")
    a("SADD", "s", "x", "1", "2")
    b("SADD", "s", "y")
    a("SADD", "gone", "z")
    a("DEL", "gone")  # leaves an empty set value: a tombstone
    a.sync_from(b)
    ks = a.node.keyspace
    assert ks.typed(b"gone", SetValue) is not None
    restored = Keyspace("a")
    load(restored, encode_keyspace(ks))
    assert state(restored) == state(ks)
    assert restored.data[b"s"].latest() == ks.data[b"s"].latest()
