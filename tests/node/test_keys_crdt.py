"""Key-level CRDT rules in two and three regions, and a property test for strings and keys.

DEL, UNLINK, GETDEL and FLUSHALL are observed removes (a write another region
made concurrently survives); RENAME is a delete plus a write; a key whose type
changes concurrently (SET in one region, SADD in another) shows, everywhere,
the visible value with the newest dot. Every scenario is checked in every
delivery order. The property test runs random string/key commands in three
regions and delivers the records in random causal orders with duplicates.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from node.crdt.base import Observed
from node.crdt.hashes import HashValue
from node.crdt.sets import SetValue
from node.crdt.strings import StrValue
from node.crdt.zsets import ZsetValue
from node.effects import DelKey, Flush, IncrStr, Record, SetStr
from node.keyspace import Keyspace, Value
from tests.node.crdt_harness import causal_order, replay
from tests.node.test_expiry_crdt import interleavings, own, regions, seed


def describe(value: Value) -> Any:
    if isinstance(value, StrValue):
        counter = value.counter
        return (
            value.get(),
            value.data,
            value.stamp,
            value.region,
            None
            if counter is None
            else (sorted(counter.contrib.items()), sorted(counter.baseline.items())),
        )
    return (value.TYPE, repr(sorted(vars(value).items())) if hasattr(value, "__dict__") else None)


def full_state(ks: Keyspace) -> Any:
    """Visible values, hidden values and tombstones with CRDT metadata, TTLs, expiry registers."""
    keys = sorted({*ks.data, *ks.others, *ks.expiry})
    return [
        (
            key,
            sorted(
                ((v.TYPE, shown, repr(describe(v))) for v, shown in ks.values_of(key)), key=repr
            ),
            ks.expires.get(key),
            ks.expiry_entries(key),
        )
        for key in keys
    ]


def shown(ks: Keyspace, key: bytes) -> Any:
    value = ks.data.get(key)
    if value is None:
        return None
    return value.get() if isinstance(value, StrValue) else value.TYPE


def converged(base: list[Record], *streams: list[Record]) -> Keyspace:
    states = set()
    ks = Keyspace("observer")
    for order in interleavings(list(streams)):
        ks = replay([*base, *order, *order[:2]])
        states.add(repr(full_state(ks)))
    assert len(states) == 1, states
    return ks


# -- observed-remove deletes ---------------------------------------------------------------------


def test_del_concurrent_with_set_keeps_the_set_in_every_order() -> None:
    eu, us = regions("eu", "us")
    base = seed(eu, [us], "SET", "k", "old")
    eu("DEL", "k")
    us("SET", "k", "new")
    ks = converged(base, own(eu, 1), own(us, 0))
    assert shown(ks, b"k") == b"new"


def test_unlink_and_getdel_are_observed_removes_too() -> None:
    eu, us, ap = regions("eu", "us", "ap")
    base = seed(eu, [us, ap], "MSET", "a", "1", "b", "2")
    eu("UNLINK", "a")
    assert us("GETDEL", "b") == b"2"
    ap("INCRBY", "a", "5")
    ap("APPEND", "b", "x")
    ks = converged(base, own(eu, 1), own(us, 0), own(ap, 0))
    # ap's increment was on top of the "1" it saw, which UNLINK removed: 5 remains.
    assert shown(ks, b"a") == b"5"
    assert shown(ks, b"b") == b"2x"


def test_del_that_saw_everything_removes_the_key_everywhere() -> None:
    eu, us = regions("eu", "us")
    seed(eu, [us], "SET", "k", "v")
    seed(us, [eu], "INCRBY", "n", "3")
    eu.sync_from(us)
    eu("DEL", "k", "n")
    us.sync_from(eu)
    assert not us.node.keyspace.data


def test_flushall_is_an_observed_remove_of_every_key_in_three_regions() -> None:
    eu, us, ap = regions("eu", "us", "ap")
    base = seed(eu, [us, ap], "MSET", "a", "1", "b", "2")
    base += seed(us, [eu, ap], "INCRBY", "c", "10")
    eu("FLUSHALL")
    us("SET", "a", "us-wrote")
    ap("INCRBY", "c", "4")
    ks = converged(base, own(eu, 1), own(us, 1), own(ap, 0))
    assert {key: shown(ks, key) for key in ks.data} == {b"a": b"us-wrote", b"c": b"4"}


def test_flushall_records_the_same_whatever_order_the_keys_came_in() -> None:
    # eu created k0..k24 before learning us's k25..k49, us the other way round: the
    # two regions have seen the same counters, so their FLUSHALLs observe the same.
    eu, us = regions("eu", "us")
    for i in range(50):
        (eu if i < 25 else us)("INCRBY", f"k{i}", "1")
    eu.sync_from(us)
    us.sync_from(eu)
    eu("FLUSHALL")
    us("FLUSHALL")
    observed = []
    for region in (eu, us):
        flush = region.own()[-1].ops[0]
        assert isinstance(flush, Flush)
        observed.append(flush.typed)
    assert observed[0] == observed[1]
    assert len(observed[0]) == 50


# -- RENAME ------------------------------------------------------------------------------------------


def test_rename_is_a_delete_plus_a_write() -> None:
    eu, us = regions("eu", "us")
    base = seed(eu, [us], "SET", "src", "v", "EX", "100")
    eu("RENAME", "src", "dst")
    [record] = own(eu, 1)
    assert [type(op) for op in record.ops] == [SetStr, DelKey]
    us("APPEND", "src", "+us")  # concurrent: survives the delete half
    ks = converged(base, own(eu, 1), own(us, 0))
    assert shown(ks, b"dst") == b"v"
    assert shown(ks, b"src") == b"v+us"
    # dst took src's absolute expiry; the delete removed src's expiry entry (it saw
    # it) and APPEND adds none, so the surviving src has no TTL.
    assert ks.expires == {b"dst": 1_700_000_100_000}


# -- concurrent type change ------------------------------------------------------------------------


def test_concurrent_set_and_sadd_resolve_to_the_newest_dot_everywhere() -> None:
    eu, us = regions("eu", "us")
    clock = eu.clock
    eu("SET", "k", "string")
    clock.now_ms += 5
    us("SADD", "k", "member")  # later wall clock: newer dot
    ks = converged([], own(eu, 0), own(us, 0))
    assert shown(ks, b"k") == b"set"
    assert ks.typed(b"k", StrValue) is not None  # the string is kept, hidden
    eu.sync_from(us)
    us.sync_from(eu)
    assert eu("TYPE", "k") == us("TYPE", "k")
    assert str(eu("TYPE", "k")) == "set"
    # Deleting the shown set reveals nothing the delete had seen: the key is gone.
    eu("DEL", "k")
    us.sync_from(eu)
    assert eu("EXISTS", "k") == us("EXISTS", "k") == 0


def test_a_later_write_of_the_losing_type_takes_the_key_back() -> None:
    eu, us = regions("eu", "us")
    eu("SET", "k", "s")
    eu.clock.now_ms += 5
    us("SADD", "k", "m")
    eu.sync_from(us)
    us.sync_from(eu)
    eu.clock.now_ms += 5
    assert eu.call("SET", "k", "again") is not None  # SET replaces any type
    us.sync_from(eu)
    assert us("GET", "k") == b"again"


def test_a_delete_absorbs_the_counters_of_values_a_type_conflict_hides() -> None:
    for command in (("DEL", "k"), ("FLUSHALL",)):
        eu, us, ap = regions("eu", "us", "ap")
        us("ZINCRBY", "k", "3", "m")
        ap("HINCRBY", "k", "f", "2")
        eu.clock.now_ms += 5
        eu("SET", "k", "s")  # newest dot: eu shows the string, the others hidden
        eu.sync_from(us)
        eu.sync_from(ap)
        base = list(eu.log)
        eu(*command)  # observed the hidden 3 and 2
        # Concurrent with the delete, in regions that still show their own type:
        us("ZINCRBY", "k", "1", "m")
        ap("HINCRBY", "k", "f", "1")
        ks = converged(base, own(eu, 3), own(us, 1), own(ap, 1))
        zset, hash_ = ks.typed(b"k", ZsetValue), ks.typed(b"k", HashValue)
        assert zset is not None and zset.shown == {b"m": 1.0}, command
        assert hash_ is not None and hash_.get(b"f") == b"1", command


def test_a_delete_leaves_a_hidden_value_it_had_not_seen() -> None:
    eu, us = regions("eu", "us")
    eu.clock.now_ms += 5
    eu("SET", "k", "s")
    eu("DEL", "k")
    us("HINCRBY", "k", "f", "4")  # concurrent with both
    ks = converged([], own(eu, 0), own(us, 0))
    hash_ = ks.data[b"k"]
    assert isinstance(hash_, HashValue) and hash_.get(b"f") == b"4"


def test_set_over_another_type_removes_what_it_saw_of_it() -> None:
    """SET replaces a value of any type, as in Redis: members it saw stay gone even
    when a concurrent write of the old type wins the key afterwards."""
    eu, us = regions("eu", "us")
    base = seed(eu, [us], "SADD", "k", "seen")
    eu("SET", "k", "s")
    eu.clock.now_ms += 5
    us("SADD", "k", "new")  # concurrent, newer dot: the set wins the key
    [record] = own(eu, 1)
    assert [type(op) for op in record.ops] == [DelKey, SetStr]
    ks = converged(base, own(eu, 1), own(us, 1))
    shown_set = ks.data[b"k"]
    assert isinstance(shown_set, SetValue) and set(shown_set.members) == {b"new"}


def test_set_keepttl_over_another_type_keeps_the_ttl() -> None:
    eu, us = regions("eu", "us")
    seed(eu, [us], "SADD", "k", "m")
    eu("PEXPIRE", "k", "100000")
    ttl = eu("PTTL", "k")
    assert eu("SET", "k", "s", "KEEPTTL") == "OK"
    assert eu("GET", "k") == b"s"
    assert eu("PTTL", "k") == ttl
    us.sync_from(eu)
    assert us("GET", "k") == b"s" and us("PTTL", "k") == ttl


# -- property: strings and keys ----------------------------------------------------------------------

KEYS = ["k1", "k2"]
COMMAND = st.one_of(
    st.tuples(st.just("SET"), st.sampled_from(KEYS), st.sampled_from(["a", "7", "1.5"])),
    st.tuples(st.just("INCRBY"), st.sampled_from([*KEYS, "c"]), st.integers(-9, 9).map(str)),
    st.tuples(st.just("INCRBYFLOAT"), st.sampled_from(KEYS), st.sampled_from(["0.5", "-2"])),
    st.tuples(st.just("APPEND"), st.sampled_from(KEYS), st.sampled_from(["x", "1"])),
    st.tuples(st.just("DEL"), st.sampled_from([*KEYS, "c"])),
    st.tuples(st.just("GETDEL"), st.sampled_from(KEYS)),
    st.tuples(st.just("EXPIRE"), st.sampled_from(KEYS), st.integers(100, 900).map(str)),
    st.tuples(st.just("PERSIST"), st.sampled_from(KEYS)),
    st.tuples(st.just("SET"), st.sampled_from(KEYS), st.just("t"), st.just("EX"), st.just("500")),
)
# (region index, command) or a sync (from, to)
STEP = st.one_of(
    st.tuples(st.integers(0, 2), COMMAND),
    st.tuples(st.integers(0, 2), st.integers(0, 2)),
)


@settings(max_examples=150, deadline=None)
@given(st.lists(STEP, max_size=40), st.randoms(use_true_random=False))
def test_random_string_and_key_commands_converge(steps: list[Any], rnd: random.Random) -> None:
    names = ["eu", "us", "ap"]
    world = regions(*names)
    amounts: dict[tuple[str, int], int] = {}
    for who, what in steps:
        region = world[who]
        if isinstance(what, int):
            world[what].sync_from(region)
            continue
        before = len(region.sink.records)
        region.call(*what)  # errors (WRONGTYPE, not an integer) are fine: nothing written
        if what[0] == "INCRBY" and what[1] == "c" and len(region.sink.records) > before:
            amounts[(region.name, region.sink.records[-1].seq)] = int(what[2])
    streams = [region.own() for region in world]
    reference = repr(full_state(replay(causal_order(streams, rnd))))
    for _ in range(3):
        order = causal_order(streams, rnd, duplicates=0.3)
        assert repr(full_state(replay(order))) == reference
    # Idempotence: applying the whole history again changes nothing.
    twice = replay(order + order)
    assert repr(full_state(twice)) == reference
    # The regions themselves converge once each has received everything.
    for region in world:
        region.receive(order)
        assert repr(full_state(region.node.keyspace)) == reference
    final = world[0].node.keyspace
    once = list({(r.origin, r.seq): r for r in order}.values())
    _check_intent(final, once, amounts)


def _removes(records: list[Record], key: bytes) -> list[dict[str, int]]:
    out = []
    for record in records:
        for op in record.ops:
            if (isinstance(op, DelKey) and op.key == key) or isinstance(op, Flush):
                out.append(dict(op.vv))
    return out


def _dots(record: Record) -> list[tuple[Any, int, str]]:
    return [(op, record.stamp + i, record.origin) for i, op in enumerate(record.ops)]


def _check_intent(ks: Keyspace, records: list[Record], amounts: dict[tuple[str, int], int]) -> None:
    for key in [b"k1", b"k2", b"c"]:
        removes = _removes(records, key)

        def unseen(stamp: int, origin: str, removes: list[dict[str, int]] = removes) -> bool:
            return not any(stamp <= vv.get(origin, -1) for vv in removes)

        writes = [
            (stamp, origin, op)
            for record in records
            for op, stamp, origin in _dots(record)
            if isinstance(op, SetStr | IncrStr) and op.key == key
        ]
        sets = [(stamp, origin) for stamp, origin, op in writes if isinstance(op, SetStr)]
        newest_set = max(sets, default=None)
        # What each SET replaced of the counter: the increments it had observed.
        replaced = [op.observed for _, _, op in writes if isinstance(op, SetStr)]

        def counts(stamp: int, origin: str, replaced: list[Observed] = replaced) -> bool:
            return not any(
                region == origin and stamp <= seen
                for observed in replaced
                for region, _, seen in observed
            )

        # The key exists when its newest SET (LWW decides between SETs first) or any
        # increment was not seen by a delete (nor replaced by a SET that saw it, even
        # one that lost to a SET a delete removed): a write after the last delete it
        # did not observe always exists.
        alive = (newest_set is not None and unseen(*newest_set)) or any(
            isinstance(op, IncrStr) and unseen(stamp, origin) and counts(stamp, origin)
            for stamp, origin, op in writes
        )
        assert (key in ks.data) == alive, (key, writes)
    # The counter is the sum of the increments no delete had observed.
    removes = _removes(records, b"c")
    expected = sum(
        amount
        for record in records
        if (amount := amounts.get((record.origin, record.seq))) is not None
        and not any(record.stamp <= vv.get(record.origin, -1) for vv in removes)
    )
    value = ks.data.get(b"c")
    got = 0 if value is None else int(Decimal((value.get() or b"0").decode()))  # type: ignore[attr-defined]
    assert got == expected
