"""Snapshots of the node's keyspace: taken while writes go on, recovered exactly,
freed when done, pinned in format, and not taken by every region at once.

Uses the persistence harness of test_persistence.py (`MemoryFS`, whose `crash()`
keeps only what was fsynced).
"""

from __future__ import annotations

import asyncio
import gc
import random
import time
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from binlog import MemoryFS
from node.client import Client
from node.clock import ManualClock
from node.config import Config
from node.core import Node
from node.dispatch import dispatch
from node.keyspace import Keyspace
from node.reply import OK
from node.snapshot import encode_keyspace, keys_of, load
from tests.node.test_persistence import drive, full_state, open_node, run
from tests.node.test_replay import COMMANDS


async def snapshot_with_writes(seed: int) -> None:
    fs = MemoryFS()
    clock = ManualClock()
    node, client, p = open_node(fs, clock)
    rng = random.Random(seed)
    drive(node, client, clock, rng, 150)
    task = asyncio.ensure_future(p.snapshot(chunk=2))
    steps = 0
    while not task.done() and steps < 1000:
        drive(node, client, clock, rng, 3)
        await asyncio.sleep(0)
        steps += 1
    await task
    drive(node, client, clock, rng, 50)
    await p.log.durable(p.log.end)
    disk = fs.crash()
    again, _, q = open_node(disk, clock)
    assert q.log.recovery.snapshot is not None
    assert q.log.recovery.records > 0, "records after the snapshot position were replayed"
    assert full_state(again.keyspace) == full_state(node.keyspace)


def test_a_snapshot_taken_while_writes_continue_recovers_the_live_keyspace() -> None:
    for seed in range(8):
        run(lambda seed=seed: snapshot_with_writes(seed))  # type: ignore[misc]


def test_a_key_rewritten_during_the_snapshot_is_saved_as_it_was() -> None:
    """Without copy-on-first-write this recovers a TTL the live key does not have:
    replaying EXPIRE over the key's later state survives the DEL that, live, removed it."""

    async def scenario() -> None:
        fs = MemoryFS()
        clock = ManualClock()
        node, client, p = open_node(fs, clock)
        for key in (b"a", b"k", b"z"):
            dispatch(node, client, [b"SET", key, b"old"])
        task = asyncio.ensure_future(p.snapshot(chunk=1))
        await asyncio.sleep(0)  # the snapshot has started at the current end of the log
        for argv in (
            [b"SET", b"k", b"v"],
            [b"EXPIRE", b"k", b"100"],
            [b"DEL", b"k"],
            [b"SET", b"k", b"w", b"KEEPTTL"],
        ):
            clock.advance(1)
            dispatch(node, client, argv)
        await task
        await p.log.durable(p.log.end)
        again, again_client, _ = open_node(fs.crash(), clock)
        assert dispatch(again, again_client, [b"TTL", b"k"]) == -1
        assert full_state(again.keyspace) == full_state(node.keyspace)

    run(scenario)


def test_a_snapshot_of_many_parts_recovers_every_key() -> None:
    """The encoding is kept in parts of about 1 MiB (node.persistence): 3 MiB of
    values and keys written into parts already saved recover exactly."""

    async def scenario() -> None:
        fs = MemoryFS()
        clock = ManualClock()
        node, client, p = open_node(fs, clock)
        for i in range(3000):
            dispatch(node, client, [b"SET", b"k%d" % i, b"%04d" % i * 256])
        task = asyncio.ensure_future(p.snapshot(chunk=500))
        await asyncio.sleep(0)
        for i in range(0, 3000, 7):  # saved before (in a full part) or after their write
            dispatch(node, client, [b"APPEND", b"k%d" % i, b"!"])
            await asyncio.sleep(0)
        await task
        await p.log.durable(p.log.end)
        again, again_client, q = open_node(fs.crash(), clock)
        assert q.log.recovery.snapshot is not None
        assert dispatch(again, again_client, [b"GET", b"k7"]) == b"0007" * 256 + b"!"
        assert full_state(again.keyspace) == full_state(node.keyspace)

    run(scenario)


def test_keys_created_and_a_flushall_during_the_snapshot_recover_exactly() -> None:
    async def scenario() -> None:
        fs = MemoryFS()
        clock = ManualClock()
        node, client, p = open_node(fs, clock)
        for i in range(300):
            dispatch(node, client, [b"SET", b"old%d" % i, b"v"])
        task = asyncio.ensure_future(p.snapshot(chunk=10))
        await asyncio.sleep(0)  # P is taken; 10 keys saved
        dispatch(node, client, [b"SET", b"new", b"1"])  # not a key of P: saved as absent
        dispatch(node, client, [b"SET", b"new", b"2"])
        await asyncio.sleep(0)
        dispatch(node, client, [b"FLUSHALL"])  # saves every key of P not saved yet
        dispatch(node, client, [b"SET", b"after", b"3"])
        await task
        await p.log.durable(p.log.end)
        snapshot = p.log.recovery.snapshot
        again, again_client, q = open_node(fs.crash(), clock)
        assert q.log.recovery.snapshot is not None and q.log.recovery.snapshot != snapshot
        assert q.log.recovery.records == 4  # the writes after P, replayed over the snapshot
        assert full_state(again.keyspace) == full_state(node.keyspace)
        assert dispatch(again, again_client, [b"DBSIZE"]) == 1
        at_p = Keyspace("eu")
        load(at_p, q.log.recovery.snapshot.payload)  # the state at P, exactly
        assert set(at_p.data) == {b"old%d" % i for i in range(300)}

    run(scenario)


