"""Sans-I/O RESP request parser: bytes in, commands (lists of bytes) out.

Owns the framing of client requests exactly as Redis 7.0's networking.c reads
them (processMultibulkBuffer, processInlineBuffer, sdssplitargs), with the same
limits and protocol error texts. Two paths give the same result: runs of
complete frames in their canonical encoding (the one every client sends) are
read by a scanner that accepts nothing else; anything else (inline commands,
partial or odd frames, errors, limits) goes through the reference parser below,
which mirrors Redis byte for byte.
Must not know sockets, commands or replies.

Deliberate difference: Redis applies the "too big ... request/count string"
limits to what one 16 KiB read left buffered, so its verdict on a 64-80 KiB
line depends on how the bytes were split. Here the limit applies to the line
itself (Redis's verdict for a client whose bytes trickle in), so the outcome
never depends on the chunking.
"""

from __future__ import annotations

from collections import deque

from node.numbers import parse_int

INLINE_MAX_SIZE = 64 * 1024
UNAUTH_MAX_MULTIBULK = 10
UNAUTH_MAX_BULK = 16384
_INT_MAX = (1 << 31) - 1
# Most bytes the fast path copies at once, so that retrying after an odd frame
# costs a bounded copy however much is buffered.
_FAST_WINDOW = 64 * 1024
# The fast path reads counts and sizes of at most this many digits: a longer
# (or non-canonical) one is the reference parser's, with Redis's verdict.
_FAST_DIGITS = 9


class ProtocolError(Exception):
    """The client broke the protocol: reply with the message, then close."""


class QueryBufferExceeded(ProtocolError):
    """Redis closes such a client without a reply."""


