"""The request parser frames bytes exactly as Redis 7.0's networking.c does.

Expected values come from redis-server 7.0.15 (sent the same bytes over a raw
socket). Every stream is checked whole, byte by byte and with the fast path
off, because the fast path (canonical frames) and the reference parser must agree and
the chunking of the bytes must never change what is parsed.
"""

from __future__ import annotations

import itertools
import random
import tracemalloc
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from node.resp import INLINE_MAX_SIZE, ProtocolError, QueryBufferExceeded, RequestParser, split_args

Outcome = tuple[list[list[bytes]], str | None]


def parse(
    data: bytes,
    cuts: list[int] | None = None,
    *,
    fast: bool = True,
    auth_required: bool = False,
    max_bulk_len: int = 512 * 1024 * 1024,
) -> Outcome:
    """Commands parsed from `data` split at `cuts`, and the protocol error that ended it."""
    parser = RequestParser(max_bulk_len, fast=fast)
    parser.auth_required = auth_required
    bounds = [0, *sorted(set(cuts or [])), len(data)]
    commands: list[list[bytes]] = []
    try:
        for lo, hi in itertools.pairwise(bounds):
            parser.feed(data[lo:hi])
            while (command := parser.next()) is not None:
                commands.append(command)
    except ProtocolError as exc:
        return commands, str(exc)
    return commands, None


