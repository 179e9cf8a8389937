"""`terraform output -json` of the modules feeds `geokv topology create --from-terraform` as is.

The fixture fixtures/three-regions.json is Terraform's own serialization of the
topology module's output (regenerated and compared when a terraform binary is
present); the CLI must accept it and refuse malformed variants with exit code 2
and a message naming the problem. The README's walkthrough is checked against
the same commands.
"""

from __future__ import annotations

import json
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import hcl2
import pytest

from tests.terraform.conftest import FIXTURES, TERRAFORM, terraform_outputs

SAMPLE = Path(__file__).parent / "sample" / "main.tf"
VALID = FIXTURES / "three-regions.json"
README = TERRAFORM / "README.md"

MALFORMED = {
    "not-json.json": "not JSON (expected `terraform output -json`)",
    "no-topology-output.json": "no geokv_topology output",
    "missing-cluster-id.json": "no cluster_id",
    "invalid-cluster-id.json": "cluster_id must be 1 to 64 letters",
    "no-regions.json": "no regions",
    "region-without-id.json": "region #1 has no id",
    "region-without-resp-address.json": "region 'eu-west-1' has no resp_address",
    "duplicate-region-id.json": "duplicate region id 'ap-southeast-1'",
    "port-out-of-range.json": "replication_address must be host:port with a port in 1..65535",
    "address-without-port.json": "resp_address must be host:port with a port in 1..65535",
}


def geokv(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "node", *args], capture_output=True, text=True, timeout=60
    )


def walkthrough() -> list[list[str]]:
    """The `geokv topology` command lines of the README's walkthrough, in order."""
    section = README.read_text().split("## Walkthrough", 1)[1].split("\n## ", 1)[0]
    return [line.split() for line in section.splitlines() if line.startswith("geokv topology ")]


def test_fixture_is_what_terraform_outputs(terraform: str, tmp_path: Path) -> None:
    shutil.copy(SAMPLE, tmp_path / "main.tf")
    shutil.copytree(TERRAFORM / "modules", tmp_path / "modules")
    assert terraform_outputs(terraform, tmp_path) == json.loads(VALID.read_text())


def test_root_and_examples_export_the_topology_module_value() -> None:
    def output_value(directory: Path) -> str:
        (block,) = [
            b
            for b in hcl2.load((directory / "outputs.tf").open())["output"]
            if '"geokv_topology"' in b
        ]
        value: str = block['"geokv_topology"']["value"]
        return value

    assert output_value(TERRAFORM) == "${module.topology.value}"
    for example in (TERRAFORM / "examples").iterdir():
        assert output_value(example) == "${module.geokv.geokv_topology}", example


def test_cli_accepts_the_terraform_output() -> None:
    done = geokv("topology", "create", "--from-terraform", str(VALID), "--dry-run", "--json")
    assert done.returncode == 0, done.stderr
    topology = json.loads(done.stdout)
    expected = json.loads(VALID.read_text())["geokv_topology"]["value"]
    assert topology["cluster_id"] == expected["cluster_id"] == "geokv-prod"
    assert topology["name"] == "production"
    got = {r["id"]: (r["resp_address"], r["replication_address"]) for r in topology["regions"]}
    assert got == {
        "ap-southeast-1": ("10.30.0.10:6379", "10.30.0.10:7379"),
        "eu-west-1": ("10.20.0.10:6379", "10.20.0.10:7379"),
        "us-east-1": ("10.10.0.10:6379", "10.10.0.10:7379"),
    }


@pytest.mark.parametrize("name", sorted(MALFORMED))
def test_cli_rejects_malformed_output_with_a_clear_message(name: str) -> None:
    path = FIXTURES / name
    done = geokv("topology", "create", "--from-terraform", str(path), "--dry-run")
    assert done.returncode == 2, done.stdout + done.stderr
    assert done.stdout == ""
    assert done.stderr.startswith(f"geokv topology: {path}: ")
    assert MALFORMED[name] in done.stderr


def test_every_malformed_fixture_is_tested() -> None:
    assert {p.name for p in FIXTURES.glob("*.json")} == {VALID.name, *MALFORMED}


def test_readme_walkthrough_is_the_commands_tested() -> None:
    text = README.read_text()
    assert "terraform output -json > geokv-outputs.json" in text
    assert walkthrough() == [
        ["geokv", "topology", "create", "--from-terraform", "geokv-outputs.json", "--dry-run"],
        ["geokv", "topology", "create", "--from-terraform", "geokv-outputs.json"],
        ["geokv", "topology", "status", "--node", "10.10.0.10:7379"],
    ]
    # The --node of `status` is a replication address the outputs give.
    addresses = {
        r["replication_address"]
        for r in json.loads(VALID.read_text())["geokv_topology"]["value"]["regions"]
    }
    assert walkthrough()[2][-1] in addresses


def test_readme_walkthrough_dry_run_accepts_the_saved_outputs(tmp_path: Path) -> None:
    shutil.copy(VALID, tmp_path / "geokv-outputs.json")
    (dry_run,) = [c for c in walkthrough() if "--dry-run" in c]
    done = subprocess.run(
        [sys.executable, "-m", "node", *dry_run[1:]],
        cwd=tmp_path, capture_output=True, text=True, timeout=60,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert re.search(r"^eu-west-1\s+Ireland\s+10\.20\.0\.10:6379", done.stdout, re.M)


def test_readme_walkthrough_status_command_line_is_valid() -> None:
    # Only the command line is checked: --node is pointed at a closed loopback
    # port, so a well-formed command fails to connect (exit 1), a malformed one
    # is a usage error (exit 2).
    (status,) = [c for c in walkthrough() if c[2] == "status"]
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        closed = f"127.0.0.1:{s.getsockname()[1]}"
    done = geokv(*status[1:-1], closed)
    assert done.returncode == 1, done.stderr
    assert "cannot reach the admin service" in done.stderr


def test_readme_tables_list_every_input_and_output() -> None:
    text = README.read_text()
    for directory, heading in (
        (TERRAFORM, "## Root module"),
        (TERRAFORM / "modules" / "region", "## Region module"),
    ):
        section = "".join(part.split("\n## ", 1)[0] for part in text.split(heading)[1:])
        for kind, file in (("variable", "variables.tf"), ("output", "outputs.tf")):
            for block in hcl2.load((directory / file).open())[kind]:
                for label in block:
                    name = label.strip('"')
                    assert f"| `{name}` |" in section, f"{heading}: {kind} {name}"