class RequestParser:
    def __init__(
        self,
        max_bulk_len: int = 512 * 1024 * 1024,
        max_query_len: int = 1 << 30,
        *,
        fast: bool = True,
    ) -> None:
        """`fast=False` parses everything with the reference parser (differential tests)."""
        self.max_bulk_len = max_bulk_len
        self.max_query_len = max_query_len
        # Before AUTH, Redis caps request sizes far lower (an unauthenticated
        # client must not make the server allocate much).
        self.auth_required = False
        self._ready: deque[list[bytes]] = deque()
        self._buf = bytearray()
        self._pos = 0
        # Reference parser state of a multibulk frame read in part.
        self._multibulk = 0
        self._bulk = -1
        self._args: list[bytes] = []
        # New bytes re-arm the fast path; a fast attempt that takes nothing disarms it.
        self._fast_enabled = fast
        self._armed = False

    def feed(self, data: bytes) -> None:
        self._buf += data
        self._armed = self._fast_enabled
        if len(self._buf) - self._pos > self.max_query_len:
            raise QueryBufferExceeded("query buffer limit exceeded")

    def buffered(self) -> int:
        return len(self._buf) - self._pos

    def next(self) -> list[bytes] | None:
        """The next complete command, or None until more bytes arrive."""
        while True:
            if self._ready:
                queued = self._ready.popleft()
                if self.auth_required:
                    _check_unauthenticated(queued)
                return queued
            buf = self._buf
            if self._pos >= len(buf):
                self._compact()
                return None
            starts_multibulk = buf[self._pos] == 42  # '*'
            if starts_multibulk and self._armed and not self._multibulk:
                if self._fast():
                    continue
                self._armed = False
            if self._multibulk or starts_multibulk:
                command = self._multibulk_command()
            else:
                command = self._inline_command()
            if command is None:
                self._compact()
                return None
            if command:  # an empty line, *0 and *-1 are skipped, as in Redis
                self._compact()
                return command

    def _compact(self) -> None:
        if self._pos == len(self._buf):
            self._buf.clear()
            self._pos = 0
        elif self._pos > 65536:
            del self._buf[: self._pos]
            self._pos = 0

    # -- the fast path -------------------------------------------------------

    def _fast(self) -> bool:
        """Queue the canonical frames at the read position; False if there were none."""
        start = self._pos
        data = bytes(self._buf[start : start + _FAST_WINDOW])  # its slices are the args
        pos, size, limit, ready = 0, len(data), self.max_bulk_len, self._ready
        while pos < size and data[pos] == 42:  # '*'
            args: list[bytes] = []
            end = _canonical_frame(data, pos, limit, args)
            if end < 0:
                break
            if args:  # *0 is skipped, as in Redis
                ready.append(args)
            pos = end
        self._pos = start + pos
        return pos > 0

    # -- the reference parser (Redis's processMultibulkBuffer / processInlineBuffer)

    def _line_end(self, byte: bytes, too_big: str) -> int:
        """Where the current line ends (at `byte`), or -1 to wait for more bytes.

        Redis finds it with strchr, which a NUL byte stops: a line with a NUL
        before its end never ends.
        """
        buf, pos = self._buf, self._pos
        end = buf.find(byte, pos)
        if end >= 0 and buf.find(b"\0", pos, end) >= 0:
            end = -1
        if (end if end >= 0 else len(buf)) - pos > INLINE_MAX_SIZE:
            raise ProtocolError("Protocol error: " + too_big)
        return end

    def _multibulk_command(self) -> list[bytes] | None:
        buf = self._buf
        if self._multibulk == 0:
            cr = self._line_end(b"\r", "too big mbulk count string")
            if cr < 0 or cr == len(buf) - 1:  # the byte after \r must be there too
                return None
            count = parse_int(bytes(buf[self._pos + 1 : cr]))
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
            if self._bulk == -1 and not self._bulk_header():
                return None
            if len(buf) - self._pos < self._bulk + 2:
                return None
            # Like Redis, the two bytes after the payload are skipped unread.
            self._args.append(bytes(buf[self._pos : self._pos + self._bulk]))
            self._pos += self._bulk + 2
            self._bulk = -1
            self._multibulk -= 1
        args, self._args = self._args, []
        return args

    def _bulk_header(self) -> bool:
        buf = self._buf
        cr = self._line_end(b"\r", "too big bulk count string")
        if cr < 0 or cr == len(buf) - 1:
            return False
        if buf[self._pos] != 36:  # '$'
            # surrogateescape keeps a non-ASCII byte raw on the wire, as Redis's %c does.
            got = bytes(buf[self._pos : self._pos + 1]).decode("utf-8", "surrogateescape")
            raise ProtocolError(f"Protocol error: expected '$', got '{got}'")
        size = parse_int(bytes(buf[self._pos + 1 : cr]))
        if size is None or size < 0 or size > self.max_bulk_len:
            raise ProtocolError("Protocol error: invalid bulk length")
        if size > UNAUTH_MAX_BULK and self.auth_required:
            raise ProtocolError("Protocol error: unauthenticated bulk length")
        self._pos = cr + 2
        self._bulk = size
        return True

    def _inline_command(self) -> list[bytes] | None:
        buf = self._buf
        nl = self._line_end(b"\n", "too big inline request")
        if nl < 0:
            return None
        end = nl - 1 if nl > self._pos and buf[nl - 1] == 13 else nl
        line = bytes(buf[self._pos : end])
        self._pos = nl + 1
        args = split_args(line)
        if args is None:
            raise ProtocolError("Protocol error: unbalanced quotes in request")
        return args


def _canonical_frame(data: bytes, pos: int, max_bulk: int, args: list[bytes]) -> int:
    """Read the frame at `pos` into `args` if it is complete and canonical (plain
    counts and sizes, every payload followed by CRLF): where it ends, else -1."""
    count, pos = _canonical_number(data, pos + 1)
    size = len(data)
    for _ in range(count if pos >= 0 else 0):
        if pos >= size or data[pos] != 36:  # '$'
            return -1
        length, pos = _canonical_number(data, pos + 1)
        end = pos + length
        if pos < 0 or length > max_bulk or end + 2 > size:
            return -1
        if data[end] != 13 or data[end + 1] != 10:
            return -1
        args.append(data[pos:end])
        pos = end + 2
    return pos


