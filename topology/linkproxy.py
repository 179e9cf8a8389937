"""A user-space link between two ports: one-way latency, jitter, and cuts at run time.

Owns `LinkProxy`: a pure asyncio TCP proxy that accepts on `listen_port`
and forwards each connection to (`target_host`, `target_port`). Bytes going
either way are delivered `latency` seconds (plus up to `jitter`) after they
arrived, in order, like a long wire. A direction can be cut at run time:
its bytes are held, not delivered, as packets lost to a partition are
retransmitted by TCP until the link heals (then they flow again, in order);
`reset()` aborts every connection, as a peer that saw its link die would.
`set_loss` makes a share of chunks late by a retransmission timeout (a byte
stream cannot drop bytes: TCP resends them, in order); `set_bandwidth` caps a
direction's bytes per second.
Imports nothing of geokv: the demo and the fault-injection suites reuse it.
"""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import Coroutine
from dataclasses import dataclass
from typing import Any, Literal

Direction = Literal["forward", "backward", "both"]
_CHUNK = 1 << 16


@dataclass(slots=True)
class _Way:
    """One direction of the link: its delay and whether it is cut."""

    latency: float = 0.0
    jitter: float = 0.0
    cut: bool = False
    loss: float = 0.0
    retransmit: float = 0.2
    bandwidth: float = 0.0  # bytes per second; 0 is unlimited

    def delay(self) -> float:
        jitter = random.uniform(0.0, self.jitter) if self.jitter else 0.0
        lost = self.retransmit if self.loss and random.random() < self.loss else 0.0
        return self.latency + jitter + lost

    def transmit(self, size: int) -> float:
        """How long `size` bytes occupy the wire."""
        return size / self.bandwidth if self.bandwidth else 0.0


class LinkProxy:
    """`forward` is client -> target, `backward` is target -> client."""

    def __init__(
        self,
        listen_port: int,
        target_port: int,
        *,
        latency: float = 0.0,
        jitter: float = 0.0,
        host: str = "127.0.0.1",
        target_host: str = "127.0.0.1",
    ) -> None:
        self.host = host
        self.listen_port = listen_port
        self.target = (target_host, target_port)
        self.forward = _Way(latency, jitter)
        self.backward = _Way(latency, jitter)
        self._server: asyncio.AbstractServer | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()
        self._healed = asyncio.Event()
        self._healed.set()
        self.connections = 0

    def _ways(self, direction: Direction) -> list[_Way]:
        if direction == "both":
            return [self.forward, self.backward]
        return [self.forward if direction == "forward" else self.backward]

    def set_latency(
        self, latency: float, jitter: float = 0.0, direction: Direction = "both"
    ) -> None:
        for way in self._ways(direction):
            way.latency, way.jitter = latency, jitter

    def set_loss(self, loss: float, retransmit: float = 0.2, direction: Direction = "both") -> None:
        for way in self._ways(direction):
            way.loss, way.retransmit = loss, retransmit

    def set_bandwidth(self, bytes_per_second: float, direction: Direction = "both") -> None:
        for way in self._ways(direction):
            way.bandwidth = bytes_per_second

    def cut(self, direction: Direction = "both") -> None:
        for way in self._ways(direction):
            way.cut = True
        self._healed.clear()

    def heal(self, direction: Direction = "both") -> None:
        for way in self._ways(direction):
            way.cut = False
        if not (self.forward.cut or self.backward.cut):
            self._healed.set()

    def reset(self) -> None:
        """Abort every open connection (new ones are still accepted)."""
        for writer in list(self._writers):
            writer.transport.abort()

    async def start(self) -> None:
        self._server = await asyncio.start_server(self._accept, self.host, self.listen_port)

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
        self.reset()
        for task in list(self._tasks):
            task.cancel()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError, OSError):
                await task
        if self._server is not None:
            await self._server.wait_closed()

    async def __aenter__(self) -> LinkProxy:
        await self.start()
        return self

    async def __aexit__(self, *exc: object) -> None:
        await self.stop()

    async def _accept(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        try:
            up_reader, up_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self.connections += 1
        self._writers.update((writer, up_writer))
        pumps = [
            self._spawn(self._pump(reader, up_writer, self.forward)),
            self._spawn(self._pump(up_reader, writer, self.backward)),
        ]
        try:
            await asyncio.wait(pumps, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in pumps:
                task.cancel()
            for w in (writer, up_writer):
                self._writers.discard(w)
                w.transport.abort()

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _pump(
        self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, way: _Way
    ) -> None:
        """Read as fast as bytes come; deliver each chunk when its delay has passed."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()
        deliver = self._spawn(self._deliver(queue, writer, way))
        loop = asyncio.get_running_loop()
        last_due = 0.0
        try:
            while data := await reader.read(_CHUNK):
                # Never before an earlier chunk: a wire does not reorder.
                last_due = max(last_due, loop.time() + way.delay()) + way.transmit(len(data))
                queue.put_nowait((last_due, data))
            queue.put_nowait((last_due, b""))
            await deliver
        finally:
            deliver.cancel()

    async def _deliver(
        self, queue: asyncio.Queue[tuple[float, bytes]], writer: asyncio.StreamWriter, way: _Way
    ) -> None:
        loop = asyncio.get_running_loop()
        while True:
            due, data = await queue.get()
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            while way.cut:
                await self._healed.wait()
                await asyncio.sleep(0)
            if not data:
                return
            writer.write(data)
            await writer.drain()
