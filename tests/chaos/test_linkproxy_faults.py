"""The link proxy's fault knobs the chaos campaign uses: a lossy link delivers every
byte, in order, but a retransmission timeout late; a capped link is never faster
than its bandwidth."""

from __future__ import annotations

import asyncio
import time

from tests.topology.test_linkproxy import _with_proxy
from topology.linkproxy import LinkProxy


def test_loss_delays_chunks_by_the_retransmission_but_loses_no_byte() -> None:
    async def check(
        proxy: LinkProxy, reader: asyncio.StreamReader, w: asyncio.StreamWriter
    ) -> None:
        proxy.set_loss(1.0, retransmit=0.15, direction="forward")
        payload = b"".join(b"%06d" % i for i in range(5_000))
        started = time.monotonic()
        w.write(payload)
        got = await asyncio.wait_for(reader.readexactly(len(payload)), 10)
        assert got == payload
        assert time.monotonic() - started >= 0.15

    asyncio.run(_with_proxy(0.0, check))


def test_a_bandwidth_cap_is_never_exceeded() -> None:
    async def check(
        proxy: LinkProxy, reader: asyncio.StreamReader, w: asyncio.StreamWriter
    ) -> None:
        proxy.set_bandwidth(40_000, direction="backward")
        payload = bytes(range(256)) * 80  # 20 480 bytes: at least half a second
        started = time.monotonic()
        w.write(payload)
        got = await asyncio.wait_for(reader.readexactly(len(payload)), 10)
        assert got == payload
        assert time.monotonic() - started >= len(payload) / 40_000

    asyncio.run(_with_proxy(0.0, check))