def _canonical_number(data: bytes, pos: int) -> tuple[int, int]:
    """The decimal at `pos` and where its CRLF ends, or (0, -1) unless it is
    written as Redis writes one (no sign, no leading zero, short)."""
    size = len(data)
    value, i = 0, pos
    stop = min(size, pos + _FAST_DIGITS)  # a longer number fails the CRLF check
    while i < stop and 48 <= data[i] <= 57:
        value = value * 10 + data[i] - 48
        i += 1
    if i == pos or (i - pos > 1 and data[pos] == 48):
        return 0, -1
    if i + 1 >= size or data[i] != 13 or data[i + 1] != 10:
        return 0, -1
    return value, i + 2


def _check_unauthenticated(command: list[bytes]) -> None:
    """The limits the reference parser applies to a frame, for a frame the fast path read."""
    if len(command) > UNAUTH_MAX_MULTIBULK:
        raise ProtocolError("Protocol error: unauthenticated multibulk length")
    for arg in command:
        if len(arg) > UNAUTH_MAX_BULK:
            raise ProtocolError("Protocol error: unauthenticated bulk length")


_ESCAPES = {ord("n"): 10, ord("r"): 13, ord("t"): 9, ord("b"): 8, ord("a"): 7}
_HEX = b"0123456789abcdefABCDEF"
# Only these end an unquoted token; the other isspace() bytes (\v, \f) only
# separate tokens, so bytes.split() is exact for lines without them or quotes.
_SLOW_INLINE = frozenset(b"\"'\x0b\x0c")


def split_args(line: bytes) -> list[bytes] | None:
    """Redis's sdssplitargs: whitespace-separated, "..." with escapes, '...'.

    None means unbalanced quotes. The line is a C string to Redis: a NUL ends it.
    """
    nul = line.find(b"\0")
    if nul >= 0:
        line = line[:nul]
    if _SLOW_INLINE.isdisjoint(line):
        return line.split()
    args: list[bytes] = []
    i, n = 0, len(line)
    while True:
        while i < n and line[i] in b" \t\n\r\x0b\x0c":
            i += 1
        if i >= n:
            return args
        token = _token(line, i)
        if token is None:
            return None
        arg, i = token
        args.append(arg)


def _token(line: bytes, i: int) -> tuple[bytes, int] | None:
    """One token of sdssplitargs starting at `i`: (token, index after it)."""
    n = len(line)
    current = bytearray()
    quote = 0  # the open quote character, 0 outside quotes
    while i < n:
        c = line[i]
        if quote == 34:
            if c == 92 and i + 3 < n and line[i + 1] == 120 and _is_hex(line, i + 2):
                current.append(int(line[i + 2 : i + 4], 16))
                i += 3
            elif c == 92 and i + 1 < n:
                i += 1
                current.append(_ESCAPES.get(line[i], line[i]))
            elif c == 34:
                return _closed(line, i, current)
            else:
                current.append(c)
        elif quote == 39:
            if c == 92 and i + 1 < n and line[i + 1] == 39:
                i += 1
                current.append(39)
            elif c == 39:
                return _closed(line, i, current)
            else:
                current.append(c)
        elif c in b" \n\r\t":
            return bytes(current), i
        elif c == 34 or c == 39:
            quote = c
        else:
            current.append(c)
        i += 1
    return None if quote else (bytes(current), i)


def _is_hex(line: bytes, i: int) -> bool:
    return line[i] in _HEX and line[i + 1] in _HEX


def _closed(line: bytes, i: int, current: bytearray) -> tuple[bytes, int] | None:
    """A closing quote at `i` must be followed by a space or the end of the line."""
    if i + 1 < len(line) and line[i + 1] not in b" \t\n\r\x0b\x0c":
        return None
    return bytes(current), i + 1
