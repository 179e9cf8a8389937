"""Deterministic simulation: N regions in one process over a simulated network and clock.

Owns `Simulation`: each region is a `Node` with its own `ManualClock` (wall
time = simulated time + the region's skew) and a `DiskSink` (the log twin
that can refuse writes), fed by the replicator's pure `Applier` (causal
delivery, duplicates dropped). Records travel as messages with seeded delays
(so they reorder; the applier restores causal order), losses and duplicates;
a periodic catch-up resends what a peer has not applied, as a resubscribing
stream would. Nemeses (see `NEMESES`) cut links, crash regions (the node is
rebuilt from its log), pause them, skew their clocks and fail their disks.
Everything draws from one `random.Random(seed)`, so a seed replays exactly.
Knows nothing of sockets or gRPC.
"""

from __future__ import annotations

import functools
import heapq
import itertools
import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from node.client import Client
from node.clock import ManualClock
from node.config import Config
from node.core import Node
from node.dispatch import dispatch
from node.effects import Record
from node.handlers.geokv import keyspace_digest
from node.reply import Error
from replicator.applier import Applier
from tests.chaos.checker import Verdict, check
from tests.chaos.history import Event, History
from tests.chaos.workload import Workload

START_MS = 1_700_000_000_000
NEMESES = ("halves", "isolate", "one-way", "crash", "pause", "skew", "disk-fail", "disk-slow")


class DiskSink:
    """The log twin: while `failing`, writes are refused (MISCONF) and what still
    arrives (peers' records, expiry deletes) is kept, as the binlog's backlog is.
    (Not a MemorySink subclass: that class may be compiled, node/native.py.)"""

    def __init__(self) -> None:
        self.records: list[Record] = []
        self.failing = False

    def append(self, record: Record) -> None:
        self.records.append(record)

    def write_error(self) -> str | None:
        return "Input/output error" if self.failing else None

    def status(self) -> dict[str, object]:
        return {}


@dataclass
class Region:
    name: str
    clock: ManualClock
    sink: DiskSink = field(default_factory=DiskSink)
    skew_ms: int = 0
    up: bool = True
    paused_until: int = 0
    slow_ms: int = 0
    node: Node = field(init=False)
    applier: Applier = field(init=False)

    def __post_init__(self) -> None:
        self.boot()

    def boot(self) -> None:
        """A fresh process on this region's disk: replay the log, as recovery does."""
        config = Config()
        config.set_many([("region-id", self.name)], at_start=True)
        log, self.sink.records = self.sink.records, []
        self.node = Node(config, clock=self.clock, sink=self.sink)
        for record in log:
            self.node.apply_remote(record)
        self.applier = Applier(self.node.apply_remote, self.node.keyspace.applied)
        self.up = True


def _vv(record: Record) -> dict[str, int]:
    vv = dict(record.deps)
    vv[record.origin] = record.seq
    return vv


