"""The compiled hot path (node/native.py): which modules run compiled, and the guard
that runs them from source when any changed since the build."""

from __future__ import annotations

import importlib.machinery
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from node import native

BUILT = os.path.exists(native._library())
needs_build = pytest.mark.skipif(not BUILT, reason="no compiled modules here (make native)")


def _loaded_from(env: dict[str, str]) -> list[str]:
    """Where a fresh process loads the compiled modules from, and what it reports."""
    code = (
        "import node.core, node.resp, node.native as n; "
        "print(node.core.__file__); print(node.resp.__file__); "
        "print(n.active()); print(n.from_source_because())"
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


def test_stale_names_exactly_the_modules_whose_source_differs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    digests = native._digests(native.COMPILED)
    digests["node.resp"] = "0" * 64
    record = tmp_path / "record.json"
    record.write_text(json.dumps(digests))
    monkeypatch.setattr(native, "_RECORD", str(record))
    assert native.stale() == ["node.resp"]
    record.write_text("not json")
    assert native.stale() == list(native.COMPILED)


def test_the_source_finder_serves_only_compiled_names() -> None:
    finder = native._FromSource()
    spec = finder.find_spec("node.keyspace", None)
    assert spec is not None and spec.origin == native.source_path("node.keyspace")
    assert isinstance(spec.loader, importlib.machinery.SourceFileLoader)
    assert finder.find_spec("node.handlers.sets", None) is None


@needs_build
def test_a_current_build_runs_compiled() -> None:
    core, resp, active, reason = _loaded_from({"GEOKV_NATIVE": "1"})
    if native.stale():
        pytest.skip("sources edited since the build: this checkout runs from source")
    assert core.endswith(".so") and resp.endswith(".so")
    assert (active, reason) == ("True", "None")


@needs_build
def test_geokv_native_0_runs_every_compiled_module_from_source() -> None:
    core, resp, active, reason = _loaded_from({"GEOKV_NATIVE": "0"})
    assert core.endswith("node/core.py") and resp.endswith("node/resp.py")
    assert (active, reason) == ("False", "GEOKV_NATIVE=0")


@needs_build
def test_a_changed_source_makes_every_compiled_module_run_from_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    digests = native._digests(native.COMPILED)
    digests["node.clock"] = "0" * 64
    record = tmp_path / "record.json"
    record.write_text(json.dumps(digests))
    monkeypatch.setattr(native, "_RECORD", str(record))
    monkeypatch.setattr(native, "_why_from_source", native.from_source_because())
    before = list(sys.meta_path)
    try:
        native.install_guard()
        assert native.from_source_because() == "changed since `make native`: node.clock"
        finder = sys.meta_path[0]
        assert isinstance(finder, native._FromSource) and finder not in before
    finally:
        sys.meta_path[:] = before
