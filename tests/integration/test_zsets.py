"""Sorted-set commands through a real geokv server, RESP2 and RESP3, against redis-server 7.0.

Deterministic commands are compared byte for byte with the reference server
(replies, doubles in both protocols, error texts, WRONGTYPE, arity); random
ones (ZRANDMEMBER) and cursors of large sets (ZSCAN) are checked for their
shape and guarantees instead.
"""

from __future__ import annotations

from typing import Any

import pytest
import redis

from tests.integration.compare import RawPair, execute, protocol_of, same_bytes, watch

SETUP = [
    "ZADD z 1 a 2 b 3 c 4 d 5 e",
    "ZADD lex 0 a 0 b 0 c 0 d 0 e 0 f",
    "ZADD w 10 a 20 c 30 x",
    "SADD s a x y",
    "SET str v",
]

# Each line runs on both servers after SETUP; the replies must be identical bytes.
SCRIPT = [
    # ZADD options and their errors
    "ZADD z NX 9 a 6 f",
    "ZADD z XX 7 a 8 nosuch",
    "ZADD z XX CH 1 a 2 b",
    "ZADD z GT CH 0 a 9 b",
    "ZADD z LT CH 0 a 9 c",
    "ZADD z CH 2 b 2 b 3 b",
    "ZADD z INCR 1.5 a",
    "ZADD z NX INCR 1 a",
    "ZADD z XX INCR 1 nosuch",
    "ZADD z GT INCR -1 a",
    "ZADD nokey XX 1 a",
    "ZADD nokey XX INCR 1 a",
    "ZADD z NX XX 1 a",
    "ZADD z NX GT 1 a",
    "ZADD z GT LT 1 a",
    "ZADD z INCR 1 a 2 b",
    "ZADD z 1 a 2",
    "ZADD z NX",
    "ZADD z abc a",
    "ZADD z nan a",
    "ZADD z 1e999 a",
    "ZADD z ' 1' a",
    "ZADD inf +inf p -inf q 0 r",
    "ZINCRBY inf -inf p",
    "ZINCRBY inf 1 p",
    "ZADD inf INCR +inf q",
    "ZINCRBY z 0.1 m",
    "ZINCRBY z 0.1 m",
    "ZINCRBY z 0.1 m",
    "ZINCRBY z -1e-3 m",
    "ZINCRBY z abc m",
    "ZINCRBY z NX m",
    "ZINCRBY str 1 m",
    "ZADD str 1 m",
    # reads
    "ZSCORE z a",
    "ZSCORE z nosuch",
    "ZSCORE nokey a",
    "ZSCORE str a",
    "ZMSCORE z a nosuch m",
    "ZMSCORE nokey a b",
    "ZMSCORE str a",
    "ZCARD z",
    "ZCARD nokey",
    "ZCARD str",
    "ZCOUNT z -inf +inf",
    "ZCOUNT z (1 3",
    "ZCOUNT z 3 (3",
    "ZCOUNT z (3 (3",
    "ZCOUNT z ( 3",
    "ZCOUNT z 1 x",
    "ZCOUNT z 1 '3 '",
    "ZCOUNT str 1 2",
    "ZLEXCOUNT lex - +",
    "ZLEXCOUNT lex [b (e",
    "ZLEXCOUNT lex + -",
    "ZLEXCOUNT lex (a [a",
    "ZLEXCOUNT lex a b",
    "ZLEXCOUNT str - +",
    "ZRANK z c",
    "ZRANK z nosuch",
    "ZREVRANK z c",
    "ZRANK nokey a",
    "ZRANK str a",
    # the ZRANGE family
    "ZRANGE z 0 -1",
    "ZRANGE z 0 -1 WITHSCORES",
    "ZRANGE z -2 -1 WITHSCORES",
    "ZRANGE z 3 1",
    "ZRANGE z 100 200",
    "ZRANGE z -100 1",
    "ZRANGE z 0 -1 REV WITHSCORES",
    "ZRANGE z (1 5 BYSCORE WITHSCORES",
    "ZRANGE z 5 (1 BYSCORE REV",
    "ZRANGE z -inf +inf BYSCORE LIMIT 1 2 WITHSCORES",
    "ZRANGE z +inf -inf BYSCORE REV LIMIT 1 2",
    "ZRANGE z -inf +inf BYSCORE LIMIT 1 -1",
    "ZRANGE z -inf +inf BYSCORE LIMIT -1 2",
    "ZRANGE z -inf +inf BYSCORE LIMIT 0 0",
    "ZRANGE lex [b (e BYLEX",
    "ZRANGE lex (e [b BYLEX REV LIMIT 1 5",
    "ZRANGE lex - + BYLEX LIMIT 2 2",
    "ZRANGE lex - + BYLEX WITHSCORES",
    "ZRANGE z 0 -1 LIMIT 0 1",
    "ZRANGE z 0 -1 BYSCORE BYLEX",
    "ZRANGE z 0 -1 REV REV",
    "ZRANGE z 0 -1 LIMIT 0",
    "ZRANGE z 0 -1 LIMIT a 1",
    "ZRANGE z a 1",
    "ZRANGE z 0 -1 WITHSCORE",
    "ZRANGE z a b BYSCORE",
    "ZRANGE lex a b BYLEX",
    "ZRANGE nokey 0 -1",
    "ZRANGE str 0 -1",
    "ZRANGEBYSCORE z 2 4 WITHSCORES",
    "ZRANGEBYSCORE z (2 +inf LIMIT 0 2",
    "ZRANGEBYSCORE z 2 4 REV",
    "ZRANGEBYSCORE z 2 4 BYLEX",
    "ZREVRANGEBYSCORE z 4 2 WITHSCORES",
    "ZREVRANGEBYSCORE z +inf (2 LIMIT 1 1",
    "ZREVRANGE z 0 1 WITHSCORES",
    "ZREVRANGE z 0 1 LIMIT 0 1",
    "ZREVRANGE z 0 1 BYSCORE",
    "ZRANGEBYLEX lex [c +",
    "ZRANGEBYLEX lex - (c LIMIT 1 1",
    "ZRANGEBYLEX lex - + WITHSCORES",
    "ZREVRANGEBYLEX lex + [c",
    "ZREVRANGEBYLEX lex (d - LIMIT 0 2",
    "ZRANGEBYLEX lex [c x",
    # pops and removes
    "ZPOPMIN z",
    "ZPOPMAX z 2",
    "ZPOPMIN z 0",
    "ZPOPMIN z -1",
    "ZPOPMIN z x",
    "ZPOPMIN z 1 2",
    "ZPOPMIN nokey",
    "ZPOPMAX nokey 3",
    "ZPOPMIN str",
    "ZREM z a nosuch b b",
    "ZREM z nosuch",
    "ZREM nokey a",
    "ZREM str a",
    "ZADD gone 1 a",
    "ZREM gone a",
    "EXISTS gone",
    "ZADD gone2 1 a 2 b",
    "ZPOPMAX gone2 5",
    "EXISTS gone2",
    # stores
    "ZRANGESTORE dst z 0 -1",
    "ZRANGE dst 0 -1 WITHSCORES",
    "ZRANGESTORE dst lex [b [d BYLEX REV LIMIT 0 2",
    "ZRANGE dst 0 -1 WITHSCORES",
    "ZRANGESTORE dst z 0 -1 WITHSCORES",
    "ZRANGESTORE dst nokey 0 -1",
    "EXISTS dst",
    "ZRANGESTORE dst str 0 -1",
    "ZRANGESTORE str z 0 0",
    "TYPE str",
    "SET str v",
    "ZUNIONSTORE u 3 z w s",
    "ZRANGE u 0 -1 WITHSCORES",
    "ZUNIONSTORE u 2 z w WEIGHTS 2 0.5 AGGREGATE MAX",
    "ZRANGE u 0 -1 WITHSCORES",
    "ZUNIONSTORE u 2 z w AGGREGATE min",
    "ZRANGE u 0 -1 WITHSCORES",
    "ZINTERSTORE i 2 w s",
    "ZRANGE i 0 -1 WITHSCORES",
    "ZINTERSTORE i 2 w z WEIGHTS 1 -1 AGGREGATE SUM",
    "ZRANGE i 0 -1 WITHSCORES",
    "ZINTERSTORE i 2 w nokey",
    "EXISTS i",
    "ZDIFFSTORE d 2 w z",
    "ZRANGE d 0 -1 WITHSCORES",
    "ZDIFFSTORE d 2 w z WEIGHTS 1 1",
    "ZDIFFSTORE d 1 w AGGREGATE MAX",
    "ZUNIONSTORE u 0 z",
    "ZINTERSTORE u -1 z",
    "ZDIFFSTORE u 0 z",
    "ZUNIONSTORE u x z",
    "ZUNIONSTORE u 3 z w",
    "ZUNIONSTORE u 1 z WEIGHTS",
    "ZUNIONSTORE u 1 z WEIGHTS x",
    "ZUNIONSTORE u 1 z AGGREGATE avg",
    "ZUNIONSTORE u 1 z WITHSCORES",
    "ZUNIONSTORE u 2 z str",
    "ZUNIONSTORE u 2 inf inf",
    "ZRANGE u 0 -1 WITHSCORES",
    "ZADD str2 1 a",
    "ZUNIONSTORE str 1 str2",
    "TYPE str",
    # small sets scan in one call
    "ZSCAN w 0",
    "ZSCAN w 0 MATCH a* COUNT 1",
    "ZSCAN w 0 COUNT 0",
    "ZSCAN w x",
    "ZSCAN nokey 0",
    "ZSCAN str 0",
    "ZRANDMEMBER nokey",
    "ZRANDMEMBER nokey 3",
    "ZRANDMEMBER w 0",
    "ZRANDMEMBER w 1 WITHSCORES x",
    "ZRANDMEMBER w 1 WITHSCOREZ",
    "ZRANDMEMBER w x",
    "ZRANDMEMBER w -9223372036854775808",
    "ZRANDMEMBER w -5000000000000000000 WITHSCORES",
    "ZRANDMEMBER str",
    "OBJECT ENCODING w",
]

