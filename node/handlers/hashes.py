"""Hash commands: HSET family, HGET family, HDEL, HINCRBY/HINCRBYFLOAT, HRANDFIELD, HSCAN.

Owns their argument parsing and replies. Every change is an effect op:
HSet (LWW write of fields, carrying the counter contributions it replaced),
HIncr (this region's cumulative contribution to a field's counter), HDel
(observed-remove of fields, with this region's version vector and the field
counters it saw), or a delete followed by HSet for RENAME.
Must not know sockets or how ops are merged.
"""

from __future__ import annotations

import random
from decimal import Decimal
from typing import Any

from node import errors
from node.client import Client
from node.core import Node
from node.crdt.hashes import HashValue
from node.effects import NO_TTL, HDel, HIncr, HSet, SetExpire
from node.handlers.keys import parse_cursor, parse_scan_options, rewriter
from node.handlers.sets import parse_random_count, pick, unique
from node.keyspace import Value
from node.numbers import INT64_MAX, INT64_MIN, LDBL_MAX, parse_decimal, parse_int
from node.registry import command
from node.reply import OK, CommandError

# HRANDFIELD WITHVALUES refuses counts past LONG_MAX/2 (the reply would hold twice as many).
_WITHVALUES_MAX = INT64_MAX // 2


def _typed(value: Value | None) -> HashValue | None:
    if value is not None and type(value) is not HashValue:
        raise CommandError(errors.WRONGTYPE)
    return value


def read_hash(node: Node, key: bytes) -> HashValue | None:
    """lookupKeyRead + checkType: counts keyspace hits and misses."""
    return _typed(node.read(key))


def write_hash(node: Node, key: bytes) -> HashValue | None:
    """lookupKeyWrite + checkType: write commands do not count hits and misses."""
    return _typed(node.lookup(key))


def _write(node: Node, key: bytes, current: HashValue | None, pairs: dict[bytes, bytes]) -> int:
    """HSET the pairs; returns how many fields are new. Increments of a replaced
    field that this region had seen are absorbed into the write."""
    observed = []
    new = 0
    for name in pairs:
        field = None if current is None else current.fields.get(name)
        if field is None:
            new += 1
        elif seen := field.value.observed():
            observed.append((name, seen))
    node.write(HSet(key, tuple(pairs.items()), tuple(observed)))
    return new


@rewriter(HashValue)
def _rewrite_hash(
    node: Node, key: bytes, value: HashValue, expire_at: int, replaced: Value | None
) -> None:
    node.delete(key)
    node.write(HSet(key, tuple(value.items())))
    if expire_at != NO_TTL:
        node.write(SetExpire(key, expire_at))


# -- writes ------------------------------------------------------------------------------------


def _pairs(argv: list[bytes]) -> dict[bytes, bytes]:
    if len(argv) % 2:
        raise CommandError(errors.wrong_arity(argv[0].lower().decode()))
    # A field named twice: the last value wins, and it counts once (as in Redis).
    return dict(zip(argv[2::2], argv[3::2], strict=True))


@command("hset")
def hset(node: Node, client: Client, argv: list[bytes]) -> Any:
    pairs = _pairs(argv)
    return _write(node, argv[1], write_hash(node, argv[1]), pairs)


@command("hmset")
def hmset(node: Node, client: Client, argv: list[bytes]) -> Any:
    hset(node, client, argv)
    return OK


@command("hsetnx")
def hsetnx(node: Node, client: Client, argv: list[bytes]) -> Any:
    key, name = argv[1], argv[2]
    current = write_hash(node, key)
    if current is not None and current.get(name) is not None:
        return 0
    return _write(node, key, current, {name: argv[3]})


@command("hdel")
def hdel(node: Node, client: Client, argv: list[bytes]) -> Any:
    key = argv[1]
    current = write_hash(node, key)
    if current is None:
        return 0
    present = [name for name in unique(argv[2:]) if name in current.fields]
    if present:
        seen = tuple(
            (name, obs) for name in present if (obs := current.fields[name].value.observed())
        )
        node.write(HDel(key, tuple(present), node.observed_vv(), seen))
    return len(present)


def _own_total(node: Node, key: bytes, name: bytes) -> int | Decimal | None:
    """This region's cumulative contribution to a field's counter, tombstones
    included (as strings do: peers measure later increments against it)."""
    value = node.keyspace.typed(key, HashValue)
    field = None if value is None else (value.fields.get(name) or value.gone.get(name))
    if field is None or field.value.counter is None:
        return None
    return field.value.counter.own_total(node.region)


def _add_contribution(node: Node, key: bytes, name: bytes, amount: int | Decimal) -> None:
    own = _own_total(node, key, name)
    node.write(HIncr(key, name, amount if own is None else own + amount, fresh=own is None))


