"""Reply values and their RESP2/RESP3 encodings (sans-I/O: values in, bytes out).

Handlers return plain Python values and the few wrappers below; this module
alone decides how each looks on the wire in each protocol version:
bytes -> bulk, int -> integer, bool -> boolean, None -> null, float -> double,
list/tuple -> array, dict -> map, set/frozenset -> set.
Must not know commands, clients or sockets.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from node.numbers import format_double


class Simple(str):
    """A status reply: +OK."""


class Error(str):
    """An error reply; the text starts with its code (ERR, WRONGTYPE, ...)."""


class CommandError(Exception):
    """Raised by a handler to answer with an error and change nothing."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class Verbatim:
    __slots__ = ("fmt", "text")

    def __init__(self, text: bytes, fmt: bytes = b"txt") -> None:
        self.text = text
        self.fmt = fmt


class Push:
    """An out-of-band message (pub/sub): RESP3 push, RESP2 array."""

    __slots__ = ("items",)

    def __init__(self, items: list[Any]) -> None:
        self.items = items


class OrderedSet(tuple):  # type: ignore[type-arg]
    """A set reply (RESP3 set, RESP2 array) that keeps its order, as COMMAND INFO's flags do."""


class NullArray:
    """RESP2's *-1 (EXEC aborted by WATCH, blocking timeouts); RESP3 null."""


NULL_ARRAY = NullArray()
OK = Simple("OK")
QUEUED = Simple("QUEUED")

Encoder = Callable[[Any, list[bytes]], None]


def _bulk(value: bytes | bytearray | memoryview, out: list[bytes]) -> None:
    out.append(b"$%d\r\n" % len(value))
    out.append(bytes(value))
    out.append(b"\r\n")


def _int(value: int, out: list[bytes]) -> None:
    out.append(b":%d\r\n" % value)


def _simple(value: str, out: list[bytes]) -> None:
    out.append(b"+" + value.encode() + b"\r\n")


def _error(value: str, out: list[bytes]) -> None:
    # Newlines would break the frame; Redis replaces them the same way.
    # surrogateescape: error texts quoting client bytes carry them raw, as in Redis.
    text = value.replace("\r", " ").replace("\n", " ")
    out.append(b"-" + text.encode("utf-8", "surrogateescape") + b"\r\n")


def _make(resp3: bool) -> Callable[[Any], bytes]:
    """Build the encoder of one protocol version (dispatch by exact type)."""

    def enc(value: Any, out: list[bytes]) -> None:
        fn = table.get(type(value))
        if fn is None:
            raise TypeError(f"cannot encode {type(value).__name__} as a reply")
        fn(value, out)

    def array(value: list[Any] | tuple[Any, ...], out: list[bytes]) -> None:
        out.append(b"*%d\r\n" % len(value))
        for item in value:
            enc(item, out)

    def mapping(value: dict[Any, Any], out: list[bytes]) -> None:
        out.append(
            (b"%%%d\r\n" if resp3 else b"*%d\r\n") % (len(value) if resp3 else 2 * len(value))
        )
        for k, v in value.items():
            enc(k, out)
            enc(v, out)

    def set_(value: set[Any] | frozenset[Any] | OrderedSet, out: list[bytes]) -> None:
        out.append((b"~%d\r\n" if resp3 else b"*%d\r\n") % len(value))
        for item in value:
            enc(item, out)

    def null(value: None, out: list[bytes]) -> None:
        out.append(b"_\r\n" if resp3 else b"$-1\r\n")

    def null_array(value: NullArray, out: list[bytes]) -> None:
        out.append(b"_\r\n" if resp3 else b"*-1\r\n")

    def boolean(value: bool, out: list[bytes]) -> None:
        if resp3:
            out.append(b"#t\r\n" if value else b"#f\r\n")
        else:
            out.append(b":1\r\n" if value else b":0\r\n")

    def double(value: float, out: list[bytes]) -> None:
        text = format_double(value)
        if resp3:
            out.append(b"," + text + b"\r\n")
        else:
            _bulk(text, out)

    def verbatim(value: Verbatim, out: list[bytes]) -> None:
        if resp3:
            body = value.fmt + b":" + value.text
            out.append(b"=%d\r\n" % len(body) + body + b"\r\n")
        else:
            _bulk(value.text, out)

    def push(value: Push, out: list[bytes]) -> None:
        out.append((b">%d\r\n" if resp3 else b"*%d\r\n") % len(value.items))
        for item in value.items:
            enc(item, out)

    table: dict[type, Encoder] = {
        bytes: _bulk,
        bytearray: _bulk,
        memoryview: _bulk,
        int: _int,
        bool: boolean,
        float: double,
        Simple: _simple,
        Error: _error,
        str: _simple,
        type(None): null,
        NullArray: null_array,
        list: array,
        tuple: array,
        dict: mapping,
        set: set_,
        frozenset: set_,
        OrderedSet: set_,
        Verbatim: verbatim,
        Push: push,
    }

    def encode(value: Any) -> bytes:
        # Fast paths for the replies most commands give.
        kind = type(value)
        if kind is bytes:
            return b"$%d\r\n%s\r\n" % (len(value), value)
        if kind is Simple and value == "OK":
            return b"+OK\r\n"
        if kind is int:
            return b":%d\r\n" % value
        out: list[bytes] = []
        enc(value, out)
        return b"".join(out)

    return encode


encode_resp2 = _make(resp3=False)
encode_resp3 = _make(resp3=True)


class Replies:
    """Several top-level replies from one command (SUBSCRIBE a b answers twice)."""

    __slots__ = ("items",)

    def __init__(self, items: list[Any]) -> None:
        self.items = items


class NoReply:
    """The command answers later or never (SHUTDOWN, a client that was killed)."""


NO_REPLY = NoReply()
