"""Hashes in several regions converge: fields are an observed-remove set where a write
wins over a concurrent HDEL, each field an LWW value or a counter whose increments add up.

Commands run through the dispatcher of three regions; records are exchanged
in random causal orders with duplicates. Also: Redis Enterprise
Active-Active's hash timelines, a type conflict, snapshot round-trips.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from node.crdt.base import covered
from node.crdt.hashes import HashValue
from node.effects import DelKey, HDel, HIncr, HSet, Record
from node.keyspace import Keyspace, Value
from node.snapshot import encode_keyspace, load
from tests.node.crdt_harness import (
    Region,
    apply_each_op_twice,
    causal_order,
    deliver_everything,
    keyspace_state,
    run_steps,
)


def describe(value: Value) -> Any:
    """A value with its CRDT metadata (per field: writes, register, counter), comparable."""
    if not isinstance(value, HashValue):
        return value.latest()

    def field(f: Any) -> Any:
        counter = f.value.counter
        return (
            sorted(f.writes.items()),
            (f.value.data, f.value.stamp, f.value.region),
            None
            if counter is None
            else (sorted(counter.contrib.items()), sorted(counter.baseline.items())),
        )

    return (
        sorted((name, field(f)) for name, f in value.fields.items()),
        sorted((name, field(f)) for name, f in value.gone.items()),
    )


def state(ks: Keyspace) -> dict[bytes, Any]:
    return keyspace_state(ks, describe)


def hgetall(region: Region, key: str) -> dict[bytes, bytes]:
    return dict(region("HGETALL", key))


def exchange(*regions: Region) -> None:
    for _ in range(2):
        for a in regions:
            for b in regions:
                if a is not b:
                    b.sync_from(a)


# -- Redis Enterprise Active-Active conformance (developing-with/data-types/hashes) -------------


def test_re_hset_wins_over_a_concurrent_hdel() -> None:
    """RE: HSET key1 field1 || HDEL key1 field1 (it had seen an older value) -> field stays."""
    a, b = Region("a"), Region("b")
    a("HSET", "key1", "field1", "a")
    b.sync_from(a)
    a("HSET", "key1", "field1", "b")
    assert b("HDEL", "key1", "field1") == 1
    exchange(a, b)
    assert hgetall(a, "key1") == hgetall(b, "key1") == {b"field1": b"b"}


def test_re_concurrent_hincrby_sum_up() -> None:
    """RE: HINCRBY key1 field1 in two regions at once -> the increments add up."""
    a, b = Region("a"), Region("b")
    assert a("HINCRBY", "key1", "field1", "5") == 5
    assert b("HINCRBY", "key1", "field1", "3") == 3
    exchange(a, b)
    assert a("HGET", "key1", "field1") == b("HGET", "key1", "field1") == b"8"
    assert b("HINCRBYFLOAT", "key1", "field1", "0.5") == b"8.5"


def test_hdel_of_a_counter_keeps_the_unobserved_increment() -> None:
    a, b = Region("a"), Region("b")
    a("HINCRBY", "h", "n", "10")
    b.sync_from(a)
    b("HDEL", "h", "n")
    a("HINCRBY", "h", "n", "2")
    exchange(a, b)
    assert hgetall(a, "h") == hgetall(b, "h") == {b"n": b"2"}
    # The region that deleted keeps counting from zero, and so do its peers.
    assert b("HINCRBY", "h", "n", "1") == 3
    exchange(a, b)
    assert a("HGET", "h", "n") == b"3"


def test_hset_concurrent_with_hincrby_adds_the_unobserved_increment() -> None:
    a, b = Region("a"), Region("b")
    a("HSET", "h", "n", "10")
    b.sync_from(a)
    a("HSET", "h", "n", "100")
    assert b("HINCRBY", "h", "n", "1") == 11
    exchange(a, b)
    assert a("HGET", "h", "n") == b("HGET", "h", "n") == b"101"


def test_an_unseen_older_write_survives_an_hdel_of_the_newer_one() -> None:
    """Update wins even when the surviving write's stamp is older than the removed one."""
    a, b = Region("a"), Region("b")
    b.clock.advance(1000)  # b's stamps are later than a's
    b("HSET", "h", "f", "from-b")
    a("HSET", "h", "f", "from-a")  # concurrent, older stamp
    b("HDEL", "h", "f")  # had seen only its own write
    exchange(a, b)
    assert hgetall(a, "h") == hgetall(b, "h") == {b"f": b"from-a"}


def test_a_hash_emptied_by_hdel_disappears() -> None:
    a = Region("a")
    a("HSET", "h", "f", "v")
    a("HDEL", "h", "f")
    assert a("EXISTS", "h") == 0


def test_concurrent_set_and_hset_show_the_same_type_in_both_orders() -> None:
    for first in (0, 1):
        a, b = Region("a"), Region("b")
        a("SET", "k", "string")
        b("HSET", "k", "f", "v")
        order = [a, b] if first == 0 else [b, a]
        order[1].sync_from(order[0])
        order[0].sync_from(order[1])
        assert state(a.node.keyspace) == state(b.node.keyspace)
        assert a("TYPE", "k") == b("TYPE", "k")


# -- property: convergence, idempotence, intent -------------------------------------------------

