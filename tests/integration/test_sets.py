"""Set commands through a real geokv server, byte for byte against redis-server 7.0 (RESP2 and RESP3).

Deterministic scripts (integer members: both servers list an intset in order)
are compared as raw replies; random commands (SPOP, SRANDMEMBER) and
unordered replies are checked for their meaning with redis-py.
"""

from __future__ import annotations

import pytest
import redis

from tests.integration.compare import RawPair, same_bytes

WRONGTYPE = "WRONGTYPE Operation against a key holding the wrong kind of value"

SCRIPT: list[tuple[str, ...]] = [
    ("SADD", "s", "3", "1", "2", "1"),
    ("SADD", "s", "2", "4"),
    ("SCARD", "s"),
    ("SMEMBERS", "s"),
    ("SISMEMBER", "s", "2"),
    ("SISMEMBER", "s", "9"),
    ("SISMEMBER", "missing", "1"),
    ("SMISMEMBER", "s", "1", "9", "4"),
    ("SMISMEMBER", "missing", "1"),
    ("SMEMBERS", "missing"),
    ("SCARD", "missing"),
    ("OBJECT", "ENCODING", "s"),
    ("SREM", "s", "1", "9", "1"),
    ("SREM", "missing", "1"),
    ("SMEMBERS", "s"),
    ("SADD", "t", "2", "5"),
    ("SINTER", "s", "t"),
    ("SINTER", "s", "missing"),
    ("SUNION", "s", "t", "missing"),
    ("SDIFF", "s", "t"),
    ("SDIFF", "missing", "s"),
    ("SINTERSTORE", "d", "s", "t"),
    ("SMEMBERS", "d"),
    ("SUNIONSTORE", "d", "s", "t"),
    ("SMEMBERS", "d"),
    ("SDIFFSTORE", "d", "t", "s"),
    ("SMEMBERS", "d"),
    ("SINTERSTORE", "d", "s", "missing"),
    ("EXISTS", "d"),
    ("SET", "str", "x"),
    ("SUNIONSTORE", "str", "s"),
    ("TYPE", "str"),
    ("SINTERCARD", "2", "s", "t"),
    ("SINTERCARD", "1", "s", "LIMIT", "1"),
    ("SINTERCARD", "1", "s", "LIMIT", "0"),
    ("SINTERCARD", "2", "s", "missing"),
    ("SINTERCARD", "0", "s"),
    ("SINTERCARD", "x", "s"),
    ("SINTERCARD", "3", "s"),
    ("SINTERCARD", "1", "s", "LIMIT", "-1"),
    ("SINTERCARD", "1", "s", "LIMIT", "x"),
    ("SINTERCARD", "1", "s", "LIMIT"),
    ("SINTERCARD", "1", "s", "FOO", "1"),
    ("SMOVE", "s", "t", "3"),
    ("SMOVE", "s", "t", "3"),
    ("SMOVE", "s", "s", "2"),
    ("SMOVE", "s", "s", "9"),
    ("SMOVE", "missing", "t", "2"),
    ("SMEMBERS", "s"),
    ("SMEMBERS", "t"),
    ("SPOP", "s", "-1"),
    ("SPOP", "s", "x"),
    ("SPOP", "s", "1", "2"),
    ("SPOP", "s", "0"),
    ("SPOP", "missing"),
    ("SPOP", "missing", "3"),
    ("SRANDMEMBER", "missing"),
    ("SRANDMEMBER", "missing", "3"),
    ("SRANDMEMBER", "s", "0"),
    ("SRANDMEMBER", "s", "x"),
    ("SRANDMEMBER", "s", "-9223372036854775808"),
    ("SRANDMEMBER", "s", "1", "2"),
    ("SRANDMEMBER", "s", "10"),
    ("SSCAN", "s", "0"),
    ("SSCAN", "s", "0", "MATCH", "2*", "COUNT", "1"),
    ("SSCAN", "missing", "0", "COUNT", "0"),
    ("SSCAN", "s", "0", "COUNT", "0"),
    ("SSCAN", "s", "0", "TYPE", "set"),
    ("SSCAN", "s", "x"),
    ("SSCAN", "s", "0", "COUNT"),
    ("SADD", "s"),
    ("SREM", "s"),
    ("SMOVE", "s", "t"),
    ("SINTERCARD", "1"),
    # WRONGTYPE both ways: a string with set commands, a set with GET.
    ("SADD", "str", "m"),
    ("GET", "s"),
    ("SET", "k", "v"),
    ("SADD", "k", "m"),
    ("SREM", "k", "m"),
    ("SMEMBERS", "k"),
    ("SCARD", "k"),
    ("SISMEMBER", "k", "m"),
    ("SMISMEMBER", "k", "m"),
    ("SPOP", "k"),
    ("SRANDMEMBER", "k"),
    ("SINTER", "missing", "k"),
    ("SUNION", "s", "k"),
    ("SDIFF", "missing", "k"),
    ("SINTERSTORE", "d", "s", "k"),
    ("SINTERCARD", "2", "missing", "k"),
    ("SMOVE", "s", "k", "2"),
    ("SMOVE", "k", "s", "2"),
    ("SMOVE", "missing", "k", "2"),
    ("SSCAN", "k", "0"),
    ("SREM", "s", "2", "4", "5"),
    ("EXISTS", "s"),
]


