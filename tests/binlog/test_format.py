"""The byte format: round trips, the golden segment, and how damaged frames are classified."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from binlog.errors import CorruptLog
from binlog.format import (
    HEADER_SIZE,
    SEGMENT_HEADER_SIZE,
    BadFrame,
    LogRecord,
    decode_segment_header,
    decode_varint,
    encode_record,
    encode_segment_header,
    encode_varint,
    read_frame,
)
from binlog.manifest import Manifest, SegmentInfo, SnapshotInfo, decode_manifest, encode_manifest
from binlog.snapshot import Snapshot, decode_snapshot, encode_snapshot

GOLDEN = Path(__file__).parent / "golden" / "segment-v1.seg"
GOLDEN_RECORDS = [
    LogRecord("eu", 1, 0x0123456789ABCDEF, b"hello", {}),
    LogRecord("us-east", 7, (1_700_000_000_000 << 16) | 3, b"", {"eu": 1, "us-east": 6}),
    LogRecord("ap", 300, 2**64 - 1, bytes(range(200)), {"eu": 2**40, "ap": 299}),
]

origins = st.text(min_size=1, max_size=12)
records = st.builds(
    LogRecord,
    origins,
    st.integers(1, 2**63),
    st.integers(0, 2**64 - 1),
    st.binary(max_size=300),
    st.dictionaries(origins, st.integers(0, 2**63), max_size=5),
)


def frames(data: bytes, off: int = 0) -> list[LogRecord]:
    out = []
    while off < len(data):
        frame = read_frame(data, off)
        assert not isinstance(frame, BadFrame), frame
        out.append(frame[0])
        off = frame[1]
    return out


@given(st.integers(0, 2**64))
def test_varint_round_trip(n: int) -> None:
    data = encode_varint(n)
    assert decode_varint(data, 0) == (n, len(data))


@given(st.lists(records, max_size=5))
def test_records_round_trip(recs: list[LogRecord]) -> None:
    assert frames(b"".join(encode_record(r) for r in recs)) == recs


def test_golden_segment_decodes_to_the_pinned_records() -> None:
    data = GOLDEN.read_bytes()
    assert decode_segment_header(data, GOLDEN.name) == 4096
    assert frames(data, SEGMENT_HEADER_SIZE) == GOLDEN_RECORDS


def test_encoding_the_pinned_records_gives_the_golden_bytes() -> None:
    encoded = encode_segment_header(4096) + b"".join(encode_record(r) for r in GOLDEN_RECORDS)
    assert encoded == GOLDEN.read_bytes()


def test_first_golden_frame_byte_by_byte() -> None:
    frame = GOLDEN.read_bytes()[SEGMENT_HEADER_SIZE:][: HEADER_SIZE + 18]
    assert frame[0] == 1  # format version
    assert int.from_bytes(frame[1:5], "little") == 18  # body length
    body = frame[HEADER_SIZE:]
    assert body[:3] == b"\x02eu"  # varint length + origin
    assert body[3] == 1  # varint seq
    assert int.from_bytes(body[4:12], "little") == 0x0123456789ABCDEF  # u64 HLC
    assert body[12] == 0  # no deps
    assert body[13:] == b"hello"


def test_cut_frame_is_torn_at_every_length() -> None:
    data = encode_record(GOLDEN_RECORDS[2])
    for cut in range(1, len(data)):
        frame = read_frame(data[:cut], 0)
        assert isinstance(frame, BadFrame) and frame.torn, cut


def test_flipped_body_byte_is_corruption_unless_last() -> None:
    one = bytearray(encode_record(GOLDEN_RECORDS[0]))
    one[-1] ^= 0x40
    followed = bytes(one) + encode_record(GOLDEN_RECORDS[1])
    assert read_frame(followed, 0) == BadFrame("record checksum mismatch", torn=False)
    assert read_frame(bytes(one), 0) == BadFrame("record checksum mismatch", torn=True)


def test_flipped_length_is_caught_by_the_header_check() -> None:
    data = bytearray(encode_record(GOLDEN_RECORDS[0]) + encode_record(GOLDEN_RECORDS[1]))
    data[2] ^= 0x01  # body_len += 256: would otherwise look like a write cut short
    assert read_frame(bytes(data), 0) == BadFrame("frame header checksum mismatch", torn=False)


def test_zero_filled_tail_is_torn() -> None:
    assert read_frame(bytes(64), 0) == BadFrame("frame header checksum mismatch", torn=True)


def test_foreign_version_is_not_torn() -> None:
    data = bytearray(encode_record(GOLDEN_RECORDS[0]))
    data[0] = 2
    frame = read_frame(bytes(data), 0)
    assert isinstance(frame, BadFrame) and not frame.torn


def test_manifest_round_trip_and_checksum() -> None:
    m = Manifest(
        [
            SegmentInfo("binlog.00000000000000000000.seg", 0, {}, 100, 1_700_000_000_000),
            SegmentInfo("binlog.00000000000000000100.seg", 100, {"eu west": 3, "a,b:c": 9}),
        ],
        SnapshotInfo("snapshot.00000000000000000050.snap", 50),
    )
    data = encode_manifest(m)
    assert decode_manifest(data) == m
    with pytest.raises(CorruptLog, match="checksum"):
        decode_manifest(data.replace(b"base=100", b"base=101"))


def test_snapshot_round_trip_and_checksum() -> None:
    snap = Snapshot(b"\x00state\xff" * 10, {"eu": 4, "us": 2**40}, 12345)
    data = encode_snapshot(snap)
    assert decode_snapshot(data, "s.snap") == snap
    damaged = bytearray(data)
    damaged[30] ^= 1
    with pytest.raises(CorruptLog, match=r"s\.snap: corrupt at offset 0"):
        decode_snapshot(bytes(damaged), "s.snap")