class Simulation:
    def __init__(
        self,
        seed: int,
        regions: int = 3,
        clients_per_region: int = 2,
        duration_ms: int = 4000,
        loss: float = 0.05,
        duplicates: float = 0.05,
    ) -> None:
        self.seed = seed
        self.rng = random.Random(seed)
        self.now = 0
        self.loss, self.duplicates = loss, duplicates
        self.duration_ms = duration_ms
        names = ["eu", "us", "ap", "sa", "af", "oc"][:regions]
        self.regions = {n: Region(n, ManualClock(START_MS)) for n in names}
        self.cut: set[tuple[str, str]] = set()  # (from, to) links that deliver nothing
        self.history = History()
        self.nemeses_run: list[str] = []
        self._queue: list[tuple[int, int, Callable[[], None]]] = []
        self._ticket = itertools.count()
        self._sessions: dict[str, tuple[Region, Client, Workload]] = {}
        for name, region in self.regions.items():
            for i in range(clients_per_region):
                cid = f"{name}{i}"
                wl = Workload(cid, random.Random(self.rng.random()))
                self._sessions[cid] = (region, Client(), wl)
                region.node.connect(self._sessions[cid][1])
                self._at(self.rng.randint(0, 20), self._stepper(cid))
        self._at(200, self._catch_up_tick)
        self._plan_nemeses()

    # -- the event loop ----------------------------------------------------------------

    def _at(self, delay: int, action: Callable[[], None]) -> None:
        heapq.heappush(self._queue, (self.now + max(0, delay), next(self._ticket), action))

    def _set_time(self, t: int) -> None:
        self.now = t
        for region in self.regions.values():
            region.clock.now_ms = START_MS + t + region.skew_ms
            region.clock.mono = t / 1000.0

    def run_until(self, end: int) -> None:
        while self._queue and self._queue[0][0] <= end:
            t, _, action = heapq.heappop(self._queue)
            self._set_time(t)
            action()
        self._set_time(max(self.now, end))

    # -- clients -----------------------------------------------------------------------

    def _stepper(self, cid: str) -> Callable[[], None]:
        return lambda: self._client_step(cid)

    def _restart(self, region: Region) -> None:
        """kill -9 is over: the process recovers from its log; its clients reconnect."""
        region.boot()
        for cid, (home, _, wl) in list(self._sessions.items()):
            if home is region:
                client = Client()
                region.node.connect(client)
                self._sessions[cid] = (region, client, wl)

    def _client_step(self, cid: str) -> None:
        if self.now >= self.duration_ms:
            return
        region, _, wl = self._sessions[cid]
        argv = wl.next()
        event = self.history.invoke(cid, region.name, self.now, argv)
        if not region.up:
            event.status, event.result = "fail", "connection refused"
            self._at(self.rng.randint(20, 60), lambda: self._client_step(cid))
            return
        if self.now < region.paused_until:
            # The request waits in the socket; it runs when the process resumes.
            self._at(region.paused_until - self.now, lambda: self._execute(cid, event))
            return
        self._execute(cid, event)

    def _execute(self, cid: str, event: Event) -> None:
        region, client, _ = self._sessions[cid]
        if not region.up:  # crashed while the request waited: the client never heard
            event.status, event.result = "info", "connection lost"
            self._at(self.rng.randint(20, 60), lambda: self._client_step(cid))
            return
        own = len(region.sink.records)
        reply = dispatch(region.node, client, list(event.argv))
        if isinstance(reply, Error):
            event.status, event.result = "fail", str(reply)
        else:
            event.status, event.result = "ok", _plain(reply)
        mine = [r for r in region.sink.records[own:] if r.origin == region.name]
        if mine:
            event.record = (mine[-1].origin, mine[-1].seq)
            event.vv = _vv(mine[-1])
            for record in mine:
                self._broadcast(region.name, record)
        wait = self.rng.randint(2, 30) + (region.slow_ms if mine else 0)
        self._at(wait, lambda: self._client_step(cid))

    # -- the network -------------------------------------------------------------------

    def _broadcast(self, origin: str, record: Record) -> None:
        for peer in self.regions:
            if peer != origin:
                self._send(origin, peer, record)

    def _send(self, src: str, dst: str, record: Record) -> None:
        if (src, dst) in self.cut or self.rng.random() < self.loss:
            return
        copies = 2 if self.rng.random() < self.duplicates else 1
        for _ in range(copies):
            self._at(self.rng.randint(5, 150), lambda: self._deliver(src, dst, record))

    def _deliver(self, src: str, dst: str, record: Record) -> None:
        region = self.regions[dst]
        if not region.up or (src, dst) in self.cut:
            return  # lost on a dead connection; catch-up resends it
        if self.now < region.paused_until:
            self._at(region.paused_until - self.now, lambda: self._deliver(src, dst, record))
            return
        region.applier.offer(record)

    def _catch_up_tick(self) -> None:
        self.catch_up()
        self._at(200, self._catch_up_tick)

    def catch_up(self) -> None:
        """Each live subscriber asks each reachable peer for what it has not applied."""
        for dst, sub in self.regions.items():
            if not sub.up or self.now < sub.paused_until:
                continue
            for src, peer in self.regions.items():
                if src == dst or not peer.up or (src, dst) in self.cut:
                    continue
                applied = sub.node.keyspace.applied
                missing = [r for r in peer.sink.records if r.seq > applied.get(r.origin, 0)]
                for record in missing[:200]:
                    self._send(src, dst, record)

    # -- nemeses -----------------------------------------------------------------------

    def _plan_nemeses(self) -> None:
        kinds = list(NEMESES)
        self.rng.shuffle(kinds)
        t = 150
        for kind in itertools.islice(itertools.cycle(kinds), self.duration_ms // 400):
            length = self.rng.randint(100, 350)
            self._at(t, functools.partial(self._nemesis, kind, length))
            t += length + self.rng.randint(20, 100)

    def _nemesis(self, kind: str, length: int) -> None:
        if self.now >= self.duration_ms:
            return
        self.nemeses_run.append(kind)
        names = list(self.regions)
        victim = self.regions[self.rng.choice(names)]
        undo: Callable[[], None]
        if kind in ("halves", "isolate", "one-way"):
            links = self._partition(kind, names, victim.name)
            self.cut |= links
            undo = lambda: self.cut.difference_update(links)  # noqa: E731
        elif kind == "crash":
            victim.up = False
            undo = lambda: self._restart(victim)  # noqa: E731
        elif kind == "pause":
            victim.paused_until = self.now + length
            undo = lambda: None  # noqa: E731
        elif kind == "skew":
            victim.skew_ms = self.rng.randint(-10_000, 10_000)
            undo = lambda: setattr(victim, "skew_ms", 0)  # noqa: E731
        elif kind == "disk-fail":
            victim.sink.failing = True
            undo = lambda: setattr(victim.sink, "failing", False)  # noqa: E731
        else:
            victim.slow_ms = self.rng.randint(20, 200)
            undo = lambda: setattr(victim, "slow_ms", 0)  # noqa: E731
        self._at(length, undo)

    def _partition(self, kind: str, names: list[str], victim: str) -> set[tuple[str, str]]:
        if kind == "halves":
            shuffled = self.rng.sample(names, len(names))
            half = set(shuffled[: len(names) // 2])
            return {(a, b) for a in names for b in names if (a in half) != (b in half)}
        if kind == "isolate":
            return {(a, b) for a in names for b in names if a != b and victim in (a, b)}
        other = self.rng.choice([n for n in names if n != victim])
        return {(victim, other)}

    # -- the end -----------------------------------------------------------------------

    def heal(self) -> None:
        self.cut.clear()
        for region in self.regions.values():
            region.skew_ms = region.slow_ms = region.paused_until = 0
            region.sink.failing = False
            if not region.up:
                self._restart(region)

    def converged(self) -> bool:
        vvs = {tuple(sorted(r.node.keyspace.applied.items())) for r in self.regions.values()}
        return len(vvs) == 1

    def run(self) -> Verdict:
        self.run_until(self.duration_ms)
        self.heal()
        # Bounded: catch-up every 200 ms of simulated time delivers everything.
        for _ in range(100):
            self.run_until(self.now + 200)
            if self.converged():
                break
        # Far past every TTL, so regions compare the same visible state.
        self._set_time(self.now + 60_000)
        digests = {
            n: keyspace_digest(r.node.keyspace, r.clock.now_ms) for n, r in self.regions.items()
        }
        return check(
            self.seed, self.history, self.read_from(next(iter(self.regions.values()))), digests
        )

    @staticmethod
    def read_from(region: Region) -> Callable[[list[bytes]], Any]:
        """Reads of a region's final state, for the checker."""
        reader = Client()
        region.node.connect(reader)

        def read(argv: list[bytes]) -> Any:
            return _plain(dispatch(region.node, reader, argv))

        return read


def _plain(reply: Any) -> Any:
    """Reply values as redis-py shows them in RESP2 (sets and maps become lists)."""
    if isinstance(reply, (set, frozenset)):
        return list(reply)
    if isinstance(reply, dict):
        return [x for pair in reply.items() for x in pair]
    return reply
