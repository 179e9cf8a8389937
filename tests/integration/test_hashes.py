"""Hash commands through a real geokv server, byte for byte against redis-server 7.0 (RESP2 and RESP3).

Small hashes are listpacks in Redis, listed in insertion order, so their
replies compare as raw bytes; random commands (HRANDFIELD) and large hashes
are checked for their meaning with redis-py.
"""

from __future__ import annotations

import redis

from tests.integration.compare import RawPair, same_bytes

SCRIPT: list[tuple[str, ...]] = [
    ("HSET", "h", "a", "1", "b", "2", "a", "3"),
    ("HSET", "h", "c", "x"),
    ("HMSET", "h", "d", "4"),
    ("HSETNX", "h", "a", "9"),
    ("HSETNX", "h", "e", "5"),
    ("HGET", "h", "a"),
    ("HGET", "h", "zz"),
    ("HGET", "missing", "a"),
    ("HMGET", "h", "a", "zz", "c"),
    ("HMGET", "missing", "a"),
    ("HGETALL", "h"),
    ("HGETALL", "missing"),
    ("HKEYS", "h"),
    ("HVALS", "h"),
    ("HKEYS", "missing"),
    ("HLEN", "h"),
    ("HLEN", "missing"),
    ("HEXISTS", "h", "a"),
    ("HEXISTS", "h", "zz"),
    ("HSTRLEN", "h", "c"),
    ("HSTRLEN", "h", "zz"),
    ("OBJECT", "ENCODING", "h"),
    ("HINCRBY", "h", "a", "10"),
    ("HINCRBY", "h", "new", "-4"),
    ("HINCRBY", "h", "c", "1"),
    ("HINCRBY", "h", "a", "x"),
    ("HINCRBY", "h", "a", "9223372036854775807"),
    ("HINCRBYFLOAT", "h", "a", "1.5"),
    ("HINCRBYFLOAT", "h", "f", "10.5"),
    ("HINCRBYFLOAT", "h", "f", "0.1"),
    ("HINCRBYFLOAT", "h", "c", "1"),
    ("HINCRBYFLOAT", "h", "a", "x"),
    ("HINCRBYFLOAT", "h", "a", "nan"),
    ("HINCRBYFLOAT", "h", "a", "inf"),
    ("HGETALL", "h"),
    ("HDEL", "h", "a", "zz", "a"),
    ("HDEL", "missing", "a"),
    ("HGETALL", "h"),
    ("HRANDFIELD", "missing"),
    ("HRANDFIELD", "missing", "2"),
    ("HRANDFIELD", "missing", "2", "WITHVALUES"),
    ("HRANDFIELD", "h", "0"),
    ("HRANDFIELD", "h", "0", "WITHVALUES"),
    ("HRANDFIELD", "h", "x"),
    ("HRANDFIELD", "h", "1", "foo"),
    ("HRANDFIELD", "h", "1", "WITHVALUES", "x"),
    ("HRANDFIELD", "h", "-9223372036854775808"),
    ("HRANDFIELD", "h", "9223372036854775807", "WITHVALUES"),
    ("HSCAN", "h", "0"),
    ("HSCAN", "h", "0", "MATCH", "[bc]", "COUNT", "1"),
    ("HSCAN", "missing", "0", "COUNT", "0"),
    ("HSCAN", "h", "0", "COUNT", "0"),
    ("HSCAN", "h", "x"),
    ("HSET", "h", "a", "1", "b"),
    ("HMSET", "h", "a"),
    ("HSET", "h"),
    ("HDEL", "h"),
    ("HINCRBY", "h", "a"),
    # WRONGTYPE both ways: a string with hash commands, a hash with GET and SADD.
    ("GET", "h"),
    ("SADD", "h", "m"),
    ("SET", "k", "v"),
    ("HSET", "k", "a", "1"),
    ("HSETNX", "k", "a", "1"),
    ("HGET", "k", "a"),
    ("HMGET", "k", "a"),
    ("HGETALL", "k"),
    ("HDEL", "k", "a"),
    ("HLEN", "k"),
    ("HKEYS", "k"),
    ("HVALS", "k"),
    ("HEXISTS", "k", "a"),
    ("HSTRLEN", "k", "a"),
    ("HINCRBY", "k", "a", "1"),
    ("HINCRBYFLOAT", "k", "a", "1"),
    ("HRANDFIELD", "k"),
    ("HSCAN", "k", "0"),
    ("HDEL", "h", "b", "c", "d", "e", "new", "f"),
    ("EXISTS", "h"),
]


