"""PUBLISH in one region reaches subscribers in every region, once each (records are
relayed by every peer, so each region receives a message by several paths)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.integration.compare import pubsub_of
from tests.replicator.cluster import Cluster

REGIONS = ["eu", "us", "ap"]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(tmp_path, REGIONS, latency=0.02)
    try:
        yield c
    finally:
        c.stop()


def _drain(sub: redis.client.PubSub, want: int, timeout: float = 20.0) -> list[bytes]:
    """Messages received until `want` arrived, then a while longer for extra copies."""
    got: list[bytes] = []
    deadline = time.monotonic() + timeout
    settle: float | None = None
    while time.monotonic() < deadline and (settle is None or time.monotonic() < settle):
        message = sub.get_message(timeout=0.1)
        if message is not None and message["type"] == "message":
            got.append(message["data"])
        if len(got) >= want and settle is None:
            settle = time.monotonic() + 1.0  # duplicates would have come by now
    return got


def test_published_messages_reach_every_regions_subscribers_once(cluster: Cluster) -> None:
    subs = {}
    for region in REGIONS:
        sub = pubsub_of(cluster.clients[region])
        sub.subscribe("news")
        assert sub.get_message(timeout=5)["type"] == "subscribe"
        subs[region] = sub
    sent = []
    for region in REGIONS:
        for i in range(5):
            message = f"{region}-{i}".encode()
            receivers = cluster.clients[region].publish("news", message)
            assert receivers == 1  # the local subscriber, as in Redis
            sent.append(message)
    cluster.wait_converged()
    for region, sub in subs.items():
        got = _drain(sub, len(sent))
        assert sorted(got) == sorted(sent), region
        # Per publisher, in the order it published.
        for origin in REGIONS:
            mine = [m for m in got if m.startswith(origin.encode())]
            assert mine == [f"{origin}-{i}".encode() for i in range(5)], (region, origin)
        sub.close()
    # Messages are not data: no key was created anywhere.
    for client in cluster.clients.values():
        assert client.dbsize() == 0
