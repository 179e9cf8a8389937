"""`geokv server` with the replicator: the node's server plus region-to-region replication.

Owns the `server` subcommand's entry point (pyproject's geokv.subcommands),
because node must not import the replicator: it builds the server exactly as
node.cli does and adds the replication service when `replication-port` is set, with the admin
service (topology, status) next to it, and the metrics endpoint on `metrics-port`.
"""

from __future__ import annotations

from collections.abc import Sequence

from node.cli import server_subcommand as node_server
from node.config import Config
from node.server import Service
from replicator.admin import Admin
from replicator.metrics import Metrics
from replicator.service import Replicator


def services(config: Config) -> Sequence[Service]:
    # The admin service steers the replicator (membership), so it starts after it.
    replicator = Replicator(config) if config["replication-port"] else None
    out: list[Service] = [] if replicator is None else [replicator, Admin(config, replicator)]
    if config["metrics-port"]:
        out.append(Metrics(config, replicator))
    return out


def server_subcommand(args: list[str]) -> int:
    return node_server(args, services)
