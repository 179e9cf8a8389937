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
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from multiprocessing.connection import Connection

import redis
from common import (  # bench/common.py (puts the repo on sys.path)
    free_port,
    modules_line,
    read_exactly,
    set_commands,
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


def proxies_main(conn: Connection) -> None:
    """Run the link proxies; obey ('add', (name, listen, target)), ('latency', s) and
    ('cut'|'heal', region): a link named (subscriber, peer) is cut with either."""
    gc.disable()  # a full collection here would hold every link at once: not geokv's lag

    async def run() -> None:
        proxies: dict[tuple[str, str], LinkProxy] = {}
        loop = asyncio.get_running_loop()
        conn.send("ready")
        while True:
            command, arg = await loop.run_in_executor(None, conn.recv)
            if command == "add":
                name, listen, target = arg
                proxies[name] = LinkProxy(listen, target)
                await proxies[name].start()
            for name, proxy in proxies.items():
                if command == "latency":
                    proxy.set_latency(float(arg))
                elif command in ("cut", "heal") and arg in name:
                    proxy.cut("both") if command == "cut" else proxy.heal()
            conn.send("done")

    asyncio.run(run())


class Proxies:
    """The child process running every link proxy of a benchmark."""

    def __init__(self) -> None:
        self.conn, child = mp.Pipe()
        self.proc = mp.get_context("fork").Process(target=proxies_main, args=(child,), daemon=True)
        self.proc.start()
        assert self.conn.recv() == "ready"

    def control(self, command: str, arg: object) -> None:
        self.conn.send((command, arg))
        assert self.conn.recv() == "done"

    def add(self, name: tuple[str, str], target: int) -> int:
        """A proxy forwarding to `target`; the port it listens on."""
        listen = free_port()
        self.control("add", (name, listen, target))
        return listen

    def stop(self) -> None:
        self.proc.kill()
        self.proc.join(10)


class Regions:
    def __init__(self, directory: str, proxies: Proxies) -> None:
        self.ports = {r: free_port() for r in REGIONS}
        self.repl = {r: free_port() for r in REGIONS}
        links = {
            (s, p): proxies.add((s, p), self.repl[p]) for s in REGIONS for p in REGIONS if s != p
        }
        self.procs: dict[str, subprocess.Popen[bytes]] = {}
        for r in REGIONS:
            peers = " ".join(f"{p}=127.0.0.1:{links[(r, p)]}" for p in REGIONS if p != r)
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


# -- the reference: redis-server replicating to a replica through a link proxy ------


class RedisPair:
    """redis-server primary and replica (AOF everysec, as geokv's regions), the
    replica's link to the primary through a proxy of the same child process."""

    def __init__(self, directory: str, proxies: Proxies) -> None:
        self.primary, self.replica = free_port(), free_port()
        link = proxies.add(("redis-replica", "redis-primary"), self.primary)
        self.procs: list[subprocess.Popen[bytes]] = []
        for name, port, extra in (
            ("primary", self.primary, []),
            ("replica", self.replica, ["--replicaof", "127.0.0.1", str(link)]),
        ):
            data = os.path.join(directory, f"redis-{name}")
            os.makedirs(data)
            argv = ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", data,
                    "--appendonly", "yes", "--appendfsync", "everysec", "--save", "", *extra]  # fmt: skip
            self.procs.append(start(argv, port, timeout=30))
        self.wait_converged()

    def wait_converged(self, timeout: float = 60) -> None:
        """Until the replica's link is up and it holds as many keys as the primary."""
        primary, replica = redis.Redis(port=self.primary), redis.Redis(port=self.replica)
        deadline = time.monotonic() + timeout
        while (
            replica.info("replication")["master_link_status"] != "up"
            or replica.dbsize() != primary.dbsize()
        ):
            if time.monotonic() > deadline:
                raise TimeoutError("the redis replica did not catch up")
            time.sleep(0.05)

    def stop(self) -> None:
        for proc in self.procs:
            stop(proc)


# -- lag ----------------------------------------------------------------------------

DBSIZE = b"*1\r\n$6\r\nDBSIZE\r\n"


def dbsize(sock: socket.socket) -> int:
    sock.sendall(DBSIZE)
    reply = sock.recv(64)
    while not reply.endswith(b"\r\n"):
        reply += sock.recv(64)
    if not reply.startswith(b":"):
        raise ConnectionError(f"DBSIZE: {reply!r}")
    return int(reply[1:-2])


def observe_main(port: int, conn: Connection) -> None:
    """Poll the replica's DBSIZE every POLL_SECONDS, in a process of its own (in the
    writer's, each poll waited for the GIL behind a batch), until it counts the
    writes the parent sends at the end; send back each advance as (new keys, when).
    The writer's keys are new, so DBSIZE counts the writes visible there; it costs
    the server next to nothing (INFO crdt a thousand times a second was 8% of b's core)."""
    gc.disable()  # a full collection here (tens of ms) would count as lag
    with socket.create_connection(("127.0.0.1", port)) as sock:
        base = dbsize(sock)
        seen: list[tuple[int, float]] = [(0, time.monotonic())]
        conn.send("ready")
        target, deadline = None, float("inf")
        while (target is None or seen[-1][0] < target) and time.monotonic() < deadline:
            if target is None and conn.poll():
                target, deadline = conn.recv(), time.monotonic() + 120
            count = dbsize(sock) - base
            if count > seen[-1][0]:
                seen.append(
                    (count, time.monotonic())
                )  # CLOCK_MONOTONIC: one clock for both processes
            time.sleep(POLL_SECONDS)
    conn.send(seen)


