"""Replication lag and catch-up throughput: 3 geokv regions behind link proxies.

Starts regions a, b, c (full mesh, one `topology.linkproxy.LinkProxy` per
subscription, run in a child process so the proxies do not share the
benchmark's interpreter). Then:

* lag: a writer pipelines SETs into region a at a target rate (batches every
  5 ms) for a while; an observer, in a process of its own, polls region b's
  `INFO crdt` applied vector every millisecond. A write's lag is the time from its acknowledgement in a
  (the pipeline's reply) to the first poll at which b had applied it. Run with
  0 and 50 ms one-way latency added on every link, at each rate;
* catch-up: region b is cut from a and c (the proxies hold its bytes), N SETs
  go into a as fast as one pipelined client can, then the links heal and b's
  applied records per second are measured until it has them all.

Writes a markdown section into docs/BENCHMARKS.md between this benchmark's
markers. Every process it starts is stopped whatever happens. Not part of the
test suite.

    .venv/bin/python bench/replication.py [--seconds S] [--rates 2000,10000] [--catchup N]
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import multiprocessing as mp
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection

import redis
from common import (  # bench/common.py (puts the repo on sys.path)
    free_port,
    modules_line,
    start,
    stop,
    write_doc,
)

from topology.linkproxy import LinkProxy

REGIONS = ("a", "b", "c")
TITLE = "## Replication: lag and catch-up (bench/replication.py)"
BEGIN, END = "<!-- bench/replication.py begin -->", "<!-- bench/replication.py end -->"
BATCH_SECONDS = 0.005
POLL_SECONDS = 0.001


# -- the link proxies, in a child process -------------------------------------------


def proxies_main(links: dict[tuple[str, str], tuple[int, int]], conn: Connection) -> None:
    """Run one proxy per (subscriber, peer); obey ('latency', s) / ('cut'|'heal', region)."""
    gc.disable()  # a full collection here would hold every link at once: not geokv's lag

    async def run() -> None:
        proxies = {pair: LinkProxy(listen, target) for pair, (listen, target) in links.items()}
        for proxy in proxies.values():
            await proxy.start()
        conn.send("ready")
        loop = asyncio.get_running_loop()
        while True:
            command, arg = await loop.run_in_executor(None, conn.recv)
            for (sub, peer), proxy in proxies.items():
                if command == "latency":
                    proxy.set_latency(float(arg))
                elif command in ("cut", "heal") and arg in (sub, peer):
                    proxy.cut("both") if command == "cut" else proxy.heal()
            conn.send("done")

    asyncio.run(run())


class Regions:
    def __init__(self, directory: str) -> None:
        self.ports = {r: free_port() for r in REGIONS}
        self.repl = {r: free_port() for r in REGIONS}
        links = {(s, p): (free_port(), self.repl[p]) for s in REGIONS for p in REGIONS if s != p}
        self.conn, child = mp.Pipe()
        self.proxy_proc = mp.get_context("fork").Process(
            target=proxies_main, args=(links, child), daemon=True
        )
        self.proxy_proc.start()
        assert self.conn.recv() == "ready"
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        for r in REGIONS:
            peers = " ".join(f"{p}=127.0.0.1:{links[(r, p)][0]}" for p in REGIONS if p != r)
            data = os.path.join(directory, r)
            os.makedirs(data)
            argv = [sys.executable, "-m", "node", "server", "--port", str(self.ports[r]),
                    "--dir", data, "--region-id", r, "--cluster-id", "bench",
                    "--replication-port", str(self.repl[r]), "--peers", peers]  # fmt: skip
            self.procs[r] = start(argv, self.ports[r], timeout=60)
        self.clients = {r: redis.Redis(port=self.ports[r]) for r in REGIONS}
        deadline = time.monotonic() + 60
        # A region with an empty log takes writes once it heard from its peers.
        while any(self.clients[r].info("crdt")["own_records_missing"] for r in REGIONS):
            if time.monotonic() > deadline:
                raise TimeoutError("regions did not open writes")
            time.sleep(0.05)

    def control(self, command: str, arg: object) -> None:
        self.conn.send((command, arg))
        assert self.conn.recv() == "done"

    def applied(self, region: str) -> dict[str, int]:
        vv = self.clients[region].info("crdt")["applied_vv"]
        return dict(vv) if isinstance(vv, dict) else {}

    def wait_converged(self, timeout: float = 300) -> None:
        deadline = time.monotonic() + timeout
        while len({tuple(sorted(self.applied(r).items())) for r in REGIONS}) != 1:
            if time.monotonic() > deadline:
                raise TimeoutError("regions did not converge")
            time.sleep(0.05)

    def stop(self) -> None:
        for proc in self.procs.values():
            stop(proc)
        self.proxy_proc.kill()
        self.proxy_proc.join(10)


# -- lag ----------------------------------------------------------------------------


def observe_main(port: int, conn: Connection) -> None:
    """Poll region b's applied seq of a every POLL_SECONDS, in a process of its own
    (in the writer's, each poll waited for the GIL behind a pipeline: up to a switch
    interval of lag that is the benchmark's, not geokv's), until it reaches the seq
    the parent sends at the end; send back each advance as (seq, when)."""
    gc.disable()  # a full collection here (tens of ms) would count as lag
    observer = redis.Redis(port=port)
    seen: list[tuple[int, float]] = []
    target, deadline = None, float("inf")
    while (target is None or seen[-1][0] < target) and time.monotonic() < deadline:
        if target is None and conn.poll():
            target, deadline = conn.recv(), time.monotonic() + 120
        vv = observer.info("crdt")["applied_vv"]
        seq = dict(vv).get("a", 0) if isinstance(vv, dict) else 0
        if not seen:
            conn.send("ready")
        if not seen or seq > seen[-1][0]:
            seen.append((seq, time.monotonic()))  # CLOCK_MONOTONIC: one clock for both processes
        time.sleep(POLL_SECONDS)
    conn.send(seen)


def lag_run(regions: Regions, rate: int, seconds: float) -> dict[str, float]:
    """Write into a at `rate`/s for `seconds`; lag of each write until b applied it."""
    writer = redis.Redis(port=regions.ports["a"])
    base = regions.applied("a").get("a", 0)
    acked: list[float] = []  # acked[i]: when write base+1+i was acknowledged
    conn, child = mp.Pipe()
    observer = mp.get_context("fork").Process(
        target=observe_main, args=(regions.ports["b"], child), daemon=True
    )
    observer.start()
    assert conn.recv() == "ready"
    per_batch = max(1, round(rate * BATCH_SECONDS))
    began = time.monotonic()
    next_at = began
    n = 0
    while time.monotonic() - began < seconds:
        pipe = writer.pipeline(transaction=False)
        for _ in range(per_batch):
            pipe.set(f"lag:{n}", b"v" * 64)
            n += 1
        pipe.execute()
        now = time.monotonic()
        acked.extend([now] * per_batch)
        next_at += BATCH_SECONDS
        if next_at > now:
            time.sleep(next_at - now)
    elapsed = time.monotonic() - began
    conn.send(base + len(acked))
    seen: list[tuple[int, float]] = conn.recv()
    observer.join(10)
    lags = []
    j = 0
    for i, t_ack in enumerate(acked):
        seq = base + 1 + i
        while seen[j][0] < seq:
            j += 1
        lags.append((seen[j][1] - t_ack) * 1000)
    lags.sort()
    return {
        "target": rate,
        "achieved": len(acked) / elapsed,
        "p50": statistics.median(lags),
        "p99": lags[int(len(lags) * 0.99) - 1],
        "max": lags[-1],
    }


# -- catch-up -----------------------------------------------------------------------


def cpu_seconds(pid: int) -> float:
    """User + system CPU time a process used so far (Linux /proc)."""
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def catchup_run(regions: Regions, records: int) -> dict[str, float]:
    regions.wait_converged()
    regions.control("cut", "b")
    writer = redis.Redis(port=regions.ports["a"])
    for first in range(0, records, 1000):
        pipe = writer.pipeline(transaction=False)
        for i in range(first, min(first + 1000, records)):
            pipe.set(f"cu:{i}", b"v" * 64)
        pipe.execute()
    target = regions.applied("a")["a"]
    while regions.applied("c").get("a", 0) < target:
        time.sleep(0.05)
    behind = target - regions.applied("b").get("a", 0)
    pids = {r: proc.pid for r, proc in regions.procs.items()}
    cpu = {r: cpu_seconds(pid) for r, pid in pids.items()}
    began = time.monotonic()
    regions.control("heal", "b")
    while regions.applied("b").get("a", 0) < target:
        time.sleep(0.005)
    took = time.monotonic() - began
    used = {f"cpu_{r}": cpu_seconds(pid) - cpu[r] for r, pid in pids.items()}
    return {"records": behind, "seconds": took, "per_second": behind / took, **used}


def apply_path(records: int) -> tuple[float, float]:
    """Records per second and per CPU-second of a subscriber's receive path alone,
    in this process: Batch parse, frame checks, duplicate check, decode, causal
    applier, apply, binlog append (its thread's CPU included)."""
    from binlog.format import LogRecord, encode_record
    from binlog.reader import CHUNK
    from node.client import Client
    from node.codec import encode_ops
    from node.config import Config
    from node.core import Node
    from node.dispatch import dispatch
    from node.effects import MemorySink
    from node.persistence import Persistence
    from replicator.applier import Applier
    from replicator.proto import replication_pb2 as pb
    from replicator.subscriber import LinkStats, receive

    config = Config()
    config.set_many([("region-id", "a")], at_start=True)
    source = Node(config, sink=MemorySink())
    client = Client()
    source.connect(client)
    for i in range(records):
        dispatch(source, client, [b"SET", b"cu:%d" % i, b"v" * 64])
    frames = [
        encode_record(LogRecord(r.origin, r.seq, r.stamp, encode_ops(r.ops), dict(r.deps)))
        for r in source.sink.records  # type: ignore[attr-defined]
    ]
    per_batch = max(1, CHUNK // len(frames[0]))  # as the sender reads the log: 1 MiB
    batches = [
        pb.Batch(frames=b"".join(frames[i : i + per_batch])).SerializeToString()
        for i in range(0, records, per_batch)
    ]

    async def run(directory: str) -> tuple[float, float]:
        config = Config()
        config.set_many([("region-id", "b"), ("dir", directory)], at_start=True)
        node = Node(config)
        persistence = Persistence.open(node)
        applier = Applier(node.apply_remote, node.keyspace.applied)
        stats = LinkStats()
        began, cpu = time.perf_counter(), time.process_time()
        for data in batches:
            for _ in receive(pb.Batch.FromString(data).frames, applier, stats):
                await asyncio.sleep(0)  # as the subscriber does between slices
            await asyncio.sleep(0)  # the binlog's writer thread gets its turn
        took, cpu = time.perf_counter() - began, time.process_time() - cpu
        await persistence.close()
        return records / took, records / cpu

    with tempfile.TemporaryDirectory(prefix="geokv-bench-apply-") as directory:
        return asyncio.run(run(directory))


# -- report -------------------------------------------------------------------------


def report(lag: list[tuple[int, dict[str, float]]], cu: dict[str, float], alone: tuple[float, float], args: argparse.Namespace) -> str:  # fmt: skip
    lines = [
        BEGIN,
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores shared with other work "
        f"(other helpers' test runs); Python {platform.python_version()}",
        modules_line(),
        f"- command: `.venv/bin/python bench/replication.py --seconds {args.seconds} "
        f"--rates {args.rates} --latencies {','.join(map(str, args.latencies))} "
        f"--catchup {args.catchup}`",
        "- 3 regions, each a geokv process (appendfsync everysec), full mesh, every "
        "subscription through a link proxy (a child process) adding the one-way latency "
        "both ways; one pipelined writer into region a (batches every 5 ms), region b's "
        "INFO crdt polled every 1 ms from a process of its own (the poll's own resolution is in the numbers)",
        "- lag: from the write's acknowledgement in a until b had applied it; "
        "target: lag minus the added latency at most 10 ms p99 at 10k writes/s",
        "",
        "| added one-way latency | target writes/s | sustained writes/s | lag p50 ms | "
        "lag p99 ms | max ms | p99 over the latency ms |",
        "|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {lat} ms | {r['target']:,.0f} | {r['achieved']:,.0f} | {r['p50']:.1f} | "
            f"{r['p99']:.1f} | {r['max']:.1f} | {r['p99'] - lat:.1f} |"
            for lat, r in lag
        ),
        "",
        f"Catch-up: region b cut off while {cu['records']:,.0f} SETs went into a, then healed "
        f"(no added latency): b applied them in {cu['seconds']:.2f} s, "
        f"**{cu['per_second']:,.0f} records/s** (target: at least 100k/s), using "
        f"{cu['cpu_b']:.2f} CPU-seconds in b ({cu['records'] / cu['cpu_b']:,.0f} records per "
        f"CPU-second), {cu['cpu_a']:.2f} in a and {cu['cpu_c']:.2f} in c. The same "
        f"receive path alone in one process (parse, decode, causal applier, apply, binlog "
        f"append; no network, no other process): **{alone[0]:,.0f} records/s** "
        f"({alone[1]:,.0f} per CPU-second).",
        END,
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seconds", type=float, default=8.0)
    parser.add_argument("--rates", default="2000,10000")
    parser.add_argument("--catchup", type=int, default=100_000)
    parser.add_argument("--no-doc", action="store_true")
    parser.add_argument("--latencies", default="0,50", help="one-way ms, comma-separated")
    args = parser.parse_args()
    rates = [int(r) for r in args.rates.split(",")]
    args.latencies = [int(x) for x in args.latencies.split(",")]
    lag: list[tuple[int, dict[str, float]]] = []
    with tempfile.TemporaryDirectory(prefix="geokv-bench-repl-") as directory:
        regions = Regions(directory)
        try:
            regions.wait_converged()
            for latency_ms in args.latencies:
                regions.control("latency", latency_ms / 1000)
                for rate in rates:
                    result = lag_run(regions, rate, args.seconds)
                    print(latency_ms, result, flush=True)
                    lag.append((latency_ms, result))
                    regions.wait_converged()
            regions.control("latency", 0.0)
            cu = catchup_run(regions, args.catchup)
            print(cu, flush=True)
        finally:
            regions.stop()
    alone = apply_path(args.catchup)
    block = report(lag, cu, alone, args)
    print(block)
    if not args.no_doc:
        write_doc(block, TITLE, BEGIN, END)


if __name__ == "__main__":
    main()
