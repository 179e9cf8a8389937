"""String, counter and bitmap commands over the wire, in RESP2 and RESP3.

Replies and error texts are checked against fixed expectations and, for the
tricky ones, against the reference redis-server running the same commands.
WRONGTYPE is not exercised here yet: no other data type exists to make one.
"""

from __future__ import annotations

import time

import redis

from tests.integration.compare import Command, error, raw, reply, same

# -- GET / SET ---------------------------------------------------------------------------


def test_set_get_roundtrip_binary_safe(r: redis.Redis) -> None:
    value = b"\x00\r\nbin\xff"
    assert raw(r, "SET", "k", value) == b"OK"
    assert r.get("k") == value
    assert r.get("missing") is None


def test_set_nx_xx(r: redis.Redis) -> None:
    assert raw(r, "SET", "k", "1", "XX") is None
    assert r.exists("k") == 0
    assert raw(r, "SET", "k", "1", "NX") == b"OK"
    assert raw(r, "SET", "k", "2", "NX") is None
    assert r.get("k") == b"1"
    assert raw(r, "SET", "k", "3", "xx") == b"OK"
    assert r.get("k") == b"3"


def test_set_get_option_returns_the_old_value(r: redis.Redis) -> None:
    assert raw(r, "SET", "k", "1", "GET") is None
    assert raw(r, "SET", "k", "2", "GET") == b"1"
    assert raw(r, "SET", "k", "3", "NX", "GET") == b"2"
    assert r.get("k") == b"2"
    assert raw(r, "SET", "new", "1", "XX", "GET") is None
    assert r.exists("new") == 0


def test_set_expiry_options(r: redis.Redis) -> None:
    now = int(time.time())
    raw(r, "SET", "ex", "v", "EX", "100")
    raw(r, "SET", "px", "v", "PX", "100000")
    raw(r, "SET", "exat", "v", "EXAT", str(now + 100))
    raw(r, "SET", "pxat", "v", "PXAT", str((now + 100) * 1000))
    for key in ("ex", "px", "exat", "pxat"):
        assert 95 <= r.ttl(key) <= 100, key
    assert raw(r, "SET", "ex", "w", "KEEPTTL") == b"OK"
    assert 95 <= r.ttl("ex") <= 100
    assert raw(r, "SET", "ex", "w") == b"OK"
    assert r.ttl("ex") == -1


def test_set_repeated_expiry_takes_the_last(r: redis.Redis) -> None:
    raw(r, "SET", "k", "v", "EX", "10", "EX", "200")
    assert 195 <= r.ttl("k") <= 200


def test_set_with_a_past_unix_time_leaves_no_key(r: redis.Redis) -> None:
    r.set("k", "old")
    assert raw(r, "SET", "k", "v", "EXAT", "1") == b"OK"
    assert r.exists("k") == 0
    assert raw(r, "SET", "k", "v", "PXAT", "1", "GET") is None
    assert r.exists("k") == 0


BAD_SETS: list[Command] = [
    ("SET", "k", "v", "NX", "XX"),
    ("SET", "k", "v", "XX", "NX"),
    ("SET", "k", "v", "EX", "10", "PX", "100"),
    ("SET", "k", "v", "KEEPTTL", "EX", "1"),
    ("SET", "k", "v", "PXAT", "1", "KEEPTTL"),
    ("SET", "k", "v", "EX"),
    ("SET", "k", "v", "EX", "0"),
    ("SET", "k", "v", "PX", "-1"),
    ("SET", "k", "v", "EX", "abc"),
    ("SET", "k", "v", "EX", "1.5"),
    ("SET", "k", "v", "EX", "9223372036854775"),
    ("SET", "k", "v", "PX", "9223372036854775807"),
    ("SET", "k", "v", "EXAT", "9223372036854776"),
    ("SET", "k", "v", "PERSIST"),
    ("SET", "k", "v", "foo"),
    ("SET", "k"),
]


