"""`geokv demo`: three regions behind WAN latency, reachable with redis-py, stopped by Ctrl+C."""

from __future__ import annotations

import re
import signal
import subprocess
import sys
import time
from pathlib import Path

import redis

from tests.conftest import ROOT


def _endpoints(proc: subprocess.Popen[str], count: int) -> dict[str, int]:
    assert proc.stdout is not None
    found: dict[str, int] = {}
    deadline = time.monotonic() + 60
    while len(found) < count:
        assert time.monotonic() < deadline, "the demo printed no endpoints"
        line = proc.stdout.readline()
        assert line, f"the demo exited with {proc.wait()}"
        if m := re.match(r"region (\w+) resp 127\.0\.0\.1:(\d+)", line):
            found[m[1]] = int(m[2])
    return found


def test_demo_replicates_between_regions_and_stops_on_ctrl_c(tmp_path: Path) -> None:
    argv = [sys.executable, "-m", "node", "demo", "--regions", "3", "--latency", "20",
            "--base-port", "0", "--interval", "0.5"]  # fmt: skip
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, text=True)
    try:
        ports = _endpoints(proc, 3)
        assert list(ports) == ["eu", "us", "ap"]
        redis.Redis(port=ports["eu"]).set("greeting", "hello from eu")
        ap = redis.Redis(port=ports["ap"])
        deadline = time.monotonic() + 30
        while ap.get("greeting") != b"hello from eu":
            assert time.monotonic() < deadline, "the write never reached ap"
            time.sleep(0.05)
        proc.send_signal(signal.SIGINT)
        out, _ = proc.communicate(timeout=60)
        assert proc.returncode == 0
        assert "cluster demo, epoch 1, converged: " in out  # the live status view
        assert "lag (records/ms)" in out
        assert out.rstrip().endswith("geokv demo: stopped.")
        for port in ports.values():
            try:
                redis.Redis(port=port, socket_connect_timeout=1).ping()
            except redis.ConnectionError:
                continue
            raise AssertionError(f"a region still serves on {port} after the demo stopped")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait(10)
