"""List commands: pushes, pops, index access, LINSERT/LREM/LTRIM/LPOS, LMOVE and the blocking pops.

Owns their argument parsing and replies (Redis 7.0's, error for error). Every
change is an effect op naming element ids, never positions: a push says which
element it goes after (ListInsert), a pop or removal names exactly the
elements it observed (ListRemove), LSET names the element it overwrites
(ListSet). So a pop in two regions at once may return the same element in
both (at-least-once, as Redis Enterprise documents), and a concurrent push is
never lost. Blocking pops return a `Block` when they must wait; the blocking
registry serves them later with the same pop code.
Must not know sockets, sessions or how ops are merged.
"""

from __future__ import annotations

import math
from typing import Any

from node import errors
from node.blocking import Block
from node.client import Client
from node.core import Node
from node.crdt.lists import HEAD, ListValue
from node.effects import ListInsert, ListRemove, ListSet
from node.handlers.keys import rewriter
from node.keyspace import Value
from node.numbers import INT64_MIN, parse_decimal, parse_int
from node.registry import command
from node.reply import NULL_ARRAY, OK, CommandError

POSITIVE = "ERR value is out of range, must be positive"
RANK_ZERO = (
    "ERR RANK can't be zero: use 1 to start from the first match, 2 from the second ... "
    "or use negative to start from the end of the list"
)
TIMEOUT_NOT_FLOAT = "ERR timeout is not a float or out of range"
TIMEOUT_NEGATIVE = "ERR timeout is negative"

# -- reading and writing a list --------------------------------------------------------------


def _typed(value: Value | None) -> ListValue | None:
    if value is not None and type(value) is not ListValue:
        raise CommandError(errors.WRONGTYPE)
    return value


def read_list(node: Node, key: bytes) -> ListValue | None:
    """A read command's lookup: counts hits and misses; WRONGTYPE for another type."""
    return _typed(node.read(key))


def write_list(node: Node, key: bytes) -> ListValue | None:
    """A write command's lookup (no hit/miss stats, as Redis's lookupKeyWrite)."""
    return _typed(node.lookup(key))


def _length(node: Node, key: bytes) -> int:
    value = node.keyspace.data.get(key)
    return len(value) if type(value) is ListValue else 0


def push(node: Node, key: bytes, values: tuple[bytes, ...], left: bool) -> int:
    """LPUSH/RPUSH: at the front, or after the last element this region has (removed or not)."""
    if left:
        node.write(ListInsert(key, HEAD, values, chain=False))
    else:
        current = node.keyspace.typed(key, ListValue)
        after = HEAD if current is None else current.last_id()
        node.write(ListInsert(key, after, values, chain=True))
    return _length(node, key)


def pop(node: Node, key: bytes, value: ListValue, count: int, left: bool) -> list[bytes]:
    """Remove up to `count` elements from one end; returns them in pop order."""
    size = len(value)
    count = min(count, size)
    ids = value.ids(0, count) if left else value.ids(size - count, size)[::-1]
    popped = [value.data(eid) for eid in ids]
    node.write(ListRemove(key, tuple(ids)))
    return popped


def _int(raw: bytes) -> int:
    value = parse_int(raw)
    if value is None:
        raise CommandError(errors.NOT_INTEGER)
    return value


def _positive(raw: bytes, message: str) -> int:
    """Redis's getPositiveLongFromObjectOrReply: any non-negative int64, else `message`."""
    value = parse_int(raw)
    if value is None or value < 0:
        raise CommandError(message)
    return value


def _side(raw: bytes) -> bool:
    """LEFT or RIGHT (True for LEFT)."""
    side = raw.lower()
    if side not in (b"left", b"right"):
        raise CommandError(errors.SYNTAX)
    return side == b"left"


def _span(start: int, stop: int, size: int) -> tuple[int, int]:
    """Redis's inclusive range arguments as a half-open [start, stop) of real indexes."""
    if start < 0:
        start += size
    if stop < 0:
        stop += size
    start = max(start, 0)
    if start > stop or start >= size:
        return 0, 0
    return start, min(stop, size - 1) + 1


# -- pushes ------------------------------------------------------------------------------------


@command("lpush", "rpush")
def lpush(node: Node, client: Client, argv: list[bytes]) -> Any:
    write_list(node, argv[1])
    return push(node, argv[1], tuple(argv[2:]), left=argv[0].lower() == b"lpush")


@command("lpushx", "rpushx")
def lpushx(node: Node, client: Client, argv: list[bytes]) -> Any:
    if write_list(node, argv[1]) is None:
        return 0
    return push(node, argv[1], tuple(argv[2:]), left=argv[0].lower() == b"lpushx")


