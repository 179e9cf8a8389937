"""Tombstones stay while a region has not acknowledged what the others applied,
and are collected once every region has (INFO crdt `tombstones`)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.replicator.cluster import Cluster

REGIONS = ["eu", "us", "ap"]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(tmp_path, REGIONS)
    try:
        yield c
    finally:
        c.stop()


def _tombstones(cluster: Cluster, region: str) -> int:
    return int(cluster.crdt(region)["tombstones"])


def test_tombstones_are_collected_once_every_region_acknowledged(cluster: Cluster) -> None:
    eu = cluster.clients["eu"]
    for i in range(20):
        eu.set(f"s{i}", "v")
        eu.hset("h", f"f{i}", "1")
        eu.hincrby("h", f"n{i}", 1)
    cluster.wait_converged()
    cluster.cut("ap", "eu")
    cluster.cut("ap", "us")
    eu.delete(*[f"s{i}" for i in range(20)])
    eu.hdel("h", *[f"n{i}" for i in range(20)])  # counter fields: baselines kept
    cluster.wait_converged(["eu", "us"])
    time.sleep(1.0)  # several cron ticks: ap's acks are held, nothing may go
    for region in ("eu", "us"):
        assert _tombstones(cluster, region) >= 40, cluster.crdt(region)
    cluster.heal("ap", "eu")
    cluster.heal("ap", "us")
    cluster.wait_converged()
    deadline = time.monotonic() + 30
    while any(_tombstones(cluster, r) for r in REGIONS):
        assert time.monotonic() < deadline, {r: _tombstones(cluster, r) for r in REGIONS}
        time.sleep(0.1)
    assert eu.hlen("h") == 20  # the fields that were not deleted stay
