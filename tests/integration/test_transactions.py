"""MULTI/EXEC/DISCARD/WATCH/UNWATCH over the wire, in RESP2 and RESP3, against redis-server 7.0.

Most tests run the same script on geokv and on the reference server, on one
connection each, and compare every reply and error (redis-py's exception class
names the error code, its text the rest).
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import redis

from tests.conftest import Process, start_geokv, start_redis
from tests.integration.compare import execute, port_of, protocol_of, watch

Script = list[tuple[Any, ...]]


@pytest.fixture
def pair(r: redis.Redis, redis_server: Process) -> Iterator[tuple[redis.Redis, redis.Redis]]:
    """Single-connection clients of geokv and of the reference, same protocol, both empty."""
    protocol = protocol_of(r)
    ours = redis.Redis(
        port=port_of(r),
        protocol=protocol,
        single_connection_client=True,
        socket_timeout=10,
    )
    theirs = redis.Redis(
        port=redis_server.port, protocol=protocol, single_connection_client=True, socket_timeout=10
    )
    theirs.flushall()
    for client in (ours, theirs):
        # Raw replies: redis-py's callbacks would turn SET's QUEUED into False.
        client.response_callbacks.clear()
    yield ours, theirs
    ours.close()
    theirs.close()


def normalize(value: Any) -> Any:
    if isinstance(value, Exception):
        return (type(value).__name__, str(value))
    if isinstance(value, list):
        return [normalize(v) for v in value]
    return value


def outcomes(client: redis.Redis, script: Script) -> list[Any]:
    out: list[Any] = []
    for command in script:
        try:
            out.append(normalize(execute(client, *command)))
        except redis.ResponseError as exc:
            out.append(normalize(exc))
    return out


def same_as_redis(pair: tuple[redis.Redis, redis.Redis], script: Script) -> list[Any]:
    ours, theirs = pair
    got = outcomes(ours, script)
    assert got == outcomes(theirs, script)
    return got


def test_exec_runs_the_queue_in_order(pair: tuple[redis.Redis, redis.Redis]) -> None:
    got = same_as_redis(
        pair,
        [("MULTI",), ("SET", "a", "1"), ("INCR", "a"), ("GET", "a"), ("DEL", "a"), ("EXEC",)],
    )
    assert got[1:5] == [b"QUEUED"] * 4
    assert got[5][1:] == [2, b"2", 1]
    assert pair[0].exists("a") == 0


def test_command_errors_inside_exec_are_per_command(pair: tuple[redis.Redis, redis.Redis]) -> None:
    got = same_as_redis(
        pair,
        [
            ("SET", "s", "text"),
            ("MULTI",),
            ("INCR", "s"),
            ("SET", "x", "1"),
            ("EXPIRE", "x", "soon"),
            ("GET", "x"),
            ("EXEC",),
        ],
    )
    result = got[-1]
    assert result[0] == ("ResponseError", "value is not an integer or out of range")
    assert result[2] == ("ResponseError", "value is not an integer or out of range")
    assert result[3] == b"1"


def test_control_command_errors(pair: tuple[redis.Redis, redis.Redis]) -> None:
    got = same_as_redis(
        pair,
        [
            ("EXEC",),
            ("DISCARD",),
            ("MULTI",),
            ("MULTI",),
            ("WATCH", "k"),
            ("SET", "k", "v"),
            ("EXEC",),
        ],
    )
    assert got[0] == ("ResponseError", "EXEC without MULTI")
    assert got[1] == ("ResponseError", "DISCARD without MULTI")
    assert got[3] == ("ResponseError", "MULTI calls can not be nested")
    assert got[4] == ("ResponseError", "WATCH inside MULTI is not allowed")
    # Neither error poisons the transaction.
    assert got[6] == [b"OK"]


@pytest.mark.parametrize(
    "bad",
    [("NOSUCHCMD", "x"), ("GET",), ("SET", "k"), ("CONFIG",)],
    ids=["unknown", "arity", "arity-set", "arity-container"],
)
def test_queue_time_errors_abort_exec(
    pair: tuple[redis.Redis, redis.Redis], bad: tuple[str, ...]
) -> None:
    got = same_as_redis(pair, [("MULTI",), ("SET", "a", "1"), bad, ("EXEC",), ("EXISTS", "a")])
    assert got[2][0] == "ResponseError"
    assert got[3] == ("ExecAbortError", "Transaction discarded because of previous errors.")
    assert got[4] == 0


def test_refused_exec_discards_and_says_why(pair: tuple[redis.Redis, redis.Redis]) -> None:
    got = same_as_redis(
        pair,
        [("EXEC", "x"), ("MULTI",), ("SET", "a", "1"), ("EXEC", "x"), ("EXEC",), ("EXISTS", "a")],
    )
    because = (
        "ExecAbortError",
        "Transaction discarded because of: wrong number of arguments for 'exec' command",
    )
    assert got[0] == got[3] == because
    assert got[4] == ("ResponseError", "EXEC without MULTI")
    assert got[5] == 0


def test_wrong_arity_of_the_control_commands(pair: tuple[redis.Redis, redis.Redis]) -> None:
    got = same_as_redis(
        pair,
        [
            ("MULTI", "x"),
            ("DISCARD", "x"),
            ("WATCH",),
            ("UNWATCH", "x"),
            ("MULTI",),
            ("DISCARD", "x"),
            ("EXEC",),
        ],
    )
    assert got[0] == ("ResponseError", "wrong number of arguments for 'multi' command")
    assert got[2] == ("ResponseError", "wrong number of arguments for 'watch' command")
    assert got[6] == ("ExecAbortError", "Transaction discarded because of previous errors.")


def test_discard_drops_the_queue(pair: tuple[redis.Redis, redis.Redis]) -> None:
    got = same_as_redis(
        pair, [("MULTI",), ("SET", "a", "1"), ("DISCARD",), ("EXISTS", "a"), ("EXEC",)]
    )
    assert got[2] == b"OK" and got[3] == 0


def _other(client: redis.Redis) -> redis.Redis:
    return redis.Redis(port=port_of(client), protocol=protocol_of(client), socket_timeout=10)


TXN: Script = [("MULTI",), ("PING",), ("EXEC",)]


def _watch_then(client: redis.Redis, keys: list[str], meddle: Any, script: Script = TXN) -> Any:
    """WATCH keys, let `meddle` act from another connection, run `script`; the last reply."""
    other = _other(client)
    try:
        execute(client, "WATCH", *keys)
        meddle(other)
    finally:
        other.close()
    return outcomes(client, script)[-1]


def _on_both(pair: tuple[redis.Redis, redis.Redis], setup: Any, *args: Any) -> Any:
    results = []
    for client in pair:
        setup(client)
        results.append(_watch_then(client, *args))
    assert results[0] == results[1]
    return results[0]


@pytest.mark.parametrize(
    "setup,meddle,aborted",
    [
        (lambda c: c.set("k", 1), lambda o: o.set("k", 2), True),
        (lambda c: c.set("k", 1), lambda o: o.set("k", 1), True),
        (lambda c: c.set("k", 1), lambda o: o.set("j", 1), False),
        (lambda c: None, lambda o: o.delete("k"), False),
        (lambda c: c.set("k", 1), lambda o: o.delete("k"), True),
        (lambda c: c.set("k", 1), lambda o: o.expire("k", 100), True),
        (lambda c: c.set("k", 1), lambda o: o.persist("k"), False),
        (lambda c: c.set("k", 1), lambda o: o.flushall(), True),
        (lambda c: c.set("k", 1), lambda o: o.flushdb(), True),
        (lambda c: c.set("other", 1), lambda o: o.flushall(), False),
    ],
    ids=[
        "changed",
        "same-value-set",
        "other-key",
        "del-missing",
        "del-existing",
        "expire",
        "persist-without-ttl",
        "flushall-existing",
        "flushdb-existing",
        "flushall-missing",
    ],
)
def test_watch(
    pair: tuple[redis.Redis, redis.Redis], setup: Any, meddle: Any, aborted: bool
) -> None:
    result = _on_both(pair, setup, ["k"], meddle)
    assert (result is None) == aborted


def test_watch_own_write_before_multi_aborts(pair: tuple[redis.Redis, redis.Redis]) -> None:
    got = same_as_redis(
        pair,
        [("SET", "k", "1"), ("WATCH", "k"), ("SET", "k", "2"), ("MULTI",), ("PING",), ("EXEC",)],
    )
    assert got[-1] is None


@pytest.mark.parametrize("forget", [["UNWATCH"], ["MULTI", "DISCARD"]], ids=["unwatch", "discard"])
def test_unwatch_and_discard_clear_a_dirty_watch(
    pair: tuple[redis.Redis, redis.Redis], forget: list[str]
) -> None:
    script = [(word,) for word in forget] + TXN
    result = _on_both(pair, lambda c: c.set("k", 1), ["k"], lambda o: o.set("k", 2), script)
    assert result == [b"PONG"]


def test_execabort_wins_over_a_dirty_watch(pair: tuple[redis.Redis, redis.Redis]) -> None:
    script: Script = [("MULTI",), ("NOSUCHCMD",), ("EXEC",)]
    result = _on_both(pair, lambda c: c.set("k", 1), ["k"], lambda o: o.set("k", 2), script)
    assert result == ("ExecAbortError", "Transaction discarded because of previous errors.")


def test_watched_key_expiring_before_exec_aborts(pair: tuple[redis.Redis, redis.Redis]) -> None:
    results = []
    for client in pair:
        client.set("k", "v", px=100)
        execute(client, "WATCH", "k")
    time.sleep(0.3)  # let the TTL pass; bounded
    for client in pair:
        results.append(outcomes(client, [("MULTI",), ("PING",), ("EXEC",)])[-1])
    assert results == [None, None]


def test_redis_py_pipeline_without_conflict_commits(r: redis.Redis) -> None:
    with r.pipeline(transaction=True) as pipe:
        watch(pipe, "counter")
        current = int(pipe.get("counter") or 0)
        pipe.multi()
        pipe.set("counter", current + 5)
        pipe.incr("counter")
        assert pipe.execute() == [True, 6]


def test_redis_py_pipeline_raises_watch_error_on_conflict(r: redis.Redis) -> None:
    r.set("k", 1)
    with r.pipeline(transaction=True) as pipe:
        watch(pipe, "k")
        r.set("k", 2)  # another connection of the pool
        pipe.multi()
        pipe.set("k", 3)
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert r.get("k") == b"2"


def test_oom_inside_multi_matches_redis(tmp_path: Path) -> None:
    servers = [start_geokv(tmp_path, "--maxmemory", "1"), start_redis(tmp_path, "--maxmemory", "1")]
    try:
        results = []
        for server in servers:
            client = redis.Redis(port=server.port, single_connection_client=True, socket_timeout=10)
            results.append(
                outcomes(
                    client,
                    [("MULTI",), ("GET", "a"), ("PING",), ("EXEC",), ("MULTI",), ("DISCARD",)],
                )
            )
            client.close()
        assert results[0] == results[1]
        assert results[0][1][0] == "OutOfMemoryError"
        assert results[0][3][0] == "ExecAbortError"
    finally:
        for server in servers:
            server.stop()


def test_acl_change_between_queueing_and_exec(pair: tuple[redis.Redis, redis.Redis]) -> None:
    results = []
    for admin in pair:
        execute(admin, "ACL", "SETUSER", "txn-user", "reset", "on", ">pw", "+@all", "~*", "&*")
        user = redis.Redis(
            port=port_of(admin),
            protocol=protocol_of(admin),
            username="txn-user",
            password="pw",
            single_connection_client=True,
            socket_timeout=10,
        )
        user.response_callbacks.clear()
        try:
            script: Script = [
                ("MULTI",),
                ("SET", "k", "v"),
                ("GET", "k"),
                ("GET", "o1"),
                ("PUBLISH", "ch", "m"),
            ]
            outcomes(user, script)
            execute(
                admin, "ACL", "SETUSER", "txn-user", "-set", "resetkeys", "~o*", "resetchannels"
            )
            results.append(outcomes(user, [("EXEC",)])[0])
        finally:
            user.close()
            execute(admin, "ACL", "DELUSER", "txn-user")
    assert results[0] == results[1]
    changed = (
        "ACLs rules changed between the moment the transaction was accumulated and the EXEC "
        "call. This command is no longer allowed for the following reason: "
    )
    assert results[0] == [
        ("NoPermissionError", changed + "no permission to execute the command or subcommand"),
        ("NoPermissionError", changed + "no permission to touch the specified keys"),
        None,
        (
            "NoPermissionError",
            changed + "no permission to access one of the channels used as arguments",
        ),
    ]
