"""Sans-I/O RESP request parser: bytes in, commands (lists of bytes) out.

Owns the framing of client requests exactly as Redis's networking.c reads
them (multibulk and inline, with the same limits and protocol error texts).
Two paths give the same result: a chunk that starts on a frame boundary and
holds only complete, plain multibulk frames is parsed by hiredis in C; anything
else (partial frames, inline commands, errors, limits) goes through the
reference parser below, which mirrors Redis byte for byte.
Must not know sockets, commands or replies.
"""

from __future__ import annotations

import re
from collections import deque

import hiredis

INLINE_MAX_SIZE = 64 * 1024
UNAUTH_MAX_MULTIBULK = 10
UNAUTH_MAX_BULK = 16384
_INT_MAX = (1 << 31) - 1
# Type bytes hiredis would read as an array or a bulk where Redis would not.
_AMBIGUOUS = re.compile(rb"\n[+~>=(|]")


class ProtocolError(Exception):
    """The client broke the protocol: reply with the message, then close."""


class QueryBufferExceeded(ProtocolError):
    """Redis closes such a client without a reply."""


class RequestParser:
    def __init__(self, max_bulk_len: int = 512 * 1024 * 1024, max_query_len: int = 1 << 30) -> None:
        self.max_bulk_len = max_bulk_len
        self.max_query_len = max_query_len
        # Before AUTH, Redis caps request sizes far lower (an unauthenticated
        # client must not make the server allocate much).
        self.auth_required = False
        self._ready: deque[list[bytes]] = deque()
        self._buf = bytearray()
        self._pos = 0
        self._multibulk = 0
        self._bulk = -1
        self._args: list[bytes] = []

    def feed(self, data: bytes) -> None:
        if not self._buf and not self._ready and not self._multibulk and self._fast(data):
            return
        self._buf += data
        if len(self._buf) - self._pos > self.max_query_len:
            raise QueryBufferExceeded("query buffer limit exceeded")

    def buffered(self) -> int:
        return len(self._buf) - self._pos

    def next(self) -> list[bytes] | None:
        """The next complete command, or None until more bytes arrive."""
        if self._ready:
            return self._ready.popleft()
        while self._pos < len(self._buf):
            if self._multibulk or self._buf[self._pos] == 42:  # '*'
                command = self._multibulk_command()
            else:
                command = self._inline_command()
            if command is None:
                break
            if command:
                self._compact()
                return command
        self._compact()
        return None

    # -- the hiredis fast path ------------------------------------------------

    def _fast(self, data: bytes) -> bool:
        if (
            self.auth_required
            or not data
            or data[0] != 42
            or len(data) > self.max_bulk_len
            or _AMBIGUOUS.search(data)
        ):
            return False
        reader = hiredis.Reader()
        reader.feed(data)
        commands: list[list[bytes]] = []
        gets = reader.gets
        try:
            while (item := gets()) is not False:
                if item is None or item == []:
                    continue  # *0 and *-1: Redis skips them too
                if type(item) is not list:
                    return False
                for arg in item:
                    if type(arg) is not bytes:
                        return False
                commands.append(item)
        except hiredis.ProtocolError:
            return False
        if reader.has_data():
            return False
        self._ready.extend(commands)
        return True

    # -- the reference parser (Redis's processMultibulkBuffer / processInlineBuffer)

    def _compact(self) -> None:
        if self._pos == len(self._buf):
            self._buf.clear()
            self._pos = 0
        elif self._pos > 65536:
            del self._buf[: self._pos]
            self._pos = 0

    def _multibulk_command(self) -> list[bytes] | None:
        buf = self._buf
        if self._multibulk == 0:
            cr = buf.find(b"\r", self._pos)
            if cr < 0:
                if len(buf) - self._pos > INLINE_MAX_SIZE:
                    raise ProtocolError("Protocol error: too big mbulk count string")
                return None
            if cr - self._pos > len(buf) - self._pos - 2:
                return None
            count = _string2ll(bytes(buf[self._pos + 1 : cr]))
            if count is None or count > _INT_MAX:
                raise ProtocolError("Protocol error: invalid multibulk length")
            if count > UNAUTH_MAX_MULTIBULK and self.auth_required:
                raise ProtocolError("Protocol error: unauthenticated multibulk length")
            self._pos = cr + 2
            if count <= 0:
                return []
            self._multibulk = count
            self._args = []
        while self._multibulk:
            if self._bulk == -1:
                cr = buf.find(b"\r", self._pos)
                if cr < 0:
                    if len(buf) - self._pos > INLINE_MAX_SIZE:
                        raise ProtocolError("Protocol error: too big bulk count string")
                    return None
                if cr - self._pos > len(buf) - self._pos - 2:
                    return None
                if buf[self._pos] != 36:  # '$'
                    raise ProtocolError(
                        "Protocol error: expected '$', got '%s'" % chr(buf[self._pos])
                    )
                size = _string2ll(bytes(buf[self._pos + 1 : cr]))
                if size is None or size < 0 or size > self.max_bulk_len:
                    raise ProtocolError("Protocol error: invalid bulk length")
                if size > UNAUTH_MAX_BULK and self.auth_required:
                    raise ProtocolError("Protocol error: unauthenticated bulk length")
                self._pos = cr + 2
                self._bulk = size
            if len(buf) - self._pos < self._bulk + 2:
                return None
            self._args.append(bytes(buf[self._pos : self._pos + self._bulk]))
            self._pos += self._bulk + 2
            self._bulk = -1
            self._multibulk -= 1
        args, self._args = self._args, []
        return args

    def _inline_command(self) -> list[bytes] | None:
        buf = self._buf
        nl = buf.find(b"\n", self._pos)
        if nl < 0:
            if len(buf) - self._pos > INLINE_MAX_SIZE:
                raise ProtocolError("Protocol error: too big inline request")
            return None
        end = nl - 1 if nl > self._pos and buf[nl - 1] == 13 else nl
        line = bytes(buf[self._pos : end])
        self._pos = nl + 1
        args = split_args(line)
        if args is None:
            raise ProtocolError("Protocol error: unbalanced quotes in request")
        return args


