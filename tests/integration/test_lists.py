"""List commands through a real server, in RESP2 and RESP3, against the reference redis-server.

Each test runs the same command sequence on geokv (`r`, both protocols) and on
redis-server 7.0.15 (`ref`) and compares every reply, errors included; a few
byte-exact checks pin the null forms redis-py would blur.
"""

from __future__ import annotations

import redis

from tests.conftest import Process
from tests.integration.compare import same
from tests.integration.raw import Raw


def test_pushes_and_reads(r: redis.Redis, ref: redis.Redis) -> None:
    same(
        r,
        ref,
        [
            ("RPUSH", "l", "a", "b", "c"),
            ("LPUSH", "l", "x", "y"),
            ("LRANGE", "l", "0", "-1"),
            ("LRANGE", "l", "1", "2"),
            ("LRANGE", "l", "-100", "100"),
            ("LRANGE", "l", "3", "1"),
            ("LRANGE", "l", "9", "10"),
            ("LRANGE", "nokey", "0", "-1"),
            ("LLEN", "l"),
            ("LLEN", "nokey"),
            ("LINDEX", "l", "0"),
            ("LINDEX", "l", "-1"),
            ("LINDEX", "l", "5"),
            ("LINDEX", "l", "-6"),
            ("LINDEX", "nokey", "0"),
            ("LPUSHX", "nokey", "a"),
            ("RPUSHX", "nokey", "a"),
            ("EXISTS", "nokey"),
            ("LPUSHX", "l", "p", "q"),
            ("RPUSHX", "l", "z"),
            ("LRANGE", "l", "0", "-1"),
            ("TYPE", "l"),
            ("OBJECT", "ENCODING", "l"),
        ],
    )


def test_pops(r: redis.Redis, ref: redis.Redis) -> None:
    same(
        r,
        ref,
        [
            ("RPUSH", "l", "a", "b", "c", "d", "e"),
            ("LPOP", "l"),
            ("RPOP", "l"),
            ("LPOP", "l", "2"),
            ("RPOP", "l", "0"),
            ("RPOP", "l", "10"),
            ("EXISTS", "l"),
            ("LPOP", "l"),
            ("LPOP", "l", "1"),
            ("RPOP", "nokey", "0"),
            ("LPOP", "l", "-1"),
            ("LPOP", "l", "abc"),
            ("LPOP", "l", "1", "2"),
            ("RPOP", "l", "1", "2"),
        ],
    )


def test_lpop_null_forms_byte_exact(geokv_server: Process, redis_server: Process) -> None:
    commands = [("LPOP", "nokey"), ("LPOP", "nokey", "1"), ("LPOP", "nokey", "0")]
    for resp3 in (False, True):
        ours, theirs = Raw(geokv_server.port, resp3), Raw(redis_server.port, resp3)
        try:
            ours.call("DEL", "nokey")
            theirs.call("DEL", "nokey")
            for command in commands:
                assert ours.call(*command) == theirs.call(*command), (resp3, command)
            ours.call("RPUSH", "k", "a")
            theirs.call("RPUSH", "k", "a")
            assert ours.call("LPOP", "k", "0") == theirs.call("LPOP", "k", "0")
            ours.call("DEL", "k")
            theirs.call("DEL", "k")
        finally:
            ours.close()
            theirs.close()


def test_lset_linsert(r: redis.Redis, ref: redis.Redis) -> None:
    same(
        r,
        ref,
        [
            ("LSET", "nokey", "0", "x"),
            ("LSET", "nokey", "x", "x"),
            ("RPUSH", "l", "a", "b", "c"),
            ("LSET", "l", "1", "B"),
            ("LSET", "l", "-1", "C"),
            ("LSET", "l", "3", "x"),
            ("LSET", "l", "-4", "x"),
            ("LSET", "l", "x", "x"),
            ("LRANGE", "l", "0", "-1"),
            ("LINSERT", "l", "BEFORE", "a", "0"),
            ("LINSERT", "l", "after", "C", "D"),
            ("LINSERT", "l", "AFTER", "B", "b2"),
            ("LINSERT", "l", "before", "missing", "x"),
            ("LINSERT", "l", "middle", "a", "x"),
            ("LINSERT", "nokey", "BEFORE", "a", "x"),
            ("LINSERT", "nokey", "middle", "a", "x"),
            ("LRANGE", "l", "0", "-1"),
        ],
    )


