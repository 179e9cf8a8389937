"""Transactions at the node level, no server: one effect record per EXEC, WATCH bookkeeping.

A transaction must replicate atomically, so all its writes leave as one
record; WATCH follows Redis 7.0's rules for expired keys and flushes, which
need a clock driven by hand to pin down.
"""

from __future__ import annotations

from typing import Any

from node.client import Client
from node.clock import ManualClock
from node.config import Config
from node.core import Node
from node.crdt.strings import StrValue
from node.dispatch import dispatch
from node.effects import DelKey, IncrStr, MemorySink, SetStr, apply_record
from node.reply import NULL_ARRAY, QUEUED, Error


def make_node(region: str = "eu", clock: ManualClock | None = None) -> tuple[Node, MemorySink]:
    config = Config()
    config.set_many([("region-id", region)], at_start=True)
    sink = MemorySink()
    return Node(config, clock=clock or ManualClock(), sink=sink), sink


def connect(node: Node) -> Client:
    client = Client()
    node.connect(client)
    return client


def run(node: Node, client: Client, *commands: bytes) -> Any:
    """Dispatch space-separated commands; returns the last reply."""
    reply: Any = None
    for line in commands:
        reply = dispatch(node, client, line.split())
    return reply


def visible(node: Node) -> dict[bytes, tuple[bytes | None, int | None]]:
    """What clients can see: each key's value and expiry."""
    ks = node.keyspace
    out: dict[bytes, tuple[bytes | None, int | None]] = {}
    for key, value in ks.data.items():
        assert isinstance(value, StrValue)
        out[key] = (value.get(), ks.expires.get(key))
    return out


# -- one record per EXEC -------------------------------------------------------------------


def test_exec_is_one_record_with_the_ops_in_order() -> None:
    node, sink = make_node()
    client = connect(node)
    run(node, client, b"SET c gone")
    before = len(sink.records)
    assert run(node, client, b"MULTI") == "OK"
    for line in (b"SET a 1", b"INCR b", b"DEL c"):
        assert run(node, client, line) == QUEUED
    assert sink.records[before:] == []
    assert run(node, client, b"EXEC") == ["OK", 1, 1]
    assert len(sink.records) == before + 1
    ops = sink.records[-1].ops
    assert [type(op) for op in ops] == [SetStr, IncrStr, DelKey]
    assert [op.key for op in ops] == [b"a", b"b", b"c"]  # type: ignore[union-attr]

    fresh, _ = make_node("us")
    for record in sink.records:
        apply_record(fresh.keyspace, record)
    assert visible(fresh) == visible(node) == {b"a": (b"1", None), b"b": (b"1", None)}


def test_the_transaction_record_alone_carries_its_writes() -> None:
    node, sink = make_node()
    client = connect(node)
    run(node, client, b"MULTI", b"SET a 1", b"INCR b", b"DEL c", b"EXEC")
    assert len(sink.records) == 1
    fresh, _ = make_node("us")
    apply_record(fresh.keyspace, sink.records[0])
    assert visible(fresh) == visible(node) == {b"a": (b"1", None), b"b": (b"1", None)}


def test_a_failing_command_inside_exec_does_not_split_the_record() -> None:
    node, sink = make_node()
    client = connect(node)
    run(node, client, b"SET s text")
    reply = run(node, client, b"MULTI", b"SET a 1", b"INCR s", b"SET b 2", b"EXEC")
    assert reply[0] == "OK" and reply[2] == "OK"
    assert isinstance(reply[1], Error) and reply[1].startswith("ERR value is not an integer")
    assert len(sink.records) == 2
    assert [op.key for op in sink.records[-1].ops] == [b"a", b"b"]  # type: ignore[union-attr]


def test_aborted_and_discarded_transactions_write_nothing() -> None:
    node, sink = make_node()
    client = connect(node)
    assert run(node, client, b"MULTI", b"SET a 1", b"NOSUCH", b"EXEC").startswith("EXECABORT")
    assert run(node, client, b"MULTI", b"SET a 1", b"DISCARD") == "OK"
    assert sink.records == [] and visible(node) == {}
    assert client.multi is None


