"""Lists in several regions converge: the sequence CRDT seen through real command handlers.

Property tests run random list commands in three regions with random partial
syncs, then deliver every region's records in random causal orders (with
duplicates) to fresh keyspaces: all must hold the same sequence, metadata
included (convergence); applying every op twice changes nothing
(idempotence); and the outcome matches the rules (intent): an element is
present exactly when it was pushed and no remove or delete observed it, and
every element follows the element it was inserted after. Conformance tests
replay Redis Enterprise's Active-Active list timelines. No server, no sockets.
"""

from __future__ import annotations

import random
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from node.crdt.base import covered
from node.crdt.lists import HEAD, Deck, ElemId, ListValue
from node.effects import DelKey, ListInsert, ListRemove, Record, apply_record
from node.keyspace import Keyspace, Value
from node.snapshot import encode_keyspace, load
from tests.node.crdt_harness import (
    Region,
    apply_each_op_twice,
    causal_order,
    keyspace_state,
    replay,
    sync_all,
)

KEY = b"L"


def describe(value: Value) -> Any:
    if not isinstance(value, ListValue):
        return repr(value)
    elems = value.elems
    full = [(eid, elems[eid].data, elems[eid].live, elems[eid].vdot) for eid in value.seq]
    return (full, [elems[eid].data for eid in value.vis])


def state(ks: Keyspace) -> dict[bytes, Any]:
    return keyspace_state(ks, describe)


def shown(ks: Keyspace) -> list[bytes]:
    value = ks.data.get(KEY)
    if value is None:
        return []
    assert isinstance(value, ListValue)
    return value.range(0, len(value))


# -- the Deck: an indexable double-ended sequence --------------------------------------------


@given(st.lists(st.tuples(st.sampled_from("ALPIDX"), st.integers(0, 50)), max_size=80))
def test_deck_behaves_like_a_list(steps: list[tuple[str, int]]) -> None:
    deck: Deck[int] = Deck()
    model: list[int] = []
    for n, (op, arg) in enumerate(steps):
        if op == "A":
            deck.append(n)
            model.append(n)
        elif op == "L":
            deck.appendleft(n)
            model.insert(0, n)
        elif op == "I":
            at = arg % (len(model) + 1)
            deck.insert(at, n)
            model.insert(at, n)
        elif op == "P" and model:
            assert deck.pop() == model.pop()
        elif op == "D" and model:
            assert deck.popleft() == model.pop(0)
        elif op == "X" and model:
            item = model[arg % len(model)]
            assert deck.index(item) == model.index(item)
        assert list(deck) == model
        assert list(deck.reversed()) == model[::-1]
        assert [deck[i] for i in range(len(model))] == model
        lo, hi = sorted((arg % (len(model) + 1), (arg * 7) % (len(model) + 1)))
        assert deck.slice(lo, hi) == model[lo:hi]


# -- property tests: convergence, idempotence, intent -------------------------------------------

COMMAND = st.one_of(
    st.tuples(st.sampled_from(["LPUSH", "RPUSH"]), st.integers(1, 3)),
    st.tuples(st.sampled_from(["LPOP", "RPOP"]), st.integers(0, 2)),
    st.tuples(st.sampled_from(["LINSERT_BEFORE", "LINSERT_AFTER", "LSET"]), st.integers(0, 9)),
    st.tuples(st.just("LREM"), st.integers(-2, 2)),
    st.tuples(st.just("LTRIM"), st.integers(-3, 3)),
    st.tuples(st.just("DEL"), st.just(0)),
)
STEP = st.one_of(
    st.tuples(st.just("cmd"), st.integers(0, 2), COMMAND),
    st.tuples(st.just("sync"), st.integers(0, 2), st.integers(0, 2)),
)


class World:
    """Three regions after `steps`: ("cmd", i, command) runs `command` in region i,
    ("sync", i, j) delivers what region i applied to region j."""

    def __init__(self, steps: list[Any]) -> None:
        self.regions = [Region(name) for name in ("eu", "us", "ap")]
        self.counter = 0
        for step in steps:
            if step[0] == "cmd":
                self.run(step[1], step[2])
            elif step[1] != step[2]:
                self.regions[step[2]].sync_from(self.regions[step[1]])

    def fresh(self) -> bytes:
        self.counter += 1
        return b"v%d" % self.counter

    def run(self, i: int, command: tuple[str, int]) -> None:
        region = self.regions[i]
        name, arg = command
        items = shown(region.node.keyspace)
        if name in ("LPUSH", "RPUSH"):
            region(name, KEY, *[self.fresh() for _ in range(arg)])
        elif name in ("LPOP", "RPOP"):
            region(name, KEY, *([str(arg)] if arg else []))
        elif name.startswith("LINSERT") and items:
            where = name.split("_")[1]
            region("LINSERT", KEY, where, items[arg % len(items)], self.fresh())
        elif name == "LSET" and items:
            region("LSET", KEY, str(arg % len(items)), self.fresh())
        elif name == "LREM" and items:
            region("LREM", KEY, str(arg), random.Random(arg).choice(items))
        elif name == "LTRIM":
            region("LTRIM", KEY, str(arg), str(arg + 2))
        elif name == "DEL":
            region("DEL", KEY)

    def streams(self) -> list[list[Record]]:
        return [region.own() for region in self.regions]


