"""Real regions for the chaos campaign: the replication tests' `Cluster` plus nemeses.

Owns the faults a real campaign injects into geokv processes behind link
proxies: partitions (random halves, one region isolated, one-way), kill -9
and restart on the same data directory, SIGSTOP/SIGCONT pauses, a skewed
wall clock (`clock-skew-ms`), lossy, slow, narrow links, and a binlog disk
that fails every write or stalls each one (`DEBUG BINLOG-FAULT`, enabled by
`--enable-debug-command yes`). Each nemesis starts a fault and returns what
ends it. Knows nothing of workloads or checks.
"""

from __future__ import annotations

import os
import random
import signal
from collections.abc import Callable
from pathlib import Path

import redis

from tests.integration.compare import execute
from tests.replicator.cluster import Cluster
from topology.linkproxy import LinkProxy

Undo = Callable[[], None]
REAL_NEMESES = (
    "halves", "isolate", "one-way", "kill", "pause", "skew", "lossy", "disk-fail", "disk-slow",
)  # fmt: skip


class ChaosCluster(Cluster):
    def __init__(self, tmp: Path, regions: list[str], latency: float = 0.005) -> None:
        # appendfsync always: an acknowledged write is on disk, so kill -9 may not lose it.
        flags = ("--appendfsync", "always", "--enable-debug-command", "yes")
        super().__init__(tmp, regions, latency=latency, flags=flags)
        self.base_latency = latency

    def _each_link(self, action: Callable[[LinkProxy], None]) -> None:
        for proxy in self.links.values():
            self.loop.call_soon_threadsafe(action, proxy)

    def nemesis(self, kind: str, rng: random.Random) -> tuple[str, Undo]:
        """Start fault `kind`; its description and what heals it."""
        victim = rng.choice(self.regions)
        others = [r for r in self.regions if r != victim]
        if kind == "halves":
            side = set(rng.sample(self.regions, len(self.regions) // 2))
            pairs = [(a, b) for a in side for b in self.regions if b not in side]
            return self._cut_pairs(pairs, f"partition {sorted(side)} | rest")
        if kind == "isolate":
            return self._cut_pairs([(victim, o) for o in others], f"isolate {victim}")
        if kind == "one-way":
            # victim's subscription to `other` stops delivering: victim hears nothing
            # from other while other still hears victim.
            other = rng.choice(others)
            proxy = self.links[(victim, other)]
            self.loop.call_soon_threadsafe(proxy.cut, "backward")

            def heal() -> None:
                self.loop.call_soon_threadsafe(proxy.heal, "backward")

            return f"one-way {other} -/-> {victim}", heal
        if kind == "kill":
            self.procs[victim].proc.kill()
            self.procs[victim].proc.wait(10)
            self.procs[victim].stop()  # closes its log
            return f"kill -9 {victim}", lambda: self.start_again(victim)
        if kind == "pause":
            pid = self.procs[victim].proc.pid
            os.kill(pid, signal.SIGSTOP)
            return f"SIGSTOP {victim}", lambda: os.kill(pid, signal.SIGCONT)
        if kind == "skew":
            skew = rng.choice([-1, 1]) * rng.randint(2_000, 10_000)
            self.clients[victim].config_set("clock-skew-ms", skew)
            return f"skew {victim} {skew} ms", lambda: self.unskew(victim)
        if kind == "disk-fail":
            self.binlog_fault(victim, "fail")
            return f"binlog disk of {victim} fails", lambda: self.binlog_fault(victim, "ok")
        if kind == "disk-slow":
            ms = rng.choice([50, 200, 800, 1500])
            self.binlog_fault(victim, "slow", ms)
            return f"binlog disk of {victim} stalls {ms} ms", lambda: self.binlog_fault(
                victim, "ok"
            )
        return self._lossy(rng)

    def _cut_pairs(self, pairs: list[tuple[str, str]], what: str) -> tuple[str, Undo]:
        for a, b in pairs:
            self.cut(a, b)

        def heal() -> None:
            for a, b in pairs:
                self.heal(a, b)

        return what, heal

    def _lossy(self, rng: random.Random) -> tuple[str, Undo]:
        loss, rate = rng.uniform(0.1, 0.4), rng.choice([20_000, 50_000])
        self._each_link(lambda p: p.set_latency(0.05, 0.05))
        self._each_link(lambda p: p.set_loss(loss, 0.2))
        self._each_link(lambda p: p.set_bandwidth(rate))

        def heal() -> None:
            self._each_link(lambda p: p.set_latency(self.base_latency))
            self._each_link(lambda p: p.set_loss(0.0))
            self._each_link(lambda p: p.set_bandwidth(0))

        return f"lossy links: 50±50 ms, loss {loss:.2f}, {rate} B/s", heal

    def start_again(self, region: str) -> None:
        self.procs[region] = self._start(region, self.procs[region].port)
        self.clients[region] = redis.Redis(port=self.procs[region].port)

    def binlog_fault(self, region: str, *mode: object) -> None:
        execute(self.clients[region], "DEBUG", "BINLOG-FAULT", *mode)

    def unskew(self, region: str) -> None:
        self.clients[region].config_set("clock-skew-ms", 0)