def test_set_errors_match_redis_and_change_nothing(r: redis.Redis, ref: redis.Redis) -> None:
    for client in (r, ref):
        client.set("k", "orig")
    for command in BAD_SETS:
        got = reply(r, *command)
        assert got[0] == "error", command
        assert got == reply(ref, *command), command
    assert r.get("k") == b"orig"
    assert r.ttl("k") == -1
    assert error(r, "SET", "k", "v", "EX", "0") == "invalid expire time in 'set' command"


def test_setnx_setex_psetex(r: redis.Redis, ref: redis.Redis) -> None:
    assert raw(r, "SETNX", "k", "1") == 1
    assert raw(r, "SETNX", "k", "2") == 0
    assert r.get("k") == b"1"
    assert raw(r, "SETEX", "k", "100", "v") == b"OK"
    assert r.get("k") == b"v"
    assert 95 <= r.ttl("k") <= 100
    assert raw(r, "PSETEX", "k", "100000", "w") == b"OK"
    assert r.get("k") == b"w"
    assert 95_000 <= r.pttl("k") <= 100_000
    same(r, ref, [
        ("SETEX", "e", "0", "v"),
        ("SETEX", "e", "abc", "v"),
        ("SETEX", "e", "9223372036854775", "v"),
        ("PSETEX", "e", "-1", "v"),
        ("PSETEX", "e", "9223372036854775807", "v"),
        ("EXISTS", "e"),
    ])  # fmt: skip


# -- GETSET, GETDEL, GETEX -----------------------------------------------------------------


def test_getset_returns_old_value_and_clears_ttl(r: redis.Redis) -> None:
    assert raw(r, "GETSET", "k", "1") is None
    assert r.get("k") == b"1"
    raw(r, "SET", "k", "2", "EX", "100")
    assert raw(r, "GETSET", "k", "3") == b"2"
    assert r.get("k") == b"3"
    assert r.ttl("k") == -1


def test_getdel(r: redis.Redis) -> None:
    assert raw(r, "GETDEL", "k") is None
    r.set("k", "v")
    assert raw(r, "GETDEL", "k") == b"v"
    assert r.exists("k") == 0


def test_getex_changes_only_the_expiry(r: redis.Redis) -> None:
    assert raw(r, "GETEX", "missing", "EX", "10") is None
    assert r.exists("missing") == 0
    r.set("k", "v")
    assert raw(r, "GETEX", "k") == b"v"
    assert r.ttl("k") == -1
    assert raw(r, "GETEX", "k", "EX", "100") == b"v"
    assert 95 <= r.ttl("k") <= 100
    assert raw(r, "GETEX", "k", "PX", "200000") == b"v"
    assert 195 <= r.ttl("k") <= 200
    assert raw(r, "GETEX", "k", "EXAT", str(int(time.time()) + 300)) == b"v"
    assert 295 <= r.ttl("k") <= 300
    assert raw(r, "GETEX", "k", "PXAT", str(int(time.time() * 1000) + 400_000)) == b"v"
    assert 395 <= r.ttl("k") <= 400
    assert raw(r, "GETEX", "k", "PERSIST") == b"v"
    assert r.ttl("k") == -1
    assert r.get("k") == b"v"


def test_getex_with_a_past_unix_time_deletes(r: redis.Redis) -> None:
    r.set("k", "v")
    assert raw(r, "GETEX", "k", "EXAT", "1") == b"v"
    assert r.exists("k") == 0


def test_getex_errors_match_redis(r: redis.Redis, ref: redis.Redis) -> None:
    for client in (r, ref):
        client.set("k", "v")
    same(r, ref, [
        ("GETEX", "k", "PERSIST", "EX", "1"),
        ("GETEX", "k", "EX", "1", "PERSIST"),
        ("GETEX", "k", "EX", "1", "PX", "1"),
        ("GETEX", "k", "NX"),
        ("GETEX", "k", "GET"),
        ("GETEX", "k", "KEEPTTL"),
        ("GETEX", "k", "EX"),
        ("GETEX", "k", "EX", "abc"),
        ("GETEX", "k", "EX", "0"),
        ("GETEX", "k", "EX", "9223372036854775"),
        ("GETEX", "k", "PXAT", "-5"),
        ("GETEX", "missing", "EX", "abc"),
        ("TTL", "k"),
    ])  # fmt: skip
    assert error(r, "GETEX", "k", "PX", "0") == "invalid expire time in 'getex' command"


