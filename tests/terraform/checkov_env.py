"""checkov in a venv of its own, created on first use from checkov-requirements.txt.

Owns installing and locating the checkov the Terraform tests run. checkov pins
old versions of common packages (packaging 23.2, ...), so it stays out of the
project's venv; it lives under .venv/ so `make clean` removes it, and is
reinstalled whenever the requirements file changes.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from pathlib import Path

from tests.terraform.conftest import ROOT

REQUIREMENTS = Path(__file__).with_name("checkov-requirements.txt")
VENV = ROOT / ".venv" / "tools" / "checkov"


def checkov() -> Path:
    """Path of the checkov executable, installing it when missing or outdated."""
    digest = hashlib.sha256(REQUIREMENTS.read_bytes()).hexdigest()[:16]
    stamp = VENV / f".installed-{digest}"
    if not stamp.exists():
        subprocess.run([sys.executable, "-m", "venv", "--clear", str(VENV)], check=True)
        subprocess.run(
            [str(VENV / "bin" / "python"), "-m", "pip", "install", "-q", "-r", str(REQUIREMENTS)],
            check=True,
            timeout=900,
        )
        stamp.touch()
    return VENV / "bin" / "checkov"
