"""Regions on real processes converge: under latency and concurrent writers, after a
partition heals, and through a relay when the origin's own link is gone."""

from __future__ import annotations

import random
import threading
import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path

import pytest
import redis

from replicator.subscriber import DIRECT_STALE_SECONDS
from tests.replicator.cluster import Cluster, Lost
from topology.client import AdminClient
from topology.render import writes_text

REGIONS = ["eu", "us", "ap"]


@pytest.fixture
def cluster(tmp_path: Path, request: pytest.FixtureRequest) -> Iterator[Cluster]:
    c = Cluster(tmp_path, REGIONS, latency=getattr(request, "param", 0.0))
    try:
        yield c
    finally:
        c.stop()


def _writer(
    port: int, region: str, ops: int, seed: int, increments: Counter[str], unique: list[bytes]
) -> None:
    """Overlapping string keys: SET/DEL on k*, INCRBY on c*, one unique key per write."""
    rnd = random.Random(seed)
    client = redis.Redis(port=port)
    for i in range(ops):
        choice = rnd.random()
        if choice < 0.35:
            client.set(f"k{rnd.randrange(5)}", f"{region}-{i}")
        elif choice < 0.5:
            client.delete(f"k{rnd.randrange(5)}")
        else:
            key, by = f"c{rnd.randrange(3)}", rnd.randrange(-5, 10)
            client.incrby(key, by)
            increments[key] += by  # acknowledged: the reply came
        name = f"u:{region}:{i}".encode()
        client.set(name, b"1")
        unique.append(name)


