"""The list commands' table declarations (values from Redis 7.0's COMMAND INFO).

Owns only these declarations; handlers live in node/handlers. Must not know handlers.
"""

from __future__ import annotations

from node.commands.spec import C, CommandSpec

COMMANDS: tuple[CommandSpec, ...] = (
    C("lpush", -3, "denyoom fast write", (1, 1, 1), "list", "write list fast"),
    C("rpush", -3, "denyoom fast write", (1, 1, 1), "list", "write list fast"),
    C("lpushx", -3, "denyoom fast write", (1, 1, 1), "list", "write list fast"),
    C("rpushx", -3, "denyoom fast write", (1, 1, 1), "list", "write list fast"),
    C("lpop", -2, "fast write", (1, 1, 1), "list", "write list fast"),
    C("rpop", -2, "fast write", (1, 1, 1), "list", "write list fast"),
    C("lrange", 4, "readonly", (1, 1, 1), "list", "read list slow"),
    C("llen", 2, "fast readonly", (1, 1, 1), "list", "read list fast"),
    C("lindex", 3, "readonly", (1, 1, 1), "list", "read list slow"),
    C("lset", 4, "denyoom write", (1, 1, 1), "list", "write list slow"),
    C("linsert", 5, "denyoom write", (1, 1, 1), "list", "write list slow"),
    C("lrem", 4, "write", (1, 1, 1), "list", "write list slow"),
    C("ltrim", 4, "write", (1, 1, 1), "list", "write list slow"),
    C("lpos", -3, "readonly", (1, 1, 1), "list", "read list slow"),
    C("lmove", 5, "denyoom write", (1, 2, 1), "list", "write list slow"),
    C("rpoplpush", 3, "denyoom write", (1, 2, 1), "list", "write list slow"),
    C("blpop", -3, "blocking noscript write", (1, -2, 1), "list", "write list slow blocking"),
    C("brpop", -3, "blocking noscript write", (1, -2, 1), "list", "write list slow blocking"),
    C(
        "blmove",
        6,
        "blocking denyoom noscript write",
        (1, 2, 1),
        "list",
        "write list slow blocking",
    ),
)