# -- MGET / MSET / MSETNX --------------------------------------------------------------------


def test_mset_mget(r: redis.Redis) -> None:
    raw(r, "SET", "a", "old", "EX", "100")
    assert raw(r, "MSET", "a", "1", "b", "2", "a", "3") == b"OK"
    assert raw(r, "MGET", "a", "b", "missing") == [b"3", b"2", None]
    assert r.ttl("a") == -1


def test_msetnx_is_all_or_nothing(r: redis.Redis) -> None:
    assert raw(r, "MSETNX", "a", "1", "b", "2") == 1
    assert raw(r, "MSETNX", "c", "3", "a", "9") == 0
    assert r.exists("c") == 0
    assert r.get("a") == b"1"
    assert raw(r, "MSETNX", "d", "1", "d", "2") == 1
    assert r.get("d") == b"2"


def test_mset_odd_arguments_are_wrong_arity(r: redis.Redis, ref: redis.Redis) -> None:
    same(r, ref, [
        ("MSET", "a"),
        ("MSET", "a", "1", "b"),
        ("MSETNX", "a", "1", "b"),
        ("EXISTS", "a"),
    ])  # fmt: skip
    assert error(r, "MSET", "a", "1", "b") == "wrong number of arguments for 'mset' command"


# -- APPEND, STRLEN, GETRANGE, SETRANGE --------------------------------------------------------


def test_append_and_strlen(r: redis.Redis) -> None:
    assert r.strlen("k") == 0
    assert r.append("k", "") == 0
    assert r.exists("k") == 1
    assert r.append("k", "foo") == 3
    assert r.append("k", b"\x00bar") == 7
    assert r.get("k") == b"foo\x00bar"
    assert r.strlen("k") == 7


def test_append_keeps_ttl_and_extends_numbers(r: redis.Redis) -> None:
    raw(r, "SET", "k", "12", "EX", "100")
    assert r.append("k", "3") == 3
    assert 95 <= r.ttl("k") <= 100
    assert r.incr("k") == 124


def test_append_past_proto_max_bulk_len(r: redis.Redis) -> None:
    r.config_set("proto-max-bulk-len", "1mb")
    try:
        r.set("k", b"x" * (1024 * 1024 - 1))
        assert r.append("k", "y") == 1024 * 1024
        assert error(r, "APPEND", "k", "z") == (
            "string exceeds maximum allowed size (proto-max-bulk-len)"
        )
        assert r.strlen("k") == 1024 * 1024
    finally:
        r.config_set("proto-max-bulk-len", "512mb")


def test_getrange_matches_redis(r: redis.Redis, ref: redis.Redis) -> None:
    ranges = [(0, -1), (-3, -1), (-1, -5), (-100, 100), (5, 3), (3, 100), (6, 7), (-1, 0),
              (0, 9223372036854775807), (-9223372036854775808, 2), (2, 2)]  # fmt: skip
    for client in (r, ref):
        client.set("k", "foobar")
        client.set("empty", "")
    commands: list[Command] = [("GETRANGE", key, a, b) for key in ("k", "empty", "missing")
                               for a, b in ranges]  # fmt: skip
    commands += [("GETRANGE", "k", "a", "1"), ("GETRANGE", "k", "0", "1.5"),
                 ("GETRANGE", "missing", "x", "1")]  # fmt: skip
    same(r, ref, commands)


def test_setrange(r: redis.Redis) -> None:
    assert r.setrange("k", 0, "") == 0
    assert r.exists("k") == 0
    assert r.setrange("k", 2, "ab") == 4
    assert r.get("k") == b"\x00\x00ab"
    assert r.setrange("k", 1, "XYZ") == 4
    assert r.get("k") == b"\x00XYZ"
    assert r.setrange("k", 6, "!") == 7
    assert r.get("k") == b"\x00XYZ\x00\x00!"
    assert r.setrange("k", 3, "") == 7
    raw(r, "SET", "t", "123", "EX", "100")
    assert r.setrange("t", 1, "9") == 3
    assert 95 <= r.ttl("t") <= 100
    assert r.incr("t") == 194


