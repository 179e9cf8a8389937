"""The sorted-set commands' table declarations (values from Redis 7.0's COMMAND INFO).

Owns only these declarations; handlers live in node/handlers. Must not know handlers.
"""

from __future__ import annotations

from node.commands.spec import C, CommandSpec

COMMANDS: tuple[CommandSpec, ...] = (
    C("zadd", -4, "denyoom fast write", (1, 1, 1), "sorted-set", "write sortedset fast"),
    C("zrem", -3, "fast write", (1, 1, 1), "sorted-set", "write sortedset fast"),
    C("zscore", 3, "fast readonly", (1, 1, 1), "sorted-set", "read sortedset fast"),
    C("zmscore", -3, "fast readonly", (1, 1, 1), "sorted-set", "read sortedset fast"),
    C("zincrby", 4, "denyoom fast write", (1, 1, 1), "sorted-set", "write sortedset fast"),
    C("zcard", 2, "fast readonly", (1, 1, 1), "sorted-set", "read sortedset fast"),
    C("zcount", 4, "fast readonly", (1, 1, 1), "sorted-set", "read sortedset fast"),
    C("zlexcount", 4, "fast readonly", (1, 1, 1), "sorted-set", "read sortedset fast"),
    C("zrange", -4, "readonly", (1, 1, 1), "sorted-set", "read sortedset slow"),
    C("zrangebyscore", -4, "readonly", (1, 1, 1), "sorted-set", "read sortedset slow"),
    C("zrevrange", -4, "readonly", (1, 1, 1), "sorted-set", "read sortedset slow"),
    C("zrevrangebyscore", -4, "readonly", (1, 1, 1), "sorted-set", "read sortedset slow"),
    C("zrangebylex", -4, "readonly", (1, 1, 1), "sorted-set", "read sortedset slow"),
    C("zrevrangebylex", -4, "readonly", (1, 1, 1), "sorted-set", "read sortedset slow"),
    C("zrank", 3, "fast readonly", (1, 1, 1), "sorted-set", "read sortedset fast"),
    C("zrevrank", 3, "fast readonly", (1, 1, 1), "sorted-set", "read sortedset fast"),
    C("zpopmin", -2, "fast write", (1, 1, 1), "sorted-set", "write sortedset fast"),
    C("zpopmax", -2, "fast write", (1, 1, 1), "sorted-set", "write sortedset fast"),
    C("zrandmember", -2, "readonly", (1, 1, 1), "sorted-set", "read sortedset slow"),
    C("zrangestore", -5, "denyoom write", (1, 2, 1), "sorted-set", "write sortedset slow"),
    C(
        "zunionstore",
        -4,
        "denyoom movablekeys write",
        (1, 1, 1),
        "sorted-set",
        "write sortedset slow",
    ),
    C(
        "zinterstore",
        -4,
        "denyoom movablekeys write",
        (1, 1, 1),
        "sorted-set",
        "write sortedset slow",
    ),
    C(
        "zdiffstore",
        -4,
        "denyoom movablekeys write",
        (1, 1, 1),
        "sorted-set",
        "write sortedset slow",
    ),
    C("zscan", -3, "readonly", (1, 1, 1), "sorted-set", "read sortedset slow"),
)
