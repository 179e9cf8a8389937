"""The effect payload format: round trips, a pinned golden encoding, clean errors on bad bytes."""

from __future__ import annotations

import contextlib
from decimal import Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from node.codec import PayloadError, decode_ops, encode_ops
from node.effects import DelKey, Flush, IncrStr, Op, SetExpire, SetStr

regions = st.text(st.characters(min_codepoint=48, max_codepoint=122), min_size=1, max_size=8)
stamps = st.integers(-1, (1 << 63) - 1)
nums = st.one_of(
    st.integers(-(1 << 70), 1 << 70),
    st.decimals(allow_nan=False, allow_infinity=False, places=6),
)
observed = st.lists(st.tuples(regions, nums, stamps), max_size=3).map(tuple)
vv = st.lists(st.tuples(regions, stamps), max_size=3).map(tuple)
keys = st.binary(max_size=20)
members = st.lists(st.tuples(keys, observed), max_size=2).map(tuple)
typed = st.lists(st.tuples(st.sampled_from([b"string", b"hash", b"zset"]), observed, members))
ops = st.one_of(
    st.builds(SetStr, keys, st.binary(max_size=40), st.integers(-2, 1 << 50), observed),
    st.builds(IncrStr, keys, nums, st.booleans()),
    st.builds(DelKey, keys, vv, observed, members, typed.map(tuple)),
    st.builds(SetExpire, keys, st.integers(-2, 1 << 50)),
    st.builds(
        Flush,
        vv,
        st.lists(st.tuples(keys, observed), max_size=3).map(tuple),
        st.lists(st.tuples(keys, members), max_size=2).map(tuple),
        st.lists(st.tuples(keys, typed.map(tuple)), max_size=2).map(tuple),
    ),
)


@given(st.lists(ops, max_size=6).map(tuple))
def test_every_op_round_trips(batch: tuple[Op, ...]) -> None:
    assert decode_ops(encode_ops(batch)) == batch


# Written by this version; later versions must keep reading it.
GOLDEN_OPS = (
    SetStr(b"k", b"v", 1_700_000_000_000, (("eu", 5, 99),)),
    IncrStr(b"c", Decimal("1.5"), True),
    IncrStr(b"c", -7),
    DelKey(b"k", (("eu", 9), ("us", 3)), ()),
    SetExpire(b"k", -1),
    Flush((("eu", 1),), ((b"c", (("us", Decimal("2"), 4),)),)),
)
GOLDEN = bytes.fromhex(
    "01 06"  # payload version 1, six ops
    " 01 016b 0176 80a0abfef962 01 026575 00 0a c601"  # SetStr k v expire(zigzag) observed[(eu, int 5, 99)]
    " 02 0163 01 03312e35 01"  # IncrStr c decimal "1.5" fresh
    " 02 0163 00 0d 00"  # IncrStr c int -7 not fresh
    " 03 016b 02 026575 12 027573 06 00 00"  # DelKey k vv[(eu, 9), (us, 3)] observed[] members[]
    " 04 016b 01"  # SetExpire k -1
    " 05 01 026575 02 01 0163 01 027573 01 0132 08 00"  # Flush vv[(eu, 1)] [(c, [(us, "2", 4)])] members[]
)


# Deletes carrying observed counters per value type (tags 6 and 7).
GOLDEN_TYPED_OPS = (
    DelKey(b"k", (("eu", 9),), typed=((b"zset", (), ((b"m", (("us", 3, 4),)),)),)),
    Flush((("eu", 1),), typed=((b"c", ((b"string", (("us", 2, 4),), ()),)),)),
)
GOLDEN_TYPED = bytes.fromhex(
    "01 02"
    " 06 016b 01 026575 12 00 00"  # DelKey k vv[(eu, 9)] observed[] members[] then typed:
    " 01 047a736574 00 01 016d 01 027573 00 06 08"  # [(zset, [], [(m, [(us, int 3, 4)])])]
    " 07 01 026575 02 00 00"  # Flush vv[(eu, 1)] observed[] members[] then typed:
    " 01 0163 01 06737472696e67 01 027573 00 04 08 00"  # [(c, [(string, [(us, 2, 4)], [])])]
)


@pytest.mark.parametrize(
    ("payload", "pinned"), [(GOLDEN, GOLDEN_OPS), (GOLDEN_TYPED, GOLDEN_TYPED_OPS)]
)
def test_golden_payload_decodes_and_reencodes_byte_for_byte(
    payload: bytes, pinned: tuple[Op, ...]
) -> None:
    assert decode_ops(payload) == pinned
    assert encode_ops(pinned) == payload


@given(st.binary(max_size=64))
def test_arbitrary_bytes_decode_or_raise_payload_error(data: bytes) -> None:
    with contextlib.suppress(PayloadError):
        decode_ops(data)


@pytest.mark.parametrize("cut", range(1, len(GOLDEN)))
def test_every_truncation_is_a_payload_error(cut: int) -> None:
    with pytest.raises(PayloadError):
        decode_ops(GOLDEN[:cut])


def test_newer_payload_version_is_refused_clearly() -> None:
    with pytest.raises(PayloadError, match="payload version"):
        decode_ops(b"\x02\x00")
