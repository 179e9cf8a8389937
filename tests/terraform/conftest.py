"""Shared pieces of the Terraform tests: paths, the sample template values, Terraform runs.

Owns what several tests of tests/terraform need. Must not know AWS beyond the
sample ARNs: nothing here reaches a cloud or the network.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[2]
TERRAFORM = ROOT / "terraform"
FIXTURES = Path(__file__).parent / "fixtures"
CLOUD_INIT = TERRAFORM / "modules" / "region" / "templates" / "cloud-init.yaml.tftpl"

ACCOUNT = "123456789012"
SAMPLE_ARNS = {
    "tls_cert_arn": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:geokv/tls/cert-AbCdEf",
    "tls_key_arn": f"arn:aws:secretsmanager:eu-west-1:{ACCOUNT}:secret:geokv/tls/key-GhIjKl",
    "tls_ca_arn": f"arn:aws:ssm:us-east-1:{ACCOUNT}:parameter/geokv/tls/ca",
    "auth_secret_arn": f"arn:aws:secretsmanager:us-east-1:{ACCOUNT}:secret:geokv/auth-MnOpQr",
}


def sample_template_vars(etc: Path, run: Path, data: Path) -> dict[str, str | int]:
    """The values compute.tf passes to templatefile(), with directories moved under a test dir."""
    return {
        "cluster_id": "geokv-prod",
        "region_id": "eu-west-1",
        "node_ip": "10.20.0.10",
        "resp_port": 6379,
        "replication_port": 7379,
        "peers": "ap-southeast-1=10.30.0.10:7379 us-east-1=10.10.0.10:7379",
        "appendfsync": "everysec",
        "tls_auth_clients": "yes",
        **SAMPLE_ARNS,
        "conf_dir": str(etc),
        "runtime_dir": str(run),
        "data_dir": str(data),
        "venv_dir": "/opt/geokv",
        "data_volume_serial": "vol0123456789abcdef0",
        "geokv_pip_spec": "geokv==0.1.0",
        "pip_index_args": "--index-url https://pypi.example.internal/simple",
    }


# Terraform's "checkpoint" version check would call a HashiCorp server.
TERRAFORM_ENV = {**os.environ, "CHECKPOINT_DISABLE": "1"}


@pytest.fixture
def terraform() -> str:
    """The Terraform binary, when this machine has one (the suite does not install it)."""
    path = shutil.which("terraform")
    if path is None:
        pytest.skip("no terraform binary on PATH: this cross-check needs one")
    return path


def terraform_outputs(terraform: str, workdir: Path) -> dict[str, Any]:
    """`terraform init && apply && output -json` of a provider-free configuration."""
    commands = (
        ["init", "-input=false", "-no-color"],
        ["apply", "-auto-approve", "-input=false", "-no-color"],
        ["output", "-json", "-no-color"],
    )
    for args in commands:
        done = subprocess.run(
            [terraform, *args],
            cwd=workdir,
            env=TERRAFORM_ENV,
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stdout + done.stderr
    outputs: dict[str, Any] = json.loads(done.stdout)
    return outputs
