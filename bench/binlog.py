"""Persistence cost and restart time: geokv's binlog against redis-server's AOF, same run.

For each fsync policy (always, everysec, no) starts geokv (`--appendfsync P`)
and redis-server (`--appendonly yes --appendfsync P --save ''`) on fresh
directories and runs `redis-benchmark -t set -c 50 -n N -P 1` against each.
Then loads 1,000,000 keys into geokv (`redis-cli --pipe`) and times restarts:
after SIGKILL (snapshot + log replay) and after SIGTERM (the shutdown
snapshot), until PING answers and DBSIZE is right. Writes a markdown section
into docs/BENCHMARKS.md between this benchmark's markers. Every server it
starts is stopped whatever happens. Not part of the test suite.

    .venv/bin/python bench/binlog.py [--requests N] [--keys K]
"""

from __future__ import annotations

import argparse
import csv
import io
import platform
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from common import free_port, modules_line, start, stop, write_doc  # bench/common.py

POLICIES = ("always", "everysec", "no")
TITLE = "## Binlog: persistence cost and restart (bench/binlog.py)"
BEGIN, END = "<!-- bench/binlog.py begin -->", "<!-- bench/binlog.py end -->"


def geokv_argv(port: int, directory: str, policy: str) -> list[str]:
    return [sys.executable, "-m", "node", "server", "--port", str(port), "--dir", directory,
            "--appendfsync", policy]  # fmt: skip


def redis_argv(port: int, directory: str, policy: str) -> list[str]:
    return ["redis-server", "--port", str(port), "--bind", "127.0.0.1", "--dir", directory,
            "--appendonly", "yes", "--appendfsync", policy, "--save", ""]  # fmt: skip


def set_rps(port: int, requests: int) -> float:
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", "set", "-c", "50"]
    argv += ["-n", str(requests), "-P", "1", "--csv"]
    done = subprocess.run(argv, capture_output=True, timeout=900, check=True)
    return float(next(csv.DictReader(io.StringIO(done.stdout.decode())))["rps"])


def cli(port: int, *args: str) -> str:
    argv = ["redis-cli", "-p", str(port), *args]
    return subprocess.run(argv, capture_output=True, timeout=60).stdout.decode().strip()


def throughput(requests: int) -> list[tuple[str, float, float]]:
    rows = []
    for policy in POLICIES:
        rps = {}
        for name, argv_of in (("geokv", geokv_argv), ("redis", redis_argv)):
            with tempfile.TemporaryDirectory(prefix="geokv-bench-") as tmp:
                port = free_port()
                proc = start(argv_of(port, tmp, policy), port, timeout=600)
                try:
                    rps[name] = set_rps(port, requests)
                finally:
                    stop(proc)
            print(f"{policy:8} {name:5} {rps[name]:>10,.0f} SET/s", flush=True)
        rows.append((policy, rps["geokv"], rps["redis"]))
    return rows


def load(port: int, keys: int) -> None:
    lines = b"".join(b"*3\r\n$3\r\nSET\r\n$%d\r\nkey:%d\r\n$3\r\nxyz\r\n" % (len(b"key:%d" % i), i)
                     for i in range(keys))  # fmt: skip
    subprocess.run(["redis-cli", "-p", str(port), "--pipe"], input=lines, capture_output=True,
                   timeout=1800, check=True)  # fmt: skip


def timed_start(argv: list[str], port: int, keys: int) -> tuple[subprocess.Popen[bytes], float]:
    began = time.monotonic()
    proc = start(argv, port, timeout=600)
    deadline = began + 1800
    while cli(port, "PING") != "PONG" or cli(port, "DBSIZE") != str(keys):
        if time.monotonic() > deadline:
            raise TimeoutError("the restarted server never reached the expected DBSIZE")
        time.sleep(0.05)
    return proc, time.monotonic() - began


def restarts(keys: int) -> dict[str, float]:
    out: dict[str, float] = {}
    with tempfile.TemporaryDirectory(prefix="geokv-bench-") as tmp:
        port = free_port()
        argv = geokv_argv(port, tmp, "everysec")
        proc = start(argv, port, timeout=600)
        try:
            began = time.monotonic()
            load(port, keys)
            out["load"] = time.monotonic() - began
            assert cli(port, "DBSIZE") == str(keys)
            time.sleep(1.5)  # everysec: let the last second reach the disk
            out["log_mb"] = sum(f.stat().st_size for f in Path(tmp, "binlog").iterdir()) / 1e6
            proc.kill()
            proc.wait(60)
            proc, out["after SIGKILL"] = timed_start(argv, port, keys)
            began = time.monotonic()
            proc.send_signal(signal.SIGTERM)
            proc.wait(600)
            out["shutdown"] = time.monotonic() - began
            proc, out["after SIGTERM"] = timed_start(argv, port, keys)
        finally:
            stop(proc)
    for name, value in out.items():
        print(f"{name}: {value:.1f}", flush=True)
    return out


def report(rows: list[tuple[str, float, float]], times: dict[str, float], args: argparse.Namespace) -> str:  # fmt: skip
    redis_version = subprocess.run(["redis-server", "--version"], capture_output=True).stdout
    lines = [
        BEGIN,
        f"- date: {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}",
        f"- machine: {platform.machine()}, Python {platform.python_version()}, "
        f"{redis_version.decode().split()[2]}",
        modules_line(),
        f"- command: `.venv/bin/python bench/binlog.py --requests {args.requests} --keys {args.keys}`",
        f"- throughput: `redis-benchmark -t set -c 50 -n {args.requests} -P 1 --csv`; redis-server "
        "runs `--appendonly yes --appendfsync <policy> --save ''`; fresh directories each run",
        "- target with `always`: geokv at least 0.5x redis-server",
        "",
        "| appendfsync | geokv SET/s | redis SET/s | ratio |",
        "|---|---:|---:|---:|",
        *(f"| {p} | {g:,.0f} | {r:,.0f} | {g / r:.2f} |" for p, g, r in rows),
        "",
        f"Restart with {args.keys:,} keys (loaded with `redis-cli --pipe` in {times['load']:.1f} s; "
        f"{times['log_mb']:.0f} MB of binlog and snapshot on disk), time until PING answers and "
        "DBSIZE is right:",
        "",
        "| restart | seconds |",
        "|---|---:|",
        f"| after SIGKILL (latest snapshot + replay of the log after it) | {times['after SIGKILL']:.1f} |",
        f"| SIGTERM shutdown (writes the final snapshot) | {times['shutdown']:.1f} |",
        f"| after SIGTERM (snapshot only) | {times['after SIGTERM']:.1f} |",
        END,
    ]
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--keys", type=int, default=1_000_000)
    args = parser.parse_args()
    if not all(shutil.which(t) for t in ("redis-server", "redis-benchmark", "redis-cli")):
        raise SystemExit("redis-server, redis-benchmark and redis-cli are needed")
    rows = throughput(args.requests)
    times = restarts(args.keys)
    block = report(rows, times, args)
    print(block)
    write_doc(block, TITLE, BEGIN, END)


if __name__ == "__main__":
    main()
