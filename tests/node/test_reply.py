"""Every reply value encodes byte for byte as Redis 7.0 sends it, in RESP2 and RESP3.

Doubles follow Redis 7.0's addReplyDouble (%.17g, inf spelled out); error
texts lose their newlines as in addReplyErrorFormat.
"""

from __future__ import annotations

from typing import Any

import pytest

from node.reply import (
    NULL_ARRAY,
    OK,
    QUEUED,
    Error,
    OrderedSet,
    Push,
    Simple,
    Verbatim,
    encode_resp2,
    encode_resp3,
)

CASES: list[tuple[str, Any, bytes, bytes]] = [
    # name, value, RESP2, RESP3
    ("bulk", b"hello", b"$5\r\nhello\r\n", b"$5\r\nhello\r\n"),
    ("empty bulk", b"", b"$0\r\n\r\n", b"$0\r\n\r\n"),
    ("binary bulk", b"a\r\n\0\xff", b"$5\r\na\r\n\0\xff\r\n", b"$5\r\na\r\n\0\xff\r\n"),
    ("bytearray", bytearray(b"ab"), b"$2\r\nab\r\n", b"$2\r\nab\r\n"),
    ("memoryview", memoryview(b"abc")[1:], b"$2\r\nbc\r\n", b"$2\r\nbc\r\n"),
    ("integer", 42, b":42\r\n", b":42\r\n"),
    ("negative integer", -(2**63), b":-9223372036854775808\r\n", b":-9223372036854775808\r\n"),
    ("true", True, b":1\r\n", b"#t\r\n"),
    ("false", False, b":0\r\n", b"#f\r\n"),
    ("null", None, b"$-1\r\n", b"_\r\n"),
    ("null array", NULL_ARRAY, b"*-1\r\n", b"_\r\n"),
    ("double", 1.5, b"$3\r\n1.5\r\n", b",1.5\r\n"),
    ("double %.17g", 0.1, b"$19\r\n0.10000000000000001\r\n", b",0.10000000000000001\r\n"),
    ("whole double", 3.0, b"$1\r\n3\r\n", b",3\r\n"),
    ("big double", 1e16, b"$17\r\n10000000000000000\r\n", b",10000000000000000\r\n"),
    ("inf", float("inf"), b"$3\r\ninf\r\n", b",inf\r\n"),
    ("-inf", float("-inf"), b"$4\r\n-inf\r\n", b",-inf\r\n"),
    ("status", OK, b"+OK\r\n", b"+OK\r\n"),
    ("queued", QUEUED, b"+QUEUED\r\n", b"+QUEUED\r\n"),
    ("simple", Simple("PONG"), b"+PONG\r\n", b"+PONG\r\n"),
    ("str is a status", "string", b"+string\r\n", b"+string\r\n"),
    ("error", Error("ERR bad"), b"-ERR bad\r\n", b"-ERR bad\r\n"),
    ("error newlines", Error("ERR a\r\nb\nc"), b"-ERR a  b c\r\n", b"-ERR a  b c\r\n"),
    ("error raw byte", Error("ERR got '\udcff'"), b"-ERR got '\xff'\r\n", b"-ERR got '\xff'\r\n"),
    ("empty array", [], b"*0\r\n", b"*0\r\n"),
    ("array", [b"a", 1, None], b"*3\r\n$1\r\na\r\n:1\r\n$-1\r\n", b"*3\r\n$1\r\na\r\n:1\r\n_\r\n"),
    ("tuple", (b"x",), b"*1\r\n$1\r\nx\r\n", b"*1\r\n$1\r\nx\r\n"),
    (
        "map",
        {b"k": 1, b"j": b"v"},
        b"*4\r\n$1\r\nk\r\n:1\r\n$1\r\nj\r\n$1\r\nv\r\n",
        b"%2\r\n$1\r\nk\r\n:1\r\n$1\r\nj\r\n$1\r\nv\r\n",
    ),
    ("empty map", {}, b"*0\r\n", b"%0\r\n"),
    ("set", {b"m"}, b"*1\r\n$1\r\nm\r\n", b"~1\r\n$1\r\nm\r\n"),
    ("frozenset", frozenset(), b"*0\r\n", b"~0\r\n"),
    (
        "ordered set",
        OrderedSet(("write", "fast")),
        b"*2\r\n+write\r\n+fast\r\n",
        b"~2\r\n+write\r\n+fast\r\n",
    ),
    ("verbatim", Verbatim(b"a\r\nb"), b"$4\r\na\r\nb\r\n", b"=8\r\ntxt:a\r\nb\r\n"),
    ("verbatim markdown", Verbatim(b"# x", b"mkd"), b"$3\r\n# x\r\n", b"=7\r\nmkd:# x\r\n"),
    (
        "push",
        Push([b"message", b"ch", b"hi"]),
        b"*3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
        b">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$2\r\nhi\r\n",
    ),
    (
        "nested",
        [{b"a": [1.5, True]}, {b"s"}, NULL_ARRAY, [[]], Error("ERR x")],
        b"*5\r\n*2\r\n$1\r\na\r\n*2\r\n$3\r\n1.5\r\n:1\r\n*1\r\n$1\r\ns\r\n*-1\r\n*1\r\n*0\r\n"
        b"-ERR x\r\n",
        b"*5\r\n%1\r\n$1\r\na\r\n*2\r\n,1.5\r\n#t\r\n~1\r\n$1\r\ns\r\n_\r\n*1\r\n*0\r\n-ERR x\r\n",
    ),
    (
        "push of map",
        Push([b"invalidate", {b"k": None}]),
        b"*2\r\n$10\r\ninvalidate\r\n*2\r\n$1\r\nk\r\n$-1\r\n",
        b">2\r\n$10\r\ninvalidate\r\n%1\r\n$1\r\nk\r\n_\r\n",
    ),
]


@pytest.mark.parametrize(
    ("value", "resp2", "resp3"), [c[1:] for c in CASES], ids=[c[0] for c in CASES]
)
def test_reply_encodes_byte_exact(value: Any, resp2: bytes, resp3: bytes) -> None:
    assert encode_resp2(value) == resp2
    assert encode_resp3(value) == resp3


@pytest.mark.parametrize("encode", [encode_resp2, encode_resp3])
def test_values_without_an_encoding_are_refused(encode: Any) -> None:
    with pytest.raises(TypeError, match="cannot encode object"):
        encode([b"ok", object()])
