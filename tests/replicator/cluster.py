"""A geokv cluster on 127.0.0.1 for the replication tests: one process per region,
a link proxy on every subscription (latency, cuts), digest and INFO helpers."""

from __future__ import annotations

import asyncio
import shutil
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any, Literal, cast

import redis

from node.runmark import MARKER
from tests.conftest import Process, free_port, start_geokv
from tests.integration.compare import execute
from topology.linkproxy import Direction, LinkProxy

Lost = Literal["nothing", "tail", "disk"]


class Cluster:
    def __init__(
        self, tmp: Path, regions: list[str], latency: float = 0.0, flags: tuple[str, ...] = ()
    ) -> None:
        self.regions = regions
        self.tmp = tmp
        self.flags = flags
        self.loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self._thread.start()
        self.repl_ports = {r: free_port() for r in regions}
        # (subscriber, peer) -> the proxy the subscriber reaches the peer through.
        self.links: dict[tuple[str, str], LinkProxy] = {}
        for s in regions:
            for p in regions:
                if s != p:
                    proxy = LinkProxy(free_port(), self.repl_ports[p], latency=latency)
                    self._run(proxy.start())
                    self.links[(s, p)] = proxy
        self.procs: dict[str, Process] = {}
        try:
            for r in regions:
                self.procs[r] = self._start(r)
        except BaseException:
            self.stop()
            raise
        self.clients = {r: redis.Redis(port=p.port) for r, p in self.procs.items()}
        self.wait_connected()

    def wait_connected(self, timeout: float = 30.0) -> None:
        """Until every region's subscription to every peer is up."""
        deadline = time.monotonic() + timeout
        for region in self.regions:
            for peer in self.regions:
                while peer != region and self.crdt(region)[f"peer_{peer}"]["state"] != "connected":
                    assert time.monotonic() < deadline, self.crdt(region)
                    time.sleep(0.05)

    def restart(self, region: str, *, lose: Lost = "nothing") -> None:
        """Stop a region's process and start it again on its port and data directory.

        lose="nothing": a clean stop. "tail": a power cut that lost the second half
        of the last binlog segment (records its peers had: under everysec they
        stream from the page cache) and rebooted the machine. "disk": the data
        directory is gone."""
        port = self.procs[region].port
        data = self.tmp / f"geokv-{port}"
        if lose == "tail":
            self.procs[region].proc.kill()
        self.procs[region].stop()
        if lose == "disk":
            shutil.rmtree(data)
        elif lose == "tail":
            segment = max((data / "binlog").glob("binlog.*.seg"))
            with segment.open("r+b") as f:
                f.truncate(segment.stat().st_size // 2)
            (data / "binlog" / MARKER).write_text("a boot before the power cut\n")
        self.procs[region] = self._start(region, port)
        self.clients[region] = redis.Redis(port=self.procs[region].port)

    def _start(self, region: str, port: int | None = None) -> Process:
        peers = " ".join(
            f"{p}=127.0.0.1:{self.links[(region, p)].listen_port}"
            for p in self.regions
            if p != region
        )
        return start_geokv(self.tmp, "--region-id", region, "--cluster-id", "test",
                           "--replication-port", str(self.repl_ports[region]),
                           "--peers", peers, *self.flags, port=port)  # fmt: skip

    def _run(self, coro: object) -> None:
        asyncio.run_coroutine_threadsafe(coro, self.loop).result(10)  # type: ignore[arg-type]

    def _between(self, a: str, b: str, action: Callable[[LinkProxy], None]) -> None:
        for pair in ((a, b), (b, a)):
            self.loop.call_soon_threadsafe(action, self.links[pair])

    def cut(self, a: str, b: str, direction: Direction = "both") -> None:
        self._between(a, b, lambda proxy: proxy.cut(direction))

    def reset(self, a: str, b: str) -> None:
        """Abort the connections between a and b (streams restart with a fresh Hello)."""
        self._between(a, b, lambda proxy: proxy.reset())

    def heal(self, a: str, b: str) -> None:
        self._between(a, b, lambda proxy: proxy.heal())

    def crdt(self, region: str) -> dict[str, Any]:
        """INFO crdt as redis-py parses it (a=1,b=2 values become dicts)."""
        return self.clients[region].info("crdt")

    def applied(self, region: str) -> dict[str, int]:
        vv = self.crdt(region)["applied_vv"]
        return dict(vv) if isinstance(vv, dict) else {}

    def digest(self, region: str) -> bytes:
        return cast(bytes, execute(self.clients[region], "GEOKV", "DIGEST"))

    def wait_converged(self, regions: list[str] | None = None, timeout: float = 60.0) -> None:
        """Until the regions applied the same records and show the same state."""
        regions = regions or self.regions
        deadline = time.monotonic() + timeout
        while True:
            vvs = {tuple(sorted(self.applied(r).items())) for r in regions}
            digests = {self.digest(r) for r in regions}
            if len(vvs) == 1 and len(digests) == 1:
                return
            if time.monotonic() > deadline:
                raise AssertionError(f"not converged after {timeout}s: {vvs} {digests}")
            time.sleep(0.1)

    def stop(self) -> None:
        for proc in self.procs.values():
            proc.stop()
        for proxy in self.links.values():
            self._run(proxy.stop())
        self.loop.call_soon_threadsafe(self.loop.stop)
        self._thread.join(5)
