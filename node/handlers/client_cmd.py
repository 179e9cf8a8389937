"""CLIENT and its subcommands: ID, SETNAME, GETNAME, SETINFO, INFO, LIST, KILL, HELP.

Owns the CLIENT LIST line format (Redis 7.2's fields, lib-name and lib-ver
included), client-type filters and killing connections. Must not know
sockets: another client is closed through its `close` callback.
"""

from __future__ import annotations

import time
from collections.abc import Iterable
from typing import Any

from node.client import Client
from node.core import Node
from node.errors import NO_SUCH_CLIENT, SYNTAX
from node.handlers.connection import check_client_name
from node.handlers.server import help_lines
from node.numbers import parse_int
from node.registry import command
from node.reply import OK, CommandError, Verbatim

_CLIENT_TYPES = ("normal", "slave", "replica", "pubsub", "master")

_HELP = [
    "CLIENT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GETNAME",
    "    Return the name of the current connection.",
    "ID",
    "    Return the ID of the current connection.",
    "INFO",
    "    Return information about the current client connection.",
    "KILL <ip:port>",
    "    Kill connection made from <ip:port>.",
    "KILL <option> <value> [<option> <value> [...]]",
    "    Kill connections. Options are:",
    "    * ADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made from the specified address",
    "    * LADDR (<ip:port>|<unixsocket>:0)",
    "      Kill connections made to specified local address",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Kill connections by type.",
    "    * USER <username>",
    "      Kill connections authenticated by <username>.",
    "    * SKIPME (YES|NO)",
    "      Skip killing current connection (default: yes).",
    "LIST [options ...]",
    "    Return information about client connections. Options:",
    "    * TYPE (NORMAL|MASTER|REPLICA|PUBSUB)",
    "      Return clients of specified type.",
    "SETNAME <name>",
    "    Assign the name <name> to the current connection.",
    "SETINFO <option> <value>",
    "    Set client meta attr. Options are:",
    "    * LIB-NAME: the client lib name.",
    "    * LIB-VER: the client lib version.",
    "HELP",
    "    Prints this help.",
]


def client_type(client: Client) -> str:
    """Redis's getClientType: geokv has no replica or master connections."""
    return "pubsub" if client.subscriptions else "normal"


def describe(client: Client) -> str:
    """One CLIENT LIST line (without its newline)."""
    now = time.monotonic()
    queued = client.multi
    multi_mem = sum(len(a) for _, argv in queued for a in argv) if queued is not None else 0
    qbuf = client.query_pending()
    omem = client.output_pending()
    fields = (
        ("id", client.id),
        ("addr", client.addr),
        ("laddr", client.laddr),
        ("fd", client.fd),
        ("name", client.name.decode("utf-8", "replace")),
        ("age", int(now - client.created)),
        ("idle", int(now - client.last_interaction)),
        ("flags", client.flags()),
        ("db", client.db),
        ("sub", len(client.channels)),
        ("psub", len(client.patterns)),
        ("ssub", 0),
        ("multi", -1 if queued is None else len(queued)),
        ("qbuf", qbuf),
        ("qbuf-free", 0),
        ("argv-mem", 0),
        ("multi-mem", multi_mem),
        ("rbs", 0),
        ("rbp", 0),
        ("obl", 0),
        ("oll", 0),
        ("omem", omem),
        ("tot-mem", qbuf + omem + multi_mem),
        ("events", "rw" if omem else "r"),
        ("cmd", client.last_command.decode("utf-8", "replace")),
        ("user", client.user),
        ("redir", -1),
        ("resp", client.resp),
        ("lib-name", client.lib_name.decode("utf-8", "replace")),
        ("lib-ver", client.lib_ver.decode("utf-8", "replace")),
    )
    return " ".join(f"{k}={v}" for k, v in fields)


def _listing(clients: Iterable[Client]) -> Verbatim:
    return Verbatim("".join(describe(c) + "\n" for c in clients).encode())


@command("client|id")
def client_id(node: Node, client: Client, argv: list[bytes]) -> Any:
    return client.id


@command("client|setname")
def client_setname(node: Node, client: Client, argv: list[bytes]) -> Any:
    check_client_name(argv[2])
    client.name = argv[2]
    return OK


@command("client|getname")
def client_getname(node: Node, client: Client, argv: list[bytes]) -> Any:
    return client.name or None