def test_setrange_errors_match_redis(r: redis.Redis, ref: redis.Redis) -> None:
    for client in (r, ref):
        client.set("k", "foo")
    same(r, ref, [
        ("SETRANGE", "k", "-1", "x"),
        ("SETRANGE", "k", "abc", "x"),
        ("SETRANGE", "k", "536870912", "x"),
        ("SETRANGE", "k", "9223372036854775807", "x"),
        ("SETRANGE", "k", "9223372036854775808", "x"),
        ("SETRANGE", "missing", "536870912", ""),
        ("SETRANGE", "missing", "-1", ""),
        ("EXISTS", "missing"),
        ("GET", "k"),
    ])  # fmt: skip
    assert error(r, "SETRANGE", "k", "-1", "x") == "offset is out of range"


# -- counters --------------------------------------------------------------------------------


def test_incr_family(r: redis.Redis) -> None:
    assert raw(r, "INCR", "c") == 1
    assert raw(r, "INCRBY", "c", "10") == 11
    assert raw(r, "DECR", "c") == 10
    assert raw(r, "DECRBY", "c", "15") == -5
    assert raw(r, "INCRBY", "c", "-5") == -10
    assert r.get("c") == b"-10"
    r.set("s", "41")
    assert raw(r, "INCR", "s") == 42
    assert r.get("s") == b"42"


def test_incr_keeps_ttl(r: redis.Redis) -> None:
    raw(r, "SET", "c", "1", "EX", "100")
    assert raw(r, "INCR", "c") == 2
    assert 95 <= r.ttl("c") <= 100
    assert raw(r, "INCRBYFLOAT", "c", "0.5") == b"2.5"
    assert 95 <= r.ttl("c") <= 100


def test_set_after_incr_replaces_the_counter(r: redis.Redis) -> None:
    raw(r, "INCRBY", "c", "5")
    r.set("c", "100")
    assert r.get("c") == b"100"
    assert raw(r, "INCR", "c") == 101
    r.delete("c")
    assert raw(r, "INCR", "c") == 1


def test_incr_errors_match_redis(r: redis.Redis, ref: redis.Redis) -> None:
    for client in (r, ref):
        client.set("max", "9223372036854775807")
        client.set("min", "-9223372036854775808")
        client.set("word", "abc")
        client.set("spaced", " 1")
        client.set("float", "1.0")
        client.set("empty", "")
        client.set("big", "9223372036854775808")
    assert error(r, "INCR", "max") == "increment or decrement would overflow"
    assert error(r, "DECRBY", "c", "-9223372036854775808") == "decrement would overflow"
    assert error(r, "INCR", "word") == "value is not an integer or out of range"
    same(r, ref, [
        ("INCR", "max"), ("DECR", "min"), ("INCRBY", "max", "1"), ("DECRBY", "min", "1"),
        ("INCRBY", "min", "-1"), ("DECRBY", "max", "-1"),
        ("DECRBY", "max", "-9223372036854775808"), ("DECRBY", "c", "-9223372036854775808"),
        ("INCRBY", "max", "-9223372036854775808"), ("INCRBY", "min", "9223372036854775807"),
        ("INCR", "word"), ("INCR", "spaced"), ("INCR", "float"), ("INCR", "empty"), ("INCR", "big"),
        ("INCRBY", "c", "abc"), ("INCRBY", "c", "1.5"), ("INCRBY", "c", " 1"), ("INCRBY", "c", "01"),
        ("INCRBY", "c", "+1"), ("INCRBY", "c", "9223372036854775808"),
        ("GET", "max"), ("GET", "min"), ("EXISTS", "c"),
    ])  # fmt: skip