@command("linsert")
def linsert(node: Node, client: Client, argv: list[bytes]) -> Any:
    where = argv[2].lower()
    if where not in (b"before", b"after"):
        raise CommandError(errors.SYNTAX)
    key = argv[1]
    value = write_list(node, key)
    if value is None:
        return 0
    pivot = next((eid for eid, data in value.items() if data == argv[3]), None)
    if pivot is None:
        return -1
    after = pivot if where == b"after" else value.before(pivot)
    node.write(ListInsert(key, after, (argv[4],), chain=True))
    return _length(node, key)


# -- pops ----------------------------------------------------------------------------------------


@command("lpop", "rpop")
def lpop(node: Node, client: Client, argv: list[bytes]) -> Any:
    if len(argv) > 3:
        raise CommandError(errors.wrong_arity(argv[0].lower().decode()))
    count = _positive(argv[2], POSITIVE) if len(argv) == 3 else None
    key = argv[1]
    value = write_list(node, key)
    if value is None:
        return None if count is None else NULL_ARRAY
    left = argv[0].lower() == b"lpop"
    if count is None:
        return pop(node, key, value, 1, left)[0]
    return pop(node, key, value, count, left) if count else []


def move(node: Node, src: bytes, value: ListValue, dst: bytes, left: bool, to_left: bool) -> bytes:
    """LMOVE once the source is known to hold elements: checks the destination's type first."""
    write_list(node, dst)
    data = pop(node, src, value, 1, left)[0]
    push(node, dst, (data,), to_left)
    return data


@command("lmove")
def lmove(node: Node, client: Client, argv: list[bytes]) -> Any:
    left, to_left = _side(argv[3]), _side(argv[4])
    return _lmove(node, argv[1], argv[2], left, to_left)


@command("rpoplpush")
def rpoplpush(node: Node, client: Client, argv: list[bytes]) -> Any:
    return _lmove(node, argv[1], argv[2], left=False, to_left=True)


def _lmove(node: Node, src: bytes, dst: bytes, left: bool, to_left: bool) -> bytes | None:
    value = write_list(node, src)
    return None if value is None else move(node, src, value, dst, left, to_left)


# -- reads -----------------------------------------------------------------------------------------


@command("llen")
def llen(node: Node, client: Client, argv: list[bytes]) -> Any:
    value = read_list(node, argv[1])
    return 0 if value is None else len(value)


@command("lrange")
def lrange(node: Node, client: Client, argv: list[bytes]) -> Any:
    start, stop = _int(argv[2]), _int(argv[3])
    value = read_list(node, argv[1])
    if value is None:
        return []
    return value.range(*_span(start, stop, len(value)))


def _index(value: ListValue, raw: bytes) -> int | None:
    index = _int(raw)
    if index < 0:
        index += len(value)
    return index if 0 <= index < len(value) else None


@command("lindex")
def lindex(node: Node, client: Client, argv: list[bytes]) -> Any:
    value = read_list(node, argv[1])
    if value is None:
        return None
    index = _index(value, argv[2])
    return None if index is None else value.range(index, index + 1)[0]


@command("lpos")
def lpos(node: Node, client: Client, argv: list[bytes]) -> Any:
    rank, count, maxlen = _lpos_options(argv)
    value = read_list(node, argv[1])
    if value is None:
        return None if count is None else []
    found = _positions(value, argv[2], rank, 1 if count is None else count, maxlen)
    if count is None:
        return found[0] if found else None
    return found


def _lpos_options(argv: list[bytes]) -> tuple[int, int | None, int]:
    rank, count, maxlen = 1, None, 0
    i = 3
    while i < len(argv):
        option = argv[i].lower()
        if i + 1 >= len(argv) or option not in (b"rank", b"count", b"maxlen"):
            raise CommandError(errors.SYNTAX)
        arg = argv[i + 1]
        if option == b"rank":
            rank = _int(arg)
            if rank == 0:
                raise CommandError(RANK_ZERO)
        elif option == b"count":
            count = _positive(arg, "ERR COUNT can't be negative")
        else:
            maxlen = _positive(arg, "ERR MAXLEN can't be negative")
        i += 2
    return rank, count, maxlen


def _positions(value: ListValue, wanted: bytes, rank: int, count: int, maxlen: int) -> list[int]:
    """Indexes of matches from the rank-th on (negative: from the tail), at most
    `count` of them (0: all), looking at most at `maxlen` elements (0: all)."""
    reverse = rank < 0
    # Redis 7.0 negates LLONG_MIN into itself: every match counts, as for -1.
    skip = 0 if rank == INT64_MIN else abs(rank) - 1
    size = len(value)
    found: list[int] = []
    for seen, (_, data) in enumerate(value.items(reverse)):
        if maxlen and seen >= maxlen:
            break
        if data != wanted:
            continue
        if skip:
            skip -= 1
            continue
        found.append(size - 1 - seen if reverse else seen)
        if len(found) == count:
            break
    return found