@command("client|setinfo")
def client_setinfo(node: Node, client: Client, argv: list[bytes]) -> Any:
    attr, value = argv[2], argv[3]
    option = attr.lower()
    if option not in (b"lib-name", b"lib-ver"):
        raise CommandError("ERR Unrecognized option '%s'" % attr.decode("utf-8", "replace"))
    if any(c < 33 or c > 126 for c in value):
        raise CommandError(
            "ERR %s cannot contain spaces, newlines or special characters."
            % attr.decode("utf-8", "replace")
        )
    if option == b"lib-name":
        client.lib_name = value
    else:
        client.lib_ver = value
    return OK


@command("client|info")
def client_info(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _listing([client])


def _type_filter(raw: bytes) -> str:
    name = raw.decode("utf-8", "replace").lower()
    if name not in _CLIENT_TYPES:
        raise CommandError("ERR Unknown client type '%s'" % raw.decode("utf-8", "replace"))
    return "replica" if name == "slave" else name


@command("client|list")
def client_list(node: Node, client: Client, argv: list[bytes]) -> Any:
    clients = list(node.clients.values())
    if len(argv) == 2:
        return _listing(clients)
    option = argv[2].lower()
    if option == b"type" and len(argv) == 4:
        wanted = _type_filter(argv[3])
        return _listing(c for c in clients if client_type(c) == wanted)
    if option == b"id" and len(argv) > 3:
        ids: list[int] = []
        for raw in argv[3:]:
            parsed = parse_int(raw)
            if parsed is None:
                raise CommandError("ERR Invalid client ID")
            ids.append(parsed)
        return _listing(node.clients[i] for i in dict.fromkeys(ids) if i in node.clients)
    raise CommandError(SYNTAX)


class _KillFilter:
    """CLIENT KILL's filters; the old form is ADDR alone, with SKIPME no."""

    def __init__(self) -> None:
        self.addr: str | None = None
        self.laddr: str | None = None
        self.type: str | None = None
        self.id = 0
        self.user: str | None = None
        self.skipme = True

    def matches(self, candidate: Client, me: Client) -> bool:
        return not (
            (self.addr is not None and candidate.addr != self.addr)
            or (self.laddr is not None and candidate.laddr != self.laddr)
            or (self.type is not None and client_type(candidate) != self.type)
            or (self.id and candidate.id != self.id)
            or (self.user is not None and candidate.user != self.user)
            or (self.skipme and candidate is me)
        )


def _parse_kill(node: Node, args: list[bytes]) -> _KillFilter:
    found = _KillFilter()
    if len(args) == 1:
        found.addr = args[0].decode("utf-8", "replace")
        found.skipme = False
        return found
    for i in range(0, len(args), 2):
        option = args[i].lower()
        if i + 1 >= len(args):
            raise CommandError(SYNTAX)
        value = args[i + 1]
        text = value.decode("utf-8", "replace")
        if option == b"id":
            parsed = parse_int(value)
            if parsed is None or parsed < 1:
                raise CommandError("ERR client-id should be greater than 0")
            found.id = parsed
        elif option == b"type":
            found.type = _type_filter(value)
        elif option == b"addr":
            found.addr = text
        elif option == b"laddr":
            found.laddr = text
        elif option == b"user":
            if text not in node.acl.users:
                raise CommandError("ERR No such user '%s'" % text)
            found.user = text
        elif option == b"skipme" and value.lower() in (b"yes", b"no"):
            found.skipme = value.lower() == b"yes"
        else:
            raise CommandError(SYNTAX)
    return found


@command("client|kill")
def client_kill(node: Node, client: Client, argv: list[bytes]) -> Any:
    old_form = len(argv) == 3
    wanted = _parse_kill(node, argv[2:])
    killed = 0
    for candidate in list(node.clients.values()):
        if not wanted.matches(candidate, client):
            continue
        killed += 1
        if candidate is client:
            # Our own connection closes once this reply is written.
            client.close_after_reply = True
        else:
            node.disconnect(candidate)
            candidate.close()
    if not old_form:
        return killed
    if not killed:
        raise CommandError(NO_SUCH_CLIENT)
    return OK


@command("client|help")
def client_help(node: Node, client: Client, argv: list[bytes]) -> Any:
    return help_lines(_HELP)
