"""The set commands' table declarations (values from Redis 7.0's COMMAND INFO).

Owns only these declarations; handlers live in node/handlers. Must not know handlers.
"""

from __future__ import annotations

from node.commands.spec import C, CommandSpec

COMMANDS: tuple[CommandSpec, ...] = (
    C("sadd", -3, "denyoom fast write", (1, 1, 1), "set", "write set fast"),
    C("srem", -3, "fast write", (1, 1, 1), "set", "write set fast"),
    C("smembers", 2, "readonly", (1, 1, 1), "set", "read set slow"),
    C("sismember", 3, "fast readonly", (1, 1, 1), "set", "read set fast"),
    C("smismember", -3, "fast readonly", (1, 1, 1), "set", "read set fast"),
    C("scard", 2, "fast readonly", (1, 1, 1), "set", "read set fast"),
    C("spop", -2, "fast write", (1, 1, 1), "set", "write set fast"),
    C("srandmember", -2, "readonly", (1, 1, 1), "set", "read set slow"),
    C("smove", 4, "fast write", (1, 2, 1), "set", "write set fast"),
    C("sinter", -2, "readonly", (1, -1, 1), "set", "read set slow"),
    C("sinterstore", -3, "denyoom write", (1, -1, 1), "set", "write set slow"),
    C("sunion", -2, "readonly", (1, -1, 1), "set", "read set slow"),
    C("sunionstore", -3, "denyoom write", (1, -1, 1), "set", "write set slow"),
    C("sdiff", -2, "readonly", (1, -1, 1), "set", "read set slow"),
    C("sdiffstore", -3, "denyoom write", (1, -1, 1), "set", "write set slow"),
    C("sintercard", -3, "movablekeys readonly", (0, 0, 0), "set", "read set slow"),
    C("sscan", -3, "readonly", (1, 1, 1), "set", "read set slow"),
)
