"""Static checks of terraform/: it parses, follows the standard module structure, is documented
and typed, and keeps the secure defaults the issue asks for.

Parses every .tf file with python-hcl2 (Terraform itself is not installed by the
suite); `terraform fmt -check` runs too when a binary is on PATH.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import hcl2
import pytest

from tests.terraform.conftest import TERRAFORM, TERRAFORM_ENV, terraform_outputs

TF_FILES = sorted(TERRAFORM.rglob("*.tf"))
MODULE_DIRS = sorted({p.parent for p in TF_FILES})
REGION = TERRAFORM / "modules" / "region"
# Resources and data sources with no region: IAM is global, policy documents are local.
GLOBAL_TYPES = re.compile(r"^aws_iam_")


def load(path: Path) -> dict[str, Any]:
    with path.open() as f:
        parsed: dict[str, Any] = hcl2.load(f)
    return parsed


def unquote(text: str) -> str:
    """python-hcl2 keeps the quotes of string literals and block labels."""
    return text[1:-1] if len(text) >= 2 and text[0] == text[-1] == '"' else text


def blocks(kind: str, directory: Path | None = None) -> list[tuple[Path, str, dict[str, Any]]]:
    """(file, label, body) of every `kind` block (variable, output, ...) under directory."""
    out = []
    for path in TF_FILES:
        if directory is not None and path.parent != directory:
            continue
        for block in load(path).get(kind, []):
            for label, body in block.items():
                out.append((path, unquote(label), body))
    return out


def labelled(kind: str, directory: Path) -> list[tuple[str, str, dict[str, Any]]]:
    """(type, name, body) of every resource or data block in directory."""
    out = []
    for _, rtype, named in blocks(kind, directory):
        for name, body in named.items():
            out.append((rtype, unquote(name), body))
    return out


def test_there_is_something_to_check() -> None:
    assert len(TF_FILES) >= 20
    assert len(blocks("variable")) >= 30
    assert len(blocks("output")) >= 15


@pytest.mark.parametrize("path", TF_FILES, ids=lambda p: str(p.relative_to(TERRAFORM)))
def test_every_file_parses(path: Path) -> None:
    assert load(path), f"{path} parsed to nothing"


@pytest.mark.parametrize(
    "directory", MODULE_DIRS, ids=lambda p: str(p.relative_to(TERRAFORM.parent))
)
def test_standard_module_structure(directory: Path) -> None:
    for name in ("main.tf", "variables.tf", "outputs.tf", "versions.tf"):
        assert (directory / name).is_file(), f"{directory} has no {name}"


def test_root_has_modules_examples_and_readme() -> None:
    assert {p.name for p in (TERRAFORM / "modules").iterdir()} >= {"region", "peering"}
    assert {p.name for p in (TERRAFORM / "examples").iterdir()} == {
        "three-regions",
        "two-regions-minimal",
    }
    assert (TERRAFORM / "README.md").is_file()


def test_every_variable_has_a_description_and_a_type() -> None:
    for path, name, body in blocks("variable"):
        where = f"{path.relative_to(TERRAFORM)}: variable {name}"
        assert unquote(body.get("description", "")).strip(), f"{where} has no description"
        assert body.get("type"), f"{where} has no type"


def test_every_output_has_a_description() -> None:
    # Terraform's output blocks take no `type` argument (`terraform validate`
    # refuses one): an output's type is that of its value, which comes from
    # typed variables and resource attributes.
    for path, name, body in blocks("output"):
        where = f"{path.relative_to(TERRAFORM)}: output {name}"
        assert unquote(body.get("description", "")).strip(), f"{where} has no description"


def test_aws_provider_is_v6_or_later_everywhere() -> None:
    for directory in MODULE_DIRS:
        (terraform,) = load(directory / "versions.tf")["terraform"]
        providers = terraform.get("required_providers", [{}])[0]
        if "aws" in providers:
            assert unquote(providers["aws"]["version"]) == ">= 6.0", directory


def test_regions_are_chosen_per_resource_not_by_provider_alias() -> None:
    for path in TF_FILES:
        for provider in load(path).get("provider", []):
            for body in provider.values():
                assert "alias" not in body, f"{path}: provider alias"
    for directory in MODULE_DIRS:
        bodies = [b for _, _, b in blocks("module", directory)]
        bodies += [b for kind in ("resource", "data") for _, _, b in labelled(kind, directory)]
        for body in bodies:
            assert "provider" not in body and "providers" not in body, directory
    regional = 0
    for directory in (REGION, TERRAFORM / "modules" / "peering"):
        for kind in ("resource", "data"):
            for rtype, name, body in labelled(kind, directory):
                if GLOBAL_TYPES.match(rtype):
                    assert "region" not in body, f"{rtype}.{name}: IAM is global"
                else:
                    assert "region" in body, f"{rtype}.{name} has no region argument"
                    regional += 1
    assert regional >= 20


def region_resource(rtype: str, name: str) -> dict[str, Any]:
    return next(b for t, n, b in labelled("resource", REGION) if (t, n) == (rtype, name))


def test_instance_defaults_are_secure() -> None:
    node = region_resource("aws_instance", "node")
    (metadata,) = node["metadata_options"]
    assert unquote(metadata["http_tokens"]) == "required"  # IMDSv2 only
    assert metadata["http_put_response_hop_limit"] == 1
    assert node["associate_public_ip_address"] is False
    (root,) = node["root_block_device"]
    assert root["encrypted"] is True
    data = region_resource("aws_ebs_volume", "data")
    assert data["encrypted"] is True
    assert data["kms_key_id"] == "${var.kms_key_arn}"


def test_security_group_opens_only_configured_sources() -> None:
    rules = {
        name: body
        for rtype, name, body in labelled("resource", REGION)
        if rtype.startswith("aws_vpc_security_group_")
    }
    assert set(rules) == {"resp", "replication_peer", "replication_admin", "https"}
    assert rules["resp"]["for_each"] == "${toset(var.client_cidrs)}"
    assert rules["resp"]["from_port"] == rules["resp"]["to_port"] == "${var.resp_port}"
    assert rules["replication_peer"]["for_each"] == "${local.peer_hosts}"
    assert rules["replication_peer"]["cidr_ipv4"] == '"${each.value}/32"'
    assert rules["replication_admin"]["for_each"] == "${toset(var.admin_cidrs)}"
    for name in ("replication_peer", "replication_admin"):
        assert rules[name]["from_port"] == rules[name]["to_port"] == "${var.replication_port}"
    for body in rules.values():
        assert "0.0.0.0/0" not in str(body.get("cidr_ipv4"))


def test_client_cidrs_refuse_the_whole_internet() -> None:
    (client_cidrs,) = [b for _, n, b in blocks("variable", REGION) if n == "client_cidrs"]
    (validation,) = client_cidrs["validation"]
    assert '!= "0.0.0.0/0"' in validation["condition"]
    assert client_cidrs["default"] == []


def test_node_role_reads_exactly_the_configured_secrets() -> None:
    documents = {n: b for t, n, b in labelled("data", REGION) if t == "aws_iam_policy_document"}
    granted = {}
    for dynamic in documents["node_secrets"]["dynamic"]:
        (statement,) = dynamic.values()
        (content,) = statement["content"]
        granted[tuple(unquote(a) for a in content["actions"])] = statement["for_each"]
    assert granted == {
        (
            "secretsmanager:GetSecretValue",
        ): "${length(local.secret_arns) > 0 ? [local.secret_arns] : []}",
        ("ssm:GetParameter",): "${length(local.parameter_arns) > 0 ? [local.parameter_arns] : []}",
        (
            "kms:Decrypt",
        ): "${length(var.secrets_kms_key_arns) > 0 ? [var.secrets_kms_key_arns] : []}",
    }
    (refs,) = [b["secret_refs"] for b in load(REGION / "iam.tf")["locals"] if "secret_refs" in b]
    assert refs == (
        "${distinct([var.auth_secret_arn, var.tls.cert_arn, var.tls.key_arn, var.tls.ca_arn])}"
    )
    assert '"*"' not in (REGION / "iam.tf").read_text()


def test_terraform_fmt_is_clean(terraform: str) -> None:
    done = subprocess.run(
        [terraform, "fmt", "-check", "-recursive", "-no-color", str(TERRAFORM)],
        env=TERRAFORM_ENV,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 0, f"not formatted: {done.stdout}{done.stderr}"


def test_addressing_plan_and_its_cidr_validation(terraform: str, tmp_path: Path) -> None:
    shutil.copytree(TERRAFORM / "modules" / "addressing", tmp_path / "addressing")

    def apply(cidr: str) -> subprocess.CompletedProcess[str] | dict[str, Any]:
        workdir = tmp_path / cidr.replace("/", "_")
        workdir.mkdir()
        (workdir / "main.tf").write_text(
            f'module "a" {{\n  source   = "../addressing"\n  vpc_cidr = "{cidr}"\n}}\n'
            'output "plan" {\n  value = module.a\n}\n'
        )
        try:
            return terraform_outputs(terraform, workdir)
        except AssertionError as exc:
            return subprocess.CompletedProcess([], 1, "", str(exc))

    assert apply("10.20.0.0/16") == {
        "plan": {
            "sensitive": False,
            "type": [
                "object",
                {n: "string" for n in ("node_ip", "node_subnet_cidr", "public_subnet_cidr")},
            ],
            "value": {
                "node_ip": "10.20.0.10",
                "node_subnet_cidr": "10.20.0.0/24",
                "public_subnet_cidr": "10.20.1.0/24",
            },
        }
    }
    for bad in ("10.20.0.0/21", "not-a-cidr"):
        refused = apply(bad)
        assert isinstance(refused, subprocess.CompletedProcess), bad
        message = " ".join(refused.stderr.split())  # Terraform wraps long lines
        assert "vpc_cidr must be an IPv4 CIDR block of size /20 or larger" in message
