"""What a peer puts in a Batch (the frames a subscriber lacks, cut out of its log
undecoded) and what the subscriber gets back out of it."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from binlog import Binlog, Cursor, LogRecord, MemoryFS, Options
from binlog.format import encode_record
from binlog.reader import Frames
from node.codec import encode_ops
from node.effects import SetStr
from replicator.peer import Inbound, _fast_forward
from replicator.wire import BadFrames, records, select, to_record

ORIGINS = ("eu", "us", "ap")


def log_of(origins: list[str]) -> list[LogRecord]:
    """Records in the order given, each origin's seqs dense from 1."""
    seqs = dict.fromkeys(ORIGINS, 0)
    out: list[LogRecord] = []
    for origin in origins:
        seqs[origin] += 1
        deps = {o: s for o, s in seqs.items() if o != origin and s}
        payload = encode_ops((SetStr(b"k%d" % seqs[origin], origin.encode()),))
        out.append(LogRecord(origin, seqs[origin], 1000 + len(out), payload, deps))
    return out


def frames_of(log: list[LogRecord]) -> Frames:
    encoded = [encode_record(r) for r in log]
    ends, end = [], 0
    for frame in encoded:
        end += len(frame)
        ends.append(end)
    return Frames(0, b"".join(encoded), [(r.origin, r.seq) for r in log], ends)


def fields(r: LogRecord) -> tuple[str, int, int, tuple[tuple[str, int], ...], bytes]:
    return r.origin, r.seq, r.hlc, tuple(sorted(r.deps.items())), r.payload


@given(
    st.lists(st.sampled_from(ORIGINS), max_size=40),
    st.dictionaries(st.sampled_from(ORIGINS), st.integers(0, 20)),
    st.frozensets(st.sampled_from(ORIGINS)),
    st.tuples(st.sampled_from(["", *ORIGINS]), st.integers(0, 20)),
)
def test_a_selection_is_exactly_the_records_lacked_and_not_received_directly(
    origins: list[str], acked: dict[str, int], direct: frozenset[str], own: tuple[str, int]
) -> None:
    log = log_of(origins)
    counted: dict[str, int] = {}
    chosen = select(frames_of(log), acked, direct, counted, own)
    wanted = [
        r
        for r in log
        if r.seq > acked.get(r.origin, 0)
        and r.origin not in direct
        and not (r.origin == own[0] and r.seq > own[1])  # the subscriber wrote those
    ]
    assert [f for f, _ in records(chosen.frames)] == [fields(r) for r in wanted]
    assert chosen.records == len(wanted)
    passed = [r for r in log if r.seq > acked.get(r.origin, 0) and r.origin in direct]
    assert chosen.skipped == len(passed)
    # Read again (a resubscription from the same cursor does not exist, but the
    # fast path may have counted them): never counted twice.
    assert select(frames_of(log), acked, direct, counted, own).skipped == 0


def test_a_frame_that_does_not_check_takes_the_batch_down() -> None:
    data = frames_of(log_of(["eu", "us", "eu"])).data
    for damaged in (
        data[:-1],  # cut short
        data[:20] + bytes([data[20] ^ 1]) + data[21:],  # a body bit flipped
        data[:1] + b"\xff" + data[2:],  # a header bit flipped
    ):
        with pytest.raises(BadFrames):
            list(records(damaged))


def test_a_received_record_keeps_its_frame_as_received() -> None:
    (r,) = log_of(["eu"])
    ((got, frame),) = records(frames_of([r]).data)
    record = to_record(got, frame)
    assert record.frame == encode_record(r)
    assert record.ops == (SetStr(b"k1", b"eu"),)
    assert (record.origin, record.seq, record.stamp, record.deps) == ("eu", 1, 1000, ())


def test_the_cursor_skips_unread_what_the_subscriber_wants_none_of() -> None:
    log_records = log_of(["eu", "us", "eu", "ap", "eu"])

    async def go() -> None:
        log = Binlog.open(MemoryFS(), Options(fsync="no"))
        for r in log_records:
            await log.durable(log.append(r))
        # us lacks eu's records but gets them from eu: nothing to read for it.
        link = Inbound("us", acked={"us": 1, "ap": 1}, direct=frozenset({"eu"}))
        cursor = Cursor(log, 0)
        assert _fast_forward(log, cursor, link)
        assert cursor.position == log.end
        assert link.records_skipped == 3
        # ap's record is one it lacks (and not directly received): read and sent.
        link = Inbound("us", acked={"us": 1}, direct=frozenset({"eu"}))
        cursor = Cursor(log, 0)
        assert not _fast_forward(log, cursor, link)
        assert cursor.position == 0
        # us's own record, before its ack says so: it wrote it, nothing to send back...
        link = Inbound("us", acked={"ap": 1}, direct=frozenset({"eu"}))
        assert _fast_forward(log, Cursor(log, 0), link)
        # ... unless it is in the tail us lost (this region had it when us subscribed).
        link = Inbound("us", acked={"ap": 1}, direct=frozenset({"eu"}), own_lacks_to=1)
        assert not _fast_forward(log, Cursor(log, 0), link)
        await log.close()

    asyncio.run(go())
