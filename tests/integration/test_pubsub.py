"""Pub/sub over the wire, in RESP2 and RESP3, byte for byte against redis-server 7.0.

Each test drives the same script on geokv and on the reference server through
raw connections of the protocol the `r` fixture selects, and compares the
exact bytes; slow subscribers are checked on a server of their own.
"""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import Process, start_geokv
from tests.integration.compare import RawPair, port_of, protocol_of, pubsub_of, same_bytes
from tests.integration.raw import Raw


class Opened:
    """Raw connections to geokv and to the reference, opened in pairs and closed at the end."""

    def __init__(self, r: redis.Redis, redis_server: Process) -> None:
        self.resp3 = protocol_of(r) == 3
        self.ports = (port_of(r), redis_server.port)
        self.all: list[Raw] = []

    def pair(self) -> RawPair:
        ours, theirs = (Raw(port, resp3=self.resp3) for port in self.ports)
        self.all += [ours, theirs]
        return ours, theirs

    def close(self) -> None:
        for conn in self.all:
            conn.close()


@pytest.fixture
def opened(r: redis.Redis, ref: redis.Redis, redis_server: Process) -> Iterator[Opened]:
    # `ref` leaves the reference flushed; `r` the geokv server.
    conns = Opened(r, redis_server)
    yield conns
    conns.close()


def same_next(pair: RawPair) -> bytes:
    """The next reply or message on both connections, compared."""
    got = pair[0].read()
    assert got == pair[1].read()
    return got


def push(resp3: bool, *items: bytes | int | None) -> bytes:
    """A confirmation or message as it goes on the wire."""
    out = [(b">%d\r\n" if resp3 else b"*%d\r\n") % len(items)]
    for item in items:
        if item is None:
            out.append(b"_\r\n" if resp3 else b"$-1\r\n")
        elif isinstance(item, int):
            out.append(b":%d\r\n" % item)
        else:
            out.append(b"$%d\r\n%s\r\n" % (len(item), item))
    return b"".join(out)


# -- SUBSCRIBE / UNSUBSCRIBE / PSUBSCRIBE / PUNSUBSCRIBE ----------------------------------------


def test_subscribe_confirms_each_channel(opened: Opened) -> None:
    pair = opened.pair()
    assert same_bytes(pair, "SUBSCRIBE", "a", "b") == push(opened.resp3, b"subscribe", b"a", 1)
    assert same_next(pair) == push(opened.resp3, b"subscribe", b"b", 2)
    # Subscribing again changes nothing but is confirmed.
    assert same_bytes(pair, "SUBSCRIBE", "a") == push(opened.resp3, b"subscribe", b"a", 2)
    assert same_bytes(pair, "PSUBSCRIBE", "n*") == push(opened.resp3, b"psubscribe", b"n*", 3)
    assert same_bytes(pair, "UNSUBSCRIBE", "a") == push(opened.resp3, b"unsubscribe", b"a", 2)
    assert same_bytes(pair, "UNSUBSCRIBE", "never") == push(
        opened.resp3, b"unsubscribe", b"never", 2
    )
    assert same_bytes(pair, "PUNSUBSCRIBE") == push(opened.resp3, b"punsubscribe", b"n*", 1)
    assert same_bytes(pair, "UNSUBSCRIBE") == push(opened.resp3, b"unsubscribe", b"b", 0)


def test_unsubscribing_with_no_subscriptions(opened: Opened) -> None:
    pair = opened.pair()
    assert same_bytes(pair, "UNSUBSCRIBE") == push(opened.resp3, b"unsubscribe", None, 0)
    assert same_bytes(pair, "PUNSUBSCRIBE") == push(opened.resp3, b"punsubscribe", None, 0)
    assert same_bytes(pair, "UNSUBSCRIBE", "x", "y") == push(opened.resp3, b"unsubscribe", b"x", 0)
    assert same_next(pair) == push(opened.resp3, b"unsubscribe", b"y", 0)


