"""Set commands: SADD, SREM, SPOP, SMOVE, the SINTER/SUNION/SDIFF family, SSCAN and reads.

Owns their argument parsing and replies, and two helpers the other collection
types share: `parse_random_count` (SRANDMEMBER/HRANDFIELD's count), `pick`
and `unique`.
Every change is an effect op: SAdd (a new add-dot per member, so an add wins
over a concurrent remove), SRem (observed-remove of the chosen members, with
this region's version vector: SPOP records which members it popped), or a
delete followed by SAdd for value-replacing writes (*STORE, RENAME).
Must not know sockets or how ops are merged.
"""

from __future__ import annotations

import random
from collections.abc import Callable, Iterable
from typing import Any

from node import errors
from node.client import Client
from node.core import Node
from node.crdt.sets import SetValue, in_redis_order
from node.effects import NO_TTL, SAdd, SetExpire, SRem
from node.handlers.keys import parse_cursor, parse_scan_options, rewriter
from node.keyspace import Value
from node.numbers import INT64_MIN, parse_int
from node.registry import command
from node.reply import CommandError, OrderedSet

# -- helpers shared with the other collection types ---------------------------------------


def parse_random_count(raw: bytes) -> int:
    """SRANDMEMBER/HRANDFIELD's count: any integer but LLONG_MIN (negative: repeats allowed)."""
    count = parse_int(raw)
    if count is None:
        raise CommandError(errors.NOT_INTEGER)
    if count == INT64_MIN:
        raise CommandError(errors.COUNT_RANGE)
    return count


def pick(names: list[bytes], count: int) -> list[bytes]:
    """`count` distinct names (all when fewer), or -count names with repeats when negative."""
    if count < 0:
        return random.choices(names, k=-count)
    return random.sample(names, min(count, len(names)))


def unique(items: Iterable[bytes]) -> list[bytes]:
    """Arguments once each, in order (a member named twice counts once, as in Redis)."""
    return list(dict.fromkeys(items))


# -- lookups ---------------------------------------------------------------------------------


def _typed(value: Value | None) -> SetValue | None:
    if value is not None and type(value) is not SetValue:
        raise CommandError(errors.WRONGTYPE)
    return value


def read_set(node: Node, key: bytes) -> SetValue | None:
    """lookupKeyRead + checkType: counts keyspace hits and misses."""
    return _typed(node.read(key))


def write_set(node: Node, key: bytes) -> SetValue | None:
    """lookupKeyWrite + checkType: write commands do not count hits and misses."""
    return _typed(node.lookup(key))


def _remove(node: Node, key: bytes, members: list[bytes]) -> None:
    if members:
        node.write(SRem(key, tuple(members), node.observed_vv()))


def _replace(node: Node, key: bytes, members: list[bytes]) -> int:
    """A value-replacing write of a whole set: delete whatever is there, then add."""
    node.delete(key)
    if members:
        node.write(SAdd(key, tuple(members)))
    return len(members)


@rewriter(SetValue)
def _rewrite_set(
    node: Node, key: bytes, value: SetValue, expire_at: int, replaced: Value | None
) -> None:
    _replace(node, key, list(value.members))
    if expire_at != NO_TTL:
        node.write(SetExpire(key, expire_at))


# -- single-set commands ---------------------------------------------------------------------


@command("sadd")
def sadd(node: Node, client: Client, argv: list[bytes]) -> Any:
    key = argv[1]
    current = write_set(node, key)
    members = unique(argv[2:])
    added = sum(current is None or m not in current for m in members)
    # Members already present get a new dot too: this add wins over a concurrent SREM.
    node.write(SAdd(key, tuple(members)))
    return added


@command("srem")
def srem(node: Node, client: Client, argv: list[bytes]) -> Any:
    key = argv[1]
    current = write_set(node, key)
    if current is None:
        return 0
    present = [m for m in unique(argv[2:]) if m in current]
    _remove(node, key, present)
    return len(present)


@command("smembers")
def smembers(node: Node, client: Client, argv: list[bytes]) -> Any:
    current = read_set(node, argv[1])
    return OrderedSet(() if current is None else current.names())


@command("sismember")
def sismember(node: Node, client: Client, argv: list[bytes]) -> Any:
    current = read_set(node, argv[1])
    return int(current is not None and argv[2] in current)


@command("smismember")
def smismember(node: Node, client: Client, argv: list[bytes]) -> Any:
    current = read_set(node, argv[1])
    return [int(current is not None and m in current) for m in argv[2:]]


@command("scard")
def scard(node: Node, client: Client, argv: list[bytes]) -> Any:
    current = read_set(node, argv[1])
    return 0 if current is None else len(current)


