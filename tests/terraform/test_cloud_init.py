"""The region module's cloud-init: rendered with sample values, it yields a config geokv accepts.

Renders terraform/modules/region/templates/cloud-init.yaml.tftpl (tftemplate.py,
cross-checked against Terraform's templatefile() when a binary is present),
writes its files under a test directory, runs its geokv-secrets script against
a stub `aws` command and loads the resulting config with node.config.
"""

from __future__ import annotations

import configparser
import json
import os
import re
import shutil
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import hcl2
import pytest
import yaml  # type: ignore[import-untyped]  # PyYAML has no hints; types-PyYAML is not a test dependency

from node.config import Config, InvalidValue
from tests.terraform.conftest import (
    CLOUD_INIT,
    SAMPLE_ARNS,
    TERRAFORM,
    sample_template_vars,
    terraform_outputs,
)
from tests.terraform.tftemplate import TemplateError, render

# Every character geokv's config quoting must survive.
TRICKY_PASSWORD = "p@ss w\"rd\\x41 #$(not run) 'q'"
CERT = "-----BEGIN CERTIFICATE-----\nMIIBcert\n-----END CERTIFICATE-----"
KEY = "-----BEGIN PRIVATE KEY-----\nMIIBkey\n-----END PRIVATE KEY-----"
CA = "-----BEGIN CERTIFICATE-----\nMIIBca\n-----END CERTIFICATE-----"


class Deployed:
    """The rendered cloud-init's files, written under a test directory."""

    def __init__(self, root: Path) -> None:
        self.etc, self.run, self.data = root / "etc", root / "run", root / "data"
        for directory in (self.etc, self.run, self.data):
            directory.mkdir(mode=0o700)
        self.vars = sample_template_vars(self.etc, self.run, self.data)
        self.rendered = render(CLOUD_INIT.read_text(), self.vars)
        self.doc: dict[str, Any] = yaml.safe_load(self.rendered)
        self.files = {Path(f["path"]).name: f for f in self.doc["write_files"]}
        self.bin = root / "bin"
        self.bin.mkdir()
        for name in ("geokv-secrets", "geokv-bootstrap"):
            self._write(self.bin / name, self.files[name])
        self._write(self.etc / "geokv.conf", self.files["geokv.conf"])

    @staticmethod
    def _write(path: Path, entry: dict[str, Any]) -> None:
        path.write_text(entry["content"])
        path.chmod(int(entry["permissions"], 8))

    def run_secrets(self, secrets: dict[str, str]) -> subprocess.CompletedProcess[str]:
        """geokv-secrets with `aws` replaced by a stub serving `secrets` by ARN."""
        stub = self.bin / "aws"
        stub.write_text(f"#!{sys.executable}\n{_STUB}")
        stub.chmod(0o755)
        table = self.bin / "secrets.json"
        table.write_text(json.dumps(secrets))
        env = {**os.environ, "PATH": f"{self.bin}:{os.environ['PATH']}", "STUB_SECRETS": str(table)}
        return subprocess.run(
            [str(self.bin / "geokv-secrets")], env=env, capture_output=True, text=True, timeout=30
        )


# The stub answers the two calls geokv-secrets makes, and only with the region
# the ARN names (a secret in another region must be read there).
_STUB = """
import json, os, sys
args = sys.argv[1:]
words = [a for a in args if a != "--with-decryption"]
opts = dict(zip(words[::2], words[1::2]))
arn = opts.get("--secret-id") or opts.get("--name")
if words[2:4] == ["secretsmanager", "get-secret-value"]:
    assert opts["--query"] == "SecretString", args
elif words[2:4] == ["ssm", "get-parameter"]:
    assert "--with-decryption" in args and opts["--query"] == "Parameter.Value", args
else:
    sys.exit(f"unexpected aws call {args}")
assert opts["--region"] == arn.split(":")[3], args
assert opts["--output"] == "text", args
print(json.load(open(os.environ["STUB_SECRETS"]))[arn])
"""


@pytest.fixture
def deployed(tmp_path: Path) -> Deployed:
    return Deployed(tmp_path)


def good_secrets(password: str = TRICKY_PASSWORD) -> dict[str, str]:
    return {
        SAMPLE_ARNS["tls_cert_arn"]: CERT,
        SAMPLE_ARNS["tls_key_arn"]: KEY,
        SAMPLE_ARNS["tls_ca_arn"]: CA,
        SAMPLE_ARNS["auth_secret_arn"]: password,
    }


def test_template_variables_are_exactly_what_the_module_passes() -> None:
    compute = hcl2.load((TERRAFORM / "modules" / "region" / "compute.tf").open())
    user_data = next(b["user_data"] for b in compute["locals"] if "user_data" in b)
    # The map's keys: a word after "{" or ", " followed by a single "=".
    passed = set(re.findall(r"[{,]\s*(\w+)\s*=(?!=)", user_data))
    used = set(re.findall(r"(?<!\$)\$\{\s*(\w+)\s*\}", CLOUD_INIT.read_text()))
    assert used == passed
    assert passed == set(sample_template_vars(Path(), Path(), Path()))


def test_rendered_user_data_is_cloud_config(deployed: Deployed) -> None:
    assert deployed.rendered.startswith("#cloud-config\n")
    assert "${" not in deployed.rendered.replace("$${", "")
    assert deployed.doc["runcmd"] == [["/usr/local/sbin/geokv-bootstrap"]]
    assert {"python3.11", "python3.11-pip"} <= set(deployed.doc["packages"])
    assert "geokv" in [u["name"] for u in deployed.doc["users"] if isinstance(u, dict)]