ARITY = [
    "ZADD z 1",
    "ZREM z",
    "ZSCORE z",
    "ZMSCORE z",
    "ZINCRBY z 1",
    "ZCARD",
    "ZCOUNT z 1",
    "ZLEXCOUNT z -",
    "ZRANGE z 0",
    "ZRANGEBYSCORE z 0",
    "ZREVRANGE z 0",
    "ZREVRANGEBYSCORE z 0",
    "ZRANGEBYLEX z -",
    "ZREVRANGEBYLEX z +",
    "ZRANK z",
    "ZREVRANK z",
    "ZPOPMIN",
    "ZPOPMAX",
    "ZRANDMEMBER",
    "ZRANGESTORE d z 0",
    "ZUNIONSTORE d 1",
    "ZINTERSTORE d 1",
    "ZDIFFSTORE d 1",
    "ZSCAN z",
]


def split(line: str) -> list[str]:
    """Words, with '...' quoting one argument that holds spaces."""
    parts = line.split("'")
    words: list[str] = []
    for i, part in enumerate(parts):
        words.extend([part] if i % 2 else part.split())
    return words


def pairs(reply: list[Any]) -> list[tuple[bytes, float]]:
    """redis-py's WITHSCORES reply: tuples in RESP2, lists in RESP3."""
    return [(member, float(score)) for member, score in reply]


