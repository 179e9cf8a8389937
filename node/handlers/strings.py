"""String and counter commands: GET/SET family, MGET/MSET, APPEND, ranges, INCR family.

Owns their argument parsing and replies, and the helpers the bit commands
(`node.handlers.bits`) share with them. Every change is an effect op:
SetStr (LWW register, carrying the counter contributions it replaces),
IncrStr (this region's cumulative counter contribution), SetExpire, or an
observed-remove delete. Must not know sockets or how ops are merged.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from node.client import Client
from node.core import Node
from node.crdt.strings import StrValue
from node.effects import KEEP_TTL, NO_TTL, IncrStr, SetExpire, SetStr
from node.errors import (
    DECREMENT_OVERFLOW,
    NAN_OR_INF,
    NOT_FLOAT,
    NOT_INTEGER,
    OFFSET_RANGE,
    OVERFLOW,
    STRING_TOO_LONG,
    SYNTAX,
    WRONGTYPE,
    invalid_expire,
    wrong_arity,
)
from node.keyspace import Value
from node.numbers import INT64_MAX, INT64_MIN, LDBL_MAX, parse_decimal, parse_int
from node.registry import command
from node.reply import OK, CommandError

_SECONDS_UNITS = (b"ex", b"exat")
_RELATIVE_UNITS = (b"ex", b"px")
_UNITS = (b"ex", b"px", b"exat", b"pxat")

# -- helpers shared with the bit commands -------------------------------------------


def lookup_str(node: Node, key: bytes) -> StrValue | None:
    """Redis's lookupKeyWrite + checkType: write commands do not count hits and misses."""
    value = node.lookup(key)
    if value is not None and type(value) is not StrValue:
        raise CommandError(WRONGTYPE)
    return value


def visible(value: StrValue | None) -> bytes:
    """The bytes a client sees; a missing key reads as the empty string."""
    if value is None:
        return b""
    return value.get() or b""


def replace(node: Node, key: bytes, data: bytes, expire_at: int, current: Value | None) -> None:
    """Replace a key's value; increments this write has seen are absorbed into it,
    and so are the expiry entries it has seen, unless it keeps the TTL.

    As Redis's setKey replaces a value of any type, a key also holding a value of
    another type (shown, or hidden by a type conflict) is deleted first in the
    same record: what the write saw of it must not come back when a concurrent
    write of that type wins the key later."""
    if _holds_another_type(node, key, current):
        if expire_at == KEEP_TTL:
            kept = node.keyspace.ttl_ms(key)
            expire_at = NO_TTL if kept is None else kept
        node.delete(key)
        current = None
    observed = () if current is None else current.observed()
    seen = () if expire_at == KEEP_TTL else node.keyspace.expiry_seen(key)
    node.write(SetStr(key, data, expire_at, observed, seen))


def _holds_another_type(node: Node, key: bytes, current: Value | None) -> bool:
    if current is not None and type(current) is not StrValue:
        return True
    hidden = node.keyspace.others.get(key)
    return hidden is not None and any(
        type(value) is not StrValue and value.visible() for value in hidden.values()
    )


def check_length(node: Node, size: int) -> None:
    if size > node.config["proto-max-bulk-len"]:
        raise CommandError(STRING_TOO_LONG)


def parse_integer(raw: bytes, error: str = NOT_INTEGER) -> int:
    value = parse_int(raw)
    if value is None:
        raise CommandError(error)
    return value


def clamp_range(start: int, end: int, length: int) -> tuple[int, int]:
    """Redis's index normalisation for GETRANGE/BITCOUNT/BITPOS: negatives count from the end."""
    if start < 0:
        start += length
    if end < 0:
        end += length
    start = max(start, 0)
    end = min(max(end, 0), length - 1)
    return start, end


# -- SET family ----------------------------------------------------------------------


@dataclass(slots=True)
class _Options:
    """SET/GETEX options, as parseExtendedStringArgumentsOrReply collects them."""

    nx: bool = False
    xx: bool = False
    get: bool = False
    keepttl: bool = False
    persist: bool = False
    unit: bytes = b""
    expire: bytes = b""


def _parse_options(argv: list[bytes], is_set: bool) -> _Options:
    """Options after SET key value / GETEX key; conflicting ones are a syntax error."""
    opts = _Options()
    i = 3 if is_set else 2
    while i < len(argv):
        word = argv[i].lower()
        has_next = i + 1 < len(argv)
        if word == b"nx" and is_set and not opts.xx:
            opts.nx = True
        elif word == b"xx" and is_set and not opts.nx:
            opts.xx = True
        elif word == b"get" and is_set:
            opts.get = True
        elif word == b"keepttl" and is_set and not opts.unit:
            opts.keepttl = True
        elif word == b"persist" and not is_set and not opts.unit:
            opts.persist = True
        elif (
            word in _UNITS
            and opts.unit in (b"", word)
            and not opts.keepttl
            and not opts.persist
            and has_next
        ):
            opts.unit, opts.expire = word, argv[i + 1]
            i += 1
        else:
            raise CommandError(SYNTAX)
        i += 1
    return opts


