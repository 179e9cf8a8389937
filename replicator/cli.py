"""`geokv server` with the replicator: the node's server plus region-to-region replication.

Owns the `server` subcommand's entry point (pyproject's geokv.subcommands),
because node must not import the replicator: it builds the server exactly as
node.cli does and adds the replication service when `replication-port` is set.
"""

from __future__ import annotations

from collections.abc import Sequence

from node.cli import server_subcommand as node_server
from node.config import Config
from node.server import Service
from replicator.service import Replicator


def services(config: Config) -> Sequence[Service]:
    if not config["replication-port"]:
        return ()
    return (Replicator(config),)


def server_subcommand(args: list[str]) -> int:
    return node_server(args, services)
