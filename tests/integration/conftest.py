"""Clients of the shared geokv server (RESP2 and RESP3) and of the reference redis-server."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import redis

from tests.conftest import Process
from tests.integration.compare import RawPair, port_of, protocol_of
from tests.integration.raw import Raw


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


@pytest.fixture
def ref3(r: redis.Redis, redis_server: Process) -> Iterator[redis.Redis]:
    """The reference server, in the same protocol as `r`, flushed first."""
    client = redis.Redis(port=redis_server.port, protocol=protocol_of(r), socket_timeout=10)
    client.flushall()
    yield client
    client.close()


@pytest.fixture
def raw_pair(r: redis.Redis, ref: redis.Redis) -> Iterator[RawPair]:
    """Byte-exact connections to geokv and to the reference, in the protocol of `r`; both flushed."""
    resp3 = protocol_of(r) == 3
    ours, theirs = Raw(port_of(r), resp3), Raw(port_of(ref), resp3)
    yield ours, theirs
    ours.close()
    theirs.close()


@pytest.fixture
def raw(geokv_server: Process) -> Iterator[Raw]:
    """A byte-exact RESP2 connection to the shared geokv server."""
    client = Raw(geokv_server.port)
    yield client
    client.close()


@pytest.fixture
def raw_ref(redis_server: Process) -> Iterator[Raw]:
    """A byte-exact RESP2 connection to the reference redis-server."""
    client = Raw(redis_server.port)
    yield client
    client.close()
