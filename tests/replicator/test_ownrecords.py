"""The wait for this region's own records (replicator/ownrecords.py): writes open
once every peer said how far it holds them and they are applied, or when the
timeout passes, or at once when CONFIG SET makes it zero."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any

from binlog import MemoryFS
from node.clock import ManualClock
from node.config import Config
from node.core import Node
from node.effects import Record, SetStr
from node.runmark import resumptions
from replicator.ownrecords import OwnRecords


def run(coro: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(asyncio.wait_for(coro(), 30))


def started(peers: list[str], timeout: int = 30) -> tuple[Node, OwnRecords]:
    """A node held for its own records, and the wait for them (in a running loop)."""
    config = Config()
    config.set_many([("region-id", "eu"), ("own-records-timeout", str(timeout))], at_start=True)
    node = Node(config, clock=ManualClock())
    node.own_records_missing = True
    own = OwnRecords(node, peers)
    own.start()
    return node, own


def own_record(seq: int) -> Record:
    return Record("eu", seq, 1000 + seq, (SetStr(b"k%d" % seq, b"v"),), ())


def test_writes_open_once_every_peer_was_heard_and_its_records_applied() -> None:
    async def scenario() -> None:
        node, own = started(["us", "ap"])
        own.heard("us", 2)
        assert node.own_records_missing and own.status()[1] == ("own_records_waiting_for", "ap")
        own.heard("ap", 0)
        assert node.own_records_missing  # us holds two records of ours not applied yet
        node.apply_remote(own_record(1))
        own.check()
        assert node.own_records_missing
        node.apply_remote(own_record(2))
        own.check()
        assert not node.own_records_missing
        assert own.status() == [
            ("own_records_missing", 0),
            ("own_records_waiting_for", ""),
            ("own_records_conflicts", ""),
        ]

    run(scenario)


def test_writes_open_after_the_timeout_without_a_peer() -> None:
    async def scenario() -> None:
        node, _ = started(["us"], timeout=1)
        await asyncio.sleep(0.5)
        assert node.own_records_missing
        await asyncio.sleep(1.0)
        assert not node.own_records_missing

    run(scenario)


def test_config_set_of_a_zero_timeout_opens_writes_at_once() -> None:
    async def scenario() -> None:
        node, _ = started(["us"])
        await asyncio.sleep(0.05)
        assert node.own_records_missing
        node.config.set_many([("own-records-timeout", "0")])
        await asyncio.sleep(0.05)
        assert not node.own_records_missing

    run(scenario)


def test_a_held_node_without_peers_waits_for_nothing() -> None:
    async def scenario() -> None:
        node, _ = started([])
        assert not node.own_records_missing

    run(scenario)


def test_a_peer_holding_records_of_seqs_written_again_after_a_resumption_is_a_conflict() -> None:
    fs = MemoryFS()

    async def scenario() -> None:
        config = Config()
        config.set_many([("region-id", "eu"), ("own-records-timeout", "0")], at_start=True)
        node = Node(config, clock=ManualClock())
        node.own_records_missing = True  # a lost disk: seq 0 here, peers not heard
        own = OwnRecords(node, ["us", "ap", "sa"], fs)
        own.start()
        await asyncio.sleep(0.01)
        assert not node.own_records_missing  # resumed at seq 1, noted durably
        ((first, resumed_at),) = resumptions(fs)
        assert first == 1
        own.heard("us", 200, holds=200, stamp=resumed_at - 5)  # the lost records
        own.heard("ap", 3, holds=3, stamp=resumed_at + 2)  # records written since
        own.heard("sa", 0)  # none of ours
        assert own.status()[2] == ("own_records_conflicts", "us:200")
        # A power cut and a restart read the resumption back (it was fsynced).
        again = OwnRecords(node, ["us"], fs.crash())
        again.heard("us", 200, holds=200, stamp=resumed_at - 5)
        assert again.conflicts == {"us": 200}

    run(scenario)