def test_user_data_holds_no_secret_material(deployed: Deployed) -> None:
    for value in good_secrets().values():
        assert value not in deployed.rendered
    assert not re.search(r"^\s*requirepass\b", deployed.files["geokv.conf"]["content"], re.M)


def test_base_config_is_accepted_by_geokv(deployed: Deployed) -> None:
    config = Config()
    config.load_file(deployed.etc / "geokv.conf")
    assert config["cluster-id"] == "geokv-prod"
    assert config["region-id"] == "eu-west-1"
    assert config["bind"] == ("10.20.0.10", "127.0.0.1")
    assert config["port"] == 0  # no plaintext listener
    assert config["tls-port"] == 6379
    assert config["tls-auth-clients"] == "yes"
    assert config["replication-port"] == 7379
    # Mutual TLS between regions and for the admin service, with the region's certificate.
    for kind in ("cert", "key", "ca-cert"):
        assert config[f"replication-tls-{kind}-file"] == config[f"tls-{kind}-file"]
    assert config["peers"] == (
        ("ap-southeast-1", "10.30.0.10:7379"),
        ("us-east-1", "10.10.0.10:7379"),
    )
    assert config["dir"] == str(deployed.data)
    assert config["appendonly"] is True


def test_secrets_script_completes_the_config(deployed: Deployed) -> None:
    done = deployed.run_secrets(good_secrets())
    assert done.returncode == 0, done.stderr
    config = Config()
    config.load_file(deployed.run / "geokv.conf")
    assert config["requirepass"] == TRICKY_PASSWORD
    assert config["region-id"] == "eu-west-1"
    for setting, pem in (("tls-cert-file", CERT), ("tls-key-file", KEY), ("tls-ca-cert-file", CA)):
        path = Path(config[setting])
        assert path.parent == deployed.run
        assert path.read_text() == pem + "\n"
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert stat.S_IMODE((deployed.run / "geokv.conf").stat().st_mode) == 0o600


@pytest.mark.parametrize("password", ["", "two\nlines"])
def test_secrets_script_refuses_a_password_geokv_cannot_read(
    deployed: Deployed, password: str
) -> None:
    done = deployed.run_secrets(good_secrets(password))
    assert done.returncode != 0
    assert "one non-empty line" in done.stderr
    assert not (deployed.run / "geokv.conf").exists()


def test_secrets_script_stops_when_a_secret_cannot_be_read(deployed: Deployed) -> None:
    secrets = good_secrets()
    del secrets[SAMPLE_ARNS["tls_key_arn"]]
    done = deployed.run_secrets(secrets)
    assert done.returncode != 0
    assert not (deployed.run / "geokv.conf").exists()


def test_config_loader_would_refuse_a_broken_render(deployed: Deployed) -> None:
    # The acceptance above means something: the same loader refuses a bad value.
    broken = deployed.etc / "broken.conf"
    broken.write_text(
        deployed.files["geokv.conf"]["content"].replace("region-id eu-west-1", "region-id eu west")
    )
    with pytest.raises(InvalidValue):
        Config().load_file(broken)


def test_scripts_are_valid_bash(deployed: Deployed) -> None:
    for name in ("geokv-secrets", "geokv-bootstrap"):
        done = subprocess.run(
            ["bash", "-n", str(deployed.bin / name)], capture_output=True, text=True
        )
        assert done.returncode == 0, f"{name}: {done.stderr}"
    bootstrap = deployed.files["geokv-bootstrap"]["content"]
    assert "nvme-Amazon_Elastic_Block_Store_vol0123456789abcdef0" in bootstrap
    assert (
        "pip install --quiet --index-url https://pypi.example.internal/simple 'geokv==0.1.0'"
        in bootstrap
    )


def test_systemd_unit_runs_the_completed_config_and_restarts(deployed: Deployed) -> None:
    unit = configparser.ConfigParser(strict=False, interpolation=None)
    unit.optionxform = str  # type: ignore[assignment,method-assign]
    unit.read_string(deployed.files["geokv.service"]["content"])
    service = unit["Service"]
    assert service["ExecStart"] == f"/opt/geokv/bin/geokv server {deployed.run}/geokv.conf"
    assert service["ExecStartPre"] == "/usr/local/sbin/geokv-secrets"
    assert service["Restart"] == "always"
    assert service["User"] == "geokv"
    assert service["RuntimeDirectory"] == "geokv"
    assert unit["Install"]["WantedBy"] == "multi-user.target"


def test_renderer_refuses_what_it_does_not_implement() -> None:
    with pytest.raises(TemplateError):
        render("%{ for p in peers }x%{ endfor }", {})
    with pytest.raises(TemplateError):
        render("${upper(x)}", {"x": "a"})
    with pytest.raises(TemplateError):
        render("${missing}", {})
    assert render("$${a} %%{b} ${x}", {"x": 1}) == "${a} %{b} 1"


def test_renderer_matches_terraform_templatefile(terraform: str, tmp_path: Path) -> None:
    values = sample_template_vars(Path("/etc/geokv"), Path("/run/geokv"), Path("/var/lib/geokv"))
    shutil.copy(CLOUD_INIT, tmp_path / "template.tftpl")
    (tmp_path / "main.tf").write_text(
        'output "rendered" {\n'
        f'  value = templatefile("${{path.module}}/template.tftpl", jsondecode({json.dumps(json.dumps(values))}))\n'
        "}\n"
    )
    outputs = terraform_outputs(terraform, tmp_path)
    assert outputs["rendered"]["value"] == render(CLOUD_INIT.read_text(), values)