def _expire_at(node: Node, raw: bytes, unit: bytes, name: str) -> int:
    """An expiry argument as absolute ms; Redis rejects <= 0 and int64 overflow."""
    amount = parse_integer(raw)
    seconds = unit in _SECONDS_UNITS
    if amount <= 0 or (seconds and amount > INT64_MAX // 1000):
        raise CommandError(invalid_expire(name))
    when = amount * 1000 if seconds else amount
    if unit in _RELATIVE_UNITS:
        when += node.now_ms
    if when > INT64_MAX:
        raise CommandError(invalid_expire(name))
    return when


def _set(
    node: Node,
    key: bytes,
    data: bytes,
    expire_at: int = NO_TTL,
    opts: _Options | None = None,
) -> tuple[bool, bytes | None]:
    """setGenericCommand: (whether it wrote, the old value when GET was asked)."""
    opts = opts or _Options()
    old = None
    if opts.get:
        string = node.read_str(key)
        old = None if string is None else string.get()
    current = node.lookup(key)
    found = current is not None
    if (opts.nx and found) or (opts.xx and not found):
        return False, old
    if expire_at >= 0 and expire_at <= node.now_ms:
        # EXAT/PXAT in the past: Redis stores the key already expired; deleting
        # is the same to every reader and ships one delete instead of a dead value.
        node.delete(key)
    else:
        replace(node, key, data, expire_at, current)
    return True, old


@command("set")
def set_(node: Node, client: Client, argv: list[bytes]) -> Any:
    if len(argv) == 3:  # the common SET key value: no options to parse or check
        replace(node, argv[1], argv[2], NO_TTL, node.lookup(argv[1]))
        return OK
    opts = _parse_options(argv, is_set=True)
    expire_at = KEEP_TTL if opts.keepttl else NO_TTL
    if opts.unit:
        expire_at = _expire_at(node, opts.expire, opts.unit, "set")
    done, old = _set(node, argv[1], argv[2], expire_at, opts)
    if opts.get:
        return old
    return OK if done else None


@command("setnx")
def setnx(node: Node, client: Client, argv: list[bytes]) -> Any:
    done, _ = _set(node, argv[1], argv[2], opts=_Options(nx=True))
    return int(done)


@command("setex", "psetex")
def setex(node: Node, client: Client, argv: list[bytes]) -> Any:
    name = argv[0].lower().decode()
    unit = b"ex" if name == "setex" else b"px"
    _set(node, argv[1], argv[3], _expire_at(node, argv[2], unit, name))
    return OK


@command("get")
def get(node: Node, client: Client, argv: list[bytes]) -> Any:
    value = node.read_str(argv[1])
    return None if value is None else value.get()


@command("getset")
def getset(node: Node, client: Client, argv: list[bytes]) -> Any:
    current = node.read_str(argv[1])
    old = None if current is None else current.get()
    replace(node, argv[1], argv[2], NO_TTL, current)
    return old


@command("getdel")
def getdel(node: Node, client: Client, argv: list[bytes]) -> Any:
    current = node.read_str(argv[1])
    if current is None:
        return None
    old = current.get()
    node.delete(argv[1])
    return old


@command("getex")
def getex(node: Node, client: Client, argv: list[bytes]) -> Any:
    key = argv[1]
    opts = _parse_options(argv, is_set=False)
    current = node.read_str(key)
    if current is None:
        return None
    when = _expire_at(node, opts.expire, opts.unit, "getex") if opts.unit else NO_TTL
    old = current.get()
    if opts.unit and when <= node.now_ms:
        node.delete(key)
    elif opts.unit:
        node.write(SetExpire(key, when, node.keyspace.expiry_seen(key)))
    elif opts.persist and node.keyspace.ttl_ms(key) is not None:
        node.write(SetExpire(key, NO_TTL, node.keyspace.expiry_seen(key)))
    return old


# -- multi-key ---------------------------------------------------------------------------


@command("mget")
def mget(node: Node, client: Client, argv: list[bytes]) -> Any:
    replies: list[bytes | None] = []
    for key in argv[1:]:
        # MGET answers nil for other types instead of WRONGTYPE.
        value = node.read(key)
        replies.append(value.get() if type(value) is StrValue else None)
    return replies


def _pairs(argv: list[bytes]) -> list[tuple[bytes, bytes]]:
    if len(argv) % 2 == 0:
        raise CommandError(wrong_arity(argv[0].lower().decode()))
    return list(zip(argv[1::2], argv[2::2], strict=True))


@command("mset")
def mset(node: Node, client: Client, argv: list[bytes]) -> Any:
    for key, data in _pairs(argv):
        replace(node, key, data, NO_TTL, node.lookup(key))
    return OK


@command("msetnx")
def msetnx(node: Node, client: Client, argv: list[bytes]) -> Any:
    pairs = _pairs(argv)
    if any(node.lookup(key) is not None for key, _ in pairs):
        return 0
    for key, data in pairs:
        replace(node, key, data, NO_TTL, node.lookup(key))
    return 1


# -- APPEND, STRLEN, ranges ---------------------------------------------------------------


@command("append")
def append(node: Node, client: Client, argv: list[bytes]) -> Any:
    key, suffix = argv[1], argv[2]
    current = lookup_str(node, key)
    data = suffix
    if current is not None:
        old = visible(current)
        check_length(node, len(old) + len(suffix))
        data = old + suffix
    replace(node, key, data, KEEP_TTL, current)
    return len(data)


@command("strlen")
def strlen(node: Node, client: Client, argv: list[bytes]) -> Any:
    return len(visible(node.read_str(argv[1])))


@command("getrange")
def getrange(node: Node, client: Client, argv: list[bytes]) -> Any:
    start, end = parse_integer(argv[2]), parse_integer(argv[3])
    data = visible(node.read_str(argv[1]))
    if start < 0 and end < 0 and start > end:
        return b""
    start, end = clamp_range(start, end, len(data))
    return data[start : end + 1] if start <= end else b""


@command("setrange")
def setrange(node: Node, client: Client, argv: list[bytes]) -> Any:
    key, patch = argv[1], argv[3]
    offset = parse_integer(argv[2])
    if offset < 0:
        raise CommandError(OFFSET_RANGE)
    current = lookup_str(node, key)
    old = visible(current)
    if not patch:
        # Setting nothing creates nothing and changes nothing.
        return len(old)
    check_length(node, offset + len(patch))
    data = bytearray(old)
    if len(data) < offset:
        data.extend(bytes(offset - len(data)))
    data[offset : offset + len(patch)] = patch
    replace(node, key, bytes(data), KEEP_TTL, current)
    return len(data)


# -- counters ------------------------------------------------------------------------------


def _add_contribution(node: Node, key: bytes, amount: int | Decimal) -> None:
    own = node.keyspace.own_total(key)
    node.write(IncrStr(key, amount if own is None else own + amount, fresh=own is None))


def _incr_by(node: Node, key: bytes, amount: int) -> int:
    """incrDecrCommand: add to this region's contribution, so concurrent INCRs all count."""
    current = lookup_str(node, key)
    value = 0 if current is None else parse_integer(visible(current))
    result = value + amount
    if result < INT64_MIN or result > INT64_MAX:
        raise CommandError(OVERFLOW)
    _add_contribution(node, key, amount)
    return result


@command("incr")
def incr(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _incr_by(node, argv[1], 1)


@command("decr")
def decr(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _incr_by(node, argv[1], -1)


@command("incrby")
def incrby(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _incr_by(node, argv[1], parse_integer(argv[2]))


@command("decrby")
def decrby(node: Node, client: Client, argv: list[bytes]) -> Any:
    amount = parse_integer(argv[2])
    if amount == INT64_MIN:
        raise CommandError(DECREMENT_OVERFLOW)
    return _incr_by(node, argv[1], -amount)


def _parse_float(raw: bytes) -> Decimal:
    value = parse_decimal(raw)
    if value is None:
        raise CommandError(NOT_FLOAT)
    return value


@command("incrbyfloat")
def incrbyfloat(node: Node, client: Client, argv: list[bytes]) -> Any:
    """Decimal rather than long double arithmetic (a deliberate difference):

    contributions from several regions must add up to the same digits
    everywhere, and 10.5 + 0.1 is exactly 10.6 in decimal.
    """
    key = argv[1]
    current = lookup_str(node, key)
    value = _parse_float(visible(current)) if current is not None else Decimal(0)
    amount = _parse_float(argv[2])
    result = value + amount
    # Past the long double range Redis's sum is Infinity.
    if not result.is_finite() or abs(result) > LDBL_MAX:
        raise CommandError(NAN_OR_INF)
    _add_contribution(node, key, amount)
    # Answer what GET will answer: the merged value as the CRDT formats it.
    return visible(lookup_str(node, key))