def test_unsubscribe_all_leaves_every_channel(opened: Opened) -> None:
    ours = opened.pair()[0]
    ours.call("SUBSCRIBE", "a", "b", "c")
    ours.read(), ours.read()
    ours.call("PSUBSCRIBE", "p*")
    replies = {ours.call("UNSUBSCRIBE")} | {ours.read(), ours.read()}
    # The order of channels is the server's (a hash order in Redis); the counts fall to 1.
    counts = sorted(reply.rsplit(b":", 1)[1] for reply in replies)
    assert counts == [b"1\r\n", b"2\r\n", b"3\r\n"]
    assert {reply.split(b"\r\n")[4] for reply in replies} == {b"a", b"b", b"c"}
    assert ours.call("PUNSUBSCRIBE") == push(opened.resp3, b"punsubscribe", b"p*", 0)


def test_subscription_errors(opened: Opened) -> None:
    pair = opened.pair()
    for args in (("SUBSCRIBE",), ("PSUBSCRIBE",), ("PUBLISH", "ch"), ("PUBLISH", "a", "b", "c")):
        assert same_bytes(pair, *args).startswith(b"-ERR wrong number of arguments for '")


# -- PUBLISH --------------------------------------------------------------------------------


def test_publish_reaches_channel_and_pattern_subscribers(opened: Opened) -> None:
    subscriber, publisher = opened.pair(), opened.pair()
    same_bytes(subscriber, "SUBSCRIBE", "news")
    same_bytes(subscriber, "PSUBSCRIBE", "n*")
    same_bytes(subscriber, "PSUBSCRIBE", "x*")
    # One delivery per matching subscription, each counted.
    assert same_bytes(publisher, "PUBLISH", "news", "hello") == b":2\r\n"
    assert same_next(subscriber) == push(opened.resp3, b"message", b"news", b"hello")
    assert same_next(subscriber) == push(opened.resp3, b"pmessage", b"n*", b"news", b"hello")
    assert same_bytes(publisher, "PUBLISH", "nothing", "") == b":1\r\n"
    assert same_next(subscriber) == push(opened.resp3, b"pmessage", b"n*", b"nothing", b"")
    assert same_bytes(publisher, "PUBLISH", "quiet", "x") == b":0\r\n"


def test_pattern_subscriptions_use_redis_globs(opened: Opened) -> None:
    subscriber, publisher = opened.pair(), opened.pair()
    same_bytes(subscriber, "PSUBSCRIBE", "h?llo", "h[ae]y", "a\\*b")
    same_next(subscriber), same_next(subscriber)
    for channel, receivers in (
        ("hello", 1),
        ("hxllo", 1),
        ("hay", 1),
        ("hoy", 0),
        ("a*b", 1),
        ("axb", 0),
    ):
        assert same_bytes(publisher, "PUBLISH", channel, "m") == b":%d\r\n" % receivers
        if receivers:
            assert same_next(subscriber).endswith(b"m\r\n")


