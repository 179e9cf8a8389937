"""Server commands (INFO, CONFIG, DBSIZE, TIME, FLUSH*, SHUTDOWN, SLOWLOG, COMMAND) against Redis 7.0."""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from node.commands.table import TABLE
from tests.conftest import Process, start_geokv
from tests.integration.compare import error, execute, same_error
from tests.integration.raw import Raw


def headers(text: str) -> list[str]:
    return [line for line in text.splitlines() if line.startswith("#")]


def info_text(client: Raw, *sections: str) -> str:
    reply = client.call("INFO", *sections)
    header, body = reply.split(b"\r\n", 1)
    return body[: int(header[1:])].decode()


# -- INFO ---------------------------------------------------------------------------------


def test_info_section_choice_matches_redis(raw: Raw, raw_ref: Raw) -> None:
    for sections in ((), ("default",), ("server", "clients"), ("CLIENTS", "server"), ("all",)):
        mine, theirs = headers(info_text(raw, *sections)), headers(info_text(raw_ref, *sections))
        # geokv keeps no latency histograms, so it has no Latencystats section;
        # its own CRDT section (replication state) comes with `all` only.
        expected = [h for h in theirs if h != "# Latencystats"]
        if sections == ("all",):
            expected.append("# CRDT")
        assert mine == expected
    assert raw.call("INFO", "nosuchsection") == b"$0\r\n\r\n"


def test_info_layout_is_crlf_with_blank_line_between_sections(raw: Raw) -> None:
    text = info_text(raw, "server", "clients")
    assert text.startswith("# Server\r\n") and "\r\n\r\n# Clients\r\n" in text
    assert text.endswith("\r\n") and not text.endswith("\r\n\r\n")
    for line in text.split("\r\n"):
        assert line == "" or line.startswith("# ") or re.fullmatch(r"[a-z0-9_]+:\S*.*", line)


def test_info_is_verbatim_text_in_resp3(geokv_server: Process) -> None:
    raw = Raw(geokv_server.port, resp3=True)
    try:
        reply = raw.call("INFO", "keyspace")
        assert reply.startswith(b"=") and b"\r\ntxt:# Keyspace\r\n" in reply
    finally:
        raw.close()


def test_info_server_and_memory_fields(r: redis.Redis, geokv_server: Process) -> None:
    server = r.info("server")
    assert server["redis_version"] == "7.0.15"
    assert server["geokv_version"]
    assert server["region"] == "local"
    assert server["tcp_port"] == geokv_server.port
    assert server["process_id"] == geokv_server.proc.pid
    mem = r.info("memory")
    assert mem["used_memory"] > 0
    assert re.fullmatch(r"\d+(\.\d\d[KMGTP])?B?", mem["used_memory_human"])
    assert mem["maxmemory_policy"] == "noeviction"
    assert r.info("replication")["role"] == "master"
    assert r.info("persistence")["loading"] == 0


def test_info_keyspace_and_stats(r: redis.Redis) -> None:
    assert r.info("keyspace") == {}
    r.set("a", "1")
    r.set("b", "2")
    r.expire("b", 100)
    assert r.info("keyspace")["db0"] == {
        "keys": 2,
        "expires": 1,
        "avg_ttl": pytest.approx(1e5, rel=0.1),
    }
    before = r.info("stats")
    r.get("a")
    r.get("missing")
    after = r.info("stats")
    assert after["keyspace_hits"] == before["keyspace_hits"] + 1
    assert after["keyspace_misses"] == before["keyspace_misses"] + 1
    assert after["total_commands_processed"] > before["total_commands_processed"]


