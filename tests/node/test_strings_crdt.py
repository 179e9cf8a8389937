"""String commands in two regions converge: the CRDT rules seen through real command handlers.

Each region is a `Node` with its own clock; commands go through the
dispatcher, and the effect records they produce are applied to the other
region's keyspace (or to fresh keyspaces) in every order a replicator could
deliver them. No server and no sockets.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from node.client import Client
from node.clock import ManualClock
from node.config import Config
from node.core import Node
from node.crdt.strings import StrValue
from node.dispatch import dispatch
from node.effects import MemorySink, Record, apply_record
from node.keyspace import Keyspace
from node.reply import Error
from tests.node.test_replay import state


class Region:
    def __init__(self, name: str, clock: ManualClock | None = None) -> None:
        config = Config()
        config.set_many([("region-id", name)], at_start=True)
        self.sink = MemorySink()
        self.clock = clock or ManualClock()
        self.node = Node(config, clock=self.clock, sink=self.sink)
        self.client = Client()
        self.node.connect(self.client)
        self.shipped = 0

    def __call__(self, *args: str | bytes) -> Any:
        argv = [a.encode() if isinstance(a, str) else a for a in args]
        reply = dispatch(self.node, self.client, argv)
        assert not isinstance(reply, Error), reply
        return reply

    def take(self) -> list[Record]:
        """The records written since the last take."""
        records = self.sink.records[self.shipped :]
        self.shipped = len(self.sink.records)
        return records

    def receive(self, records: list[Record]) -> None:
        for record in records:
            apply_record(self.node.keyspace, record)
            # The replicator's job: later local writes must be stamped after what was seen.
            self.node.hlc.observe(record.stamp + len(record.ops) - 1)


def interleavings(a: list[Record], b: list[Record]) -> Iterator[list[Record]]:
    """Every merge of two regions' streams that keeps each region's own order."""
    if not a or not b:
        yield a + b
        return
    for rest in interleavings(a[1:], b):
        yield [a[0], *rest]
    for rest in interleavings(a, b[1:]):
        yield [b[0], *rest]


def converged(
    key: bytes, a: list[Record], b: list[Record], base: Sequence[Record] = ()
) -> bytes | None:
    """The value `key` has after every delivery order; asserts all orders agree."""
    values = set()
    for order in interleavings(a, b):
        ks = Keyspace("observer")
        for record in [*base, *order]:
            apply_record(ks, record)
        value = ks.data.get(key)
        assert value is None or isinstance(value, StrValue)
        values.add(None if value is None else value.get())
    assert len(values) == 1, values
    return values.pop()


def test_concurrent_incrby_in_two_regions_sum_up() -> None:
    eu, us = Region("eu"), Region("us")
    assert eu("INCRBY", "c", "5") == 5
    assert eu("INCRBY", "c", "2") == 7
    assert us("INCRBY", "c", "-3") == -3
    from_eu, from_us = eu.take(), us.take()
    assert converged(b"c", from_eu, from_us) == b"4"
    eu.receive(from_us)
    us.receive(from_eu)
    assert eu("GET", "c") == us("GET", "c") == b"4"
    # Each region keeps adding to its own contribution after seeing the other's.
    assert us("INCR", "c") == 5
    eu.receive(us.take())
    assert eu("GET", "c") == b"5"


def test_concurrent_incrbyfloat_sums_and_reply_equals_get() -> None:
    eu, us = Region("eu"), Region("us")
    eu("SET", "f", "10.5")
    base = eu.take()
    us.receive(base)
    assert eu("INCRBYFLOAT", "f", "0.1") == b"10.6"
    assert us("INCRBYFLOAT", "f", "-1.1") == b"9.4"
    from_eu, from_us = eu.take(), us.take()
    assert converged(b"f", from_eu, from_us, base) == b"9.5"
    eu.receive(from_us)
    assert eu("INCRBYFLOAT", "f", "0.5") == eu("GET", "f") == b"10"


def test_set_concurrent_with_incr_keeps_the_unobserved_increment() -> None:
    eu, us = Region("eu"), Region("us")
    eu("SET", "c", "10")
    base = eu.take()
    us.receive(base)
    eu("SET", "c", "100")
    assert us("INCR", "c") == 11
    from_eu, from_us = eu.take(), us.take()
    assert converged(b"c", from_eu, from_us, base) == b"101"
    eu.receive(from_us)
    us.receive(from_eu)
    assert eu("GET", "c") == us("GET", "c") == b"101"


def test_set_that_observed_an_increment_replaces_it() -> None:
    eu, us = Region("eu"), Region("us")
    us("INCRBY", "c", "7")
    eu.receive(us.take())
    assert eu("GET", "c") == b"7"
    eu("SET", "c", "100")
    us.receive(eu.take())
    assert eu("GET", "c") == us("GET", "c") == b"100"
    # The overwritten contribution stays absorbed when the region increments again.
    assert us("INCR", "c") == 101
    eu.receive(us.take())
    assert eu("GET", "c") == b"101"


def lww_winner(a: Record, b: Record) -> Record:
    return max(a, b, key=lambda record: (record.stamp, record.origin))


def test_concurrent_sets_are_decided_by_stamp_then_region() -> None:
    shared = ManualClock()
    eu, us = Region("eu", shared), Region("us", shared)
    eu("SET", "k", "from-eu")
    us("SET", "k", "from-us")
    [from_eu], [from_us] = eu.take(), us.take()
    # Same wall clock, same stamp: the region id breaks the tie.
    assert from_eu.stamp == from_us.stamp
    assert converged(b"k", [from_eu], [from_us]) == b"from-us"
    eu.receive([from_us])
    us.receive([from_eu])
    assert eu("GET", "k") == us("GET", "k") == b"from-us"


def test_a_later_stamp_wins_whatever_the_region() -> None:
    eu, us = Region("eu", ManualClock(2_000_000_000_000)), Region("us", ManualClock())
    eu("SET", "k", "from-eu")
    us("SET", "k", "from-us")
    [from_eu], [from_us] = eu.take(), us.take()
    assert lww_winner(from_eu, from_us) is from_eu
    assert converged(b"k", [from_eu], [from_us]) == b"from-eu"
    eu.receive([from_us])
    us.receive([from_eu])
    assert eu("GET", "k") == us("GET", "k") == b"from-eu"


def test_applying_a_record_twice_changes_nothing() -> None:
    eu, us = Region("eu"), Region("us")
    scripts: list[tuple[str, ...]] = [
        ("SET", "k", "v", "PX", "100000"),
        ("INCRBY", "c", "5"),
        ("INCRBYFLOAT", "c", "1.5"),
        ("APPEND", "k", "w"),
        ("SETRANGE", "k", "4", "xyz"),
        ("SETBIT", "b", "9", "1"),
        ("GETEX", "k", "PERSIST"),
        ("MSET", "m1", "1", "m2", "2"),
        ("GETDEL", "m1"),
        ("BITOP", "NOT", "b2", "b"),
    ]
    for argv in scripts:
        eu(*argv)
        records = eu.take()
        assert records, argv
        us.receive(records)
        before = state(us.node.keyspace)
        us.receive(records)
        assert state(us.node.keyspace) == before, argv
    assert state(us.node.keyspace) == state(eu.node.keyspace)


def test_expiry_travels_as_an_absolute_time() -> None:
    eu_clock = ManualClock()
    eu, us = Region("eu", eu_clock), Region("us", ManualClock(eu_clock.now_ms + 5_000))
    eu("SET", "k", "v", "EX", "10")
    us.receive(eu.take())
    assert us.node.keyspace.ttl_ms(b"k") == eu_clock.now_ms + 10_000
    assert us("PTTL", "k") == 5_000


def test_getex_with_past_unix_time_deletes_everywhere() -> None:
    eu, us = Region("eu"), Region("us")
    eu("SET", "k", "v")
    us.receive(eu.take())
    assert eu("GETEX", "k", "EXAT", "1") == b"v"
    us.receive(eu.take())
    assert eu("EXISTS", "k") == us("EXISTS", "k") == 0


def test_increment_after_delete_converges_with_a_concurrent_increment() -> None:
    eu, us = Region("eu"), Region("us")
    eu("INCRBY", "c", "5")
    us.receive(eu.take())
    us("INCR", "c")
    eu("DEL", "c")
    eu("INCR", "c")
    from_eu, from_us = eu.take(), us.take()
    eu.receive(from_us)
    us.receive(from_eu)
    # us's increment was not observed by the DEL, eu's INCR came after it: 1 + 1.
    assert eu("GET", "c") == us("GET", "c") == b"2"


def test_flush_resets_counters_by_what_the_flushing_region_saw() -> None:
    eu, us = Region("eu"), Region("us")
    eu("INCRBY", "c", "5")
    us.receive(eu.take())
    us("INCRBY", "c", "3")  # concurrent with the flush below
    eu("FLUSHALL")
    from_eu, from_us = eu.take(), us.take()
    eu.receive(from_us)
    us.receive(from_eu)
    assert eu("GET", "c") == us("GET", "c") == b"3"


def test_deleted_values_stay_as_tombstones_until_collected() -> None:
    eu = Region("eu")
    eu("SET", "k", "v")
    eu("DEL", "k")
    assert eu("EXISTS", "k") == 0
    assert eu.node.keyspace.typed(b"k", StrValue) is not None
    assert eu.node.collect_garbage() == 1
    assert eu.node.keyspace.typed(b"k", StrValue) is None


def test_increment_after_collected_tombstone_agrees_with_a_peer_holding_it() -> None:
    eu, us = Region("eu"), Region("us")
    eu("INCRBY", "c", "5")
    eu("DEL", "c")
    us.receive(eu.take())
    eu.node.collect_garbage()  # eu forgets the tombstone; us still holds it
    assert eu("INCR", "c") == 1
    records = eu.take()
    us.receive(records)
    us.receive(records)  # and a duplicate delivery changes nothing
    assert us("GET", "c") == eu("GET", "c") == b"1"
