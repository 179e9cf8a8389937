"""The server answers real clients at all: the base every other integration test stands on."""

from __future__ import annotations

import redis

from tests.integration.compare import execute


def test_ping_set_get_roundtrip(r: redis.Redis) -> None:
    assert r.ping() is True
    assert r.set("k", "v") is True
    assert r.get("k") == b"v"
    assert r.get("missing") is None


def test_unknown_command_error_matches_redis(r: redis.Redis, ref: redis.Redis) -> None:
    errors = []
    for client in (r, ref):
        try:
            execute(client, "NOSUCHCMD", "a", "b")
        except redis.ResponseError as exc:
            errors.append(str(exc))
    assert len(errors) == 2
    assert errors[0] == errors[1]
