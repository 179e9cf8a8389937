"""Server commands: INFO, CONFIG, DBSIZE, TIME, FLUSHDB/FLUSHALL, SHUTDOWN, SLOWLOG.

Owns their argument parsing and replies; INFO's text comes from node.info,
settings from node.config. COMMAND lives in node.handlers.introspection.
Must not know sockets.
"""

from __future__ import annotations

import time
from typing import Any

from node import info
from node.client import Client
from node.config import BY_NAME, InvalidValue, UnknownSetting
from node.core import Node
from node.errors import SYNTAX
from node.numbers import parse_int
from node.registry import command
from node.reply import NO_REPLY, OK, CommandError, Simple, Verbatim


def help_lines(lines: list[str]) -> list[Simple]:
    return [Simple(line) for line in lines]


@command("info")
def info_(node: Node, client: Client, argv: list[bytes]) -> Any:
    return Verbatim(info.render(node, argv[1:]))


@command("dbsize")
def dbsize(node: Node, client: Client, argv: list[bytes]) -> Any:
    return len(node.keyspace)


@command("time")
def time_(node: Node, client: Client, argv: list[bytes]) -> Any:
    usec = time.time_ns() // 1000
    return [b"%d" % (usec // 1_000_000), b"%d" % (usec % 1_000_000)]


@command("flushall", "flushdb")
def flushall(node: Node, client: Client, argv: list[bytes]) -> Any:
    # ASYNC and SYNC are accepted; a flush is one effect op either way.
    if len(argv) > 2 or (len(argv) == 2 and argv[1].lower() not in (b"sync", b"async")):
        raise CommandError(SYNTAX)
    node.flush()
    return OK


_SHUTDOWN_FLAGS = (b"nosave", b"save", b"now", b"force")


@command("shutdown")
def shutdown(node: Node, client: Client, argv: list[bytes]) -> Any:
    flags = set()
    abort = False
    for raw in argv[1:]:
        option = raw.lower()
        if option == b"abort":
            abort = True
        elif option in _SHUTDOWN_FLAGS:
            flags.add(option)
        else:
            raise CommandError(SYNTAX)
    if (abort and flags) or {b"nosave", b"save"} <= flags:
        raise CommandError(SYNTAX)
    if abort:
        # geokv shuts down at once (the binlog is flushed on the way out): nothing to abort.
        raise CommandError("ERR No shutdown in progress.")
    node.request_shutdown()
    return NO_REPLY


# -- CONFIG ---------------------------------------------------------------------------

_CONFIG_HELP = [
    "CONFIG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET <pattern>",
    "    Return parameters matching the glob-like <pattern> and their values.",
    "SET <directive> <value>",
    "    Set the configuration <directive> to <value>.",
    "RESETSTAT",
    "    Reset statistics reported by the INFO command.",
    "HELP",
    "    Prints this help.",
]


@command("config|get")
def config_get(node: Node, client: Client, argv: list[bytes]) -> Any:
    found = node.config.get_matching(a.decode("utf-8", "replace") for a in argv[2:])
    return {k.encode(): v.encode() for k, v in found.items()}


@command("config|set")
def config_set(node: Node, client: Client, argv: list[bytes]) -> Any:
    if len(argv) % 2:
        raise CommandError(SYNTAX)
    pairs = [
        (argv[i].decode("utf-8", "replace"), argv[i + 1].decode("utf-8", "replace"))
        for i in range(2, len(argv), 2)
    ]
    # Redis names an unknown setting before it validates any value.
    for name, _ in pairs:
        if name.lower() not in BY_NAME:
            raise CommandError(_unknown_setting(name))
    try:
        node.config.set_many(pairs)
    except UnknownSetting as exc:
        raise CommandError(_unknown_setting(exc.name)) from None
    except InvalidValue as exc:
        raise CommandError(
            f"ERR CONFIG SET failed (possibly related to argument '{exc.name}') - {exc.reason}"
        ) from None
    return OK


def _unknown_setting(name: str) -> str:
    return f"ERR Unknown option or number of arguments for CONFIG SET - '{name}'"


@command("config|resetstat")
def config_resetstat(node: Node, client: Client, argv: list[bytes]) -> Any:
    node.stats.reset()
    node.keyspace.expired_keys = 0
    return OK


@command("config|help")
def config_help(node: Node, client: Client, argv: list[bytes]) -> Any:
    return help_lines(_CONFIG_HELP)


# -- SLOWLOG --------------------------------------------------------------------------

_SLOWLOG_HELP = [
    "SLOWLOG <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "GET [<count>]",
    "    Return top <count> entries from the slowlog (default: 10, -1 mean all).",
    "    Entries are made of:",
    "    id, timestamp, time in microseconds, arguments array, client IP and port,",
    "    client name",
    "LEN",
    "    Return the length of the slowlog.",
    "RESET",
    "    Reset the slowlog.",
    "HELP",
    "    Prints this help.",
]


@command("slowlog|get")
def slowlog_get(node: Node, client: Client, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise CommandError(
            "ERR unknown subcommand or wrong number of arguments for '%s'. Try SLOWLOG HELP."
            % argv[1].decode("utf-8", "replace")
        )
    entries = node.slowlog.entries
    count = 10
    if len(argv) == 3:
        parsed = parse_int(argv[2])
        if parsed is None or parsed < -1:
            raise CommandError("ERR count should be greater than or equal to -1")
        count = len(entries) if parsed == -1 else parsed
    return [
        [e.id, e.timestamp, e.usec, list(e.argv), e.addr.encode(), e.name]
        for e in list(entries)[:count]
    ]


@command("slowlog|len")
def slowlog_len(node: Node, client: Client, argv: list[bytes]) -> Any:
    return len(node.slowlog.entries)


@command("slowlog|reset")
def slowlog_reset(node: Node, client: Client, argv: list[bytes]) -> Any:
    node.slowlog.reset()
    return OK


@command("slowlog|help")
def slowlog_help(node: Node, client: Client, argv: list[bytes]) -> Any:
    return help_lines(_SLOWLOG_HELP)
