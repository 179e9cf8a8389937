"""Blocking pops through a real server: BLPOP, BRPOP and BLMOVE wait, wake, time out.

Connections are byte-exact `Raw` clients, so a blocked client's reply is read
off the wire exactly as sent. Before another client acts, each test waits
(bounded) until the server reports the expected number of blocked clients,
so the order of events is the one the test states, not a race.
"""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest

from tests.conftest import Process
from tests.integration.raw import Raw


@pytest.fixture(params=[False, True], ids=["resp2", "resp3"])
def conns(request: pytest.FixtureRequest, geokv_server: Process) -> Iterator[list[Raw]]:
    """Three connections to the shared server (RESP2 or RESP3), after a flush."""
    opened = [Raw(geokv_server.port, resp3=request.param) for _ in range(3)]
    opened[0].call("FLUSHALL")
    yield opened
    for conn in opened:
        conn.close()


def blocked_clients(conn: Raw) -> int:
    info = conn.call("INFO", "clients").decode()
    return int(info.split("blocked_clients:")[1].split("\r\n")[0])


def wait_blocked(conn: Raw, count: int) -> None:
    deadline = time.monotonic() + 5
    while blocked_clients(conn) != count:
        assert time.monotonic() < deadline, f"never reached {count} blocked clients"
        time.sleep(0.01)


def test_blpop_is_woken_by_another_clients_lpush(conns: list[Raw]) -> None:
    waiter, pusher, _ = conns
    waiter.send("BLPOP", "q", "0")
    wait_blocked(pusher, 1)
    assert pusher.call("LPUSH", "q", "hello") == b":1\r\n"
    assert waiter.read() == b"*2\r\n$1\r\nq\r\n$5\r\nhello\r\n"
    assert pusher.call("LLEN", "q") == b":0\r\n"
    assert blocked_clients(pusher) == 0


def test_timeout_returns_the_reference_null_reply(conns: list[Raw], redis_server: Process) -> None:
    waiter = conns[0]
    resp3 = waiter.call("HELLO").startswith(b"%")
    ref = Raw(redis_server.port, resp3=resp3)
    try:
        for command in (("BRPOP", "q", "0.05"), ("BLMOVE", "q", "d", "LEFT", "LEFT", "0.05")):
            assert waiter.call(*command) == ref.call(*command), command
    finally:
        ref.close()


def test_waiters_are_served_in_fifo_order(conns: list[Raw]) -> None:
    first, second, pusher = conns
    first.send("BRPOP", "q", "0")
    wait_blocked(pusher, 1)
    second.send("BRPOP", "other", "q", "0")
    wait_blocked(pusher, 2)
    pusher.call("RPUSH", "q", "1", "2")
    assert first.read() == b"*2\r\n$1\r\nq\r\n$1\r\n2\r\n"
    assert second.read() == b"*2\r\n$1\r\nq\r\n$1\r\n1\r\n"


def test_blmove_waits_then_moves(conns: list[Raw]) -> None:
    mover, pusher, _ = conns
    mover.send("BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
    wait_blocked(pusher, 1)
    pusher.call("RPUSH", "src", "a", "b")
    assert mover.read() == b"$1\r\nb\r\n"
    assert pusher.call("LRANGE", "dst", "0", "-1") == b"*1\r\n$1\r\nb\r\n"
    assert pusher.call("LRANGE", "src", "0", "-1") == b"*1\r\n$1\r\na\r\n"


def test_pipelined_commands_wait_behind_a_blocked_blpop(conns: list[Raw]) -> None:
    waiter, pusher, _ = conns
    waiter.sock.sendall(
        b"*3\r\n$5\r\nBLPOP\r\n$1\r\nq\r\n$1\r\n0\r\n*3\r\n$5\r\nRPUSH\r\n$4\r\nseen\r\n$1\r\nx\r\n"
    )
    wait_blocked(pusher, 1)
    # The RPUSH after the BLPOP has not run yet.
    assert pusher.call("EXISTS", "seen") == b":0\r\n"
    pusher.call("LPUSH", "q", "v")
    assert waiter.read() == b"*2\r\n$1\r\nq\r\n$1\r\nv\r\n"
    assert waiter.read() == b":1\r\n"
    assert pusher.call("EXISTS", "seen") == b":1\r\n"


def test_disconnect_while_blocked_forgets_the_client(conns: list[Raw]) -> None:
    waiter, pusher, _ = conns
    waiter.send("BLPOP", "q", "0")
    wait_blocked(pusher, 1)
    waiter.close()
    wait_blocked(pusher, 0)
    pusher.call("LPUSH", "q", "kept")
    assert pusher.call("LRANGE", "q", "0", "-1") == b"*1\r\n$4\r\nkept\r\n"


def test_client_kill_unblocks_and_closes(conns: list[Raw]) -> None:
    waiter, killer, _ = conns
    waiter_id = waiter.call("CLIENT", "ID")
    waiter.send("BLPOP", "q", "0")
    wait_blocked(killer, 1)
    assert killer.call("CLIENT", "KILL", "ID", waiter_id[1:-2]) == b":1\r\n"
    assert waiter.closed_by_peer()
    assert blocked_clients(killer) == 0