def test_replies_match_the_reference_byte_for_byte(raw_pair: RawPair) -> None:
    for command in SCRIPT:
        same_bytes(raw_pair, *command)


def test_non_integer_members_and_encodings(r: redis.Redis) -> None:
    assert r.sadd("s", "b", "a", "c") == 3
    assert r.smembers("s") == {b"a", b"b", b"c"}
    assert r.object("encoding", "s") == b"hashtable"
    r.sadd("n", *range(512))
    assert r.object("encoding", "n") == b"intset"
    r.sadd("n", 512)
    assert r.object("encoding", "n") == b"hashtable"


def test_spop_removes_what_it_returns(r: redis.Redis) -> None:
    r.sadd("s", "a", "b", "c", "d")
    one = r.spop("s")
    assert one in {b"a", b"b", b"c", b"d"}
    # redis-py annotates SISMEMBER's member as str; any bytes/str/number is sent.
    assert not r.sismember("s", one)  # type: ignore[arg-type]
    two = r.spop("s", 2)
    assert isinstance(two, (list, set))
    assert len(set(two)) == 2 and one not in two
    assert r.scard("s") == 1
    rest = r.spop("s", 5)
    assert isinstance(rest, (list, set))
    assert set(rest) | set(two) | {one} == {b"a", b"b", b"c", b"d"}
    assert r.exists("s") == 0


def test_srandmember_counts(r: redis.Redis) -> None:
    r.sadd("s", "a", "b", "c")
    assert r.srandmember("s") in {b"a", b"b", b"c"}
    distinct = r.srandmember("s", 2)
    assert isinstance(distinct, list)
    assert len(set(distinct)) == 2 and set(distinct) <= {b"a", b"b", b"c"}
    every = r.srandmember("s", 10)
    assert isinstance(every, list)
    assert sorted(every) == [b"a", b"b", b"c"]
    repeated = r.srandmember("s", -7)
    assert isinstance(repeated, list)
    assert len(repeated) == 7 and set(repeated) <= {b"a", b"b", b"c"}
    assert r.scard("s") == 3


def test_sscan_of_a_large_set_returns_every_member(r: redis.Redis) -> None:
    members = {b"m%d" % i for i in range(1000)}
    r.sadd("big", *members)
    seen: set[bytes | str] = set()
    cursor = 0
    for _ in range(1000):
        cursor, batch = r.sscan("big", cursor, count=50)
        assert len(batch) <= 50
        seen.update(batch)
        # Members removed mid-iteration are not returned once gone.
        r.srem("big", b"m999")
        if cursor == 0:
            break
    assert cursor == 0
    assert members - {b"m999"} <= seen
    assert b"m998" in seen


def test_sscan_match_on_a_large_set(r: redis.Redis) -> None:
    r.sadd("big", *(b"m%d" % i for i in range(600)))
    found = set(r.sscan_iter("big", match="m1?", count=100))
    assert found == {b"m1%d" % i for i in range(10)}


def test_rename_and_type_of_a_set(r: redis.Redis) -> None:
    r.sadd("s", "a", "b")
    r.pexpire("s", 100000)
    r.sadd("d", "old")
    r.rename("s", "d")
    assert r.smembers("d") == {b"a", b"b"}
    assert r.type("d") == b"set"
    assert 0 < r.pttl("d") <= 100000
    assert r.exists("s") == 0


def test_store_replaces_a_destination_of_another_type(r: redis.Redis) -> None:
    r.set("d", "string")
    r.sadd("a", "x")
    # redis-py annotates `keys` as a list; one key name is taken as well (list_or_args).
    assert r.sunionstore("d", "a") == 1  # type: ignore[arg-type]
    assert r.type("d") == b"set"
    with pytest.raises(redis.ResponseError, match="^" + WRONGTYPE):
        r.get("d")