def test_exec_refused_when_out_of_memory_discards_the_transaction() -> None:
    node, sink = make_node()
    client = connect(node)
    run(node, client, b"MULTI", b"SET a 1")
    node.config.set_many([("maxmemory", "1")])
    assert run(node, client, b"EXEC") == (
        "EXECABORT Transaction discarded because of: "
        "OOM command not allowed when used memory > 'maxmemory'."
    )
    assert client.multi is None and sink.records == []


def test_commands_queued_while_out_of_memory_abort_the_transaction() -> None:
    node, _ = make_node()
    client = connect(node)
    node.config.set_many([("maxmemory", "1")])
    run(node, client, b"MULTI")
    # Even a read is refused: a MULTI queue must not grow without bound.
    assert run(node, client, b"GET a").startswith("OOM ")
    assert (
        run(node, client, b"EXEC") == "EXECABORT Transaction discarded because of previous errors."
    )


# -- WATCH and expiry (Redis 7.0 rules) -------------------------------------------------------


def test_watched_key_expiring_before_exec_aborts_even_if_not_yet_deleted() -> None:
    clock = ManualClock()
    node, _ = make_node(clock=clock)
    client = connect(node)
    run(node, client, b"SET k v PX 100", b"WATCH k")
    clock.advance(200)
    assert b"k" in node.keyspace.data  # no active expiry ran: still stored
    assert run(node, client, b"MULTI", b"PING", b"EXEC") is NULL_ARRAY


def test_key_already_expired_when_watched_is_no_change() -> None:
    clock = ManualClock()
    node, _ = make_node(clock=clock)
    client, other = connect(node), connect(node)
    run(node, client, b"SET k v PX 100")
    clock.advance(200)
    run(node, client, b"WATCH k")
    # Another client's read deletes the expired key: logically nothing changed.
    assert run(node, other, b"GET k") is None
    assert b"k" not in node.keyspace.data
    assert run(node, client, b"MULTI", b"PING", b"EXEC") == ["PONG"]


def test_key_expired_when_watched_then_written_aborts() -> None:
    clock = ManualClock()
    node, _ = make_node(clock=clock)
    client, other = connect(node), connect(node)
    run(node, client, b"SET k v PX 100")
    clock.advance(200)
    run(node, client, b"WATCH k")
    run(node, other, b"SET k fresh")
    assert run(node, client, b"MULTI", b"PING", b"EXEC") is NULL_ARRAY


def test_flushall_touches_only_watched_keys_that_existed() -> None:
    clock = ManualClock()
    node, _ = make_node(clock=clock)
    client, other = connect(node), connect(node)
    run(node, other, b"SET other 1", b"SET expired v PX 10")
    clock.advance(20)
    run(node, client, b"WATCH missing expired")
    run(node, other, b"FLUSHALL")
    assert run(node, client, b"MULTI", b"PING", b"EXEC") == ["PONG"]

    run(node, other, b"SET k 1")
    run(node, client, b"WATCH k")
    run(node, other, b"FLUSHALL")
    assert run(node, client, b"MULTI", b"PING", b"EXEC") is NULL_ARRAY


def test_exec_and_discard_forget_watches() -> None:
    node, _ = make_node()
    client, other = connect(node), connect(node)
    run(node, client, b"WATCH k", b"MULTI", b"EXEC")
    run(node, client, b"WATCH j", b"MULTI", b"DISCARD")
    assert node.watchers == {} and client.watched == {}
    run(node, other, b"SET k 1", b"SET j 1")
    assert run(node, client, b"MULTI", b"PING", b"EXEC") == ["PONG"]


def test_disconnect_forgets_watches() -> None:
    node, _ = make_node()
    client = connect(node)
    run(node, client, b"WATCH a b")
    node.disconnect(client)
    assert node.watchers == {}
