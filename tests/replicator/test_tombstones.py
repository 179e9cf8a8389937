"""Tombstones stay while a region has not acknowledged what the others applied,
and are collected once every region has (INFO crdt `tombstones`): also while
every region keeps writing, and not while a region is down."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

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


class Writers:
    """One thread per region writing without pause (SET and INCR, no deletes: no
    tombstones of their own), until stopped; counts the writes each region served."""

    def __init__(self, cluster: Cluster, regions: list[str]) -> None:
        self.stopping = threading.Event()
        self.done = dict.fromkeys(regions, 0)
        self.threads = [
            threading.Thread(target=self._run, args=(cluster.clients[r], r), daemon=True)
            for r in regions
        ]
        for thread in self.threads:
            thread.start()

    def _run(self, client: redis.Redis, region: str) -> None:
        deadline = time.monotonic() + 120  # bounded even if the test never stops it
        while not self.stopping.is_set() and time.monotonic() < deadline:
            i = self.done[region]
            client.set(f"w:{region}:{i % 50}", i)
            client.incr(f"n:{region}")
            self.done[region] = i + 1

    def stop(self) -> None:
        self.stopping.set()
        for thread in self.threads:
            thread.join(10)


def _delete_some(client: redis.Redis, prefix: str) -> None:
    """20 deleted keys and 20 removed counter fields: 40 tombstones."""
    for i in range(20):
        client.set(f"{prefix}{i}", "v")
        client.hincrby(f"{prefix}h", f"n{i}", 1)
    client.delete(*[f"{prefix}{i}" for i in range(20)])
    client.hdel(f"{prefix}h", *[f"n{i}" for i in range(20)])


def _wait_collected(cluster: Cluster, regions: list[str], writers: Writers) -> None:
    """Until no region holds a tombstone, while every writer keeps writing."""
    before = dict(writers.done)
    deadline = time.monotonic() + 60
    while any(_tombstones(cluster, r) for r in regions):
        assert time.monotonic() < deadline, {r: cluster.crdt(r) for r in regions}
        time.sleep(0.1)
    while any(writers.done[r] <= before[r] + 20 for r in writers.done):
        assert time.monotonic() < deadline, writers.done  # the writes went on meanwhile
        time.sleep(0.05)


def test_tombstones_are_collected_under_continuous_writes_and_wait_for_a_down_region(
    cluster: Cluster,
) -> None:
    writers = Writers(cluster, REGIONS)
    try:
        _delete_some(cluster.clients["eu"], "d")
        _wait_collected(cluster, REGIONS, writers)
    finally:
        writers.stop()
    cluster.procs["ap"].stop()  # a region down still counts: its tombstones wait
    writers = Writers(cluster, ["eu", "us"])
    try:
        _delete_some(cluster.clients["eu"], "e")
        deadline = time.monotonic() + 30
        while _tombstones(cluster, "us") < 40:
            assert time.monotonic() < deadline, cluster.crdt("us")
            time.sleep(0.05)
        time.sleep(1.0)  # several cron ticks under writes: nothing may go
        for region in ("eu", "us"):
            assert _tombstones(cluster, region) >= 40, cluster.crdt(region)
        cluster.restart("ap")
        cluster.wait_connected()
        _wait_collected(cluster, REGIONS, writers)
    finally:
        writers.stop()
    assert cluster.clients["eu"].exists(*[f"e{i}" for i in range(20)]) == 0
    cluster.wait_converged()
