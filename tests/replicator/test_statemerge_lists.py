"""Full-sync merges of lists: joining a peer's snapshot of RGA lists into a region
that kept writing gives exactly the state (element order, tombstones, LSET
registers) of a region that applied both sides' records; the join of two list
states is idempotent, commutative and associative; with collected tombstones
it still is idempotent and commutative, keeps each side's order and loses no
element a side shows that the other had not removed. No server, no sockets."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from node.crdt.lists import ListValue, anchors, rga_order
from node.keyspace import Keyspace, Value
from node.snapshot import encode_keyspace, load
from replicator.statemerge import KeyspaceMerge, join_list
from tests.node.crdt_harness import Region, keyspace_state, replay

KEYS = [b"L", b"M"]
KEY = st.sampled_from(KEYS)
SIDE = st.sampled_from(["LEFT", "RIGHT"])
# Arguments are picked against the region's list when the command runs (`World.run`).
COMMAND = st.one_of(
    st.tuples(st.sampled_from(["LPUSH", "RPUSH"]), KEY, st.integers(1, 3)),
    st.tuples(st.sampled_from(["LPOP", "RPOP"]), KEY, st.integers(0, 2)),
    st.tuples(st.sampled_from(["BEFORE", "AFTER", "LSET", "LREM"]), KEY, st.integers(0, 9)),
    st.tuples(st.just("LTRIM"), KEY, st.integers(-3, 3)),
    st.tuples(st.just("LMOVE"), KEY, KEY, SIDE, SIDE),
    st.tuples(st.just("DEL"), KEY),
)
STEP = st.one_of(
    st.tuples(st.just("cmd"), st.integers(0, 2), COMMAND),
    st.tuples(st.just("sync"), st.integers(0, 2), st.integers(0, 2)),
)


def describe(value: Value) -> Any:
    """A list with all its metadata: every element in order with its value, the
    write that set it and whether it is live."""
    assert isinstance(value, ListValue), value
    elems = value.elems
    return [(eid, elems[eid].data, elems[eid].vdot, elems[eid].live) for eid in value.seq]


def state(ks: Keyspace) -> dict[bytes, Any]:
    return keyspace_state(ks, describe)


def shown(region: Region, key: bytes) -> list[bytes]:
    value = region.node.keyspace.data.get(key)
    return value.range(0, len(value)) if isinstance(value, ListValue) else []


class World:
    """Three regions running list commands with unique values, partially synced."""

    def __init__(self) -> None:
        self.regions = [Region(name) for name in ("eu", "us", "ap")]
        self.counter = 0

    def play(self, steps: list[Any]) -> None:
        for step in steps:
            if step[0] == "cmd":
                self.run(self.regions[step[1]], step[2])
            elif step[1] != step[2]:
                self.regions[step[2]].sync_from(self.regions[step[1]])

    def fresh(self) -> bytes:
        self.counter += 1
        return b"v%d" % self.counter

    def run(self, region: Region, command: tuple[Any, ...]) -> None:
        name, key, arg = command[0], command[1], command[2] if len(command) > 2 else 0
        items = shown(region, key)
        if name in ("LPUSH", "RPUSH"):
            region(name, key, *[self.fresh() for _ in range(arg)])
        elif name in ("LPOP", "RPOP"):
            region(name, key, *([str(arg)] if arg else []))
        elif name in ("BEFORE", "AFTER") and items:
            region("LINSERT", key, name, items[arg % len(items)], self.fresh())
        elif name == "LSET" and items:
            region("LSET", key, str(arg % len(items)), self.fresh())
        elif name == "LREM" and items:
            region("LREM", key, str(arg % 3 - 1), items[arg % len(items)])
        elif name == "LTRIM":
            region("LTRIM", key, str(arg), str(arg + 2))
        elif name == "LMOVE":
            region("LMOVE", *command[1:])
        elif name == "DEL":
            region("DEL", key)


def snapshot_of(region: Region) -> Keyspace:
    """The peer's state as a full sync ships it: through the snapshot codec."""
    remote = Keyspace(region.name)
    load(remote, encode_keyspace(region.node.keyspace))
    for origin, seq in region.node.keyspace.applied.items():
        remote.note_seq(origin, seq)
    return remote


@settings(max_examples=300, deadline=None)
@given(
    st.lists(STEP, max_size=30),
    st.lists(COMMAND, max_size=5),
    st.lists(COMMAND, max_size=3),
    st.integers(0, 2),
    st.integers(1, 2),
)
def test_merging_a_peers_lists_equals_applying_both_sides_records(
    steps: list[Any],
    meanwhile: list[tuple[Any, ...]],
    after: list[tuple[Any, ...]],
    into: int,
    offset: int,
) -> None:
    world = World()
    world.play(steps)
    receiver, peer = world.regions[into], world.regions[(into + offset) % 3]
    remote = snapshot_of(peer)
    for command in meanwhile:  # local writes while the snapshot travels
        world.run(receiver, command)
    reference = replay([*receiver.log, *peer.log])

    ks = receiver.node.keyspace
    KeyspaceMerge(ks, remote).merge_all()
    if remote.vv:
        receiver.node.hlc.observe(max(remote.vv.values()))  # as the subscriber does
    assert state(ks) == state(reference)
    assert (ks.vv, ks.applied) == (reference.vv, reference.applied)
    # Writes after the merge (anchored on elements either side brought) apply
    # on top of it as on the reference.
    merged_at = len(receiver.log)
    for command in after:
        world.run(receiver, command)
    later = replay([*receiver.log[:merged_at], *peer.log, *receiver.log[merged_at:]])
    assert state(ks) == state(later)