def test_info_commandstats_and_errorstats(r: redis.Redis) -> None:
    r.config_resetstat()
    r.get("x")
    with pytest.raises(redis.ResponseError):
        execute(r, "NOSUCHCMD")
    with pytest.raises(redis.ResponseError):
        execute(r, "GET")
    stats = r.info("commandstats")
    assert stats["cmdstat_get"]["calls"] == 1
    # The wrong-arity GET was rejected, not called; unknown commands have no line.
    assert stats["cmdstat_get"]["rejected_calls"] == 1
    assert stats["cmdstat_get"]["failed_calls"] == 0
    assert not any("nosuchcmd" in name for name in stats)
    assert r.info("errorstats")["errorstat_ERR"] == {"count": 2}
    assert r.info("stats")["total_error_replies"] == 2


# -- CONFIG -------------------------------------------------------------------------------


def test_config_get_patterns(r: redis.Redis) -> None:
    got = r.config_get("maxmemory", "hz", "nope", "MAXMEM*")
    assert {(k.decode() if isinstance(k, bytes) else k) for k in got} == {
        "maxmemory",
        "hz",
        "maxmemory-policy",
    }


def test_config_get_is_a_map_in_resp3(geokv_server: Process) -> None:
    raw = Raw(geokv_server.port, resp3=True)
    try:
        assert raw.call("CONFIG", "GET", "hz") == b"%1\r\n$2\r\nhz\r\n$2\r\n10\r\n"
    finally:
        raw.close()


def test_config_set_is_atomic(r: redis.Redis) -> None:
    try:
        assert execute(r, "CONFIG", "SET", "maxmemory", "1mb", "hz", "20") in (True, b"OK")
        assert r.config_get("hz") in ({"hz": "20"}, {b"hz": b"20"})
        with pytest.raises(redis.ResponseError):
            execute(r, "CONFIG", "SET", "hz", "30", "maxmemory", "lots")
        assert r.config_get("hz") in ({"hz": "20"}, {b"hz": b"20"})
    finally:
        execute(r, "CONFIG", "SET", "maxmemory", "0", "hz", "10")


def test_config_set_errors_match_redis(r: redis.Redis, ref: redis.Redis) -> None:
    for args in (
        ("foo", "bar"),
        ("maxmemory", "abc"),
        ("maxmemory", "abc", "foo", "bar"),
        ("maxmemory", "10", "maxmemory", "20"),
        ("hz", "abc"),
        ("maxclients", "x"),
        ("a", "b", "c"),
        ("maxmemory",),
        ("proto-max-bulk-len", "1"),
    ):
        same_error(r, ref, "CONFIG", "SET", *args)
    same_error(r, ref, "CONFIG", "GET")
    same_error(r, ref, "CONFIG")
    same_error(r, ref, "CONFIG", "NOSUCH")


def test_config_set_request_limit_reaches_connected_clients(r: redis.Redis, raw: Raw) -> None:
    assert raw.call("PING") == b"+PONG\r\n"
    r.config_set("proto-max-bulk-len", "1mb")
    try:
        raw.sock.sendall(b"*2\r\n$4\r\nECHO\r\n$2000000\r\n")
        assert raw.read() == b"-ERR Protocol error: invalid bulk length\r\n"
    finally:
        r.config_set("proto-max-bulk-len", "512mb")


def test_config_resetstat_and_help(r: redis.Redis, ref: redis.Redis) -> None:
    r.get("k")
    assert r.config_resetstat() is True
    assert "cmdstat_get" not in r.info("commandstats")
    assert r.info("stats")["keyspace_misses"] == 0
    mine = execute(r, "CONFIG", "HELP")
    assert mine[0] == execute(ref, "CONFIG", "HELP")[0]


# -- DBSIZE, TIME, FLUSH ---------------------------------------------------------------------


def test_dbsize_time_flush(r: redis.Redis, ref: redis.Redis) -> None:
    assert r.dbsize() == 0
    r.mset({"a": "1", "b": "2"})
    assert r.dbsize() == 2
    seconds, micros = r.time()
    assert abs(seconds - time.time()) < 60 and 0 <= micros < 1_000_000
    assert r.flushdb(asynchronous=True) is True
    assert r.dbsize() == 0
    r.set("c", "3")
    assert execute(r, "FLUSHALL", "SYNC") in (True, b"OK")
    assert r.dbsize() == 0
    for args in (("FLUSHALL", "foo"), ("FLUSHALL", "SYNC", "ASYNC"), ("FLUSHDB", "x")):
        same_error(r, ref, *args)
    for name in ("DBSIZE", "TIME"):
        same_error(r, ref, name, "x")