def _write_everywhere(
    cluster: Cluster, ops: int, seed: int = 0
) -> tuple[Counter[str], list[bytes]]:
    increments: Counter[str] = Counter()
    unique: list[bytes] = []
    threads = [
        threading.Thread(
            target=_writer,
            args=(cluster.procs[r].port, r, ops, seed + n, increments, unique),
        )
        for n, r in enumerate(cluster.regions)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return increments, unique


def _check_all_writes(cluster: Cluster, increments: Counter[str], unique: list[bytes]) -> None:
    for region, client in cluster.clients.items():
        for key, total in increments.items():
            assert int(client.get(key) or 0) == total, (region, key)
        present = client.exists(*unique)
        assert present == len(unique), region


@pytest.mark.parametrize("cluster", [0.05], indirect=True)
def test_concurrent_writers_under_latency_converge(cluster: Cluster) -> None:
    increments, unique = _write_everywhere(cluster, ops=150)
    cluster.wait_converged()
    _check_all_writes(cluster, increments, unique)
    info = cluster.crdt("eu")
    assert info["buffered_records"] == 0
    assert info["peer_us"]["state"] == info["peer_ap"]["state"] == "connected"
    assert info["peer_us"]["lag_records"] == 0


def test_a_region_gets_none_of_its_own_records_back(cluster: Cluster) -> None:
    # Between two acks (every 50 ms) a peer does not know eu applied eu's newest
    # records; it must not send them back all the same (eu wrote them).
    client = cluster.clients["eu"]
    for i in range(300):
        client.set(f"own:{i}", b"v")
    cluster.wait_converged()
    info = cluster.crdt("eu")
    assert int(info["peer_us"]["received"]) == int(info["peer_ap"]["received"]) == 0
    assert int(cluster.crdt("us")["peer_eu"]["received"]) == 300


def _cut_off_losing_own_records(
    cluster: Cluster, prefix: str, count: int, lose: Lost
) -> redis.Redis:
    """eu writes `count` keys, they reach every region, then eu is cut off from both
    peers and restarted having lost records of its own; its client."""
    client = cluster.clients["eu"]
    for i in range(count):
        client.set(f"{prefix}:{i}", b"old")
    cluster.wait_converged()
    cluster.cut("eu", "us")
    cluster.cut("eu", "ap")
    cluster.restart("eu", lose=lose)
    return cluster.clients["eu"]


@pytest.mark.parametrize("lose", ["tail", "disk"])
def test_a_region_that_lost_records_of_its_own_writes_only_once_peers_sent_them_back(
    cluster: Cluster, lose: Lost
) -> None:
    eu = _cut_off_losing_own_records(cluster, "own", 200, lose)
    lost = 200 - cluster.applied("eu").get("eu", 0)
    assert lost > 50
    # Its next record would take a seq its peers hold, with other contents.
    with pytest.raises(redis.exceptions.BusyLoadingError):
        eu.set("after", b"new")
    assert eu.get("own:0") == (b"old" if lose == "tail" else None)  # reads are served
    assert cluster.crdt("eu")["own_records_missing"] == 1
    admin, address = AdminClient(), f"127.0.0.1:{cluster.repl_ports['eu']}"
    held = admin.region_status(address)  # what `geokv topology status` shows
    assert held.writes_held and list(held.waiting_for) == ["ap", "us"]
    assert writes_text(held) == "held (waiting for ap,us)"
    cluster.heal("eu", "us")
    cluster.heal("eu", "ap")
    deadline = time.monotonic() + 30
    while cluster.crdt("eu")["own_records_missing"]:
        assert time.monotonic() < deadline, cluster.crdt("eu")
        time.sleep(0.05)
    assert cluster.applied("eu")["eu"] == 200
    assert writes_text(admin.region_status(address)) == "open"
    eu.set("after", b"new")
    eu.set("own:0", b"new")
    cluster.wait_converged()
    for region, c in cluster.clients.items():
        assert c.exists(*[f"own:{i}" for i in range(200)]) == 200, region
        assert c.mget("after", "own:0", "own:199") == [b"new", b"new", b"old"], region


def test_a_region_that_resumed_without_its_peers_reports_those_holding_its_lost_records(
    cluster: Cluster,
) -> None:
    """eu loses its disk and, its peers unreachable, writes again at once (timeout
    0): its seqs 1.. now carry other contents than us's and ap's. Healed, it says
    so (the regions cannot converge on them) instead of drifting apart silently."""
    eu = _cut_off_losing_own_records(cluster, "old", 100, "disk")
    eu.config_set("own-records-timeout", 0)
    deadline = time.monotonic() + 10
    while cluster.crdt("eu")["own_records_missing"]:
        assert time.monotonic() < deadline
        time.sleep(0.05)
    eu.set("new", b"new")  # seq 1 again
    assert cluster.crdt("eu")["own_records_conflicts"] == ""
    cluster.heal("eu", "us")
    cluster.heal("eu", "ap")
    deadline = time.monotonic() + 30
    while cluster.crdt("eu")["own_records_conflicts"] != "ap:100 us:100":
        assert time.monotonic() < deadline, cluster.crdt("eu")
        time.sleep(0.05)


def test_a_partitioned_region_catches_up_after_healing(cluster: Cluster) -> None:
    cluster.cut("ap", "eu")
    cluster.cut("ap", "us")
    increments, unique = _write_everywhere(cluster, ops=100, seed=10)
    cluster.wait_converged(["eu", "us"])
    assert cluster.digest("ap") != cluster.digest("eu")  # ap's writes and theirs still apart
    cluster.heal("ap", "eu")
    cluster.heal("ap", "us")
    cluster.wait_converged()
    _check_all_writes(cluster, increments, unique)


def test_a_stream_goes_on_when_the_origins_it_did_not_relay_deliver_again(
    cluster: Cluster,
) -> None:
    """us is cut off long enough that each of its links sees the other go stale;
    ap's link comes back first: eu's stream then need not start over (its peer
    would read everything us lacks from its log again), ap sends its own records."""
    cluster.cut("us", "eu")
    cluster.cut("us", "ap")
    for i in range(100):
        cluster.clients["eu"].set(f"eu:{i}", i)
        cluster.clients["ap"].set(f"ap:{i}", i)
    time.sleep(DIRECT_STALE_SECONDS + 1)
    connects = int(cluster.crdt("us")["peer_eu"]["connects"])
    cluster.heal("us", "ap")
    deadline = time.monotonic() + 30
    while cluster.applied("us").get("ap") != 100:
        assert time.monotonic() < deadline, cluster.crdt("us")
        time.sleep(0.02)
    cluster.heal("us", "eu")
    cluster.wait_converged()
    assert int(cluster.crdt("us")["peer_eu"]["connects"]) == connects
    assert cluster.clients["us"].get("eu:99") == b"99"


def test_records_reach_a_region_through_a_relay_after_their_origin_died(
    cluster: Cluster,
) -> None:
    cluster.cut("eu", "ap")
    eu = cluster.clients["eu"]
    for i in range(200):
        eu.set(f"eu:{i}", i)
    eu.incrby("counter", 7)
    deadline = time.monotonic() + 30
    while cluster.applied("us").get("eu") != 201:
        assert time.monotonic() < deadline, cluster.applied("us")
        time.sleep(0.05)
    cluster.procs["eu"].proc.kill()  # gone for good, before ap ever heard from it directly
    cluster.procs["eu"].proc.wait(10)
    cluster.wait_converged(["us", "ap"])
    ap = cluster.clients["ap"]
    assert ap.get("eu:199") == b"199"
    assert ap.get("counter") == b"7"
    assert cluster.applied("ap")["eu"] == 201


def test_peers_do_not_relay_records_a_region_gets_from_their_origin(cluster: Cluster) -> None:
    time.sleep(3.0)  # every link has delivered a heartbeat: each region's direct set is full
    eu = cluster.clients["eu"]
    for i in range(300):
        eu.set(f"eu:{i}", i)
    cluster.wait_converged()
    for relay, subscriber in (("us", "ap"), ("ap", "us")):
        line = cluster.crdt(relay)[f"subscriber_{subscriber}"]
        # eu's records: skipped, or already acknowledged (received from eu first).
        assert int(line["records_sent"]) < 30, line
        assert int(line["records_skipped"]) > 0, line
