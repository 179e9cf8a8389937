"""Mutual TLS between regions: regions with certificates from the cluster's CA
replicate (here with gzip on the links too); a peer without a valid client
certificate is refused during the handshake, before any Hello."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path

import grpc
import pytest

from replicator.proto import replication_pb2 as pb
from replicator.proto import replication_pb2_grpc as pb_grpc
from tests.replicator.cluster import Cluster
from tests.tlscerts import make_certs

REGIONS = ["eu", "us"]


@pytest.fixture(scope="module")
def certs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    return make_certs(tmp_path_factory.mktemp("repl-tls"))


@pytest.fixture
def cluster(tmp_path: Path, certs: dict[str, Path]) -> Iterator[Cluster]:
    flags = (
        "--replication-tls-cert-file", str(certs["cert"]),
        "--replication-tls-key-file", str(certs["key"]),
        "--replication-tls-ca-cert-file", str(certs["ca"]),
        "--replication-compression", "gzip",
    )  # fmt: skip
    c = Cluster(tmp_path, REGIONS, flags=flags)
    try:
        yield c
    finally:
        c.stop()


def _subscribe(port: int, credentials: grpc.ChannelCredentials | None) -> pb.FromPeer:
    """Open a Subscribe stream as region 'intruder' and return the peer's first message."""
    address = f"127.0.0.1:{port}"
    hello = pb.FromSubscriber(hello=pb.Hello(cluster_id="test", region_id="intruder"))
    with (
        grpc.secure_channel(address, credentials)
        if credentials is not None
        else grpc.insecure_channel(address)
    ) as channel:
        stream = pb_grpc.ReplicationStub(channel).Subscribe(iter([hello]), timeout=10)
        first: pb.FromPeer = next(stream)
        stream.cancel()
        return first


def test_regions_with_the_clusters_certificates_replicate(cluster: Cluster) -> None:
    cluster.clients["eu"].set("k", "from-eu")
    cluster.clients["us"].incrby("n", 5)
    cluster.wait_converged()
    assert cluster.clients["us"].get("k") == b"from-eu"
    assert cluster.clients["eu"].get("n") == b"5"


def test_a_peer_without_a_valid_client_certificate_is_refused(
    cluster: Cluster, certs: dict[str, Path]
) -> None:
    port = cluster.repl_ports["eu"]
    ca = certs["ca"].read_bytes()
    valid = grpc.ssl_channel_credentials(ca, certs["key"].read_bytes(), certs["cert"].read_bytes())
    assert _subscribe(port, valid).welcome.region_id == "eu"  # the control: same call works
    refused = {
        "no client certificate": grpc.ssl_channel_credentials(ca),
        "certificate from another CA": grpc.ssl_channel_credentials(
            ca, certs["stranger_key"].read_bytes(), certs["stranger_cert"].read_bytes()
        ),
        "plaintext": None,
    }
    for what, credentials in refused.items():
        with pytest.raises(grpc.RpcError) as caught:
            _subscribe(port, credentials)
        assert caught.value.code() == grpc.StatusCode.UNAVAILABLE, what
    deadline = time.monotonic() + 10
    while int(cluster.crdt("eu")["subscribers"]) != 1:  # only us (the control has gone)
        assert time.monotonic() < deadline, cluster.crdt("eu")
        time.sleep(0.05)
