"""checkov finds no failed check in terraform/, and every skip says why, inline.

Runs checkov (its own venv, checkov_env.py) over the root module, the modules
and the examples, offline: --skip-download and no update check.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from typing import Any

import pytest

from tests.terraform.checkov_env import checkov
from tests.terraform.conftest import TERRAFORM

SKIP = re.compile(r"#\s*checkov:skip=([A-Z0-9_]+)(?::(.*))?")


@pytest.fixture(scope="module")
def report() -> dict[str, Any]:
    env = {**os.environ, "CKV_SKIP_PACKAGE_UPDATE_CHECK": "true", "BC_SKIP_MAPPING": "TRUE"}
    done = subprocess.run(
        [str(checkov()), "--directory", str(TERRAFORM), "--framework", "terraform",
         "--skip-download", "--output", "json"],
        capture_output=True, text=True, env=env, timeout=600,
    )  # fmt: skip
    # 0: no failed check, 1: failed checks; anything else is checkov failing.
    assert done.returncode in (0, 1), done.stderr
    parsed: dict[str, Any] = json.loads(done.stdout)
    return parsed


@pytest.mark.timeout(1200)
def test_checkov_finds_no_failed_check(report: dict[str, Any]) -> None:
    summary = report["summary"]
    failed = [
        f"{c['check_id']} {c['resource']} ({c['file_path']})"
        for c in report["results"]["failed_checks"]
    ]
    assert failed == []
    assert summary["parsing_errors"] == 0, report["results"]["parsing_errors"]
    # Every module was scanned: the region module alone yields dozens of checks.
    assert summary["resource_count"] >= 30
    assert summary["passed"] >= 100


def test_every_skip_is_annotated_with_a_reason(report: dict[str, Any]) -> None:
    annotated = {}
    for path in TERRAFORM.rglob("*.tf"):
        for match in SKIP.finditer(path.read_text()):
            assert (match.group(2) or "").strip(), f"{path}: {match.group(0)} gives no reason"
            annotated[match.group(1)] = path
    skipped = {c["check_id"] for c in report["results"]["skipped_checks"]}
    assert skipped <= set(annotated), "a check is skipped without an inline annotation"