def test_lrem_ltrim(r: redis.Redis, ref: redis.Redis) -> None:
    same(
        r,
        ref,
        [
            ("RPUSH", "l", "a", "b", "a", "c", "a", "b"),
            ("LREM", "l", "1", "a"),
            ("LRANGE", "l", "0", "-1"),
            ("LREM", "l", "-1", "b"),
            ("LRANGE", "l", "0", "-1"),
            ("LREM", "l", "0", "a"),
            ("LREM", "l", "0", "zzz"),
            ("LREM", "l", "x", "a"),
            ("LREM", "nokey", "0", "a"),
            ("LRANGE", "l", "0", "-1"),
            ("RPUSH", "t", "1", "2", "3", "4", "5", "6"),
            ("LTRIM", "t", "1", "-2"),
            ("LRANGE", "t", "0", "-1"),
            ("LTRIM", "t", "-2", "100"),
            ("LRANGE", "t", "0", "-1"),
            ("LTRIM", "t", "x", "1"),
            ("LTRIM", "t", "0", "y"),
            ("LTRIM", "nokey", "0", "1"),
            ("LTRIM", "t", "5", "1"),
            ("EXISTS", "t"),
        ],
    )


def test_lpos(r: redis.Redis, ref: redis.Redis) -> None:
    same(
        r,
        ref,
        [
            ("RPUSH", "l", "a", "b", "c", "1", "2", "3", "c", "c"),
            ("LPOS", "l", "c"),
            ("LPOS", "l", "zz"),
            ("LPOS", "l", "c", "RANK", "2"),
            ("LPOS", "l", "c", "RANK", "-1"),
            ("LPOS", "l", "c", "RANK", "-2", "COUNT", "0"),
            ("LPOS", "l", "c", "COUNT", "2"),
            ("LPOS", "l", "c", "COUNT", "0"),
            ("LPOS", "l", "c", "COUNT", "0", "MAXLEN", "3"),
            ("LPOS", "l", "c", "RANK", "-1", "MAXLEN", "1"),
            ("LPOS", "l", "c", "RANK", "5"),
            ("LPOS", "l", "c", "RANK", "5", "COUNT", "1"),
            ("LPOS", "l", "c", "RANK", "-9223372036854775808"),
            ("LPOS", "l", "c", "RANK", "0"),
            ("LPOS", "l", "c", "RANK", "x"),
            ("LPOS", "l", "c", "COUNT", "-1"),
            ("LPOS", "l", "c", "COUNT", "x"),
            ("LPOS", "l", "c", "MAXLEN", "-1"),
            ("LPOS", "l", "c", "foo", "1"),
            ("LPOS", "l", "c", "RANK"),
            ("LPOS", "nokey", "c"),
            ("LPOS", "nokey", "c", "COUNT", "1"),
        ],
    )


def test_lmove_rpoplpush(r: redis.Redis, ref: redis.Redis) -> None:
    same(
        r,
        ref,
        [
            ("RPUSH", "src", "a", "b", "c"),
            ("LMOVE", "src", "dst", "LEFT", "RIGHT"),
            ("LMOVE", "src", "dst", "right", "left"),
            ("LRANGE", "src", "0", "-1"),
            ("LRANGE", "dst", "0", "-1"),
            ("LMOVE", "dst", "dst", "LEFT", "RIGHT"),
            ("LRANGE", "dst", "0", "-1"),
            ("RPOPLPUSH", "src", "dst"),
            ("RPOPLPUSH", "src", "dst"),
            ("EXISTS", "src"),
            ("LMOVE", "src", "dst", "LEFT", "LEFT"),
            ("LMOVE", "src", "dst", "UP", "LEFT"),
            ("LMOVE", "dst", "src", "LEFT", "DOWN"),
            ("SET", "str", "x"),
            ("LMOVE", "dst", "str", "LEFT", "LEFT"),
            ("RPOPLPUSH", "dst", "str"),
            ("LRANGE", "dst", "0", "-1"),
            ("RPOPLPUSH", "str", "dst"),
        ],
    )