# -- in-place changes -------------------------------------------------------------------------------


@command("lset")
def lset(node: Node, client: Client, argv: list[bytes]) -> Any:
    key = argv[1]
    value = write_list(node, key)
    if value is None:
        raise CommandError(errors.NO_SUCH_KEY)
    index = _index(value, argv[2])
    if index is None:
        raise CommandError("ERR index out of range")
    node.write(ListSet(key, value.ids(index, index + 1)[0], argv[3]))
    return OK


@command("lrem")
def lrem(node: Node, client: Client, argv: list[bytes]) -> Any:
    count = _int(argv[2])
    key = argv[1]
    value = write_list(node, key)
    if value is None:
        return 0
    limit = abs(count) if count else len(value)
    ids = [eid for eid, data in value.items(reverse=count < 0) if data == argv[3]][:limit]
    if ids:
        node.write(ListRemove(key, tuple(ids)))
    return len(ids)


@command("ltrim")
def ltrim(node: Node, client: Client, argv: list[bytes]) -> Any:
    start, stop = _int(argv[2]), _int(argv[3])
    key = argv[1]
    value = write_list(node, key)
    if value is None:
        return OK
    size = len(value)
    keep_from, keep_to = _span(start, stop, size)
    ids = value.ids(0, keep_from) + value.ids(max(keep_to, keep_from), size)
    if ids:
        node.write(ListRemove(key, tuple(ids)))
    return OK


# -- blocking pops --------------------------------------------------------------------------------


def parse_timeout(node: Node, raw: bytes) -> float | None:
    """A blocking timeout in seconds as Redis 7.0 reads it: a long double, times
    1000, truncated to an integer number of ms (so 0.0001 means forever, and a
    value past int64 wraps negative); the monotonic deadline, None for forever."""
    exact = parse_decimal(raw)
    seconds = None if exact is None else float(exact)
    if seconds is None and raw.lower().lstrip(b"+-").startswith(b"0x"):
        # strtold reads hexadecimal floats too; Decimal does not.
        try:
            seconds = float.fromhex(raw.decode("ascii"))
        except ValueError:
            seconds = None
    if seconds is None:
        raise CommandError(TIMEOUT_NOT_FLOAT)
    ms = seconds * 1000
    if not math.isfinite(ms) or abs(ms) >= 2**63:
        raise CommandError(TIMEOUT_NEGATIVE)
    whole = int(ms)
    if whole < 0:
        raise CommandError(TIMEOUT_NEGATIVE)
    return None if whole == 0 else node.clock.monotonic() + whole / 1000


@command("blpop", "brpop")
def blpop(node: Node, client: Client, argv: list[bytes]) -> Any:
    deadline = parse_timeout(node, argv[-1])
    left = argv[0].lower() == b"blpop"
    keys = argv[1:-1]
    for key in keys:
        value = write_list(node, key)
        if value is not None:
            return [key, pop(node, key, value, 1, left)[0]]
    if client.multi is not None:
        return NULL_ARRAY  # inside MULTI a blocking pop does not block (Redis)

    def serve(node: Node, client: Client, key: bytes) -> Any:
        value = node.lookup(key)
        if type(value) is not ListValue:
            return None
        return [key, pop(node, key, value, 1, left)[0]]

    return Block(tuple(keys), deadline, serve)


@command("blmove")
def blmove(node: Node, client: Client, argv: list[bytes]) -> Any:
    left, to_left = _side(argv[3]), _side(argv[4])
    deadline = parse_timeout(node, argv[5])
    src, dst = argv[1], argv[2]
    value = write_list(node, src)
    if value is not None:
        return move(node, src, value, dst, left, to_left)
    if client.multi is not None:
        return None

    def serve(node: Node, client: Client, key: bytes) -> Any:
        value = node.lookup(key)
        if type(value) is not ListValue:
            return None
        return move(node, key, value, dst, left, to_left)

    return Block((src,), deadline, serve)


# -- RENAME ---------------------------------------------------------------------------------------------


@rewriter(ListValue)
def _rewrite_list(
    node: Node, key: bytes, value: ListValue, expire_at: int, replaced: Value | None
) -> None:
    """RENAME's write at the destination: remove what it held, then the elements in order."""
    node.delete(key)
    node.write(ListInsert(key, HEAD, tuple(value.range(0, len(value))), chain=True))