def test_replies_match_the_reference_byte_for_byte(raw_pair: RawPair) -> None:
    for line in SETUP + SCRIPT:
        same_bytes(raw_pair, *split(line))


def test_wrong_arity_matches_the_reference(raw_pair: RawPair) -> None:
    for line in ARITY:
        reply = same_bytes(raw_pair, *split(line))
        assert reply.startswith(b"-ERR wrong number of arguments"), line


# -- behaviour beyond byte equality ------------------------------------------------------------


def test_zadd_and_zincrby_through_redis_py(r: redis.Redis) -> None:
    assert r.zadd("z", {"a": 1, "b": 2}) == 2
    assert r.zadd("z", {"a": 5}, gt=True, ch=True) == 1
    assert r.zadd("z", {"a": 1}, gt=True, ch=True) == 0
    assert r.zincrby("z", 2.5, "b") == 4.5
    assert r.zadd("z", {"c": 1}, incr=True) == 1.0
    assert pairs(r.zrange("z", 0, -1, withscores=True)) == [(b"c", 1.0), (b"b", 4.5), (b"a", 5.0)]


def test_every_command_refuses_another_type(r: redis.Redis) -> None:
    r.set("str", "v")
    calls = [
        ("ZADD", "str", 1, "m"),
        ("ZINCRBY", "str", 1, "m"),
        ("ZREM", "str", "m"),
        ("ZSCORE", "str", "m"),
        ("ZMSCORE", "str", "m"),
        ("ZCARD", "str"),
        ("ZCOUNT", "str", 0, 1),
        ("ZLEXCOUNT", "str", "-", "+"),
        ("ZRANGE", "str", 0, -1),
        ("ZRANGEBYSCORE", "str", 0, 1),
        ("ZREVRANGE", "str", 0, -1),
        ("ZREVRANGEBYSCORE", "str", 1, 0),
        ("ZRANGEBYLEX", "str", "-", "+"),
        ("ZREVRANGEBYLEX", "str", "+", "-"),
        ("ZRANK", "str", "m"),
        ("ZREVRANK", "str", "m"),
        ("ZPOPMIN", "str"),
        ("ZPOPMAX", "str"),
        ("ZRANDMEMBER", "str"),
        ("ZRANGESTORE", "d", "str", 0, -1),
        ("ZUNIONSTORE", "d", 1, "str"),
        ("ZINTERSTORE", "d", 1, "str"),
        ("ZDIFFSTORE", "d", 1, "str"),
        ("ZSCAN", "str", 0),
    ]
    for call in calls:
        with pytest.raises(redis.ResponseError, match=r"^WRONGTYPE"):
            execute(r, *call)
    assert r.get("str") == b"v"


