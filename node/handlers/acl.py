"""ACL commands (ACL SETUSER/GETUSER/DELUSER/LIST/WHOAMI/USERS/CAT/HELP) and AUTH.

Owns the replies of those commands and what deleting a user does to the
clients logged in as it; the user model and rule language live in node.acl,
their description in node.acl_describe. Must not know sockets (clients are
closed through their callbacks).

ACL HELP lists only the subcommands geokv serves (Redis 7.0 also lists
DRYRUN, GENPASS, LOAD, LOG and SAVE).
"""

from __future__ import annotations

from typing import Any

from node.acl import CATEGORIES, SPECS, RuleError, category_of, has_spaces
from node.acl_describe import describe_channels, describe_commands, describe_keys, describe_user
from node.client import Client
from node.core import Node
from node.errors import SYNTAX, WRONGPASS, subcommand_syntax
from node.registry import command
from node.reply import OK, CommandError, OrderedSet, Simple

_AUTH_WITHOUT_PASSWORD = (
    "ERR AUTH <password> called without any password configured for the default user. "
    "Are you sure your configuration is correct?"
)

_HELP = (
    "ACL <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "CAT [<category>]",
    "    List all commands that belong to <category>, or all command categories",
    "    when no category is specified.",
    "DELUSER <username> [<username> ...]",
    "    Delete a list of users.",
    "GETUSER <username>",
    "    Get the user's details.",
    "LIST",
    "    Show users details in config file format.",
    "SETUSER <username> <attribute> [<attribute> ...]",
    "    Create or modify a user with the specified attributes.",
    "USERS",
    "    List all the registered usernames.",
    "WHOAMI",
    "    Return the current connection username.",
    "HELP",
    "    Prints this help.",
)


def _name(raw: bytes) -> str:
    # surrogateescape keeps any byte string a distinct, reversible user name.
    return raw.decode("utf-8", "surrogateescape")


def _bytes(text: str) -> bytes:
    return text.encode("utf-8", "surrogateescape")


@command("auth")
def auth(node: Node, client: Client, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise CommandError(SYNTAX)
    if len(argv) == 2:
        if node.acl.users["default"].nopass:
            raise CommandError(_AUTH_WITHOUT_PASSWORD)
        username, password = "default", argv[1]
    else:
        username, password = _name(argv[1]), argv[2]
    if not node.authenticate(client, username, password):
        raise CommandError(WRONGPASS)
    return OK


@command("acl|setuser")
def acl_setuser(node: Node, client: Client, argv: list[bytes]) -> Any:
    if has_spaces(argv[2]):
        raise CommandError("ERR Usernames can't contain spaces or null characters")
    try:
        node.acl.setuser(_name(argv[2]), argv[3:])
    except RuleError as exc:
        raise CommandError(str(exc)) from None
    return OK


@command("acl|getuser")
def acl_getuser(node: Node, client: Client, argv: list[bytes]) -> Any:
    user = node.acl.users.get(_name(argv[2]))
    if user is None:
        return None
    return {
        b"flags": OrderedSet(_bytes(f) for f in user.flags()),
        b"passwords": [p.encode() for p in user.passwords],
        b"commands": _bytes(describe_commands(user)),
        b"keys": _bytes(describe_keys(user)),
        b"channels": _bytes(describe_channels(user)),
        b"selectors": [],
    }


@command("acl|deluser")
def acl_deluser(node: Node, client: Client, argv: list[bytes]) -> Any:
    names = [_name(raw) for raw in argv[2:]]
    if "default" in names:
        raise CommandError("ERR The 'default' user cannot be removed")
    deleted = 0
    for name in names:
        if node.acl.users.pop(name, None) is not None:
            deleted += 1
            _log_out(node, client, name)
    return deleted


def _log_out(node: Node, current: Client, name: str) -> None:
    """Redis disconnects the clients of a deleted user (the caller after its reply)."""
    for other in list(node.clients.values()):
        if other.user != name:
            continue
        other.user = "default"
        other.authenticated = False
        if other is current:
            other.close_after_reply = True
        else:
            other.close()


@command("acl|list")
def acl_list(node: Node, client: Client, argv: list[bytes]) -> Any:
    return [
        _bytes(f"user {name} {describe_user(node.acl.users[name])}") for name in _sorted_names(node)
    ]


@command("acl|users")
def acl_users(node: Node, client: Client, argv: list[bytes]) -> Any:
    return [_bytes(name) for name in _sorted_names(node)]


def _sorted_names(node: Node) -> list[str]:
    # Redis keeps users in a radix tree: byte order.
    return sorted(node.acl.users, key=_bytes)


@command("acl|whoami")
def acl_whoami(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _bytes(client.user)


@command("acl|cat")
def acl_cat(node: Node, client: Client, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise CommandError(subcommand_syntax(argv[1], "acl"))
    if len(argv) == 2:
        return [c.encode() for c in CATEGORIES]
    category = category_of(argv[2].decode("utf-8", "replace"))
    if category is None:
        raise CommandError("ERR Unknown category '%s'" % argv[2].decode("utf-8", "replace")[:128])
    return [s.name.encode() for s in SPECS if category in s.acl_categories]


@command("acl|help")
def acl_help(node: Node, client: Client, argv: list[bytes]) -> Any:
    return [Simple(line) for line in _HELP]
