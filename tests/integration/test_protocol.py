"""The wire protocol against a real server: framing, protocol errors, limits, pipelining.

Raw sockets send exactly the bytes under test; where Redis's behaviour is the
reference, the same bytes go to redis-server 7.0 and the replies (and whether
the connection is closed) must be identical.
"""

from __future__ import annotations

import selectors
import socket
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import Process, start_geokv, start_redis
from tests.integration.raw import Raw


def connect(port: int) -> socket.socket:
    return socket.create_connection(("127.0.0.1", port), timeout=10)


def mbulk(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args)


def read_until_closed(sock: socket.socket, limit: float = 10.0) -> bytes:
    """Everything the server sends before it closes the connection (bounded in time)."""
    sock.settimeout(limit)
    data = b""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        try:
            chunk = sock.recv(65536)
        except ConnectionResetError:
            break
        if not chunk:
            break
        data += chunk
    else:
        raise AssertionError(f"connection still open after {limit}s; got {data!r}")
    return data


def read_exactly(sock: socket.socket, size: int) -> bytes:
    data = b""
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            break
        data += chunk
    return data


def exchanges(cases: list[bytes], port: int, settle: float = 0.5) -> list[tuple[bytes, bool]]:
    """Send each case on its own connection, all at once; (reply, closed) per case.

    A connection is done when the server closes it or has been silent for `settle`.
    """
    sel = selectors.DefaultSelector()
    socks: list[socket.socket] = []
    for data in cases:
        sock = connect(port)
        sock.sendall(data)
        sock.setblocking(False)
        sel.register(sock, selectors.EVENT_READ, len(socks))
        socks.append(sock)
    replies = [b""] * len(cases)
    closed = [False] * len(cases)
    deadline = time.monotonic() + 10
    quiet_since = time.monotonic()
    while sel.get_map() and time.monotonic() < deadline:
        events = sel.select(timeout=0.05)
        if not events and time.monotonic() - quiet_since > settle:
            break
        for key, _ in events:
            quiet_since = time.monotonic()
            index = key.data
            try:
                chunk = key.fileobj.recv(65536)  # type: ignore[union-attr]
            except ConnectionResetError:
                chunk = b""
            if chunk:
                replies[index] += chunk
            else:
                closed[index] = True
                sel.unregister(key.fileobj)
    for sock in socks:
        sock.close()
    return list(zip(replies, closed, strict=True))


# -- protocol errors close the connection, and only that one ----------------------------


def test_oversized_bulk_length_is_refused_and_only_that_client_closed(
    geokv_server: Process,
) -> None:
    other = redis.Redis(port=geokv_server.port, socket_timeout=10)
    other.set("survivor", "1")
    with connect(geokv_server.port) as sock:
        sock.sendall(b"*1\r\n$999999999999\r\n")
        assert read_until_closed(sock) == b"-ERR Protocol error: invalid bulk length\r\n"
    assert other.get("survivor") == b"1"
    other.close()


def test_garbage_gets_an_error_and_a_close(geokv_server: Process) -> None:
    with connect(geokv_server.port) as sock:
        sock.sendall(b"*1\r\nthis is not RESP\r\n")
        assert read_until_closed(sock) == b"-ERR Protocol error: expected '$', got 't'\r\n"


def test_protocol_error_in_resp3_closes_too(geokv_server: Process) -> None:
    raw = Raw(geokv_server.port, resp3=True)
    raw.sock.sendall(mbulk(b"PING") + b"*x\r\n")
    assert raw.read() == b"+PONG\r\n"
    assert raw.read() == b"-ERR Protocol error: invalid multibulk length\r\n"
    assert raw.closed_by_peer()
    raw.close()


DIFFERENTIAL = [
    b"*1\r\n$-1\r\n",
    b"*2147483648\r\n",
    b"*03\r\n",
    b"*1\r\n$03\r\nfoo\r\n",
    b"*1\r\n+OK\r\n",
    b"*1\r\n\n$4\r\nPING\r\n",
    b"*1\r\n\xff\r\n",
    b"*-5\r\n" + mbulk(b"PING"),
    b"*0\r\n\r\n\n" + mbulk(b"ECHO", b"a\r\nb"),
    b"*1\r\n$4\r\nPINGXY" + mbulk(b"PING"),
    b"*1\rX$4\r\nPING\r\n",
    b"PING\0\r\nPING\r\n",
    b"x" * 65537,
    b"*1\r\n$" + b"1" * 65537,
    b"*" + b"2" * 65537,
    b"ECHO \"a\\x41\\n\"\r\nECHO 'b\\'c'\r\n",
    b'ECHO a"b c"\r\nECHO "x"y\r\n',
    b'ECHO "unterminated\r\n',
    mbulk(b"SET", b"proto:k", b"v") + b"GET proto:k\r\n" + mbulk(b"DEL", b"proto:k"),
]


def test_framing_and_protocol_errors_match_redis_byte_for_byte(
    geokv_server: Process, redis_server: Process
) -> None:
    ours = exchanges(DIFFERENTIAL, geokv_server.port)
    theirs = exchanges(DIFFERENTIAL, redis_server.port)
    for case, got, expected in zip(DIFFERENTIAL, ours, theirs, strict=True):
        assert got == expected, case[:60]