def every_way(data: bytes, **kwargs: Any) -> Outcome:
    """The outcome of `data`, after checking that it is the same however it is fed."""
    whole = parse(data, **kwargs)
    assert parse(data, list(range(1, len(data))), **kwargs) == whole
    assert parse(data, fast=False, **kwargs) == whole
    assert parse(data, [len(data) // 2], **kwargs) == whole
    return whole


def mbulk(*args: bytes) -> bytes:
    return b"*%d\r\n" % len(args) + b"".join(b"$%d\r\n%b\r\n" % (len(a), a) for a in args)


# -- framing ----------------------------------------------------------------------


STREAMS = [
    mbulk(b"SET", b"k", b"v") + mbulk(b"GET", b"k"),
    mbulk(b"SET", b"k\r\n*1\r\n", b"") + mbulk(b"PING"),
    b"PING\r\nSET a b\nGET a\r\n",
    mbulk(b"PING") + b"ECHO hi\r\n" + mbulk(b"ECHO", b"x" * 70000) + b"PING\r\n",
    b"\r\n\n*0\r\n*-1\r\n*-5\r\n" + mbulk(b"PING") + b"\r\n",
]


@pytest.mark.parametrize("data", STREAMS)
def test_whole_bytewise_and_trailing_partial_give_the_same_commands(data: bytes) -> None:
    commands, error = every_way(data)
    assert error is None
    partial = mbulk(b"SET", b"next", b"value")[:-5]
    assert every_way(data + partial) == (commands, None)


def test_examples_parse_to_the_commands_redis_runs() -> None:
    assert every_way(STREAMS[0])[0] == [[b"SET", b"k", b"v"], [b"GET", b"k"]]
    assert every_way(STREAMS[1])[0] == [[b"SET", b"k\r\n*1\r\n", b""], [b"PING"]]
    assert every_way(STREAMS[2])[0] == [[b"PING"], [b"SET", b"a", b"b"], [b"GET", b"a"]]
    assert every_way(STREAMS[3])[0][2] == [b"ECHO", b"x" * 70000]
    assert every_way(STREAMS[4])[0] == [[b"PING"]]


def test_redis_skips_the_two_bytes_after_a_bulk_and_after_a_count_line_cr() -> None:
    assert every_way(b"*1\r\n$4\r\nPINGXY" + mbulk(b"PING")) == ([[b"PING"], [b"PING"]], None)
    assert every_way(b"*1\rX$4\r\nPING\r\n") == ([[b"PING"]], None)


def test_frames_a_resp_reader_would_take_as_replies_are_parsed_as_redis_does() -> None:
    # A RESP reader (hiredis) reads "$-1" and "_" as nulls and ">" as a push; Redis runs
    # them as inline commands.
    assert every_way(mbulk(b"PING") + b"$-1\r\n")[0] == [[b"PING"], [b"$-1"]]
    assert every_way(b"_\r\n>1\r\n")[0] == [[b"_"], [b">1"]]
    assert every_way(b"*1\r\n$1\r\naXY>1\r\n$1\r\nb\r\n")[0][:2] == [[b"a"], [b">1"]]
    assert every_way(b"*1\r\n+OK\r\n") == ([], "Protocol error: expected '$', got '+'")


def test_a_nul_before_the_line_end_stalls_the_line_as_strchr_does() -> None:
    assert every_way(b"PING\0\r\n" + mbulk(b"PING")) == ([], None)
    assert every_way(b"*1\0\r\n$4\r\nPING\r\n") == ([], None)
    # Inside a bulk payload a NUL is just a byte.
    assert every_way(mbulk(b"ECHO", b"a\0b")) == ([[b"ECHO", b"a\0b"]], None)


def test_bulk_larger_than_the_fast_window_and_pipelines_across_it() -> None:
    big = b"v" * 200_000
    stream = mbulk(b"SET", b"k", big) + mbulk(b"GET", b"k") * 5000
    commands, error = parse(stream, [65536, 131072, 262144])
    assert error is None
    assert commands[0] == [b"SET", b"k", big]
    assert commands[1:] == [[b"GET", b"k"]] * 5000


@pytest.mark.parametrize(
    "header", [b"*", b"*1\r\n*", b"*1\r\n$1\r\na\r\n~", b"*2\r\n>", b"*1\r\n|"]
)
def test_a_huge_aggregate_count_allocates_nothing(header: bytes) -> None:
    # Nothing may size a list by the count before the elements arrive.
    tracemalloc.start()
    try:
        parse(header + b"100000000\r\n")
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 10 * 1024 * 1024


# -- inline commands ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("line", "args"),
    [
        (b"SET a b", [b"SET", b"a", b"b"]),
        (b'  SET  "a b"   c ', [b"SET", b"a b", b"c"]),
        (b'ECHO "\\x41\\x4"', [b"ECHO", b"Ax4"]),
        (b'ECHO "\\n\\r\\t\\b\\a\\"\\\\\\q"', [b"ECHO", b'\n\r\t\x08\x07"\\q']),
        (b"ECHO 'a\\'b' 'c\\nd'", [b"ECHO", b"a'b", b"c\\nd"]),
        (b'ECHO a"b c"', [b"ECHO", b"ab c"]),
        (b"ECHO \"\" ''", [b"ECHO", b"", b""]),
        (b"ECHO a\x0bb\x0c\x0bc", [b"ECHO", b"a\x0bb\x0c\x0bc"]),
        (b"\x0bECHO\tx", [b"ECHO", b"x"]),
        (b"ECHO a\0b", [b"ECHO", b"a"]),
        (b"", []),
    ],
)
def test_inline_splitting_matches_sdssplitargs(line: bytes, args: list[bytes]) -> None:
    assert split_args(line) == args


@pytest.mark.parametrize(
    "line", [b'SET a "b"c', b'ECHO a"b c"d', b'ECHO "abc', b"ECHO 'a'b", b"ECHO 'ab", b'ECHO "a\\']
)
def test_unbalanced_quotes_are_a_protocol_error(line: bytes) -> None:
    assert split_args(line) is None
    assert every_way(b"PING\r\n" + line + b"\r\nPING\r\n") == (
        [[b"PING"]],
        "Protocol error: unbalanced quotes in request",
    )


@given(st.binary(max_size=40).map(lambda raw: raw.replace(b"'", b"").replace(b'"', b"")))
@settings(max_examples=300)
def test_quote_free_lines_split_on_blanks_and_keep_vt_ff_inside_tokens(raw: bytes) -> None:
    line = raw.split(b"\0")[0]
    tokens: list[bytes] = []
    current: bytearray | None = None
    for byte in line:
        if byte in b" \t\r\n":
            current = None
        elif byte in b"\x0b\x0c" and current is None:
            continue
        else:
            if current is None:
                current = bytearray()
                tokens.append(b"")
            current.append(byte)
            tokens[-1] = bytes(current)
    assert split_args(raw) == tokens


# -- protocol errors ----------------------------------------------------------------


ERRORS = [
    (b"*abc\r\n", "Protocol error: invalid multibulk length"),
    (b"*2147483648\r\n", "Protocol error: invalid multibulk length"),
    (b"*03\r\n", "Protocol error: invalid multibulk length"),
    (b"*-0\r\n", "Protocol error: invalid multibulk length"),
    (b"*\r\n", "Protocol error: invalid multibulk length"),
    (b"*+1\r\n", "Protocol error: invalid multibulk length"),
    (b"*1\r\n$-1\r\n", "Protocol error: invalid bulk length"),
    (b"*1\r\n$03\r\nfoo\r\n", "Protocol error: invalid bulk length"),
    (b"*1\r\n$999999999999\r\n", "Protocol error: invalid bulk length"),
    (b"*1\r\n$99999999999999999999\r\n", "Protocol error: invalid bulk length"),
    (b"*1\r\nfoo\r\n", "Protocol error: expected '$', got 'f'"),
    (b"*1\r\n\n$4\r\nPING\r\n", "Protocol error: expected '$', got '\n'"),
    (b"*1\r\n\xff\r\n", "Protocol error: expected '$', got '\udcff'"),
    (b"x" * (INLINE_MAX_SIZE + 1), "Protocol error: too big inline request"),
    (b"*" + b"1" * INLINE_MAX_SIZE, "Protocol error: too big mbulk count string"),
    (b"*1\r\n$" + b"1" * INLINE_MAX_SIZE, "Protocol error: too big bulk count string"),
]


@pytest.mark.parametrize(("data", "message"), ERRORS)
def test_protocol_errors_have_redis_texts(data: bytes, message: str) -> None:
    assert every_way(mbulk(b"PING") + data) == ([[b"PING"]], message)


def test_redis_waits_rather_than_fails_at_the_limits() -> None:
    assert every_way(b"x" * INLINE_MAX_SIZE) == ([], None)
    assert every_way(b"*2147483647\r\n") == ([], None)
    assert every_way(b"*1\r\n$536870912\r\n") == ([], None)
    # The line's bytes before its \n count, as in what a trickling client leaves buffered.
    arg = b"y" * (INLINE_MAX_SIZE - 6)
    assert every_way(b"ECHO " + arg + b"\r\n") == ([[b"ECHO", arg]], None)
    assert every_way(b"ECHO " + arg + b"y\n") == ([[b"ECHO", arg + b"y"]], None)


def test_an_over_long_line_fails_even_when_its_end_arrives_in_the_same_chunk() -> None:
    # The deliberate difference from Redis (see node/resp.py): the verdict never depends on chunking.
    line = b"ECHO " + b"y" * (INLINE_MAX_SIZE - 5) + b"\r\n"
    assert every_way(line) == ([], "Protocol error: too big inline request")


def test_proto_max_bulk_len_bounds_each_bulk() -> None:
    limit = 1024 * 1024
    assert every_way(b"*1\r\n$%d\r\n" % limit, max_bulk_len=limit) == ([], None)
    assert every_way(b"*1\r\n$%d\r\n" % (limit + 1), max_bulk_len=limit) == (
        [],
        "Protocol error: invalid bulk length",
    )
    # ... and so is a bulk over the limit that arrived whole.
    over = mbulk(b"ECHO", b"z" * 101)
    assert every_way(over, max_bulk_len=100) == ([], "Protocol error: invalid bulk length")
    arg = b"z" * (limit // 2)
    assert parse(mbulk(b"ECHO", arg), max_bulk_len=limit) == ([[b"ECHO", arg]], None)


def test_unauthenticated_clients_get_small_limits_on_both_paths() -> None:
    eleven = mbulk(*[b"a"] * 11)
    assert every_way(eleven, auth_required=True) == (
        [],
        "Protocol error: unauthenticated multibulk length",
    )
    assert every_way(eleven) == ([[b"a"] * 11], None)
    big = mbulk(b"AUTH", b"p" * 16385)
    assert every_way(big, auth_required=True) == ([], "Protocol error: unauthenticated bulk length")
    ok = mbulk(*[b"a"] * 10) + mbulk(b"AUTH", b"p" * 16384)
    assert every_way(ok, auth_required=True)[1] is None


def test_limits_follow_the_authentication_state_command_by_command() -> None:
    parser = RequestParser()
    parser.feed(mbulk(b"AUTH", b"pw") + mbulk(*[b"a"] * 11) + mbulk(b"RESET") + mbulk(*[b"b"] * 11))
    parser.auth_required = True
    assert parser.next() == [b"AUTH", b"pw"]
    parser.auth_required = False  # AUTH succeeded
    assert parser.next() == [b"a"] * 11
    assert parser.next() == [b"RESET"]
    parser.auth_required = True  # RESET logged the client out
    with pytest.raises(ProtocolError, match="unauthenticated multibulk length"):
        parser.next()


def test_query_buffer_limit_counts_unparsed_bytes() -> None:
    parser = RequestParser(max_query_len=1024 * 1024)
    parser.feed(mbulk(b"PING") * 1000)
    parser.feed(b"*1\r\n$2000000\r\n")
    with pytest.raises(QueryBufferExceeded):
        parser.feed(b"x" * (1024 * 1024))


# -- properties -----------------------------------------------------------------------

FRAME_PIECES = [
    mbulk(b"SET", b"k", b"v"),
    mbulk(b"GET", b"k\r\n"),
    mbulk(b"PING"),
    mbulk(*[b"a"] * 11),
    b"*0\r\n",
    b"*-1\r\n",
    b"PING\r\n",
    b"SET \"a b\" 'c'\r\n",
    b"\r\n",
    b"$-1\r\n",
    b"_\r\n",
    b"*1\r\n+OK\r\n",
    b"*1\r\n$1\r\naXY",
    b">1\r\n$1\r\nx\r\n",
    b"~1\r\n$1\r\nx\r\n",
    b"|1\r\n+a\r\n+b\r\n",
    b"*1\r\n=7\r\ntxt:abc\r\n",
    b"*1\r\n(12\r\n",
    b"*2\r\n$1\r\na\r\n:1\r\n",
    b"*1\r\n*1\r\n$1\r\na\r\n",
    b"*01\r\n$1\r\na\r\n",
    b"*1\r\n$01\r\na\r\n",
    b"*+1\r\n$1\r\na\r\n",
    b"*1\r\n$+1\r\na\r\n",
    b"*1\r\n$0\r\n\r\n",
    b"*1\r\n$1\r\nab\r\n",
    b"*1000000000\r\n",
    b"*1\r\n$0000000001\r\na\r\n",
    b"*1\rX$1\r\na\r\n",
    b"\0",
    b"'",
]

streams = st.lists(st.sampled_from(FRAME_PIECES), max_size=12).map(b"".join)


def mutate(data: bytes, rnd: random.Random, count: int) -> bytes:
    buf = bytearray(data)
    for _ in range(count):
        at = rnd.randrange(len(buf) + 1)
        kind = rnd.randrange(3)
        if kind == 0 and at < len(buf):
            buf[at] = rnd.choice(b"*$\r\n0123-+:_ \"'\\x\0\xff")
        elif kind == 1:
            buf[at:at] = bytes([rnd.randrange(256)])
        elif at < len(buf):
            del buf[at]
    return bytes(buf)


def cuts_for(data: bytes, rnd: random.Random) -> list[int]:
    return [rnd.randrange(1, len(data)) for _ in range(rnd.randrange(6))] if len(data) > 1 else []


@st.composite
def fed_streams(draw: st.DrawFn) -> tuple[bytes, list[int], bool]:
    data = draw(streams)
    rnd = random.Random(draw(st.integers(0, 2**32)))
    if draw(st.booleans()):
        data = mutate(data, rnd, rnd.randrange(1, 4))
    return data, cuts_for(data, rnd), draw(st.booleans())


FUZZ = settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@given(fed_streams())
@FUZZ
def test_fast_path_and_reference_parser_agree(case: tuple[bytes, list[int], bool]) -> None:
    data, cuts, auth = case
    reference = parse(data, fast=False, auth_required=auth)
    assert parse(data, auth_required=auth) == reference
    assert parse(data, cuts, auth_required=auth) == reference


@given(st.binary(max_size=300), st.lists(st.integers(1, 299), max_size=8))
@FUZZ
def test_arbitrary_bytes_give_commands_or_a_protocol_error_whatever_the_chunking(
    data: bytes, cuts: list[int]
) -> None:
    cuts = [c for c in cuts if c < len(data)]
    whole = parse(data)  # anything but ProtocolError propagates and fails the test
    assert parse(data, cuts) == whole
    assert parse(data, cuts, fast=False) == whole
    assert all(type(arg) is bytes for command in whole[0] for arg in command)
