"""A chaos campaign on real processes: clients in every region, nemeses, heal, check.

Owns `run_campaign`: starts a `ChaosCluster`, runs one client thread per
region (the workload with `shared=False`: a real client cannot see causality,
so every remove names something its own session added), cycles through the
nemeses (each at least once when `rounds` >= their number), heals, waits for
convergence, checks the digests stay equal for a second, and judges the
history with the checker. Every client call is
bounded by a socket timeout and every loop by the campaign's clock; redis-py
never retries (a retried INCRBY would count twice). Used by the short test
and by bench/chaos.py.
"""

from __future__ import annotations

import random
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis
from redis.backoff import NoBackoff
from redis.retry import Retry

from tests.chaos.checker import Verdict, check
from tests.chaos.cluster import REAL_NEMESES, ChaosCluster
from tests.chaos.history import History
from tests.chaos.workload import Workload
from tests.integration.compare import execute

REGIONS = ["eu", "us", "ap"]


@dataclass
class Outcome:
    verdict: Verdict
    history: History
    faults: list[str] = field(default_factory=list)
    kinds: list[str] = field(default_factory=list)
    converge_s: float = 0.0


def _client(port: int) -> redis.Redis:
    return redis.Redis(
        port=port, socket_timeout=1.0, socket_connect_timeout=1.0, retry=Retry(NoBackoff(), 0)
    )


def _session(
    cluster: ChaosCluster, region: str, cid: str, seed: int, history: History, stop: threading.Event
) -> None:
    workload = Workload(cid, random.Random(seed), shared=False)
    client = _client(cluster.procs[region].port)
    started = time.monotonic()
    while not stop.is_set():
        argv = workload.next()
        event = history.invoke(cid, region, int((time.monotonic() - started) * 1000), argv)
        try:
            event.result = execute(client, *argv)
            event.status = "ok"
        except redis.ResponseError as e:
            event.status, event.result = "fail", str(e)
            if event.result.startswith("MISCONF"):
                stop.wait(0.1)  # its disk is failing: do not spin
        except (redis.ConnectionError, redis.TimeoutError) as e:
            event.status, event.result = "info", type(e).__name__
            stop.wait(0.1)  # down or paused: do not spin


def _steady_digests(cluster: ChaosCluster, reads: int = 10) -> tuple[dict[str, bytes], list[str]]:
    """The digests once converged, re-read `reads` times 0.1 s apart: with no
    write left, a change (housekeeping altering what a digest renders) fails too."""
    first = {r: cluster.digest(r) for r in REGIONS}
    for n in range(1, reads + 1):
        time.sleep(0.1)
        now = {r: cluster.digest(r) for r in REGIONS}
        if now != first:
            return now, [f"(a) digests changed {n / 10:.1f} s after convergence: {first} -> {now}"]
    return first, []


def _divergence(cluster: ChaosCluster, history: History) -> list[str]:
    """What differs between regions whose digests differ: applied vectors, then keys."""
    lines = [f"{r} now: digest {cluster.digest(r)!r}, INFO crdt {cluster.crdt(r)}" for r in REGIONS]
    for key in sorted({e.key for e in history.events}):
        kind = cluster.clients[REGIONS[0]].type(key)
        reads = {r: _dump(cluster.clients[r], key) for r in REGIONS}
        if len({repr(v) for v in reads.values()}) > 1:
            lines.append(f"key {key!r} ({kind!r}) differs: {reads}")
            if len(lines) > 12:
                break
    return lines


def _dump(client: redis.Redis, key: bytes) -> Any:
    kind = client.type(key)
    # redis-py types TYPE's reply as bytes | str: bytes here (no decode_responses).
    commands: dict[bytes | str, str] = {b"string": "GET", b"set": "SMEMBERS", b"hash": "HGETALL",
                                        b"list": "LRANGE", b"zset": "ZRANGE"}  # fmt: skip
    command = commands.get(kind)
    if command is None:
        return kind
    extra = [0, -1, "WITHSCORES"] if command == "ZRANGE" else [0, -1] if command == "LRANGE" else []
    value = execute(client, command, key, *extra)
    return (
        sorted(value.items())
        if isinstance(value, dict)
        else sorted(value)
        if isinstance(value, set)
        else value
    )


def run_campaign(
    tmp: Path,
    seed: int,
    rounds: int = len(REAL_NEMESES),
    fault_s: float = 3.0,
    quiet_s: float = 1.5,
) -> Outcome:
    rng = random.Random(seed)
    history = History()
    cluster = ChaosCluster(tmp, REGIONS)
    stop = threading.Event()
    outcome = Outcome(Verdict(seed), history)
    threads = [
        threading.Thread(
            target=_session, args=(cluster, r, f"{r}{i}", seed * 10 + n, history, stop)
        )
        for n, (r, i) in enumerate((r, i) for r in REGIONS for i in range(2))
    ]
    try:
        for t in threads:
            t.start()
        kinds = list(REAL_NEMESES)
        rng.shuffle(kinds)
        for n in range(rounds):
            kind = kinds[n % len(kinds)]
            what, undo = cluster.nemesis(kind, rng)
            outcome.faults.append(what)
            outcome.kinds.append(kind)
            time.sleep(fault_s)
            undo()
            time.sleep(quiet_s)
        stop.set()
        for t in threads:
            t.join(10)
        started = time.monotonic()
        cluster.wait_connected(60)
        cluster.wait_converged(timeout=90)
        outcome.converge_s = time.monotonic() - started
        digests, unsteady = _steady_digests(cluster)
        # At once, while it lasts: a divergence has been seen to heal by itself.
        differ = unsteady or len(set(digests.values())) > 1
        divergence = _divergence(cluster, history) if differ else []
        reader = cluster.clients[REGIONS[0]]

        def read(argv: list[bytes]) -> Any:
            return execute(reader, *argv)

        outcome.verdict = check(seed, history, read, digests)
        outcome.verdict.problems += unsteady + divergence
    finally:
        stop.set()
        cluster.stop()
    return outcome
