"""Memory per key: geokv against redis-server, same run, one small key of each type.

Starts geokv (`python -m node server --appendonly no`) and redis-server
(`--save '' --appendonly no`) on free loopback ports, loads N keys of each type
that geokv supports (strings with SET, counters with INCR, and one-element
hashes, sets, sorted sets and lists when those commands exist) through
pipelines, and reads INFO memory's used_memory before and after each type:
bytes per key = delta / N. A type geokv does not know yet is skipped and said
so. Also breaks a string key's geokv cost into its Python objects (what the
CRDT metadata costs). Prints a markdown table and writes it into
docs/BENCHMARKS.md between this benchmark's markers. Both servers are stopped
whatever happens. Not part of the test suite.

    .venv/bin/python bench/memory.py [--keys N]
"""

from __future__ import annotations

import argparse
import platform
import shutil
import subprocess
import sys
import tempfile
import time
import tracemalloc

import redis
from common import ROOT, free_port, stop, write_doc  # bench/common.py (puts the repo on sys.path)

TITLE = "## Memory per key (bench/memory.py)"
BEGIN, END = "<!-- bench/memory.py begin -->", "<!-- bench/memory.py end -->"
TARGET = "Target: geokv at most 3x redis-server's bytes per key for every type."
BATCH = 5_000
# type name -> the command that creates key i with one small element
LOADS: dict[str, tuple[str, ...]] = {
    "string (SET)": ("SET", "s:{i}", "v{i}"),
    "counter (INCR)": ("INCR", "c:{i}"),
    "hash (HSET, 1 field)": ("HSET", "h:{i}", "f", "v{i}"),
    "set (SADD, 1 member)": ("SADD", "t:{i}", "m{i}"),
    "sorted set (ZADD, 1 member)": ("ZADD", "z:{i}", "1", "m{i}"),
    "list (RPUSH, 1 element)": ("RPUSH", "l:{i}", "v{i}"),
}


def wait_ready(client: redis.Redis, proc: subprocess.Popen[bytes], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode}")
        try:
            client.ping()
            return
        except redis.ConnectionError:
            time.sleep(0.1)
    raise TimeoutError("server did not answer PING")


def used_memory(client: redis.Redis) -> int:
    return int(client.info("memory")["used_memory"])


def supported(client: redis.Redis, template: tuple[str, ...]) -> bool:
    """Whether the server knows the command: try it once on a probe key."""
    try:
        client.execute_command(*(part.format(i="probe") for part in template))  # type: ignore[no-untyped-call]
    except redis.ResponseError as exc:
        if "unknown command" in str(exc):
            return False
        raise
    client.delete(template[1].format(i="probe"))
    return True


def load(client: redis.Redis, template: tuple[str, ...], keys: int) -> None:
    for start in range(0, keys, BATCH):
        pipe = client.pipeline(transaction=False)
        for i in range(start, min(start + BATCH, keys)):
            pipe.execute_command(*(part.format(i=i) for part in template))  # type: ignore[no-untyped-call]
        pipe.execute()


def measure(keys: int) -> tuple[list[tuple[str, float, float]], list[str]]:
    redis_exe = shutil.which("redis-server")
    if redis_exe is None:
        raise SystemExit("redis-server is needed")
    rows: list[tuple[str, float, float]] = []
    skipped: list[str] = []
    procs: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="geokv-bench-") as tmp:
        try:
            ports = {"geokv": free_port(), "redis": free_port()}
            argvs = {
                "geokv": [
                    *(sys.executable, "-m", "node", "server", "--port", str(ports["geokv"])),
                    *("--appendonly", "no", "--dir", tmp),
                ],
                "redis": [
                    *(redis_exe, "--port", str(ports["redis"]), "--bind", "127.0.0.1"),
                    *("--save", "", "--appendonly", "no", "--dir", tmp),
                ],
            }
            clients = {}
            for name, argv in argvs.items():
                proc = subprocess.Popen(
                    argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
                )
                procs.append(proc)
                clients[name] = redis.Redis(port=ports[name], socket_timeout=600)
                wait_ready(clients[name], proc)
            for kind, template in LOADS.items():
                if not supported(clients["geokv"], template):
                    skipped.append(kind)
                    print(f"{kind}: geokv has no {template[0]} yet, skipped", flush=True)
                    continue
                per_key = {}
                for name, client in clients.items():
                    before = used_memory(client)
                    load(client, template, keys)
                    per_key[name] = (used_memory(client) - before) / keys
                print(
                    f"{kind:28} geokv {per_key['geokv']:7.1f} B/key"
                    f"  redis {per_key['redis']:6.1f} B/key"
                    f"  ratio {per_key['geokv'] / per_key['redis']:.2f}",
                    flush=True,
                )
                rows.append((kind, per_key["geokv"], per_key["redis"]))
        finally:
            for proc in procs:
                stop(proc, timeout=30)
    return rows, skipped


