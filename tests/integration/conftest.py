"""Clients of the shared geokv server, in RESP2 and RESP3."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.conftest import Process


@pytest.fixture(params=[2, 3], ids=["resp2", "resp3"])
def r(request: pytest.FixtureRequest, geokv_server: Process) -> Iterator[redis.Redis]:
    """A redis-py client of the shared server, once per protocol; the server is flushed first."""
    client = redis.Redis(port=geokv_server.port, protocol=request.param, socket_timeout=10)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def ref(redis_server: Process) -> Iterator[redis.Redis]:
    """A client of the reference redis-server (RESP2), flushed first."""
    client = redis.Redis(port=redis_server.port, socket_timeout=10)
    client.flushall()
    yield client
    client.close()
