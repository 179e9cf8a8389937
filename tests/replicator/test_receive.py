"""A received batch is applied in slices, the loop getting a turn between them."""

from __future__ import annotations

from binlog.format import LogRecord, encode_record
from node.codec import encode_ops
from node.effects import NO_TTL, Record, SetStr
from replicator.applier import Applier
from replicator.subscriber import RECEIVE_SLICE, LinkStats, receive


def test_a_batch_is_applied_in_slices_and_whole() -> None:
    count = 2 * RECEIVE_SLICE + 500
    frames = b"".join(
        encode_record(
            LogRecord("eu", seq, seq, encode_ops((SetStr(b"k%d" % seq, b"v", NO_TTL, (), ()),)))
        )
        for seq in range(1, count + 1)
    )
    applied: list[Record] = []
    vv: dict[str, int] = {}

    def apply(record: Record) -> None:
        applied.append(record)
        vv[record.origin] = record.seq

    applier = Applier(apply, vv)
    stats = LinkStats()
    pauses: list[int] = []
    for _ in receive(frames, applier, stats):
        pauses.append(len(applied))
    assert pauses == [RECEIVE_SLICE - 1, 2 * RECEIVE_SLICE - 1]
    assert [r.seq for r in applied] == list(range(1, count + 1))
    assert stats.received == count
