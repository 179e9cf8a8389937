"""DEBUG BINLOG-FAULT, the disk nemesis on a real process: refused by default as Redis
refuses DEBUG; when enabled, a failing binlog disk gets writes MISCONF without losing
an acknowledged one, a slow disk only delays them, and `ok` lets writes resume."""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.conftest import Process, start_geokv, start_redis
from tests.integration.compare import execute

MISCONF = "MISCONF Errors writing to the AOF file: Input/output error"
FLAGS = ("--appendfsync", "always", "--enable-debug-command", "yes")


def _error(client: redis.Redis, *argv: object) -> str:
    with pytest.raises(redis.ResponseError) as exc:
        execute(client, *argv)
    return str(exc.value)


def test_debug_is_refused_by_default_with_redis_s_words(tmp_path: Path) -> None:
    geokv, reference = start_geokv(tmp_path), start_redis(tmp_path)
    try:
        ours, theirs = redis.Redis(port=geokv.port), redis.Redis(port=reference.port)
        for argv in (("DEBUG", "BINLOG-FAULT", "fail"), ("DEBUG", "SLEEP", "0")):
            assert _error(ours, *argv) == _error(theirs, "DEBUG", "SLEEP", "0")
        setting = ("CONFIG", "SET", "enable-debug-command", "yes")
        assert _error(ours, *setting) == _error(theirs, *setting)
        get = ("CONFIG", "GET", "enable-debug-command")
        got = {b"enable-debug-command": b"no"}
        assert execute(ours, *get) == execute(theirs, *get) == got
        assert ours.set("k", "v")
    finally:
        geokv.stop()
        reference.stop()


@pytest.fixture
def node(tmp_path: Path) -> Iterator[Process]:
    server = start_geokv(tmp_path, *FLAGS)
    yield server
    server.stop()


def _client(port: int) -> redis.Redis:
    # Never retried: a retry of a write whose connection closed could be refused
    # although the first try was applied.
    return redis.Redis(port=port, socket_timeout=10, retry=Retry(NoBackoff(), 0))


def _kill_and_restart(server: Process, tmp: Path) -> tuple[Process, redis.Redis]:
    server.proc.kill()
    server.proc.wait(10)
    server.stop()
    again = start_geokv(tmp, *FLAGS, port=server.port)
    return again, _client(again.port)


def _until(attempt: Callable[[], object], done: object, seconds: float = 10.0) -> list[object]:
    """Call `attempt` (a write) until its outcome is `done`; every outcome seen."""
    outcomes: list[object] = []
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline and (not outcomes or outcomes[-1] != done):
        outcomes.append(attempt())
        time.sleep(0.05)
    return outcomes


def test_a_failing_disk_refuses_writes_and_keeps_every_acknowledged_one(
    node: Process, tmp_path: Path
) -> None:
    client = _client(node.port)
    assert client.set("before", "1")
    assert execute(client, "DEBUG", "BINLOG-FAULT", "fail") == b"OK"

    def write(key: str) -> object:
        try:
            return client.set(key, "1")
        except redis.ResponseError as e:
            return str(e)
        except redis.ConnectionError:
            return "closed"  # accepted, then its fsync failed: never acknowledged

    tried: list[str] = []

    def write_next() -> object:
        tried.append(f"k{len(tried)}")
        return write(tried[-1])

    outcomes = _until(write_next, MISCONF)
    assert outcomes[-1] == MISCONF, outcomes
    refused = [key for key, outcome in zip(tried, outcomes, strict=True) if outcome == MISCONF]
    assert _error(client, "PING") == MISCONF  # as Redis while its AOF fails
    assert execute(client, "DEBUG", "BINLOG-FAULT", "ok") == b"OK"
    # The binlog retries the failed write about once a second.
    assert _until(lambda: write("after"), True)[-1] is True
    node, client = _kill_and_restart(node, tmp_path)
    try:
        assert client.get("before") == client.get("after") == b"1"
        assert refused and client.exists(*refused) == 0
    finally:
        node.stop()


def test_a_slow_disk_delays_acknowledgements_but_loses_nothing(
    node: Process, tmp_path: Path
) -> None:
    client = _client(node.port)
    assert execute(client, "DEBUG", "BINLOG-FAULT", "slow", 100) == b"OK"
    assert all(client.incrby("n", 1) == i for i in range(1, 6))
    node, client = _kill_and_restart(node, tmp_path)
    try:
        assert client.get("n") == b"5"
        assert execute(client, "DEBUG", "BINLOG-FAULT", "ok") == b"OK"
        assert _error(client, "DEBUG", "BINLOG-FAULT", "slow", "-1") == (
            "value is not an integer or out of range"
        )
        assert _error(client, "DEBUG", "BINLOG-FAULT", "sometimes") == (
            "unknown subcommand or wrong number of arguments for 'BINLOG-FAULT'. Try DEBUG HELP."
        )
    finally:
        node.stop()


def test_without_a_binlog_there_is_no_disk_to_fault(tmp_path: Path) -> None:
    server = start_geokv(tmp_path, "--appendonly", "no", "--enable-debug-command", "yes")
    try:
        client = redis.Redis(port=server.port)
        assert _error(client, "DEBUG", "BINLOG-FAULT", "fail") == (
            "the binlog is off (appendonly no)"
        )
    finally:
        server.stop()
