"""node.memory: used_memory follows what the process allocates; the OOM check.

In-process, so small Python objects live in pymalloc's arenas, which mallinfo2
does not see (the server runs with PYTHONMALLOC=malloc so it does): the data
here is made of large values, which always come from malloc.
"""

from __future__ import annotations

import gc
from typing import Any

from node import memory
from node.client import Client
from node.config import Config
from node.core import Node
from node.dispatch import dispatch
from node.effects import MemorySink
from node.reply import Error

MB = 1024 * 1024
OOM = "OOM command not allowed when used memory > 'maxmemory'."


def discard_sink() -> MemorySink:
    """Keeps no records, so freed keys are really freed."""
    return MemorySink(keep=0)


def make_node(maxmemory: str = "0") -> tuple[Node, Client]:
    config = Config()
    config.set_many([("maxmemory", maxmemory)], at_start=True)
    node = Node(config, sink=discard_sink())
    client = Client()
    node.connect(client)
    return node, client


def run(node: Node, client: Client, *argv: bytes) -> Any:
    return dispatch(node, client, list(argv))


def test_used_bytes_counts_allocations_and_their_release() -> None:
    gc.collect()
    before = memory.used_bytes()
    blocks = [bytearray(MB) for _ in range(50)]
    grown = memory.used_bytes()
    del blocks
    gc.collect()
    after = memory.used_bytes()
    assert grown - before >= 50 * MB
    assert grown - after >= 48 * MB


def test_used_memory_grows_with_keys_and_drops_after_flushall() -> None:
    node, client = make_node()
    gc.collect()
    before = memory.used_bytes()
    value = b"v" * 1000
    for i in range(50_000):
        run(node, client, b"SET", b"key:%d" % i, value + b"%d" % i)
    loaded = memory.used_bytes()
    assert loaded - before >= 50_000 * 1000
    assert run(node, client, b"FLUSHALL") == "OK"
    gc.collect()
    assert loaded - memory.used_bytes() >= 0.9 * 50_000 * 1000


def test_over_maxmemory_follows_the_limit() -> None:
    node, _ = make_node()
    assert not memory.over_maxmemory(node)  # 0 means no limit
    node.config.set_many([("maxmemory", "1")])
    assert memory.over_maxmemory(node)
    node.config.set_many([("maxmemory", str(2**62))])
    assert not memory.over_maxmemory(node)


def test_noeviction_refuses_writes_that_grow_but_serves_reads_and_deletes() -> None:
    node, client = make_node()
    assert run(node, client, b"SET", b"k", b"v") == "OK"
    node.config.set_many([("maxmemory", "1")])
    assert run(node, client, b"SET", b"k2", b"v") == Error(OOM)
    assert run(node, client, b"APPEND", b"k", b"more") == Error(OOM)
    assert run(node, client, b"INCR", b"n") == Error(OOM)
    assert run(node, client, b"GET", b"k") == b"v"
    assert run(node, client, b"DEL", b"k") == 1
    assert run(node, client, b"GET", b"k") is None
    node.config.set_many([("maxmemory", "0")])
    assert run(node, client, b"SET", b"k2", b"v") == "OK"