# -- SLOWLOG ------------------------------------------------------------------------------


def test_slowlog_entries(r: redis.Redis, raw: Raw) -> None:
    r.slowlog_reset()
    r.config_set("slowlog-log-slower-than", "0")
    try:
        raw.call("CLIENT", "SETNAME", "slowpoke")
        raw.call("SET", "key", "x" * 200)
        entries = execute(r, "SLOWLOG", "GET", "-1")
    finally:
        r.config_set("slowlog-log-slower-than", "10000")
    set_entry = next(e for e in entries if e[3][0] == b"SET")
    ident, stamp, usec, argv, addr, name = set_entry
    assert isinstance(ident, int) and abs(stamp - time.time()) < 60 and usec >= 0
    assert argv == [b"SET", b"key", b"x" * 128 + b"... (72 more bytes)"]
    assert re.fullmatch(rb"127\.0\.0\.1:\d+", addr) and name == b"slowpoke"
    assert r.slowlog_len() >= 2
    assert len(execute(r, "SLOWLOG", "GET", "1")) == 1
    assert r.slowlog_reset() is True
    assert r.slowlog_len() == 0


def test_slowlog_errors_match_redis(r: redis.Redis, ref: redis.Redis) -> None:
    for args in (("GET", "abc"), ("GET", "-2"), ("GET", "1", "2"), ("LEN", "x"), ("FOO",)):
        same_error(r, ref, "SLOWLOG", *args)
    assert execute(r, "SLOWLOG", "HELP") == execute(ref, "SLOWLOG", "HELP")


# -- SHUTDOWN -----------------------------------------------------------------------------


@pytest.fixture
def lone(tmp_path: Path) -> Iterator[Process]:
    server = start_geokv(tmp_path)
    yield server
    server.stop()


def test_shutdown_exits_cleanly_without_reply(lone: Process, ref: redis.Redis) -> None:
    client = redis.Redis(port=lone.port, socket_timeout=10)
    try:
        for args in (("foo",), ("NOSAVE", "SAVE"), ("ABORT", "NOW")):
            assert error(client, "SHUTDOWN", *args) == error(ref, "SHUTDOWN", *args)
        assert error(client, "SHUTDOWN", "ABORT") == "No shutdown in progress."
    finally:
        client.close()
    raw = Raw(lone.port)
    try:
        raw.send("SHUTDOWN", "NOSAVE", "NOW")
        assert raw.closed_by_peer()
    finally:
        raw.close()
    assert lone.proc.wait(timeout=15) == 0


# -- COMMAND ------------------------------------------------------------------------------

# Commands whose table entry, key specs and tips both servers share exactly.
_SHARED = ("get", "set", "mset", "del", "ping", "hello", "echo", "incr", "watch", "config|get")


@pytest.mark.parametrize("resp3", [False, True], ids=["resp2", "resp3"])
def test_command_info_matches_redis_byte_for_byte(
    geokv_server: Process, redis_server: Process, resp3: bool
) -> None:
    mine, theirs = Raw(geokv_server.port, resp3), Raw(redis_server.port, resp3)
    try:
        for name in _SHARED:
            assert mine.call("COMMAND", "INFO", name) == theirs.call("COMMAND", "INFO", name)
        assert mine.call("COMMAND", "INFO", "nosuch") == theirs.call("COMMAND", "INFO", "nosuch")
        for name in ("get", "echo", "incr", "client|id"):
            assert mine.call("COMMAND", "DOCS", name) == theirs.call("COMMAND", "DOCS", name)
        assert mine.call("COMMAND", "DOCS", "nosuch") == theirs.call("COMMAND", "DOCS", "nosuch")
    finally:
        mine.close()
        theirs.close()


