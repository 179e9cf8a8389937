"""The binlog as the node's persistence: recovery, acks, disk faults (snapshots: test_snapshots.py).

Runs a Node over the binlog on the in-memory file system (`MemoryFS`, whose
`crash()` keeps only what was fsynced) or a temporary directory, driven
through the dispatcher and the server's reply path.
"""

from __future__ import annotations

import asyncio
import random
import shutil
from collections.abc import Callable, Coroutine
from pathlib import Path
from typing import Any

from binlog import LogRecord, MemoryFS, RealFS, encode_record, read_from
from binlog.fs import FileSystem
from node.client import Client
from node.clock import ManualClock
from node.codec import decode_ops, encode_ops
from node.config import Config
from node.core import Node
from node.crdt.strings import StrValue
from node.dispatch import dispatch
from node.effects import Record, SetStr, apply_record
from node.keyspace import Keyspace
from node.persistence import Persistence, to_record
from node.reply import OK, Error
from node.server import RespProtocol, Server
from tests.node.test_replay import state

MISCONF_EIO = "MISCONF Errors writing to the AOF file: Input/output error"


def run(coro: Callable[[], Coroutine[Any, Any, None]]) -> None:
    asyncio.run(asyncio.wait_for(coro(), 30))


def open_node(
    fs: FileSystem, clock: ManualClock | None = None, region: str = "eu", fsync: str = "always"
) -> tuple[Node, Client, Persistence]:
    config = Config()
    config.set_many([("region-id", region), ("appendfsync", fsync)], at_start=True)
    node = Node(config, clock=clock or ManualClock())
    persistence = Persistence.open(node, fs)
    client = Client()
    node.connect(client)
    return node, client, persistence


async def acked(p: Persistence) -> None:
    position = p.hold_until()
    if position:
        await p.log.durable(position)


def full_state(ks: Keyspace) -> tuple[Any, ...]:
    hidden = {
        (k, kind): (v.data, v.stamp, v.region, None if v.counter is None else v.counter.observed())
        for k, values in ks.others.items()
        for kind, v in values.items()
        if isinstance(v, StrValue)
    }
    return state(ks), hidden, ks.vv, ks.applied


KEYS = [b"k%d" % i for i in range(12)]


def random_command(rng: random.Random, i: int) -> list[bytes]:
    key = rng.choice(KEYS)
    return rng.choice(
        [
            [b"SET", key, b"v%d" % i],
            [b"SET", key, b"v%d" % i, b"PX", b"%d" % rng.randrange(1, 3000)],
            [b"SET", key, b"w%d" % i, b"KEEPTTL"],
            [b"INCRBY", key, b"%d" % rng.randrange(-50, 50)],
            [b"INCRBYFLOAT", key, b"0.5"],
            [b"APPEND", key, b"x"],
            [b"DEL", key],
            [b"PEXPIRE", key, b"%d" % rng.randrange(1, 3000)],
            [b"PERSIST", key],
            [b"GET", key],
            [b"MSET", key, b"m", rng.choice(KEYS), b"n"],
        ]
    )


def drive(node: Node, client: Client, clock: ManualClock, rng: random.Random, n: int) -> None:
    for i in range(n):
        clock.advance(rng.randrange(0, 40))
        dispatch(node, client, random_command(rng, i))


def test_recovery_rebuilds_the_keyspace_and_the_clocks() -> None:
    async def scenario() -> None:
        fs = MemoryFS()
        clock = ManualClock()
        node, client, p = open_node(fs, clock)
        drive(node, client, clock, random.Random(1), 400)
        await p.log.durable(p.log.end)
        disk = fs.crash()
        again, again_client, q = open_node(disk, clock)
        assert full_state(again.keyspace) == full_state(node.keyspace)
        assert again.seq == node.seq > 0
        # The recovered keyspace is exactly a replay of the records on disk.
        replica = Keyspace("eu")
        for entry in read_from(q.log, 0):
            apply_record(replica, to_record(entry))
        assert state(replica) == state(again.keyspace)
        # New writes continue the origin's sequence and stamp order.
        dispatch(again, again_client, [b"SET", b"after", b"1"])
        assert q.log.vv["eu"] == node.seq + 1
        assert again.keyspace.vv["eu"] > node.keyspace.vv["eu"]

    run(scenario)


