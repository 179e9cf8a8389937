"""Prometheus metrics of a region, served over HTTP on `metrics-port`.

Owns the metric names and what each reads (docs/operations.md lists them):
commands and their time, clients, memory, the binlog, replication per peer,
tombstones. Values are read at scrape time on the server's event loop (an
asyncio HTTP responder, not prometheus-client's thread), so they are read
between commands like INFO. Must not change anything it reads.
"""

from __future__ import annotations

import asyncio
import contextlib
import time
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.registry import Collector, CollectorRegistry

from node import memory
from node.config import Config
from node.core import Node
from node.server import Server
from replicator.admin import tombstones
from replicator.service import Replicator


class NodeCollector(Collector):
    def __init__(self, node: Node, replicator: Replicator | None) -> None:
        self.node = node
        self.replicator = replicator

    def collect(self) -> Iterator[Metric]:
        yield from self._commands()
        yield from self._server()
        yield from self._binlog()
        if self.replicator is not None:
            yield from self._replication(self.replicator)

    def _commands(self) -> Iterator[Metric]:
        calls = CounterMetricFamily("geokv_commands", "Commands run", labels=["command"])
        seconds = CounterMetricFamily(
            "geokv_command_duration_seconds", "Time spent running commands", labels=["command"]
        )
        failed = CounterMetricFamily(
            "geokv_command_errors", "Commands rejected or failed", labels=["command"]
        )
        for name, stat in sorted(self.node.stats.commands.items()):
            calls.add_metric([name], stat.calls)
            seconds.add_metric([name], stat.usec / 1e6)
            failed.add_metric([name], stat.rejected + stat.failed)
        yield from (calls, seconds, failed)

    def _server(self) -> Iterator[Metric]:
        node = self.node
        yield GaugeMetricFamily("geokv_connected_clients", "Connected clients", len(node.clients))
        yield GaugeMetricFamily("geokv_memory_used_bytes", "used_memory", memory.used_bytes())
        yield GaugeMetricFamily("geokv_memory_rss_bytes", "Resident set size", memory.rss_bytes())
        yield GaugeMetricFamily("geokv_keys", "Visible keys", len(node.keyspace.data))
        yield GaugeMetricFamily(
            "geokv_tombstones", "Deleted values kept until replication no longer needs them",
            tombstones(node),
        )  # fmt: skip

    def _binlog(self) -> Iterator[Metric]:
        status = self.node.sink.status()
        if "binlog_size" not in status:
            return
        yield GaugeMetricFamily(
            "geokv_binlog_size_bytes", "Binlog size", _num(status["binlog_size"])
        )
        yield GaugeMetricFamily(
            "geokv_binlog_unsynced_bytes", "Bytes written but not fsynced",
            _num(status["binlog_unsynced_bytes"]),
        )  # fmt: skip
        last = _num(status["binlog_last_fsync_time"])
        yield GaugeMetricFamily(
            "geokv_binlog_fsync_age_seconds", "Seconds since the last fsync",
            max(0.0, time.time() - last) if last else 0.0,
        )  # fmt: skip

    def _replication(self, replicator: Replicator) -> Iterator[Metric]:
        labels = ["peer"]
        lag_records = GaugeMetricFamily(
            "geokv_replication_lag_records", "Records the peer holds that are not applied here",
            labels=labels,
        )  # fmt: skip
        lag_ms = GaugeMetricFamily(
            "geokv_replication_lag_ms", "Age of the newest record received while lagging",
            labels=labels,
        )  # fmt: skip
        up = GaugeMetricFamily("geokv_replication_peer_up", "Subscription connected", labels=labels)
        syncs = CounterMetricFamily(
            "geokv_replication_syncs", "Syncs with the peer", labels=["peer", "kind"]
        )
        received = CounterMetricFamily(
            "geokv_replication_received_records", "Records received from the peer", labels=labels
        )
        for sub in replicator.subscribers:
            s = sub.stats
            lag_records.add_metric([sub.region], sub.lag_records())
            lag_ms.add_metric([sub.region], sub.lag_ms())
            up.add_metric([sub.region], int(s.state == "connected"))
            syncs.add_metric([sub.region, "partial"], s.partial_syncs)
            syncs.add_metric([sub.region, "full"], s.full_syncs)
            received.add_metric([sub.region], s.received)
        yield from (lag_records, lag_ms, up, syncs, received)
        applier = replicator.applier
        yield GaugeMetricFamily(
            "geokv_replication_buffered_records", "Records waiting for their dependencies",
            applier.buffered,
        )  # fmt: skip
        yield CounterMetricFamily(
            "geokv_replication_applied_records", "Remote records applied", applier.stats.applied
        )
        yield CounterMetricFamily(
            "geokv_replication_syncs_served", "Subscriptions served (partial syncs)",
            replicator.stats.partial_syncs_served,
        )  # fmt: skip


def _num(value: object) -> float:
    return float(value) if isinstance(value, int | float) else 0.0


class Metrics:
    """A `node.server.Service`: GET on any path answers the exposition text."""

    def __init__(self, config: Config, replicator: Replicator | None) -> None:
        self.config = config
        self.replicator = replicator
        self.registry = CollectorRegistry(auto_describe=False)
        self._server: asyncio.AbstractServer | None = None

    async def start(self, server: Server) -> None:
        self.registry.register(NodeCollector(server.node, self.replicator))
        hosts = [h.lstrip("-") for h in self.config["bind"]] or ["127.0.0.1"]
        self._server = await asyncio.start_server(self._serve, hosts, self.config["metrics-port"])

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        with contextlib.suppress(
            OSError, TimeoutError, asyncio.IncompleteReadError, asyncio.LimitOverrunError
        ):
            await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), 10)
            body = generate_latest(self.registry)
            head = (
                f"HTTP/1.1 200 OK\r\nContent-Type: {CONTENT_TYPE_LATEST}\r\n"
                f"Content-Length: {len(body)}\r\nConnection: close\r\n\r\n"
            )
            writer.write(head.encode() + body)
            await writer.drain()
        writer.close()
