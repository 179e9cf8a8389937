"""A peer of another cluster is refused with a clear status, and nothing crosses."""

from __future__ import annotations

import time
from pathlib import Path

import redis

from tests.conftest import free_port, start_geokv


def test_a_peer_of_another_cluster_is_refused(tmp_path: Path) -> None:
    eu_repl, us_repl = free_port(), free_port()
    eu = start_geokv(tmp_path, "--region-id", "eu", "--cluster-id", "one",
                     "--replication-port", str(eu_repl), "--peers", f"us=127.0.0.1:{us_repl}",
                     "--own-records-timeout", "0")  # fmt: skip
    us = start_geokv(tmp_path, "--region-id", "us", "--cluster-id", "two",
                     "--replication-port", str(us_repl), "--peers", f"eu=127.0.0.1:{eu_repl}")  # fmt: skip
    try:
        client = redis.Redis(port=eu.port)
        client.set("k", "v")
        deadline = time.monotonic() + 30
        while client.info("crdt")["peer_us"]["state"] != "refused":
            assert time.monotonic() < deadline, client.info("crdt")
            time.sleep(0.05)
        assert "cluster id mismatch" in eu.output()
        assert redis.Redis(port=us.port).get("k") is None
    finally:
        eu.stop()
        us.stop()