KEYS = ["h1", "h2"]
FIELDS = ["f", "g"]
NUMBER = st.integers(-20, 20).map(str)
COMMAND = st.one_of(
    st.tuples(st.just("HSET"), st.sampled_from(KEYS), st.sampled_from(FIELDS), NUMBER),
    st.tuples(st.just("HSET"), st.sampled_from(KEYS), st.just("f"), NUMBER, st.just("g"), NUMBER),
    st.tuples(st.just("HDEL"), st.sampled_from(KEYS), st.sampled_from(FIELDS)),
    st.tuples(st.just("HDEL"), st.sampled_from(KEYS), st.just("f"), st.just("g")),
    st.tuples(st.just("HINCRBY"), st.sampled_from(KEYS), st.sampled_from(FIELDS), NUMBER),
    st.tuples(st.just("DEL"), st.sampled_from(KEYS)),
)
STEP = st.one_of(
    st.tuples(st.just("cmd"), st.integers(0, 2), COMMAND),
    st.tuples(st.just("sync"), st.integers(0, 2), st.integers(0, 2)),
)


def _hash_members(op: DelKey) -> dict[bytes, Any]:
    """What a DEL observed of the key's hash fields (its observations are per type)."""
    return next((dict(members) for kind, _, members in op.typed if kind == b"hash"), {})


def expected_fields(records: list[Record]) -> dict[bytes, dict[bytes, bytes]]:
    """The rule stated on the records alone. Per field: a write survives unless a
    remove's version vector covers it; an increment counts unless an HDEL, DEL or
    HSET of the field had observed it (its observed contributions reach its stamp).
    The field shows the newest surviving write plus the counted increments."""
    writes: dict[tuple[bytes, bytes], list[tuple[int, str, bytes]]] = {}
    incrs: dict[tuple[bytes, bytes], list[tuple[str, int, int]]] = {}
    vvs: dict[tuple[bytes, bytes], list[dict[str, int]]] = {}
    absorbed: dict[tuple[bytes, bytes], list[dict[str, int]]] = {}
    totals: dict[tuple[str, bytes, bytes], int] = {}

    def absorb(key: bytes, name: bytes, seen: Any) -> None:
        absorbed.setdefault((key, name), []).append({r: stamp for r, _, stamp in seen})

    for record in records:
        for i, op in enumerate(record.ops):
            stamp = record.stamp + i
            if isinstance(op, HSet):
                seen = dict(op.observed)
                for name, data in op.pairs:
                    writes.setdefault((op.key, name), []).append((stamp, record.origin, data))
                    absorb(op.key, name, seen.get(name, ()))
            elif isinstance(op, HIncr):
                own = (record.origin, op.key, op.field)
                delta = int(op.total) - (0 if op.fresh else totals.get(own, 0))
                totals[own] = int(op.total)
                incrs.setdefault((op.key, op.field), []).append((record.origin, stamp, delta))
            elif isinstance(op, HDel | DelKey):
                names = op.fields if isinstance(op, HDel) else [b"f", b"g"]
                seen = dict(op.members) if isinstance(op, HDel) else _hash_members(op)
                for name in names:
                    vvs.setdefault((op.key, name), []).append(dict(op.vv))
                    absorb(op.key, name, seen.get(name, ()))
    out: dict[bytes, dict[bytes, bytes]] = {}
    for where in {*writes, *incrs}:
        live = [
            w
            for w in writes.get(where, [])
            if not any(covered(w[0], w[1], vv) for vv in vvs.get(where, []))
        ]
        counted = [
            delta
            for origin, stamp, delta in incrs.get(where, [])
            if not any(stamp <= seen.get(origin, -1) for seen in absorbed.get(where, []))
        ]
        if not live and not counted:
            continue
        base = max(live)[2] if live else b"0"
        value = base if not counted else b"%d" % (int(base) + sum(counted))
        out.setdefault(where[0], {})[where[1]] = value
    return out


def visible_fields(ks: Keyspace) -> dict[bytes, dict[bytes, bytes]]:
    return {
        key: dict(value.items()) for key, value in ks.data.items() if isinstance(value, HashValue)
    }


@settings(max_examples=150, deadline=None)
@given(st.lists(STEP, max_size=30), st.integers(0, 2**32))
def test_hashes_converge_idempotently_to_the_field_rules(steps: list[Any], seed: int) -> None:
    regions = run_steps(steps)
    rng = random.Random(seed)
    streams, observers = deliver_everything(regions, rng)
    states = [state(ks) for ks in [*(r.node.keyspace for r in regions), *observers]]
    assert all(s == states[0] for s in states), "every replica holds the same state"

    twice = apply_each_op_twice(causal_order(streams, rng, duplicates=0))
    assert state(twice) == states[0], "applying each op twice changes nothing"

    everything = [record for stream in streams for record in stream]
    assert visible_fields(observers[0]) == expected_fields(everything)


# -- snapshots ------------------------------------------------------------------------------------


def test_hashes_with_counter_tombstones_round_trip_through_a_snapshot() -> None:
    a, b = Region("a"), Region("b")
    a("HSET", "h", "plain", "v", "long", "x" * 100)
    a("HINCRBY", "h", "n", "4")
    b("HINCRBYFLOAT", "h", "n", "0.25")
    exchange(a, b)
    a("HDEL", "h", "n")  # a counter tombstone inside a visible hash
    a("HINCRBY", "gone", "c", "1")
    a("DEL", "gone")  # a whole-hash tombstone
    ks = a.node.keyspace
    held = ks.data[b"h"]
    assert isinstance(held, HashValue) and b"n" in held.gone
    restored = Keyspace("a")
    load(restored, encode_keyspace(ks))
    assert state(restored) == state(ks)
    assert restored.data[b"h"].encoding() == b"hashtable"


def test_hset_replaces_the_increments_it_observed() -> None:
    a, b = Region("a"), Region("b")
    a("HINCRBY", "h", "n", "5")
    b.sync_from(a)
    b("HSET", "h", "n", "10")
    exchange(a, b)
    assert a("HGET", "h", "n") == b("HGET", "h", "n") == b"10"
    assert a("HINCRBY", "h", "n", "1") == 11
