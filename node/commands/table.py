"""The declarative command table: every command the node serves, in one place.

Owns each command's name, arity, flags, legacy key positions (first, last,
step), group and ACL categories, the same facts Redis keeps in
src/commands/*.json (the values follow Redis 7.0, the protocol reference).
The dispatcher checks arity and flags from here once; COMMAND serves it;
ACL categories come from here. Handlers live elsewhere, one module per type.
Must not know handlers, clients or the keyspace.
"""

from __future__ import annotations

import json
from functools import cache
from pathlib import Path
from typing import Any

from node.commands import hashes, lists, sets, zsets
from node.commands.spec import C, CommandSpec

CORE: tuple[CommandSpec, ...] = (
    C("ping", -1, "fast", (0, 0, 0), "connection", "fast connection"),
    C("echo", 2, "fast loading stale", (0, 0, 0), "connection", "fast connection"),
    C(
        "hello",
        -1,
        "allow_busy fast loading no_auth noscript stale",
        (0, 0, 0),
        "connection",
        "fast connection",
    ),
    C(
        "auth",
        -2,
        "allow_busy fast loading no_auth noscript stale",
        (0, 0, 0),
        "connection",
        "fast connection",
    ),
    C("select", 2, "fast loading stale", (0, 0, 0), "connection", "fast connection"),
    C(
        "quit",
        -1,
        "allow_busy fast loading no_auth noscript stale",
        (0, 0, 0),
        "connection",
        "fast connection",
    ),
    C(
        "reset",
        1,
        "allow_busy fast loading no_auth noscript stale",
        (0, 0, 0),
        "connection",
        "fast connection",
    ),
    C(
        "client",
        -2,
        "",
        (0, 0, 0),
        "connection",
        "slow",
        subs=(
            C(
                "client|setname",
                3,
                "loading noscript stale",
                (0, 0, 0),
                "connection",
                "slow connection",
            ),
            C("client|id", 2, "loading noscript stale", (0, 0, 0), "connection", "slow connection"),
            C("client|help", 2, "loading stale", (0, 0, 0), "connection", "slow connection"),
            C(
                "client|info",
                2,
                "loading noscript stale",
                (0, 0, 0),
                "connection",
                "slow connection",
            ),
            C(
                "client|list",
                -2,
                "admin loading noscript stale",
                (0, 0, 0),
                "connection",
                "admin slow dangerous connection",
            ),
            C(
                "client|getname",
                2,
                "loading noscript stale",
                (0, 0, 0),
                "connection",
                "slow connection",
            ),
            C(
                "client|kill",
                -3,
                "admin loading noscript stale",
                (0, 0, 0),
                "connection",
                "admin slow dangerous connection",
            ),
            # Redis 7.2's: redis-py 5+ sends it on connect.
            C(
                "client|setinfo",
                4,
                "loading noscript stale",
                (0, 0, 0),
                "connection",
                "slow connection",
            ),
        ),
    ),
    C("info", -1, "loading stale", (0, 0, 0), "server", "slow dangerous"),
    # Refused unless enable-debug-command allows it; geokv's only subcommand is BINLOG-FAULT.
    C("debug", -2, "admin noscript loading stale", (0, 0, 0), "server", "admin slow dangerous"),
    # geokv's own: GEOKV DIGEST tells whether regions converged (no Redis counterpart).
    C(
        "geokv",
        -2,
        "",
        (0, 0, 0),
        "server",
        "slow",
        subs=(C("geokv|digest", 2, "readonly loading stale", (0, 0, 0), "server", "read slow"),),
    ),
    C(
        "config",
        -2,
        "",
        (0, 0, 0),
        "server",
        "slow",
        subs=(
            C(
                "config|get",
                -3,
                "admin loading noscript stale",
                (0, 0, 0),
                "server",
                "admin slow dangerous",
            ),
            C("config|help", 2, "loading stale", (0, 0, 0), "server", "slow"),
            C(
                "config|resetstat",
                2,
                "admin loading noscript stale",
                (0, 0, 0),
                "server",
                "admin slow dangerous",
            ),
            C(
                "config|set",
                -4,
                "admin loading noscript stale",
                (0, 0, 0),
                "server",
                "admin slow dangerous",
            ),
        ),
    ),
    C("dbsize", 1, "fast readonly", (0, 0, 0), "server", "keyspace read fast"),
    C("time", 1, "fast loading stale", (0, 0, 0), "server", "fast"),
    C("flushdb", -1, "write", (0, 0, 0), "server", "keyspace write slow dangerous"),
    C("flushall", -1, "write", (0, 0, 0), "server", "keyspace write slow dangerous"),
    C(
        "shutdown",
        -1,
        "admin allow_busy loading no_multi noscript stale",
        (0, 0, 0),
        "server",
        "admin slow dangerous",
    ),
    C(
        "slowlog",
        -2,
        "",
        (0, 0, 0),
        "server",
        "slow",
        subs=(
            C(
                "slowlog|get",
                -2,
                "admin loading stale",
                (0, 0, 0),
                "server",
                "admin slow dangerous",
            ),
            C("slowlog|len", 2, "admin loading stale", (0, 0, 0), "server", "admin slow dangerous"),
            C("slowlog|help", 2, "loading stale", (0, 0, 0), "server", "slow"),
            C(
                "slowlog|reset",
                2,
                "admin loading stale",
                (0, 0, 0),
                "server",
                "admin slow dangerous",
            ),
        ),
    ),
    C(
        "multi",
        1,
        "allow_busy fast loading noscript stale",
        (0, 0, 0),
        "transactions",
        "fast transaction",
    ),
    C(
        "exec",
        1,
        "loading noscript skip_slowlog stale",
        (0, 0, 0),
        "transactions",
        "slow transaction",
    ),
    C(
        "discard",
        1,
        "allow_busy fast loading noscript stale",
        (0, 0, 0),
        "transactions",
        "fast transaction",
    ),
    C(
        "watch",
        -2,
        "allow_busy fast loading noscript stale",
        (1, -1, 1),
        "transactions",
        "fast transaction",
    ),
    C(
        "unwatch",
        1,
        "allow_busy fast loading noscript stale",
        (0, 0, 0),
        "transactions",
        "fast transaction",
    ),
    C(
        "command",
        -1,
        "loading stale",
        (0, 0, 0),
        "server",
        "slow connection",
        subs=(
            C("command|info", -2, "loading stale", (0, 0, 0), "server", "slow connection"),
            C("command|list", -2, "loading stale", (0, 0, 0), "server", "slow connection"),
            C("command|docs", -2, "loading stale", (0, 0, 0), "server", "slow connection"),
            C("command|getkeys", -4, "loading stale", (0, 0, 0), "server", "slow connection"),
            C("command|count", 2, "loading stale", (0, 0, 0), "server", "slow connection"),
            C("command|help", 2, "loading stale", (0, 0, 0), "server", "slow connection"),
        ),
    ),
    C(
        "acl",
        -2,
        "",
        (0, 0, 0),
        "server",
        "slow",
        subs=(
            C(
                "acl|getuser",
                3,
                "admin loading noscript stale",
                (0, 0, 0),
                "server",
                "admin slow dangerous",
            ),
            C("acl|cat", -2, "loading noscript stale", (0, 0, 0), "server", "slow"),
            C("acl|help", 2, "loading stale", (0, 0, 0), "server", "slow"),
            C("acl|whoami", 2, "loading noscript stale", (0, 0, 0), "server", "slow"),
            C(
                "acl|list",
                2,
                "admin loading noscript stale",
                (0, 0, 0),
                "server",
                "admin slow dangerous",
            ),
            C(
                "acl|setuser",
                -3,
                "admin loading noscript stale",
                (0, 0, 0),
                "server",
                "admin slow dangerous",
            ),
            C(
                "acl|deluser",
                -3,
                "admin loading noscript stale",
                (0, 0, 0),
                "server",
                "admin slow dangerous",
            ),
            C(
                "acl|users",
                2,
                "admin loading noscript stale",
                (0, 0, 0),
                "server",
                "admin slow dangerous",
            ),
        ),
    ),
    C("del", -2, "write", (1, -1, 1), "generic", "keyspace write slow"),
    C("unlink", -2, "fast write", (1, -1, 1), "generic", "keyspace write fast"),
    C("exists", -2, "fast readonly", (1, -1, 1), "generic", "keyspace read fast"),
    C("type", 2, "fast readonly", (1, 1, 1), "generic", "keyspace read fast"),
    C("keys", 2, "readonly", (0, 0, 0), "generic", "keyspace read slow dangerous"),
    C("scan", -2, "readonly", (0, 0, 0), "generic", "keyspace read slow"),
    C("randomkey", 1, "readonly", (0, 0, 0), "generic", "keyspace read slow"),
    C("rename", 3, "write", (1, 2, 1), "generic", "keyspace write slow"),
    C("renamenx", 3, "fast write", (1, 2, 1), "generic", "keyspace write fast"),
    C("touch", -2, "fast readonly", (1, -1, 1), "generic", "keyspace read fast"),
    C("expire", -3, "fast write", (1, 1, 1), "generic", "keyspace write fast"),
    C("pexpire", -3, "fast write", (1, 1, 1), "generic", "keyspace write fast"),
    C("expireat", -3, "fast write", (1, 1, 1), "generic", "keyspace write fast"),
    C("pexpireat", -3, "fast write", (1, 1, 1), "generic", "keyspace write fast"),
    C("ttl", 2, "fast readonly", (1, 1, 1), "generic", "keyspace read fast"),
    C("pttl", 2, "fast readonly", (1, 1, 1), "generic", "keyspace read fast"),
    C("expiretime", 2, "fast readonly", (1, 1, 1), "generic", "keyspace read fast"),
    C("pexpiretime", 2, "fast readonly", (1, 1, 1), "generic", "keyspace read fast"),
    C("persist", 2, "fast write", (1, 1, 1), "generic", "keyspace write fast"),
    C(
        "object",
        -2,
        "",
        (0, 0, 0),
        "generic",
        "slow",
        subs=(
            C("object|help", 2, "loading stale", (0, 0, 0), "generic", "keyspace slow"),
            C("object|encoding", 3, "readonly", (2, 2, 1), "generic", "keyspace read slow"),
            C("object|refcount", 3, "readonly", (2, 2, 1), "generic", "keyspace read slow"),
        ),
    ),
    C("get", 2, "fast readonly", (1, 1, 1), "string", "read string fast"),
    C("set", -3, "denyoom write", (1, 1, 1), "string", "write string slow"),
    C("setnx", 3, "denyoom fast write", (1, 1, 1), "string", "write string fast"),
    C("setex", 4, "denyoom write", (1, 1, 1), "string", "write string slow"),
    C("psetex", 4, "denyoom write", (1, 1, 1), "string", "write string slow"),
    C("getset", 3, "denyoom fast write", (1, 1, 1), "string", "write string fast"),
    C("getdel", 2, "fast write", (1, 1, 1), "string", "write string fast"),
    C("getex", -2, "fast write", (1, 1, 1), "string", "write string fast"),
    C("mget", -2, "fast readonly", (1, -1, 1), "string", "read string fast"),
    C("mset", -3, "denyoom write", (1, -1, 2), "string", "write string slow"),
    C("msetnx", -3, "denyoom write", (1, -1, 2), "string", "write string slow"),
    C("append", 3, "denyoom fast write", (1, 1, 1), "string", "write string fast"),
    C("strlen", 2, "fast readonly", (1, 1, 1), "string", "read string fast"),
    C("getrange", 4, "readonly", (1, 1, 1), "string", "read string slow"),
    C("setrange", 4, "denyoom write", (1, 1, 1), "string", "write string slow"),
    C("incr", 2, "denyoom fast write", (1, 1, 1), "string", "write string fast"),
    C("incrby", 3, "denyoom fast write", (1, 1, 1), "string", "write string fast"),
    C("decr", 2, "denyoom fast write", (1, 1, 1), "string", "write string fast"),
    C("decrby", 3, "denyoom fast write", (1, 1, 1), "string", "write string fast"),
    C("incrbyfloat", 3, "denyoom fast write", (1, 1, 1), "string", "write string fast"),
    C("setbit", 4, "denyoom write", (1, 1, 1), "bitmap", "write bitmap slow"),
    C("getbit", 3, "fast readonly", (1, 1, 1), "bitmap", "read bitmap fast"),
    C("bitcount", -2, "readonly", (1, 1, 1), "bitmap", "read bitmap slow"),
    C("bitpos", -3, "readonly", (1, 1, 1), "bitmap", "read bitmap slow"),
    C("bitop", -4, "denyoom write", (2, -1, 1), "bitmap", "write bitmap slow"),
    C("subscribe", -2, "loading noscript pubsub stale", (0, 0, 0), "pubsub", "pubsub slow"),
    C("unsubscribe", -1, "loading noscript pubsub stale", (0, 0, 0), "pubsub", "pubsub slow"),
    C("psubscribe", -2, "loading noscript pubsub stale", (0, 0, 0), "pubsub", "pubsub slow"),
    C("punsubscribe", -1, "loading noscript pubsub stale", (0, 0, 0), "pubsub", "pubsub slow"),
    C("publish", 3, "fast loading pubsub stale", (0, 0, 0), "pubsub", "pubsub fast"),
    C(
        "pubsub",
        -2,
        "",
        (0, 0, 0),
        "pubsub",
        "slow",
        subs=(
            C("pubsub|help", 2, "loading stale", (0, 0, 0), "pubsub", "slow"),
            C("pubsub|channels", -2, "loading pubsub stale", (0, 0, 0), "pubsub", "pubsub slow"),
            C("pubsub|numpat", 2, "loading pubsub stale", (0, 0, 0), "pubsub", "pubsub slow"),
            C("pubsub|numsub", -2, "loading pubsub stale", (0, 0, 0), "pubsub", "pubsub slow"),
        ),
    ),
)

# Each data type declares its commands in its own module, like Redis's
# src/commands/*.json; this is the one table they form.
TABLE: tuple[CommandSpec, ...] = (
    CORE + hashes.COMMANDS + sets.COMMANDS + zsets.COMMANDS + lists.COMMANDS
)

COMMANDS: dict[str, CommandSpec] = {spec.name: spec for spec in TABLE}


def all_specs() -> list[CommandSpec]:
    """Every command and subcommand."""
    out: list[CommandSpec] = []
    for spec in TABLE:
        out.append(spec)
        out.extend(spec.subcommands.values())
    return out


@cache
def docs() -> dict[str, Any]:
    """COMMAND DOCS material (summary, since, complexity, arguments), loaded on first use."""
    loaded: dict[str, Any] = json.loads((Path(__file__).parent / "docs.json").read_text())
    return loaded
