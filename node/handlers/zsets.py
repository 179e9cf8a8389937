"""Sorted-set writes: ZADD, ZINCRBY, ZREM, ZPOPMIN/ZPOPMAX, ZRANGESTORE, ZUNIONSTORE/ZINTERSTORE/ZDIFFSTORE.

Owns their argument parsing and replies, and RENAME's rewriter for sorted sets.
ZADD's options (NX, XX, GT, LT, CH) are decided here on the score this region
sees; the result leaves as an effect op: ZAdd (add-dot + LWW score, carrying
the increments it replaces), ZIncr (ZINCRBY, ZADD INCR: this region's
cumulative contribution, so concurrent increments add up) or ZRem (observed
remove). A destination a *STORE replaces is deleted, then written, in one record.
Must not know sockets or how ops are merged.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from typing import Any

from node import errors
from node.client import Client
from node.core import Node
from node.crdt.sets import SetValue
from node.crdt.zsets import ZsetValue
from node.effects import NO_TTL, SetExpire, ZAdd, ZIncr, ZRem
from node.handlers.keys import rewriter
from node.handlers.sets import unique
from node.handlers.zranges import parse_range, parse_score, select, with_scores, write_zset
from node.keyspace import Value
from node.numbers import parse_int
from node.registry import command
from node.reply import CommandError

# -- writing -----------------------------------------------------------------------------


def _remove(node: Node, key: bytes, zset: ZsetValue, members: Iterable[bytes]) -> None:
    node.write(ZRem(key, node.observed_vv(), tuple((m, zset.member_observed(m)) for m in members)))


def _replace(node: Node, key: bytes, scores: dict[bytes, float]) -> int:
    """A value-replacing write of a whole sorted set: delete whatever is there, then add."""
    node.delete(key)
    if scores:
        node.write(ZAdd(key, tuple((m, s, ()) for m, s in scores.items())))
    return len(scores)


@rewriter(ZsetValue)
def _rewrite_zset(
    node: Node, key: bytes, value: ZsetValue, expire_at: int, replaced: Value | None
) -> None:
    _replace(node, key, {m: s for s, m in value.items()})
    if expire_at != NO_TTL:
        node.write(SetExpire(key, expire_at))


# -- ZADD and ZINCRBY ------------------------------------------------------------------------

_ZADD_OPTIONS = (b"nx", b"xx", b"ch", b"incr", b"gt", b"lt")


def _zadd_options(argv: list[bytes], options: set[bytes]) -> list[tuple[float, bytes]]:
    """zaddGenericCommand's parsing, errors in its order; the score-member pairs."""
    i = 2
    while i < len(argv) and argv[i].lower() in _ZADD_OPTIONS:
        options.add(argv[i].lower())
        i += 1
    pairs = argv[i:]
    if not pairs or len(pairs) % 2:
        raise CommandError(errors.SYNTAX)
    if {b"nx", b"xx"} <= options:
        raise CommandError(errors.ZADD_XX_NX)
    if (b"nx" in options and options & {b"gt", b"lt"}) or {b"gt", b"lt"} <= options:
        raise CommandError(errors.ZADD_GT_LT_NX)
    if b"incr" in options and len(pairs) > 2:
        raise CommandError(errors.ZADD_INCR_PAIR)
    return [(parse_score(pairs[j]), pairs[j + 1]) for j in range(0, len(pairs), 2)]


def _blocked(options: set[bytes], score: float, current: float) -> bool:
    """GT/LT: the update is skipped unless the new score is strictly beyond the current one."""
    return (b"lt" in options and score >= current) or (b"gt" in options and score <= current)


def _zadd(node: Node, argv: list[bytes], options: set[bytes]) -> Any:
    pairs = _zadd_options(argv, options)
    key = argv[1]
    zset = write_zset(node, key)
    if b"incr" in options:
        return _zadd_incr(node, key, zset, options, *pairs[0])
    added = updated = 0
    shown: dict[bytes, float] = {}  # this command's own writes, for a member named twice
    for score, member in pairs:
        current = shown.get(member, None if zset is None else zset.score(member))
        if current is None:
            if b"xx" in options:
                continue
            added += 1
        elif b"nx" in options or _blocked(options, score, current) or score == current:
            continue
        else:
            updated += 1
        shown[member] = score
    if shown:
        seen = (lambda m: ()) if zset is None else zset.member_observed
        node.write(ZAdd(key, tuple((m, s, seen(m)) for m, s in shown.items())))
    return added + updated if b"ch" in options else added


def _zadd_incr(
    node: Node, key: bytes, zset: ZsetValue | None, options: set[bytes], by: float, member: bytes
) -> float | None:
    current = None if zset is None else zset.score(member)
    if current is None:
        if b"xx" in options:
            return None
    elif b"nx" in options:
        return None
    else:
        score = current + by
        if math.isnan(score):
            raise CommandError(errors.SCORE_NAN)
        if _blocked(options, score, current):
            return None
        if score == current:
            return current
    total, fresh = (by, True) if zset is None else zset.incr_total(member, node.region, by)
    if math.isnan(total):
        raise CommandError(errors.SCORE_NAN)
    node.write(ZIncr(key, member, total, fresh))
    written = write_zset(node, key)
    # The merged score: this region's increments are summed apart from the
    # ZADD score they follow, so in rare cases the last bit differs from Redis's.
    return None if written is None else written.score(member)


