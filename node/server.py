"""The asyncio adapter and the server's lifecycle.

Owns listening sockets (TCP and TLS), moving bytes between transports and
sessions, back-pressure, client output buffer limits, protected mode, the
periodic cron (active expiry, idle timeouts) and orderly shutdown on
SIGTERM/SIGINT/SHUTDOWN. Must not parse or interpret requests: that is the
session's job.
"""

from __future__ import annotations

import asyncio
import contextlib
import ipaddress
import logging
import signal
import ssl
import sys
import time
from collections import deque
from collections.abc import Sequence
from typing import Any, Protocol, cast

from binlog import BinlogError, native
from node.client import Client
from node.core import Node
from node.gcpolicy import GcPolicy
from node.persistence import Persistence
from node.session import Session

log = logging.getLogger("geokv")

# Redis 7.0.15's text, word for word (clients and operators search for it).
_DENIED = (
    b"-DENIED Redis is running in protected mode because protected mode is enabled and no "
    b"password is set for the default user. In this mode connections are only accepted from "
    b"the loopback interface. If you want to connect from external computers to Redis you may "
    b"adopt one of the following solutions: 1) Just disable protected mode sending the command "
    b"'CONFIG SET protected-mode no' from the loopback interface by connecting to Redis from "
    b"the same host the server is running, however MAKE SURE Redis is not publicly accessible "
    b"from internet if you do so. Use CONFIG REWRITE to make this change permanent. 2) "
    b"Alternatively you can just disable the protected mode by editing the Redis configuration "
    b"file, and setting the protected mode option to 'no', and then restarting the server. 3) "
    b"If you started the server manually just for testing, restart it with the "
    b"'--protected-mode no' option. 4) Setup a an authentication password for the default "
    b"user. NOTE: You only need to do one of the above things in order for the server to start "
    b"accepting connections from the outside.\r\n"
)
_SWITCH_INTERVAL = 0.0002
_EXPIRE_BUDGET = 0.025  # share of each cron tick active expiry may use, like Redis's 25%
# A cron turn this late means the loop was held: worth a line in the log.
_STALL_SECONDS = 0.1


def _is_loopback(host: str) -> bool:
    try:
        return ipaddress.ip_address(host.split("%")[0]).is_loopback
    except ValueError:
        return host.startswith("/")  # unix sockets are local


def protected_mode_refuses(node: Node, host: str) -> bool:
    """Redis 7.0: no password for the default user means loopback peers only."""
    return (
        bool(node.config["protected-mode"])
        and node.acl.users["default"].nopass
        and not _is_loopback(host)
    )


def _addr(info: Any) -> str:
    if isinstance(info, tuple) and len(info) >= 2:
        return f"{info[0]}:{info[1]}"
    return str(info or "")


