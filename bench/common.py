"""What the benchmark scripts share: server processes on free loopback ports, a raw
RESP writer, and their block in docs/BENCHMARKS.md.

Free ports and the wait for a listening port are the test suite's own helpers
(tests/conftest.py), so benchmarks and tests start servers alike. Knows nothing
of what a benchmark measures.
"""

from __future__ import annotations

import signal
import socket
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "BENCHMARKS.md"

sys.path.insert(0, str(ROOT))
import node  # noqa: E402, F401  (imports binlog, installs both compiled groups' guards)
from binlog import native  # noqa: E402
from tests.conftest import free_port, wait_for_port  # noqa: E402

__all__ = [
    "DOC",
    "ROOT",
    "free_port",
    "modules_line",
    "read_exactly",
    "set_commands",
    "start",
    "stop",
    "wait_for_port",
    "write_doc",
]


VALUE = b"v" * 64


def set_commands(prefix: bytes, first: int, count: int) -> bytes:
    """`count` SETs of keys prefix+first.. (64-byte values), RESP-encoded: a client
    that costs the shared machine little (redis-py's pipeline took 15% of a core
    at 10k writes/s)."""
    keys = (b"%s%d" % (prefix, n) for n in range(first, first + count))
    return b"".join(
        b"*3\r\n$3\r\nSET\r\n$%d\r\n%s\r\n$%d\r\n%s\r\n" % (len(k), k, len(VALUE), VALUE)
        for k in keys
    )


def read_exactly(sock: socket.socket, size: int) -> bytes:
    data = bytearray()
    while len(data) < size:
        chunk = sock.recv(size - len(data))
        if not chunk:
            raise ConnectionError("the server closed the connection")
        data += chunk
    return bytes(data)


def modules_line() -> str:
    """The report line saying whether the servers measured ran the compiled hot path."""
    if native.all_active():
        return "- geokv: hot path compiled with mypyc (`make native`, binlog/native.py)"
    why = "; ".join(
        f"{g.package}: {g.from_source_because() or 'not built'}" for g in native.groups()
    )
    return f"- geokv: from source ({why})"


def stop(proc: subprocess.Popen[bytes], timeout: float = 10.0) -> None:
    """SIGTERM, then SIGKILL if the process has not exited within `timeout` seconds."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout)


def start(argv: list[str], port: int, timeout: float) -> subprocess.Popen[bytes]:
    """A server started from the repository root, silent, once it listens on `port`;
    stopped again when it does not."""
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_for_port(port, proc, timeout=timeout)
    except BaseException:
        stop(proc)
        raise
    return proc


def write_doc(block: str, title: str, begin: str, end: str) -> None:
    """Replace the block between `begin` and `end` in docs/BENCHMARKS.md, or append it
    under `title` the first time."""
    text = DOC.read_text()
    if begin in text:
        head, rest = text.split(begin, 1)
        text = head + block + rest.split(end, 1)[1]
    else:
        text = text.rstrip("\n") + f"\n\n{title}\n\n{block}\n"
    DOC.write_text(text)
