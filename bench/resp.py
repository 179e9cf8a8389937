"""RESP throughput and server CPU per request: geokv against redis-server, same run.

Starts geokv (`python -m node server`) and redis-server (no persistence) on
free loopback ports, runs `redis-benchmark` once per test and pipeline depth
against each, and measures each server's own CPU time (utime+stime from
/proc/<pid>/stat, read right before and after every run). Prints a markdown
table and writes it into docs/BENCHMARKS.md between this benchmark's markers
(`--label` picks the block, so a baseline and later runs can sit side by side).
Both servers are stopped whatever happens. Not part of the test suite.

    .venv/bin/python bench/resp.py [--requests N] [--clients C] [--label NAME]
"""

from __future__ import annotations

import argparse
import csv
import io
import os
import platform
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

from common import DOC, free_port, modules_line, start, stop  # bench/common.py

TESTS = ("set", "get", "incr", "mset")
PIPELINES = (1, 16)
TICK = os.sysconf("SC_CLK_TCK")
TITLE = "## RESP throughput and CPU per request (bench/resp.py)"
TARGET = (
    "Target: at `-P 16`, geokv's server CPU per request at most 2x redis-server's "
    "and its requests/s at least 0.5x."
)


@dataclass
class Result:
    test: str
    pipeline: int
    rps: float | None  # None: the server failed the test (command not implemented yet)
    cpu_us: float | None  # server CPU (user+system) per request, microseconds


def cpu_seconds(pid: int) -> float:
    # Fields after the parenthesised command name; utime and stime are 14 and 15.
    stat = Path(f"/proc/{pid}/stat").read_text()
    fields = stat[stat.rindex(")") + 2 :].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def run_benchmark(
    port: int, pid: int, test: str, pipeline: int, requests: int, clients: int
) -> Result:
    argv = ["redis-benchmark", "-h", "127.0.0.1", "-p", str(port), "-t", test]
    argv += ["-c", str(clients), "-n", str(requests), "-P", str(pipeline), "--csv"]
    before = cpu_seconds(pid)
    done = subprocess.run(argv, capture_output=True, timeout=600)
    used = cpu_seconds(pid) - before
    rows = list(csv.DictReader(io.StringIO(done.stdout.decode())))
    if done.returncode or len(rows) != 1:
        print(f"  {test} -P {pipeline} failed: {(done.stdout + done.stderr).decode()[:300]!r}")
        return Result(test, pipeline, None, None)
    return Result(test, pipeline, float(rows[0]["rps"]), used * 1e6 / requests)


def measure(requests: int, clients: int) -> dict[str, list[Result]]:
    redis_exe = shutil.which("redis-server")
    if redis_exe is None or shutil.which("redis-benchmark") is None:
        raise SystemExit("redis-server and redis-benchmark are needed")
    results: dict[str, list[Result]] = {"geokv": [], "redis": []}
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="geokv-bench-") as tmp:
        try:
            ports = {"geokv": free_port(), "redis": free_port()}
            geokv = [sys.executable, "-m", "node", "server", "--port", str(ports["geokv"])]
            redis = [redis_exe, "--port", str(ports["redis"]), "--bind", "127.0.0.1"]
            argvs = {
                "geokv": [*geokv, "--dir", tmp],
                "redis": [*redis, "--save", "", "--appendonly", "no", "--dir", tmp],
            }
            pids = {}
            for name, argv in argvs.items():
                proc = start(argv, ports[name], timeout=20)
                procs.append(proc)
                pids[name] = proc.pid
            for pipeline in PIPELINES:
                for test in TESTS:
                    for name in results:
                        result = run_benchmark(
                            ports[name], pids[name], test, pipeline, requests, clients
                        )
                        print(
                            f"{name:6} -P {pipeline:<2} {test:5} {_num(result.rps, '.0f'):>10} req/s"
                            f" {_num(result.cpu_us, '.2f'):>7} us CPU/req",
                            flush=True,
                        )
                        results[name].append(result)
        finally:
            for proc in procs:
                stop(proc)
    return results


def _num(value: float | None, spec: str) -> str:
    return "n/a" if value is None else format(value, spec)


def _ratio(ours: float | None, theirs: float | None) -> float | None:
    return ours / theirs if ours is not None and theirs else None


def table(results: dict[str, list[Result]]) -> str:
    lines = [
        "| test | -P | geokv req/s | redis req/s | rps ratio | geokv CPU µs/req "
        "| redis CPU µs/req | CPU ratio |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for ours, theirs in zip(results["geokv"], results["redis"], strict=True):
        lines.append(
            f"| {ours.test} | {ours.pipeline} | {_num(ours.rps, ',.0f')} "
            f"| {_num(theirs.rps, ',.0f')} | {_num(_ratio(ours.rps, theirs.rps), '.2f')} "
            f"| {_num(ours.cpu_us, '.2f')} | {_num(theirs.cpu_us, '.2f')} "
            f"| {_num(_ratio(ours.cpu_us, theirs.cpu_us), '.1f')} |"
        )
    return "\n".join(lines)


def block(label: str, results: dict[str, list[Result]], requests: int, clients: int) -> str:
    command = (
        f"redis-benchmark -t <test> -c {clients} -n {requests} -P <1|16> --csv "
        "(one run per test, pipeline depth and server)"
    )
    redis_version = subprocess.run(
        ["redis-server", "--version"], capture_output=True, text=True, check=True
    ).stdout.split()[2]
    return "\n".join(
        [
            f"<!-- bench/resp.py:{label} begin -->",
            f"### {label}",
            "",
            f"- date: {time.strftime('%Y-%m-%d %H:%M %Z')}",
            f"- machine: {platform.machine()}, nproc {os.cpu_count()}, "
            f"Python {platform.python_version()}, redis-server {redis_version}",
            modules_line(),
            f"- command: `{command}`",
            "- the benchmark client runs on the same machine and competes for the same cores",
            "",
            table(results),
            f"<!-- bench/resp.py:{label} end -->",
        ]
    )


def write_doc(label: str, text: str) -> None:
    DOC.parent.mkdir(exist_ok=True)
    doc = DOC.read_text() if DOC.exists() else "# Benchmarks\n"
    if TITLE not in doc:
        doc = doc.rstrip("\n") + f"\n\n{TITLE}\n\n{TARGET}\n"
    begin, end = f"<!-- bench/resp.py:{label} begin -->", f"<!-- bench/resp.py:{label} end -->"
    if begin in doc and end in doc:
        head, rest = doc.split(begin, 1)
        doc = head + text + rest.split(end, 1)[1]
    else:
        # New blocks go right after this benchmark's target line, newest first.
        at = doc.index(TARGET) + len(TARGET)
        doc = doc[:at] + "\n\n" + text + doc[at:]
    DOC.write_text(doc.rstrip("\n") + "\n")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=50)
    parser.add_argument("--label", default="latest", help="block of docs/BENCHMARKS.md to write")
    parser.add_argument("--no-write", action="store_true", help="print only")
    args = parser.parse_args()
    results = measure(args.requests, args.clients)
    text = block(args.label, results, args.requests, args.clients)
    print(text)
    if not args.no_write:
        write_doc(args.label, text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