class RespProtocol(asyncio.Protocol):
    def __init__(self, server: Server, tls: bool) -> None:
        self.server = server
        self.tls = tls
        self.transport: asyncio.Transport | None = None
        self.client: Client | None = None
        self.session: Session | None = None
        self._soft_since = 0.0
        # Replies waiting for their records' fsync (appendfsync always), in order:
        # (log position to wait for, 0 for none; bytes; close after sending).
        self._held: deque[tuple[int, bytes, bool]] = deque()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        # uvloop's transports implement asyncio.Transport without subclassing it.
        transport = cast(asyncio.Transport, transport)
        self.transport = transport
        node = self.server.node
        peer = transport.get_extra_info("peername")
        sock = transport.get_extra_info("socket")
        client = Client(
            _addr(peer), _addr(transport.get_extra_info("sockname")), sock.fileno() if sock else -1
        )
        client.tls = self.tls
        if len(node.clients) >= node.config["maxclients"]:
            node.stats.rejected_connections += 1
            transport.write(b"-ERR max number of clients reached\r\n")
            transport.close()
            return
        host = peer[0] if isinstance(peer, tuple) else ""
        if protected_mode_refuses(node, host):
            node.stats.rejected_connections += 1
            transport.write(_DENIED)
            transport.close()
            return
        client.send = self._push
        client.close = transport.close
        client.output_pending = transport.get_write_buffer_size
        node.connect(client)
        self.client = client
        self.session = Session(node, client)
        self.server.protocols.add(self)

    def data_received(self, data: bytes) -> None:
        session, transport, client = self.session, self.transport, self.client
        if session is None or transport is None or client is None:
            return
        client.last_interaction = time.monotonic()
        persistence = self.server.persistence
        before = persistence.position if persistence is not None else 0
        out = session.receive(data)
        wait = 0
        if persistence is not None and persistence.position != before:
            wait = persistence.hold_until()
        if wait or self._held:
            self._hold(wait, out, client.close_after_reply)
            return
        if out:
            transport.write(out)
            self.check_output_limits()
        if client.close_after_reply:
            transport.close()

    def _hold(self, wait: int, out: bytes, close: bool) -> None:
        self._held.append((wait, out, close))
        if wait:
            self.server.await_durable(wait, self)
        else:
            self.release(self.server.acknowledged())

    def release(self, done: int) -> None:
        """Send held replies in order, up to the first that waits beyond `done`."""
        held, transport = self._held, self.transport
        while held and held[0][0] <= done:
            _, out, close = held.popleft()
            if transport is None or transport.is_closing():
                held.clear()
                return
            if out:
                transport.write(out)
                self.check_output_limits()
            if close:
                held.clear()
                transport.close()
                return

    def abandon(self) -> None:
        """Never acknowledge what was not written: drop the held replies and close."""
        if self._held and self.transport is not None and not self.transport.is_closing():
            log.warning("closing client: its writes could not be made durable")
            self.transport.close()
        self._held.clear()

    def _push(self, data: bytes) -> None:
        if self.transport is None or self.transport.is_closing():
            return
        if self._held:
            self._hold(0, data, False)  # keeps its place behind held replies
            return
        self.server.node.stats.net_output_bytes += len(data)
        self.transport.write(data)
        self.check_output_limits()

    def check_output_limits(self) -> None:
        """Disconnect a client whose unread replies pass its class's limits."""
        transport, client = self.transport, self.client
        if transport is None or client is None:
            return
        cls = "pubsub" if client.subscriptions else "normal"
        hard, soft, seconds = self.server.node.config["client-output-buffer-limit"][cls]
        pending = transport.get_write_buffer_size()
        if hard and pending > hard:
            log.warning("closing client %s: output buffer over the hard limit", client.addr)
            transport.abort()
            return
        if soft and pending > soft:
            now = time.monotonic()
            if not self._soft_since:
                self._soft_since = now
            elif now - self._soft_since > seconds:
                log.warning("closing client %s: output buffer over the soft limit", client.addr)
                transport.abort()
        else:
            self._soft_since = 0.0

    def pause_writing(self) -> None:
        # A client that does not read its replies stops being read from.
        if self.transport is not None:
            self.transport.pause_reading()

    def resume_writing(self) -> None:
        if self.transport is not None and not self.transport.is_closing():
            self.transport.resume_reading()

    def connection_lost(self, exc: Exception | None) -> None:
        if self.client is not None:
            self.server.node.disconnect(self.client)
        self.server.protocols.discard(self)


class Service(Protocol):
    """Something that runs next to the server (the replicator): started once the
    server listens, stopped before the binlog closes at shutdown."""

    async def start(self, server: Server) -> None: ...

    async def stop(self) -> None: ...


