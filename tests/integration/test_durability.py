"""Durability of a real geokv process: SIGKILL at random points, torn and corrupt logs.

Each test starts its own servers on one data directory and port, kills and
restarts them, and checks that every acknowledged write survived. Writers
speak raw RESP over a socket so nothing is retried behind the test's back.
"""

from __future__ import annotations

import random
import socket
import subprocess
import sys
import threading
import time
from pathlib import Path

import pytest

from tests.conftest import ROOT, Process, free_port, start_geokv

SEGMENT = "binlog.00000000000000000000.seg"
HEADER = 24  # bytes of a segment header before position 0


def resp(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%s\r\n" % (len(a), a) for a in args)


class Conn:
    def __init__(self, port: int) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.file = self.sock.makefile("rb")

    def call(self, *args: bytes) -> bytes:
        """One reply line; b"" once the server is gone."""
        try:
            self.sock.sendall(resp(*args))
            return self.file.readline()
        except OSError:
            return b""

    def bulk(self, *args: bytes) -> bytes | None:
        head = self.call(*args)
        assert head.startswith(b"$"), head
        size = int(head[1:])
        return None if size < 0 else self.file.read(size + 2)[:-2]

    def close(self) -> None:
        self.file.close()
        self.sock.close()


class Writer(threading.Thread):
    """SETs unique keys and INCRs a shared counter until the server dies (at most 20 s)."""

    def __init__(self, port: int, prefix: str) -> None:
        super().__init__(daemon=True)
        self.port = port
        self.prefix = prefix.encode()
        self.acked: list[tuple[bytes, bytes, float]] = []  # key, value, when acknowledged
        self.incrs_acked = 0
        self.incrs_in_flight = 0

    def run(self) -> None:
        conn = Conn(self.port)
        deadline = time.monotonic() + 20
        i = 0
        try:
            while time.monotonic() < deadline:
                key, value = b"%s:%d" % (self.prefix, i), b"v%d" % i
                if conn.call(b"SET", key, value) != b"+OK\r\n":
                    return
                self.acked.append((key, value, time.monotonic()))
                self.incrs_in_flight = 1
                if not conn.call(b"INCR", b"counter").startswith(b":"):
                    return
                self.incrs_in_flight = 0
                self.incrs_acked += 1
                i += 1
        finally:
            conn.close()


def check_survivors(conn: Conn, acked: list[tuple[bytes, bytes, float]], before: float) -> int:
    """Every SET acknowledged before `before` is present with its value; returns how many."""
    wanted = [(k, v) for k, v, at in acked if at <= before]
    for key, value in wanted:
        assert conn.bulk(b"GET", key) == value, key
    return len(wanted)


def kill(server: Process) -> None:
    server.proc.kill()
    server.proc.wait(10)
    server.stop()


@pytest.mark.parametrize("policy", ["always", "everysec"])
def test_acknowledged_writes_survive_sigkill(tmp_path: Path, policy: str) -> None:
    """A process killed at a random point keeps every write it acknowledged: under
    `always` on disk, under `everysec` in the OS's pages (written before the reply)."""
    port = free_port()
    rng = random.Random(2024)
    incrs_acked = incrs_in_flight = 0
    acked: list[tuple[bytes, bytes, float]] = []
    for cycle in range(22):
        server = start_geokv(tmp_path, "--appendfsync", policy, port=port)
        writers = [Writer(port, f"c{cycle}w{n}") for n in range(3)]
        for w in writers:
            w.start()
        time.sleep(rng.uniform(0.02, 0.3))
        kill(server)
        for w in writers:
            w.join(10)
            assert not w.is_alive()
            acked += w.acked
            incrs_acked += w.incrs_acked
            incrs_in_flight += w.incrs_in_flight
        server = start_geokv(tmp_path, "--appendfsync", policy, port=port)
        conn = Conn(port)
        try:
            check_survivors(conn, [a for a in acked if a[0].startswith(b"c%d" % cycle)], 1e18)
            counter = int(conn.bulk(b"GET", b"counter") or b"0")
            # Unacknowledged INCRs may or may not have reached the log.
            assert incrs_acked <= counter <= incrs_acked + incrs_in_flight
            incrs_acked = counter
            incrs_in_flight = 0
        finally:
            conn.close()
            kill(server)
    assert len(acked) > 100, "the writers got some writes acknowledged"
    # After all the kills, every acknowledged write of every cycle is still there.
    server = start_geokv(tmp_path, port=port)
    conn = Conn(port)
    try:
        assert check_survivors(conn, acked, 1e18) == len(acked)
    finally:
        conn.close()
        server.stop()


def write_records(tmp_path: Path, port: int, count: int) -> list[int]:
    """SET key0..key{count-1} with fsync always, then SIGKILL; returns each record's end."""
    server = start_geokv(tmp_path, "--appendfsync", "always", port=port)
    conn = Conn(port)
    ends = []
    try:
        for i in range(count):
            assert conn.call(b"SET", b"key%d" % i, b"value%d" % i) == b"+OK\r\n"
            info = conn.bulk(b"INFO", b"persistence") or b""
            field = next(x for x in info.split(b"\r\n") if x.startswith(b"binlog_position:"))
            ends.append(int(field.split(b":")[1]))
    finally:
        conn.close()
        kill(server)
    return ends


def segment_path(tmp_path: Path, port: int) -> Path:
    return tmp_path / f"geokv-{port}" / "binlog" / SEGMENT


@pytest.mark.parametrize("where", ["first byte", "middle", "last byte"])
def test_a_torn_last_record_is_truncated_at_start(tmp_path: Path, where: str) -> None:
    port = free_port()
    ends = write_records(tmp_path, port, 5)
    start, end = ends[-2], ends[-1]
    cut = {"first byte": start + 1, "middle": (start + end) // 2, "last byte": end - 1}[where]
    with open(segment_path(tmp_path, port), "r+b") as f:
        f.truncate(cut + HEADER)
    server = start_geokv(tmp_path, port=port)
    conn = Conn(port)
    try:
        for i in range(4):
            assert conn.bulk(b"GET", b"key%d" % i) == b"value%d" % i
        assert conn.bulk(b"GET", b"key4") is None
        assert conn.call(b"SET", b"key5", b"new") == b"+OK\r\n"
    finally:
        conn.close()
        server.stop()
    assert f"truncated at offset {start + HEADER}" in server.output()  # where the record began


def test_corruption_in_the_middle_refuses_to_start(tmp_path: Path) -> None:
    port = free_port()
    ends = write_records(tmp_path, port, 5)
    path = segment_path(tmp_path, port)
    data = bytearray(path.read_bytes())
    data[HEADER + ends[1] + 15] ^= 0xFF  # inside the body of the third record
    path.write_bytes(bytes(data))
    argv = [sys.executable, "-m", "node", "server", "--port", str(port)]
    argv += ["--dir", str(path.parent.parent)]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, timeout=30)
    assert done.returncode != 0
    stderr = done.stderr.decode()
    assert f"{SEGMENT}: corrupt at offset {HEADER + ends[1]}" in stderr
    assert "geokv binlog check --fix" in stderr


def test_a_clean_shutdown_restores_everything(tmp_path: Path) -> None:
    port = free_port()
    server = start_geokv(tmp_path, port=port)
    conn = Conn(port)
    try:
        for i in range(200):
            assert conn.call(b"SET", b"k%d" % i, b"%d" % i) == b"+OK\r\n"
        assert conn.call(b"INCRBY", b"n", b"5") == b":5\r\n"
        assert conn.call(b"SET", b"t", b"x", b"EX", b"1000") == b"+OK\r\n"
    finally:
        conn.close()
    assert server.stop() == 0
    server = start_geokv(tmp_path, port=port)
    conn = Conn(port)
    try:
        assert all(conn.bulk(b"GET", b"k%d" % i) == b"%d" % i for i in range(200))
        assert conn.bulk(b"GET", b"n") == b"5"
        ttl = conn.call(b"TTL", b"t")
        assert ttl.startswith(b":") and 990 <= int(ttl[1:]) <= 1000
        info = conn.bulk(b"INFO", b"persistence") or b""
        assert b"aof_enabled:1" in info and b"binlog_snapshot_position:-1" not in info
    finally:
        conn.close()
        server.stop()