def string_breakdown(keys: int = 100_000) -> list[tuple[str, float]]:
    """A string key's geokv cost by part, in process (tracemalloc), and a counter's extra."""
    from node.client import Client
    from node.core import Node
    from node.dispatch import dispatch

    def per_key(argv_of: tuple[str, ...]) -> float:
        node = Node()
        client = Client()
        node.connect(client)
        tracemalloc.start()
        before = tracemalloc.get_traced_memory()[0]
        for i in range(keys):
            dispatch(node, client, [part.format(i=i).encode() for part in argv_of])
        after = tracemalloc.get_traced_memory()[0]
        tracemalloc.stop()
        return (after - before) / keys

    key = b"s:123456"
    value = b"v123456"
    from node.crdt.strings import StrValue

    sample = StrValue(value, 1 << 56, "local")
    return [
        ("whole string key (SET), Python heap", per_key(("SET", "s:{i}", "v{i}"))),
        ("whole counter key (INCR), Python heap", per_key(("INCR", "c:{i}"))),
        ("key bytes object", float(sys.getsizeof(key))),
        ("value bytes object", float(sys.getsizeof(value))),
        ("StrValue (4 slots: data, stamp, region, counter)", float(sys.getsizeof(sample))),
        ("its HLC stamp (an int past 2^56)", float(sys.getsizeof(sample.stamp))),
    ]


def table(rows: list[tuple[str, float, float]], skipped: list[str]) -> str:
    lines = [
        "| type | geokv B/key | redis B/key | ratio |",
        "|---|---|---|---|",
    ]
    for kind, ours, theirs in rows:
        ratio = f"{ours / theirs:.2f}x" if theirs > 0 else "n/a"
        lines.append(f"| {kind} | {ours:.0f} | {theirs:.0f} | {ratio} |")
    for kind in skipped:
        lines.append(f"| {kind} | not implemented yet: skipped | | |")
    return "\n".join(lines)


def block(keys: int, rows: list[tuple[str, float, float]], skipped: list[str]) -> str:
    parts = string_breakdown()
    breakdown = "\n".join(f"| {name} | {size:.0f} |" for name, size in parts)
    return "\n".join(
        [
            BEGIN,
            f"Run {time.strftime('%Y-%m-%d')} on {platform.machine()} {platform.system()}, "
            f"Python {platform.python_version()}: `.venv/bin/python bench/memory.py --keys {keys}`."
            " Both servers empty at start; bytes per key = INFO memory used_memory delta / keys "
            "(geokv: glibc mallinfo2, counting CPython's arenas).",
            "",
            TARGET,
            "",
            table(rows, skipped),
            "",
            "Where a string key's bytes go in geokv (`sys.getsizeof`, and tracemalloc over "
            "100k keys in process):",
            "",
            "| part | bytes |",
            "|---|---|",
            breakdown,
            END,
        ]
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--keys", type=int, default=1_000_000)
    parser.add_argument("--no-doc", action="store_true", help="print only")
    args = parser.parse_args()
    rows, skipped = measure(args.keys)
    text = block(args.keys, rows, skipped)
    print(text)
    if not args.no_doc:
        write_doc(text, TITLE, BEGIN, END)


if __name__ == "__main__":
    main()
