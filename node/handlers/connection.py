"""Connection commands: PING, ECHO, HELLO, SELECT, QUIT, RESET.

Owns per-connection replies and state resets; CLIENT lives in
node.handlers.client_cmd. Must not know sockets.
"""

from __future__ import annotations

from typing import Any

from node.client import Client
from node.core import Node
from node.errors import DB_RANGE, NOT_INTEGER, WRONGPASS, wrong_arity
from node.numbers import parse_int
from node.registry import command
from node.reply import OK, CommandError, Simple
from node.version import REDIS_VERSION


@command("ping")
def ping(node: Node, client: Client, argv: list[bytes]) -> Any:
    if len(argv) > 2:
        raise CommandError(wrong_arity("ping"))
    if client.in_pubsub_context:
        return [b"pong", argv[1] if len(argv) == 2 else b""]
    return argv[1] if len(argv) == 2 else Simple("PONG")


@command("echo")
def echo(node: Node, client: Client, argv: list[bytes]) -> Any:
    return argv[1]


@command("select")
def select(node: Node, client: Client, argv: list[bytes]) -> Any:
    # geokv has one database (like Redis Enterprise Active-Active): only 0 exists.
    index = parse_int(argv[1])
    if index is None:
        raise CommandError(NOT_INTEGER)
    # Redis reads the index as a C int.
    if not -(2**31) <= index < 2**31:
        raise CommandError(
            "ERR value is out of range, value must between -2147483648 and 2147483647"
        )
    if index != 0:
        raise CommandError(DB_RANGE)
    return OK


@command("reset")
def reset(node: Node, client: Client, argv: list[bytes]) -> Any:
    """Back to a fresh connection's state (Redis's clearClientConnectionState)."""
    client.set_protocol(2)
    client.user = "default"
    client.authenticated = not node.acl.needs_auth()
    client.multi = None
    client.multi_error = False
    node.unwatch(client)
    node.pubsub.drop(client)
    client.name = b""
    return Simple("RESET")


@command("quit")
def quit_(node: Node, client: Client, argv: list[bytes]) -> Any:
    client.close_after_reply = True
    return OK


_NOAUTH_HELLO = (
    "NOAUTH HELLO must be called with the client already authenticated, otherwise the "
    "HELLO <proto> AUTH <user> <pass> option can be used to authenticate the client and "
    "select the RESP protocol version at the same time"
)


@command("hello")
def hello(node: Node, client: Client, argv: list[bytes]) -> Any:
    version = client.resp
    if len(argv) >= 2:
        parsed = parse_int(argv[1])
        if parsed is None:
            raise CommandError("ERR Protocol version is not an integer or out of range")
        if parsed < 2 or parsed > 3:
            raise CommandError("NOPROTO unsupported protocol version")
        version = parsed
    credentials: tuple[str, bytes] | None = None
    name: bytes | None = None
    i = 2
    while i < len(argv):
        option = argv[i].lower()
        if option == b"auth" and i + 2 < len(argv):
            credentials = (argv[i + 1].decode("utf-8", "replace"), argv[i + 2])
            i += 3
        elif option == b"setname" and i + 1 < len(argv):
            name = argv[i + 1]
            i += 2
        else:
            raise CommandError(
                "ERR Syntax error in HELLO option '%s'" % argv[i].decode("utf-8", "replace")
            )
    if credentials is not None and not node.authenticate(client, *credentials):
        raise CommandError(WRONGPASS)
    if not client.authenticated:
        raise CommandError(_NOAUTH_HELLO)
    # Like Redis, the name is checked only once the client is authenticated.
    if name is not None:
        check_client_name(name)
        client.name = name
    client.set_protocol(version)
    return {
        b"server": b"redis",
        b"version": REDIS_VERSION.encode(),
        b"proto": version,
        b"id": client.id,
        b"mode": b"standalone",
        b"role": b"master",
        b"modules": [],
    }


def check_client_name(name: bytes) -> None:
    if any(c < 33 or c > 126 for c in name):
        raise CommandError(
            "ERR Client names cannot contain spaces, newlines or special characters."
        )
