"""Stalls while the keyspace grows: geokv against redis-server, same run.

Starts geokv (`python -m node server`, appendfsync everysec: its snapshots run
as the log grows) and redis-server (AOF everysec, no RDB) on free loopback
ports. One client SETs N new keys in pipelines of BATCH and times each
pipeline's round trip; a second client, on its own connection, PINGs every
millisecond meanwhile. A server that stops to grow a table (a dict doubling
at once, a buffer copied to fresh pages) or to write a snapshot shows it in
the worst round trips of both. Writes a markdown section into
docs/BENCHMARKS.md between this benchmark's markers; both servers are stopped
whatever happens. Not part of the test suite.

    .venv/bin/python bench/growth.py [--keys N]
"""

from __future__ import annotations

import argparse
import multiprocessing as mp
import os
import platform
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from multiprocessing.connection import Connection

from common import (  # bench/common.py (puts the repo on sys.path)
    free_port,
    modules_line,
    read_exactly,
    set_commands,
    start,
    stop,
    write_doc,
)

TITLE = "## Stalls while the keyspace grows (bench/growth.py)"
BEGIN, END = "<!-- bench/growth.py begin -->", "<!-- bench/growth.py end -->"
BATCH = 100
PING = b"*1\r\n$4\r\nPING\r\n"


def pinger_main(port: int, conn: Connection) -> None:
    """PING every millisecond until told to stop; send back each round trip (s)."""
    times: list[float] = []
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        conn.send("ready")
        while not conn.poll():
            began = time.monotonic()
            sock.sendall(PING)
            if read_exactly(sock, 7) != b"+PONG\r\n":
                raise ConnectionError("PING was not answered with PONG")
            times.append(time.monotonic() - began)
            time.sleep(0.001)
    conn.send(times)


def grow(port: int, keys: int) -> dict[str, float]:
    """SET `keys` new keys in pipelines; the worst round trips of them and of PINGs."""
    conn, child = mp.Pipe()
    pinger = mp.get_context("fork").Process(target=pinger_main, args=(port, child), daemon=True)
    pinger.start()
    assert conn.recv() == "ready"
    trips: list[float] = []
    replies = b"+OK\r\n" * BATCH
    began = time.monotonic()
    with socket.create_connection(("127.0.0.1", port)) as sock:
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for first in range(0, keys, BATCH):
            t0 = time.monotonic()
            sock.sendall(set_commands(b"grow:", first, BATCH))
            if read_exactly(sock, len(replies)) != replies:
                raise ConnectionError("a SET was not acknowledged with +OK")
            trips.append(time.monotonic() - t0)
    took = time.monotonic() - began
    conn.send("stop")
    pings: list[float] = conn.recv()
    pinger.join(10)
    trips.sort()
    pings.sort()
    return {
        "sets_per_second": keys / took,
        "batch_p50": trips[len(trips) // 2] * 1000,
        "batch_p999": trips[int(len(trips) * 0.999)] * 1000,
        "batch_max": trips[-1] * 1000,
        "ping_p99": pings[int(len(pings) * 0.99)] * 1000,
        "ping_max": pings[-1] * 1000,
        "over_50ms": sum(t > 0.05 for t in trips),
    }


def servers(directory: str) -> dict[str, list[str]]:
    geokv = [sys.executable, "-m", "node", "server", "--dir", os.path.join(directory, "geokv"),
             "--appendfsync", "everysec"]  # fmt: skip
    redis = ["redis-server", "--bind", "127.0.0.1", "--dir", os.path.join(directory, "redis"),
             "--appendonly", "yes", "--appendfsync", "everysec", "--save", ""]  # fmt: skip
    return {"geokv": geokv, "redis-server": redis}


def measure(keys: int) -> dict[str, dict[str, float]]:
    results = {}
    with tempfile.TemporaryDirectory(prefix="geokv-bench-growth-") as directory:
        for name, argv in servers(directory).items():
            os.makedirs(argv[argv.index("--dir") + 1])
            port = free_port()
            proc = start([*argv, "--port", str(port)], port, timeout=60)
            try:
                results[name] = grow(port, keys)
            finally:
                stop(proc, timeout=120)
            print(name, results[name], flush=True)
    return results


def report(results: dict[str, dict[str, float]], keys: int) -> str:
    redis_version = subprocess.run(["redis-server", "--version"], capture_output=True, text=True)
    rows = [
        f"| {name} | {r['sets_per_second']:,.0f} | {r['batch_p50']:.2f} | {r['batch_p999']:.1f} | "
        f"{r['batch_max']:.1f} | {r['over_50ms']:.0f} | {r['ping_p99']:.2f} | {r['ping_max']:.1f} |"
        for name, r in results.items()
    ]
    ours, ref = results["geokv"], results["redis-server"]
    return "\n".join(
        [
            BEGIN,
            f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
            f"- machine: {platform.machine()}, {os.cpu_count()} cores shared with other work; "
            f"Python {platform.python_version()}",
            modules_line(),
            f"- reference: {redis_version.stdout.strip()} (AOF everysec, no RDB)",
            f"- command: `.venv/bin/python bench/growth.py --keys {keys}`",
            f"- one client SETs {keys:,} new keys (64-byte values) in pipelines of {BATCH}, "
            "timing each round trip; another PINGs every millisecond on its own connection",
            "",
            "| server | SETs/s | pipeline p50 ms | p99.9 ms | max ms | pipelines over 50 ms "
            "| PING p99 ms | PING max ms |",
            "|---|---:|---:|---:|---:|---:|---:|---:|",
            *rows,
            "",
            f"Worst pipeline: geokv {ours['batch_max']:.1f} ms, redis-server "
            f"{ref['batch_max']:.1f} ms ({ours['batch_max'] / ref['batch_max']:.1f}x).",
            END,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--keys", type=int, default=2_000_000)
    parser.add_argument("--no-doc", action="store_true")
    args = parser.parse_args()
    if not shutil.which("redis-server"):
        raise SystemExit("redis-server is needed (the reference)")
    block = report(measure(args.keys), args.keys)
    print(block)
    if not args.no_doc:
        write_doc(block, TITLE, BEGIN, END)


if __name__ == "__main__":
    main()