def test_records_carry_the_origins_the_writer_had_applied() -> None:
    async def scenario() -> None:
        fs = MemoryFS()
        peer, peer_client, peer_p = open_node(MemoryFS(), region="us")
        dispatch(peer, peer_client, [b"SET", b"a", b"1"])
        dispatch(peer, peer_client, [b"SET", b"b", b"2"])
        node, client, p = open_node(fs)
        await acked(peer_p)
        for entry in read_from(peer_p.log, 0):
            apply_record(node.keyspace, to_record(entry))
        dispatch(node, client, [b"SET", b"c", b"3"])
        await acked(p)
        records = [e.record for e in read_from(p.log, 0)]
        assert [(r.origin, r.seq, r.deps) for r in records] == [("eu", 1, {"us": 2})]

    run(scenario)


def test_a_torn_last_record_is_dropped_at_every_byte_offset(tmp_path: Path) -> None:
    source = tmp_path / "source"
    ends: list[int] = []

    async def write() -> None:
        node, client, p = open_node(RealFS(source))
        for i in range(5):
            dispatch(node, client, [b"SET", b"key%d" % i, b"value%d" % i])
            ends.append(p.position)
        await p.log.close()  # no snapshot: every record stays in the segment

    run(write)
    segment = "binlog.00000000000000000000.seg"
    for cut in range(ends[-2], ends[-1]):
        copy = tmp_path / f"cut{cut}"
        shutil.copytree(source, copy)
        with open(copy / segment, "r+b") as f:
            f.truncate(cut + 24)  # the segment header is 24 bytes

        async def check(copy: Path = copy, cut: int = cut) -> None:
            node, client, p = open_node(RealFS(copy))
            assert (p.log.recovery.truncated is not None) == (cut > ends[-2]), cut
            got = dispatch(node, client, [b"MGET", *(b"key%d" % i for i in range(5))])
            assert got == [b"value0", b"value1", b"value2", b"value3", None], cut
            assert node.seq == 4
            await p.log.close()

        run(check)


def test_a_failing_disk_refuses_writes_keeps_reads_and_recovers() -> None:
    async def scenario() -> None:
        fs = MemoryFS()
        node, client, p = open_node(fs)
        assert dispatch(node, client, [b"SET", b"a", b"1"]) == OK
        await acked(p)
        queued = Client()
        node.connect(queued)
        dispatch(node, queued, [b"MULTI"])
        dispatch(node, queued, [b"INCR", b"n"])
        fs.fail_writes = True
        dispatch(node, client, [b"SET", b"b", b"2"])
        position = p.hold_until()
        assert position > p.acknowledged
        try:
            await p.log.durable(position)
            raise AssertionError("a write the disk refused was acknowledged")
        except Exception as exc:
            assert type(exc).__name__ == "WriteFailed"
        assert dispatch(node, client, [b"SET", b"c", b"3"]) == Error(MISCONF_EIO)
        assert dispatch(node, client, [b"PING"]) == Error(MISCONF_EIO)
        assert dispatch(node, client, [b"GET", b"a"]) == b"1"
        # An EXEC of writes queued before the failure is refused as a whole.
        assert dispatch(node, queued, [b"EXEC"]) == Error(
            "EXECABORT Transaction discarded because of: " + MISCONF_EIO
        )
        dispatch(node, client, [b"MULTI"])
        assert dispatch(node, client, [b"INCR", b"n"]) == Error(MISCONF_EIO)
        dispatch(node, client, [b"DISCARD"])
        assert p.status()["aof_last_write_status"] == "err"
        fs.fail_writes = False
        for _ in range(60):  # the binlog retries every second
            if p.write_error() is None:
                break
            await asyncio.sleep(0.05)
        assert dispatch(node, client, [b"SET", b"c", b"3"]) == OK
        await acked(p)
        again, again_client, _ = open_node(fs.crash())
        got = dispatch(again, again_client, [b"MGET", b"a", b"b", b"c"])
        assert got == [b"1", b"2", b"3"]  # b was rewritten from memory once the disk recovered

    run(scenario)


class FakeTransport:
    def __init__(self) -> None:
        self.sent: list[bytes] = []
        self.closed = False

    def write(self, data: bytes) -> None:
        self.sent.append(data)

    def close(self) -> None:
        self.closed = True

    def is_closing(self) -> bool:
        return self.closed

    def get_extra_info(self, name: str) -> Any:
        return ("127.0.0.1", 1234) if name in ("peername", "sockname") else None

    def get_write_buffer_size(self) -> int:
        return 0