def intended(records: list[Record]) -> set[ElemId]:
    """The elements that should be visible: inserted, and not removed by id or by a
    delete whose version vector covers them."""
    inserted: set[ElemId] = set()
    removed: set[ElemId] = set()
    deletes: list[dict[str, int]] = []
    for record in records:
        for n, op in enumerate(record.ops):
            if isinstance(op, ListInsert):
                inserted |= {(record.stamp + n, record.origin, i) for i in range(len(op.values))}
            elif isinstance(op, ListRemove):
                removed |= set(op.ids)
            elif isinstance(op, DelKey):
                deletes.append(dict(op.vv))
    return {
        eid for eid in inserted - removed if not any(covered(eid[0], eid[1], vv) for vv in deletes)
    }


def anchors(records: list[Record]) -> list[tuple[ElemId, ElemId]]:
    """(anchor, element) for every inserted element."""
    out = []
    for record in records:
        for n, op in enumerate(record.ops):
            if isinstance(op, ListInsert):
                anchor = op.after
                for i in range(len(op.values)):
                    eid = (record.stamp + n, record.origin, i)
                    out.append((anchor, eid))
                    if op.chain:
                        anchor = eid
    return out


@settings(max_examples=400, deadline=None)
@given(st.lists(STEP, max_size=30), st.randoms(use_true_random=False))
def test_random_list_commands_converge(steps: list[Any], rng: random.Random) -> None:
    world = World(steps)
    streams = world.streams()
    records = [r for stream in streams for r in stream]
    states = [state(replay(causal_order(streams, rng))) for _ in range(4)]
    assert all(s == states[0] for s in states), "delivery orders disagree"
    for region in world.regions:
        for other in world.regions:
            region.sync_from(other)
        assert state(region.node.keyspace) == states[0], "a region disagrees with the replay"

    ks = replay(causal_order(streams, rng))
    value = ks.typed(KEY, ListValue)
    live = set() if value is None else set(value.vis)
    assert live == intended(records)
    if value is not None:
        position = {eid: i for i, eid in enumerate(value.seq)}
        for anchor, eid in anchors(records):
            if anchor != HEAD:
                assert position[anchor] < position[eid]


@settings(max_examples=60, deadline=None)
@given(st.lists(STEP, max_size=25), st.randoms(use_true_random=False))
def test_applying_every_op_twice_changes_nothing(steps: list[Any], rng: random.Random) -> None:
    world = World(steps)
    order = causal_order(world.streams(), rng, duplicates=0)
    assert state(replay(order)) == state(apply_each_op_twice(order))


# -- Redis Enterprise Active-Active list timelines ----------------------------------------------


def test_re_lpush_in_both_regions_keeps_both_in_one_order() -> None:
    # t1 LPUSH mylist "hello" (1); sync; t3 LPUSH mylist "world" (2); sync -> "world" "hello".
    one, two = Region("r1"), Region("r2")
    one("LPUSH", "mylist", "hello")
    sync_all(one, two)
    two("LPUSH", "mylist", "world")
    sync_all(one, two)
    assert one("LRANGE", "mylist", "0", "-1") == [b"world", b"hello"]
    assert two("LRANGE", "mylist", "0", "-1") == [b"world", b"hello"]


def test_re_concurrent_lpush_keeps_both_elements() -> None:
    # Concurrent LPUSHes from both regions: both elements kept, the same order everywhere.
    one, two = Region("r1"), Region("r2")
    one("LPUSH", "L", "x")
    two("LPUSH", "L", "y")
    sync_all(one, two)
    got = one("LRANGE", "L", "0", "-1")
    assert sorted(got) == [b"x", b"y"]
    assert two("LRANGE", "L", "0", "-1") == got


def test_re_concurrent_linsert_after_the_same_pivot_keeps_both() -> None:
    one, two = Region("r1"), Region("r2")
    one("RPUSH", "L", "a", "b")
    sync_all(one, two)
    assert one("LINSERT", "L", "AFTER", "a", "x") == 3
    assert two("LINSERT", "L", "AFTER", "a", "y") == 3
    sync_all(one, two)
    got = one("LRANGE", "L", "0", "-1")
    assert got[0] == b"a" and sorted(got[1:3]) == [b"x", b"y"] and got[3] == b"b"
    assert two("LRANGE", "L", "0", "-1") == got


