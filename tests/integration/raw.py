"""A byte-exact RESP client for tests that compare replies with the reference server.

redis-py reshapes many replies (CLIENT LIST, COMMAND INFO, ...); these tests
need the exact bytes, in RESP2 or RESP3. Every read is bounded by a timeout.
"""

from __future__ import annotations

import socket


class Raw:
    def __init__(self, port: int, resp3: bool = False, timeout: float = 10.0) -> None:
        self.sock = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        self.file = self.sock.makefile("rb")
        if resp3:
            self.call("HELLO", "3")

    def send(self, *args: str | bytes) -> None:
        parts = [b"*%d\r\n" % len(args)]
        for arg in args:
            data = arg.encode() if isinstance(arg, str) else arg
            parts.append(b"$%d\r\n%s\r\n" % (len(data), data))
        self.sock.sendall(b"".join(parts))

    def read(self) -> bytes:
        """One whole reply, exactly as it came on the wire."""
        line = self.file.readline()
        if not line:
            raise ConnectionError("connection closed")
        kind, rest = line[:1], line[1:-2]
        if kind in b"$=!" and rest != b"-1":
            return line + self.file.read(int(rest) + 2)
        if kind in b"*~>" and rest != b"-1":
            return line + b"".join(self.read() for _ in range(int(rest)))
        if kind == b"%":
            return line + b"".join(self.read() for _ in range(2 * int(rest)))
        return line

    def call(self, *args: str | bytes) -> bytes:
        self.send(*args)
        return self.read()

    def closed_by_peer(self) -> bool:
        """True when the server has closed the connection (reads EOF)."""
        return self.file.read(1) == b""

    def close(self) -> None:
        self.file.close()
        self.sock.close()