@command("zadd")
def zadd(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _zadd(node, argv, set())


@command("zincrby")
def zincrby(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _zadd(node, argv, {b"incr"})


# -- removal ---------------------------------------------------------------------------------


@command("zrem")
def zrem(node: Node, client: Client, argv: list[bytes]) -> Any:
    key = argv[1]
    zset = write_zset(node, key)
    if zset is None:
        return 0
    present = [m for m in unique(argv[2:]) if zset.score(m) is not None]
    if present:
        _remove(node, key, zset, present)
    return len(present)


def _zpop(node: Node, client: Client, argv: list[bytes], reverse: bool) -> Any:
    if len(argv) > 3:
        raise CommandError(errors.SYNTAX)
    count = 1
    if len(argv) == 3:
        parsed = parse_int(argv[2])
        if parsed is None or parsed < 0:
            raise CommandError(errors.NOT_POSITIVE)
        count = parsed
    key = argv[1]
    zset = write_zset(node, key)
    if zset is None or count == 0:
        return []
    n = len(zset)
    items = list(
        zset.index.slice(max(n - count, 0), n, reverse=True)
        if reverse
        else zset.index.slice(0, count)
    )
    _remove(node, key, zset, [m for _, m in items])
    if len(argv) == 2:
        return [items[0][1], items[0][0]]  # flat, in RESP3 too
    return with_scores(client, items)


@command("zpopmin")
def zpopmin(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _zpop(node, client, argv, reverse=False)


@command("zpopmax")
def zpopmax(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _zpop(node, client, argv, reverse=True)


# -- stores --------------------------------------------------------------------------------------


@command("zrangestore")
def zrangestore(node: Node, client: Client, argv: list[bytes]) -> Any:
    query = parse_range(argv, 2, True, None, None)
    source = node.read(argv[2])
    if source is not None and type(source) is not ZsetValue:
        raise CommandError(errors.WRONGTYPE)
    items = [] if source is None else select(source, query)
    return _replace(node, argv[1], {m: s for s, m in items})


Source = dict[bytes, float]
_AGGREGATES: dict[bytes, Callable[[float, float], float]] = {
    b"sum": lambda a, b: 0.0 if math.isnan(a + b) else a + b,  # inf + -inf is 0, as in Redis
    b"min": min,
    b"max": max,
}


def _source(value: Value | None) -> Source:
    """An input of the algebra: a sorted set, or a set whose members all score 1."""
    if value is None:
        return {}
    if type(value) is ZsetValue:
        return {m: s for s, m in value.items()}
    if type(value) is SetValue:
        return dict.fromkeys(value.names(), 1.0)
    raise CommandError(errors.WRONGTYPE)


def _algebra_args(
    node: Node, argv: list[bytes], diff: bool
) -> tuple[list[tuple[Source, float]], Callable[[float, float], float]]:
    """zunionInterDiffGenericCommand's parsing: inputs (with weights) and AGGREGATE."""
    numkeys = parse_int(argv[2])
    if numkeys is None:
        raise CommandError(errors.NOT_INTEGER)
    if numkeys < 1:
        raise CommandError(errors.needs_input_key(argv[0].lower().decode()))
    if numkeys > len(argv) - 3:
        raise CommandError(errors.SYNTAX)
    sources = [_source(node.lookup(key)) for key in argv[3 : 3 + numkeys]]
    weights = [1.0] * numkeys
    aggregate = _AGGREGATES[b"sum"]
    j = 3 + numkeys
    while j < len(argv):
        option, remaining = argv[j].lower(), len(argv) - j
        if not diff and option == b"weights" and remaining >= numkeys + 1:
            weights = [
                parse_score(raw, errors.WEIGHT_FLOAT) for raw in argv[j + 1 : j + 1 + numkeys]
            ]
            j += 1 + numkeys
        elif not diff and option == b"aggregate" and remaining >= 2:
            chosen = _AGGREGATES.get(argv[j + 1].lower())
            if chosen is None:
                raise CommandError(errors.SYNTAX)
            aggregate = chosen
            j += 2
        else:
            raise CommandError(errors.SYNTAX)
    return list(zip(sources, weights, strict=True)), aggregate


def _weighted(score: float, weight: float) -> float:
    value = score * weight
    return 0.0 if math.isnan(value) else value


def _union(
    inputs: list[tuple[Source, float]], aggregate: Callable[[float, float], float]
) -> Source:
    out: Source = {}
    # Redis adds the inputs smallest first; float sums depend on the order.
    for source, weight in sorted(inputs, key=lambda item: len(item[0])):
        for member, score in source.items():
            value = _weighted(score, weight)
            out[member] = value if member not in out else aggregate(out[member], value)
    return out


def _inter(
    inputs: list[tuple[Source, float]], aggregate: Callable[[float, float], float]
) -> Source:
    ordered = sorted(inputs, key=lambda item: len(item[0]))
    (first, first_weight), rest = ordered[0], ordered[1:]
    out: Source = {}
    for member, score in first.items():
        value = _weighted(score, first_weight)
        if all(member in source for source, _ in rest):
            for source, weight in rest:
                value = aggregate(value, source[member] * weight)
            out[member] = value
    return out


def _diff(inputs: list[tuple[Source, float]]) -> Source:
    first, rest = inputs[0][0], [source for source, _ in inputs[1:]]
    return {m: s for m, s in first.items() if not any(m in source for source in rest)}


@command("zunionstore", "zinterstore", "zdiffstore")
def zalgebra_store(node: Node, client: Client, argv: list[bytes]) -> Any:
    name = argv[0].lower()
    inputs, aggregate = _algebra_args(node, argv, diff=name == b"zdiffstore")
    if name == b"zunionstore":
        result = _union(inputs, aggregate)
    elif name == b"zinterstore":
        result = _inter(inputs, aggregate)
    else:
        result = _diff(inputs)
    return _replace(node, argv[1], result)
