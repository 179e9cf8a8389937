"""The Prometheus endpoint (`metrics-port`) is scraped like Prometheus would."""

from __future__ import annotations

import urllib.request
from pathlib import Path

from prometheus_client.parser import text_string_to_metric_families

from tests.conftest import free_port
from tests.topology.regions import Regions, cli, wait_until


def _scrape(port: int) -> dict[str, list[tuple[dict[str, str], float]]]:
    """Every sample of the exposition, by name (counters end in _total)."""
    with urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=5) as reply:
        text = reply.read().decode()
    out: dict[str, list[tuple[dict[str, str], float]]] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            out.setdefault(sample.name, []).append((sample.labels, sample.value))
    return out


def test_metrics_show_commands_and_replication_lag_per_peer(tmp_path: Path) -> None:
    metrics = {"a": free_port(), "b": free_port()}
    regions = Regions(tmp_path, [])
    try:
        for rid in ("a", "b"):
            regions.flags = ("--metrics-port", str(metrics[rid]))
            regions.start(rid)
        done = cli("create", "--cluster-id", "t", "--region", regions.spec("a"),
                   "--region", regions.spec("b"))  # fmt: skip
        assert done.returncode == 0, done.stderr
        for i in range(20):
            regions.client("a").set(f"k{i}", i)
        wait_until(lambda: regions.client("b").dbsize() == 20, what="replication to b")

        samples = _scrape(metrics["b"])
        lag = {labels["peer"]: value for labels, value in samples["geokv_replication_lag_records"]}
        assert lag == {"a": 0.0}
        assert {labels["peer"] for labels, _ in samples["geokv_replication_lag_ms"]} == {"a"}
        assert [v for _, v in samples["geokv_replication_peer_up"]] == [1.0]
        assert samples["geokv_keys"] == [({}, 20.0)]

        samples = _scrape(metrics["a"])
        sets = {labels["command"]: v for labels, v in samples["geokv_commands_total"]}
        assert sets["set"] == 20.0
        assert {labels["peer"] for labels, _ in samples["geokv_replication_lag_records"]} == {"b"}
        assert samples["geokv_binlog_size_bytes"][0][1] > 0
        assert "geokv_tombstones" in samples and "geokv_connected_clients" in samples
    finally:
        regions.stop()