def test_re_concurrent_pops_can_return_the_same_element() -> None:
    # At-least-once: RPOP in both regions at once returns "x" twice; the list ends empty.
    one, two = Region("r1"), Region("r2")
    one("LPUSH", "L", "x", "y")
    sync_all(one, two)
    assert one("RPOP", "L") == b"x"
    assert two("RPOP", "L") == b"x"
    sync_all(one, two)
    assert one("LRANGE", "L", "0", "-1") == two("LRANGE", "L", "0", "-1") == [b"y"]


def test_re_pop_concurrent_with_push_keeps_the_push() -> None:
    one, two = Region("r1"), Region("r2")
    one("LPUSH", "L", "x")
    sync_all(one, two)
    assert one("LPOP", "L") == b"x"
    two("LPUSH", "L", "y")
    sync_all(one, two)
    assert one("LRANGE", "L", "0", "-1") == two("LRANGE", "L", "0", "-1") == [b"y"]


def test_re_del_concurrent_with_lpush_keeps_the_push() -> None:
    # Observed-remove: DEL removes what its region had seen; the concurrent push survives.
    one, two = Region("r1"), Region("r2")
    one("RPUSH", "L", "a", "b")
    sync_all(one, two)
    assert one("DEL", "L") == 1
    two("LPUSH", "L", "c")
    sync_all(one, two)
    assert one("LRANGE", "L", "0", "-1") == two("LRANGE", "L", "0", "-1") == [b"c"]
    assert one("TYPE", "L") == "list"


def test_re_lrem_removes_only_observed_elements() -> None:
    # LREM of "a" concurrent with another push of "a": the unobserved "a" stays.
    one, two = Region("r1"), Region("r2")
    one("RPUSH", "L", "a", "b", "a")
    sync_all(one, two)
    assert one("LREM", "L", "0", "a") == 2
    two("RPUSH", "L", "a")
    sync_all(one, two)
    assert one("LRANGE", "L", "0", "-1") == two("LRANGE", "L", "0", "-1") == [b"b", b"a"]


def test_concurrent_lset_is_last_writer_wins() -> None:
    one, two = Region("r1"), Region("r2")
    one("RPUSH", "L", "a", "b")
    sync_all(one, two)
    one("LSET", "L", "0", "one")
    two.clock.advance(5)
    two("LSET", "L", "0", "two")
    sync_all(one, two)
    assert one("LRANGE", "L", "0", "-1") == two("LRANGE", "L", "0", "-1") == [b"two", b"b"]


def test_lset_concurrent_with_a_pop_of_its_element_leaves_it_removed() -> None:
    one, two = Region("r1"), Region("r2")
    one("RPUSH", "L", "a", "b")
    sync_all(one, two)
    assert one("LPOP", "L") == b"a"
    two.clock.advance(5)
    two("LSET", "L", "0", "A")
    sync_all(one, two)
    assert one("LRANGE", "L", "0", "-1") == two("LRANGE", "L", "0", "-1") == [b"b"]


# -- snapshots and tombstones ---------------------------------------------------------------------


def test_snapshot_round_trip_keeps_tombstones_and_key_tombstones() -> None:
    one, two = Region("r1"), Region("r2")
    one("RPUSH", "L", "a", "b", "c", "d")
    one("LPOP", "L")
    one("LSET", "L", "1", "C")
    one("RPUSH", "gone", "x")
    one("DEL", "gone")
    ks = one.node.keyspace
    loaded = Keyspace("r1")
    load(loaded, encode_keyspace(ks))
    assert state(loaded) == state(ks)
    gone = loaded.typed(b"gone", ListValue)
    assert gone is not None, "the deleted list's tombstone stays"
    assert describe(gone)[0], "the deleted list's tombstone stays"
    # An insert anchored on a removed element still lands in the same place after a reload.
    sync_all(one, two)
    two("LINSERT", "L", "BEFORE", "b", "z")
    for target in (ks, loaded):
        for record in two.own():
            apply_record(target, record)
    assert shown(loaded) == shown(ks)
    assert state(loaded) == state(ks)


def test_collect_drops_element_tombstones() -> None:
    one = Region("r1")
    one("RPUSH", "L", "a", "b", "c")
    one("LPOP", "L")
    one("RPOP", "L")
    value = one.node.keyspace.typed(KEY, ListValue)
    assert value is not None and len(value.seq) == 3
    assert one.node.keyspace.collect() == 2
    assert list(value.seq) == list(value.vis) and len(value.elems) == 1
    one("RPUSH", "L", "d")
    one("LPUSH", "L", "z")
    one("LINSERT", "L", "BEFORE", "b", "y")
    assert one("LRANGE", "L", "0", "-1") == [b"z", b"y", b"b", b"d"]
