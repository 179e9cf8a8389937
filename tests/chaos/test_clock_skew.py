"""The `clock-skew-ms` fault-injection knob: it shifts a node's wall clock (and so the
stamps and expiry times it writes), at start and at run time."""

from __future__ import annotations

import time

from node.client import Client
from node.clock import SystemClock
from node.config import Config
from node.core import Node
from node.dispatch import dispatch
from node.reply import OK


def test_config_set_skews_the_wall_clock_both_ways() -> None:
    node = Node()
    client = Client()
    node.connect(client)
    assert isinstance(node.clock, SystemClock)
    for skew in (10_000, -10_000):
        reply = dispatch(node, client, [b"CONFIG", b"SET", b"clock-skew-ms", str(skew).encode()])
        assert reply == OK
        before = time.time_ns() // 1_000_000
        shifted = node.clock.wall_ms()
        after = time.time_ns() // 1_000_000
        assert before + skew <= shifted <= after + skew
    got = dispatch(node, client, [b"CONFIG", b"GET", b"clock-skew-ms"])
    assert got == {b"clock-skew-ms": b"-10000"}


def test_a_skew_given_at_start_applies_from_the_first_command() -> None:
    config = Config()
    config.set_many([("clock-skew-ms", "-5000")], at_start=True)
    node = Node(config)
    assert node.clock.wall_ms() <= time.time_ns() // 1_000_000 - 5000
