"""used_memory in INFO and maxmemory with the noeviction policy, on a real server.

OOM replies are compared byte for byte with redis-server 7.0.15 (both servers
get maxmemory 1 byte, so every growing write is refused on both).
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterator

import pytest
import redis

from tests.conftest import Process, start_geokv, start_redis
from tests.integration.compare import execute
from tests.integration.raw import Raw

MB = 1024 * 1024
VALUE = b"x" * 1000
KEYS = 50_000  # ~50 MB of values


@pytest.fixture(scope="module")
def geokv(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    # appendfsync always: the binlog holds no unsynced records whose values
    # would count in used_memory (honestly, but not what these tests measure).
    server = start_geokv(tmp_path_factory.mktemp("memory"), "--appendfsync", "always")
    yield server
    server.stop()


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    server = start_redis(tmp_path_factory.mktemp("memory-ref"))
    yield server
    server.stop()


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def client(request: pytest.FixtureRequest, geokv: Process) -> Iterator[redis.Redis]:
    with contextlib.closing(
        redis.Redis(port=geokv.port, protocol=request.param, socket_timeout=30)
    ) as conn:
        conn.config_set("maxmemory", "0")
        conn.flushall()
        settle(conn)
        yield conn
        conn.config_set("maxmemory", "0")


def used_memory(conn: redis.Redis) -> int:
    return int(conn.info("memory")["used_memory"])


def settle(conn: redis.Redis) -> None:
    """Wait (at most 5 s) until the previous test's tombstones are collected: the
    cron collects a bounded number of keys per tick, and memory they free while
    a test loads would hide the growth it measures."""
    deadline = time.monotonic() + 5
    previous = used_memory(conn)
    while time.monotonic() < deadline:
        time.sleep(0.3)
        current = used_memory(conn)
        if current > previous - (1 << 20):  # less than 1 MiB freed in 0.3 s: settled
            return
        previous = current


def load(conn: redis.Redis) -> None:
    pipe = conn.pipeline(transaction=False)
    for i in range(KEYS):
        pipe.set(b"key:%d" % i, VALUE)
        if i % 1000 == 999:
            pipe.execute()
    pipe.execute()


def test_used_memory_grows_with_data(client: redis.Redis) -> None:
    before = used_memory(client)
    load(client)
    assert client.dbsize() == KEYS
    assert used_memory(client) - before >= KEYS * len(VALUE)


def test_used_memory_drops_after_flushall(client: redis.Redis) -> None:
    load(client)
    loaded = used_memory(client)
    client.flushall()
    # Deleted keys stay as tombstones until the next background cycle collects them.
    deadline = time.monotonic() + 5
    while loaded - used_memory(client) < 0.9 * KEYS * len(VALUE) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert loaded - used_memory(client) >= 0.9 * KEYS * len(VALUE)


def test_maxmemory_below_used_refuses_growing_writes(client: redis.Redis) -> None:
    client.set("k", "v")
    client.set("n", 1)
    client.config_set("maxmemory", str(used_memory(client) // 2))
    oom = "command not allowed when used memory > 'maxmemory'."
    for write in (("SET", "k2", "v"), ("APPEND", "k", "x"), ("INCR", "n"), ("MSET", "a", "b")):
        with pytest.raises(redis.exceptions.OutOfMemoryError, match=oom):
            execute(client, *write)
    assert client.get("k") == b"v"
    assert client.exists("k", "k2") == 1
    assert client.delete("k") == 1
    assert client.get("k") is None
    client.config_set("maxmemory", "0")
    assert client.set("k2", "v")


def test_oom_replies_match_redis(geokv: Process, reference: Process) -> None:
    commands = [
        ("SET", "k", "v"),
        ("CONFIG", "SET", "maxmemory", "1"),
        ("SET", "k2", "v"),
        ("SETEX", "k2", "10", "v"),
        ("GET", "k"),
        ("EXPIRE", "k", "100"),
        ("MULTI",),
        ("GET", "k"),
        ("EXEC",),
        ("DEL", "k"),
        ("FLUSHALL",),
        ("CONFIG", "SET", "maxmemory", "0"),
        ("SET", "k2", "v"),
    ]
    replies = []
    for server in (reference, geokv):
        conn = Raw(server.port)
        try:
            conn.call("FLUSHALL")
            replies.append([conn.call(*c) for c in commands])
        finally:
            conn.call("CONFIG", "SET", "maxmemory", "0")
            conn.close()
    for command, want, have in zip(commands, *replies, strict=True):
        assert have == want, command
    assert replies[0][2] == b"-OOM command not allowed when used memory > 'maxmemory'.\r\n"
