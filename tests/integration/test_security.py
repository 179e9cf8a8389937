"""AUTH, requirepass and ACLs, compared byte for byte with redis-server 7.0.15.

Each test runs the same commands against geokv and the reference server (both
dedicated to this module, since users and passwords outlive a FLUSHALL) and
asserts identical replies, in RESP2 and RESP3. Rules are chosen so that the
described command rules do not depend on Redis's hash-table order.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.conftest import Process, start_geokv, start_redis
from tests.integration.compare import execute, same_bytes
from tests.integration.raw import Raw

PASSWORD = "s3cret"
# redis-py retries refused handshakes (AuthenticationError is a ConnectionError) with backoff.
NO_RETRY = Retry(NoBackoff(), 0)


@pytest.fixture(scope="module")
def servers(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Process, Process]]:
    tmp = tmp_path_factory.mktemp("security")
    geokv = start_geokv(tmp)
    try:
        ref = start_redis(tmp)
    except BaseException:
        geokv.stop()
        raise
    yield geokv, ref
    ref.stop()
    geokv.stop()


@pytest.fixture(params=[False, True], ids=["resp2", "resp3"])
def resp3(request: pytest.FixtureRequest) -> bool:
    return bool(request.param)


@pytest.fixture(autouse=True)
def clean_acl(servers: tuple[Process, Process]) -> Iterator[None]:
    """Every test starts with only the default user, passwordless and unrestricted."""
    yield
    for server in servers:
        conn = Raw(server.port)
        try:
            conn.call("AUTH", "default", PASSWORD)  # nopass accepts any password too
            conn.call("CONFIG", "SET", "requirepass", "")
            conn.call("ACL", "SETUSER", "default", "on", "nopass", "allkeys", "allchannels",
                      "allcommands")  # fmt: skip
            users = conn.call("ACL", "USERS").split(b"\r\n")[2::2]
            others = [u for u in users if u and u != b"default"]
            if others:
                conn.call("ACL", "DELUSER", *others)
        finally:
            conn.close()


def same(servers: tuple[Process, Process], resp3: bool, *commands: tuple[str, ...]) -> list[bytes]:
    """Run the commands on one fresh connection to each server; replies must be identical."""
    pair = (Raw(servers[0].port, resp3=resp3), Raw(servers[1].port, resp3=resp3))
    try:
        return [same_bytes(pair, *command) for command in commands]
    finally:
        for conn in pair:
            conn.close()


def test_default_user_and_introspection(servers: tuple[Process, Process], resp3: bool) -> None:
    replies = same(
        servers,
        resp3,
        ("ACL", "LIST"),
        ("ACL", "GETUSER", "default"),
        ("ACL", "GETUSER", "nobody"),
        ("ACL", "WHOAMI"),
        ("ACL", "USERS"),
    )
    assert replies[0] == b"*1\r\n$34\r\nuser default on nopass ~* &* +@all\r\n"


def test_setuser_then_list_and_getuser(servers: tuple[Process, Process], resp3: bool) -> None:
    same(
        servers,
        resp3,
        ("ACL", "SETUSER", "alice", "on", ">p1", ">p2", "<p1", "~foo*", "~bar", "&chan*",
         "+get"),
        ("ACL", "SETUSER", "bob"),
        ("ACL", "SETUSER", "carol", "-@all", "+@string", "-get", "+@read"),
        ("ACL", "SETUSER", "dave", "+@all", "-@keyspace", "allkeys", "allchannels"),
        ("ACL", "SETUSER", "erin", "on", "nopass", "+acl|whoami", "-acl", "+select|0"),
        ("ACL", "SETUSER", "frank", "on", "#" + "ab" * 32, "reset"),
        ("ACL", "SETUSER", "bob", "ON", "NOPASS", "+@ALL", "-@Transaction"),
        ("ACL", "LIST"),
        ("ACL", "USERS"),
        *(("ACL", "GETUSER", name) for name in ("alice", "bob", "carol", "dave", "erin", "frank")),
    )  # fmt: skip


@pytest.mark.parametrize(
    "rule",
    ["foo", "+nosuch", "+@nosuch", "-get|x", "+acl|nosuch", "+acl|", "+acl|whoami|x", "<nopw",
     "#abc", "!" + "A" * 64, "&a b"],
)  # fmt: skip
def test_setuser_errors(servers: tuple[Process, Process], resp3: bool, rule: str) -> None:
    same(servers, resp3, ("ACL", "SETUSER", "x", "on", rule), ("ACL", "USERS"))


def test_setuser_other_errors(servers: tuple[Process, Process], resp3: bool) -> None:
    same(
        servers,
        resp3,
        ("ACL", "SETUSER", "x", "allkeys", "~foo"),
        ("ACL", "SETUSER", "x", "allchannels", "&foo"),
        ("ACL", "SETUSER", "a b"),
        ("ACL", "SETUSER", "a\tb"),
        ("ACL", "SETUSER"),
        ("ACL", "GETUSER"),
        ("ACL", "USERS", "x"),
        ("ACL", "CAT", "a", "b"),
        ("ACL", "CAT", "nosuch"),
        ("ACL", "NOSUCH"),
        ("ACL",),
    )


def test_failed_setuser_changes_nothing(servers: tuple[Process, Process], resp3: bool) -> None:
    same(
        servers,
        resp3,
        ("ACL", "SETUSER", "x", "on", ">pw", "+get"),
        ("ACL", "SETUSER", "x", "off", "+set", "bogus"),
        ("ACL", "SETUSER", "y", "on", "bogus"),
        ("ACL", "LIST"),
    )


def test_auth(servers: tuple[Process, Process], resp3: bool) -> None:
    replies = same(
        servers,
        resp3,
        ("AUTH", "pw"),
        ("ACL", "SETUSER", "u", "on", ">pw", "+acl|whoami"),
        ("ACL", "SETUSER", "off-user", "off", "nopass"),
        ("ACL", "SETUSER", "any", "on", "nopass"),
        ("AUTH", "u", "bad"),
        ("AUTH", "nouser", "pw"),
        ("AUTH", "off-user", "x"),
        ("AUTH", "a", "b", "c"),
        ("AUTH",),
        ("ACL", "WHOAMI"),
        ("AUTH", "default", "anything"),
        ("AUTH", "any", ""),
        ("ACL", "WHOAMI"),
        ("AUTH", "u", "pw"),
        ("ACL", "WHOAMI"),
    )
    assert replies[-1] == b"$1\r\nu\r\n"


def test_noperm(servers: tuple[Process, Process], resp3: bool) -> None:
    replies = same(
        servers,
        resp3,
        ("ACL", "SETUSER", "u", "on", ">pw", "~k*", "&ch*", "+get", "+set", "+mget", "+publish",
         "+subscribe", "+psubscribe", "+acl|whoami", "+select|0"),
        ("AUTH", "u", "pw"),
        ("SET", "k1", "v"),
        ("GET", "k1"),
        ("GET", "other"),
        ("MGET", "k1", "other"),
        ("DEL", "k1"),
        ("ACL", "LIST"),
        ("ACL", "WHOAMI"),
        ("SELECT", "0"),
        ("SELECT", "1"),
        ("PUBLISH", "ch1", "m"),
        ("PUBLISH", "news", "m"),
        ("PSUBSCRIBE", "ch1*"),
        ("SUBSCRIBE", "ch1", "news"),
        ("PSUBSCRIBE", "ch*"),
    )  # fmt: skip
    assert replies[4].startswith(b"-NOPERM this user has no permissions to access one of the keys")


def test_deluser(servers: tuple[Process, Process]) -> None:
    same(
        servers,
        False,
        ("ACL", "DELUSER", "default"),
        ("ACL", "SETUSER", "x"),
        ("ACL", "DELUSER", "x", "nobody", "x"),
        ("ACL", "DELUSER", "x", "default"),
    )
    for server in servers:
        admin = Raw(server.port)
        admin.call("ACL", "SETUSER", "u", "on", "nopass", "+@all")
        victim, suicidal = Raw(server.port), Raw(server.port)
        try:
            assert victim.call("AUTH", "u", "x") == b"+OK\r\n"
            assert suicidal.call("AUTH", "u", "x") == b"+OK\r\n"
            # Deleting your own user answers, then closes the connection.
            assert suicidal.call("ACL", "DELUSER", "u") == b":1\r\n"
            assert suicidal.closed_by_peer()
            with pytest.raises(ConnectionError):
                victim.call("PING")
            assert admin.call("PING") == b"+PONG\r\n"
        finally:
            for conn in (admin, victim, suicidal):
                conn.close()


def test_acl_cat(servers: tuple[Process, Process]) -> None:
    same(servers, False, ("ACL", "CAT"), ("ACL", "CAT", "nosuch"))
    geokv, ref = (redis.Redis(port=s.port, socket_timeout=10) for s in servers)
    raw_ref = Raw(servers[1].port)
    try:
        for category in execute(ref, "ACL", "CAT"):
            ours = execute(geokv, "ACL", "CAT", category.upper())
            theirs = execute(ref, "ACL", "CAT", category)
            # geokv's commands that Redis 7.0 has are in the same categories there.
            for extra in set(ours) - set(theirs):
                assert raw_ref.call("COMMAND", "INFO", extra) == b"*1\r\n$-1\r\n", extra
            assert len(ours) == len(set(ours))
        assert b"get" in execute(geokv, "ACL", "CAT", "string")
    finally:
        raw_ref.close()
        geokv.close()
        ref.close()


def test_acl_help_lists_what_geokv_serves(servers: tuple[Process, Process]) -> None:
    conn = Raw(servers[0].port)
    try:
        help_text = conn.call("ACL", "HELP")
    finally:
        conn.close()
    assert help_text.startswith(b"*18\r\n+ACL <subcommand> [<arg> [value] [opt] ...].")
    for sub in (b"CAT", b"DELUSER", b"GETUSER", b"LIST", b"SETUSER", b"USERS", b"WHOAMI"):
        assert b"\r\n+" + sub in help_text
    assert b"DRYRUN" not in help_text


def test_config_set_requirepass(servers: tuple[Process, Process], resp3: bool) -> None:
    for server in servers:
        before = Raw(server.port, resp3=resp3)
        try:
            assert before.call("CONFIG", "SET", "requirepass", PASSWORD) == b"+OK\r\n"
            # Connections made before keep working.
            assert before.call("PING") == b"+PONG\r\n"
        finally:
            before.close()
    same(
        servers,
        False,
        ("PING",),
        ("GET", "k"),
        ("AUTH", "wrong"),
        ("AUTH", "default", "wrong"),
        ("ACL", "LIST"),
        ("AUTH", PASSWORD),
        ("GET", "k"),
        ("ACL", "LIST"),
        ("CONFIG", "SET", "requirepass", ""),
        ("ACL", "LIST"),
    )


def test_default_nopass_frees_waiting_clients(servers: tuple[Process, Process]) -> None:
    for server in servers:
        admin = Raw(server.port)
        try:
            admin.call("ACL", "SETUSER", "default", ">pw")
            waiting = Raw(server.port)
            try:
                assert waiting.call("PING") == b"-NOAUTH Authentication required.\r\n"
                admin.call("ACL", "SETUSER", "default", "nopass")
                assert waiting.call("PING") == b"+PONG\r\n"
            finally:
                waiting.close()
        finally:
            admin.close()


@pytest.mark.parametrize(
    ("request_bytes", "expected"),
    [
        (b"*11\r\n", b"-ERR Protocol error: unauthenticated multibulk length\r\n"),
        (b"*2\r\n$3\r\nGET\r\n$16385\r\n", b"-ERR Protocol error: unauthenticated bulk length\r\n"),
        (b"*10\r\n$4\r\nPING\r\n", None),
    ],
)
def test_unauthenticated_request_limits(
    servers: tuple[Process, Process], request_bytes: bytes, expected: bytes | None
) -> None:
    for server in servers:
        admin = Raw(server.port)
        conn = None
        try:
            admin.call("CONFIG", "SET", "requirepass", PASSWORD)
            conn = Raw(server.port)
            conn.sock.sendall(request_bytes)
            if expected is None:
                conn.sock.sendall(b"$1\r\nx\r\n" * 9)
                assert conn.read() == b"-NOAUTH Authentication required.\r\n"
            else:
                assert conn.read() == expected
                assert conn.closed_by_peer()
        finally:
            if conn is not None:
                conn.close()
            admin.close()


@pytest.mark.parametrize("protocol", [2, 3])
def test_requirepass_at_start_with_redis_py(tmp_path: Path, protocol: int) -> None:
    server = start_geokv(tmp_path, "--requirepass", PASSWORD)
    try:
        refusal = "Authentication required" if protocol == 2 else "HELLO must be called with"
        with (
            contextlib.closing(
                redis.Redis(port=server.port, protocol=protocol, socket_timeout=10, retry=NO_RETRY)
            ) as anonymous,
            pytest.raises(redis.AuthenticationError, match=refusal),
        ):
            anonymous.get("k")
        with contextlib.closing(
            redis.Redis(port=server.port, password=PASSWORD, protocol=protocol, socket_timeout=10)
        ) as client:
            assert client.set("k", "v")
            execute(client, "ACL", "SETUSER", "reader", "on", ">rpw", "~*", "+@read")
        with contextlib.closing(
            redis.Redis(
                port=server.port,
                username="reader",
                password="rpw",
                protocol=protocol,
                socket_timeout=10,
            )
        ) as reader:
            assert reader.get("k") == b"v"
            with pytest.raises(redis.exceptions.NoPermissionError, match="'set' command"):
                reader.set("k", "w")
        with (
            contextlib.closing(
                redis.Redis(port=server.port, password="wrong", protocol=protocol, retry=NO_RETRY)
            ) as wrong,
            pytest.raises(redis.AuthenticationError, match="invalid username-password pair"),
        ):
            wrong.ping()
    finally:
        server.stop()