@pytest.fixture
def password_servers(tmp_path: Path) -> Iterator[tuple[Process, Process]]:
    ours = start_geokv(tmp_path, "--requirepass", "pw")
    try:
        theirs = start_redis(tmp_path, "--requirepass", "pw")
    except BaseException:
        ours.stop()
        raise
    yield ours, theirs
    ours.stop()
    theirs.stop()


def test_unauthenticated_limits_match_redis(password_servers: tuple[Process, Process]) -> None:
    eleven_args = mbulk(b"DEL", *[b"k%d" % i for i in range(10)])
    cases = [
        eleven_args,
        mbulk(b"AUTH", b"p" * 16385),
        mbulk(b"AUTH", b"p" * 16384) + mbulk(b"PING"),
        mbulk(b"AUTH", b"pw") + eleven_args + mbulk(b"ECHO", b"e" * 20000),
        mbulk(b"AUTH", b"pw") + mbulk(b"RESET") + eleven_args,
    ]
    ours, theirs = password_servers
    got, expected = exchanges(cases, ours.port), exchanges(cases, theirs.port)
    assert got == expected
    assert expected[0] == (b"-ERR Protocol error: unauthenticated multibulk length\r\n", True)


def test_config_set_proto_max_bulk_len_applies_to_open_connections(
    geokv_server: Process, redis_server: Process
) -> None:
    for server in (geokv_server, redis_server):
        admin = redis.Redis(port=server.port, socket_timeout=10)
        with connect(server.port) as sock:
            sock.sendall(mbulk(b"PING"))
            assert read_exactly(sock, 7) == b"+PONG\r\n"
            admin.config_set("proto-max-bulk-len", 1024 * 1024)
            try:
                sock.sendall(b"*2\r\n$4\r\nECHO\r\n$1048577\r\n")
                assert read_until_closed(sock) == b"-ERR Protocol error: invalid bulk length\r\n"
            finally:
                admin.config_set("proto-max-bulk-len", 512 * 1024 * 1024)
        admin.close()


# -- inline commands -------------------------------------------------------------------


def test_inline_commands_over_a_raw_socket(geokv_server: Process) -> None:
    with connect(geokv_server.port) as sock:
        sock.sendall(b"PING\r\n")
        assert read_exactly(sock, 7) == b"+PONG\r\n"
        sock.sendall(b'SET "inline key" \'it\\\'s "quoted"\'\r\nGET "inline key"\n')
        expected = b'+OK\r\n$13\r\nit\'s "quoted"\r\n'
        assert read_exactly(sock, len(expected)) == expected
        sock.sendall(b'DEL "inline key"\r\n')
        assert read_exactly(sock, 4) == b":1\r\n"


# -- pipelining and partial commands ---------------------------------------------------------


def test_ten_thousand_pipelined_commands_in_one_write(geokv_server: Process) -> None:
    requests, expected = [], []
    for i in range(5000):
        value = b"value-%d" % i
        requests.append(mbulk(b"SET", b"pipe:%d" % (i % 100), value))
        requests.append(mbulk(b"GET", b"pipe:%d" % (i % 100)))
        expected.append(b"+OK\r\n$%d\r\n%b\r\n" % (len(value), value))
    want = b"".join(expected)
    with connect(geokv_server.port) as sock:
        sock.sendall(b"".join(requests))
        assert read_exactly(sock, len(want)) == want
        sock.sendall(mbulk(b"DEL", *[b"pipe:%d" % i for i in range(100)]))
        assert read_exactly(sock, 6) == b":100\r\n"


def test_a_client_leaving_mid_command_disturbs_nothing(geokv_server: Process) -> None:
    for partial in (b"*3\r\n$3\r\nSET\r\n$7\r\npartial\r\n$5\r\nval", b"*3\r\n$3", b"SET partial"):
        with connect(geokv_server.port) as sock:
            sock.sendall(partial)
    client = redis.Redis(port=geokv_server.port, socket_timeout=10)
    assert client.ping() is True
    assert client.exists("partial") == 0
    client.close()


# -- the query buffer limit ------------------------------------------------------------------


def vm_rss_kib(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS line")


@pytest.fixture
def small_query_buffer(tmp_path: Path) -> Iterator[Process]:
    server = start_geokv(tmp_path, "--client-query-buffer-limit", "1mb")
    yield server
    server.stop()


def test_client_over_the_query_buffer_limit_is_closed_and_memory_stays_bounded(
    small_query_buffer: Process,
) -> None:
    pid = small_query_buffer.proc.pid
    before = vm_rss_kib(pid)
    chunk = b"x" * (256 * 1024)
    for header in (mbulk(b"SET", b"big")[:-2] + b"$100000000\r\n", b"*1\r\n$100000000\r\n"):
        with connect(small_query_buffer.port) as sock:
            sock.sendall(header)
            sent = 0
            with pytest.raises(OSError):  # reset or broken pipe once the server has closed
                while sent < 100 * 1024 * 1024:
                    sock.sendall(chunk)
                    sent += len(chunk)
            assert sent < 20 * 1024 * 1024
    with connect(small_query_buffer.port) as sock:
        sock.sendall(mbulk(b"PING"))
        assert read_exactly(sock, 7) == b"+PONG\r\n"
    # Generous: the limit is 1 MiB; 100 MiB were offered twice.
    assert vm_rss_kib(pid) - before < 64 * 1024
