"""Shared test support: free ports and real server processes on 127.0.0.1.

Every process a test starts is stopped by the fixture that started it, and
every wait is bounded in time.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(
    port: int, proc: subprocess.Popen[bytes] | None = None, timeout: float = 15.0
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before listening")
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=0.2):
                return
        except OSError:
            time.sleep(0.05)
    raise TimeoutError(f"nothing listening on 127.0.0.1:{port} after {timeout}s")


class Process:
    """A server process on 127.0.0.1, stopped (SIGTERM, then SIGKILL) by `stop`."""

    def __init__(self, argv: list[str], port: int, log: Path) -> None:
        self.port = port
        self.log = log
        self._log_file = log.open("wb")
        self.proc = subprocess.Popen(
            argv, stdout=self._log_file, stderr=subprocess.STDOUT, cwd=ROOT
        )
        try:
            wait_for_port(port, self.proc)
        except BaseException:
            self.stop()
            raise

    def stop(self, timeout: float = 10.0) -> int:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout)
        self._log_file.close()
        return self.proc.returncode

    def output(self) -> str:
        if not self._log_file.closed:
            self._log_file.flush()
        return self.log.read_text(errors="replace")


def start_geokv(tmp: Path, *flags: str, port: int | None = None) -> Process:
    port = port or free_port()
    data = tmp / f"geokv-{port}"
    data.mkdir(parents=True, exist_ok=True)
    argv = [sys.executable, "-m", "node", "server", "--port", str(port), "--dir", str(data), *flags]
    return Process(argv, port, tmp / f"geokv-{port}.log")


def start_redis(tmp: Path, *flags: str) -> Process:
    exe = shutil.which("redis-server")
    if exe is None:
        pytest.fail("redis-server is missing: `make test` installs Debian's redis-server")
    port = free_port()
    argv = [exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
            "--dir", str(tmp), *flags]  # fmt: skip
    return Process(argv, port, tmp / f"redis-{port}.log")


@pytest.fixture(scope="session")
def geokv_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """One shared geokv process; tests flush it through the `r` fixture."""
    server = start_geokv(tmp_path_factory.mktemp("geokv"))
    yield server
    server.stop()


@pytest.fixture(scope="session")
def redis_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Process]:
    """The reference redis-server, for differential tests."""
    server = start_redis(tmp_path_factory.mktemp("redis"))
    yield server
    server.stop()


os.environ.setdefault("PYTHONHASHSEED", "0")