# Cases where Redis's long double arithmetic and geokv's decimal arithmetic agree.
FLOAT_CASES = [("10.5", "0.1"), ("1", "-1.1"), ("5.0e3", "2.0e2"), ("0.1", "0.2"), ("1.1", "2.2"),
               ("3", "0.0000001"), ("123456789012345678", "0.5"), ("-5.5", "5.5"), ("+5", "1"),
               (".5", "1"), ("5.", "1"), ("1.0", "-1"), ("-0", "0"), ("17", "1e3"),
               ("1", "1e-4940")]  # fmt: skip


def test_incrbyfloat_matches_redis(r: redis.Redis, ref: redis.Redis) -> None:
    for base, amount in FLOAT_CASES:
        for client in (r, ref):
            client.set("f", base)
        same(r, ref, [("INCRBYFLOAT", "f", amount), ("GET", "f")])
    same(r, ref, [("INCRBYFLOAT", "new", "2.5"), ("INCRBYFLOAT", "new", "-2.5"), ("GET", "new")])


def test_incrbyfloat_reply_is_what_get_returns(r: redis.Redis) -> None:
    r.set("f", "10.50")
    assert raw(r, "INCRBYFLOAT", "f", "0.1") == b"10.6"
    assert r.get("f") == b"10.6"
    assert raw(r, "INCRBYFLOAT", "f", "-0.6") == b"10"
    assert raw(r, "INCR", "f") == 11


def test_incrbyfloat_errors_match_redis(r: redis.Redis, ref: redis.Redis) -> None:
    for client in (r, ref):
        client.set("f", "1.5")
        client.set("word", "abc")
        client.set("huge", "1e4932")
    same(r, ref, [
        ("INCRBYFLOAT", "f", "abc"), ("INCRBYFLOAT", "f", "inf"), ("INCRBYFLOAT", "f", "-inf"),
        ("INCRBYFLOAT", "f", "nan"), ("INCRBYFLOAT", "f", " 1"), ("INCRBYFLOAT", "f", "1 "),
        ("INCRBYFLOAT", "f", ""), ("INCRBYFLOAT", "f", "1e5000"), ("INCRBYFLOAT", "f", "1e-5000"),
        ("INCRBYFLOAT", "word", "1"), ("INCRBYFLOAT", "word", "abc"),
        ("INCRBYFLOAT", "huge", "1e4932"), ("GET", "f"),
    ])  # fmt: skip
    assert error(r, "INCRBYFLOAT", "f", "inf") == "increment would produce NaN or Infinity"
    assert error(r, "INCRBYFLOAT", "f", "x") == "value is not a valid float"


def test_incr_inside_multi(r: redis.Redis) -> None:
    pipe = r.pipeline(transaction=True)
    pipe.incr("c")
    pipe.incrby("c", 4)
    pipe.get("c")
    assert pipe.execute() == [1, 5, b"5"]


# -- arity ----------------------------------------------------------------------------------------

WRONG_ARITY: list[Command] = [
    ("GET",), ("GET", "a", "b"), ("SET", "k"), ("SETNX", "k"), ("SETEX", "k", "1"),
    ("PSETEX", "k", "1"), ("GETSET", "k"), ("GETDEL",), ("GETEX",), ("MGET",), ("MSET",),
    ("MSETNX",), ("APPEND", "k"), ("STRLEN",), ("GETRANGE", "k", "0"), ("SETRANGE", "k", "0"),
    ("INCR",), ("INCRBY", "k"), ("DECR", "a", "b"), ("DECRBY", "k"), ("INCRBYFLOAT", "k"),
    ("SETBIT", "k", "1"), ("GETBIT", "k"), ("BITCOUNT",), ("BITPOS", "k"), ("BITOP", "and", "d"),
]  # fmt: skip


def test_wrong_arity_matches_redis(r: redis.Redis, ref: redis.Redis) -> None:
    for command in WRONG_ARITY:
        got = reply(r, *command)
        assert got[0] == "error" and "wrong number of arguments" in got[1], command
        assert got == reply(ref, *command), command
