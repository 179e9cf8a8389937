"""Every `geokv topology` verb against real regions, error paths included; a region
joining under writes; a dead region removed with --force."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import free_port
from tests.topology.regions import Regions, cli, cli_json, wait_until


@pytest.fixture(scope="module")
def regions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Regions]:
    regions = Regions(tmp_path_factory.mktemp("topology"), ["a", "b", "c"])
    yield regions
    regions.stop()


def converged(regions: Regions, node: str) -> bool:
    return bool(cli_json("status", "--node", node)["converged"])


def test_create_list_status_health(regions: Regions) -> None:
    args = [a for rid in ("a", "b", "c") for a in ("--region", regions.spec(rid))]
    done = cli("create", "--cluster-id", "t", *args)
    assert done.returncode == 0, done.stderr
    assert done.stdout.count(": stored") == 3
    node = regions.admin("b")
    listed = cli_json("list", "--node", node)
    assert [r["id"] for r in listed["regions"]] == ["a", "b", "c"] and listed["epoch"] == 1
    regions.client("a").set("k", "v")
    wait_until(lambda: converged(regions, node), what="convergence")
    status = cli_json("status", "--node", node)
    assert {r["region"] for r in status["regions"] if r["reachable"]} == {"a", "b", "c"}
    assert len({r["digest"] for r in status["regions"]}) == 1
    assert set(status["regions"][0]["lag"]) == {"b", "c"}
    text = cli("status", "--node", node).stdout
    assert "converged: yes" in text and "VERSION VECTOR" in text
    health = cli("health", "--node", node)
    assert health.returncode == 0 and health.stdout.count(" ok ") == 3


def test_error_paths(regions: Regions) -> None:
    node = regions.admin("a")
    dead = f"127.0.0.1:{free_port()}"
    done = cli("status", "--node", dead)
    assert done.returncode == 1 and f"cannot reach the admin service at {dead}" in done.stderr
    done = cli("add-region", "--node", node, "--id", "b", "--resp", "127.0.0.1:1",
               "--replication", "127.0.0.1:2")  # fmt: skip
    assert done.returncode == 2 and "region 'b' is already in cluster 't'" in done.stderr
    done = cli("remove-region", "--node", node, "zz")
    assert done.returncode == 2 and "unknown region 'zz'" in done.stderr
    done = cli("purge-region", "--node", node, "b")
    assert done.returncode == 2 and "not a removed region" in done.stderr
    done = cli("create", "--cluster-id", "t", "--region", regions.spec("a"))
    assert done.returncode == 1 and "stale epoch 1" in done.stdout


def test_flush_needs_confirmation_and_empties_every_region(regions: Regions) -> None:
    node = regions.admin("a")
    regions.client("b").set("doomed", 1)
    done = cli("flush", "--node", node)
    assert done.returncode == 2 and "--yes" in done.stderr
    assert cli("flush", "--node", node, "--yes").returncode == 0
    wait_until(lambda: all(regions.client(r).dbsize() == 0 for r in "abc"), what="flush")


def test_a_fourth_region_joins_under_writes_and_loses_nothing(regions: Regions) -> None:
    stop = threading.Event()
    acked: list[str] = []

    def writer(rid: str) -> None:
        client = regions.client(rid)
        i = 0
        while not stop.is_set() and i < 5000:
            client.set(f"{rid}:{i}", i)
            acked.append(f"{rid}:{i}")
            i += 1

    threads = [threading.Thread(target=writer, args=(r,)) for r in ("a", "b")]
    for t in threads:
        t.start()
    try:
        regions.start("d")
        done = cli("add-region", "--node", regions.admin("a"), "--id", "d",
                   "--resp", f"127.0.0.1:{regions.procs['d'].port}",
                   "--replication", regions.admin("d"))  # fmt: skip
        assert done.returncode == 0, done.stderr
        wait_until(lambda: regions.client("d").dbsize() > 0, what="d receiving records")
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    wait_until(lambda: converged(regions, regions.admin("d")), timeout=60, what="4 regions")
    assert len({regions.digest(r) for r in "abcd"}) == 1
    d = regions.client("d")
    assert all(d.exists(*acked[i : i + 500]) == len(acked[i : i + 500])
               for i in range(0, len(acked), 500))  # fmt: skip


def test_a_dead_region_is_removed_with_force_and_tombstones_go(regions: Regions) -> None:
    node = regions.admin("a")
    regions.procs["c"].proc.kill()
    regions.procs["c"].stop()
    a = regions.client("a")
    for i in range(50):
        a.set(f"t{i}", i)
    a.delete(*[f"t{i}" for i in range(50)])

    def tombstones() -> Any:
        return cli_json("status", "--node", node)["regions"][0]["tombstones"]

    assert tombstones() >= 50  # c never acknowledged the deletes: they must stay
    done = cli("remove-region", "--node", node, "c")
    assert done.returncode == 1 and "--force" in done.stderr
    done = cli("remove-region", "--node", node, "c", "--force")
    assert done.returncode == 0, done.stderr
    wait_until(lambda: tombstones() == 0, what="tombstones collected")
    regions.client("b").set("after", 1)
    wait_until(lambda: a.get("after") == b"1", what="a and b still replicating")
    status = cli_json("status", "--node", node)
    assert [r["region"] for r in status["regions"]] == ["a", "b", "d"]
    assert status["removed"] == ["c"] and status["converged"]
    assert cli("purge-region", "--node", node, "c").returncode == 0
    assert cli_json("list", "--node", node)["removed"] == []