Side = tuple[ListValue | None, dict[str, int]]


def side(ks: Keyspace, key: bytes) -> Side:
    return ks.typed(key, ListValue), dict(ks.vv)


def join(x: Side, y: Side) -> tuple[ListValue, dict[str, int]]:
    """Join two (list, causal context) states; the result saw what either saw."""
    ctx = dict(x[1])
    for origin, stamp in y[1].items():
        ctx[origin] = max(stamp, ctx.get(origin, -1))
    return join_list(x[0], y[0], x[1], y[1]), ctx


def same(x: Side, y: Side) -> bool:
    def rendered(s: Side) -> Any:
        return [] if s[0] is None else describe(s[0])

    return bool(rendered(x) == rendered(y))


@settings(max_examples=300, deadline=None)
@given(st.lists(STEP, max_size=30), KEY)
def test_list_join_is_applying_the_union_of_records_and_a_semilattice(
    steps: list[Any], key: bytes
) -> None:
    world = World()
    world.play(steps)
    sides = [side(region.node.keyspace, key) for region in world.regions]
    for i, region in enumerate(world.regions):
        assert same(join(sides[i], sides[i]), sides[i])
        for j, other in enumerate(world.regions):
            both = side(replay([*region.log, *other.log]), key)
            assert same(join(sides[i], sides[j]), both)
            assert same(join(sides[i], sides[j]), join(sides[j], sides[i]))
    a, b, c = sides
    assert same(join(join(a, b), c), join(a, join(b, c)))


def test_anchors_read_back_the_insert_structure() -> None:
    """RGA order from the anchors; anchors from the order: they invert each other."""
    a, b, c, d = (1, "eu", 0), (2, "us", 0), (3, "eu", 0), (4, "ap", 0)
    # b after a; d after a (newer: first); c after b.
    order = rga_order({a: (-1, "", 0), b: a, c: b, d: a})
    assert order == [a, d, b, c]
    assert anchors(order) == {a: (-1, "", 0), b: a, c: b, d: a}


COLLECTING = st.one_of(STEP, st.tuples(st.just("collect"), st.integers(0, 2)))


@settings(max_examples=300, deadline=None)
@given(st.lists(COLLECTING, max_size=30), KEY)
def test_with_collected_tombstones_the_list_join_commutes_keeps_orders_and_shown_elements(
    steps: list[Any], key: bytes
) -> None:
    world = World()
    for step in steps:
        if step[0] == "collect":  # what a region without peers collects
            for value, _ in world.regions[step[1]].node.keyspace.values_of(key):
                if isinstance(value, ListValue):
                    value.compact()
        else:
            world.play([step])
    sides = [side(region.node.keyspace, key) for region in world.regions]
    for a in sides:
        assert same(join(a, a), a)
        for b in sides:
            joined = join(a, b)[0]
            assert same((joined, {}), join(b, a))
            for eid in [] if a[0] is None else a[0].vis:
                held = None if b[0] is None else b[0].elems.get(eid)
                unseen = eid[0] > b[1].get(eid[1], -1)
                if (held is not None and held.live) or (held is None and unseen):
                    assert eid in joined.vis
                elif held is None:  # b removed it, then collected the tombstone
                    assert not joined.elems[eid].live
            if a[0] is not None:
                order = [eid for eid in joined.seq if eid in a[0].elems]
                assert order == list(a[0].seq)


@pytest.mark.parametrize(
    "inserts",
    [
        # v7 older than v5: eu, lacking v3, reads v7's anchor as v1 (older than v3).
        [("RPUSH", "v7"), ("LINSERT", "AFTER", "v1", "v5")],
        # v7 newest: eu reads its anchor as v5 (newer than v3).
        [("LINSERT", "AFTER", "v1", "v5"), ("LINSERT", "AFTER", "v3", "v7")],
    ],
)
def test_an_anchor_one_side_collected_is_read_from_the_side_that_holds_it(
    inserts: list[tuple[str, ...]],
) -> None:
    eu, us = Region("eu"), Region("us")
    eu("RPUSH", KEYS[0], "v1")
    eu("LINSERT", KEYS[0], "AFTER", "v1", "v3")
    for command in inserts:
        eu(command[0], KEYS[0], *command[1:])
    assert eu("LRANGE", KEYS[0], "0", "-1") == [b"v1", b"v5", b"v3", b"v7"]
    us.sync_from(eu)
    eu("LREM", KEYS[0], "0", "v3")
    mine, theirs = side(eu.node.keyspace, KEYS[0]), side(us.node.keyspace, KEYS[0])
    assert mine[0] is not None and mine[0].compact() == 1
    # v7's anchor is v3, which us holds and eu removed: v7 stays after v3, and
    # v3 stays removed.
    for joined, _ in (join(mine, theirs), join(theirs, mine)):
        assert [joined.data(eid) for eid in joined.seq] == [b"v1", b"v5", b"v3", b"v7"]
        assert joined.range(0, 3) == [b"v1", b"v5", b"v7"]
