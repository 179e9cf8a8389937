"""The topology model, its store, and `create --from-terraform` on valid and invalid files."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from topology.cli import main
from topology.model import Cluster, Region, TopologyError, from_terraform
from topology.store import TopologyStore

REGIONS: list[dict[str, object]] = [
    {"id": "eu-west-1", "name": "Ireland", "resp_address": "10.0.1.10:6379",
     "replication_address": "10.0.1.10:7379", "admin_address": "10.0.1.10:7380",
     "tls": {"enabled": True, "ca_secret_arn": "arn:ca"}},
    {"id": "us-east-1", "resp_address": "10.0.2.10:6379", "replication_address": "10.0.2.10:7379"},
]  # fmt: skip


def outputs(value: object) -> str:
    return json.dumps({"geokv_topology": {"sensitive": False, "type": "object", "value": value}})


def test_terraform_output_is_read() -> None:
    cluster = from_terraform(outputs({"cluster_id": "geokv-prod", "regions": REGIONS}))
    assert cluster.cluster_id == "geokv-prod" and cluster.epoch == 1
    assert cluster.name == "geokv-prod"  # the default name
    eu, us = cluster.regions
    assert eu.admin == "10.0.1.10:7380" and eu.tls["enabled"] is True
    assert us.admin == "10.0.2.10:7379"  # defaults to the replication address
    assert us.name == "us-east-1"
    assert Cluster.loads(cluster.dumps()) == cluster


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("{not json", "not JSON"),
        (json.dumps({"other": {"value": {}}}), "no geokv_topology output"),
        (outputs({"regions": REGIONS}), "no cluster_id"),
        (outputs({"cluster_id": "bad id!", "regions": REGIONS}), "cluster_id must be"),
        (outputs({"cluster_id": "c", "regions": []}), "has no regions"),
        (outputs({"cluster_id": "c", "regions": [{"resp_address": "h:1"}]}), "has no id"),
        (outputs({"cluster_id": "c", "regions": [{**REGIONS[1], "resp_address": None}] * 1}),
         "resp_address must be host:port"),
        (outputs({"cluster_id": "c", "regions": [{"id": "x", "resp_address": "h:1"}]}),
         "has no replication_address"),
        (outputs({"cluster_id": "c", "regions": [REGIONS[1], REGIONS[1]]}), "duplicate region id"),
        (outputs({"cluster_id": "c", "regions": [{**REGIONS[1], "replication_address": "h:0"}]}),
         "port in 1..65535"),
        (outputs({"cluster_id": "c", "regions": [{**REGIONS[1], "resp_address": "h:70000"}]}),
         "port in 1..65535"),
    ],
)  # fmt: skip
def test_invalid_terraform_files_exit_2_with_a_message(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], text: str, message: str
) -> None:
    path = tmp_path / "out.json"
    path.write_text(text)
    assert main(["create", "--from-terraform", str(path)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(path) in err


def test_dry_run_validates_and_prints_json(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = tmp_path / "out.json"
    path.write_text(outputs({"cluster_id": "geokv-prod", "name": "prod", "regions": REGIONS}))
    assert main(["create", "--from-terraform", str(path), "--dry-run", "--json"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert [r["id"] for r in printed["regions"]] == ["eu-west-1", "us-east-1"]
    assert printed["epoch"] == 1 and printed["name"] == "prod"


def test_membership_changes_bump_the_epoch_and_ids_are_never_reused() -> None:
    one = Cluster("c", (Region("a", "h:1", "h:2"), Region("b", "h:3", "h:4")))
    two = one.with_region(Region("x", "h:5", "h:6"))
    assert two.epoch == 2 and two.ids() == ["a", "b", "x"]
    with pytest.raises(TopologyError, match="already in cluster"):
        two.with_region(Region("a", "h:7", "h:8"))
    three = two.without_region("x")
    assert three.epoch == 3 and three.removed == ("x",)
    with pytest.raises(TopologyError, match="unknown region 'zz'"):
        three.without_region("zz")
    with pytest.raises(TopologyError, match="cannot be reused"):
        three.with_region(Region("x", "h:5", "h:6"))
    four = three.purged("x")
    assert four.removed == () and four.retired == ("x",) and four.gone() == {"x"}
    with pytest.raises(TopologyError, match="cannot be reused"):
        four.with_region(Region("x", "h:5", "h:6"))


def test_store_keeps_only_newer_epochs_across_restarts(tmp_path: Path) -> None:
    one = Cluster("c", (Region("a", "h:1", "h:2"),))
    two = one.with_region(Region("b", "h:3", "h:4"))
    store = TopologyStore(tmp_path)
    assert store.offer(two) is None
    assert "stale epoch 1" in (store.offer(one) or "")
    assert store.offer(two) is None  # the version held: accepted, unchanged
    changed = Cluster("c", (Region("a", "h:1", "h:9"),), epoch=2)
    assert "stale epoch 2" in (store.offer(changed) or "")
    other = Cluster("other", (Region("a", "h:1", "h:2"),), epoch=9)
    assert "cluster id mismatch" in (store.offer(other) or "")
    assert TopologyStore(tmp_path).current == two
