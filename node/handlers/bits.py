"""Bitmap commands on strings: SETBIT, GETBIT, BITCOUNT, BITPOS, BITOP.

Owns their argument parsing, bit arithmetic and replies. A bitmap is a
string, so every change is a whole-value SetStr (LWW, like SETRANGE) through
the string helpers. Must not know sockets or how ops are merged.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import reduce
from typing import Any

from node.client import Client
from node.core import Node
from node.effects import KEEP_TTL, NO_TTL
from node.errors import BIT_OFFSET, BIT_VALUE, BITOP_NOT_ARGS, BITPOS_BIT, SYNTAX
from node.handlers.strings import (
    clamp_range,
    lookup_str,
    parse_integer,
    replace,
    visible,
)
from node.numbers import parse_int
from node.registry import command
from node.reply import CommandError

_BITOPS: dict[bytes, Callable[[int, int], int]] = {
    b"and": lambda a, b: a & b,
    b"or": lambda a, b: a | b,
    b"xor": lambda a, b: a ^ b,
}


def _bit_offset(node: Node, raw: bytes) -> int:
    """A bit offset: non-negative and inside a string of proto-max-bulk-len bytes."""
    offset = parse_int(raw)
    if offset is None or offset < 0 or (offset >> 3) >= node.config["proto-max-bulk-len"]:
        raise CommandError(BIT_OFFSET)
    return offset


def _bit_at(data: bytes, pos: int) -> int:
    byte = pos >> 3
    return (data[byte] >> (7 - (pos & 7))) & 1 if byte < len(data) else 0


@command("setbit")
def setbit(node: Node, client: Client, argv: list[bytes]) -> Any:
    key = argv[1]
    offset = _bit_offset(node, argv[2])
    on = parse_integer(argv[3], BIT_VALUE)
    if on not in (0, 1):
        raise CommandError(BIT_VALUE)
    current = lookup_str(node, key)
    data = visible(current)
    old = _bit_at(data, offset)
    byte = offset >> 3
    # Like Redis, only a change (or a new or grown string) is a write.
    if current is None or byte >= len(data) or old != on:
        buf = bytearray(data)
        if byte >= len(buf):
            buf.extend(bytes(byte + 1 - len(buf)))
        mask = 1 << (7 - (offset & 7))
        buf[byte] = (buf[byte] | mask) if on else (buf[byte] & ~mask)
        replace(node, key, bytes(buf), KEEP_TTL, current)
    return old


@command("getbit")
def getbit(node: Node, client: Client, argv: list[bytes]) -> Any:
    offset = _bit_offset(node, argv[2])
    return _bit_at(visible(node.read_str(argv[1])), offset)


def _is_bit_unit(raw: bytes) -> bool:
    unit = raw.lower()
    if unit not in (b"bit", b"byte"):
        raise CommandError(SYNTAX)
    return unit == b"bit"


def _bit_span(start: int, end: int, size: int, in_bits: bool) -> tuple[int, int]:
    """A clamped start..end in bytes or bits as the inclusive bit range it covers."""
    start, end = clamp_range(start, end, size * 8 if in_bits else size)
    if in_bits:
        return start, end
    return start * 8, end * 8 + 7


def _popcount(data: bytes, first: int, last: int) -> int:
    chunk = int.from_bytes(data[first >> 3 : (last >> 3) + 1], "big")
    chunk >>= 7 - (last & 7)
    return (chunk & ((1 << (last - first + 1)) - 1)).bit_count()


@command("bitcount")
def bitcount(node: Node, client: Client, argv: list[bytes]) -> Any:
    # Redis looks the key up before it parses the range: a missing key answers 0
    # whatever the other arguments are.
    value = node.read_str(argv[1])
    if value is None:
        return 0
    data = visible(value)
    if len(argv) == 2:
        first, last = 0, len(data) * 8 - 1
    elif len(argv) in (4, 5):
        start, end = parse_integer(argv[2]), parse_integer(argv[3])
        if start < 0 and end < 0 and start > end:
            return 0
        in_bits = len(argv) == 5 and _is_bit_unit(argv[4])
        first, last = _bit_span(start, end, len(data), in_bits)
    else:
        raise CommandError(SYNTAX)
    return _popcount(data, first, last) if first <= last else 0


def _first_bit(data: bytes, bit: int, first: int, last: int) -> int:
    """The position of the first `bit` among bits first..last of data, or -1."""
    pos = first
    while pos <= last and pos & 7:
        if _bit_at(data, pos) == bit:
            return pos
        pos += 1
    whole_end = (last + 1) >> 3
    if pos <= last and (pos >> 3) < whole_end:
        chunk = data[pos >> 3 : whole_end]
        rest = chunk.lstrip(b"\x00" if bit else b"\xff")
        if rest:
            byte = rest[0] if bit else rest[0] ^ 0xFF
            return ((pos >> 3) + len(chunk) - len(rest)) * 8 + 8 - byte.bit_length()
        pos = whole_end * 8
    while pos <= last:
        if _bit_at(data, pos) == bit:
            return pos
        pos += 1
    return -1


@command("bitpos")
def bitpos(node: Node, client: Client, argv: list[bytes]) -> Any:
    bit = parse_integer(argv[2])
    if bit not in (0, 1):
        raise CommandError(BITPOS_BIT)
    value = node.read_str(argv[1])
    if value is None:
        # A missing key is an endless run of zeros.
        return -1 if bit else 0
    data = visible(value)
    end_given = False
    if len(argv) == 3:
        first, last = 0, len(data) * 8 - 1
    elif len(argv) in (4, 5, 6):
        start = parse_integer(argv[3])
        in_bits = len(argv) == 6 and _is_bit_unit(argv[5])
        end = len(data) - 1
        if len(argv) >= 5:
            end, end_given = parse_integer(argv[4]), True
        first, last = _bit_span(start, end, len(data), in_bits)
    else:
        raise CommandError(SYNTAX)
    if first > last:
        return -1
    found = _first_bit(data, bit, first, last)
    if found >= 0 or bit or end_given:
        return found
    # Looking for a clear bit with an open end: the string continues with zeros.
    return last + 1


@command("bitop")
def bitop(node: Node, client: Client, argv: list[bytes]) -> Any:
    name, dest = argv[1].lower(), argv[2]
    if name != b"not" and name not in _BITOPS:
        raise CommandError(SYNTAX)
    if name == b"not" and len(argv) != 4:
        raise CommandError(BITOP_NOT_ARGS)
    sources = [visible(node.read_str(key)) for key in argv[3:]]
    size = max(len(src) for src in sources)
    if size == 0:
        node.delete(dest)
        return 0
    # Shorter strings are zero-padded on the right: align them as big integers.
    numbers = [int.from_bytes(src, "big") << (8 * (size - len(src))) for src in sources]
    every_bit = (1 << (8 * size)) - 1
    result = numbers[0] ^ every_bit if name == b"not" else reduce(_BITOPS[name], numbers)
    replace(node, dest, result.to_bytes(size, "big"), NO_TTL, node.lookup(dest))
    return size
