"""Blocking pops without a server: sessions, the blocking registry and a ManualClock.

Each client is a sans-I/O `Session`; what the registry sends a woken client
arrives through `client.send`, so the tests see exactly the bytes a socket
would carry. Timeouts are driven by the manual clock and `Blocking.expire`,
which the server's cron calls.
"""

from __future__ import annotations

from node.client import Client
from node.clock import ManualClock
from node.config import Config
from node.core import Node
from node.effects import MemorySink
from node.session import Session
from tests.node.crdt_harness import Region


def cmd(*args: str) -> bytes:
    out = [b"*%d\r\n" % len(args)]
    for arg in args:
        out.append(b"$%d\r\n%s\r\n" % (len(arg), arg.encode()))
    return b"".join(out)


class Conn:
    def __init__(self, node: Node) -> None:
        self.client = Client()
        self.sent: list[bytes] = []
        self.client.send = self.sent.append
        node.connect(self.client)
        self.session = Session(node, self.client)

    def __call__(self, *args: str) -> bytes:
        return self.session.receive(cmd(*args))

    def pushed(self) -> bytes:
        out = b"".join(self.sent)
        self.sent.clear()
        return out


def make_node(region: str = "eu") -> tuple[Node, ManualClock, MemorySink]:
    config = Config()
    config.set_many([("region-id", region)], at_start=True)
    clock = ManualClock()
    sink = MemorySink()
    return Node(config, clock=clock, sink=sink), clock, sink


def test_blpop_waits_and_is_woken_by_another_clients_push() -> None:
    node, _, _ = make_node()
    a, b = Conn(node), Conn(node)
    assert a("BLPOP", "q", "0") == b""
    assert len(node.blocking) == 1
    assert b("RPUSH", "q", "x", "y") == b":2\r\n"
    assert a.pushed() == b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n"
    assert b("LRANGE", "q", "0", "-1") == b"*1\r\n$1\r\ny\r\n"
    assert len(node.blocking) == 0


def test_waiters_are_served_in_fifo_order() -> None:
    node, _, _ = make_node()
    first, second, pusher = Conn(node), Conn(node), Conn(node)
    first("BRPOP", "q", "0")
    second("BRPOP", "other", "q", "0")
    pusher("LPUSH", "q", "1")
    assert first.pushed() == b"*2\r\n$1\r\nq\r\n$1\r\n1\r\n"
    assert second.pushed() == b""
    pusher("LPUSH", "q", "2")
    assert second.pushed() == b"*2\r\n$1\r\nq\r\n$1\r\n2\r\n"


def test_one_push_of_two_elements_serves_two_waiters() -> None:
    node, _, _ = make_node()
    first, second, pusher = Conn(node), Conn(node), Conn(node)
    first("BLPOP", "q", "0")
    second("BLPOP", "q", "0")
    pusher("RPUSH", "q", "1", "2")
    assert first.pushed() == b"*2\r\n$1\r\nq\r\n$1\r\n1\r\n"
    assert second.pushed() == b"*2\r\n$1\r\nq\r\n$1\r\n2\r\n"


def test_timeout_answers_a_null_array_and_resumes_pipelined_commands() -> None:
    node, clock, _ = make_node()
    a = Conn(node)
    # The PING waits behind the blocked BLPOP, as in Redis.
    assert a.session.receive(cmd("BLPOP", "q", "1.5") + cmd("PING")) == b""
    clock.advance(1000)
    assert node.blocking.expire(node) == 0
    clock.advance(600)
    assert node.blocking.expire(node) == 1
    assert a.pushed() == b"*-1\r\n+PONG\r\n"


def test_resp3_timeout_is_null() -> None:
    node, clock, _ = make_node()
    a = Conn(node)
    a("HELLO", "3")
    a("BLMOVE", "q", "d", "LEFT", "RIGHT", "0.01")
    clock.advance(20)
    node.blocking.expire(node)
    assert a.pushed() == b"_\r\n"


def test_blmove_serves_and_its_push_wakes_the_next_waiter() -> None:
    node, _, _ = make_node()
    mover, tail, pusher = Conn(node), Conn(node), Conn(node)
    mover("BLMOVE", "src", "dst", "RIGHT", "LEFT", "0")
    tail("BLPOP", "dst", "0")
    pusher("RPUSH", "src", "a", "b")
    assert mover.pushed() == b"$1\r\nb\r\n"
    assert tail.pushed() == b"*2\r\n$3\r\ndst\r\n$1\r\nb\r\n"
    assert pusher("LRANGE", "src", "0", "-1") == b"*1\r\n$1\r\na\r\n"
    assert pusher("EXISTS", "dst") == b":0\r\n"


def test_disconnect_while_blocked_forgets_the_client() -> None:
    node, _, _ = make_node()
    a, b = Conn(node), Conn(node)
    a("BLPOP", "q", "0")
    node.disconnect(a.client)
    assert len(node.blocking) == 0
    b("LPUSH", "q", "x")
    assert a.pushed() == b""
    assert b("LLEN", "q") == b":1\r\n"


def test_blocking_pop_inside_multi_does_not_block() -> None:
    node, _, _ = make_node()
    a = Conn(node)
    a("MULTI")
    a("BLPOP", "q", "0")
    a("BLMOVE", "q", "d", "LEFT", "LEFT", "0")
    assert a("EXEC") == b"*2\r\n*-1\r\n$-1\r\n"
    assert len(node.blocking) == 0


def test_a_push_inside_multi_serves_after_exec() -> None:
    node, _, _ = make_node()
    a, b = Conn(node), Conn(node)
    a("BLPOP", "q", "0")
    b("MULTI")
    b("LPUSH", "q", "x")
    b("LPOP", "q")
    b("EXEC")
    assert a.pushed() == b""  # the transaction left the list empty: nothing to serve
    b("LPUSH", "q", "y")
    assert a.pushed() == b"*2\r\n$1\r\nq\r\n$1\r\ny\r\n"


def test_a_peers_push_wakes_a_blocked_client() -> None:
    node, _, _ = make_node("eu")
    a = Conn(node)
    a("BLPOP", "q", "0")
    us = Region("us")
    us("RPUSH", "q", "remote")
    for record in us.own():
        node.apply_remote(record)
    assert a.pushed() == b"*2\r\n$1\r\nq\r\n$6\r\nremote\r\n"


def test_wrong_type_key_keeps_the_client_waiting() -> None:
    node, _, _ = make_node()
    a, b = Conn(node), Conn(node)
    a("BLPOP", "q", "0")
    b("SET", "q", "string")
    assert a.pushed() == b""
    b("DEL", "q")
    b("RPUSH", "q", "x")
    assert a.pushed() == b"*2\r\n$1\r\nq\r\n$1\r\nx\r\n"
