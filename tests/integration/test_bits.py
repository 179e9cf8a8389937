"""Bit commands (SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP) against a real server, in RESP2 and RESP3,
compared with the reference redis-server where they should agree."""

from __future__ import annotations

import redis

from tests.integration.compare import Command, error, raw, same

# -- bits ---------------------------------------------------------------------------------------


def test_setbit_getbit(r: redis.Redis) -> None:
    assert r.getbit("b", 100) == 0
    assert r.setbit("b", 7, 1) == 0
    assert r.get("b") == b"\x01"
    assert r.setbit("b", 7, 1) == 1
    assert r.setbit("b", 0, 1) == 0
    assert r.get("b") == b"\x81"
    assert r.setbit("b", 7, 0) == 1
    assert r.setbit("b", 23, 0) == 0
    assert r.get("b") == b"\x80\x00\x00"
    assert r.getbit("b", 0) == 1
    assert r.getbit("b", 1) == 0
    assert r.getbit("b", 1000) == 0


def test_setbit_keeps_ttl(r: redis.Redis) -> None:
    raw(r, "SET", "b", "a", "EX", "100")
    assert r.setbit("b", 6, 1) == 0
    assert r.get("b") == b"c"
    assert 95 <= r.ttl("b") <= 100


def test_bit_offset_errors_match_redis(r: redis.Redis, ref: redis.Redis) -> None:
    same(r, ref, [
        ("SETBIT", "b", "4294967296", "1"), ("SETBIT", "b", "-1", "1"), ("SETBIT", "b", "a", "1"),
        ("SETBIT", "b", "1", "2"), ("SETBIT", "b", "1", "-1"), ("SETBIT", "b", "1", "a"),
        ("SETBIT", "b", "4294967295", "2"), ("GETBIT", "b", "4294967296"),
        ("GETBIT", "b", "abc"), ("GETBIT", "b", "-1"), ("EXISTS", "b"),
    ])  # fmt: skip
    assert error(r, "SETBIT", "b", "-1", "1") == "bit offset is not an integer or out of range"
    assert error(r, "SETBIT", "b", "1", "2") == "bit is not an integer or out of range"


BIT_VALUES = {
    "k": b"foobar",
    "e": b"",
    "f": b"\xff",
    "g": b"\xff\xf0\x00",
    "h": b"\x00\x00\x01\x80",
}


def test_bitcount_matches_redis(r: redis.Redis, ref: redis.Redis) -> None:
    for client in (r, ref):
        client.mset(BIT_VALUES)
    ranges = [(0, -1), (1, 1), (-2, -1), (-1, -2), (-100, 100), (2, 1), (0, 0)]
    commands: list[Command] = [("BITCOUNT", key) for key in [*BIT_VALUES, "missing"]]
    for key in [*BIT_VALUES, "missing"]:
        for a, b in ranges:
            commands += [("BITCOUNT", key, a, b), ("BITCOUNT", key, a, b, "BYTE")]
            commands += [("BITCOUNT", key, a * 5, b * 7, "bit")]
    commands += [("BITCOUNT", "k", "0"), ("BITCOUNT", "k", "a", "1"), ("BITCOUNT", "k", "0", "a"),
                 ("BITCOUNT", "k", "0", "1", "foo"), ("BITCOUNT", "k", "-1", "-2", "foo"),
                 ("BITCOUNT", "k", "0", "1", "2"), ("BITCOUNT", "missing", "0"),
                 ("BITCOUNT", "missing", "a", "b", "c")]  # fmt: skip
    same(r, ref, commands)


def test_bitpos_matches_redis(r: redis.Redis, ref: redis.Redis) -> None:
    for client in (r, ref):
        client.mset(BIT_VALUES)
    commands: list[Command] = []
    for key in [*BIT_VALUES, "missing"]:
        for bit in (0, 1):
            commands += [("BITPOS", key, bit), ("BITPOS", key, bit, 1), ("BITPOS", key, bit, -1)]
            for a, b in [(0, -1), (0, 0), (1, 1), (-9, -1), (2, 100), (3, 11), (12, 23), (5, 2)]:
                commands += [("BITPOS", key, bit, a, b), ("BITPOS", key, bit, a, b, "bit"),
                             ("BITPOS", key, bit, a, b, "BYTE")]  # fmt: skip
    commands += [("BITPOS", "k", "2"), ("BITPOS", "missing", "-1"), ("BITPOS", "k", "a"),
                 ("BITPOS", "k", "1", "a"), ("BITPOS", "k", "1", "0", "a"),
                 ("BITPOS", "k", "1", "0", "1", "foo"), ("BITPOS", "k", "1", "0", "1", "bit", "5"),
                 ("BITPOS", "f", "0", "2", "bit"), ("BITPOS", "missing", "1", "x")]  # fmt: skip
    same(r, ref, commands)
    assert error(r, "BITPOS", "k", "2") == "The bit argument must be 1 or 0."


def test_bitop_matches_redis(r: redis.Redis, ref: redis.Redis) -> None:
    for client in (r, ref):
        client.mset(BIT_VALUES)
    commands: list[Command] = []
    for op in ("AND", "or", "Xor"):
        commands += [("BITOP", op, "d", "k", "g", "h"), ("GET", "d"),
                     ("BITOP", op, "d", "k", "missing"), ("GET", "d"),
                     ("BITOP", op, "d", "f"), ("GET", "d")]  # fmt: skip
    commands += [("BITOP", "NOT", "d", "g"), ("GET", "d"), ("BITOP", "not", "d", "missing"),
                 ("EXISTS", "d"), ("BITOP", "foo", "d", "k"), ("BITOP", "NOT", "d", "k", "f"),
                 ("BITOP", "or", "d", "missing", "e"), ("EXISTS", "d")]  # fmt: skip
    same(r, ref, commands)
    assert error(r, "BITOP", "NOT", "d", "k", "f") == (
        "BITOP NOT must be called with a single source key."
    )


def test_bitop_clears_the_destination_ttl(r: redis.Redis) -> None:
    r.set("src", "ab")
    raw(r, "SET", "d", "x", "EX", "100")
    assert raw(r, "BITOP", "OR", "d", "src") == 2
    assert r.get("d") == b"ab"
    assert r.ttl("d") == -1
