"""Sorted-set reads: ZSCORE, ZMSCORE, ZCARD, ZCOUNT, ZLEXCOUNT, ZRANK, the ZRANGE family, ZRANDMEMBER, ZSCAN.

Owns their argument parsing (scores, score and lex ranges, ZRANGE's options,
shared with ZRANGESTORE and ZADD in node/handlers/zsets.py) and their replies
in Redis 7.0's shapes: WITHSCORES pairs are nested in RESP3, flat in RESP2.
Ranges walk the value's ordered index, never sort. Must not know how ops are merged.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from node import errors
from node.client import Client
from node.core import Node
from node.crdt.zindex import LexBound, ScoreBound
from node.crdt.zsets import ZsetValue
from node.handlers.keys import parse_cursor, parse_scan_options
from node.handlers.sets import parse_random_count, pick
from node.keyspace import Value
from node.numbers import format_double, parse_float, parse_int
from node.registry import command
from node.reply import CommandError

Scored = list[tuple[float, bytes]]
_HALF_LONG = (2**63 - 1) // 2

# -- lookups and parsing shared with the write commands -----------------------------------


def _typed(value: Value | None) -> ZsetValue | None:
    if value is not None and type(value) is not ZsetValue:
        raise CommandError(errors.WRONGTYPE)
    return value


def read_zset(node: Node, key: bytes) -> ZsetValue | None:
    """lookupKeyRead + checkType: counts keyspace hits and misses."""
    return _typed(node.read(key))


def write_zset(node: Node, key: bytes) -> ZsetValue | None:
    """lookupKeyWrite + checkType."""
    return _typed(node.lookup(key))


def parse_score(raw: bytes, message: str = errors.NOT_FLOAT) -> float:
    """getDoubleFromObject: a whole number, no NaN, and (strtod's ERANGE) no overflow
    to infinity or underflow to zero of a number that is neither."""
    value = parse_float(raw)
    if value is None or (math.isinf(value) and b"inf" not in raw.lower()):
        raise CommandError(message)
    if value == 0 and _nonzero(raw):
        raise CommandError(message)
    return value


def _nonzero(raw: bytes) -> bool:
    try:
        return Decimal(raw.decode("ascii")) != 0
    except (InvalidOperation, UnicodeDecodeError):
        return False


def _range_float(raw: bytes) -> float | None:
    """zslParseRange's strtod: leading blanks pass, nothing after the number, no NaN;
    an empty string converts nothing and reads as 0, as in Redis."""
    if not raw:
        return 0.0
    if raw[-1:].isspace() or b"_" in raw:
        return None
    try:
        value = float(raw)
    except ValueError:
        return None
    return None if math.isnan(value) else value


def parse_score_range(raw_min: bytes, raw_max: bytes) -> tuple[ScoreBound, ScoreBound]:
    bounds = []
    for raw in (raw_min, raw_max):
        exclusive = raw[:1] == b"("
        value = _range_float(raw[1:] if exclusive else raw)
        if value is None:
            raise CommandError(errors.MIN_MAX_FLOAT)
        bounds.append(ScoreBound(value, exclusive))
    return bounds[0], bounds[1]


def parse_lex_range(raw_min: bytes, raw_max: bytes) -> tuple[LexBound, LexBound] | None:
    """Bounds '-', '+', '[member', '(member'; None when the range is empty by
    construction ('+' as the minimum or '-' as the maximum)."""
    lo, lo_top = _lex_item(raw_min)
    hi, hi_top = _lex_item(raw_max)
    if (lo.value is None and lo_top) or (hi.value is None and not hi_top):
        return None
    return lo, hi


def _lex_item(raw: bytes) -> tuple[LexBound, bool]:
    if raw in (b"+", b"-"):
        return LexBound(None), raw == b"+"
    if raw[:1] in (b"(", b"["):
        return LexBound(raw[1:], raw[:1] == b"("), False
    raise CommandError(errors.MIN_MAX_LEX)


def _int(raw: bytes) -> int:
    value = parse_int(raw)
    if value is None:
        raise CommandError(errors.NOT_INTEGER)
    return value


def with_scores(client: Client, items: Scored) -> list[Any]:
    """Member-score pairs: nested in RESP3, flat in RESP2 (scores as doubles either way)."""
    if client.resp == 3:
        return [[member, score] for score, member in items]
    return [part for score, member in items for part in (member, score)]


# -- the ZRANGE family --------------------------------------------------------------------------


@dataclass(slots=True)
class RangeQuery:
    kind: str  # "rank", "score" or "lex"
    reverse: bool
    withscores: bool
    start: int = 0
    stop: int = 0
    scores: tuple[ScoreBound, ScoreBound] | None = None
    lex: tuple[LexBound, LexBound] | None = None
    offset: int = 0
    limit: int = -1


def parse_range(
    argv: list[bytes], at: int, store: bool, kind: str | None, reverse: bool | None
) -> RangeQuery:
    """zrangeGenericCommand's parsing: argv[at] is the source key, then min, max, options.
    `kind`/`reverse` are fixed by the legacy commands, None for ZRANGE/ZRANGESTORE."""
    withscores, offset, limit = False, 0, -1
    j = at + 3
    while j < len(argv):
        option = argv[j].lower()
        if not store and option == b"withscores":
            withscores = True
        elif option == b"limit" and len(argv) - j - 1 >= 2:
            offset, limit = _int(argv[j + 1]), _int(argv[j + 2])
            j += 2
        elif reverse is None and option == b"rev":
            reverse = True
        elif kind is None and option in (b"bylex", b"byscore"):
            kind = "lex" if option == b"bylex" else "score"
        else:
            raise CommandError(errors.SYNTAX)
        j += 1
    kind = kind or "rank"
    if limit != -1 and kind == "rank":
        raise CommandError(errors.LIMIT_NEEDS_BY)
    if withscores and kind == "lex":
        raise CommandError(errors.WITHSCORES_BYLEX)
    query = RangeQuery(kind, bool(reverse), withscores, offset=offset, limit=limit)
    lo, hi = argv[at + 1], argv[at + 2]
    if query.reverse and kind != "rank":
        lo, hi = hi, lo  # given as max, min
    if kind == "rank":
        query.start, query.stop = _int(lo), _int(hi)
    elif kind == "score":
        query.scores = parse_score_range(lo, hi)
    else:
        query.lex = parse_lex_range(lo, hi)
    return query


def select(zset: ZsetValue, query: RangeQuery) -> Scored:
    """The (score, member) items a query names, in reply order."""
    index = zset.index
    n = len(index)
    if query.kind == "rank":
        start = query.start + n if query.start < 0 else query.start
        stop = query.stop + n if query.stop < 0 else query.stop
        start = max(start, 0)
        if start > stop or start >= n:
            return []
        stop = min(stop, n - 1)
        if query.reverse:
            return list(index.slice(n - 1 - stop, n - start, reverse=True))
        return list(index.slice(start, stop + 1))
    if query.kind == "score":
        assert query.scores is not None
        first, end = index.score_span(*query.scores)
    elif query.lex is None:
        return []
    else:
        first, end = index.lex_span(*query.lex)
    offset, limit = query.offset, query.limit
    if offset < 0 or offset >= end - first:
        return []
    count = end - first - offset if limit < 0 else min(limit, end - first - offset)
    if query.reverse:
        return list(index.slice(end - offset - count, end - offset, reverse=True))
    return list(index.slice(first + offset, first + offset + count))


def _zrange(
    node: Node, client: Client, argv: list[bytes], kind: str | None, rev: bool | None
) -> Any:
    query = parse_range(argv, 1, False, kind, rev)
    zset = read_zset(node, argv[1])
    items = [] if zset is None else select(zset, query)
    return with_scores(client, items) if query.withscores else [m for _, m in items]


@command("zrange")
def zrange(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _zrange(node, client, argv, None, None)


@command("zrevrange")
def zrevrange(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _zrange(node, client, argv, "rank", True)


@command("zrangebyscore")
def zrangebyscore(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _zrange(node, client, argv, "score", False)


@command("zrevrangebyscore")
def zrevrangebyscore(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _zrange(node, client, argv, "score", True)


@command("zrangebylex")
def zrangebylex(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _zrange(node, client, argv, "lex", False)


@command("zrevrangebylex")
def zrevrangebylex(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _zrange(node, client, argv, "lex", True)


# -- single reads ---------------------------------------------------------------------------------


@command("zscore")
def zscore(node: Node, client: Client, argv: list[bytes]) -> Any:
    zset = read_zset(node, argv[1])
    return None if zset is None else zset.score(argv[2])


@command("zmscore")
def zmscore(node: Node, client: Client, argv: list[bytes]) -> Any:
    zset = read_zset(node, argv[1])
    return [None if zset is None else zset.score(member) for member in argv[2:]]


@command("zcard")
def zcard(node: Node, client: Client, argv: list[bytes]) -> Any:
    zset = read_zset(node, argv[1])
    return 0 if zset is None else len(zset)


@command("zcount")
def zcount(node: Node, client: Client, argv: list[bytes]) -> Any:
    bounds = parse_score_range(argv[2], argv[3])
    zset = read_zset(node, argv[1])
    if zset is None:
        return 0
    first, end = zset.index.score_span(*bounds)
    return end - first


@command("zlexcount")
def zlexcount(node: Node, client: Client, argv: list[bytes]) -> Any:
    bounds = parse_lex_range(argv[2], argv[3])
    zset = read_zset(node, argv[1])
    if zset is None or bounds is None:
        return 0
    first, end = zset.index.lex_span(*bounds)
    return end - first


@command("zrank", "zrevrank")
def zrank(node: Node, client: Client, argv: list[bytes]) -> Any:
    zset = read_zset(node, argv[1])
    rank = None if zset is None else zset.rank(argv[2])
    if rank is None or argv[0].lower() == b"zrank":
        return rank
    assert zset is not None
    return len(zset) - 1 - rank


@command("zrandmember")
def zrandmember(node: Node, client: Client, argv: list[bytes]) -> Any:
    if len(argv) == 2:
        zset = read_zset(node, argv[1])
        return (
            None if zset is None or not len(zset) else zset.index.at(random.randrange(len(zset)))[1]
        )
    count = parse_random_count(argv[2])
    withscores = len(argv) == 4
    if len(argv) > 4 or (withscores and argv[3].lower() != b"withscores"):
        raise CommandError(errors.SYNTAX)
    if withscores and abs(count) > _HALF_LONG:
        raise CommandError(errors.OUT_OF_RANGE)  # LONG_MAX/2: the reply would have 2*count entries
    zset = read_zset(node, argv[1])
    if zset is None:
        return []
    chosen = pick(list(zset.shown), count)
    if not withscores:
        return chosen
    return with_scores(client, [(zset.shown[m], m) for m in chosen])


@command("zscan")
def zscan(node: Node, client: Client, argv: list[bytes]) -> Any:
    cursor = parse_cursor(argv[2])
    key = argv[1]
    zset = read_zset(node, key)
    if zset is None:
        return [b"0", []]
    options = parse_scan_options(argv, 3, allow_type=False)
    if zset.encoding() == b"listpack":
        # Like Redis, a small encoding is returned whole, in one call.
        cursor, batch = 0, [m for _, m in zset.items()]
    else:
        cursor, batch = node.keyspace.member_scans.walk(
            key, lambda: [m for _, m in zset.items()], cursor, options.count
        )
    found = []
    for member in batch:
        score = zset.score(member)
        if score is not None and options.matches(member):
            found += [member, format_double(score)]
    return [b"%d" % cursor, found]