class Server:
    def __init__(
        self,
        node: Node,
        persistence: Persistence | None = None,
        services: Sequence[Service] = (),
        gc_policy: GcPolicy | None = None,
    ) -> None:
        self.node = node
        self.persistence = persistence
        self.services = list(services)
        # Only a server process owns its collector (tests run servers in theirs).
        self._gc = gc_policy
        self.protocols: set[RespProtocol] = set()
        self.listeners: list[asyncio.AbstractServer] = []
        self._stopping = asyncio.Event()
        self._cron_task: asyncio.Task[None] | None = None
        # Connections holding replies for a write or an fsync, by the position they wait for:
        # positions only grow, so this is in position order.
        self._awaiting: deque[tuple[int, RespProtocol]] = deque()
        if persistence is not None:
            persistence.on_durable(self._durable)
        node.request_shutdown = self.shutdown
        node.config.on_change(self._config_changed)

    def acknowledged(self) -> int:
        return self.persistence.acknowledged if self.persistence is not None else 0

    def await_durable(self, position: int, proto: RespProtocol) -> None:
        self._awaiting.append((position, proto))
        if self.persistence is not None and self.persistence.failed:
            self._durable()

    def _durable(self) -> None:
        """The log's write or fsync moved on (or the disk failed): release what it covers."""
        persistence, awaiting = self.persistence, self._awaiting
        assert persistence is not None
        done = persistence.acknowledged
        while awaiting and awaiting[0][0] <= done:
            awaiting.popleft()[1].release(done)
        if persistence.failed:
            while awaiting:
                awaiting.popleft()[1].abandon()

    def _config_changed(self, name: str, value: object) -> None:
        # CONFIG SET of the request limits applies to connected clients too, as in Redis.
        for proto in self.protocols:
            if proto.session is None:
                continue
            if name == "proto-max-bulk-len":
                proto.session.parser.max_bulk_len = cast(int, value)
            elif name == "client-query-buffer-limit":
                proto.session.parser.max_query_len = cast(int, value)

    async def start(self) -> None:
        loop = asyncio.get_running_loop()
        config = self.node.config
        hosts = list(config["bind"]) or ["127.0.0.1"]
        if config["port"]:
            await self._listen(loop, hosts, config["port"], None)
        if config["tls-port"]:
            await self._listen(loop, hosts, config["tls-port"], self._tls_context())
        if not self.listeners:
            raise OSError("no listening socket: set port or tls-port")
        self._cron_task = loop.create_task(self._cron())
        for service in self.services:
            await service.start(self)

    async def _listen(
        self,
        loop: asyncio.AbstractEventLoop,
        hosts: list[str],
        port: int,
        tls: ssl.SSLContext | None,
    ) -> None:
        for host in hosts:
            optional = host.startswith("-")
            try:
                listener = await loop.create_server(
                    lambda: RespProtocol(self, tls is not None),
                    host.lstrip("-"),
                    port,
                    ssl=tls,
                    reuse_address=True,
                    backlog=511,
                )
            except OSError as exc:
                if optional:
                    continue
                raise OSError(f"could not listen on {host}:{port}: {exc.strerror}") from exc
            self.listeners.append(listener)
            log.info(
                "ready to accept %sconnections on %s:%d",
                "TLS " if tls else "",
                host.lstrip("-"),
                port,
            )

    def _tls_context(self) -> ssl.SSLContext:
        config = self.node.config
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.minimum_version = ssl.TLSVersion.TLSv1_2
        ctx.load_cert_chain(config["tls-cert-file"], config["tls-key-file"])
        if config["tls-ca-cert-file"]:
            ctx.load_verify_locations(config["tls-ca-cert-file"])
        ctx.verify_mode = {
            "yes": ssl.CERT_REQUIRED,
            "optional": ssl.CERT_OPTIONAL,
            "no": ssl.CERT_NONE,
        }[config["tls-auth-clients"]]
        return ctx

    async def _cron(self) -> None:
        node = self.node
        while not self._stopping.is_set():
            period = 1.0 / node.config["hz"]
            slept = time.monotonic()
            await asyncio.sleep(period)
            late = time.monotonic() - slept - period
            if late >= _STALL_SECONDS:
                log.warning(
                    "the event loop did not run for %d ms (a long command or merge, "
                    "or the process stopped or starved of CPU): every client waited",
                    late * 1000,
                )
            node.tick()
            deadline = time.monotonic() + period * _EXPIRE_BUDGET * 10
            while (
                not node.own_records_missing  # (Node._expire)
                and node.keyspace.expire_due(node.now_ms, 200) == 200
                and time.monotonic() < deadline
            ):
                pass
            node.commit()
            if node.blocking:
                node.blocking.expire(node)
            if self.persistence is not None:
                self.persistence.tick()
            node.collect_garbage()
            if self._gc is not None:
                self._gc.tick()
            node.stats.sample(time.monotonic())
            self._close_idle()
            for proto in list(self.protocols):
                proto.check_output_limits()

    def _close_idle(self) -> None:
        timeout = self.node.config["timeout"]
        if not timeout:
            return
        now = time.monotonic()
        for proto in list(self.protocols):
            client = proto.client
            if (
                client is not None
                and not client.subscriptions
                and client.multi is None
                and not self.node.blocking.is_blocked(client)
                and now - client.last_interaction > timeout
            ):
                client.close()

    def shutdown(self) -> None:
        self._stopping.set()

    async def serve(self) -> None:
        """Run until shutdown is requested, then stop in order and return."""
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGTERM, signal.SIGINT):
            loop.add_signal_handler(sig, self.shutdown)
        await self._stopping.wait()
        log.info("shutting down")
        for listener in self.listeners:
            listener.close()
        self.node.commit()
        for service in reversed(self.services):
            await service.stop()
        persistence = self.persistence
        if persistence is not None:
            # Replies held for an fsync go out before their connections close.
            with contextlib.suppress(BinlogError, TimeoutError):
                await asyncio.wait_for(persistence.log.durable(persistence.log.end), 5.0)
        for proto in list(self.protocols):
            if proto.transport is not None:
                proto.transport.close()
        deadline = time.monotonic() + 2.0
        while self.protocols and time.monotonic() < deadline:
            await asyncio.sleep(0.01)
        if self._cron_task is not None:
            self._cron_task.cancel()
        if persistence is not None:
            await persistence.close()
        log.info("bye")


def run(node: Node, services: Sequence[Service] = ()) -> None:
    """Serve `node` (and `services`) on uvloop when it is installed, plain asyncio otherwise."""
    # The binlog thread needs the GIL back after each fsync before the replies it
    # releases can go; with the default 5 ms interval a busy loop keeps it that
    # long. 200 us (about one fast fsync) measured 20-40% more SETs/s under
    # appendfsync always (bench/binlog.py, docs/BENCHMARKS.md).
    sys.setswitchinterval(_SWITCH_INTERVAL)
    for group in native.groups():
        reason = group.from_source_because()
        if reason is not None:
            log.warning("running %s's compiled modules from source (%s)", group.package, reason)
    try:
        import uvloop

        uvloop.install()
    except ImportError:
        pass

    async def main() -> None:
        # Recovery comes before listening: no client sees a half-loaded keyspace.
        persistence = Persistence.open(node) if node.config["appendonly"] else None
        policy = GcPolicy()
        policy.start()
        server = Server(node, persistence, services, policy)
        await server.start()
        await server.serve()

    asyncio.run(main())