@command("spop")
def spop(node: Node, client: Client, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    count = None
    if len(argv) == 3:
        count = parse_int(argv[2])
        if count is None or count < 0:
            raise CommandError(errors.NOT_POSITIVE)
    key = argv[1]
    current = write_set(node, key)
    if current is None:
        return None if count is None else OrderedSet(())
    # The op names the popped members: a pop is an observed remove of exactly them.
    chosen = pick(list(current.members), 1 if count is None else count)
    _remove(node, key, chosen)
    return chosen[0] if count is None else OrderedSet(in_redis_order(chosen))


@command("srandmember")
def srandmember(node: Node, client: Client, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    count = None if len(argv) == 2 else parse_random_count(argv[2])
    current = read_set(node, argv[1])
    if count is None:
        return None if current is None else random.choice(list(current.members))
    if current is None:
        return []
    # The whole set (count past its size) comes in the set's own order, as in Redis.
    return current.names() if count >= len(current) else pick(list(current.members), count)


@command("smove")
def smove(node: Node, client: Client, argv: list[bytes]) -> Any:
    src, dst, member = argv[1], argv[2], argv[3]
    source, target = node.lookup(src), node.lookup(dst)
    if source is None:
        return 0
    _typed(target)
    if type(source) is not SetValue:
        raise CommandError(errors.WRONGTYPE)
    if src == dst or member not in source:
        return int(member in source)
    _remove(node, src, [member])
    node.write(SAdd(dst, (member,)))
    return 1


# -- several sets ------------------------------------------------------------------------------


def _sources(node: Node, keys: list[bytes], store: bool) -> list[SetValue | None]:
    """Every source set, type-checked (all of them, even after a missing one, as Redis)."""
    get = node.lookup if store else node.read
    return [_typed(get(key)) for key in keys]


def _inter(sets: list[SetValue | None], limit: int = 0) -> list[bytes]:
    """Members of every set; stops after `limit` (0: no limit)."""
    if not sets or any(s is None for s in sets):
        return []
    present = [s for s in sets if s is not None]
    smallest, *rest = sorted(present, key=len)
    out = []
    for member in smallest.members:
        if all(member in s for s in rest):
            out.append(member)
            if len(out) == limit:
                break
    return out


def _union(sets: list[SetValue | None]) -> list[bytes]:
    return unique(m for s in sets if s is not None for m in s.members)


def _diff(sets: list[SetValue | None]) -> list[bytes]:
    first, *rest = sets
    if first is None:
        return []
    others = [s for s in rest if s is not None]
    return [m for m in first.members if not any(m in s for s in others)]


_ALGEBRA: dict[bytes, Callable[[list[SetValue | None]], list[bytes]]] = {
    b"sinter": _inter,
    b"sunion": _union,
    b"sdiff": _diff,
}


@command("sinter", "sunion", "sdiff")
def set_algebra(node: Node, client: Client, argv: list[bytes]) -> Any:
    result = _ALGEBRA[argv[0].lower()](_sources(node, argv[1:], store=False))
    return OrderedSet(in_redis_order(result))


@command("sinterstore", "sunionstore", "sdiffstore")
def set_algebra_store(node: Node, client: Client, argv: list[bytes]) -> Any:
    operation = argv[0].lower().removesuffix(b"store")
    result = _ALGEBRA[operation](_sources(node, argv[2:], store=True))
    # The destination is replaced whatever its type (as in Redis): delete, then write.
    return _replace(node, argv[1], result)


@command("sintercard")
def sintercard(node: Node, client: Client, argv: list[bytes]) -> Any:
    numkeys = parse_int(argv[1])
    if numkeys is None or numkeys <= 0:
        raise CommandError(errors.NUMKEYS_POSITIVE)
    if numkeys > len(argv) - 2:
        raise CommandError(errors.NUMKEYS_TOO_MANY)
    limit = 0
    options = argv[2 + numkeys :]
    for i in range(0, len(options), 2):
        if options[i].lower() != b"limit" or i + 1 >= len(options):
            raise CommandError(errors.SYNTAX)
        parsed = parse_int(options[i + 1])
        if parsed is None or parsed < 0:
            raise CommandError(errors.LIMIT_NEGATIVE)
        limit = parsed
    return len(_inter(_sources(node, argv[2 : 2 + numkeys], store=False), limit))


@command("sscan")
def sscan(node: Node, client: Client, argv: list[bytes]) -> Any:
    cursor = parse_cursor(argv[2])
    key = argv[1]
    current = read_set(node, key)
    if current is None:
        return [b"0", []]
    options = parse_scan_options(argv, 3, allow_type=False)
    if current.encoding() == b"intset":
        # Like Redis, a small encoding is returned whole, in one call.
        cursor, batch = 0, current.names()
    else:
        cursor, batch = node.keyspace.member_scans.walk(key, current.names, cursor, options.count)
    found = [m for m in batch if m in current and options.matches(m)]
    return [b"%d" % cursor, found]