def test_replies_match_the_reference_byte_for_byte(raw_pair: RawPair) -> None:
    for command in SCRIPT:
        same_bytes(raw_pair, *command)


def test_hrandfield_counts_and_values(r: redis.Redis) -> None:
    r.hset("h", mapping={"a": "1", "b": "2", "c": "3"})
    assert r.hrandfield("h") in {b"a", b"b", b"c"}
    distinct = r.hrandfield("h", 2)
    assert isinstance(distinct, list)
    assert len(set(distinct)) == 2 and set(distinct) <= {b"a", b"b", b"c"}
    repeated = r.hrandfield("h", -5)
    assert isinstance(repeated, list)
    assert len(repeated) == 5 and set(repeated) <= {b"a", b"b", b"c"}
    pairs = r.hrandfield("h", -4, withvalues=True)
    assert isinstance(pairs, list)
    # RESP2 answers a flat list, RESP3 a list of pairs; redis-py keeps the shape.
    flat = [x for p in pairs for x in p] if isinstance(pairs[0], list) else pairs
    assert len(flat) == 8
    values: dict[bytes | str, bytes] = {b"a": b"1", b"b": b"2", b"c": b"3"}
    assert all(values[f] == v for f, v in zip(flat[::2], flat[1::2], strict=True))


def test_encoding_thresholds(r: redis.Redis) -> None:
    r.hset("h", "f", "x" * 64)
    assert r.object("encoding", "h") == b"listpack"
    r.hset("h", "g", "x" * 65)
    assert r.object("encoding", "h") == b"hashtable"
    r.hset("many", mapping={b"f%d" % i: b"v" for i in range(128)})
    assert r.object("encoding", "many") == b"listpack"
    r.hset("many", "one-more", "v")
    assert r.object("encoding", "many") == b"hashtable"


def test_hscan_of_a_large_hash_returns_every_field(r: redis.Redis) -> None:
    fields = {b"f%d" % i: b"%d" % i for i in range(500)}
    # redis-py's mapping type is invariant in its key type, so it refuses a dict[bytes, bytes].
    r.hset("big", mapping=fields)  # type: ignore[arg-type]
    seen: dict[bytes | str, bytes | str] = {}
    cursor = 0
    for _ in range(1000):
        cursor, batch = r.hscan("big", cursor, count=40)
        assert isinstance(batch, dict)
        assert len(batch) <= 40
        seen.update(batch)
        if cursor == 0:
            break
    assert cursor == 0 and seen == fields
    assert dict(r.hscan_iter("big", match="f1?")) == {b"f1%d" % i: b"1%d" % i for i in range(10)}


def test_counter_fields_read_like_strings(r: redis.Redis) -> None:
    # redis-py annotates the increment as float; the string is sent as it is.
    assert r.hincrbyfloat("h", "f", "10.5") == 10.5  # type: ignore[arg-type]
    assert r.hget("h", "f") == b"10.5"
    assert r.hincrby("h", "n", 5) == 5
    r.hset("h", "n", "100")
    assert r.hincrby("h", "n", 1) == 101
    assert r.hdel("h", "n") == 1
    assert r.hincrby("h", "n", 1) == 1


def test_rename_of_a_hash_keeps_values_and_ttl(r: redis.Redis) -> None:
    r.hset("h", mapping={"a": "1", "b": "2"})
    r.hincrby("h", "n", 3)
    r.pexpire("h", 100000)
    r.hset("d", "old", "x")
    r.rename("h", "d")
    assert r.hgetall("d") == {b"a": b"1", b"b": b"2", b"n": b"3"}
    assert r.type("d") == b"hash"
    assert 0 < r.pttl("d") <= 100000
