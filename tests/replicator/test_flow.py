"""Flow control: the peer streams from its binlog as the subscriber takes messages,
so a subscriber that stops reading holds the sender at about one batch plus the
transport's windows instead of letting it queue the log in memory."""

from __future__ import annotations

import time
from collections.abc import Iterator
from pathlib import Path
from queue import Queue

import grpc
import pytest

from replicator.proto import replication_pb2 as pb
from replicator.proto import replication_pb2_grpc as pb_grpc
from replicator.wire import records
from tests.replicator.cluster import Cluster

RECORDS = 6000
VALUE = b"x" * 8192  # 6000 records of 8 KiB: about 48 MiB of log


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[Cluster]:
    c = Cluster(tmp_path, ["eu", "us"])
    try:
        yield c
    finally:
        c.stop()


def _sent_to(cluster: Cluster, region: str) -> int:
    line = cluster.crdt("eu").get(f"subscriber_{region}")
    return 0 if line is None else int(line["records_sent"])


def test_a_subscriber_that_stops_reading_holds_the_sender_back(cluster: Cluster) -> None:
    eu = cluster.clients["eu"]
    pipe = eu.pipeline(transaction=False)
    for i in range(RECORDS):
        pipe.set(f"big:{i}", VALUE)
    pipe.execute()
    hello = pb.FromSubscriber(hello=pb.Hello(cluster_id="test", region_id="slow"))
    requests: Queue[pb.FromSubscriber | None] = Queue()
    requests.put(hello)
    with grpc.insecure_channel(
        f"127.0.0.1:{cluster.repl_ports['eu']}",
        options=[("grpc.max_receive_message_length", 256 << 20)],
    ) as channel:
        stream = pb_grpc.ReplicationStub(channel).Subscribe(iter(requests.get, None))
        assert next(stream).HasField("welcome")  # then never read again
        time.sleep(3.0)  # room for a sender without flow control to run ahead
        stalled = _sent_to(cluster, "slow")
        assert 0 < stalled < RECORDS // 2, stalled
        # Reading again, the subscriber gets everything: the sender had only paused.
        received = 0
        deadline = time.monotonic() + 60
        while received < RECORDS:
            assert time.monotonic() < deadline, received
            message = next(stream)
            received += sum(1 for _ in records(message.batch.frames))
        assert received == RECORDS
        requests.put(None)
        stream.cancel()
