"""Regions on 127.0.0.1 for the topology tests: real `geokv server` processes with
replication on, and the `geokv topology` CLI run as a process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

import redis

from tests.conftest import ROOT, Process, free_port, start_geokv
from tests.integration.compare import execute


class Regions:
    """Regions started without peers: the topology created through the CLI connects them."""

    def __init__(self, tmp: Path, ids: list[str], *flags: str) -> None:
        self.tmp = tmp
        self.flags = flags
        self.repl: dict[str, int] = {}
        self.procs: dict[str, Process] = {}
        try:
            for rid in ids:
                self.start(rid)
        except BaseException:
            self.stop()
            raise

    def start(self, rid: str) -> Process:
        self.repl.setdefault(rid, free_port())
        proc = start_geokv(self.tmp / rid, "--region-id", rid, "--cluster-id", "t",
                           "--replication-port", str(self.repl[rid]), *self.flags)  # fmt: skip
        self.procs[rid] = proc
        return proc

    def spec(self, rid: str) -> str:
        repl = f"127.0.0.1:{self.repl[rid]}"
        return f"id={rid},resp=127.0.0.1:{self.procs[rid].port},replication={repl}"

    def admin(self, rid: str) -> str:
        return f"127.0.0.1:{self.repl[rid]}"

    def client(self, rid: str) -> redis.Redis:
        return redis.Redis(port=self.procs[rid].port)

    def digest(self, rid: str) -> bytes:
        return cast(bytes, execute(self.client(rid), "GEOKV", "DIGEST"))

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.stop()


def cli(
    *args: str, timeout: float = 60, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    """The CLI with `env` added to an environment without the caller's GEOKV_TLS_*."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("GEOKV_TLS_")}
    return subprocess.run([sys.executable, "-m", "node", "topology", *args], cwd=ROOT,
                          capture_output=True, text=True, timeout=timeout,
                          env={**base, **(env or {})})  # fmt: skip


def cli_json(*args: str, env: dict[str, str] | None = None) -> Any:
    done = cli(*args, "--json", env=env)
    assert done.returncode == 0, done.stderr
    return json.loads(done.stdout)


def wait_until(check: Any, timeout: float = 30.0, what: str = "") -> Any:
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        assert time.monotonic() < deadline, f"timed out waiting for {what or check}"
        time.sleep(0.1)