def test_zrandmember_shapes(r: redis.Redis) -> None:
    r.zadd("z", {"a": 1, "b": 2, "c": 3})
    assert r.zrandmember("z") in (b"a", b"b", b"c")
    every = r.zrandmember("z", 10)
    assert isinstance(every, list)
    assert sorted(every) == [b"a", b"b", b"c"]
    picked = r.zrandmember("z", 2)
    assert isinstance(picked, list)
    assert len(picked) == len(set(picked)) == 2
    repeated = r.zrandmember("z", -7)
    assert isinstance(repeated, list)
    assert len(repeated) == 7
    pairs = execute(r, "ZRANDMEMBER", "z", "-4", "WITHSCORES")
    if protocol_of(r) == 3:
        assert len(pairs) == 4 and all(len(p) == 2 for p in pairs)
        assert all({b"a": 1.0, b"b": 2.0, b"c": 3.0}[m] == s for m, s in pairs)
    else:
        assert len(pairs) == 8
        assert all(
            {b"a": b"1", b"b": b"2", b"c": b"3"}[m] == s
            for m, s in zip(pairs[::2], pairs[1::2], strict=True)
        )


def test_zscan_of_a_large_set_returns_every_member_once_present(r: redis.Redis) -> None:
    r.zadd("big", {"m%d" % i: i for i in range(300)})
    assert r.object("encoding", "big") == b"skiplist"
    seen: dict[bytes, float] = {}
    cursor, rounds = 0, 0
    while True:
        cursor, batch = r.zscan("big", cursor, count=25)
        rounds += 1
        if rounds == 2:
            r.zrem("big", "m0")  # removed mid-iteration: may or may not show
            r.zadd("big", {"new": 1})  # added mid-iteration: may or may not show
        # RESP3 pairs come as 2-item lists, which dict.update takes as well as tuples.
        seen.update(batch)  # type: ignore[arg-type]
        if cursor == 0 or rounds > 100:
            break
    assert cursor == 0 and rounds > 2
    assert {"m%d" % i for i in range(1, 300)} <= {m.decode() for m in seen}
    assert seen[b"m7"] == 7.0


def test_zscan_match_filters(r: redis.Redis) -> None:
    r.zadd("z", {"apple": 1, "banana": 2, "avocado": 3})
    cursor, batch = r.zscan("z", 0, match="a*")
    # RESP3 pairs come as 2-item lists, which dict() takes as well as tuples.
    assert cursor == 0 and dict(batch) == {b"apple": 1.0, b"avocado": 3.0}  # type: ignore[arg-type]


def test_store_replaces_destination_of_another_type_and_drops_its_ttl(r: redis.Redis) -> None:
    r.zadd("src", {"a": 1})
    r.set("dst", "string", ex=100)
    assert r.zunionstore("dst", ["src"]) == 1
    assert r.type("dst") == b"zset"
    assert r.ttl("dst") == -1


def test_rename_keeps_scores_and_ttl(r: redis.Redis) -> None:
    r.zadd("src", {"a": 1.5, "b": -2})
    r.expire("src", 100)
    r.zadd("dst", {"old": 1})
    r.rename("src", "dst")
    assert pairs(r.zrange("dst", 0, -1, withscores=True)) == [(b"b", -2.0), (b"a", 1.5)]
    assert 0 < r.ttl("dst") <= 100


def test_multi_exec_and_watch(r: redis.Redis) -> None:
    r.zadd("z", {"a": 1})
    with r.pipeline() as pipe:
        watch(pipe, "z")
        pipe.multi()
        pipe.zincrby("z", 1, "a")
        r.zadd("z", {"a": 5})  # touched by another client: EXEC fails
        with pytest.raises(redis.WatchError):
            pipe.execute()
    assert r.zscore("z", "a") == 5.0
