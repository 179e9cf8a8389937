"""The link proxy delays bytes (never delivers early), keeps their order, holds them
while a direction is cut and delivers them once healed, and can reset connections."""

from __future__ import annotations

import asyncio
import time

import pytest

from tests.conftest import free_port
from topology.linkproxy import LinkProxy


async def _echo_server() -> tuple[asyncio.AbstractServer, int]:
    async def echo(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while data := await reader.read(1 << 16):
            writer.write(data)
            await writer.drain()
        writer.close()

    port = free_port()
    return await asyncio.start_server(echo, "127.0.0.1", port), port


async def _with_proxy(latency: float, test: object) -> None:
    server, port = await _echo_server()
    proxy = LinkProxy(free_port(), port, latency=latency)
    try:
        async with proxy:
            reader, writer = await asyncio.open_connection("127.0.0.1", proxy.listen_port)
            try:
                await test(proxy, reader, writer)  # type: ignore[operator]
            finally:
                writer.close()
    finally:
        server.close()
        await server.wait_closed()


def test_bytes_arrive_in_order_and_not_before_the_round_trip_latency() -> None:
    async def check(
        proxy: LinkProxy, reader: asyncio.StreamReader, w: asyncio.StreamWriter
    ) -> None:
        payload = b"".join(b"%06d" % i for i in range(20_000))
        started = time.monotonic()
        w.write(payload)
        got = await asyncio.wait_for(reader.readexactly(len(payload)), 10)
        assert got == payload
        assert time.monotonic() - started >= 2 * 0.05  # one-way latency, both ways

    asyncio.run(_with_proxy(0.05, check))


@pytest.mark.parametrize("direction", ["forward", "backward", "both"])
def test_a_cut_direction_holds_bytes_until_healed(direction: str) -> None:
    async def check(
        proxy: LinkProxy, reader: asyncio.StreamReader, w: asyncio.StreamWriter
    ) -> None:
        w.write(b"before")
        assert await asyncio.wait_for(reader.readexactly(6), 5) == b"before"
        proxy.cut(direction)  # type: ignore[arg-type]
        w.write(b"during")
        pending = asyncio.ensure_future(reader.readexactly(6))
        done, _ = await asyncio.wait([pending], timeout=0.3)
        assert not done  # held while cut
        proxy.heal(direction)  # type: ignore[arg-type]
        assert await asyncio.wait_for(pending, 5) == b"during"

    asyncio.run(_with_proxy(0.0, check))


def test_reset_aborts_open_connections() -> None:
    async def check(
        proxy: LinkProxy, reader: asyncio.StreamReader, w: asyncio.StreamWriter
    ) -> None:
        w.write(b"x")
        assert await asyncio.wait_for(reader.readexactly(1), 5) == b"x"
        proxy.reset()
        with pytest.raises((asyncio.IncompleteReadError, ConnectionError)):
            await asyncio.wait_for(reader.readexactly(1), 5)

    asyncio.run(_with_proxy(0.0, check))
