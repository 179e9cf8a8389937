"""A region whose log may lack records of its own that peers hold makes no record
of its own (node/runmark.py, `Node.own_records_missing`): when its log is empty,
or after an unclean stop followed by a reboot; not after a clean stop, a process
crash on the same boot, or without peers."""

from __future__ import annotations

import asyncio

import pytest

from binlog import MemoryFS
from node.client import Client
from node.clock import ManualClock
from node.config import Config
from node.core import Node
from node.dispatch import dispatch
from node.effects import MemorySink
from node.errors import EXECABORT, LOADING
from node.persistence import Persistence
from node.reply import OK, QUEUED, Error
from node.runmark import (
    MARKER,
    RESUMED,
    mark_running,
    mark_stopped,
    note_resumed,
    own_records_doubt,
    resumptions,
)

BOOT, REBOOT = "boot-1", "boot-2"


def test_an_empty_log_is_a_doubt_whatever_the_marker() -> None:
    fs = MemoryFS()
    assert own_records_doubt(fs, empty=True, boot=BOOT) is not None
    mark_stopped(fs)  # no marker: nothing to remove
    assert own_records_doubt(fs, empty=False, boot=BOOT) is None


def test_an_unclean_stop_is_a_doubt_only_after_a_reboot() -> None:
    fs = MemoryFS()
    mark_running(fs, BOOT)
    assert own_records_doubt(fs, empty=False, boot=BOOT) is None  # a process crash
    assert own_records_doubt(fs, empty=False, boot=REBOOT) is not None
    assert own_records_doubt(fs, empty=False, boot="") is not None  # boot unknown
    mark_running(fs, REBOOT)  # the next run replaces the marker
    assert own_records_doubt(fs, empty=False, boot=REBOOT) is None
    mark_stopped(fs)
    assert MARKER not in fs.listdir()
    assert own_records_doubt(fs, empty=False, boot=BOOT) is None


def test_the_marker_survives_a_power_cut() -> None:
    fs = MemoryFS()
    mark_running(fs, BOOT)
    assert own_records_doubt(fs.crash(), empty=False, boot=REBOOT) is not None


def _open(fs: MemoryFS, boot: str, peers: str = "us=127.0.0.1:1") -> tuple[Node, Persistence]:
    config = Config()
    config.set_many([("region-id", "eu"), ("peers", peers)], at_start=True)
    node = Node(config, clock=ManualClock())
    return node, Persistence.open(node, fs, boot=boot)


def test_persistence_holds_the_node_after_an_unclean_stop_and_a_reboot() -> None:
    async def scenario() -> None:
        fs = MemoryFS()
        node, p = _open(fs, BOOT)
        assert node.own_records_missing  # an empty log, with peers
        node.own_records_missing = False
        client = Client()
        node.connect(client)
        assert dispatch(node, client, [b"SET", b"k", b"v"]) == OK
        await p.log.durable(p.log.end)
        disk = fs.crash()  # no clean stop
        again, q = _open(disk, BOOT)
        assert not again.own_records_missing  # the same boot: the page cache was kept
        await q.log.durable(q.log.end)
        rebooted = disk.crash()
        again, q = _open(rebooted, REBOOT)
        assert again.own_records_missing
        assert again.seq == 1
        await q.close()
        again, _ = _open(rebooted, BOOT)
        assert not again.own_records_missing  # stopped cleanly: nothing to doubt

    asyncio.run(asyncio.wait_for(scenario(), 30))


def test_without_peers_nothing_is_held() -> None:
    node, _ = _open(MemoryFS(), BOOT, peers="")
    assert not node.own_records_missing


@pytest.fixture
def held() -> tuple[Node, Client, MemorySink]:
    sink = MemorySink()
    node = Node(clock=ManualClock(), sink=sink)
    client = Client()
    node.connect(client)
    assert dispatch(node, client, [b"SET", b"gone", b"v", b"PX", b"10"]) == OK
    assert dispatch(node, client, [b"SET", b"k", b"v"]) == OK
    node.own_records_missing = True
    return node, client, sink


def test_a_held_node_refuses_writes_and_serves_reads(held: tuple[Node, Client, MemorySink]) -> None:
    node, client, sink = held
    before = len(sink.records)
    assert dispatch(node, client, [b"SET", b"k", b"w"]) == Error(LOADING)
    assert dispatch(node, client, [b"INCR", b"n"]) == Error(LOADING)
    assert dispatch(node, client, [b"GET", b"k"]) == b"v"
    assert dispatch(node, client, [b"MULTI"]) == OK  # refused when queued, as MISCONF is
    assert dispatch(node, client, [b"SET", b"k", b"w"]) == Error(LOADING)
    assert dispatch(node, client, [b"GET", b"k"]) == QUEUED
    assert dispatch(node, client, [b"EXEC"]) == Error(EXECABORT)
    assert len(sink.records) == before
    node.own_records_missing = False
    assert dispatch(node, client, [b"SET", b"k", b"w"]) == OK
    assert sink.records[-1].seq == before + 1


def test_a_held_node_expires_nothing_but_shows_the_key_gone(
    held: tuple[Node, Client, MemorySink],
) -> None:
    node, client, sink = held
    assert isinstance(node.clock, ManualClock)
    node.clock.advance(20)
    before = len(sink.records)
    assert dispatch(node, client, [b"GET", b"gone"]) is None
    assert node.keyspace.expire_due(node.clock.wall_ms(), 10) == 1
    assert len(sink.records) == before  # no delete: it would take a seq
    node.own_records_missing = False
    assert dispatch(node, client, [b"GET", b"gone"]) is None
    assert len(sink.records) == before + 1  # the delete, once writes are open


def test_a_held_node_refuses_a_publish_its_peers_would_get(
    held: tuple[Node, Client, MemorySink],
) -> None:
    node, client, sink = held
    before = len(sink.records)
    assert dispatch(node, client, [b"PUBLISH", b"ch", b"m"]) == 0  # peers get no messages
    node.replicate_publish = True
    assert dispatch(node, client, [b"PUBLISH", b"ch", b"m"]) == Error(LOADING)
    assert dispatch(node, client, [b"MULTI"]) == OK
    assert dispatch(node, client, [b"PUBLISH", b"ch", b"m"]) == Error(LOADING)
    assert dispatch(node, client, [b"EXEC"]) == Error(EXECABORT)
    assert len(sink.records) == before
    node.own_records_missing = False
    assert dispatch(node, client, [b"PUBLISH", b"ch", b"m"]) == 0
    assert len(sink.records) == before + 1


def test_resumptions_are_read_back_in_order_and_a_torn_line_is_skipped() -> None:
    fs = MemoryFS()
    assert resumptions(fs) == []
    note_resumed(fs, 1, 7_000)
    note_resumed(fs, 40, 9_000)
    f = fs.open_append(RESUMED)
    f.write(b"77 12")  # a power cut in the middle of the third note ("77 1234\n")
    f.fsync()
    disk = fs.crash()
    assert resumptions(disk) == [(1, 7_000), (40, 9_000)]
