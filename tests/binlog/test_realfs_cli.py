"""The real file system implementation and the `geokv binlog` tools, on temp directories."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from binlog import Binlog, LogRecord, Options, RealFS, recover
from binlog.cli import EXIT_CORRUPT, EXIT_OK, EXIT_TORN, EXIT_USAGE, main
from binlog.format import SEGMENT_HEADER_SIZE
from binlog.manifest import read_manifest
from tests.binlog.helpers import rec


def make_log(path: Path, records: list[LogRecord], segment_bytes: int = 64 << 20) -> list[int]:
    async def go() -> list[int]:
        log = Binlog.open(RealFS(path), Options(fsync="always", segment_bytes=segment_bytes))
        ends = []
        for r in records:
            ends.append(log.append(r))
            await log.durable(ends[-1])
        await log.write_snapshot(b"snap", {"eu": 1}, ends[0])
        await log.close()
        return ends

    return asyncio.run(go())


def segments(path: Path) -> list[str]:
    manifest = read_manifest(RealFS(path))
    assert manifest is not None
    return [s.name for s in manifest.segments]


def test_real_files_survive_reopen_and_a_torn_tail(tmp_path: Path) -> None:
    records = [rec(i, payload=b"r" * i) for i in range(1, 9)]
    ends = make_log(tmp_path, records)
    seg = tmp_path / segments(tmp_path)[-1]
    assert seg.stat().st_size == ends[-1] + SEGMENT_HEADER_SIZE
    os.truncate(seg, seg.stat().st_size - 3)
    replayed: list[LogRecord] = []
    r = recover(RealFS(tmp_path), lambda e: replayed.append(e.record))
    assert replayed == records[1:-1] and r.snapshot is not None
    assert seg.stat().st_size == ends[-2] + SEGMENT_HEADER_SIZE


def test_inspect_prints_records(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    make_log(tmp_path, [rec(1), rec(2, "us", eu=1, payload=b"\x01\x02" * 20)])
    assert main(["inspect", str(tmp_path), "--preview", "4"]) == EXIT_OK
    out = capsys.readouterr().out
    assert "origin=us seq=2 hlc=1000002 deps={eu:1} payload=40B 01020102..." in out
    assert "# snapshot snapshot." in out
    assert main(["inspect", str(tmp_path / segments(tmp_path)[0])]) == EXIT_OK
    assert "origin=eu seq=1" in capsys.readouterr().out


def test_check_reports_and_fixes_a_torn_tail(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ends = make_log(tmp_path, [rec(i) for i in range(1, 6)])
    assert main(["check", str(tmp_path)]) == EXIT_OK
    seg = tmp_path / segments(tmp_path)[-1]
    os.truncate(seg, seg.stat().st_size - 2)
    capsys.readouterr()
    assert main(["check", str(tmp_path)]) == EXIT_TORN
    offset = ends[-2] + SEGMENT_HEADER_SIZE
    assert f"torn tail in {seg.name} at offset {offset}" in capsys.readouterr().out
    assert seg.stat().st_size == ends[-1] + SEGMENT_HEADER_SIZE - 2  # check alone changes nothing
    assert main(["check", "--fix", str(tmp_path)]) == EXIT_OK
    assert seg.stat().st_size == offset
    assert main(["check", str(tmp_path)]) == EXIT_OK


def _flip(path: Path, offset: int) -> None:
    data = bytearray(path.read_bytes())
    data[offset] ^= 0xFF
    path.write_bytes(bytes(data))


def test_check_refuses_mid_log_corruption_unless_truncation_is_asked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ends = make_log(tmp_path, [rec(i) for i in range(1, 6)])
    seg = tmp_path / segments(tmp_path)[-1]
    offset = ends[1] + SEGMENT_HEADER_SIZE
    _flip(seg, offset + 14)
    assert main(["check", "--fix", str(tmp_path)]) == EXIT_CORRUPT
    out = capsys.readouterr().out
    assert f"corruption in {seg.name} at offset {offset}" in out and "--truncate-corrupt" in out
    assert main(["check", "--fix", "--truncate-corrupt", str(tmp_path)]) == EXIT_OK
    assert seg.stat().st_size == offset


def test_check_refuses_corruption_in_a_sealed_segment(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    make_log(tmp_path, [rec(i, payload=b"x" * 40) for i in range(1, 9)], segment_bytes=100)
    names = segments(tmp_path)
    assert len(names) > 2
    _flip(tmp_path / names[1], SEGMENT_HEADER_SIZE + 20)
    assert main(["check", "--fix", "--truncate-corrupt", str(tmp_path)]) == EXIT_CORRUPT
    assert "not repairable" in capsys.readouterr().out


def test_geokv_entry_point_runs_the_binlog_tools(tmp_path: Path) -> None:
    make_log(tmp_path, [rec(1)])
    geokv = Path(sys.executable).parent / "geokv"
    done = subprocess.run(
        [str(geokv), "binlog", "check", str(tmp_path)], capture_output=True, text=True, timeout=60
    )
    assert done.returncode == EXIT_OK and "ok: 1 segments" in done.stdout
    empty = tmp_path / "empty"
    empty.mkdir()
    assert main(["check", str(empty)]) == EXIT_USAGE