def lag_run(write_port: int, read_port: int, rate: int, seconds: float, row: str) -> dict[str, float]:  # fmt: skip
    """SET new keys into `write_port` at `rate`/s for `seconds`; the lag of each write
    from its acknowledgement until it is visible at `read_port`."""
    conn, child = mp.Pipe()
    observer = mp.get_context("fork").Process(
        target=observe_main, args=(read_port, child), daemon=True
    )
    observer.start()
    assert conn.recv() == "ready"
    acked: list[float] = []  # acked[i]: when write i+1 was acknowledged
    prefix = f"lag:{row}:".encode()
    per_batch = max(1, round(rate * BATCH_SECONDS))
    replies = b"+OK\r\n" * per_batch
    with socket.create_connection(("127.0.0.1", write_port)) as writer:
        writer.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        began = next_at = time.monotonic()
        while time.monotonic() - began < seconds:
            writer.sendall(set_commands(prefix, len(acked), per_batch))
            if read_exactly(writer, len(replies)) != replies:
                raise ConnectionError("a SET was not acknowledged with +OK")
            now = time.monotonic()
            acked.extend([now] * per_batch)
            next_at += BATCH_SECONDS
            if next_at > now:
                time.sleep(next_at - now)
        elapsed = time.monotonic() - began
    conn.send(len(acked))
    seen: list[tuple[int, float]] = conn.recv()
    observer.join(10)
    if seen[-1][0] < len(acked):
        raise TimeoutError(f"{len(acked) - seen[-1][0]} writes never became visible")
    lags = []
    j = 0
    for i, t_ack in enumerate(acked, 1):
        while seen[j][0] < i:
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


def catchup_run(regions: Regions, proxies: Proxies, records: int) -> dict[str, float]:
    regions.wait_converged()
    proxies.control("cut", "b")
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
    proxies.control("heal", "b")
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


Row = tuple[int, dict[str, float], dict[str, float]]  # latency ms, geokv, redis-server


def report(lag: list[Row], cu: dict[str, float], alone: tuple[float, float], args: argparse.Namespace) -> str:  # fmt: skip
    redis_version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True)
    lines = [
        BEGIN,
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- machine: {platform.machine()}, {os.cpu_count()} cores shared with other work "
        f"(other helpers' test runs); Python {platform.python_version()}",
        modules_line(),
        f"- reference: {redis_version.stdout.strip()}",
        f"- command: `.venv/bin/python bench/replication.py --seconds {args.seconds} "
        f"--rates {args.rates} --latencies {','.join(map(str, args.latencies))} "
        f"--catchup {args.catchup}`",
        "- 3 regions, each a geokv process (appendfsync everysec), full mesh, every "
        "subscription through a link proxy (a child process) adding the one-way latency "
        "both ways. The reference, in the same run, row by row after geokv's: a "
        "redis-server primary and its replica (AOF everysec), the replica's link through "
        "a proxy of the same process",
        "- one writer SETs new keys into region a (the primary) in batches every 5 ms; "
        "region b's (the replica's) DBSIZE is polled every 1 ms from a process of its own "
        "(the poll's own resolution is in the numbers)",
        "- lag: from the write's acknowledgement until it is visible in b (the replica); "
        "target: geokv's lag minus the added latency at most 10 ms p99 at 10k writes/s",
        "",
        "| added one-way latency | target writes/s | sustained writes/s | geokv lag p50 ms | "
        "p99 ms | max ms | **p99 over the latency ms** | redis-server lag p50 ms | p99 ms | "
        "max ms | p99 over the latency ms |",
        "|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        *(
            f"| {lat} ms | {r['target']:,.0f} | {r['achieved']:,.0f} | {r['p50']:.1f} | "
            f"{r['p99']:.1f} | {r['max']:.1f} | **{r['p99'] - lat:.1f}** | {ref['p50']:.1f} | "
            f"{ref['p99']:.1f} | {ref['max']:.1f} | {ref['p99'] - lat:.1f} |"
            for lat, r, ref in lag
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
    if not shutil.which("redis-server"):
        raise SystemExit("redis-server is needed (the reference)")
    rates = [int(r) for r in args.rates.split(",")]
    args.latencies = [int(x) for x in args.latencies.split(",")]
    lag: list[Row] = []
    with tempfile.TemporaryDirectory(prefix="geokv-bench-repl-") as directory, ExitStack() as stack:
        proxies = Proxies()
        stack.callback(proxies.stop)
        regions = Regions(directory, proxies)
        stack.callback(regions.stop)
        pair = RedisPair(directory, proxies)
        stack.callback(pair.stop)
        regions.wait_converged()
        for latency_ms in args.latencies:
            proxies.control("latency", latency_ms / 1000)
            for rate in rates:
                row = f"{latency_ms}:{rate}"
                ours = lag_run(regions.ports["a"], regions.ports["b"], rate, args.seconds, row)
                regions.wait_converged()
                ref = lag_run(pair.primary, pair.replica, rate, args.seconds, row)
                pair.wait_converged()
                print(latency_ms, ours, ref, flush=True)
                lag.append((latency_ms, ours, ref))
        proxies.control("latency", 0.0)
        cu = catchup_run(regions, proxies, args.catchup)
        print(cu, flush=True)
    alone = apply_path(args.catchup)
    block = report(lag, cu, alone, args)
    print(block)
    if not args.no_doc:
        write_doc(block, TITLE, BEGIN, END)


if __name__ == "__main__":
    main()
