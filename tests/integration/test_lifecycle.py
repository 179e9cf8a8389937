"""Starting and stopping `geokv server`: configuration at start, signals, clean exits."""

from __future__ import annotations

import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import redis

from tests.conftest import ROOT, free_port, start_geokv


def run_geokv(*args: str, timeout: float = 20) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "node", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        cwd=ROOT,
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        (
            ["--port", "notaport"],
            "invalid value for 'port': argument couldn't be parsed into an integer",
        ),
        (
            ["--port", "70000"],
            "invalid value for 'port': argument must be between 0 and 65535 inclusive",
        ),
        (["--maxmemory", "lots"], "invalid value for 'maxmemory': argument must be a memory value"),
        (["--appendfsync", "sometimes"], "invalid value for 'appendfsync'"),
        (["--no-such-setting", "1"], "unknown setting 'no-such-setting'"),
        (
            ["--protected-mode", "maybe"],
            "invalid value for 'protected-mode': argument must be 'yes' or 'no'",
        ),
    ],
)
def test_invalid_settings_are_refused_at_start_naming_the_setting(
    flags: list[str], message: str
) -> None:
    result = run_geokv("server", *flags)
    assert result.returncode == 2
    assert message in result.stderr


def test_config_file_is_read_and_flags_override_it(tmp_path: Path) -> None:
    port = free_port()
    conf = tmp_path / "geokv.conf"
    conf.write_text(f'# a comment\nport {port + 1}\nmaxmemory 100mb\nregion-id "eu-west"\n')
    proc = subprocess.Popen(
        [sys.executable, "-m", "node", "server", str(conf), "--port", str(port), "--dir", str(tmp_path)],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, cwd=ROOT,
    )  # fmt: skip
    try:
        client = redis.Redis(port=port, socket_timeout=5)
        deadline = time.monotonic() + 15
        while True:
            try:
                client.ping()
                break
            except redis.ConnectionError:
                assert time.monotonic() < deadline, "server did not start"
                assert proc.poll() is None, "server exited"
                time.sleep(0.05)
        assert client.config_get("maxmemory") == {"maxmemory": str(100 * 1024 * 1024)}
        assert client.config_get("region-id") == {"region-id": "eu-west"}
    finally:
        proc.terminate()
        proc.wait(10)


def test_bad_config_file_line_names_the_setting(tmp_path: Path) -> None:
    conf = tmp_path / "geokv.conf"
    conf.write_text("hz 9000\n")
    result = run_geokv("server", str(conf))
    assert result.returncode == 2
    assert "invalid value for 'hz'" in result.stderr


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_stops_the_server_cleanly(tmp_path: Path, sig: signal.Signals) -> None:
    server = start_geokv(tmp_path)
    client = redis.Redis(port=server.port, socket_timeout=5)
    client.set("k", "v")
    server.proc.send_signal(sig)
    assert server.proc.wait(10) == 0
    assert server.stop() == 0
    with pytest.raises(redis.ConnectionError):
        client.ping()
    assert "bye" in server.output()


def test_unknown_subcommand_and_help() -> None:
    result = run_geokv("frobnicate")
    assert result.returncode == 2
    assert "unknown command 'frobnicate'" in result.stderr
    assert "server" in run_geokv("--help").stdout


def test_port_in_use_is_a_clear_error(tmp_path: Path) -> None:
    server = start_geokv(tmp_path)
    try:
        result = run_geokv(
            "server", "--port", str(server.port), "--bind", "127.0.0.1", "--dir", str(tmp_path)
        )
        assert result.returncode == 1
        assert f"could not listen on 127.0.0.1:{server.port}" in result.stderr
    finally:
        server.stop()