@command("hincrby")
def hincrby(node: Node, client: Client, argv: list[bytes]) -> Any:
    key, name = argv[1], argv[2]
    amount = parse_int(argv[3])
    if amount is None:
        raise CommandError(errors.NOT_INTEGER)
    current = write_hash(node, key)
    data = None if current is None else current.get(name)
    value = 0 if data is None else parse_int(data)
    if value is None:
        raise CommandError(errors.HASH_NOT_INTEGER)
    result = value + amount
    if not INT64_MIN <= result <= INT64_MAX:
        raise CommandError(errors.OVERFLOW)
    _add_contribution(node, key, name, amount)
    return result


@command("hincrbyfloat")
def hincrbyfloat(node: Node, client: Client, argv: list[bytes]) -> Any:
    """Decimal arithmetic, as INCRBYFLOAT (see node.handlers.strings): regions add
    contributions up to the same digits everywhere."""
    key, name = argv[1], argv[2]
    amount = parse_decimal(argv[3])
    if amount is None:
        raise CommandError(errors.NOT_FLOAT)
    if not amount.is_finite():
        raise CommandError(errors.HASH_INCR_NAN)
    current = write_hash(node, key)
    data = None if current is None else current.get(name)
    value = Decimal(0) if data is None else parse_decimal(data)
    if value is None:
        raise CommandError(errors.HASH_NOT_FLOAT)
    result = value + amount
    if not result.is_finite() or abs(result) > LDBL_MAX:
        raise CommandError(errors.NAN_OR_INF)
    _add_contribution(node, key, name, amount)
    # Answer what HGET will answer: the merged value as the CRDT formats it.
    merged = write_hash(node, key)
    assert merged is not None
    return merged.get(name)


# -- reads -------------------------------------------------------------------------------------


@command("hget")
def hget(node: Node, client: Client, argv: list[bytes]) -> Any:
    current = read_hash(node, argv[1])
    return None if current is None else current.get(argv[2])


@command("hmget")
def hmget(node: Node, client: Client, argv: list[bytes]) -> Any:
    current = read_hash(node, argv[1])
    return [None if current is None else current.get(name) for name in argv[2:]]


@command("hgetall")
def hgetall(node: Node, client: Client, argv: list[bytes]) -> Any:
    current = read_hash(node, argv[1])
    return {} if current is None else dict(current.items())


@command("hkeys")
def hkeys(node: Node, client: Client, argv: list[bytes]) -> Any:
    current = read_hash(node, argv[1])
    return [] if current is None else list(current.fields)


@command("hvals")
def hvals(node: Node, client: Client, argv: list[bytes]) -> Any:
    current = read_hash(node, argv[1])
    return [] if current is None else [data for _, data in current.items()]


@command("hlen")
def hlen(node: Node, client: Client, argv: list[bytes]) -> Any:
    current = read_hash(node, argv[1])
    return 0 if current is None else len(current)


@command("hexists")
def hexists(node: Node, client: Client, argv: list[bytes]) -> Any:
    current = read_hash(node, argv[1])
    return int(current is not None and argv[2] in current.fields)


@command("hstrlen")
def hstrlen(node: Node, client: Client, argv: list[bytes]) -> Any:
    current = read_hash(node, argv[1])
    data = None if current is None else current.get(argv[2])
    return 0 if data is None else len(data)


@command("hrandfield")
def hrandfield(node: Node, client: Client, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        current = read_hash(node, argv[1])
        return None if current is None else random.choice(list(current.fields))
    count = parse_random_count(argv[2])
    if len(argv) > 4 or (len(argv) == 4 and argv[3].lower() != b"withvalues"):
        raise CommandError(errors.SYNTAX)
    withvalues = len(argv) == 4
    if withvalues and abs(count) > _WITHVALUES_MAX:
        raise CommandError(errors.OUT_OF_RANGE)
    current = read_hash(node, argv[1])
    if current is None:
        return []
    names = pick(list(current.fields), count)
    if not withvalues:
        return names
    # RESP3 replies pairs; reply.py flattens nothing, so RESP2 gets the flat form here.
    return _pairs_reply(client, [(name, current.get(name)) for name in names])


def _pairs_reply(client: Client, pairs: list[tuple[bytes, bytes | None]]) -> list[Any]:
    if client.resp == 3:
        return [list(pair) for pair in pairs]
    return [item for pair in pairs for item in pair]


@command("hscan")
def hscan(node: Node, client: Client, argv: list[bytes]) -> Any:
    cursor = parse_cursor(argv[2])
    key = argv[1]
    current = read_hash(node, key)
    if current is None:
        return [b"0", []]
    options = parse_scan_options(argv, 3, allow_type=False)
    if current.encoding() == b"listpack":
        # Like Redis, a small encoding is returned whole, in one call.
        cursor, batch = 0, list(current.fields)
    else:
        fields = current.fields
        cursor, batch = node.keyspace.member_scans.walk(
            key, lambda: list(fields), cursor, options.count
        )
    found: list[bytes] = []
    for name in batch:
        data = current.get(name)
        if data is not None and options.matches(name):
            found += (name, data)
    return [b"%d" % cursor, found]
