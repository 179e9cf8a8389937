"""Generic key commands: DEL, EXISTS, TYPE, KEYS, SCAN, RENAME, the EXPIRE family, OBJECT.

Owns their argument parsing and replies, and the SCAN cursor/option parsing
the per-type SCANs (HSCAN, SSCAN, ZSCAN) can share. Removal and expiry go
through effect ops (DelKey, SetExpire) carrying absolute times, so they
replicate; RENAME is a delete of the source plus a value-replacing write at
the destination, written by one small function per value type.
Must not know sockets.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from node import errors
from node.client import Client
from node.core import Node
from node.crdt.strings import StrValue
from node.effects import NO_TTL, SetExpire, SetStr
from node.glob import match
from node.keyspace import Value
from node.numbers import INT64_MAX, parse_int
from node.registry import command
from node.reply import OK, CommandError, Simple

# -- existence and type ---------------------------------------------------------------


@command("del", "unlink")
def del_(node: Node, client: Client, argv: list[bytes]) -> Any:
    # UNLINK frees memory in the background in Redis; here freeing is the GC's job.
    return sum(node.delete(key) for key in argv[1:])


@command("exists", "touch")
def exists(node: Node, client: Client, argv: list[bytes]) -> Any:
    # A key named twice counts twice, as in Redis.
    return sum(node.read(key) is not None for key in argv[1:])


@command("type")
def type_(node: Node, client: Client, argv: list[bytes]) -> Any:
    value = node.read(argv[1])
    return Simple("none" if value is None else value.TYPE.decode())


@command("randomkey")
def randomkey(node: Node, client: Client, argv: list[bytes]) -> Any:
    # Each expired pick is deleted by the lookup, so this ends within len() rounds.
    for _ in range(len(node.keyspace) + 1):
        key = node.keyspace.random_key()
        if key is None or node.lookup(key) is not None:
            return key
    return None


# -- KEYS and SCAN ------------------------------------------------------------------------


@command("keys")
def keys(node: Node, client: Client, argv: list[bytes]) -> Any:
    pattern = argv[1]
    ks = node.keyspace
    now = node.now_ms
    # Like Redis 7.0, KEYS skips expired keys without deleting them.
    return [k for k in ks.data if not ks.is_expired(k, now) and match(pattern, k)]


_CURSOR = re.compile(rb"([+-]?)([0-9]+)")
_UINT64_MOD = 1 << 64


def parse_cursor(raw: bytes) -> int:
    """A SCAN cursor as Redis reads it (strtoul): '+5' and '-1' (wraps) pass, '' is 0."""
    if not raw:
        return 0
    found = _CURSOR.fullmatch(raw)
    # Leading zeros are fine; past 20 digits it is out of range (and int() would balk).
    digits = b"" if found is None else found[2].lstrip(b"0")
    if found is None or len(digits) > 20 or int(digits or b"0") >= _UINT64_MOD:
        raise CommandError(errors.INVALID_CURSOR)
    value = int(digits or b"0")
    return (-value) % _UINT64_MOD if found[1] == b"-" else value


@dataclass(slots=True)
class ScanOptions:
    count: int = 10
    pattern: bytes | None = None
    kind: bytes | None = None

    def matches(self, key: bytes) -> bool:
        return self.pattern is None or match(self.pattern, key)


def parse_scan_options(argv: list[bytes], start: int, allow_type: bool) -> ScanOptions:
    """COUNT, MATCH and (SCAN only) TYPE, in any order, the last of each winning."""
    options = ScanOptions()
    i = start
    while i < len(argv):
        name = argv[i].lower()
        if i + 1 >= len(argv):
            raise CommandError(errors.SYNTAX)
        arg = argv[i + 1]
        if name == b"count":
            count = parse_int(arg)
            if count is None:
                raise CommandError(errors.NOT_INTEGER)
            if count < 1:
                raise CommandError(errors.SYNTAX)
            options.count = count
        elif name == b"match":
            options.pattern = None if arg == b"*" else arg
        elif name == b"type" and allow_type:
            options.kind = arg.lower()
        else:
            raise CommandError(errors.SYNTAX)
        i += 2
    return options


@command("scan")
def scan(node: Node, client: Client, argv: list[bytes]) -> Any:
    cursor = parse_cursor(argv[1])
    options = parse_scan_options(argv, 2, allow_type=True)
    cursor, batch = node.keyspace.scan(cursor, options.count)
    found = []
    for key in batch:
        if not options.matches(key):
            continue
        value = node.lookup(key)  # deletes an expired key, as Redis's SCAN does
        if value is None or (options.kind is not None and options.kind != value.TYPE):
            continue
        found.append(key)
    return [b"%d" % cursor, found]


# -- RENAME ---------------------------------------------------------------------------------

# How a value of each type is rewritten at another key: a value-replacing write
# of what the client sees, with the given absolute expiry, carrying what the
# replaced destination value had observed.
Rewriter = Callable[[Node, bytes, Any, int, Value | None], None]
_REWRITERS: dict[type, Rewriter] = {}


def rewriter(kind: type) -> Callable[[Rewriter], Rewriter]:
    def register(fn: Rewriter) -> Rewriter:
        _REWRITERS[kind] = fn
        return fn

    return register


@rewriter(StrValue)
def _rewrite_str(
    node: Node, key: bytes, value: StrValue, expire_at: int, replaced: Value | None
) -> None:
    data = value.get()
    assert data is not None, "a visible string has bytes"
    observed = () if replaced is None else replaced.observed()
    node.write(SetStr(key, data, expire_at, observed, node.keyspace.expiry_seen(key)))


def _rename(node: Node, argv: list[bytes], nx: bool) -> bool:
    """Move src to dst; False when nothing moved (same key, or RENAMENX onto a key)."""
    src, dst = argv[1], argv[2]
    value = node.lookup(src)
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    if src == dst:
        return False
    replaced = node.lookup(dst)
    if replaced is not None and nx:
        return False
    if replaced is not None and type(replaced) is not type(value):
        # A write of one type cannot replace a value of another: remove it first.
        node.delete(dst)
        replaced = None
    expire_at = node.keyspace.ttl_ms(src)
    _REWRITERS[type(value)](node, dst, value, NO_TTL if expire_at is None else expire_at, replaced)
    if node.keyspace.ttl_ms(dst) != expire_at:
        # A rewriter whose op carries no expiry: dst takes src's TTL (or none) here.
        when = NO_TTL if expire_at is None else expire_at
        node.write(SetExpire(dst, when, node.keyspace.expiry_seen(dst)))
    node.delete(src)
    return True


@command("rename")
def rename(node: Node, client: Client, argv: list[bytes]) -> Any:
    _rename(node, argv, nx=False)
    return OK


@command("renamenx")
def renamenx(node: Node, client: Client, argv: list[bytes]) -> Any:
    return int(_rename(node, argv, nx=True))


# -- expiry ------------------------------------------------------------------------------------

_NX, _XX, _GT, _LT = 1, 2, 4, 8
_EXPIRE_FLAGS = {b"nx": _NX, b"xx": _XX, b"gt": _GT, b"lt": _LT}


def _parse_expire_flags(options: list[bytes]) -> int:
    flags = 0
    for option in options:
        flag = _EXPIRE_FLAGS.get(option.lower())
        if flag is None:
            raise CommandError(errors.unsupported_option(option))
        flags |= flag
    if flags & _NX and flags & (_XX | _GT | _LT):
        raise CommandError(errors.EXPIRE_NX_CONFLICT)
    if flags & _GT and flags & _LT:
        raise CommandError(errors.EXPIRE_GT_LT_CONFLICT)
    return flags


def _expire_at(node: Node, argv: list[bytes], relative: bool, unit_ms: int) -> int:
    """The absolute expiry in ms an EXPIRE-family command asks for, with Redis's overflow checks."""
    when = parse_int(argv[2])
    if when is None:
        raise CommandError(errors.NOT_INTEGER)
    invalid = CommandError(errors.invalid_expire(argv[0].lower().decode()))
    # C division truncates toward zero, so LLONG_MIN/1000 == -(LLONG_MAX/1000).
    if unit_ms == 1000 and not -(INT64_MAX // 1000) <= when <= INT64_MAX // 1000:
        raise invalid
    when *= unit_ms
    base = node.now_ms if relative else 0
    if when > INT64_MAX - base:
        raise invalid
    return when + base


def _allowed(flags: int, when: int, current: int | None) -> bool:
    """NX/XX/GT/LT against the current expiry (None: no expiry, an infinite TTL)."""
    if flags & _NX and current is not None:
        return False
    if flags & _XX and current is None:
        return False
    if flags & _GT and (current is None or when <= current):
        return False
    return not (flags & _LT and current is not None and when >= current)


def _expire(node: Node, argv: list[bytes], relative: bool, unit_ms: int) -> int:
    flags = _parse_expire_flags(argv[3:])
    when = _expire_at(node, argv, relative, unit_ms)
    key = argv[1]
    if node.lookup(key) is None:
        return 0
    if not _allowed(flags, when, node.keyspace.ttl_ms(key)):
        return 0
    if when <= node.now_ms:
        node.delete(key)
    else:
        node.write(SetExpire(key, when, node.keyspace.expiry_seen(key)))
    return 1


@command("expire")
def expire(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _expire(node, argv, relative=True, unit_ms=1000)


@command("pexpire")
def pexpire(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _expire(node, argv, relative=True, unit_ms=1)


@command("expireat")
def expireat(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _expire(node, argv, relative=False, unit_ms=1000)


@command("pexpireat")
def pexpireat(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _expire(node, argv, relative=False, unit_ms=1)


def _ttl(node: Node, key: bytes, absolute: bool, unit_ms: int) -> int:
    if node.read(key) is None:
        return -2
    at = node.keyspace.ttl_ms(key)
    if at is None:
        return -1
    ms = at if absolute else max(at - node.now_ms, 0)
    # Seconds round to nearest, as Redis's (ttl+500)/1000.
    return ms if unit_ms == 1 else (ms + 500) // 1000


@command("ttl")
def ttl(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _ttl(node, argv[1], absolute=False, unit_ms=1000)


@command("pttl")
def pttl(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _ttl(node, argv[1], absolute=False, unit_ms=1)


@command("expiretime")
def expiretime(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _ttl(node, argv[1], absolute=True, unit_ms=1000)


@command("pexpiretime")
def pexpiretime(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _ttl(node, argv[1], absolute=True, unit_ms=1)


@command("persist")
def persist(node: Node, client: Client, argv: list[bytes]) -> Any:
    key = argv[1]
    if node.lookup(key) is None or node.keyspace.ttl_ms(key) is None:
        return 0
    node.write(SetExpire(key, NO_TTL, node.keyspace.expiry_seen(key)))
    return 1


# -- OBJECT ------------------------------------------------------------------------------------

_OBJECT_HELP = [
    "OBJECT <subcommand> [<arg> [value] [opt] ...]. Subcommands are:",
    "ENCODING <key>",
    "    Return the kind of internal representation used in order to store the value",
    "    associated with a <key>.",
    "FREQ <key>",
    "    Return the access frequency index of the <key>. The returned integer is",
    "    proportional to the logarithm of the recent access frequency of the key.",
    "IDLETIME <key>",
    "    Return the idle time of the <key>, that is the approximated number of",
    "    seconds elapsed since the last access to the key.",
    "REFCOUNT <key>",
    "    Return the number of references of the value associated with the specified",
    "    <key>.",
    "HELP",
    "    Prints this help.",
]
# Redis shares one object for each integer 0..9999 (OBJ_SHARED_INTEGERS) and
# reports INT_MAX references for it; maxmemory-policy is only noeviction here,
# so, as in Redis under that policy, sharing always applies.
_SHARED_INTEGERS = 10000
_SHARED_REFCOUNT = 2147483647


@command("object|help")
def object_help(node: Node, client: Client, argv: list[bytes]) -> Any:
    return [Simple(line) for line in _OBJECT_HELP]


@command("object|encoding")
def object_encoding(node: Node, client: Client, argv: list[bytes]) -> Any:
    value = node.read(argv[2])
    return None if value is None else value.encoding()


@command("object|refcount")
def object_refcount(node: Node, client: Client, argv: list[bytes]) -> Any:
    value = node.read(argv[2])
    if value is None:
        return None
    if isinstance(value, StrValue) and value.encoding() == b"int":
        number = parse_int(value.get() or b"")
        if number is not None and 0 <= number < _SHARED_INTEGERS:
            return _SHARED_REFCOUNT
    return 1
