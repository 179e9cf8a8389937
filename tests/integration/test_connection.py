"""Connection commands (PING, ECHO, SELECT, HELLO, QUIT, RESET, CLIENT) against Redis 7.0's replies."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.conftest import Process, start_geokv
from tests.integration.compare import error, execute, same_error
from tests.integration.raw import Raw

# -- PING, ECHO, SELECT -------------------------------------------------------------------


def test_ping_and_echo(r: redis.Redis, ref: redis.Redis, raw: Raw) -> None:
    assert r.ping() is True
    assert raw.call("PING") == b"+PONG\r\n"
    assert raw.call("PING", "hi") == b"$2\r\nhi\r\n"
    assert r.echo("x y") == b"x y"
    assert "wrong number of arguments for 'ping'" in same_error(r, ref, "PING", "a", "b")
    same_error(r, ref, "ECHO")
    same_error(r, ref, "ECHO", "a", "b")


def test_ping_in_resp2_subscriber_context(raw: Raw, raw_ref: Raw) -> None:
    for client in (raw, raw_ref):
        client.call("SUBSCRIBE", "ch")
    for args in (("PING",), ("PING", "hi"), ("GET", "k")):
        assert raw.call(*args) == raw_ref.call(*args)
    assert raw.call("PING") == b"*2\r\n$4\r\npong\r\n$0\r\n\r\n"


def test_select_only_db_zero(r: redis.Redis, ref: redis.Redis) -> None:
    assert execute(r, "SELECT", "0") is True
    # geokv has one database, like Redis Enterprise Active-Active.
    assert error(r, "SELECT", "1") == "DB index is out of range"
    for args in (("16",), ("-1",), ("abc",), ("1.5",), ("4294967296",), ()):
        same_error(r, ref, "SELECT", *args)


# -- HELLO ----------------------------------------------------------------------------------


def test_hello_reply_matches_redis(raw: Raw, raw_ref: Raw) -> None:
    for proto in ("3", "2"):
        mine, theirs = raw.call("HELLO", proto), raw_ref.call("HELLO", proto)
        # Only the connection id differs.
        assert re.sub(rb":\d+\r\n\$4\r\nmode", b"ID", mine) == re.sub(
            rb":\d+\r\n\$4\r\nmode", b"ID", theirs
        )
        assert b"7.0.15" in mine


def test_hello_errors_match_redis(r: redis.Redis, ref: redis.Redis) -> None:
    for args in (
        ("4",),
        ("1",),
        ("abc",),
        ("3", "foo"),
        ("3", "AUTH", "a"),
        ("2", "SETNAME", "a b"),
        ("3", "SETNAME"),
    ):
        same_error(r, ref, "HELLO", *args)


@pytest.fixture
def secured(tmp_path: Path) -> Iterator[Process]:
    server = start_geokv(tmp_path, "--requirepass", "s3cret")
    yield server
    server.stop()


def test_hello_and_reset_with_requirepass(secured: Process) -> None:
    raw = Raw(secured.port)
    try:
        assert raw.call("HELLO", "3").startswith(b"-NOAUTH HELLO must be called")
        # The name is checked only after authentication succeeded.
        assert raw.call("HELLO", "3", "AUTH", "default", "bad", "SETNAME", "a b") == (
            b"-WRONGPASS invalid username-password pair or user is disabled.\r\n"
        )
        assert raw.call("HELLO", "2", "AUTH", "default", "s3cret", "SETNAME", "me").startswith(
            b"*14\r\n"
        )
        assert raw.call("CLIENT", "GETNAME") == b"$2\r\nme\r\n"
        assert raw.call("RESET") == b"+RESET\r\n"
        assert raw.call("GET", "k") == b"-NOAUTH Authentication required.\r\n"
    finally:
        raw.close()


# -- QUIT, RESET --------------------------------------------------------------------------


def test_quit_replies_ok_then_closes(raw: Raw) -> None:
    assert raw.call("QUIT") == b"+OK\r\n"
    assert raw.closed_by_peer()


def test_reset_clears_connection_state(geokv_server: Process, raw: Raw) -> None:
    raw.call("HELLO", "3", "SETNAME", "named")
    raw.call("WATCH", "w")
    raw.call("SUBSCRIBE", "ch")
    raw.call("MULTI")
    assert raw.call("RESET") == b"+RESET\r\n"
    info = raw.call("CLIENT", "INFO")
    assert b" name= " in info and b" resp=2 " in info and b" multi=-1 " in info
    assert b" sub=0 " in info and b"flags=N " in info
    # Unwatched: another client's write no longer aborts a transaction.
    other = redis.Redis(port=geokv_server.port)
    try:
        other.set("w", "1")
    finally:
        other.close()
    raw.call("MULTI")
    raw.call("SET", "x", "1")
    assert raw.call("EXEC") == b"*1\r\n+OK\r\n"
    assert raw.call("RESET", "x") == b"-ERR wrong number of arguments for 'reset' command\r\n"


# -- CLIENT -------------------------------------------------------------------------------


def test_client_id_and_names(r: redis.Redis, ref: redis.Redis) -> None:
    assert isinstance(r.client_id(), int)
    assert r.client_getname() is None
    assert r.client_setname("conn-1") is True
    assert r.client_getname() in (b"conn-1", "conn-1")
    assert execute(r, "CLIENT", "SETNAME", "") == b"OK"
    assert r.client_getname() is None
    for name in ("a b", "a\nb"):
        same_error(r, ref, "CLIENT", "SETNAME", name)
    same_error(r, ref, "CLIENT", "NOSUCH")
    same_error(r, ref, "CLIENT", "ID", "x")


def test_client_setinfo(r: redis.Redis) -> None:
    assert execute(r, "CLIENT", "SETINFO", "LIB-NAME", "mylib") == b"OK"
    assert execute(r, "CLIENT", "SETINFO", "lib-ver", "1.2") == b"OK"
    line = execute(r, "CLIENT", "INFO")
    text = line.decode() if isinstance(line, bytes) else line
    assert text.rstrip("\n").endswith("lib-name=mylib lib-ver=1.2")
    assert error(r, "CLIENT", "SETINFO", "foo", "x") == "Unrecognized option 'foo'"
    assert error(r, "CLIENT", "SETINFO", "LIB-NAME", "a b") == (
        "LIB-NAME cannot contain spaces, newlines or special characters."
    )


_FIELDS = [
    "id",
    "addr",
    "laddr",
    "fd",
    "name",
    "age",
    "idle",
    "flags",
    "db",
    "sub",
    "psub",
    "ssub",
    "multi",
    "qbuf",
    "qbuf-free",
    "argv-mem",
    "multi-mem",
    "rbs",
    "rbp",
    "obl",
    "oll",
    "omem",
    "tot-mem",
    "events",
    "cmd",
    "user",
    "redir",
    "resp",
    "lib-name",
    "lib-ver",
]


def test_client_info_line_format(raw: Raw) -> None:
    raw.call("CLIENT", "SETNAME", "fmt")
    reply = raw.call("CLIENT", "INFO")
    header, body = reply.split(b"\r\n", 1)
    line = body[: int(header[1:])].decode()
    assert line.endswith("\n") and line.count("\n") == 1
    pairs = [field.split("=", 1) for field in line.rstrip("\n").split(" ")]
    assert [k for k, _ in pairs] == _FIELDS
    values = dict(pairs)
    assert values["name"] == "fmt"
    assert values["cmd"] == "client|info"
    assert values["flags"] == "N" and values["db"] == "0" and values["multi"] == "-1"
    assert raw.call("CLIENT", "ID") == b":%s\r\n" % values["id"].encode()


def test_client_info_is_verbatim_in_resp3(geokv_server: Process) -> None:
    raw = Raw(geokv_server.port, resp3=True)
    try:
        assert raw.call("CLIENT", "INFO").split(b"\r\n", 1)[1].startswith(b"txt:id=")
    finally:
        raw.close()


def test_client_list_filters(r: redis.Redis, raw: Raw, ref: redis.Redis) -> None:
    my_id = int(raw.call("CLIENT", "ID")[1:])
    raw.call("SUBSCRIBE", "ch")
    pubsub = execute(r, "CLIENT", "LIST", "TYPE", "pubsub")
    assert f"id={my_id} " in str(pubsub)
    normal = execute(r, "CLIENT", "LIST", "TYPE", "normal")
    assert f"id={my_id} " not in str(normal)
    by_id = execute(r, "CLIENT", "LIST", "ID", str(my_id), "999999")
    assert f"id={my_id} " in str(by_id) and "flags=P" in str(by_id)
    for args in (("TYPE", "foo"), ("ID", "abc"), ("ID",), ("foo",), ("TYPE", "normal", "x")):
        same_error(r, ref, "CLIENT", "LIST", *args)
    assert execute(r, "CLIENT", "LIST", "TYPE", "master") in (b"", "", [])


def test_client_kill_forms(geokv_server: Process, r: redis.Redis, ref: redis.Redis) -> None:
    victim = Raw(geokv_server.port)
    try:
        victim_id = victim.call("CLIENT", "ID")[1:-2].decode()
        info = victim.call("CLIENT", "INFO").decode()
        addr = re.search(r" addr=(\S+)", info)
        assert addr is not None
        assert execute(r, "CLIENT", "KILL", addr.group(1)) == b"OK"
        assert victim.closed_by_peer()
    finally:
        victim.close()
    assert f"id={victim_id} " not in str(execute(r, "CLIENT", "LIST"))
    assert error(r, "CLIENT", "KILL", "1.2.3.4:5") == "No such client"
    assert execute(r, "CLIENT", "KILL", "ID", "999999") == 0
    for args in (
        ("ID", "abc"),
        ("ID", "0"),
        ("FOO", "bar"),
        ("TYPE", "bogus"),
        ("SKIPME", "maybe"),
        ("USER", "nosuchuser"),
        ("ID", "1", "TYPE"),
    ):
        same_error(r, ref, "CLIENT", "KILL", *args)


def test_client_kill_new_form_counts_and_skips_me(geokv_server: Process, raw: Raw) -> None:
    others = [Raw(geokv_server.port) for _ in range(2)]
    try:
        ids = [o.call("CLIENT", "ID")[1:-2].decode() for o in others]
        laddr = f"127.0.0.1:{geokv_server.port}"
        assert raw.call("CLIENT", "KILL", "ID", ids[0], "LADDR", laddr) == b":1\r\n"
        assert others[0].closed_by_peer()
        assert raw.call("CLIENT", "KILL", "ID", ids[1], "USER", "default", "TYPE", "pubsub") == (
            b":0\r\n"
        )
        my_id = raw.call("CLIENT", "ID")[1:-2].decode()
        assert raw.call("CLIENT", "KILL", "ID", my_id) == b":0\r\n"
        assert raw.call("CLIENT", "KILL", "ID", my_id, "SKIPME", "no") == b":1\r\n"
        assert raw.closed_by_peer()
    finally:
        for other in others:
            other.close()


def test_client_help(r: redis.Redis, ref: redis.Redis) -> None:
    mine = execute(r, "CLIENT", "HELP")
    assert mine[0] == execute(ref, "CLIENT", "HELP")[0]
    assert any(b"SETINFO" in bytes(line) for line in mine)