def _string2ll(raw: bytes) -> int | None:
    """Redis's string2ll: no '+', no spaces, no leading zeros, fits in int64."""
    n = len(raw)
    if n == 0 or n > 20:
        return None
    if raw == b"0":
        return 0
    digits = raw[1:] if raw[0] == 45 else raw
    if not digits or digits[0] == 48 or not digits.isdigit():
        return None
    value = int(raw)
    return value if -(1 << 63) <= value < (1 << 63) else None


_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("a"): 7}
_HEX = b"0123456789abcdefABCDEF"


def split_args(line: bytes) -> list[bytes] | None:
    """Redis's sdssplitargs: whitespace-separated, "..." with escapes, '...'."""
    args: list[bytes] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i : i + 1].isspace():
            i += 1
        if i >= n:
            return args
        current = bytearray()
        in_dq = in_sq = False
        while True:
            if in_dq:
                if i >= n:
                    return None
                c = line[i]
                if (
                    c == 92
                    and i + 3 < n
                    and line[i + 1] == 120
                    and line[i + 2] in _HEX
                    and line[i + 3] in _HEX
                ):
                    current.append(int(line[i + 2 : i + 4], 16))
                    i += 3
                elif c == 92 and i + 1 < n:
                    i += 1
                    current.append(_ESCAPES.get(line[i], line[i]))
                elif c == 34:
                    if i + 1 < n and not line[i + 1 : i + 2].isspace():
                        return None
                    in_dq = False
                    i += 1
                    break
                else:
                    current.append(c)
            elif in_sq:
                if i >= n:
                    return None
                c = line[i]
                if c == 92 and i + 1 < n and line[i + 1] == 39:
                    i += 1
                    current.append(39)
                elif c == 39:
                    if i + 1 < n and not line[i + 1 : i + 2].isspace():
                        return None
                    in_sq = False
                    i += 1
                    break
                else:
                    current.append(c)
            else:
                if i >= n:
                    break
                c = line[i]
                if c in b" \n\r\t\0":
                    break
                if c == 34:
                    in_dq = True
                elif c == 39:
                    in_sq = True
                else:
                    current.append(c)
            i += 1
        args.append(bytes(current))