def connect(server: Server) -> tuple[RespProtocol, FakeTransport]:
    proto = RespProtocol(server, tls=False)
    transport = FakeTransport()
    proto.connection_made(transport)  # type: ignore[arg-type]
    return proto, transport


def test_replies_wait_for_the_fsync_and_keep_their_order() -> None:
    async def scenario() -> None:
        fs = MemoryFS()
        node, _, p = open_node(fs)
        server = Server(node, p)
        proto, transport = connect(server)
        proto.data_received(b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n")
        proto.data_received(b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n")
        assert transport.sent == [], "nothing is acknowledged before the fsync"
        await p.log.durable(p.log.end)
        await asyncio.sleep(0)
        assert b"".join(transport.sent) == b"+OK\r\n$1\r\n1\r\n"
        assert fs.fsyncs >= 1
        # A read-only chunk with nothing held goes out at once.
        proto.data_received(b"*2\r\n$3\r\nGET\r\n$1\r\na\r\n")
        assert transport.sent[-1] == b"$1\r\n1\r\n"

    run(scenario)


def test_a_failed_fsync_sends_no_reply_and_closes_the_connection() -> None:
    async def scenario() -> None:
        fs = MemoryFS()
        node, _, p = open_node(fs)
        server = Server(node, p)
        proto, transport = connect(server)
        fs.fail_fsyncs = True
        proto.data_received(b"*3\r\n$3\r\nSET\r\n$1\r\na\r\n$1\r\n1\r\n")
        for _ in range(100):
            if transport.closed:
                break
            await asyncio.sleep(0.01)
        assert transport.closed and transport.sent == []
        fs.fail_fsyncs = False

    run(scenario)


def test_a_power_cut_under_everysec_loses_at_most_about_a_second() -> None:
    async def scenario() -> None:
        fs = MemoryFS()
        node, client, p = open_node(fs, fsync="everysec")
        acked: list[tuple[bytes, float]] = []
        loop = asyncio.get_running_loop()
        start = loop.time()
        i = 0
        while loop.time() - start < 2.5 and i < 100_000:
            assert dispatch(node, client, [b"SET", b"k%d" % i, b"v"]) == OK
            position = p.hold_until()  # the reply waits for the write, not for an fsync
            for _ in range(100):
                if p.acknowledged >= position:
                    break
                await asyncio.sleep(0)
            assert p.acknowledged >= position, "the reply went once the record was written"
            acked.append((b"k%d" % i, loop.time()))
            i += 1
            await asyncio.sleep(0.002)
        cut = loop.time()
        again, again_client, _ = open_node(fs.crash(), fsync="everysec")
        for key, at in acked:
            if at <= cut - 1.5:
                assert dispatch(again, again_client, [b"GET", key]) == b"v", key
        assert fs.fsyncs >= 2, "the binlog fsynced about once a second"

    run(scenario)


def test_a_counter_deleted_collected_and_incremented_recovers_its_value() -> None:
    async def scenario() -> None:
        fs = MemoryFS()
        node, client, p = open_node(fs)
        dispatch(node, client, [b"INCRBY", b"c", b"5"])
        dispatch(node, client, [b"DEL", b"c"])
        node.collect_garbage()  # what the server's cron does every tick
        assert dispatch(node, client, [b"INCR", b"c"]) == 1
        await acked(p)
        again, again_client, _ = open_node(fs.crash())
        assert dispatch(again, again_client, [b"GET", b"c"]) == b"1"

    run(scenario)


def test_a_peers_record_is_logged_as_its_frame_not_encoded_again() -> None:
    async def scenario() -> None:
        fs = MemoryFS()
        node, _, p = open_node(fs)
        frame = encode_record(LogRecord("us", 1, 5 << 16, encode_ops((SetStr(b"a", b"f"),)), {}))
        # Ops that differ from the frame's show which of the two reaches the log.
        node.apply_remote(Record("us", 1, 5 << 16, (SetStr(b"a", b"ops"),), (), frame))
        await acked(p)
        [entry] = list(read_from(p.log, 0))
        assert entry.end - entry.position == len(frame)
        assert decode_ops(entry.record.payload) == (SetStr(b"a", b"f"),)

    run(scenario)
