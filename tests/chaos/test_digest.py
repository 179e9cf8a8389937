"""GEOKV DIGEST, the campaign's convergence check, renders only what reads show: a
region's tombstone collection, which runs at its own moment once its peers caught
up, must not change it (it did for lists: their removed elements were rendered)."""

from __future__ import annotations

from node.client import Client
from node.core import Node
from node.dispatch import dispatch
from node.handlers.geokv import keyspace_digest


def test_collecting_tombstones_leaves_the_digest_alone() -> None:
    node = Node()
    client = Client()
    node.connect(client)
    for argv in (
        [b"LPUSH", b"L", b"a", b"b", b"c"],
        [b"LPOP", b"L"],
        [b"SADD", b"S", b"x", b"y"],
        [b"SREM", b"S", b"y"],
        [b"HSET", b"H", b"f", b"1", b"g", b"2"],
        [b"HDEL", b"H", b"g"],
        [b"SET", b"gone", b"v"],
        [b"DEL", b"gone"],
    ):
        dispatch(node, client, argv)
    before = keyspace_digest(node.keyspace, node.now_ms)
    assert node.collect_garbage() > 0
    assert keyspace_digest(node.keyspace, node.now_ms) == before
    assert dispatch(node, client, [b"LRANGE", b"L", b"0", b"-1"]) == [b"b", b"a"]


def test_the_digest_still_tells_list_contents_and_order_apart() -> None:
    digests = set()
    for elements in ([b"a", b"b"], [b"b", b"a"], [b"a"], [b"ab"]):
        node = Node()
        client = Client()
        node.connect(client)
        dispatch(node, client, [b"RPUSH", b"L", *elements])
        digests.add(keyspace_digest(node.keyspace, node.now_ms))
    assert len(digests) == 4
