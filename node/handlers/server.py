"""Server commands: INFO, CONFIG, DBSIZE, TIME, FLUSHDB/FLUSHALL, SHUTDOWN, SLOWLOG, COMMAND.

Owns their replies; COMMAND is served from the command table. Must not know sockets.
"""

from __future__ import annotations

from typing import Any

from node.client import Client
from node.core import Node
from node.effects import Flush
from node.registry import command
from node.reply import OK


@command("flushall", "flushdb")
def flushall(node: Node, client: Client, argv: list[bytes]) -> Any:
    node.write(Flush(node.observed_vv()))
    return OK
