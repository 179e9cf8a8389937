"""Keyspace expiry and SCAN, and the effect ops the generic key commands write.

Driven in process with a ManualClock, so time moves only when a test says so:
active expiry finds every due key in order and within its budget, its heap
stays bounded, SCAN returns every key present for a whole iteration whatever
happens between calls, and key commands put only absolute times in their ops.
"""

from __future__ import annotations

import random
from collections.abc import Callable

import pytest

from node.client import Client
from node.clock import ManualClock
from node.core import Node
from node.dispatch import dispatch
from node.effects import NO_TTL, DelKey, MemorySink, SetExpire, SetStr, apply_record
from node.keyspace import Keyspace


def make_node() -> tuple[Node, Client, MemorySink, ManualClock]:
    clock = ManualClock()
    sink = MemorySink()
    node = Node(clock=clock, sink=sink)
    client = Client()
    node.connect(client)
    return node, client, sink, clock


def put(node: Node, key: bytes, expire_at: int = NO_TTL) -> None:
    node.write(SetStr(key, b"v", expire_at))
    node.commit()


# -- active expiry --------------------------------------------------------------------------


def test_expire_due_removes_due_keys_oldest_first_one_per_call_with_limit_1() -> None:
    node, _, _, clock = make_node()
    now = clock.now_ms
    offsets = list(range(1, 51))
    random.Random(7).shuffle(offsets)
    for offset in offsets:
        put(node, b"k%d" % offset, now + offset * 10)
    put(node, b"forever")
    put(node, b"later", now + 10_000)
    clock.advance(500)  # keys k1..k50 are due (the last at +500)
    node.tick()
    removed = []
    for _ in range(60):
        before = set(node.keyspace.data)
        if node.keyspace.expire_due(node.now_ms, 1) == 0:
            break
        (gone,) = before - set(node.keyspace.data)
        removed.append(gone)
    assert removed == [b"k%d" % i for i in range(1, 51)]
    assert set(node.keyspace.data) == {b"forever", b"later"}
    assert node.keyspace.expires == {b"later": now + 10_000}


def test_expire_due_stops_at_limit_and_reports_how_many() -> None:
    node, _, _, clock = make_node()
    for i in range(30):
        put(node, b"k%d" % i, clock.now_ms + 5)
    clock.advance(5)
    node.tick()
    assert node.keyspace.expire_due(node.now_ms, 20) == 20
    assert len(node.keyspace) == 10
    assert node.keyspace.expire_due(node.now_ms, 20) == 10
    assert len(node.keyspace) == 0
    assert node.keyspace.expired_keys == 30


def test_expire_due_writes_observed_remove_deletes_as_one_record() -> None:
    node, _, sink, clock = make_node()
    put(node, b"a", clock.now_ms + 1)
    put(node, b"b", clock.now_ms + 2)
    clock.advance(2)
    node.tick()
    node.keyspace.expire_due(node.now_ms, 10)
    node.commit()
    ops = sink.records[-1].ops
    assert [type(op) for op in ops] == [DelKey, DelKey]
    assert [op.key for op in ops if isinstance(op, DelKey)] == [b"a", b"b"]


def test_expire_due_skips_keys_whose_ttl_was_rewritten_or_removed() -> None:
    node, _, _, clock = make_node()
    now = clock.now_ms
    put(node, b"moved", now + 10)
    put(node, b"persisted", now + 10)
    node.write(SetExpire(b"moved", now + 1_000))
    node.write(SetExpire(b"persisted", NO_TTL))
    node.commit()
    clock.advance(20)
    node.tick()
    assert node.keyspace.expire_due(node.now_ms, 100) == 0
    assert set(node.keyspace.data) == {b"moved", b"persisted"}


def test_expiry_heap_stays_bounded_when_ttls_are_rewritten_many_times() -> None:
    node, _, _, clock = make_node()
    put(node, b"hot", clock.now_ms + 1_000)
    for i in range(20_000):
        node.write(SetExpire(b"hot", clock.now_ms + 1_000 + i))
    node.commit()
    # White box: the heap is compacted once stale entries outnumber live ones.
    assert len(node.keyspace._expiry_heap) <= 2 * len(node.keyspace.expires) + 1025
    clock.advance(30_000)
    node.tick()
    assert node.keyspace.expire_due(node.now_ms, 10) == 1
    assert len(node.keyspace) == 0


def test_expiry_heap_stays_bounded_under_create_delete_churn() -> None:
    node, _, _, clock = make_node()
    for i in range(20_000):
        key = b"tmp%d" % i
        put(node, key, clock.now_ms + 60_000)
        node.delete(key)
        node.commit()
    assert len(node.keyspace) == 0
    assert len(node.keyspace._expiry_heap) <= 2 * len(node.keyspace.expires) + 1025


# -- lazy expiry -----------------------------------------------------------------------------