def test_a_finished_snapshot_is_freed_without_the_cycle_collector() -> None:
    # The server freezes long-lived objects (node/gcpolicy.py): a cycle through a
    # snapshot that ran for a while would keep its whole encoding until the next
    # walk of everything. Compiled code (node/native.py) made closures one.
    async def scenario() -> None:
        node, client, p = open_node(MemoryFS())
        for i in range(300):
            dispatch(node, client, [b"SET", b"k%d" % i, b"v"])
        gc.collect()
        gc.disable()
        gc.set_debug(gc.DEBUG_SAVEALL)
        try:
            task = asyncio.ensure_future(p.snapshot(chunk=10))
            await asyncio.sleep(0)
            dispatch(node, client, [b"SET", b"k1", b"w"])  # a copy on first write
            await task
            gc.collect()
            kept = [type(o).__name__ for o in gc.garbage]
        finally:
            gc.set_debug(0)
            gc.garbage.clear()
            gc.enable()
        assert not [name for name in kept if "KeySet" in name or "snapshot" in name], kept

    run(scenario)


SNAPSHOT_EVERY = 8192


async def first_snapshot_at(region: str, catching_up: bool = False) -> int:
    """The log position of a region's first snapshot, writing records of one size
    (then waiting: the snapshot may still be writing its file in a thread)."""
    node, client, p = open_node(MemoryFS(), region=region, fsync="no")
    node.config.set_many([("binlog-snapshot-every", str(SNAPSHOT_EVERY))])
    p.catching_up = lambda: catching_up
    deadline = time.monotonic() + 20
    i = 0
    while (snapshot := p.log.view.manifest.snapshot) is None:
        assert time.monotonic() < deadline, "no snapshot"
        if i < 2000:
            assert dispatch(node, client, [b"SET", b"k%04d" % i, b"v" * 40]) == OK
            i += 1
        p.tick()
        await asyncio.sleep(0 if i < 2000 else 0.001)
    await p.log.close()
    return snapshot.position


def test_regions_with_the_same_log_do_not_snapshot_at_the_same_record() -> None:
    async def go() -> None:
        at = [await first_snapshot_at(region) for region in ("eu", "us", "ap")]
        assert len(set(at)) == 3, at
        assert all(SNAPSHOT_EVERY <= position <= SNAPSHOT_EVERY * 1.25 + 200 for position in at)

    run(go)


def test_a_region_catching_up_snapshots_only_past_twice_the_interval() -> None:
    async def go() -> None:
        live, behind = await first_snapshot_at("eu"), await first_snapshot_at("eu", True)
        assert SNAPSHOT_EVERY <= live <= SNAPSHOT_EVERY * 1.25 + 200
        assert 2 * SNAPSHOT_EVERY <= behind <= 2 * SNAPSHOT_EVERY * 1.25 + 200

    run(go)


def test_snapshot_payload_round_trips_and_is_pinned() -> None:
    async def scenario() -> None:
        clock = ManualClock()
        node, client, _ = open_node(MemoryFS(), clock)
        dispatch(node, client, [b"SET", b"s", b"v", b"PXAT", b"1700000005000"])
        dispatch(node, client, [b"INCRBY", b"n", b"7"])
        dispatch(node, client, [b"SET", b"d", b"x"])
        dispatch(node, client, [b"DEL", b"d"])
        payload = encode_keyspace(node.keyspace)
        restored = Keyspace("eu")
        assert load(restored, payload) == 3
        assert full_state(restored)[:3] == full_state(node.keyspace)[:3]
        # Entries come in the keyspace's order (its shards': no promise), each pinned.
        golden = GOLDEN_HEAD + "".join(GOLDEN_ENTRIES[k] for k in keys_of(node.keyspace))
        assert payload.hex() == golden.replace(" ", "")

    run(scenario)


# Written by this version; later versions must keep reading it (see docs/binlog.md).
GOLDEN_HEAD = (
    "02"  # payload version
    "0102657588808080adf9e78b03"  # stamp vector: 1 origin, "eu", zigzag stamp
    "03"  # 3 entries
)
GOLDEN_ENTRIES = {
    b"s": "0173 01 01"  # s: shown, string
    "01 0176 80808080adf9e78b03 026575"  # register: has data, "v", stamp, "eu"
    "01 026575 80808080adf9e78b03 90eeabfef962",  # expiry: 1 entry, eu, SET's stamp, PXAT
    b"n": "016e 01 01"  # n: shown, string
    "02 01 00"  # counter only: no register (stamp -1, region "")
    "01026575000e82808080adf9e78b03 00"  # contrib eu=7; no baseline
    "00",  # no expiry entries
    b"d": "0164 00 01"  # d: tombstone, string
    "00 84808080adf9e78b03 026575 00",  # no data, register stamp kept, no expiry entries
}


@settings(max_examples=60, deadline=None)
@given(st.lists(COMMANDS, max_size=30))
def test_any_keyspace_round_trips_through_a_snapshot(script: list[tuple[Any, ...]]) -> None:
    config = Config()
    node = Node(config, clock=ManualClock())
    client = Client()
    node.connect(client)
    for argv in script:
        dispatch(node, client, [a if isinstance(a, bytes) else bytes(a) for a in argv])
    restored = Keyspace("local")
    load(restored, encode_keyspace(node.keyspace))
    assert full_state(restored)[:3] == full_state(node.keyspace)[:3]
