"""The hash commands' table declarations (values from Redis 7.0's COMMAND INFO).

Owns only these declarations; handlers live in node/handlers. Must not know handlers.
"""

from __future__ import annotations

from node.commands.spec import C, CommandSpec

COMMANDS: tuple[CommandSpec, ...] = (
    C("hset", -4, "denyoom fast write", (1, 1, 1), "hash", "write hash fast"),
    C("hsetnx", 4, "denyoom fast write", (1, 1, 1), "hash", "write hash fast"),
    C("hmset", -4, "denyoom fast write", (1, 1, 1), "hash", "write hash fast"),
    C("hget", 3, "fast readonly", (1, 1, 1), "hash", "read hash fast"),
    C("hmget", -3, "fast readonly", (1, 1, 1), "hash", "read hash fast"),
    C("hgetall", 2, "readonly", (1, 1, 1), "hash", "read hash slow"),
    C("hdel", -3, "fast write", (1, 1, 1), "hash", "write hash fast"),
    C("hexists", 3, "fast readonly", (1, 1, 1), "hash", "read hash fast"),
    C("hlen", 2, "fast readonly", (1, 1, 1), "hash", "read hash fast"),
    C("hkeys", 2, "readonly", (1, 1, 1), "hash", "read hash slow"),
    C("hvals", 2, "readonly", (1, 1, 1), "hash", "read hash slow"),
    C("hstrlen", 3, "fast readonly", (1, 1, 1), "hash", "read hash fast"),
    C("hincrby", 4, "denyoom fast write", (1, 1, 1), "hash", "write hash fast"),
    C("hincrbyfloat", 4, "denyoom fast write", (1, 1, 1), "hash", "write hash fast"),
    C("hrandfield", -2, "readonly", (1, 1, 1), "hash", "read hash slow"),
    C("hscan", -3, "readonly", (1, 1, 1), "hash", "read hash slow"),
)
