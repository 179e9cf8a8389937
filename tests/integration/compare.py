"""How integration tests compare geokv's replies with the reference redis-server's.

Owns the ways a reply is captured for comparison: parsed off the wire without
redis-py's per-command reshaping (`raw`, `reply`), as redis-py returns it
(`outcome`), or as exact bytes over a pair of `Raw` connections (`same_bytes`);
and typed doors to the redis-py methods that have no annotations (`execute`,
`pubsub_of`, `watch`).
Knows no command: the test modules say what to run.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import redis

from tests.integration.raw import Raw

Command = tuple[Any, ...]
RawPair = tuple[Raw, Raw]


def protocol_of(client: redis.Redis) -> int:
    """The RESP version a redis-py client speaks (2 unless it was created with 3)."""
    return int(client.connection_pool.connection_kwargs.get("protocol", 2))


def port_of(client: redis.Redis) -> int:
    return int(client.connection_pool.connection_kwargs["port"])


def execute(client: redis.Redis, *args: Any) -> Any:
    """`client.execute_command(*args)`: the reply as redis-py shapes it."""
    # redis-py leaves execute_command unannotated: tests call it through this typed name.
    call: Callable[..., Any] = client.execute_command
    return call(*args)


def pubsub_of(client: redis.Redis) -> redis.client.PubSub:
    """`client.pubsub()`, which redis-py leaves unannotated."""
    make: Callable[[], redis.client.PubSub] = client.pubsub
    return make()


def watch(pipe: redis.client.Pipeline, *names: str) -> None:
    """`pipe.watch(*names)`, which redis-py leaves unannotated."""
    call: Callable[..., None] = pipe.watch
    call(*names)


def raw(client: redis.Redis, *args: Any) -> Any:
    """A command's reply as parsed off the wire, without redis-py's per-command callbacks."""
    pool = client.connection_pool
    conn = pool.get_connection()
    try:
        conn.send_command(*args)  # type: ignore[no-untyped-call]
        # No callback is registered under this name, so nothing reshapes the reply.
        return client.parse_response(conn, "RAW")  # type: ignore[no-untyped-call]
    finally:
        pool.release(conn)


def _or_error(call: Callable[..., Any], *args: Any) -> Any:
    try:
        return call(*args)
    except redis.ResponseError as exc:
        return ("error", str(exc))


def reply(client: redis.Redis, *args: Any) -> Any:
    """A command's raw reply, or ('error', text) for an error reply."""
    return _or_error(raw, client, *args)


def outcome(client: redis.Redis, *args: Any) -> Any:
    """A command's reply as redis-py shapes it, or ('error', text) for an error reply."""
    return _or_error(execute, client, *args)


def error(client: redis.Redis, *args: Any) -> str:
    """The text of the error a command must answer."""
    with pytest.raises(redis.ResponseError) as info:
        raw(client, *args)
    return str(info.value)


def same(r: redis.Redis, ref: redis.Redis, commands: list[Command]) -> None:
    """Run each command on both servers in turn; every raw reply must match."""
    for command in commands:
        assert reply(r, *command) == reply(ref, *command), command


def same_outcome(r: redis.Redis, ref: redis.Redis, *args: Any) -> Any:
    """Run one command on both servers; the replies as redis-py shapes them (or errors) must be identical."""
    got, want = outcome(r, *args), outcome(ref, *args)
    assert got == want, args
    return got


def script(r: redis.Redis, ref: redis.Redis, *lines: str) -> None:
    """`same_outcome` for each line, split on spaces."""
    for line in lines:
        same_outcome(r, ref, *line.split())


def same_error(r: redis.Redis, ref: redis.Redis, *args: Any) -> str:
    """Both servers must answer the command with the same error; its text."""
    mine, theirs = error(r, *args), error(ref, *args)
    assert mine == theirs
    return mine


def same_bytes(pair: RawPair, *args: str | bytes) -> bytes:
    """Send one command to both servers; their replies must be the same bytes."""
    ours, theirs = pair
    got = ours.call(*args)
    assert got == theirs.call(*args), args
    return got