def test_wrong_type_and_arity(r: redis.Redis, ref: redis.Redis) -> None:
    wrongtype = [
        ("LPUSH", "s", "a"),
        ("RPUSH", "s", "a"),
        ("LPUSHX", "s", "a"),
        ("RPUSHX", "s", "a"),
        ("LPOP", "s"),
        ("RPOP", "s", "2"),
        ("LRANGE", "s", "0", "-1"),
        ("LLEN", "s"),
        ("LINDEX", "s", "0"),
        ("LSET", "s", "0", "a"),
        ("LINSERT", "s", "BEFORE", "a", "b"),
        ("LREM", "s", "0", "a"),
        ("LTRIM", "s", "0", "1"),
        ("LPOS", "s", "a"),
        ("LMOVE", "s", "d", "LEFT", "LEFT"),
        ("RPOPLPUSH", "s", "d"),
        ("BLPOP", "s", "0"),
        ("BRPOP", "nokey", "s", "0"),
        ("BLMOVE", "s", "d", "LEFT", "LEFT", "0"),
    ]
    arity = [
        ("LPUSH", "k"),
        ("RPUSH", "k"),
        ("LPUSHX", "k"),
        ("LPOP",),
        ("LRANGE", "k", "0"),
        ("LLEN",),
        ("LINDEX", "k"),
        ("LSET", "k", "0"),
        ("LINSERT", "k", "BEFORE", "a"),
        ("LREM", "k", "0"),
        ("LTRIM", "k", "0"),
        ("LPOS", "k"),
        ("LMOVE", "a", "b", "LEFT"),
        ("RPOPLPUSH", "a"),
        ("BLPOP", "k"),
        ("BRPOP", "k"),
        ("BLMOVE", "a", "b", "LEFT", "LEFT"),
    ]
    same(r, ref, [("SET", "s", "x"), *wrongtype, ("GET", "s"), *arity])


def test_blocking_commands_that_do_not_block(r: redis.Redis, ref: redis.Redis) -> None:
    same(
        r,
        ref,
        [
            ("RPUSH", "a", "1", "2", "3", "4"),
            ("RPUSH", "b", "5"),
            ("BLPOP", "nokey", "a", "b", "0"),
            ("BRPOP", "nokey", "b", "a", "0"),
            ("BRPOP", "b", "a", "0.5"),
            ("BLMOVE", "a", "b", "RIGHT", "LEFT", "0"),
            ("LRANGE", "b", "0", "-1"),
            ("BLPOP", "a", "x"),
            ("BLPOP", "a", "-1"),
            ("BLPOP", "a", "nan"),
            ("BLPOP", "a", "inf"),
            ("BLPOP", "a", "1e30"),
            ("BLPOP", "a", " 1"),
            ("BLPOP", "b", "0x10"),
            ("BLMOVE", "a", "b", "UP", "LEFT", "x"),
            ("BLMOVE", "a", "b", "LEFT", "LEFT", "-1"),
            ("BLMOVE", "a", "b", "LEFT", "LEFT", "x"),
        ],
    )


def test_blocking_commands_in_multi_do_not_block(r: redis.Redis, ref: redis.Redis) -> None:
    same(
        r,
        ref,
        [
            ("MULTI",),
            ("BLPOP", "nokey", "0"),
            ("BRPOP", "nokey", "0"),
            ("BLMOVE", "nokey", "d", "LEFT", "LEFT", "0"),
            ("EXEC",),
        ],
    )


def test_rename_moves_a_list_with_its_ttl(r: redis.Redis, ref: redis.Redis) -> None:
    same(
        r,
        ref,
        [
            ("RPUSH", "l", "a", "b", "c"),
            ("LPOP", "l"),
            ("RPUSH", "d", "old"),
            ("RENAME", "l", "d"),
            ("LRANGE", "d", "0", "-1"),
            ("EXISTS", "l"),
            ("EXPIRE", "d", "100"),
            ("RENAME", "d", "e"),
            ("TTL", "e"),
            ("SET", "s", "x"),
            ("RENAME", "e", "s"),
            ("TYPE", "s"),
            ("LRANGE", "s", "0", "-1"),
        ],
    )


def test_large_list_index_access(r: redis.Redis, ref: redis.Redis) -> None:
    values = [str(i) for i in range(300)]
    same(
        r,
        ref,
        [
            ("RPUSH", "big", *values),
            ("LPUSH", "big", *values[:50]),
            ("LRANGE", "big", "100", "120"),
            ("LINDEX", "big", "-7"),
            ("LSET", "big", "200", "x"),
            ("LTRIM", "big", "10", "-10"),
            ("LLEN", "big"),
            ("LRANGE", "big", "180", "195"),
            ("OBJECT", "ENCODING", "big"),
        ],
    )