def test_lookup_of_an_expired_key_deletes_it_through_a_record() -> None:
    node, _, sink, clock = make_node()
    put(node, b"k", clock.now_ms + 10)
    clock.advance(10)
    node.tick()
    assert node.keyspace.is_expired(b"k", node.now_ms)
    assert b"k" in node.keyspace.data  # is_expired only looks
    assert node.lookup(b"k") is None
    node.commit()
    assert b"k" not in node.keyspace.data
    assert isinstance(sink.records[-1].ops[0], DelKey)


# -- SCAN ------------------------------------------------------------------------------------


def full_scan(ks: Keyspace, count: int, between: Callable[[], None]) -> list[bytes]:
    seen: list[bytes] = []
    cursor = 0
    for _ in range(100_000):
        cursor, batch = ks.scan(cursor, count)
        seen.extend(batch)
        if cursor == 0:
            return seen
        between()
    raise AssertionError("SCAN did not finish")


@pytest.mark.parametrize("seed", range(8))
def test_scan_returns_every_key_present_for_the_whole_iteration_despite_churn(seed: int) -> None:
    rng = random.Random(seed)
    node, _, _, _ = make_node()
    stable = {b"stable%d" % i for i in range(300)}
    churn = [b"churn%d" % i for i in range(300)]
    for key in sorted(stable) + churn:
        put(node, key)
    fresh = iter(range(10**9))

    def mutate() -> None:
        for _ in range(rng.randrange(1, 15)):
            action = rng.random()
            if action < 0.4:
                put(node, b"new%d" % next(fresh))
            elif action < 0.8:
                node.delete(rng.choice(churn))
                node.commit()
            else:
                put(node, rng.choice(churn))  # deleted earlier: comes back elsewhere

    seen = full_scan(node.keyspace, rng.randrange(1, 25), mutate)
    assert stable <= set(seen)


def test_scan_keeps_its_guarantee_when_many_iterations_run_at_once() -> None:
    node, _, _, _ = make_node()
    keys = {b"k%d" % i for i in range(100)}
    for key in keys:
        put(node, key)
    cursor, first = node.keyspace.scan(0, 10)
    # Far more concurrent iterations than snapshots kept: the first one's is evicted.
    for _ in range(100):
        node.keyspace.scan(0, 1)
    seen = set(first)
    for _ in range(1000):
        cursor, batch = node.keyspace.scan(cursor, 10)
        seen.update(batch)
        if cursor == 0:
            break
    assert cursor == 0
    assert seen == keys


def test_scan_does_not_return_keys_deleted_before_their_turn() -> None:
    node, _, _, _ = make_node()
    for i in range(20):
        put(node, b"k%02d" % i)
    cursor, batch = node.keyspace.scan(0, 5)
    rest = set(node.keyspace.data) - set(batch)
    victim = sorted(rest)[0]
    node.delete(victim)
    node.commit()
    seen = set(batch)
    while cursor:
        cursor, batch = node.keyspace.scan(cursor, 5)
        seen.update(batch)
    assert victim not in seen
    assert seen == set(node.keyspace.data)


# -- ops written by the key commands ------------------------------------------------------------


def run(node: Node, client: Client, *argv: bytes) -> object:
    return dispatch(node, client, list(argv))


def test_expire_commands_write_absolute_times() -> None:
    node, client, sink, clock = make_node()
    put(node, b"k")
    run(node, client, b"EXPIRE", b"k", b"100")
    assert sink.records[-1].ops == (SetExpire(b"k", clock.now_ms + 100_000),)
    # Each later expiry write also names the expiry entry it replaces (its dot).
    replaced = node.keyspace.expiry_seen(b"k")
    run(node, client, b"PEXPIRE", b"k", b"250")
    assert sink.records[-1].ops == (SetExpire(b"k", clock.now_ms + 250, replaced),)
    replaced = node.keyspace.expiry_seen(b"k")
    run(node, client, b"PERSIST", b"k")
    assert sink.records[-1].ops == (SetExpire(b"k", NO_TTL, replaced),)


def test_expire_in_the_past_is_a_delete() -> None:
    node, client, sink, _ = make_node()
    put(node, b"k")
    assert run(node, client, b"EXPIREAT", b"k", b"1") == 1
    assert [type(op) for op in sink.records[-1].ops] == [DelKey]
    assert b"k" not in node.keyspace.data


def test_rename_writes_value_and_absolute_expiry_then_deletes_source() -> None:
    node, client, sink, clock = make_node()
    put(node, b"src", clock.now_ms + 5_000)
    put(node, b"dst")
    clock.advance(1_000)
    run(node, client, b"RENAME", b"src", b"dst")
    set_op, del_op = sink.records[-1].ops
    assert set_op == SetStr(b"dst", b"v", clock.now_ms + 4_000, ())
    assert isinstance(del_op, DelKey) and del_op.key == b"src"
    assert node.keyspace.expires == {b"dst": clock.now_ms + 4_000}
    # Replaying the records elsewhere, much later, gives the same state.
    replica = Keyspace("other")
    for record in sink.records:
        apply_record(replica, record)
    assert set(replica.data) == {b"dst"}
    assert replica.expires == node.keyspace.expires
