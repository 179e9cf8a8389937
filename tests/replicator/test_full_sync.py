"""A region away long enough that its peers compacted the history it needs comes back
through a full sync (snapshot merged into its live keyspace, then the records after
it) while writes go on everywhere, and nothing acknowledged is lost on any side."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from tests.replicator.cluster import Cluster

REGIONS = ["eu", "us", "ap"]
# Tiny segments, history and snapshot interval: compaction after a few hundred writes.
COMPACTING = (
    "--binlog-segment-size", "4096",
    "--binlog-history-size", "4096",
    "--binlog-snapshot-every", "8192",
)  # fmt: skip


def compacting_cluster(tmp_path: Path, regions: list[str]) -> Iterator[Cluster]:
    """A cluster that compacts its history quickly, stopped whatever happens."""
    c = Cluster(tmp_path, regions, flags=COMPACTING)
    try:
        yield c
    finally:
        c.stop()


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    yield from compacting_cluster(tmp_path, REGIONS)


class RegionWriter(threading.Thread):
    """A client thread writing to one region until stopped or `limit` writes."""

    def __init__(self, port: int, region: str, seed: int, limit: int) -> None:
        super().__init__(daemon=True)
        self.client = redis.Redis(port=port)
        self.region = region
        self.rnd = random.Random(seed)
        self.limit = limit
        self.halt = threading.Event()

    def finish(self) -> None:
        self.halt.set()
        self.join(120)
        assert not self.is_alive()


class Writer(RegionWriter):
    """SET/DEL on shared keys, INCRBY on shared counters (acknowledged increments
    summed), one unique key per write."""

    def __init__(self, port: int, region: str, seed: int, limit: int) -> None:
        super().__init__(port, region, seed, limit)
        self.increments: Counter[str] = Counter()
        self.unique: list[bytes] = []

    def run(self) -> None:
        rnd, client = self.rnd, self.client
        i = 0
        while not self.halt.is_set() and i < self.limit:
            choice = rnd.random()
            if choice < 0.3:
                client.set(f"k{rnd.randrange(8)}", f"{self.region}-{i}")
            elif choice < 0.45:
                client.delete(f"k{rnd.randrange(8)}")
            elif choice < 0.55:
                client.sadd(f"s{rnd.randrange(3)}", f"{self.region}-{i}")
            else:
                key, by = f"c{rnd.randrange(3)}", rnd.randrange(-5, 10)
                client.incrby(key, by)
                self.increments[key] += by  # acknowledged: the reply came
            name = f"u:{self.region}:{i}".encode()
            client.set(name, b"1")
            self.unique.append(name)
            i += 1


def test_a_region_back_after_compaction_rejoins_by_full_sync_under_writes(
    cluster: Cluster,
) -> None:
    for peer in ("eu", "us"):
        cluster.cut("ap", peer)
        cluster.reset("ap", peer)  # the open streams end: a Hello must cross after healing
    before = [Writer(cluster.procs[r].port, r, n, limit=700) for n, r in enumerate(REGIONS)]
    for w in before:
        w.start()
    for w in before:
        w.join(120)
    cluster.wait_converged(["eu", "us"])
    during = [
        Writer(cluster.procs[r].port, r, 10 + n, limit=100_000) for n, r in enumerate(REGIONS)
    ]
    for w in during:
        w.start()
    try:
        time.sleep(0.3)
        cluster.heal("ap", "eu")
        cluster.heal("ap", "us")
        deadline = time.monotonic() + 60
        while not (
            int(cluster.crdt("ap")["peer_eu"]["full_syncs"])
            + int(cluster.crdt("ap")["peer_us"]["full_syncs"])
        ):
            assert time.monotonic() < deadline, cluster.crdt("ap")
            time.sleep(0.05)
        time.sleep(0.5)  # writes go on after the sync too
    finally:
        for w in during:
            w.finish()
    cluster.wait_converged()
    writers = before + during
    assert sum(len(w.unique) for w in during) > 0
    increments: Counter[str] = Counter()
    for w in writers:
        increments.update(w.increments)
    unique = [name for w in writers for name in w.unique]
    served = {r: int(cluster.crdt(r)["full_syncs_served"]) for r in REGIONS}
    assert served["eu"] + served["us"] >= 1  # ap needed a snapshot
    assert served["ap"] >= 1  # and so did they: ap's own history was compacted too
    for region, client in cluster.clients.items():
        for key, total in increments.items():
            assert int(client.get(key) or 0) == total, (region, key)
        assert client.exists(*unique) == len(unique), region
    # ap's log serves others after its full syncs: eu, cut off from us, catches
    # up on ap's new writes (and everything before) from ap alone.
    for peer in ("us", "ap"):
        cluster.cut("eu", peer)
        cluster.reset("eu", peer)
    ap = cluster.clients["ap"]
    for i in range(200):
        ap.incrby("after", 1)
        ap.set(f"after:{i}", i)
    cluster.heal("eu", "ap")
    cluster.wait_converged(["eu", "ap"])
    assert cluster.clients["eu"].get("after") == b"200"
    cluster.heal("eu", "us")
    cluster.wait_converged()
    # The merged state is durable: ap restarts from its own log and snapshot.
    digest = cluster.digest("ap")
    cluster.restart("ap")
    assert cluster.digest("ap") == digest


def test_a_region_that_lost_its_disk_writes_after_the_records_a_full_sync_gave_back(
    cluster: Cluster,
) -> None:
    eu = cluster.clients["eu"]
    for i in range(700):
        eu.set(f"own:{i}", i)
    cluster.wait_converged()
    cluster.restart("eu", lose="disk")
    deadline = time.monotonic() + 30
    while cluster.crdt("eu")["own_records_missing"]:
        assert time.monotonic() < deadline, cluster.crdt("eu")
        time.sleep(0.05)
    crdt = cluster.crdt("eu")
    assert crdt["peer_us"]["full_syncs"] + crdt["peer_ap"]["full_syncs"] >= 1
    eu = cluster.clients["eu"]
    eu.set("own:0", "new")  # eu:701, not a seq the peers hold already
    assert cluster.applied("eu")["eu"] == 701
    cluster.wait_converged()
    for region, client in cluster.clients.items():
        assert client.get("own:0") == b"new", region
        assert client.get("own:699") == b"699", region
