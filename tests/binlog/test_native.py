"""Compiled module groups (binlog/native.py): which modules run compiled, and the
guard that runs a whole group from source when any of its sources changed."""

from __future__ import annotations

import importlib.machinery
import json
import os
import subprocess
import sys
import sysconfig
from pathlib import Path

import pytest

from binlog import native
from node.config import Config
from node.core import Node
from node.info import render

NODE = next(g for g in native.groups() if g.package == "node")
BUILT = all(os.path.exists(g.library()) for g in native.groups())
needs_build = pytest.mark.skipif(not BUILT, reason="no compiled modules here (make native)")


def _loaded_from(env: dict[str, str]) -> list[str]:
    """Where a fresh process loads compiled modules from, and what it reports."""
    code = (
        "import node.core, binlog.format; from binlog import native; "
        "print(node.core.__file__); print(binlog.format.__file__); "
        "print([g.active() for g in native.groups()]); "
        "print([g.from_source_because() for g in native.groups()])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        env={**os.environ, **env},
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )
    return out.stdout.splitlines()


def _record_with_one_change(tmp_path: Path, module: str) -> str:
    digests = NODE.digests()
    digests[module] = "0" * 64
    record = tmp_path / "record.json"
    record.write_text(json.dumps(digests))
    return str(record)


def test_stale_names_exactly_the_modules_whose_source_differs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(NODE, "record", _record_with_one_change(tmp_path, "node.resp"))
    assert NODE.stale() == ["node.resp"]
    Path(NODE.record).write_text("not json")
    assert NODE.stale() == list(NODE.modules)


def test_a_build_of_other_modules_is_stale_whole(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A module taken out of a group (or added) leaves a build whose modules call
    it compiled: the sources of the rest are unchanged, the build is not current."""
    digests = NODE.digests()
    for record in ({**digests, "node.gone": "0" * 64}, dict(list(digests.items())[1:])):
        path = tmp_path / "record.json"
        path.write_text(json.dumps(record))
        monkeypatch.setattr(NODE, "record", str(path))
        assert NODE.stale() == list(NODE.modules)


def test_the_source_finder_serves_only_its_groups_names() -> None:
    finder = native._FromSource(NODE)
    spec = finder.find_spec("node.keyspace", None)
    assert spec is not None and spec.origin == NODE.source_path("node.keyspace")
    assert isinstance(spec.loader, importlib.machinery.SourceFileLoader)
    assert finder.find_spec("node.handlers.sets", None) is None
    assert finder.find_spec("binlog.format", None) is None


@needs_build
def test_a_current_build_runs_compiled() -> None:
    if any(g.stale() for g in native.groups()):
        pytest.skip("sources edited since the build: this checkout runs from source")
    core, fmt, active, reasons = _loaded_from({"GEOKV_NATIVE": "1"})
    assert core.endswith(".so") and fmt.endswith(".so")
    assert (active, reasons) == ("[True, True]", "[None, None]")


@needs_build
def test_geokv_native_0_runs_every_compiled_module_from_source() -> None:
    core, fmt, active, reasons = _loaded_from({"GEOKV_NATIVE": "0"})
    assert core.endswith("node/core.py") and fmt.endswith("binlog/format.py")
    assert (active, reasons) == ("[False, False]", "['GEOKV_NATIVE=0', 'GEOKV_NATIVE=0']")


@needs_build
def test_a_changed_source_makes_its_whole_group_run_from_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("GEOKV_NATIVE", raising=False)
    monkeypatch.setattr(NODE, "record", _record_with_one_change(tmp_path, "node.clock"))
    monkeypatch.setattr(NODE, "_why_from_source", NODE.from_source_because())
    before = list(sys.meta_path)
    try:
        NODE.install_guard()
        assert NODE.from_source_because() == "changed since `make native`: node.clock"
        finder = sys.meta_path[0]
        assert isinstance(finder, native._FromSource) and finder.group is NODE
        assert finder not in before
    finally:
        sys.meta_path[:] = before


def test_a_machine_without_a_toolchain_builds_nothing_and_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    record = _record_with_one_change(tmp_path, "node.resp")
    monkeypatch.setattr(NODE, "record", record)
    config_var = sysconfig.get_config_var
    monkeypatch.setattr(
        sysconfig,
        "get_config_var",
        lambda name: "no-such-cc-here" if name == "CC" else config_var(name),
    )
    NODE.build()
    assert "node._native: no C compiler (no-such-cc-here); geokv runs from source" in (
        capsys.readouterr().err
    )
    assert NODE.stale() == ["node.resp"]  # nothing built, nothing recorded
    monkeypatch.setattr(sysconfig, "get_config_var", config_var)
    monkeypatch.setattr(sysconfig, "get_paths", lambda: {"include": str(tmp_path)})
    NODE.build()
    assert f"no Python headers ({tmp_path}/Python.h)" in capsys.readouterr().err
    assert NODE.stale() == ["node.resp"]


def test_info_server_says_whether_the_process_runs_compiled() -> None:
    text = render(Node(Config()), [b"server"])
    assert f"geokv_compiled:{int(native.all_active())}\r\n".encode() in text