def test_resp2_subscriber_may_only_run_pubsub_commands(r: redis.Redis, opened: Opened) -> None:
    if opened.resp3:
        pytest.skip("the restriction is RESP2's")
    pair = opened.pair()
    same_bytes(pair, "SUBSCRIBE", "ch")
    for args in (("GET", "k"), ("PUBLISH", "ch", "m"), ("PUBSUB", "NUMPAT"), ("MULTI",)):
        got = same_bytes(pair, *args)
        assert got.startswith(b"-ERR Can't execute '")
        assert b"only (P|S)SUBSCRIBE / (P|S)UNSUBSCRIBE / PING / QUIT / RESET" in got
    assert same_bytes(pair, "PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"
    assert same_bytes(pair, "UNSUBSCRIBE") == push(False, b"unsubscribe", b"ch", 0)
    assert same_bytes(pair, "GET", "k") == b"$-1\r\n"


def test_resp3_subscriber_runs_any_command_between_messages(opened: Opened) -> None:
    if not opened.resp3:
        pytest.skip("RESP3 only")
    subscriber, publisher = opened.pair(), opened.pair()
    same_bytes(subscriber, "SUBSCRIBE", "ch")
    assert same_bytes(subscriber, "SET", "k", "v") == b"+OK\r\n"
    assert same_bytes(publisher, "PUBLISH", "ch", "m1") == b":1\r\n"
    assert same_bytes(subscriber, "GET", "k") == push(True, b"message", b"ch", b"m1")
    assert same_next(subscriber) == b"$1\r\nv\r\n"
    assert same_bytes(subscriber, "PING") == b"+PONG\r\n"


def test_own_messages_keep_their_place_among_replies(opened: Opened) -> None:
    if not opened.resp3:
        pytest.skip("a RESP2 subscriber cannot publish")
    pair = opened.pair()
    same_bytes(pair, "SUBSCRIBE", "ch")
    for conn in pair:  # pipelined: the message comes between PING's and PUBLISH's replies
        conn.send("PING")
        conn.send("PUBLISH", "ch", "self")
    assert [same_next(pair) for _ in range(3)] == [
        b"+PONG\r\n",
        push(True, b"message", b"ch", b"self"),
        b":1\r\n",
    ]


def test_redis_py_pubsub_client(r: redis.Redis) -> None:
    with pubsub_of(r) as pubsub:
        pubsub.subscribe("ch")
        pubsub.psubscribe("c*")
        deadline = time.monotonic() + 10
        confirmations: list[str] = []
        while len(confirmations) < 2 and time.monotonic() < deadline:
            message = pubsub.get_message(timeout=1)
            if message is not None:
                confirmations.append(message["type"])
        assert confirmations == ["subscribe", "psubscribe"]
        assert r.publish("ch", "payload") == 2
        got: list[tuple[str, bytes, bytes]] = []
        while len(got) < 2 and time.monotonic() < deadline:
            message = pubsub.get_message(timeout=1)
            if message is not None:
                got.append((message["type"], message["channel"], message["data"]))
        assert got == [("message", b"ch", b"payload"), ("pmessage", b"ch", b"payload")]


def test_closing_a_subscriber_drops_its_subscriptions(r: redis.Redis, opened: Opened) -> None:
    ours = opened.pair()[0]
    ours.call("SUBSCRIBE", "gone")
    assert r.pubsub_numsub("gone") == [(b"gone", 1)]
    ours.close()
    deadline = time.monotonic() + 10
    while r.pubsub_numsub("gone") != [(b"gone", 0)] and time.monotonic() < deadline:
        time.sleep(0.02)
    assert r.pubsub_numsub("gone") == [(b"gone", 0)]
    assert r.publish("gone", "m") == 0


# -- PUBSUB ------------------------------------------------------------------------------------


def test_pubsub_introspection(r: redis.Redis, opened: Opened) -> None:
    subscribers = [opened.pair() for _ in range(2)]
    admin = opened.pair()
    for pair in subscribers:
        same_bytes(pair, "SUBSCRIBE", "news.eu")
        same_bytes(pair, "PSUBSCRIBE", "news.*")
    same_bytes(subscribers[0], "SUBSCRIBE", "sport")
    same_bytes(subscribers[0], "PSUBSCRIBE", "other")
    assert same_bytes(admin, "PUBSUB", "NUMSUB", "news.eu", "sport", "none") == (
        b"*6\r\n$7\r\nnews.eu\r\n:2\r\n$5\r\nsport\r\n:1\r\n$4\r\nnone\r\n:0\r\n"
    )
    assert same_bytes(admin, "PUBSUB", "NUMSUB") == b"*0\r\n"
    assert same_bytes(admin, "PUBSUB", "NUMPAT") == b":2\r\n"
    assert same_bytes(admin, "PUBSUB", "CHANNELS", "s*") == b"*1\r\n$5\r\nsport\r\n"
    assert same_bytes(admin, "PUBSUB", "CHANNELS", "x*") == b"*0\r\n"
    assert sorted(r.pubsub_channels()) == [b"news.eu", b"sport"]
    assert sorted(r.pubsub_channels("*.eu")) == [b"news.eu"]


def test_pubsub_errors(opened: Opened) -> None:
    pair = opened.pair()
    for args in (
        ("PUBSUB",),
        ("PUBSUB", "NOPE"),
        ("PUBSUB", "CHANNELS", "a", "b"),
        ("PUBSUB", "NUMPAT", "x"),
        ("PUBSUB", "HELP", "x"),
    ):
        assert same_bytes(pair, *args).startswith(b"-ERR ")


def test_pubsub_help(opened: Opened) -> None:
    ours = opened.pair()[0]
    lines = ours.call("PUBSUB", "HELP").split(b"\r\n")
    assert lines[0] == b"*10"
    assert lines[1] == b"+PUBSUB <subcommand> [<arg> [value] [opt] ...]. Subcommands are:"
    assert b"+NUMSUB [<channel> ...]" in lines and lines[-2] == b"+    Prints this help."


def test_subscribe_inside_exec_nests_its_confirmations(opened: Opened) -> None:
    # Deliberate difference: Redis 7.0's reply here is malformed (see transactions.py).
    ours = opened.pair()[0]
    ours.call("MULTI")
    ours.call("SUBSCRIBE", "a", "b")
    assert ours.call("EXEC") == (
        b"*1\r\n*2\r\n"
        + b"*3\r\n$9\r\nsubscribe\r\n$1\r\na\r\n:1\r\n"
        + b"*3\r\n$9\r\nsubscribe\r\n$1\r\nb\r\n:2\r\n"
    )


# -- slow subscribers ------------------------------------------------------------------------


def vm_rss_kb(pid: int) -> int:
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise AssertionError("no VmRSS")


def drain_until_closed(sock: socket.socket, limit: int) -> tuple[int, bool]:
    """Read until the server closes (EOF or reset); (bytes read, closed)."""
    total = 0
    sock.settimeout(10)
    while total < limit:
        try:
            chunk = sock.recv(1 << 16)
        except ConnectionResetError:
            return total, True
        except TimeoutError:
            return total, False
        if not chunk:
            return total, True
        total += len(chunk)
    return total, False


def test_slow_subscriber_is_disconnected(tmp_path: Path) -> None:
    server = start_geokv(tmp_path)
    sub = socket.socket()
    admin = redis.Redis(port=server.port, socket_timeout=10)
    try:
        admin.config_set("client-output-buffer-limit", "pubsub 1mb 256kb 1")
        # A small receive window, so the kernel cannot absorb what the server should hold.
        sub.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 32 * 1024)
        sub.connect(("127.0.0.1", server.port))
        sub.sendall(b"*2\r\n$9\r\nSUBSCRIBE\r\n$4\r\nslow\r\n")
        sub.settimeout(10)
        assert sub.recv(1024) == b"*3\r\n$9\r\nsubscribe\r\n$4\r\nslow\r\n:1\r\n"
        rss_before = vm_rss_kb(server.proc.pid)

        payload = b"x" * (64 * 1024)
        receivers = []
        with admin.pipeline(transaction=False) as pipe:
            for _ in range(20):  # 20 rounds of 16 x 64 KB = 20 MB
                for _ in range(16):
                    pipe.publish("slow", payload)
                receivers += pipe.execute()
        rss_after = vm_rss_kb(server.proc.pid)

        # Delivered at first, then the subscriber was dropped and nobody listened.
        assert receivers[0] == 1 and receivers[-1] == 0
        assert admin.pubsub_numsub("slow") == [(b"slow", 0)]
        read, closed = drain_until_closed(sub, 64 * 1024 * 1024)
        assert closed and read < 20 * 1024 * 1024
        # The server did not keep the 20 MB it could not deliver.
        assert rss_after - rss_before < 8 * 1024
        assert admin.set("still", "fine") and admin.get("still") == b"fine"
        assert admin.ping()
    finally:
        sub.close()
        admin.close()
        server.stop()