def bulks(*names: str) -> bytes:
    return b"*%d\r\n" % len(names) + b"".join(
        b"$%d\r\n%s\r\n" % (len(n), n.encode()) for n in names
    )


def test_command_all_count_and_list(raw: Raw) -> None:
    # redis-py reshapes COMMAND replies, so these read the wire.
    assert raw.call("COMMAND", "COUNT") == b":%d\r\n" % len(TABLE)
    assert raw.call("COMMAND").startswith(b"*%d\r\n*10\r\n" % len(TABLE))
    names = raw.call("COMMAND", "LIST")
    assert b"\r\n$10\r\nconfig|get\r\n" in names and b"\r\n$3\r\nget\r\n" in names
    client = next(t for t in TABLE if t.name == "client")
    assert raw.call("COMMAND", "LIST", "FILTERBY", "PATTERN", "cl*") == bulks(
        "client", *[sub.name for sub in client.subcommands.values()]
    )
    connection = raw.call("COMMAND", "LIST", "FILTERBY", "ACLCAT", "CONNECTION")
    assert b"$4\r\nping\r\n" in connection and b"$9\r\nclient|id\r\n" in connection
    assert b"$3\r\nget\r\n" not in connection
    assert raw.call("COMMAND", "LIST", "FILTERBY", "MODULE", "x") == b"*0\r\n"


def test_command_list_and_getkeys_errors_match_redis(r: redis.Redis, ref: redis.Redis) -> None:
    for args in (
        ("LIST", "FILTERBY"),
        ("LIST", "FOO"),
        ("LIST", "FILTERBY", "NOPE", "x"),
        ("GETKEYS", "ping", "a"),
        ("GETKEYS", "nosuch", "a"),
        ("GETKEYS", "get", "a", "b"),
        ("GETKEYS", "config", "get", "a"),
        ("GETKEYS", "mset", "a"),
        ("GETKEYS",),
        ("NOSUCH",),
    ):
        same_error(r, ref, "COMMAND", *args)


def test_command_getkeys_and_help_match_redis(raw: Raw, raw_ref: Raw) -> None:
    for args in (
        ("get", "a"),
        ("mset", "a", "1", "b", "2"),
        ("del", "x", "y", "z"),
        ("watch", "w"),
    ):
        assert raw.call("COMMAND", "GETKEYS", *args) == raw_ref.call("COMMAND", "GETKEYS", *args)
    mine, theirs = raw.call("COMMAND", "HELP"), raw_ref.call("COMMAND", "HELP")
    # Same text, less the GETKEYSANDFLAGS lines geokv does not serve.
    left_out = (b"GETKEYSANDFLAGS", b"the access flags")
    assert mine.split(b"\r\n")[1:] == [
        line for line in theirs.split(b"\r\n")[1:] if not any(w in line for w in left_out)
    ]


# -- redis-cli ----------------------------------------------------------------------------


def _cli(port: int, *args: str) -> str:
    exe = shutil.which("redis-cli")
    if exe is None:
        pytest.fail("redis-cli is missing")
    done = subprocess.run(
        [exe, "-p", str(port), *args], capture_output=True, text=True, timeout=30, check=True
    )
    return done.stdout


def test_redis_cli_works(geokv_server: Process, redis_server: Process) -> None:
    port = geokv_server.port
    docs = ("--no-raw", "COMMAND", "DOCS", "GET")
    assert _cli(port, *docs) == _cli(redis_server.port, *docs)
    assert "redis_version:7.0.15" in _cli(port, "INFO", "server")
    assert _cli(port, "SET", "cli-key", "v").strip() == "OK"
    assert _cli(port, "GET", "cli-key").strip() == "v"
    assert _cli(port, "DEL", "cli-key").strip() == "1"
