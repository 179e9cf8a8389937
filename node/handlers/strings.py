"""String and counter commands: GET/SET family, MGET/MSET, APPEND, ranges, INCR family, bits.

Owns their argument parsing and replies. Every change is an effect op:
SetStr (LWW register, with the counter contributions it replaces) or
IncrStr (this region's cumulative counter contribution). Must not know sockets.
"""

from __future__ import annotations

from typing import Any

from node.client import Client
from node.core import Node
from node.effects import SetStr
from node.registry import command
from node.reply import OK


@command("get")
def get(node: Node, client: Client, argv: list[bytes]) -> Any:
    value = node.read_str(argv[1])
    return None if value is None else value.get()


@command("set")
def set_(node: Node, client: Client, argv: list[bytes]) -> Any:
    key = argv[1]
    current = node.lookup(key)
    node.write(SetStr(key, argv[2], observed=() if current is None else current.observed()))
    return OK
