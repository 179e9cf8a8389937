"""Lists through a full sync on real processes: two regions cut off long enough that
they compacted the history the other needs rejoin by a full sync (one joins the
other's snapshot into its live lists, often both) while both keep pushing,
inserting, popping and moving elements; they converge to the same lists and no acknowledged element
is lost: each one pushed is still in a list unless a pop or LREM returned it."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.replicator.cluster import Cluster
from tests.replicator.test_full_sync import RegionWriter, compacting_cluster

REGIONS = ["eu", "ap"]
LISTS = [f"l{n}" for n in range(3)]


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    yield from compacting_cluster(tmp_path, REGIONS)


class ListWriter(RegionWriter):
    """List commands on shared keys with unique values until stopped; remembers the
    values it pushed (acknowledged) and those its pops and LREMs returned."""

    def __init__(self, port: int, region: str, seed: int, limit: int) -> None:
        super().__init__(port, region, seed, limit)
        self.pushed: list[str] = []
        self.taken: set[str] = set()

    def run(self) -> None:
        for i in range(self.limit):
            if self.halt.is_set():
                return
            self.step(f"{self.region}-{i}")

    def step(self, value: str) -> None:
        rnd, client = self.rnd, self.client
        key, choice = rnd.choice(LISTS), rnd.random()
        pivot = rnd.choice(self.pushed[-20:]) if self.pushed else value
        if choice < 0.5:
            (client.rpush if choice < 0.3 else client.lpush)(key, value)
            self.pushed.append(value)
        elif choice < 0.65:
            if client.linsert(key, "BEFORE", pivot, value) > 0:
                self.pushed.append(value)
        elif choice < 0.85:
            popped = (client.lpop if choice < 0.75 else client.rpop)(key)
            if isinstance(popped, bytes):
                self.taken.add(popped.decode())
        elif choice < 0.95:
            client.lmove(key, rnd.choice(LISTS), "LEFT", "RIGHT")  # the value stays in a list
        elif client.lrem(key, 1, pivot):
            self.taken.add(pivot)


def full_syncs(cluster: Cluster) -> int:
    return sum(
        int(cluster.crdt(r)[f"peer_{p}"]["full_syncs"]) for r, p in (("eu", "ap"), ("ap", "eu"))
    )


def test_lists_written_on_both_sides_during_a_full_sync_converge_losing_nothing(
    cluster: Cluster,
) -> None:
    cluster.cut("eu", "ap")
    cluster.reset("eu", "ap")  # the open streams end: a Hello must cross after healing
    before = [ListWriter(cluster.procs[r].port, r, n, limit=500) for n, r in enumerate(REGIONS)]
    for w in before:
        w.start()
    for w in before:
        w.finish()
    during = [
        ListWriter(cluster.procs[r].port, f"{r}+", 10 + n, limit=100_000)
        for n, r in enumerate(REGIONS)
    ]
    for w in during:
        w.start()
    try:
        time.sleep(0.3)
        cluster.heal("eu", "ap")
        deadline = time.monotonic() + 60
        while not full_syncs(cluster):
            assert time.monotonic() < deadline, cluster.crdt("ap")
            time.sleep(0.05)
        time.sleep(0.5)  # writes go on after the sync too
    finally:
        for w in during:
            w.finish()
    cluster.wait_converged()
    assert all(w.pushed for w in during), "both sides wrote lists during the sync"
    served = {r: int(cluster.crdt(r)["full_syncs_served"]) for r in REGIONS}
    assert served["eu"] + served["ap"] >= 1, served  # a snapshot was joined into live lists
    held = {r: [cluster.clients[r].lrange(key, 0, -1) for key in LISTS] for r in REGIONS}
    assert held["eu"] == held["ap"]
    present = {v.decode() if isinstance(v, bytes) else v for items in held["eu"] for v in items}
    writers = before + during
    taken = set().union(*(w.taken for w in writers))
    lost = [v for w in writers for v in w.pushed if v not in present and v not in taken]
    assert not lost
